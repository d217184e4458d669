"""End to end against the simulator's ground truth (issue 4).

Two simulated months (October and November 2026) go through the real
pipeline (collector -> Kafka -> aggregator -> ClickHouse) with the
simulator's own sender; then, for every metric of the catalog, the read
API's answer is compared with ``compute_truth`` of the same calls, computed
in plain Python, for three periods: November (its first day is the 25-hour
day of the DST change; October gives it returning customers, a previous
month to grow from, refunds of earlier orders, cohorts to retain), both
months, and a window across the months' boundary (partial months, clipping,
month-to-date figures).

Comparison rules:
- counts, names and keys exactly;
- money to the cent (both sides rounded half-even to cents);
- ratios and other non-money floats to 1e-9 (relative, absolute near 0);
- figures made of time differences (session durations, hours to complete a
  course, incident start/end) within the clock-skew correction's noise: the
  collector places an event at ``receivedAt - (sentAt - timestamp)``, i.e.
  ``timestamp`` plus that request's network latency, so two events sent in
  different requests can move apart by up to the largest latency seen. That
  bound is measured from the stored rows (``event_time - original_timestamp``),
  not guessed.

Each metric's view below names, explicitly, which key of the API's answer
matches which key of the truth (their words differ in places).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from drtroy_metrics.simulate import compute_truth, generate
from drtroy_metrics.simulate.sender import backfill
from drtroy_metrics.simulate.truth import Ev, to_events
from tests.support import BROWSER_KEY, SERVER_KEY, RunningStack

pytestmark = pytest.mark.integration

TZ = "America/Chicago"
FROM, TO = date(2026, 10, 1), date(2026, 12, 1)  # what is simulated and sent
# the periods asked about
PERIODS = {
    "november": (date(2026, 11, 1), date(2026, 12, 1)),
    "two_months": (FROM, TO),
    "window": (date(2026, 10, 25), date(2026, 11, 12)),
}
SEED = 7
# a month is ~18k uptime checks (fixed) + ~25k events of people: enough
# orders, coupons, refunds and outages to exercise every metric.
SCALE = 0.3

# `live` describes the last minutes of wall-clock time (events per second,
# visitors active now, collector health): a backfilled month has no truth for
# it, by design, so it is the one catalog metric not compared here.
NOT_COMPARABLE = {
    "live": "about the last minutes of wall-clock time, not a period of the simulated month"
}


# ---- the simulated month through the real pipeline -------------------------------------------


@dataclass
class Simulated:
    """One period of the simulated month: the stack to ask and the truth."""

    stack: RunningStack
    period: tuple[date, date]
    truth: dict[str, Any]
    events: list[Ev]  # the distinct simulated events, as the truth reads them
    catalog: set[str]
    skew_ms: float  # largest |event_time - timestamp| stored: the latency the skew correction added
    answers: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]] = field(
        default_factory=dict
    )

    def ask(self, name: str, **params: str) -> dict[str, Any]:
        """The read API's answer for the period (cached per request)."""
        key = (name, tuple(sorted(params.items())))
        if key not in self.answers:
            r = httpx.get(
                f"{self.stack.api_url}/api/v1/metrics/{name}",
                params={
                    "from": self.period[0].isoformat(),
                    "to": self.period[1].isoformat(),
                    **params,
                },
                timeout=120,
            )
            assert r.status_code == 200, r.text
            self.answers[key] = r.json()
        return self.answers[key]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Simulated]]:
    zone = ZoneInfo(TZ)
    calls = generate(
        datetime.combine(FROM, datetime.min.time(), zone),
        datetime.combine(TO, datetime.min.time(), zone),
        SEED,
        SCALE,
    )
    today = datetime.now(zone).date()
    truths = {p: compute_truth(calls, frm, to, TZ, today=today) for p, (frm, to) in PERIODS.items()}
    # the sender must not be throttled: a 429 would only slow the test down
    stack = RunningStack(
        Path(tmp_path_factory.mktemp("truth")),
        extra_env={
            "RATE_LIMIT_PER_S": "1000000",
            "RATE_LIMIT_BURST": "1000000",
            "REPORTING_TZ": TZ,
        },
    )
    try:
        stack.start()
        stats = asyncio.run(
            backfill(calls, stack.collector_url, BROWSER_KEY, SERVER_KEY, workers=4, progress=False)
        )
        # the truth is of every call generated: each one must have been taken
        assert (stats.accepted, stats.failed, dict(stats.refused)) == (len(calls), 0, {}), (
            stats.summary()
        )
        # one row per distinct messageId (heartbeats live in their own table)
        distinct = len({c.message["messageId"] for c in calls})
        stored = stack.wait_for("SELECT count() FROM events", distinct, timeout_s=180)
        assert stored == distinct, f"the aggregator stored {stored} of {distinct} events"
        skew = stack.scalar(
            "SELECT max(abs(dateDiff('millisecond', original_timestamp, event_time))) "
            "FROM events WHERE original_timestamp IS NOT NULL"
        )
        catalog = {
            m["name"]
            for m in httpx.get(f"{stack.api_url}/api/v1/metrics", timeout=30).json()["metrics"]
        }
        # the generator keeps events 30 s away from local midnights, so that
        # the added latency cannot move one into another day
        assert skew < 30_000, f"the collector added up to {skew} ms of latency"
        events = to_events(calls)
        yield {
            p: Simulated(stack, PERIODS[p], truths[p], events, catalog, float(skew))
            for p in PERIODS
        }
    finally:
        stack.stop()


