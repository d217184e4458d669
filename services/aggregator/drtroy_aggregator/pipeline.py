"""The one place that orders the aggregator's steps.

poll -> decode + row (pure, :mod:`.process`) -> batch (by size or age) ->
dead letters made durable -> write (dedup + insert, :mod:`.writer`) ->
commit offset+1. Nothing is committed before it is stored, so a crash at any
point replays at most the uncommitted batch, which the writer counts once.

The pipeline's own health rides the same path: heartbeat records (marked by
a Kafka header, never events) are produced to every partition by
:func:`emit_heartbeats`, batched like rows and stored in
``pipeline_heartbeats`` after the batch's events; :func:`watch_health` reads
freshness back from ClickHouse and refreshes the lag every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from drtroy_schemas import DeadLetter

from . import telemetry as tm
from .process import BadMessage, decode, to_row
from .writer import RowWriter

log = logging.getLogger("drtroy.aggregator")

# Test hook: after an insert and before its commit, create this file and
# hang, so a test can SIGKILL the process at exactly that point.
HOLD_ENV = "DRTROY_AGGREGATOR_HOLD_AFTER_INSERT"

# A record with this header is a heartbeat, not an event. A header rather
# than a payload field: the check costs nothing per event and the collector's
# event schema stays untouched.
HEARTBEAT_HEADER = "drtroy-record"
HEARTBEAT_KIND = b"heartbeat"
HEARTBEAT_COLUMNS = ("source", "sent_at", "_partition", "_offset")

HeartbeatWriter = Callable[[Sequence[tuple[Any, ...]]], Awaitable[None]]


class DeadLetterSink(Protocol):
    async def send_many(self, topic: str, records: list[tuple[bytes, bytes]]) -> list[bool]: ...


@dataclass
class Batch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    dead: list[bytes] = field(default_factory=list)
    heartbeats: list[tuple[Any, ...]] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.rows) + len(self.dead) + len(self.heartbeats)


def dead_letter(topic: str, partition: int, offset: int, value: bytes | None, reason: str) -> bytes:
    letter = DeadLetter(
        stage="aggregator",
        reason=reason,
        received_at=datetime.now(UTC),
        topic=topic,
        partition=partition,
        offset=offset,
        payload=(value or b"").decode("utf-8", errors="replace")[:100_000],
    )
    return orjson.dumps(letter.model_dump(mode="json"))


def add_message(batch: Batch, tp: TopicPartition, offset: int, value: bytes | None) -> None:
    """Decode one message into the batch (a row or a dead letter)."""
    try:
        batch.rows.append(to_row(decode(value), tp.partition, offset))
        tm.CONSUMED.labels("row").inc()
    except BadMessage as e:
        log.warning("dead letter %s[%d]@%d: %s", tp.topic, tp.partition, offset, e)
        batch.dead.append(dead_letter(tp.topic, tp.partition, offset, value, str(e)))
        tm.CONSUMED.labels("dead_letter").inc()
    batch.offsets[tp] = offset + 1


def heartbeat_record(source: str, sent_at: float) -> bytes:
    """The value of one heartbeat record (``sent_at``: Unix seconds)."""
    return orjson.dumps({"source": source, "sent_at_ms": int(sent_at * 1000)})


def is_heartbeat(headers: Sequence[tuple[str, bytes]] | None) -> bool:
    return bool(headers) and any(
        k == HEARTBEAT_HEADER and v == HEARTBEAT_KIND for k, v in headers or ()
    )


def heartbeat_row(value: bytes | None, partition: int, offset: int) -> tuple[Any, ...] | None:
    """The ``pipeline_heartbeats`` row of a heartbeat record (None if unreadable)."""
    try:
        data = orjson.loads(value or b"")
        sent_at = datetime.fromtimestamp(int(data["sent_at_ms"]) / 1000, UTC)
        return (str(data.get("source", ""))[:200], sent_at, partition, offset)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
        return None


def add_record(
    batch: Batch, tp: TopicPartition, offset: int, value: bytes | None, headers: Any = None
) -> None:
    """Route one consumed record: a heartbeat to its table, anything else to
    :func:`add_message`."""
    if is_heartbeat(headers):
        row = heartbeat_row(value, tp.partition, offset)
        if row is None:
            # our own record, malformed: nothing a dead letter would help with
            log.warning("unreadable heartbeat %s[%d]@%d skipped", tp.topic, tp.partition, offset)
        else:
            batch.heartbeats.append(row)
        tm.CONSUMED.labels("heartbeat").inc()
        batch.offsets[tp] = offset + 1
        return
    add_message(batch, tp, offset, value)


class Pipeline:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        writer: RowWriter,
        dlq: DeadLetterSink,
        dlq_topic: str,
        max_rows: int = 5000,
        max_age_s: float = 1.0,
        heartbeat_writer: HeartbeatWriter | None = None,
    ):
        self.consumer = consumer
        self.writer = writer
        self.dlq = dlq
        self.dlq_topic = dlq_topic
        self.max_rows = max_rows
        self.max_age_s = max_age_s
        self.batch = Batch()
        self._flush_lock = asyncio.Lock()
        self.last_commit = time.time()
        self.rows_written = 0
        self.positions: dict[TopicPartition, int] = {}
        self.lag: dict[int, int] = {}
        self.heartbeat_writer = heartbeat_writer
        # health figures of this run (see drtroy_dashboard.health)
        self.dead_letters = 0
        self.heartbeats_stored = 0
        self.newest_visible: float | None = None  # Unix time, from ClickHouse
        self.freshness: tm.Freshness | None = None
        tm.bind(self)

    def listener(self) -> ConsumerRebalanceListener:
        pipeline = self

        class _Listener(ConsumerRebalanceListener):
            async def on_partitions_revoked(self, revoked: Any) -> None:
                await pipeline.flush()

            async def on_partitions_assigned(self, assigned: Any) -> None:
                log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))

        return _Listener()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            records = await self.consumer.getmany(timeout_ms=200, max_records=self.max_rows)
            for tp, messages in records.items():
                for m in messages:
                    add_record(self.batch, tp, m.offset, m.value, m.headers)
            self._update_lag(records)
            if len(self.batch) >= self.max_rows or (
                len(self.batch) and time.monotonic() - self.batch.started >= self.max_age_s
            ):
                await self.flush(stop)
        await self.flush()

    async def flush(self, stop: asyncio.Event | None = None) -> None:
        """Store the batch and commit its offsets; retries until it succeeds
        (or the process is stopping, in which case nothing is committed)."""
        async with self._flush_lock:
            batch = self.batch
            if not batch.offsets:
                batch.started = time.monotonic()
                return
            delay = 0.5
            had_rows = bool(batch.rows)
            while True:
                try:
                    await self._store(batch)
                    break
                except Exception as e:
                    if stop is not None and stop.is_set():
                        log.error("giving up a batch on shutdown (it will be replayed): %r", e)
                        return
                    log.error("batch of %d not stored, retrying in %.1fs: %r", len(batch), delay, e)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
            if had_rows:
                await self._hold_for_test()
            await self.consumer.commit(dict(batch.offsets))
            self.last_commit = time.time()
            tm.LAST_COMMIT.set(self.last_commit)
            self.batch = Batch()

    async def _store(self, batch: Batch) -> None:
        if batch.dead:
            flags = await self.dlq.send_many(self.dlq_topic, [(b"", v) for v in batch.dead])
            if not all(flags):
                raise RuntimeError("dead-letter topic not writable")
            tm.DEAD_LETTERS.inc(len(batch.dead))
            self.dead_letters += len(batch.dead)
            batch.dead = []
        if batch.rows:
            started = time.perf_counter()
            inserted = await self.writer.write(batch.rows)
            tm.INSERT_SECONDS.observe(time.perf_counter() - started)
            tm.BATCH_ROWS.observe(len(batch.rows))
            tm.INSERTED.inc(inserted)
            tm.DUPLICATES.inc(len(batch.rows) - inserted)
            self.rows_written += inserted
            batch.rows = []
        # after the events: a visible heartbeat vouches for what came before it
        if batch.heartbeats:
            if self.heartbeat_writer is not None:
                await self.heartbeat_writer(batch.heartbeats)
                tm.HEARTBEATS_STORED.inc(len(batch.heartbeats))
                self.heartbeats_stored += len(batch.heartbeats)
            batch.heartbeats = []

    async def _hold_for_test(self) -> None:
        marker = os.environ.get(HOLD_ENV)
        if marker:
            with open(marker, "w") as f:
                f.write(str(os.getpid()))
            log.warning("%s set: holding after insert, before commit", HOLD_ENV)
            await asyncio.Event().wait()

    def _update_lag(self, records: dict[TopicPartition, list[Any]]) -> None:
        for tp, messages in records.items():
            if messages:
                self.positions[tp] = messages[-1].offset + 1
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None and tp in self.positions:
                self.lag[tp.partition] = max(0, high - self.positions[tp])
                tm.LAG.labels(str(tp.partition)).set(self.lag[tp.partition])

    async def refresh_lag(self) -> None:
        """Lag from the brokers' log end offsets, not only from fetch answers:
        when the poll loop is stuck (ClickHouse down, a hung insert) nothing
        is fetched, yet heartbeats keep arriving, and the lag must show it."""
        assigned = list(self.consumer.assignment())
        if not assigned:
            return
        ends = await self.consumer.end_offsets(assigned)
        for tp, end in ends.items():
            pos = self.positions.get(tp)
            if pos is None:
                try:
                    pos = await asyncio.wait_for(self.consumer.position(tp), 1.0)
                except Exception:
                    continue
            self.lag[tp.partition] = max(0, end - pos)
            tm.LAG.labels(str(tp.partition)).set(self.lag[tp.partition])

    def note_freshness(self, fresh: tm.Freshness) -> None:
        self.freshness = fresh
        if fresh.newest_at is not None:
            self.newest_visible = fresh.newest_at.timestamp()
            tm.NEWEST_VISIBLE.set(self.newest_visible)


def heartbeat_source() -> str:
    """Who sends a heartbeat: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def emit_heartbeats(
    producer: AIOKafkaProducer, topic: str, interval_s: float, stop: asyncio.Event
) -> None:
    """Every ``interval_s``, one heartbeat record to each partition of ``topic``.

    Runs beside the poll loop, so a consumer that stops making progress
    leaves heartbeats piling up behind it (growing lag) while the newest
    stored one ages (growing freshness). Failures are logged and retried on
    the next tick: a heartbeat is worth nothing late.
    """
    source = heartbeat_source()
    headers = [(HEARTBEAT_HEADER, HEARTBEAT_KIND)]
    failing = False
    while not stop.is_set():
        try:
            partitions = sorted(await producer.partitions_for(topic))
            value = heartbeat_record(source, time.time())
            futures = [
                await producer.send(topic, value=value, partition=p, headers=headers)
                for p in partitions
            ]
            await asyncio.wait_for(asyncio.gather(*futures), max(interval_s, 5.0))
            tm.HEARTBEATS_SENT.inc(len(partitions))
            if failing:
                log.info("heartbeats flowing again")
            failing = False
        except Exception as e:
            if not failing:
                log.warning("heartbeat not produced (%r); retrying every %.1fs", e, interval_s)
            failing = True
        await _wait(stop, interval_s)


async def watch_health(
    pipeline: Pipeline, read: Callable[[], tm.Freshness], interval_s: float, stop: asyncio.Event
) -> None:
    """Every ``interval_s``: freshness from ClickHouse (``read`` runs in a
    thread) and lag from the log end offsets, into the pipeline and gauges."""
    while not stop.is_set():
        try:
            pipeline.note_freshness(await asyncio.to_thread(read))
        except Exception as e:
            log.warning("freshness not read: %r", e)
        try:
            await asyncio.wait_for(pipeline.refresh_lag(), max(interval_s, 2.0))
        except Exception as e:
            log.debug("lag not refreshed: %r", e)
        await _wait(stop, interval_s)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
