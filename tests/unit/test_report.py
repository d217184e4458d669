"""The terminal report with a fake read API (the seam): layout and arithmetic."""

from __future__ import annotations

from typing import Any

from drtroy_metrics.report import change, render, sparkline


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([0, 7]) == "▁█"
    assert sparkline([1, 1, 1]) == "▁▁▁"
    assert sparkline([]) == ""
    assert len(sparkline([3.0, 1.0, 2.0, 5.0])) == 4


def test_change_is_relative_to_the_previous_period() -> None:
    assert change(150, 100) == "▲ 50%"
    assert change(75, 100) == "▼ 25%"
    assert change(5, 0) == "" and change(None, 3) == ""


def test_report_shows_goals_headlines_and_previous_period() -> None:
    calls: list[tuple[str, dict[str, str]]] = []

    def fetch(metric: str, params: dict[str, str]) -> dict[str, Any]:
        calls.append((metric, params))
        current = params["from"] == "2026-11-01"
        if metric == "goals":
            return {
                "rows": [
                    {
                        "goal": "monthly_net_revenue",
                        "value": 12000.0,
                        "target": 10000.0,
                        "met": True,
                    },
                    {"goal": "course_completion_rate", "value": 0.5, "target": 0.85, "met": False},
                ]
            }
        if metric == "revenue" and params.get("interval") == "day":
            return {"rows": [{"net_revenue": 10.0}, {"net_revenue": 30.0}]}
        if metric == "revenue":
            return {
                "values": {
                    "revenue": 200.0 if current else 100.0,
                    "orders": 4,
                    "refunds": 0.0,
                    "net_revenue": 200.0,
                }
            }
        if metric == "nps":
            raise RuntimeError("nps is down")
        return {"values": {}}

    text = render(("2026-11-01", "2026-12-01"), "America/Chicago", fetch)
    assert "✓ monthly_net_revenue" in text and "$12,000.00" in text
    assert "✗ course_completion_rate" in text and "85.0%" in text
    line = next(ln for ln in text.splitlines() if "gross revenue" in ln)
    assert "$200.00" in line and "$100.00" in line and "▲ 100%" in line
    assert "Daily net revenue  ▁█" in text
    # the previous period is the 30 days before
    assert ("revenue", {"from": "2026-10-02", "to": "2026-11-01"}) in calls
    assert "NPS" in text  # a failing metric leaves a dash, not a crash
