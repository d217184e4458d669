"""Metric tests without Kafka: events go through the collector's validation
and enrichment and the aggregator's row building and writer, exactly as the
pipeline would, into a real chDB warehouse in this process.

chDB allows one data directory per process, so the whole test session shares
one warehouse and each test starts from empty tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drtroy_aggregator.process import to_row
from drtroy_aggregator.writer import ClickHouseWriter
from drtroy_collector.enrich import GeoLookup
from drtroy_collector.ingest import Enricher, RequestFacts, collect
from drtroy_schemas import Refusal

from drtroy_metrics.catalog import run_metric
from drtroy_metrics.names import MIGRATIONS_TABLE
from drtroy_metrics.warehouse import Warehouse

_ENRICHER = Enricher(GeoLookup(), "test-salt", frozenset({"drtroy.example"}))
TZ = "America/Chicago"


def truncate_all(wh: Warehouse) -> None:
    """Empty every table (materialized-view targets too) but the migration log."""
    _, rows = wh.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND engine NOT IN ('MaterializedView', 'View') AND NOT is_temporary"
    )
    for (name,) in rows:
        if name != MIGRATIONS_TABLE:
            wh.command(f"TRUNCATE TABLE IF EXISTS `{name}`")


def load(
    wh: Warehouse,
    messages: list[dict[str, Any]],
    key_trust: str = "server",
    received_at: dt.datetime | None = None,
    client_ip: str = "",
) -> int:
    """Validate, enrich and store messages as the pipeline would; returns rows
    inserted. Raises on a refused message (test data should be valid).

    Messages without ``sentAt`` keep their ``timestamp`` as event time."""
    facts = RequestFacts(
        received_at=received_at or dt.datetime.now(dt.UTC),
        key_trust=key_trust,  # type: ignore[arg-type]
        client_ip=client_ip,
        user_agent="",
        batch_sent_at=None,
        batch_context={},
    )
    rows = []
    for i, m in enumerate(messages):
        ev = collect(m, None, facts, _ENRICHER)
        if isinstance(ev, Refusal):
            raise ValueError(f"test message {i} refused: {ev.reason}: {m}")
        rows.append(to_row(ev, 0, i))
    return ClickHouseWriter(wh).write_sync(rows)


def ask(wh: Warehouse, metric: str, today: dt.date | None = None, **params: Any) -> dict[str, Any]:
    """The read API's answer for a metric (same code path as the HTTP handler)."""
    return run_metric(wh, metric, {k.rstrip("_"): str(v) for k, v in params.items()}, TZ, today)
