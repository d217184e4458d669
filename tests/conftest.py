"""Shared fixtures. ``stack`` is one real embedded stack per test session
(Tansu + collector + aggregator/read API on chDB); tests keep apart by using
their own ids. Tests that stop or kill parts use ``fresh_stack``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import RunningStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    s = RunningStack(tmp_path_factory.mktemp("stack"))
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[RunningStack]:
    s = RunningStack(tmp_path / "stack")
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture
def uid() -> str:
    """A short unique prefix for the ids a test sends."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def _warehouse(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from drtroy_metrics.warehouse import Warehouse, migrate

    wh = Warehouse.open(f"chdb://{tmp_path_factory.mktemp('chdb')}")
    migrate(wh)
    yield wh


@pytest.fixture
def wh(_warehouse):  # type: ignore[no-untyped-def]
    """The in-process chDB warehouse, migrated, with every table emptied."""
    from tests.warehouse_support import truncate_all

    truncate_all(_warehouse)
    return _warehouse
