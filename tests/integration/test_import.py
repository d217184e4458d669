"""`drtroy-metrics import` through the real pipeline, twice: counted once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import SERVER_KEY, RunningStack

pytestmark = pytest.mark.integration


def test_import_twice_counts_each_order_once(stack: RunningStack, uid: str, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    lines = ["order_id,user_id,timestamp,revenue,course_id,price"]
    for i in range(30):
        lines.append(
            f"{uid}-o{i},{uid}-u{i % 4},2025-0{1 + i % 9}-15T12:00:00Z,{10 + i}.25,c{i % 3},{10 + i}.25"
        )
    path.write_text("\n".join(lines) + "\n")
    cmd = [
        sys.executable,
        "-m",
        "drtroy_metrics",
        "import",
        "orders",
        str(path),
        "--collector-url",
        stack.collector_url,
        "--server-key",
        SERVER_KEY,
    ]
    for _ in range(2):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "accepted 30, refused 0" in done.stdout
    q = f"SELECT count() FROM events WHERE order_id LIKE '{uid}-o%'"
    assert stack.wait_for(q, 30) == 30
    assert stack.settle(q) == 30
    expected = sum(round(10 + i + 0.25, 2) for i in range(30))
    assert float(
        stack.scalar(f"SELECT sum(revenue) FROM events WHERE order_id LIKE '{uid}-o%'")
    ) == pytest.approx(expected, abs=1e-9)
