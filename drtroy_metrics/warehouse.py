"""The ClickHouse side: connecting (chDB embedded or a server), migrations,
and the metric query files.

chDB lets one process own a data directory, and its client is not meant to
be shared across threads without care: :class:`Warehouse` serialises calls
with a lock and runs them off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from .names import MIGRATIONS_TABLE

log = logging.getLogger(__name__)


def connect(dsn: str) -> Client:
    """A clickhouse-connect client for ``chdb:///path`` or an HTTP DSN."""
    if dsn.startswith("chdb://"):
        path = Path(dsn.removeprefix("chdb://"))
        path.mkdir(parents=True, exist_ok=True)
        try:
            return clickhouse_connect.get_client(dsn=f"chdb://{path}")
        except Exception as e:  # chDB says little; say what to do
            raise RuntimeError(
                f"could not open the embedded ClickHouse at {path}: {e}. "
                "Only one process may open a chDB data directory: stop the other "
                "drtroy-metrics process using it, or pass another --data-dir."
            ) from e
    return clickhouse_connect.get_client(dsn=dsn)


class Warehouse:
    """A ClickHouse client shared by the aggregator and the read API."""

    def __init__(self, client: Client):
        self.client = client
        self._lock = threading.Lock()

    @classmethod
    def open(cls, dsn: str) -> Warehouse:
        return cls(connect(dsn))

    def query(
        self, sql: str, parameters: dict[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self._lock:
            r = self.client.query(sql, parameters=parameters or {})
            return list(r.column_names), [tuple(row) for row in r.result_rows]

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        with self._lock:
            return self.client.command(sql, parameters=parameters or None)

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        with self._lock:
            self.client.insert(table, rows, column_names=list(columns))

    async def ainsert(
        self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]
    ) -> None:
        await asyncio.to_thread(self.insert, table, rows, columns)

    def close(self) -> None:
        with self._lock:
            self.client.close()


# ---- SQL files -------------------------------------------------------------


def _sql_root() -> Any:
    return resources.files("drtroy_sql")


def load_query(name: str) -> str:
    """The text of ``clickhouse/queries/{name}.sql``."""
    return (_sql_root() / "queries" / f"{name}.sql").read_text()


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    def statements(self) -> list[str]:
        """Statements separated by a line that ends with ';'."""
        parts, cur = [], []
        for line in self.sql.splitlines():
            cur.append(line)
            if line.rstrip().endswith(";"):
                parts.append("\n".join(cur).strip().rstrip(";"))
                cur = []
        tail = "\n".join(cur).strip()
        if tail and not all(ln.strip().startswith("--") or not ln.strip() for ln in cur):
            parts.append(tail)
        return [p for p in parts if _has_code(p)]


def _has_code(sql: str) -> bool:
    return any(ln.strip() and not ln.strip().startswith("--") for ln in sql.splitlines())


def migrations() -> list[Migration]:
    """The numbered migrations ``NNNN_verb_object.sql`` in order."""
    out = []
    for f in (_sql_root() / "migrations").iterdir():
        if f.name.endswith(".sql"):
            version = int(f.name.split("_", 1)[0])
            out.append(Migration(version, f.name.removesuffix(".sql"), f.read_text()))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return out


def migrate(wh: Warehouse) -> list[str]:
    """Apply the migrations not yet recorded; idempotent. Returns the names applied."""
    wh.command(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
        " version UInt32, name String, checksum String,"
        " applied_at DateTime64(3, 'UTC') DEFAULT now64(3))"
        " ENGINE = MergeTree ORDER BY version"
    )
    _, rows = wh.query(f"SELECT version, checksum FROM {MIGRATIONS_TABLE}")
    done = {int(v): c for v, c in rows}
    applied = []
    for m in migrations():
        if m.version in done:
            if done[m.version] != m.checksum:
                log.warning("migration %s changed after it was applied; not re-run", m.name)
            continue
        for stmt in m.statements():
            wh.command(stmt)
        wh.insert(
            MIGRATIONS_TABLE, [(m.version, m.name, m.checksum)], ["version", "name", "checksum"]
        )
        applied.append(m.name)
        log.info("applied migration %s", m.name)
    return applied
