"""The wheel (Docker images install it) must hold every package and data file,
not only what an editable install happens to find."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_python_package_is_listed_for_the_wheel() -> None:
    listed = set(CONFIG["packages"])
    found = set()
    for top, folder in CONFIG["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join((top, *rel.parts)) if rel.parts else top)
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_sql_and_static_files_are_package_data() -> None:
    data = CONFIG["package-data"]
    assert {"migrations/*.sql", "queries/*.sql"} <= set(data["drtroy_sql"])
    assert (ROOT / "clickhouse" / "queries" / "revenue.sql").exists()
    for pkg in ("drtroy_collector", "drtroy_dashboard"):
        assert "static/*" in data[pkg]