# ---- comparing --------------------------------------------------------------------------------

CENT = Decimal("0.01")
RATIO_TOL = 1e-9


@dataclass(frozen=True)
class Leaf:
    """A value with the rule it is compared by."""

    value: Any
    kind: str = "exact"  # exact | money | ratio | seconds | hours | instant | between (lo, hi)


def money(v: Any) -> Leaf:
    return Leaf(v, "money")


def ratio(v: Any) -> Leaf:
    return Leaf(v, "ratio")


def _cents(v: Any) -> Decimal:
    return Decimal(repr(float(v))).quantize(CENT, ROUND_HALF_EVEN)


def _instant_ms(v: str) -> float:
    d = datetime.fromisoformat(v.replace("Z", "+00:00"))
    if d.tzinfo is None:  # the API writes UTC instants without an offset
        d = d.replace(tzinfo=ZoneInfo("UTC"))
    return d.timestamp() * 1000


def _same(api: Leaf, truth: Leaf, skew_ms: float) -> bool:
    a, t = api.value, truth.value
    if a is None or t is None:
        return a is None and t is None
    kind = truth.kind
    if kind == "money":
        return _cents(a) == _cents(t)
    if kind == "ratio":
        return abs(float(a) - float(t)) <= RATIO_TOL * max(1.0, abs(float(t)))
    # a difference of two event times moves by at most the largest latency
    # added to one of them (all added latencies are >= 0)
    if kind == "seconds":
        return abs(float(a) - float(t)) <= skew_ms / 1000 + 1e-6
    if kind == "hours":
        return abs(float(a) - float(t)) <= skew_ms / 3_600_000 + 1e-9
    if kind == "instant":
        return 0 <= _instant_ms(a) - _instant_ms(t) <= skew_ms + 1
    if kind == "between":
        return bool(t[0] <= a <= t[1])
    if isinstance(t, float) or isinstance(a, float):
        return float(a) == float(t)
    return bool(a == t)


