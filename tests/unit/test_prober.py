"""The prober's pure parts and its delivery rules, without a network."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from drtroy_prober import cli
from drtroy_prober.check import CheckResult, check_event, judge
from drtroy_prober.config import ConfigError, Target, load_env, load_file, merge, parse_targets
from drtroy_prober.runner import next_due
from drtroy_prober.sender import CollectorSender, retry_delay
from drtroy_schemas import registry  # noqa: F401  (the tracking plan must import)

T = Target(name="site", url="http://127.0.0.1:1/", expect_status=[200, 204], body_contains="hello")


@pytest.mark.parametrize(
    ("status", "body", "failure", "ok", "error"),
    [
        (200, "say hello world", None, True, None),
        (204, "hello", None, True, None),
        (503, "hello", None, False, "status 503, expected 200/204"),
        (200, "bye", None, False, "body does not contain 'hello'"),
        (None, None, "timeout after 2s", False, "timeout after 2s"),
        (None, None, None, False, "no response"),
    ],
)
def test_judge_decides_ok_and_reason(
    status: int | None, body: str | None, failure: str | None, ok: bool, error: str | None
) -> None:
    assert judge(T, status, body, failure) == (ok, error)


def test_check_event_is_a_valid_uptime_check_from_the_prober() -> None:
    from drtroy_schemas.events import UptimeCheck

    started = datetime(2026, 11, 3, 19, 20, 1, 120000, tzinfo=UTC)
    ev = check_event(
        CheckResult(T, started, False, 503, 12.3456, "status 503, expected 200/204"), "m-1"
    )
    assert ev["type"] == "track" and ev["event"] == "Uptime Check"
    assert ev["userId"] == "prober" and "anonymousId" not in ev
    assert ev["messageId"] == "m-1"
    assert ev["timestamp"] == "2026-11-03T19:20:01.120Z"
    assert ev["properties"] == {
        "target": "site", "url": "http://127.0.0.1:1/", "ok": False, "status_code": 503,
        "latency_ms": 12.346, "error": "status 503, expected 200/204",
    }  # fmt: skip
    UptimeCheck.model_validate(ev["properties"])
    # each check gets its own id when none is given
    a = check_event(CheckResult(T, started, True, 200, 1.0, None))
    b = check_event(CheckResult(T, started, True, 200, 1.0, None))
    assert a["messageId"] != b["messageId"]


def test_targets_from_json_toml_env_and_flags_merge_by_name(tmp_path: Path) -> None:
    j = tmp_path / "t.json"
    j.write_text(json.dumps({"interval_s": 7, "targets": [
        {"name": "a", "url": "https://a.example/", "expect_status": 204, "timeout_s": 2},
        {"name": "b", "url": "https://b.example/", "method": "head"},
    ]}))  # fmt: skip
    t = tmp_path / "t.toml"
    t.write_text(
        'timeout_s = 3\n[[targets]]\nname = "c"\nurl = "http://c.example/h"\nbody_contains = "ok"\n'
    )
    got = {x.name: x for x in load_file(j)}
    assert got["a"].expect_status == (204,) and got["a"].interval_s == 7 and got["a"].timeout_s == 2
    assert got["b"].method == "HEAD" and got["b"].expect_status == (200,)
    (c,) = load_file(t)
    assert (c.name, c.timeout_s, c.body_contains, c.interval_s) == ("c", 3, "ok", 30)
    env = load_env("b=http://b2.example/,d=http://d.example/", {"interval_s": 1})
    assert [(x.name, x.url, x.interval_s) for x in env] == [
        ("b", "http://b2.example/", 1),
        ("d", "http://d.example/", 1),
    ]
    assert load_env('[{"name": "e", "url": "http://e.example/"}]')[0].name == "e"
    merged = merge(load_file(j), env)
    assert [x.name for x in merged] == ["a", "b", "d"]
    assert next(x for x in merged if x.name == "b").url == "http://b2.example/"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([{"name": "x", "url": "ftp://x"}], r"target 0 \(x\): url"),
        ([{"name": "", "url": "http://x"}], "name"),
        ([{"name": "x", "url": "http://x", "expect_status": 999}], "expect_status"),
        ([{"name": "x", "url": "http://x", "timeout_s": 0}], "timeout_s"),
        ([{"name": "x", "url": "http://x", "method": "DELETE"}], "method"),
        ([{"name": "x", "url": "http://x", "typo": 1}], "typo"),
        ({"targets": "nope"}, "must be a list"),
    ],
)
def test_bad_targets_are_refused_with_the_field(data: Any, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_targets(data)


def test_cli_reads_targets_and_the_first_server_key(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        ["--target", "x=http://x.example/", "--interval", "0.5", "--timeout", "0.2"]
    )
    env = {"PROBE_TARGETS": "y=http://y.example/", "SERVER_WRITE_KEYS": " k1 , k2"}
    ts = cli.targets_from(args, env)
    assert [(t.name, t.interval_s, t.timeout_s) for t in ts] == [("y", 0.5, 0.2), ("x", 0.5, 0.2)]
    assert cli.write_key_from(args, env) == "k1"
    assert cli.run(parser.parse_args(["--target", "broken"])) == 2


@pytest.mark.parametrize(
    ("due", "interval", "now", "expected"),
    [
        (10.0, 1.0, 10.2, 11.0),  # on time: the next slot
        (10.0, 1.0, 11.5, 12.0),  # overran one slot: skip it, no burst
        (10.0, 0.5, 13.1, 13.5),
        (10.0, 1.0, 11.0, 11.0),
    ],
)
def test_next_due_skips_missed_slots(
    due: float, interval: float, now: float, expected: float
) -> None:
    assert next_due(due, interval, now) == pytest.approx(expected)


def test_retry_delay_honours_retry_after_and_backs_off() -> None:
    assert retry_delay(1, "3", 0.5, 30) == 3
    assert retry_delay(1, "999", 0.5, 30) == 30
    for attempt, hi in ((1, 0.5), (2, 1.0), (3, 2.0), (10, 30.0)):
        d = retry_delay(attempt, None, 0.5, 30)
        assert hi / 2 <= d <= hi


class FakeCollector:
    """Answers a scripted list of statuses, then 200; records every request."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append({"auth": request.headers.get("authorization"), "body": body})
        status = self.statuses.pop(0) if self.statuses else 200
        headers = {"Retry-After": "0"} if status in (429, 503) else {}
        results = [{"messageId": e["messageId"], "status": "accepted"} for e in body["batch"]]
        return httpx.Response(status, json={"results": results}, headers=headers)


