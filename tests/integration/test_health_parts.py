"""The health pieces without a broker: heartbeat records are routed to their
own table and never become events; the freshness view and pipeline_health
read the in-process warehouse (the ``wh`` fixture)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from drtroy_aggregator.pipeline import (
    HEARTBEAT_COLUMNS,
    HEARTBEAT_HEADER,
    HEARTBEAT_KIND,
    Batch,
    Pipeline,
    add_record,
    heartbeat_record,
    heartbeat_row,
    is_heartbeat,
)
from drtroy_aggregator.telemetry import HEARTBEATS_TABLE, read_freshness
from drtroy_aggregator.writer import MemoryWriter
from drtroy_dashboard.health import pipeline_health
from drtroy_schemas.example_messages import load_examples

from tests.warehouse_support import load

TP = TopicPartition("drtroy.events", 1)
HB = [(HEARTBEAT_HEADER, HEARTBEAT_KIND)]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (HB, True),
        ((("other", b"x"), (HEARTBEAT_HEADER, HEARTBEAT_KIND)), True),
        ([(HEARTBEAT_HEADER, b"event")], False),
        ([], False),
        (None, False),
    ],
)
def test_is_heartbeat_reads_the_header(headers: Any, expected: bool) -> None:
    assert is_heartbeat(headers) is expected


def test_heartbeat_record_round_trips_to_a_row() -> None:
    sent = 1_796_400_000.123
    row = heartbeat_row(heartbeat_record("host:1", sent), 3, 42)
    assert row == ("host:1", datetime.fromtimestamp(1_796_400_000.123, UTC), 3, 42)
    assert heartbeat_row(b"not json", 0, 0) is None
    assert heartbeat_row(orjson.dumps({"source": "x"}), 0, 0) is None


def test_heartbeats_go_to_their_table_and_events_to_rows() -> None:
    batch = Batch()
    ev = load_examples()["uptime_check"]
    from drtroy_collector.enrich import GeoLookup
    from drtroy_collector.ingest import Enricher, RequestFacts, collect, encode

    facts = RequestFacts(datetime.now(UTC), "server", "", "", None, {})
    value = encode(collect(ev, None, facts, Enricher(GeoLookup(), "s", frozenset())))  # type: ignore[arg-type]
    add_record(batch, TP, 10, heartbeat_record("h:1", time.time()), HB)
    add_record(batch, TP, 11, value, None)
    add_record(
        batch, TP, 12, b"garbage", HB
    )  # our own malformed heartbeat: skipped, not a dead letter
    assert len(batch.heartbeats) == 1 and len(batch.rows) == 1 and batch.dead == []
    assert batch.offsets[TP] == 13


class _Consumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)

    def assignment(self) -> set[TopicPartition]:
        return set()


class _Dlq:
    async def send_many(self, topic: str, records: list[tuple[bytes, bytes]]) -> list[bool]:
        return [True] * len(records)


def test_flush_stores_heartbeats_after_the_events_and_commits() -> None:
    order: list[str] = []
    writer = MemoryWriter()
    stored: list[tuple[Any, ...]] = []

    async def write_rows(rows: Any) -> int:
        order.append("events")
        return await MemoryWriter.write(writer, rows)

    async def write_heartbeats(rows: Any) -> None:
        order.append("heartbeats")
        stored.extend(rows)

    writer.write = write_rows  # type: ignore[method-assign]
    consumer = _Consumer()
    p = Pipeline(consumer, writer, _Dlq(), "dlq", heartbeat_writer=write_heartbeats)  # type: ignore[arg-type]
    p.batch.rows.append(("row",))
    p.batch.heartbeats.append(("h:1", datetime.now(UTC), 1, 5))
    p.batch.offsets[TP] = 6
    before = p.last_commit
    asyncio.run(p.flush())
    assert order == ["events", "heartbeats"]
    assert len(stored) == 1 and p.heartbeats_stored == 1 and p.rows_written == 1
    assert consumer.commits == [{TP: 6}] and p.last_commit >= before


def test_freshness_view_takes_the_newer_of_events_and_heartbeats(wh: Any) -> None:
    empty = read_freshness(wh)
    assert (empty.newest_at, empty.seconds()) == (None, None)
    now = datetime.now(UTC).replace(microsecond=0)
    # an event received 30 s ago
    ev = dict(load_examples()["feature_used"])
    ev.pop("sentAt", None)
    ev["timestamp"] = (now - timedelta(seconds=30)).isoformat()
    load(wh, [ev], received_at=now - timedelta(seconds=30))
    # a backfill received now about last week: outside the view's one-hour
    # event_time window (the cheap read), so it does not move freshness
    old = dict(ev, messageId="backfill-1", timestamp=(now - timedelta(days=7)).isoformat())
    load(wh, [old], received_at=now)
    got = read_freshness(wh)
    assert got.newest_event_received_at == now - timedelta(seconds=30)
    assert got.newest_heartbeat_at is None and got.newest_at == now - timedelta(seconds=30)
    assert 29 <= got.seconds() <= 40  # type: ignore[operator]
    wh.insert(HEARTBEATS_TABLE, [("h:1", now - timedelta(seconds=2), 0, 1)], HEARTBEAT_COLUMNS)
    got = read_freshness(wh)
    assert got.newest_heartbeat_at == now - timedelta(seconds=2)
    assert got.newest_at == now - timedelta(seconds=2)
    # heartbeats never reach the events table
    assert wh.query("SELECT count() FROM events")[1] == [(2,)]


def test_pipeline_health_without_and_with_a_pipeline(wh: Any) -> None:
    now = datetime.now(UTC)
    wh.insert(HEARTBEATS_TABLE, [("h:1", now - timedelta(seconds=3), 0, 1)], HEARTBEAT_COLUMNS)
    alone = pipeline_health(None, wh, collector_url="")
    assert 2.9 <= alone["freshness_seconds"] < 10
    assert (
        alone["consumer_lag"] is None
        and alone["rows_written"] is None
        and alone["collector"] is None
    )
    noted: list[Any] = []
    fake = SimpleNamespace(
        lag={1: 4, 0: 2}, last_commit=time.time() - 7, rows_written=11, dead_letters=2,
        heartbeats_stored=5, freshness=None, note_freshness=noted.append,
    )  # fmt: skip
    h = pipeline_health(fake, wh, collector_url="http://127.0.0.1:9")
    assert h["consumer_lag"] == {"0": 2, "1": 4} and h["consumer_lag_total"] == 6
    assert 7 <= h["seconds_since_last_commit"] < 15
    assert (h["rows_written"], h["dead_letters"], h["heartbeats_stored"]) == (11, 2, 5)
    assert h["collector"]["reachable"] is False and h["collector"]["error"]
    assert len(noted) == 1 and noted[0].newest_heartbeat_at is not None
