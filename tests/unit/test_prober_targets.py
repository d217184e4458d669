"""The prober against real local HTTP targets (127.0.0.1), no collector."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from drtroy_prober.check import probe
from drtroy_prober.config import Target
from drtroy_prober.runner import Prober
from drtroy_prober.sender import MemorySink


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"all systems go"
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def healthy() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.status = 200  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/healthz"
    server.shutdown()
    server.server_close()


@pytest.fixture
def hanging() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


def test_probe_reports_status_body_and_latency(healthy: str) -> None:
    async def go() -> tuple:
        import httpx

        async with httpx.AsyncClient() as c:
            good = await probe(c, Target(name="h", url=healthy, body_contains="systems go"))
            bad_body = await probe(c, Target(name="h", url=healthy, body_contains="on fire"))
            bad_status = await probe(c, Target(name="h", url=healthy, expect_status=204))
            refused = await probe(c, Target(name="r", url="http://127.0.0.1:9/", timeout_s=2))
        return good, bad_body, bad_status, refused

    good, bad_body, bad_status, refused = asyncio.run(go())
    assert (good.ok, good.status_code, good.error) == (True, 200, None)
    assert 0 < good.latency_ms < 2000
    assert (bad_body.ok, bad_body.status_code) == (False, 200)
    assert bad_body.error == "body does not contain 'on fire'"
    assert (bad_status.ok, bad_status.error) == (False, "status 200, expected 204")
    assert (
        refused.ok is False and refused.status_code is None and "Connect" in (refused.error or "")
    )


def test_hanging_target_times_out_without_delaying_the_other(healthy: str, hanging: str) -> None:
    interval, window = 0.2, 3.0
    targets = [
        Target(name="healthy", url=healthy, interval_s=interval, timeout_s=1.0),
        # its timeout is longer than the window: a shared loop or pool would starve "healthy"
        Target(name="hanging", url=hanging, interval_s=interval, timeout_s=window + 1),
        Target(name="hanging-short", url=hanging, interval_s=interval, timeout_s=0.5),
    ]
    sink = MemorySink()
    seen: dict[str, list[float]] = {"healthy": [], "hanging": [], "hanging-short": []}
    prober = Prober(targets, sink, on_result=lambda r: seen[r.target.name].append(time.monotonic()))

    async def go() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(window, stop.set)
        await prober.run(stop)

    started = time.monotonic()
    asyncio.run(go())
    elapsed = time.monotonic() - started
    assert elapsed < window + 1.0, "stopping must not wait for a hanging check"
    # every slot of the healthy target was used: about window/interval checks
    # (the first comes after up to 10% of an interval of jitter)
    assert len(seen["healthy"]) >= int(window / interval) - 1, seen["healthy"]
    gaps = [b - a for a, b in zip(seen["healthy"], seen["healthy"][1:], strict=False)]
    assert max(gaps) < interval * 2, gaps
    assert seen["hanging"] == []  # still waiting when stopped
    # the short-timeout hanging target fails each check after its timeout and skips missed slots
    short = [e for e in sink.events if e["properties"]["target"] == "hanging-short"]
    assert 3 <= len(short) <= int(window / 0.5) + 1
    for e in short:
        p = e["properties"]
        assert p["ok"] is False and p["status_code"] is None and p["error"] == "timeout after 0.5s"
        assert 450 <= p["latency_ms"] < 1500
    healthy_events = [e for e in sink.events if e["properties"]["target"] == "healthy"]
    assert len(healthy_events) == len(seen["healthy"])
    assert all(e["properties"]["ok"] is True for e in healthy_events)
