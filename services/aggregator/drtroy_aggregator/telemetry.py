"""The aggregator's Prometheus metrics, and the freshness reading they share
with the read API's ``/api/v1/health``.

Freshness is now minus the newest data visible in ClickHouse (the
``pipeline_freshness`` view: the later of the newest event's ``received_at``
and the newest stored heartbeat). ``received_at`` rather than ``event_time``:
event time is the client's (skew-corrected) clock and may be days old for a
backfill, while received_at is when the collector took the event, so "now
minus it" is the delay of the pipeline itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from drtroy_metrics.warehouse import Warehouse

CONSUMED = Counter("aggregator_messages_total", "Messages consumed", ["outcome"])
INSERTED = Counter("aggregator_rows_inserted_total", "Rows inserted into ClickHouse (after dedup)")
DUPLICATES = Counter(
    "aggregator_duplicates_total", "Rows dropped because their messageId was already stored"
)
DEAD_LETTERS = Counter("aggregator_dead_letters_total", "Messages sent to the dead-letter topic")
BATCH_ROWS = Histogram(
    "aggregator_batch_rows",
    "Rows per flushed batch",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 20000),
)
INSERT_SECONDS = Histogram(
    "aggregator_insert_seconds",
    "Time of one dedup+insert",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LAG = Gauge("aggregator_consumer_lag", "Messages behind the log end, per partition", ["partition"])
LAST_COMMIT = Gauge(
    "aggregator_last_commit_timestamp_seconds", "Unix time of the last offset commit"
)
SINCE_COMMIT = Gauge(
    "aggregator_seconds_since_last_commit", "Seconds since the last offset commit (or since start)"
)
FRESHNESS = Gauge(
    "aggregator_freshness_seconds",
    "Now minus the newest data visible in ClickHouse (newest event received_at or heartbeat)",
)
NEWEST_VISIBLE = Gauge(
    "aggregator_newest_visible_timestamp_seconds",
    "Unix time of the newest data visible in ClickHouse",
)
HEARTBEATS_SENT = Counter(
    "aggregator_heartbeats_sent_total", "Heartbeat records produced to the events topic"
)
HEARTBEATS_STORED = Counter(
    "aggregator_heartbeats_stored_total", "Heartbeat records stored in pipeline_heartbeats"
)

FRESHNESS_VIEW = "pipeline_freshness"
HEARTBEATS_TABLE = "pipeline_heartbeats"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Freshness:
    """The newest data visible in ClickHouse (None: nothing yet)."""

    newest_event_received_at: datetime | None
    newest_heartbeat_at: datetime | None
    newest_at: datetime | None
    checked_at: datetime

    def seconds(self, now: datetime | None = None) -> float | None:
        """Freshness: ``now`` minus the newest visible time, in seconds."""
        if self.newest_at is None:
            return None
        return ((now or datetime.now(UTC)) - self.newest_at).total_seconds()


def _utc(v: Any) -> datetime | None:
    if not isinstance(v, datetime):
        return None
    v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return None if v <= _EPOCH else v


def read_freshness(wh: Warehouse) -> Freshness:
    """One cheap query of the ``pipeline_freshness`` view."""
    _, rows = wh.query(
        f"SELECT newest_event_received_at, newest_heartbeat_at, newest_at FROM {FRESHNESS_VIEW}"
    )
    ev, hb, newest = rows[0] if rows else (None, None, None)
    return Freshness(_utc(ev), _utc(hb), _utc(newest), datetime.now(UTC))


def bind(pipeline: Any) -> None:
    """Make the time-based gauges read a pipeline's state when scraped, so
    they keep growing between updates (a stalled loop can't freeze them)."""
    SINCE_COMMIT.set_function(lambda: time.time() - pipeline.last_commit)

    def freshness() -> float:
        newest = pipeline.newest_visible
        return float("nan") if newest is None else time.time() - newest

    FRESHNESS.set_function(freshness)
