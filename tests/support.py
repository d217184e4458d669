"""A real embedded stack for tests: Tansu, the collector and the aggregator
(with the read API and the read-only SQL console) as child processes, on
free ports, in a temporary data directory."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from drtroy_metrics.broker import ensure_topics, start_tansu
from drtroy_metrics.stack import wait_http, wait_tcp

BROWSER_KEY = "test-browser-key"
SERVER_KEY = "test-server-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningStack:
    def __init__(self, root: Path, partitions: int = 3, extra_env: dict[str, str] | None = None):
        self.root = root
        self.kafka_port = free_port()
        self.collector_port = free_port()
        self.api_port = free_port()
        self.partitions = partitions
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(
            KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{self.kafka_port}",
            CLICKHOUSE_DSN=f"chdb://{root / 'clickhouse'}",
            BROWSER_WRITE_KEYS=BROWSER_KEY,
            SERVER_WRITE_KEYS=SERVER_KEY,
            TRUSTED_PROXIES="127.0.0.1/32",
            ALLOWED_ORIGINS="*",
            SQL_CONSOLE="1",
            PRODUCE_TIMEOUT_S="3",
            BATCH_MAX_AGE_S="0.3",
            TOPIC_PARTITIONS=str(partitions),
            DATA_DIR=str(root),
        )
        self.env.update(extra_env or {})
        self.tansu: subprocess.Popen[bytes] | None = None
        self.collector: subprocess.Popen[bytes] | None = None
        self.aggregator: subprocess.Popen[bytes] | None = None

    @property
    def collector_url(self) -> str:
        return f"http://127.0.0.1:{self.collector_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # ---- lifecycle -------------------------------------------------------------
    def _spawn(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "drtroy_metrics", *args],
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_broker(self) -> None:
        self.tansu = start_tansu(self.kafka_port, self.logs / "tansu.log")
        wait_tcp(self.kafka_port, 30, self.tansu)
        # in a worker thread: a test may hold a running event loop (Playwright)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(
                asyncio.run, ensure_topics(f"127.0.0.1:{self.kafka_port}", self.partitions)
            ).result()

    def stop_broker(self) -> None:
        if self.tansu and self.tansu.poll() is None:
            self.tansu.terminate()
            self.tansu.wait(10)

    def start_collector(self) -> None:
        self.collector = self._spawn("collector", ["collector", "--port", str(self.collector_port)])
        wait_http(f"{self.collector_url}/healthz", 60, self.collector)

    def stop_collector(self) -> None:
        _stop(self.collector)

    def start_aggregator(self, extra_env: dict[str, str] | None = None) -> None:
        env = {**self.env, **(extra_env or {})}
        self.aggregator = self._spawn(
            "aggregator", ["aggregator", "--serve-api", str(self.api_port)], env
        )
        wait_http(f"{self.api_url}/healthz", 90, self.aggregator)

    def stop_aggregator(self) -> None:
        _stop(self.aggregator)

    def kill_aggregator(self) -> None:
        if self.aggregator and self.aggregator.poll() is None:
            self.aggregator.send_signal(signal.SIGKILL)
            self.aggregator.wait(10)

    def start(self) -> RunningStack:
        self.start_broker()
        self.start_aggregator()
        self.start_collector()
        return self

    def stop(self) -> None:
        self.stop_collector()
        self.stop_aggregator()
        self.stop_broker()

    # ---- talking to it ---------------------------------------------------------
    def post(self, path: str, body: Any, key: str = SERVER_KEY, **kw: Any) -> httpx.Response:
        return httpx.post(
            f"{self.collector_url}{path}", json=body, auth=(key, ""), timeout=30, **kw
        )

    def sql(self, query: str) -> list[list[Any]]:
        r = httpx.post(f"{self.api_url}/api/v1/sql", content=query, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()["rows"]

    def scalar(self, query: str) -> Any:
        return self.sql(query)[0][0]

    def metric(self, name: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.api_url}/api/v1/metrics/{name}", params=params, timeout=60)

    def wait_for(self, query: str, expected: Any, timeout_s: float = 60) -> Any:
        """Poll a scalar query until it equals ``expected``; returns the last value."""
        deadline = time.monotonic() + timeout_s
        value = None
        while time.monotonic() < deadline:
            value = self.scalar(query)
            if value == expected:
                return value
            time.sleep(0.3)
        return value

    def settle(self, query: str, quiet_s: float = 2.0, timeout_s: float = 60) -> Any:
        """Poll a scalar query until it stops changing for ``quiet_s``."""
        deadline = time.monotonic() + timeout_s
        last, since = self.scalar(query), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            value = self.scalar(query)
            if value != last:
                last, since = value, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                break
        return last


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
