"""``drtroy-metrics report``: the goals and headline metrics of a period in
the terminal.

It asks the read API (the same query files as the dashboard, so the same
numbers); with ``--direct`` it runs the catalog against ClickHouse itself
(production servers, or an embedded data directory no process holds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx

Fetch = Callable[[str, dict[str, str]], dict[str, Any]]

# (metric, key in values, label, format)
HEADLINES: list[tuple[str, str, str, str]] = [
    ("revenue", "revenue", "gross revenue", "money"),
    ("revenue", "refunds", "refunds", "money"),
    ("revenue", "net_revenue", "net revenue", "money"),
    ("revenue", "orders", "orders", "int"),
    ("aov", "aov", "average order value", "money"),
    ("customers", "customers", "customers", "int"),
    ("customers", "new_customers", "new customers", "int"),
    ("customers", "returning_customers", "returning customers", "int"),
    ("conversion_rate", "conversion_rate", "conversion rate", "pct"),
    ("refund_rate", "refund_rate", "refund rate", "pct"),
    ("cac", "cac", "customer acquisition cost", "money"),
    ("traffic", "visitors", "visitors", "int"),
    ("traffic", "sessions", "sessions", "int"),
    ("traffic", "page_views", "page views", "int"),
    ("course_completion", "completion_rate", "course completion rate", "pct"),
    ("nps", "nps", "NPS", "num"),
    ("uptime", "uptime", "uptime", "pct"),
]

SPARK = "▁▂▃▄▅▆▇█"


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"${value:,.2f}"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    return f"{value:,.1f}"


def goal_format(goal: str) -> str:
    if "revenue" in goal:
        return "money"
    if goal.endswith("_rate"):
        return "pct"
    if goal.startswith("active") or goal.endswith("_users"):
        return "int"
    return "num"


def sparkline(values: list[float]) -> str:
    """One character per value, scaled between the series' min and max."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARK[0] * len(values)
    return "".join(
        SPARK[min(len(SPARK) - 1, int((v - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5))]
        for v in values
    )


def change(now: Any, before: Any) -> str:
    if not isinstance(now, int | float) or not isinstance(before, int | float) or before == 0:
        return ""
    pct = 100 * (now - before) / abs(before)
    return f"{'▲' if pct >= 0 else '▼'} {abs(pct):.0f}%"


def render(period: tuple[str, str], tz: str, fetch: Fetch) -> str:
    """The report's text for [from, to), with the change vs the period before."""
    frm, to = period
    days = (dt.date.fromisoformat(to) - dt.date.fromisoformat(frm)).days
    prev = ((dt.date.fromisoformat(frm) - dt.timedelta(days=days)).isoformat(), frm)
    cache: dict[tuple[str, str, str], dict[str, Any]] = {}

    def get(metric: str, p: tuple[str, str], **extra: str) -> dict[str, Any]:
        key = (metric, p[0], repr(sorted(extra.items())))
        if key not in cache:
            try:
                cache[key] = fetch(metric, {"from": p[0], "to": p[1], **extra})
            except Exception as e:  # one missing metric must not sink the report
                cache[key] = {"error": str(e)}
        return cache[key]

    out = [f"drtroy-metrics report  {frm} .. {to} (exclusive, {tz})", ""]
    goals = get("goals", period)
    out.append("Goals")
    for row in goals.get("rows", []):
        mark = "✓" if row.get("met") else "✗"
        kind = goal_format(str(row.get("goal", "")))
        value, target = fmt(row.get("value"), kind), fmt(row.get("target"), kind)
        out.append(f"  {mark} {row.get('goal', ''):<26}{value:>14}   target {target}")
    if "error" in goals:
        out.append(f"  (goals unavailable: {goals['error']})")
    out += ["", f"{'Headlines':<30}{'this period':>16}{'previous':>16}  change"]
    for metric, key, label, kind in HEADLINES:
        now = get(metric, period).get("values", {}).get(key)
        before = get(metric, prev).get("values", {}).get(key)
        out.append(
            f"  {label:<28}{fmt(now, kind):>16}{fmt(before, kind):>16}  {change(now, before)}"
        )
    series = get("revenue", period, interval="day").get("rows", [])
    nets = [float(r.get("net_revenue") or 0) for r in series]
    if nets:
        out += ["", f"Daily net revenue  {sparkline(nets)}  (max {fmt(max(nets), 'money')})"]
    return "\n".join(out)


def api_fetch(base: str) -> Fetch:
    client = httpx.Client(base_url=base, timeout=60)

    def fetch(metric: str, params: dict[str, str]) -> dict[str, Any]:
        r = client.get(f"/api/v1/metrics/{metric}", params=params)
        if r.status_code != 200:
            raise RuntimeError(
                r.json().get("error", r.text)
                if r.headers.get("content-type", "").startswith("application/json")
                else r.text
            )
        return r.json()

    return fetch


def direct_fetch(tz: str) -> Fetch:
    from .catalog import run_metric
    from .settings import Settings
    from .warehouse import Warehouse

    wh = Warehouse.open(Settings().dsn)
    return lambda metric, params: run_metric(wh, metric, params, tz)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from", dest="frm", metavar="YYYY-MM-DD", help="first day (default: first of this month)"
    )
    p.add_argument("--to", metavar="YYYY-MM-DD", help="day after the last (default: tomorrow)")
    p.add_argument(
        "--api-url", default="http://127.0.0.1:8100", help="the read API (default: %(default)s)"
    )
    p.add_argument(
        "--direct",
        action="store_true",
        help="query ClickHouse (CLICKHOUSE_DSN) instead of the read API",
    )


def run(args: argparse.Namespace) -> int:
    from .settings import Settings

    tz = Settings().reporting_tz
    today = dt.datetime.now(ZoneInfo(tz)).date()
    frm = args.frm or today.replace(day=1).isoformat()
    to = args.to or (today + dt.timedelta(days=1)).isoformat()
    if args.direct:
        fetch = direct_fetch(tz)
    else:
        try:
            httpx.get(f"{args.api_url}/healthz", timeout=3)
        except httpx.HTTPError:
            print(
                f"error: the read API at {args.api_url} does not answer; start `drtroy-metrics up`, pass --api-url, or use --direct",
                file=sys.stderr,
            )
            return 2
        fetch = api_fetch(args.api_url)
    print(render((frm, to), tz, fetch))
    return 0