async def _deliver(fake: FakeCollector, events: list[dict[str, Any]]) -> CollectorSender:
    sender = CollectorSender("http://collector.test/", "srv-key", backoff_base_s=0.01,
                             transport=httpx.MockTransport(fake))  # fmt: skip
    for e in events:
        sender.submit(e)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    for _ in range(200):
        if not sender.pending and fake.requests and (sender.sent + sender.dropped) == len(events):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    return sender


def test_retries_on_429_and_503_keep_the_message_ids() -> None:
    events = [{"type": "track", "event": "Uptime Check", "messageId": f"m{i}"} for i in range(3)]
    fake = FakeCollector([429, 503])
    sender = asyncio.run(_deliver(fake, events))
    assert sender.sent == 3 and sender.dropped == 0
    assert len(fake.requests) == 3
    ids = [[e["messageId"] for e in r["body"]["batch"]] for r in fake.requests]
    assert ids == [["m0", "m1", "m2"]] * 3
    import base64

    assert fake.requests[0]["auth"] == "Basic " + base64.b64encode(b"srv-key:").decode()
    assert all("sentAt" in r["body"] for r in fake.requests)


def test_a_refused_batch_is_dropped_not_retried() -> None:
    fake = FakeCollector([401])
    sender = asyncio.run(_deliver(fake, [{"messageId": "m"}]))
    assert (sender.sent, sender.dropped, len(fake.requests)) == (0, 1, 1)
