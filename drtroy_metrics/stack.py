"""``drtroy-metrics up``: the whole embedded stack in the foreground.

Children: Tansu (broker), the collector, the aggregator (which also serves
the read API and dashboard: chDB lets one process own its data directory),
and optionally the simulator. Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .broker import ensure_topics, start_tansu


@dataclass
class Keys:
    browser: str
    server: str
    generated: bool


def dev_keys(data_dir: Path) -> Keys:
    """Write keys from the environment, or development keys kept in the data dir."""
    b = os.environ.get("BROWSER_WRITE_KEYS", "").split(",")[0].strip()
    s = os.environ.get("SERVER_WRITE_KEYS", "").split(",")[0].strip()
    if b and s:
        return Keys(b, s, False)
    path = data_dir / "dev-keys.json"
    if path.exists():
        saved = json.loads(path.read_text())
    else:
        saved = {
            "browser": "dev-browser-" + secrets.token_hex(8),
            "server": "dev-server-" + secrets.token_hex(12),
        }
        path.write_text(json.dumps(saved))
        path.chmod(0o600)
    return Keys(b or saved["browser"], s or saved["server"], True)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_tcp(port: int, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"the process for port {port} exited with code {proc.returncode} (see its log)"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s:.0f}s")


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"{url}: the process exited with code {proc.returncode} (see its log)"
            )
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f}s")


@dataclass
class Stack:
    data_dir: Path
    collector_port: int = 8000
    dashboard_port: int = 8100
    kafka_port: int = 9092
    simulate: bool = False
    quiet: bool = False
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def env(self, keys: Keys) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{self.kafka_port}",
            CLICKHOUSE_DSN=f"chdb://{self.data_dir / 'clickhouse'}",
            BROWSER_WRITE_KEYS=os.environ.get("BROWSER_WRITE_KEYS") or keys.browser,
            SERVER_WRITE_KEYS=os.environ.get("SERVER_WRITE_KEYS") or keys.server,
            # the simulator and local proxies forward client addresses over loopback
            TRUSTED_PROXIES=os.environ.get("TRUSTED_PROXIES", "127.0.0.1/32,::1/128"),
            ALLOWED_ORIGINS=os.environ.get("ALLOWED_ORIGINS", "*"),
            DATA_DIR=str(self.data_dir),
            # the read API's /api/v1/health reports whether the collector answers
            COLLECTOR_URL=f"http://127.0.0.1:{self.collector_port}",
        )
        return env

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.data_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "drtroy_metrics", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        return proc

    def start(self) -> Keys:
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        for name, port in (
            ("Kafka", self.kafka_port),
            ("collector", self.collector_port),
            ("dashboard", self.dashboard_port),
        ):
            if not port_free(port):
                raise RuntimeError(
                    f"port {port} ({name}) is in use: stop what uses it or pass --{name.lower()}-port "
                    "(--kafka-port, --collector-port, --dashboard-port)"
                )
        keys = dev_keys(self.data_dir)
        env = self.env(keys)
        self.say(f"drtroy-metrics: data in {self.data_dir}, logs in {self.data_dir / 'logs'}")
        tansu = start_tansu(self.kafka_port, self.data_dir / "logs" / "tansu.log")
        self.procs.append(("tansu", tansu))
        wait_tcp(self.kafka_port, 30, tansu)
        asyncio.run(
            ensure_topics(f"127.0.0.1:{self.kafka_port}", int(env.get("TOPIC_PARTITIONS", "6")))
        )
        self.say(f"  kafka (Tansu)      127.0.0.1:{self.kafka_port}")
        agg = self.spawn("aggregator", ["aggregator", "--serve-api", str(self.dashboard_port)], env)
        col = self.spawn("collector", ["collector", "--port", str(self.collector_port)], env)
        wait_http(f"http://127.0.0.1:{self.collector_port}/healthz", 60, col)
        self.say(
            f"  collector          http://127.0.0.1:{self.collector_port}  (POST /v1/batch, GET /tracker.js)"
        )
        wait_http(f"http://127.0.0.1:{self.dashboard_port}/healthz", 90, agg)
        self.say(
            f"  dashboard, API     http://127.0.0.1:{self.dashboard_port}  (GET /api/v1/metrics)"
        )
        kind = (
            "development keys (kept in the data dir)"
            if keys.generated
            else "keys from the environment"
        )
        self.say(f"  write keys ({kind}): browser={keys.browser} server={keys.server}")
        if self.simulate:
            url = f"http://127.0.0.1:{self.collector_port}"
            self.spawn(
                "simulate",
                [
                    "simulate",
                    "--collector-url",
                    url,
                    "--days",
                    "30",
                    "--rate",
                    "10",
                    "--no-progress",
                ],
                env,
            )
            self.say(
                "  simulator          30 days of history, then about 10 events/s live (log: simulate.log)"
            )
        self.say("Ready. Ctrl-C stops everything.")
        return keys

    def watch(self) -> int:
        stop = {"flag": False}

        def handler(signum: int, frame: object) -> None:
            stop["flag"] = True

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
        while not stop["flag"]:
            for name, p in self.procs:
                if p.poll() is not None:
                    log = self.data_dir / "logs" / f"{name}.log"
                    self.say(
                        f"{name} exited with code {p.returncode}; stopping everything (see {log})"
                    )
                    return 1
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.say(f"{name} did not stop in 15s; killing it")
                    p.kill()
                    p.wait()
        self.procs.clear()
        self.say("stopped.")
