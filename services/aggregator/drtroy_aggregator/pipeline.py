"""The one place that orders the aggregator's steps.

poll -> decode + row (pure, :mod:`.process`) -> batch (by size or age) ->
dead letters made durable -> write (dedup + insert, :mod:`.writer`) ->
commit offset+1. Nothing is committed before it is stored, so a crash at any
point replays at most the uncommitted batch, which the writer counts once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from drtroy_schemas import DeadLetter

from . import telemetry as tm
from .process import BadMessage, decode, to_row
from .writer import RowWriter

log = logging.getLogger("drtroy.aggregator")

# Test hook: after an insert and before its commit, create this file and
# hang, so a test can SIGKILL the process at exactly that point.
HOLD_ENV = "DRTROY_AGGREGATOR_HOLD_AFTER_INSERT"


class DeadLetterSink(Protocol):
    async def send_many(self, topic: str, records: list[tuple[bytes, bytes]]) -> list[bool]: ...


@dataclass
class Batch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    dead: list[bytes] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.rows) + len(self.dead)


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


class Pipeline:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        writer: RowWriter,
        dlq: DeadLetterSink,
        dlq_topic: str,
        max_rows: int = 5000,
        max_age_s: float = 1.0,
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

    def listener(self) -> ConsumerRebalanceListener:
        pipeline = self

        class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
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
                    add_message(self.batch, tp, m.offset, m.value)
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
