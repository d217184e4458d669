"""The pipeline's own health on the real embedded stack: heartbeats keep
freshness meaningful; a paused aggregator shows growing freshness and time
since commit, and recovers."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import RunningStack

pytestmark = pytest.mark.integration

HEARTBEAT_S = 0.5
PAUSE_S = 4.0  # well under the consumer's 10 s session timeout: no rebalance
# heartbeat interval + batch age (0.3 s) + a loaded machine
FRESH_BOUND_S = 2.0


@pytest.fixture
def health_stack(tmp_path: Path) -> Iterator[RunningStack]:
    s = RunningStack(
        tmp_path / "stack",
        partitions=2,
        extra_env={"HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S), "HEALTH_INTERVAL_S": "0.5"},
    )
    s.env["COLLECTOR_URL"] = s.collector_url
    try:
        yield s.start()
    finally:
        if s.aggregator is not None and s.aggregator.poll() is None:
            s.aggregator.send_signal(signal.SIGCONT)
        s.stop()


def _health(s: RunningStack, timeout: float = 10) -> dict[str, Any]:
    r = httpx.get(f"{s.api_url}/api/v1/health", timeout=timeout)
    assert r.status_code == 200, r.text
    return r.json()


def _wait_fresh(s: RunningStack, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    h = _health(s)
    while time.monotonic() < deadline:
        h = _health(s)
        if h["freshness_seconds"] is not None and h["freshness_seconds"] < FRESH_BOUND_S:
            return h
        time.sleep(0.2)
    raise AssertionError(f"freshness never fell below {FRESH_BOUND_S}s: {h}")


def _prom_fresh(s: RunningStack, timeout_s: float = 10) -> dict[str, float]:
    """/metrics once the freshness gauge is under the bound (it follows the
    aggregator's own reading, every 0.5 s here)."""
    deadline = time.monotonic() + timeout_s
    while True:
        prom = _prom(s)
        fresh = prom.get("aggregator_freshness_seconds", float("nan"))
        if fresh < FRESH_BOUND_S or time.monotonic() > deadline:
            return prom
        time.sleep(0.2)


def _prom(s: RunningStack) -> dict[str, float]:
    text = httpx.get(f"{s.api_url}/metrics", timeout=10).text
    out = {}
    for line in text.splitlines():
        if line.startswith("aggregator_"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_paused_aggregator_shows_growing_freshness_then_recovers(
    health_stack: RunningStack, uid: str
) -> None:
    s = health_stack
    quiet = _wait_fresh(s)  # no traffic at all: heartbeats alone keep it fresh
    assert quiet["newest_heartbeat_at"] is not None
    assert quiet["newest_event_received_at"] is None
    assert set(quiet["consumer_lag"]) == {"0", "1"}
    assert quiet["seconds_since_last_commit"] < FRESH_BOUND_S
    assert quiet["collector"]["reachable"] is True
    prom = _prom_fresh(s)
    assert prom["aggregator_freshness_seconds"] < FRESH_BOUND_S
    assert prom["aggregator_seconds_since_last_commit"] < FRESH_BOUND_S + 1
    assert {
        'aggregator_consumer_lag{partition="0"}',
        'aggregator_consumer_lag{partition="1"}',
    } <= set(prom)
    assert prom['aggregator_messages_total{outcome="heartbeat"}'] > 0

    assert s.aggregator is not None
    s.aggregator.send_signal(signal.SIGSTOP)
    paused_at = time.monotonic()
    try:
        # the collector doesn't need the aggregator: events are durable in Kafka
        events = [
            {"type": "track", "event": "Feature Used", "userId": f"{uid}-u", "messageId": f"{uid}-{i}",
             "properties": {"feature": "f"}}
            for i in range(5)
        ]  # fmt: skip
        assert s.post("/v1/batch", {"batch": events}).status_code == 200
        time.sleep(max(0.0, PAUSE_S - (time.monotonic() - paused_at)))
        # Ask before resuming: the request waits in the socket, so the first
        # answer after SIGCONT is the first thing the process does.
        first: dict[str, Any] = {}
        asker = threading.Thread(target=lambda: first.update(_health(s, timeout=30)))
        asker.start()
        time.sleep(0.3)
    finally:
        s.aggregator.send_signal(signal.SIGCONT)
    paused_for = time.monotonic() - paused_at
    asker.join(30)
    assert first, "no health answer after resuming"
    assert first["freshness_seconds"] >= PAUSE_S, first
    # (not seconds_since_last_commit: on waking, the loop may first commit
    # a batch it had fetched before the pause, whose data is no fresher)
    assert paused_for >= PAUSE_S

    after = _wait_fresh(s, timeout_s=30)
    assert after["seconds_since_last_commit"] < FRESH_BOUND_S
    # the events sent during the pause arrived, and heartbeats never count as events
    assert s.wait_for("SELECT count() FROM events", 5, timeout_s=30) == 5
    assert s.scalar(f"SELECT count() FROM events WHERE user_id = '{uid}-u'") == 5
    assert s.scalar("SELECT count() FROM pipeline_heartbeats") > 0
    assert _prom_fresh(s)["aggregator_freshness_seconds"] < FRESH_BOUND_S
