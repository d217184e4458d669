"""The write step: the :class:`RowWriter` seam and its ClickHouse implementation.

Exactly-once counting under at-least-once delivery: before inserting, the
writer asks ClickHouse which of the batch's message ids are already stored
and inserts only the others. This covers both a batch replayed after a crash
between insert and commit, and a client retry that delivered the same
messageId twice (same anonymousId -> same partition -> same single consumer).
Insert deduplication tokens would not cover the second case, and background
merges (ReplacingMergeTree) are never relied on for counts.

Known limit: the check-then-insert is not atomic across processes. If a
rebalance hands a partition to a second aggregator while the first is still
inserting the same uncommitted batch, both may insert it. Partitions are
revoked only after the revoking consumer flushed (see the pipeline's
rebalance listener), which keeps that window to a consumer that stalls past
its session timeout mid-insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from drtroy_metrics.names import EVENTS_TABLE
from drtroy_metrics.warehouse import Warehouse

from .process import COLUMNS, message_id_of

_LOOKUP_CHUNK = 5000


class RowWriter(Protocol):
    async def write(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Store rows not stored yet; returns how many were inserted."""
        ...


def unique_rows(rows: Sequence[tuple[Any, ...]], stored: set[str]) -> list[tuple[Any, ...]]:
    """Rows whose message id is neither in ``stored`` nor earlier in ``rows``."""
    seen = set(stored)
    out = []
    for row in rows:
        mid = message_id_of(row)
        if mid not in seen:
            seen.add(mid)
            out.append(row)
    return out


class ClickHouseWriter:
    def __init__(self, warehouse: Warehouse, table: str = EVENTS_TABLE):
        self.wh = warehouse
        self.table = table

    def _stored(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[i : i + _LOOKUP_CHUNK]
            _, rows = self.wh.query(
                f"SELECT message_id FROM {self.table} WHERE message_id IN {{ids:Array(String)}}",
                {"ids": chunk},
            )
            found.update(r[0] for r in rows)
        return found

    def write_sync(self, rows: Sequence[tuple[Any, ...]]) -> int:
        ids = list({message_id_of(r) for r in rows})
        fresh = unique_rows(rows, self._stored(ids))
        if fresh:
            self.wh.insert(self.table, fresh, COLUMNS)
        return len(fresh)

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> int:
        import asyncio

        return await asyncio.to_thread(self.write_sync, rows)


class MemoryWriter:
    """Keeps rows in a list, with the same once-per-id rule (unit tests)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.fail = False

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> int:
        if self.fail:
            raise RuntimeError("writer down")
        fresh = unique_rows(rows, {message_id_of(r) for r in self.rows})
        self.rows.extend(fresh)
        return len(fresh)
