"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, a
static site server and a fake collector, each on 127.0.0.1 in a thread."""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import RunningStack

ROOT = Path(__file__).resolve().parents[2]
TRACKER = ROOT / "services" / "collector" / "drtroy_collector" / "static" / "tracker.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# A rule decides the answer to one POST: (status, extra headers) from (write key, body).
Rule = Callable[[dict[str, Any]], tuple[int, dict[str, str]]]


class FakeCollector:
    """Records every batch it receives; answers per write key as a rule says."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[dict[str, Any]] = []  # {key, status, content_type, body}
        self.preflights = 0
        self.rules: dict[str, Rule] = {}

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        rule = self.rules.get(body.get("writeKey", ""))
        return rule(body) if rule else (200, {})

    def posts_for(self, key: str, status: int | None = 200) -> list[dict[str, Any]]:
        with self.lock:
            return [
                p
                for p in self.posts
                if p["key"] == key and (status is None or p["status"] == status)
            ]

    def events(self, key: str) -> list[dict[str, Any]]:
        """Every accepted message of a key, in arrival order, duplicates included."""
        return [m for p in self.posts_for(key) for m in p["body"]["batch"]]

    def unique(self, key: str) -> list[dict[str, Any]]:
        """Accepted messages deduplicated by messageId, as the real pipeline counts them."""
        seen: dict[str, dict[str, Any]] = {}
        for m in self.events(key):
            seen.setdefault(m["messageId"], m)
        return list(seen.values())

    def wait(
        self, key: str, pred: Callable[[list[dict[str, Any]]], bool], timeout: float = 10
    ) -> list[dict[str, Any]]:
        end = time.monotonic() + timeout
        while True:
            got = self.unique(key)
            if pred(got) or time.monotonic() > end:
                return got
            time.sleep(0.05)


class Site:
    """Serves test pages: GET /t/<name>/<anything> returns pages[name]."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def reply(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Retry-After")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def collector() -> Iterator[tuple[FakeCollector, str]]:
    fake = FakeCollector()

    class Handler(_Quiet):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/tracker.js":
                self.reply(
                    200,
                    TRACKER.read_bytes(),
                    "application/javascript",
                    {"Cache-Control": "no-cache"},
                )
            else:
                self.reply(404, b"{}", "application/json")

        def do_OPTIONS(self) -> None:
            with fake.lock:
                fake.preflights += 1
            self.reply(
                204,
                b"",
                "text/plain",
                {
                    "Access-Control-Allow-Methods": "POST",
                    "Access-Control-Allow-Headers": "Content-Type",
                },
            )

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                self.reply(400, b'{"success": false}', "application/json")
                return
            status, headers = fake.answer(body)
            with fake.lock:
                fake.posts.append(
                    {
                        "key": body.get("writeKey"),
                        "status": status,
                        "body": body,
                        "content_type": self.headers.get("Content-Type", ""),
                        "path": self.path,
                    }
                )
            results = [
                {
                    "messageId": m.get("messageId"),
                    "status": "accepted" if status == 200 else "refused",
                }
                for m in body.get("batch", [])
            ]
            self.reply(
                status,
                json.dumps({"success": status == 200, "results": results}).encode(),
                "application/json",
                headers,
            )

    srv, url = _serve(Handler)
    yield fake, url
    srv.shutdown()


@pytest.fixture(scope="session")
def site() -> Iterator[tuple[Site, str]]:
    s = Site()

    class Handler(_Quiet):
        def do_GET(self) -> None:
            parts = self.path.split("?")[0].split("/")
            html = s.pages.get(parts[2]) if len(parts) > 2 and parts[1] == "t" else None
            if html is None:
                self.reply(404, b"not found", "text/plain")
            else:
                self.reply(200, html.encode(), "text/html; charset=utf-8")

    srv, url = _serve(Handler)
    yield s, url
    srv.shutdown()


# Module scope, not session: Playwright's sync API keeps an asyncio loop
# running in the main thread while it is open, and asyncio.run() (used by the
# stack fixtures and by integration tests) refuses to run under it. Closing
# Chromium at the end of each browser module leaves later tests unaffected.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    if not os.path.exists(CHROMIUM):
        # a missing browser is a broken setup, never a pass: `make test` installs it
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install -y chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def off_loop(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread and return its result: code that calls
    asyncio.run() (the stack's start) cannot run in the main thread while a
    Playwright browser is open there."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[RunningStack]:
    """tests/conftest.py's ``fresh_stack`` (a stack of its own, for tests that
    stop parts of it), started off the main thread so that it can start
    while the module's browser is open."""
    s = RunningStack(tmp_path / "stack")
    try:
        yield off_loop(s.start)
    finally:
        s.stop()
