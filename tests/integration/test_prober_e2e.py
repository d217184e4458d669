"""The prober end to end: a local target that fails for a known interval,
checked through the real collector -> Kafka -> aggregator -> ClickHouse."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from drtroy_prober.config import Target
from drtroy_prober.runner import Prober
from drtroy_prober.sender import CollectorSender

from tests.support import SERVER_KEY, RunningStack

pytestmark = pytest.mark.integration

INTERVAL = 0.2
HEALTHY_S, DOWN_S, RECOVERED_S = 1.2, 1.4, 1.2
# Scheduling and delivery slack: the check's start (its event time) precedes
# its request by about a millisecond; the skew correction adds the batch's
# transit; a loaded CI machine adds some loop delay.
SLACK = 0.15


class ScriptedTarget:
    """Answers 200, then 503 during [down_from, down_until), then 200 (wall clock)."""

    def __init__(self) -> None:
        self.down_from = self.down_until = float("inf")
        self.served: list[tuple[float, int]] = []
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                now = time.time()
                status = 503 if target.down_from <= now < target.down_until else 200
                target.served.append((now, status))
                body = b"down" if status == 503 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/healthz"


@pytest.fixture
def scripted() -> Iterator[ScriptedTarget]:
    t = ScriptedTarget()
    threading.Thread(target=t.server.serve_forever, daemon=True).start()
    yield t
    t.server.shutdown()
    t.server.server_close()


class Tee:
    """Records what the prober sent, and passes it on to the collector sender."""

    def __init__(self, sender: CollectorSender):
        self.sender = sender
        self.sent: list[dict[str, Any]] = []

    def submit(self, event: dict[str, Any]) -> None:
        self.sent.append(event)
        self.sender.submit(event)


def _ts(s: str) -> float:
    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _runs_of_failures(
    checks: list[tuple[float, bool]],
) -> list[tuple[float, float, int, float | None]]:
    """(first failed, last failed, failed checks, first ok after) per run, in plain Python."""
    runs: list[tuple[float, float, int, float | None]] = []
    current: list[float] = []
    for t, ok in checks:
        if not ok:
            current.append(t)
        elif current:
            runs.append((current[0], current[-1], len(current), t))
            current = []
    if current:
        runs.append((current[0], current[-1], len(current), None))
    return runs


def test_outage_gives_one_incident_and_the_right_uptime(
    stack: RunningStack, uid: str, scripted: ScriptedTarget
) -> None:
    name = f"{uid}-site"
    target = Target(name=name, url=scripted.url, interval_s=INTERVAL, timeout_s=1.0)
    sender = CollectorSender(stack.collector_url, SERVER_KEY, backoff_base_s=0.1)
    tee = Tee(sender)
    prober = Prober([target], tee)

    async def go() -> None:
        stop, sending_stop = asyncio.Event(), asyncio.Event()
        sending = asyncio.create_task(sender.run(sending_stop, drain_s=20))
        t0 = time.time()
        scripted.down_from = t0 + HEALTHY_S
        scripted.down_until = t0 + HEALTHY_S + DOWN_S
        asyncio.get_running_loop().call_later(HEALTHY_S + DOWN_S + RECOVERED_S, stop.set)
        await prober.run(stop)
        sending_stop.set()
        await sending

    asyncio.run(go())
    down_from, down_until = scripted.down_from, scripted.down_until
    assert sender.dropped == 0 and sender.pending == 0

    # what was sent, judged independently from the target's script
    sent = sorted(((_ts(e["timestamp"]), e) for e in tee.sent), key=lambda x: x[0])
    total = len(sent)
    failed = sum(1 for _, e in sent if not e["properties"]["ok"])
    expected_total = (HEALTHY_S + DOWN_S + RECOVERED_S) / INTERVAL
    assert expected_total - 3 <= total <= expected_total + 1, total
    assert DOWN_S / INTERVAL - 2 <= failed <= DOWN_S / INTERVAL + 1, failed
    assert len(scripted.served) == total
    assert failed == sum(1 for _, status in scripted.served if status == 503)
    for t, e in sent:
        p = e["properties"]
        assert p["status_code"] == (200 if p["ok"] else 503)
        if t < down_from - SLACK or t >= down_until:
            assert p["ok"] is True, (t - down_from, p)
        elif down_from <= t < down_until - SLACK:
            assert p["ok"] is False, (t - down_from, p)

    # what was stored: every check once, as sent
    q = f"SELECT count() FROM events WHERE event = 'Uptime Check' AND target = '{name}'"
    assert stack.wait_for(q, total, timeout_s=60) == total
    rows = stack.sql(
        "SELECT message_id, toUnixTimestamp64Milli(event_time), ok, status_code, latency_ms, "
        "user_id, anonymous_id FROM events "
        f"WHERE event = 'Uptime Check' AND target = '{name}' ORDER BY event_time, message_id"
    )
    assert sorted(r[0] for r in rows) == sorted(e["messageId"] for _, e in sent)
    by_id = {e["messageId"]: e["properties"] for _, e in sent}
    for mid, _, ok, status, latency, user_id, anon in rows:
        assert (bool(ok), status) == (by_id[mid]["ok"], by_id[mid]["status_code"])
        assert latency == pytest.approx(by_id[mid]["latency_ms"], abs=0.001)
        assert (user_id, anon) == ("prober", "")
    stored_failed = sum(1 for r in rows if not r[2])
    assert stored_failed == failed

    # exactly one incident, its edges within one check interval of the outage
    checks = [(r[1] / 1000, bool(r[2])) for r in rows]
    runs = _runs_of_failures(checks)
    assert len(runs) == 1, runs
    start, end, n_failed, resolved = runs[0]
    assert n_failed == failed
    assert down_from - SLACK <= start <= down_from + INTERVAL + SLACK, start - down_from
    assert down_until - INTERVAL - SLACK <= end < down_until, end - down_until
    assert resolved is not None
    assert down_until - SLACK <= resolved <= down_until + INTERVAL + SLACK, resolved - down_until

    # the uptime metric over a period around today says the same
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    r = stack.metric(
        "uptime", **{"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=2))}
    )
    assert r.status_code == 200, r.text
    (row,) = [x for x in r.json()["rows"] if x["target"] == name]
    assert row["checks"] == total
    assert row["ok_checks"] == total - failed
    assert row["uptime"] == pytest.approx((total - failed) / total)
    (incident,) = row["incidents"]
    assert _ts(incident["start"]) == pytest.approx(start, abs=0.001)
    assert _ts(incident["end"]) == pytest.approx(end, abs=0.001)
    assert _ts(incident["resolved_at"]) == pytest.approx(resolved, abs=0.001)
    assert incident["failed_checks"] == failed


def test_cli_once_checks_each_target_and_reports_down(
    stack: RunningStack, uid: str, scripted: ScriptedTarget
) -> None:
    import argparse

    from drtroy_prober import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        [
            "--target", f"{uid}-up={scripted.url}",
            "--target", f"{uid}-down=http://127.0.0.1:9/",
            "--collector-url", stack.collector_url,
            "--write-key", SERVER_KEY,
            "--timeout", "2",
            "--once",
        ]
    )  # fmt: skip
    assert cli.run(args) == 1  # one target is down
    q = f"SELECT count() FROM events WHERE event = 'Uptime Check' AND target LIKE '{uid}-%'"
    assert stack.wait_for(q, 2) == 2
    got = dict(
        (t, (ok, status))
        for t, ok, status in stack.sql(
            "SELECT target, ok, status_code FROM events "
            f"WHERE event = 'Uptime Check' AND target LIKE '{uid}-%'"
        )
    )
    assert got == {f"{uid}-up": (1, 200), f"{uid}-down": (0, None)}