def flatten(view: Any, path: str = "") -> dict[str, Leaf]:
    """Nested dicts/lists of Leafs (or plain values) -> {path: Leaf}."""
    if isinstance(view, Leaf):
        return {path: view}
    if isinstance(view, dict):
        if not view:
            return {path + "{}": Leaf("empty")}
        out: dict[str, Leaf] = {}
        for k, v in view.items():
            out.update(flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(view, list):
        out = {path + "[len]": Leaf(len(view))}
        for i, v in enumerate(view):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    return {path: Leaf(view)}


def differences(api_view: Any, truth_view: Any, skew_ms: float) -> list[str]:
    """Readable lines for every path where the two views disagree."""
    a, t = flatten(api_view), flatten(truth_view)
    out = []
    for path in sorted(set(a) | set(t)):
        if path not in a:
            out.append(f"{path}: missing from the API (truth {t[path].value!r})")
        elif path not in t:
            out.append(f"{path}: not in the truth (API {a[path].value!r})")
        elif not _same(a[path], t[path], skew_ms):
            out.append(f"{path}: API {a[path].value!r} != truth {t[path].value!r} ({t[path].kind})")
    return out


def keyed(
    rows: list[dict[str, Any]], key: str | tuple[str, ...], fields: dict[str, Callable[[Any], Any]]
) -> dict[str, dict[str, Any]]:
    """Rows -> {key value(s): {field: Leaf}}, ``fields`` mapping the view's
    field names to a getter of the row."""
    keys = (key,) if isinstance(key, str) else key
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        k = "|".join(str(r[x]) for x in keys)
        assert k not in out, f"two rows for {k}"
        out[k] = {name: get(r) for name, get in fields.items()}
    return out


def _local_ms(d: date) -> float:
    """Epoch ms of local midnight starting ``d`` in the reporting zone."""
    return datetime.combine(d, datetime.min.time(), ZoneInfo(TZ)).timestamp() * 1000


def month(v: str) -> str:
    """'2026-10-01' (API) or '2026-10' (truth) -> '2026-10'."""
    return v[:7]


def f(key: str, kind: str = "exact") -> Callable[[dict[str, Any]], Leaf]:
    """Getter of ``row[key]`` as a Leaf of the given kind."""
    return lambda r: Leaf(r[key], kind)


# ---- one view per metric: (api answer fetcher, truth) -> comparable structures ------------------

View = tuple[Any, Any]


def v_event_counts(s: Simulated) -> View:
    a = s.ask("event_counts")
    t = s.truth["event_counts"]
    return (
        {"total": a["value"], "by_event": {r["event"]: r["events"] for r in a["rows"]}},
        {"total": sum(t.values()), "by_event": t},
    )


def _buckets(days: list[dict[str, Any]], start_of: Callable[[date], date]) -> list[dict[str, Any]]:
    """The truth's daily rows summed into week or month buckets (cents add
    up exactly in Decimal)."""
    out: dict[str, dict[str, Any]] = {}
    for r in days:
        b = out.setdefault(
            start_of(date.fromisoformat(r["day"])).isoformat(),
            {"revenue": Decimal(0), "refunds": Decimal(0), "net_revenue": Decimal(0), "orders": 0},
        )
        for k in ("revenue", "refunds", "net_revenue"):
            b[k] += Decimal(repr(r[k]))
        b["orders"] += r["orders"]
    return [
        {"bucket": k, **{n: float(v) if n != "orders" else v for n, v in b.items()}}
        for k, b in out.items()
    ]


def v_revenue(s: Simulated) -> View:
    plain = s.ask("revenue")
    t = s.truth["revenue"]
    totals = ("revenue", "refunds", "net_revenue")
    fields = {
        "revenue": f("revenue", "money"),
        "refunds": f("refunds", "money"),
        "net_revenue": f("net_revenue", "money"),
        "orders": f("orders"),
    }
    api: dict[str, Any] = {
        "values": {k: money(plain["values"][k]) for k in totals}
        | {"orders": plain["values"]["orders"]}
    }
    truth: dict[str, Any] = {"values": {k: money(t[k]) for k in totals} | {"orders": t["orders"]}}
    starts: dict[str, Callable[[date], date]] = {
        "day": lambda d: d,
        "week": lambda d: d - timedelta(days=d.weekday()),  # Monday
        "month": lambda d: d.replace(day=1),
    }
    for interval, start_of in starts.items():
        api[interval] = keyed(s.ask("revenue", interval=interval)["rows"], interval, fields)
        truth[interval] = keyed(_buckets(t["rows"], start_of), "bucket", fields)
    return api, truth


def v_aov(s: Simulated) -> View:
    return {"aov": ratio(s.ask("aov")["values"]["aov"])}, {"aov": ratio(s.truth["aov"]["aov"])}


def v_revenue_per_customer(s: Simulated) -> View:
    a = s.ask("revenue_per_customer")["values"]["revenue_per_customer"]
    return {"rpc": ratio(a)}, {
        "rpc": ratio(s.truth["revenue_per_customer"]["revenue_per_customer"])
    }


def v_growth(s: Simulated) -> View:
    a, t = s.ask("growth"), s.truth["growth"]
    api = {
        month(r["month"]): {
            "net_revenue": money(r["net_revenue"]),
            "vs_previous_month": ratio(r["change_vs_previous_month"]),
            "vs_year_ago": ratio(r["change_vs_year_ago"]),
        }
        for r in a["rows"]
    }
    truth = {
        month(r["month"]): {
            "net_revenue": money(r["net_revenue"]),
            "vs_previous_month": ratio(r["mom_change"]),
            "vs_year_ago": ratio(r["yoy_change"]),
        }
        for r in t["rows"]
    }
    return api, truth


def v_conversion_rate(s: Simulated) -> View:
    a, t = s.ask("conversion_rate")["values"], s.truth["conversion_rate"]
    return (
        {"rate": ratio(a["conversion_rate"]), "buyers": a["customers"], "visitors": a["visitors"]},
        {"rate": ratio(t["conversion_rate"]), "buyers": t["buyers"], "visitors": t["visitors"]},
    )


def v_cac(s: Simulated) -> View:
    a, t = s.ask("cac")["values"], s.truth["cac"]
    return (
        {
            "cac": ratio(a["cac"]),
            "spend": money(a["marketing_expenses"]),
            "new": a["new_customers"],
        },
        {"cac": ratio(t["cac"]), "spend": money(t["marketing_spend"]), "new": t["new_customers"]},
    )


def v_customers(s: Simulated) -> View:
    a, t = s.ask("customers")["values"], s.truth["customers"]
    counts = ("customers", "new_customers", "returning_customers")
    return (
        {k: a[k] for k in counts} | {"repeat_rate": ratio(a["repeat_rate"])},
        {k: t[k] for k in counts} | {"repeat_rate": ratio(t["repeat_rate"])},
    )


def v_retention(s: Simulated) -> View:
    a, t = s.ask("retention"), s.truth["retention"]
    api: dict[str, Any] = {}
    for r in a["rows"]:
        c = api.setdefault(month(r["cohort"]), {"size": r["cohort_size"], "offsets": {}})
        c["offsets"][r["month_offset"]] = ratio(r["retention"])
    truth = {
        month(r["cohort"]): {
            "size": r["size"],
            "offsets": {k: ratio(v) for k, v in enumerate(r["offsets"])},
        }
        for r in t["rows"]
    }
    return api, truth


def v_refund_rate(s: Simulated) -> View:
    a, t = s.ask("refund_rate")["values"], s.truth["refund_rate"]
    return (
        {"rate": ratio(a["refund_rate"]), "refunded": a["refunded_orders"], "orders": a["orders"]},
        {"rate": ratio(t["refund_rate"]), "refunded": t["refunded_orders"], "orders": t["orders"]},
    )


def v_nps(s: Simulated) -> View:
    a, t = s.ask("nps")["values"], s.truth["nps"]
    counts = ("responses", "promoters", "passives", "detractors")
    return (
        {"nps": ratio(a["nps"])} | {k: a[k] for k in counts},
        {"nps": ratio(t["nps"])} | {k: t[k] for k in counts},
    )


def v_rating(s: Simulated) -> View:
    a, t = s.ask("rating", group_by="course"), s.truth["rating"]
    return (
        {
            "rating": ratio(a["values"]["rating"]),
            "count": a["values"]["ratings"],
            "by_course": keyed(
                a["rows"], "course_id", {"rating": f("rating", "ratio"), "count": f("ratings")}
            ),
        },
        {
            "rating": ratio(t["rating"]),
            "count": t["count"],
            "by_course": keyed(
                t["rows"], "course_id", {"rating": f("rating", "ratio"), "count": f("count")}
            ),
        },
    )


def v_ltv(s: Simulated) -> View:
    a, t = s.ask("ltv"), s.truth["ltv"]
    fields = {
        "ltv": f("ltv", "ratio"),
        "net_revenue": f("net_revenue", "money"),
        "customers": f("customers"),
    }
    return (
        {
            "ltv": ratio(a["values"]["ltv"]),
            "net_revenue": money(a["values"]["net_revenue"]),
            "customers": a["values"]["customers"],
            "cohorts": {month(k): v for k, v in keyed(a["rows"], "cohort", fields).items()},
        },
        {
            "ltv": ratio(t["ltv"]),
            "net_revenue": money(t["net_revenue"]),
            "customers": t["customers"],
            "cohorts": {month(k): v for k, v in keyed(t["rows"], "cohort", fields).items()},
        },
    )


def v_discount_codes(s: Simulated) -> View:
    fields = {
        "orders": f("orders"),
        "revenue": f("revenue", "money"),
        "discount": f("discount", "money"),
        "roi": f("roi", "ratio"),
        "sessions": f("sessions"),
        "code_conversion": f("code_conversion", "ratio"),
        "kind": f("kind"),
    }
    return (
        keyed(s.ask("discount_codes")["rows"], "coupon", fields),
        keyed(s.truth["discount_codes"]["rows"], "coupon", fields),
    )


def v_organic_share(s: Simulated) -> View:
    a, t = s.ask("organic_share")["values"], s.truth["organic_share"]
    keys = ("organic_share", "organic_revenue_share")
    return {k: ratio(a[k]) for k in keys}, {k: ratio(t[k]) for k in keys}


def v_coupon_kinds(s: Simulated) -> View:
    fields = {
        "orders": f("orders"),
        "revenue": f("revenue", "money"),
        "discount": f("discount", "money"),
    }
    return (
        keyed(s.ask("coupon_kinds")["rows"], "coupon_kind", fields),
        keyed(s.truth["coupon_kinds"]["rows"], "coupon_kind", fields),
    )


BI_FIELDS = {"customers": f("customers"), "orders": f("orders"), "revenue": f("revenue", "money")}


def v_professions(s: Simulated) -> View:
    return (
        keyed(s.ask("professions")["rows"], "profession", BI_FIELDS),
        keyed(s.truth["professions"]["rows"], "profession", BI_FIELDS),
    )


def v_regions(s: Simulated) -> View:
    a, t = s.ask("regions"), s.truth["regions"]
    api: dict[str, Any] = {"by_state": keyed(a["rows"], "license_state", BI_FIELDS)}
    truth: dict[str, Any] = {"by_state": keyed(t["rows"], "license_state", BI_FIELDS)}
    for side in ("texas", "other"):
        api[side] = {
            "customers": a["values"][f"{side}_customers"],
            "orders": a["values"][f"{side}_orders"],
            "revenue": money(a["values"][f"{side}_revenue"]),
        }
        truth[side] = {
            "customers": t[side]["customers"],
            "orders": t[side]["orders"],
            "revenue": money(t[side]["revenue"]),
        }
    return api, truth


def v_packages(s: Simulated) -> View:
    fields = {"orders": f("orders"), "revenue": f("revenue", "money")}
    return (
        keyed(s.ask("packages")["rows"], "package_id", fields),
        keyed(s.truth["packages"]["rows"], "package_id", fields),
    )


def v_seasonality(s: Simulated) -> View:
    # the API lists all twelve months, the truth the months with orders
    fields = {"orders": f("orders"), "revenue": f("revenue", "money")}
    truth = {str(m): {"orders": 0, "revenue": money(0)} for m in range(1, 13)}
    truth.update(keyed(s.truth["seasonality"]["rows"], "month", fields))
    return keyed(s.ask("seasonality")["rows"], "month", fields), truth


def v_cash_flow(s: Simulated) -> View:
    a, t = s.ask("cash_flow"), s.truth["cash_flow"]
    api = {
        month(r["month"]): {
            "net_revenue": money(r["net_revenue"]),
            "expenses": money(r["expenses"]),
            "by_category": {k: money(v) for k, v in r["expenses_by_category"].items()},
            "net_cash_flow": money(r["net_cash_flow"]),
        }
        for r in a["rows"]
    }
    truth = {
        month(r["month"]): {
            "net_revenue": money(r["net_revenue"]),
            "expenses": money(r["total_expenses"]),
            "by_category": {k: money(v) for k, v in r["expenses"].items()},
            "net_cash_flow": money(r["net_cash_flow"]),
        }
        for r in t["rows"]
    }
    return api, truth


def v_profit_margin(s: Simulated) -> View:
    a, t = s.ask("profit_margin")["values"], s.truth["profit_margin"]
    return (
        {
            "margin": ratio(a["profit_margin"]),
            "net_revenue": money(a["net_revenue"]),
            "expenses": money(a["expenses"]),
        },
        {
            "margin": ratio(t["profit_margin"]),
            "net_revenue": money(t["net_revenue"]),
            "expenses": money(t["expenses"]),
        },
    )


def v_break_even(s: Simulated) -> View:
    a, t = s.ask("break_even"), s.truth["break_even"]
    first = a["values"]["break_even_month"]
    return (
        {
            "month": first and month(first),
            "cumulative": {
                month(r["month"]): money(r["cumulative_net_cash_flow"]) for r in a["rows"]
            },
        },
        {
            "month": t["break_even_month"],
            "cumulative": {
                month(r["month"]): money(r["cumulative_net_cash_flow"]) for r in t["rows"]
            },
        },
    )


def v_goals(s: Simulated) -> View:
    a, t = s.ask("goals")["values"], s.truth["goals"]

    def view(v: dict[str, Any]) -> dict[str, Any]:
        return {
            "active_users": v["active_users"],
            "monthly_net_revenue": money(v["monthly_net_revenue"]),
            "course_completion_rate": ratio(v["course_completion_rate"]),
            "average_rating": ratio(v["average_rating"]),
        }

    return view(a), view(t)


SESSION_GROUP = {"sessions": f("sessions"), "visitors": f("visitors")}


def v_traffic(s: Simulated) -> View:
    a, t = s.ask("traffic"), s.truth["traffic"]
    counts = ("visitors", "sessions", "page_views")
    api: dict[str, Any] = {k: a["values"][k] for k in counts}
    truth: dict[str, Any] = {k: t[k] for k in counts}
    # region needs US-state geography (an operator's city database); the
    # simulator's truth has none, so only the other groupings are compared
    for group in ("channel", "landing_page", "country", "device"):
        fields = {**SESSION_GROUP, "page_views": f("page_views")}
        api[group] = keyed(s.ask("traffic", group_by=group)["rows"], group, fields)
        truth[group] = keyed(t[f"by_{group}"], group, fields)
    return api, truth


def v_landing_pages(s: Simulated) -> View:
    fields = {**SESSION_GROUP, "conversion": f("conversion", "ratio")}
    return (
        keyed(s.ask("landing_pages", limit="100000")["rows"], "landing_page", fields),
        keyed(s.truth["landing_pages"]["rows"], "landing_page", fields),
    )


def v_peak_usage(s: Simulated) -> View:
    """Hour cells are the one place where the added latency can move a count:
    an event less than ``skew_ms`` before the end of a local hour may be
    stored in the next hour's cell (the generator keeps events away from
    midnights, not from every hour). So each cell's truth is a range: from
    the events that cannot leave it, to those plus every event that may
    arrive from the hour before; both ends come from the simulated events,
    and the truth's own figures must lie inside them."""
    zone = ZoneInfo(TZ)
    lo_ms, hi_ms = (_local_ms(d) for d in s.period)

    def cell(ms: float) -> str:
        t = datetime.fromtimestamp(ms / 1000, zone)
        return f"{t.isoweekday()}|{t.hour}"

    sure: dict[str, list[Ev]] = {}
    maybe: dict[str, list[Ev]] = {}
    for e in s.events:
        if e.anon and e.device != "bot" and lo_ms <= e.ms < hi_ms:
            home, late = cell(e.ms), cell(e.ms + s.skew_ms)
            (sure if late == home else maybe).setdefault(home, []).append(e)
            if late != home:
                maybe.setdefault(late, []).append(e)
    exact = keyed(
        s.truth["peak_usage"]["rows"],
        ("weekday", "hour"),
        {"visitors": f("visitors"), "events": f("events")},
    )
    api_rows = keyed(
        s.ask("peak_usage")["rows"],
        ("weekday", "hour"),
        {"visitors": f("visitors"), "events": f("events")},
    )
    api: dict[str, Any] = {}
    truth: dict[str, Any] = {}
    for k in sorted(set(sure) | set(maybe) | set(api_rows)):
        certain, possible = sure.get(k, []), sure.get(k, []) + maybe.get(k, [])
        bounds = {
            "visitors": (len({e.anon for e in certain}), len({e.anon for e in possible})),
            "events": (len(certain), len(possible)),
        }
        row = api_rows.get(k, {"visitors": Leaf(0), "events": Leaf(0)})
        api[k] = {n: row[n] for n in bounds}
        truth[k] = {n: Leaf(b, "between") for n, b in bounds.items()}
        if k in exact:  # the truth's own figure, from the same events, is inside its range
            for n, (low, high) in bounds.items():
                assert low <= exact[k][n].value <= high, (k, n, exact[k][n].value, low, high)
    return api, truth


def v_sessions(s: Simulated) -> View:
    a, t = s.ask("sessions")["values"], s.truth["sessions"]

    def view(v: dict[str, Any]) -> dict[str, Any]:
        return {
            "sessions": v["sessions"],
            "bounce_rate": ratio(v["bounce_rate"]),
            "mean_duration_s": Leaf(v["mean_duration_s"], "seconds"),
            "median_duration_s": Leaf(v["median_duration_s"], "seconds"),
        }

    return view(a), view(t)


def v_return_visits(s: Simulated) -> View:
    a, t = s.ask("return_visits")["values"], s.truth["return_visits"]

    def view(v: dict[str, Any]) -> dict[str, Any]:
        return {
            "visitors": v["visitors"],
            "multi_session_share": ratio(v["multi_session_share"]),
            "returning_visitors": v["returning_visitors"],
        }

    return view(a), view(t)


def v_devices(s: Simulated) -> View:
    a, t = s.ask("devices"), s.truth["devices"]
    return (
        {
            "mobile_share": ratio(a["values"]["mobile_share"]),
            "by_device": keyed(a["rows"], "device", SESSION_GROUP),
        },
        {
            "mobile_share": ratio(t["mobile_share"]),
            "by_device": keyed(t["rows"], "device", SESSION_GROUP),
        },
    )


COMPLETION = {
    "started": f("started"),
    "completed": f("completed"),
    "completion_rate": f("completion_rate", "ratio"),
    "mean_hours_to_complete": f("mean_hours_to_complete", "hours"),
}


def v_course_completion(s: Simulated) -> View:
    a, t = s.ask("course_completion"), s.truth["course_completion"]
    return (
        {
            "all": {k: g(a["values"]) for k, g in COMPLETION.items()},
            "by_course": keyed(a["rows"], "course_id", COMPLETION),
        },
        {
            "all": {k: g(t) for k, g in COMPLETION.items()},
            "by_course": keyed(t["rows"], "course_id", COMPLETION),
        },
    )


def v_dropoff(s: Simulated) -> View:
    fields = {"reached": f("reached"), "dropped": f("dropped")}
    return (
        keyed(s.ask("dropoff")["rows"], ("course_id", "lesson_index"), fields),
        keyed(s.truth["dropoff"]["rows"], ("course_id", "lesson_index"), fields),
    )


def v_popular_courses(s: Simulated) -> View:
    fields = {
        "enrollments": f("enrollments"),
        "lesson_starts": f("lesson_starts"),
        "completions": f("completions"),
        "revenue": f("revenue", "money"),
    }
    return (
        keyed(s.ask("popular_courses")["rows"], "course_id", fields),
        keyed(s.truth["popular_courses"]["rows"], "course_id", fields),
    )


def v_certificate_rate(s: Simulated) -> View:
    a, t = s.ask("certificate_rate")["values"], s.truth["certificate_rate"]
    return (
        {
            "rate": ratio(a["certificate_rate"]),
            "completed": a["completed"],
            "downloaded": a["with_certificate"],
        },
        {
            "rate": ratio(t["certificate_rate"]),
            "completed": t["completed"],
            "downloaded": t["downloaded"],
        },
    )


def v_funnel(s: Simulated) -> View:
    a, t = s.ask("funnel"), s.truth["funnel"]
    api = {
        "conversion": ratio(a["values"]["conversion"]),
        "steps": keyed(
            a["rows"],
            "step",
            {
                "name": f("event"),
                "visitors": f("visitors"),
                "conversion": f("step_conversion", "ratio"),
                "overall": f("overall_conversion", "ratio"),
            },
        ),
    }
    truth = {
        "conversion": ratio(t["conversion"]),
        "steps": keyed(
            t["rows"],
            "step",
            {
                "name": f("name"),
                "visitors": f("visitors"),
                "conversion": f("conversion", "ratio"),
                "overall": f("overall", "ratio"),
            },
        ),
    }
    return api, truth


def v_uptime(s: Simulated) -> View:
    a, t = s.ask("uptime"), s.truth["uptime"]

    def target(r: dict[str, Any], ok: str, p50: str, p95: str, n: str) -> dict[str, Any]:
        return {
            "checks": r["checks"],
            "ok": r[ok],
            "uptime": ratio(r["uptime"]),
            "p50": ratio(r[p50]),
            "p95": ratio(r[p95]),
            "incidents": [
                {
                    "start": Leaf(i["start"], "instant"),
                    "end": Leaf(i["end"], "instant"),
                    "failed_checks": i[n],
                }
                for i in r["incidents"]
            ],
        }

    return (
        {
            "uptime": ratio(a["values"]["uptime"]),
            "targets": {
                r["target"]: target(r, "ok_checks", "p50_ms", "p95_ms", "failed_checks")
                for r in a["rows"]
            },
        },
        {
            "uptime": ratio(t["uptime"]),
            "targets": {
                r["target"]: target(
                    r, "successful_checks", "p50_latency_ms", "p95_latency_ms", "checks"
                )
                for r in t["rows"]
            },
        },
    )


def v_page_speed(s: Simulated) -> View:
    a, per_page, t = (
        s.ask("page_speed")["values"],
        s.ask("page_speed", group_by="page")["rows"],
        s.truth["page_speed"],
    )
    # API key -> truth key
    names = {
        "load_ms_p50": "p50_load_ms",
        "load_ms_p75": "p75_load_ms",
        "lcp_ms_p50": "p50_lcp_ms",
        "lcp_ms_p75": "p75_lcp_ms",
    }
    return (
        {
            "all": {k: ratio(a[k]) for k in names},
            "by_page": keyed(per_page, "page", {k: f(k, "ratio") for k in names}),
        },
        {
            "all": {k: ratio(t[v]) for k, v in names.items()},
            "by_page": keyed(t["rows"], "page", {k: f(v, "ratio") for k, v in names.items()}),
        },
    )


def v_error_rate(s: Simulated) -> View:
    a, t = s.ask("error_rate", limit="100000"), s.truth["error_rate"]
    return (
        {
            "rate": ratio(a["values"]["error_rate"]),
            "errors": a["values"]["errors"],
            "page_views": a["values"]["page_views"],
            "by_message": keyed(a["rows"], "error_message", {"errors": f("errors")}),
        },
        {
            "rate": ratio(t["error_rate"]),
            "errors": t["errors"],
            "page_views": t["page_views"],
            "by_message": keyed(t["rows"], "message", {"errors": f("errors")}),
        },
    )


def v_support_tickets(s: Simulated) -> View:
    a, t = s.ask("support_tickets"), s.truth["support_tickets"]
    # the API's by_day is gap-free; the truth lists the days with tickets
    by_day = {r["day"]: r["tickets"] for r in a["by_day"] if r["tickets"]}
    return (
        {
            "tickets": a["values"]["tickets"],
            "by_category": {r["category"]: r["tickets"] for r in a["by_category"]},
            "by_day": by_day,
        },
        {
            "tickets": t["tickets"],
            "by_category": {r["category"]: r["tickets"] for r in t["by_category"]},
            "by_day": {r["day"]: r["tickets"] for r in t["by_day"]},
        },
    )


def v_signup_rate(s: Simulated) -> View:
    a, t = s.ask("signup_rate")["values"], s.truth["signup_rate"]
    return (
        {"rate": ratio(a["signup_rate"]), "signups": a["signups"], "visitors": a["visitors"]},
        {"rate": ratio(t["signup_rate"]), "signups": t["signups"], "visitors": t["visitors"]},
    )


def v_login_success(s: Simulated) -> View:
    a, t = s.ask("login_success")["values"], s.truth["login_success"]
    return (
        {
            "rate": ratio(a["login_success"]),
            "signed_in": a["signed_in"],
            "failed": a["sign_in_failed"],
        },
        {"rate": ratio(t["login_success"]), "signed_in": t["signed_in"], "failed": t["failed"]},
    )


def v_search_usage(s: Simulated) -> View:
    a, t = s.ask("search_usage", limit="10"), s.truth["search_usage"]
    return (
        {
            "searches": a["values"]["searches"],
            "session_share": ratio(a["values"]["search_session_share"]),
            "zero_share": ratio(a["values"]["zero_result_share"]),
            "top": [{"query": r["query"], "searches": r["searches"]} for r in a["rows"]],
        },
        {
            "searches": t["searches"],
            "session_share": ratio(t["session_search_share"]),
            "zero_share": ratio(t["zero_results_share"]),
            "top": [{"query": r["query"], "searches": r["searches"]} for r in t["top_queries"]],
        },
    )


def v_feature_usage(s: Simulated) -> View:
    fields = {"events": f("events"), "users": f("users")}
    return (
        keyed(s.ask("feature_usage")["rows"], "feature", fields),
        keyed(s.truth["feature_usage"]["rows"], "feature", fields),
    )


VIEWS: dict[str, Callable[[Simulated], View]] = {
    name[2:]: fn for name, fn in list(globals().items()) if name.startswith("v_") and callable(fn)
}


# ---- the tests --------------------------------------------------------------------------------


def test_every_catalog_metric_is_compared_or_explained(simulated: dict[str, Simulated]) -> None:
    """No metric of the catalog escapes the comparison unnoticed, and no
    comparison names a metric the catalog does not have."""
    s = simulated["november"]
    assert s.catalog - set(VIEWS) == set(NOT_COMPARABLE)
    assert set(VIEWS) <= s.catalog
    assert set(VIEWS) <= set(s.truth)


@pytest.mark.parametrize("period", sorted(PERIODS))
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_metric_equals_the_simulators_truth(
    simulated: dict[str, Simulated], name: str, period: str
) -> None:
    s = simulated[period]
    api, truth = VIEWS[name](s)
    diff = differences(api, truth, s.skew_ms)
    assert not diff, (
        f"{name} over {s.period[0]}..{s.period[1]}: {len(diff)} difference(s) (API vs truth):\n"
        + "\n".join(diff[:40])
    )


def test_the_month_is_big_enough_to_mean_something(simulated: dict[str, Simulated]) -> None:
    """Guards the comparison against passing on a thin month."""
    t = simulated["november"].truth
    assert t["revenue"]["orders"] >= 50 and t["revenue"]["refunds"] > 0
    assert t["traffic"]["sessions"] >= 1000 and len(t["discount_codes"]["rows"]) >= 3
    assert any(r["incidents"] for r in t["uptime"]["rows"])
    assert (
        t["customers"]["returning_customers"] > 0
        and t["growth"]["rows"][0]["mom_change"] is not None
    )
    assert t["return_visits"]["returning_visitors"] > 0
