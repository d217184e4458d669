"""`drtroy-metrics up --simulate`, as the README's quick start runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.integration


def test_up_runs_the_stack_feeds_it_and_stops_every_child(tmp_path: Path) -> None:
    ports = {"kafka": free_port(), "collector": free_port(), "dashboard": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_WRITE_KEYS")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "drtroy_metrics", "up", "--simulate", "--data-dir", str(tmp_path),
         "--kafka-port", str(ports["kafka"]), "--collector-port", str(ports["collector"]),
         "--dashboard-port", str(ports["dashboard"])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ready."):
                break
        out = "".join(lines)
        assert "Ready." in out, out
        # start-up lines say where each part listens and which keys to use
        assert f"127.0.0.1:{ports['collector']}" in out and f"127.0.0.1:{ports['dashboard']}" in out
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        assert keys["server"] in out and keys["browser"] in out
        api = f"http://127.0.0.1:{ports['dashboard']}/api/v1/metrics/event_counts"
        # the simulator makes the school alive
        value = 0
        while time.monotonic() < deadline and not value:
            value = httpx.get(api, timeout=30).json()["value"]
            time.sleep(1)
        assert value > 0
        # an event of our own, sent twice, counts once
        msg = {
            "type": "track",
            "event": "Quickstart Checked",
            "userId": "readme",
            "messageId": "quickstart-1",
        }
        for _ in range(2):
            r = httpx.post(
                f"http://127.0.0.1:{ports['collector']}/v1/track",
                json=msg,
                auth=(keys["server"], ""),
                timeout=30,
            )
            assert r.status_code == 200
        count = None
        while time.monotonic() < deadline + 60:
            rows = httpx.get(api, timeout=30).json()["rows"]
            count = next((r["events"] for r in rows if r["event"] == "Quickstart Checked"), None)
            if count:
                break
            time.sleep(0.5)
        assert count == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, rest
    assert "stopped." in rest
    # every child is gone: its port is free again
    for port in ports.values():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))  # raises if a child still listens
