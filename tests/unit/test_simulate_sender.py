"""The sender: batching by key and IP, auth, retries, tallying the answers;
and the CLI shell in dry-run mode."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from datetime import UTC, date, datetime

import httpx
import pytest

from drtroy_metrics.simulate import cli
from drtroy_metrics.simulate.model import Call
from drtroy_metrics.simulate.sender import Batch, CollectorSender, plan_batches, send_batches, tally


def _call(i: int, kind: str = "browser", ip: str | None = "24.28.0.1") -> Call:
    return Call(
        kind,
        ip if kind == "browser" else None,  # type: ignore[arg-type]
        {
            "type": "track",
            "event": "Feature Used",
            "messageId": f"m{i}",
            "anonymousId": "a",
            "timestamp": "2026-11-10T16:00:00.000Z",
            "properties": {"feature": "x"},
        },
    )


def test_batches_hold_at_most_100_calls_of_one_key_and_ip() -> None:
    calls = [_call(i) for i in range(250)] + [_call(i, ip="24.28.0.2") for i in range(250, 260)]
    calls += [_call(i, kind="server") for i in range(260, 265)]
    batches = plan_batches(calls)
    assert sorted(len(b.messages) for b in batches) == [5, 10, 50, 100, 100]
    where = {c.message["messageId"]: (c.key_kind, c.forwarded_ip) for c in calls}
    for b in batches:
        assert {where[m["messageId"]] for m in b.messages} == {(b.key_kind, b.forwarded_ip)}
    assert sum(len(b.messages) for b in batches) == len(calls)


@pytest.mark.parametrize(
    ("status", "body", "accepted", "refused"),
    [
        (
            200,
            {
                "success": True,
                "results": [
                    {"messageId": "m0", "status": "accepted", "code": 200},
                    {"messageId": "m1", "status": "refused", "code": 400, "error": "bad"},
                ],
            },
            1,
            {"400 bad": 1},
        ),
        (200, {"success": True}, 2, {}),
        (200, {"success": False, "error": "nope"}, 0, {"nope": 2}),
        (403, {"error": "trust"}, 0, {"403 trust": 2}),
        (401, {"detail": "unknown key"}, 0, {"401 unknown key": 2}),
    ],
)
def test_tally_reads_both_answer_shapes(
    status: int, body: dict, accepted: int, refused: dict
) -> None:
    batch = Batch("browser", None, [_call(0).message, _call(1).message])
    stats = tally(batch, status, body)
    assert stats.sent == 2 and stats.accepted == accepted and dict(stats.refused) == refused


def test_sender_uses_the_keys_forwards_the_ip_and_retries_with_the_same_message_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"})
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "success": True,
                "results": [
                    {"messageId": m["messageId"], "status": "accepted", "code": 200}
                    for m in body["batch"]
                ],
            },
        )

    waits: list[float] = []

    async def no_sleep(s: float) -> None:
        waits.append(s)

    async def go() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with CollectorSender(
            "http://collector", "bk", "sk", client=client, sleep=no_sleep
        ) as sender:
            stats = await send_batches(sender, plan_batches([_call(1), _call(2)]))
            assert (stats.sent, stats.accepted, stats.retries, stats.failed) == (2, 2, 1, 0)
            stats = await send_batches(sender, plan_batches([_call(3, kind="server")]))
            assert stats.accepted == 1

    asyncio.run(go())
    assert waits and waits[0] >= 1.0  # honours Retry-After
    first, retry, server = seen
    assert first.url == "http://collector/v1/batch"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"bk:").decode()
    assert first.headers["x-forwarded-for"] == "24.28.0.1"
    ids = [[m["messageId"] for m in json.loads(r.content)["batch"]] for r in (first, retry)]
    assert ids[0] == ids[1] == ["m1", "m2"]
    assert "sentAt" in json.loads(retry.content)
    assert server.headers["authorization"] == "Basic " + base64.b64encode(b"sk:").decode()
    assert "x-forwarded-for" not in server.headers


def test_sender_gives_up_after_its_attempts_on_network_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def no_sleep(s: float) -> None:
        return None

    async def go() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with CollectorSender(
            "http://c", "bk", "sk", client=client, sleep=no_sleep, max_attempts=3
        ) as s:
            stats = await send_batches(s, plan_batches([_call(1)]))
            assert (stats.failed, stats.accepted, stats.retries) == (1, 0, 2)
            assert "gave up" in stats.summary()

    asyncio.run(go())


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_backfill_period_readings() -> None:
    now = datetime(2026, 11, 10, 18, tzinfo=UTC)
    assert cli.backfill_period(_args("--days", "3"), now) == (date(2026, 11, 8), date(2026, 11, 11))
    assert cli.backfill_period(_args("--from", "2026-10-01", "--to", "2026-11-01"), now) == (
        date(2026, 10, 1),
        date(2026, 11, 1),
    )
    assert cli.backfill_period(_args("--rate", "5"), now) is None
    with pytest.raises(ValueError):
        cli.backfill_period(_args("--days", "0"), now)


def test_dry_run_writes_json_lines_and_the_truth(tmp_path, capsys) -> None:
    out, truth = tmp_path / "calls.jsonl", tmp_path / "truth.json"
    code = cli.run(
        _args(
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--scale",
            "0.1",
            "--seed",
            "3",
            "--dry-run",
            str(out),
            "--truth",
            str(truth),
            "--no-progress",
        )
    )
    assert code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and {line["key"] for line in lines} == {"browser", "server"}
    t = json.loads(truth.read_text())
    assert t["period"] == {"from": "2026-11-02", "to": "2026-11-03", "tz": "America/Chicago"}
    assert t["event_counts"]["page"] == sum(
        1 for line in lines if line["message"]["type"] == "page"
    )


def test_sending_without_keys_is_refused(monkeypatch) -> None:
    assert cli.run(_args("--days", "1", "--browser-key", "", "--server-key", "")) == 2
