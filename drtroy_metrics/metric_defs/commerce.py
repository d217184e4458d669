"""Revenue, customers, marketing, business-intelligence, financial and goal
metrics of metrics.md.

Each metric's SQL is ``clickhouse/queries/<name>.sql``; the functions here
only turn its rows into the read API's ``value`` / ``values`` / ``rows``.

Readings of metrics.md chosen where it leaves room (also in the SQL files):

- An order is one ``order_id``. When the same order_id arrives under several
  messageIds, the delivery with the earliest ``(event_time, message_id)`` is
  the order: its time places it in a period, its revenue, coupon and
  products are the order's. Each ``Order Refunded`` event (messageId) is one
  refund, so two partial refunds of an order both count.
- Refunds count at their own time for revenue / net revenue / cash flow, and
  against the order's placement period for ``refund_rate``.
- User traits (profession, license state) are the latest non-empty value by
  event time, as of now, from ``identify`` traits (server keys) and ``Signed
  Up`` properties (the ``user_traits`` view).
- The buyer filters ``profession`` and ``state`` (optional; empty = everyone)
  keep the orders whose buyer's latest known trait matches, and for
  ``revenue`` the refunds of those orders. A trait belongs to the person, so
  the filter keeps or drops a buyer's whole history (``customers``' new /
  returning / repeat judge a kept customer on all their orders). An order
  without a known buyer (no userId, or traits never sent) matches no filter.
  ``discount_codes``' sessions are visitors' (anonymousIds carry no traits, no
  identity stitching) and are not narrowed. ``state`` is checked against the
  US state, DC and territory codes: "two letters" that no license board
  issues would filter everything away silently.
- ``growth`` and ``retention`` work in whole calendar months (those
  overlapping the period), so a month compares like with like; series of
  ``revenue``, ``cash_flow`` and ``break_even`` count only the period's days.
- ``break_even`` accumulates since the first money ever recorded (as of the
  period's end), not from the period's start: break-even is a fact of the
  business's history, and restarting the sum at ``from`` would name a
  different month for every window. Its rows run from the earlier of that
  first month and the period's first month.
- ``ltv`` is all-time as of the period's end; its cohort rows cover every
  cohort up to then.
- Money is summed in Decimal in ClickHouse; the JSON carries floats. Totals
  this module adds up from rows are rounded to 4 decimals, which gives the
  same float as the exact Decimal sum.
"""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from ..catalog import Metric, Param, Rows, register

_PERIOD_NOTE = " Period [from, to) in the reporting zone."


def _money_total(rows: Rows, key: str) -> float:
    """Sum of a money column over rows, as the float of the exact decimal sum."""
    return float(round(sum(float(r.get(key) or 0) for r in rows), 4))


def _ratio(num: float | int | None, den: float | int | None) -> float | None:
    """num / den, or None when the denominator is zero or missing."""
    if num is None or not den:
        return None
    return num / den


def _single(columns: tuple[str, ...], headline: str) -> Any:
    """Shape of a one-row query: its columns as ``values``, one as ``value``."""

    def shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
        row = rows[0] if rows else {}
        values = {c: row.get(c) for c in columns}
        return {"value": values[headline], "values": values, "rows": []}

    return shape


def _revenue_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    interval = params.get("interval") or ""
    values = {
        "revenue": _money_total(rows, "revenue"),
        "refunds": _money_total(rows, "refunds"),
        "net_revenue": _money_total(rows, "net_revenue"),
        "orders": sum(int(r.get("orders") or 0) for r in rows),
    }
    series = (
        [{interval: r["bucket"], **{k: v for k, v in r.items() if k != "bucket"}} for r in rows]
        if interval
        else []
    )
    return {"value": values["revenue"], "values": values, "rows": series}


def _growth_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    last = rows[-1] if rows else {}
    values = {
        k: last.get(k)
        for k in ("month", "net_revenue", "change_vs_previous_month", "change_vs_year_ago")
    }
    return {"value": values["change_vs_previous_month"], "values": values, "rows": rows}


def _rating_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    ratings = sum(int(r["ratings"]) for r in rows)
    stars = sum(int(r["stars_sum"]) for r in rows)
    values = {"rating": _ratio(stars, ratings), "ratings": ratings}
    out_rows = (
        [
            {"course_id": r["course_id"], "rating": r["rating"], "ratings": r["ratings"]}
            for r in rows
        ]
        if params.get("group_by") == "course"
        else []
    )
    return {"value": values["rating"], "values": values, "rows": out_rows}


def _ltv_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    overall = next((r for r in rows if r["cohort"] is None), {})
    values = {k: overall.get(k) for k in ("ltv", "net_revenue", "customers")}
    cohorts = sorted((r for r in rows if r["cohort"] is not None), key=lambda r: r["cohort"])
    return {"value": values["ltv"], "values": values, "rows": cohorts}


def _regions_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    texas = [r for r in rows if r["license_state"] == "TX"]
    others = [r for r in rows if r["license_state"] != "TX"]
    values: dict[str, Any] = {
        "texas_customers": sum(int(r["customers"]) for r in texas),
        "texas_orders": sum(int(r["orders"]) for r in texas),
        "texas_revenue": _money_total(texas, "revenue"),
        "other_customers": sum(int(r["customers"]) for r in others),
        "other_orders": sum(int(r["orders"]) for r in others),
        "other_revenue": _money_total(others, "revenue"),
    }
    values["texas_revenue_share"] = _ratio(values["texas_revenue"], _money_total(rows, "revenue"))
    return {"value": values["texas_revenue_share"], "values": values, "rows": rows}


def _break_even_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    # Leading months without any cash flow are not a break-even: the first
    # month counted is the first with money moving.
    started = False
    first = None
    for r in rows:
        started = started or bool(r["net_cash_flow"])
        if started and float(r["cumulative_net_cash_flow"] or 0) >= 0:
            first = r["month"]
            break
    final = rows[-1]["cumulative_net_cash_flow"] if rows else None
    return {
        "value": first,
        "values": {"break_even_month": first, "cumulative_net_cash_flow": final},
        "rows": rows,
    }


def _totals_shape(money: tuple[str, ...], counts: tuple[str, ...], headline: str) -> Any:
    """Rows as they come, with the column totals as ``values``."""

    def shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {m: _money_total(rows, m) for m in money}
        values.update({c: sum(int(r.get(c) or 0) for r in rows) for c in counts})
        return {"value": values[headline], "values": values, "rows": rows}

    return shape


# ---- goals ------------------------------------------------------------------


class GoalTargets(BaseSettings):
    """The goals' targets, from the environment (comma-separated for tiers):
    ``GOALS_ACTIVE_USERS`` (100,500,1000), ``GOALS_MONTHLY_NET_REVENUE``
    (10000,25000,50000 USD), ``GOALS_COURSE_COMPLETION_RATE`` (0.85) and
    ``GOALS_AVERAGE_RATING`` (4.5)."""

    model_config = SettingsConfigDict(env_prefix="GOALS_", extra="ignore", frozen=True)

    active_users: str = "100,500,1000"
    monthly_net_revenue: str = "10000,25000,50000"
    course_completion_rate: str = "0.85"
    average_rating: str = "4.5"

    def tiers(self) -> dict[str, list[float]]:
        """Each goal's targets, lowest first."""
        out = {}
        for goal in (
            "active_users",
            "monthly_net_revenue",
            "course_completion_rate",
            "average_rating",
        ):
            raw = getattr(self, goal)
            try:
                out[goal] = sorted(float(x) for x in raw.split(",") if x.strip())
            except ValueError as e:
                raise ValueError(
                    f"GOALS_{goal.upper()} must be numbers separated by commas, got {raw!r}"
                ) from e
        return out


def _goals_shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    row = rows[0] if rows else {}
    values = {
        g: row.get(g)
        for g in ("active_users", "monthly_net_revenue", "course_completion_rate", "average_rating")
    }
    out = []
    for goal, targets in GoalTargets().tiers().items():
        value = values[goal]
        for target in targets:
            out.append(
                {
                    "goal": goal,
                    "value": value,
                    "target": target,
                    "met": None if value is None else value >= target,
                }
            )
    met = sum(1 for r in out if r["met"])
    values.update({"goals_met": met, "goals": len(out)})
    return {"value": met, "values": values, "rows": out}


# ---- the catalog ---------------------------------------------------------------

PROFESSIONS = ("PT", "OT", "PTA", "COTA", "other")
# The 50 states, DC and the inhabited territories (license boards' codes).
LICENSE_STATES = (
    "AK",
    "AL",
    "AR",
    "AS",
    "AZ",
    "CA",
    "CO",
    "CT",
    "DC",
    "DE",
    "FL",
    "GA",
    "GU",
    "HI",
    "IA",
    "ID",
    "IL",
    "IN",
    "KS",
    "KY",
    "LA",
    "MA",
    "MD",
    "ME",
    "MI",
    "MN",
    "MO",
    "MP",
    "MS",
    "MT",
    "NC",
    "ND",
    "NE",
    "NH",
    "NJ",
    "NM",
    "NV",
    "NY",
    "OH",
    "OK",
    "OR",
    "PA",
    "PR",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VA",
    "VI",
    "VT",
    "WA",
    "WI",
    "WV",
    "WY",
)
_PROFESSION = Param(
    "profession",
    "only buyers whose latest known profession is this (PT, OT, PTA, COTA, other); empty = all",
    PROFESSIONS,
)
_STATE = Param(
    "state",
    "only buyers whose latest known license state is this two-letter code (e.g. TX); empty = all",
    LICENSE_STATES,
)
BUYER_FILTERS = (_PROFESSION, _STATE)

_INTERVAL = Param(
    "interval",
    "series bucket: day, week (Monday) or month, in the reporting zone",
    ("day", "week", "month"),
)

register(
    Metric(
        "revenue",
        "Gross revenue (Order Completed.revenue, once per order_id), refunds (Order Refunded.amount at the refund's "
        "own time), net revenue and orders; with interval=day/week/month a series." + _PERIOD_NOTE,
        params=(_INTERVAL, *BUYER_FILTERS),
        shape=_revenue_shape,
    )
)
register(
    Metric(
        "aov",
        "Average order value: revenue / orders." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_single(("aov", "revenue", "orders"), "aov"),
    )
)
register(
    Metric(
        "revenue_per_customer",
        "Revenue / distinct customers (userIds) with an order in the period." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_single(("revenue_per_customer", "revenue", "customers"), "revenue_per_customer"),
    )
)
register(
    Metric(
        "growth",
        "Per calendar month overlapping the period: net revenue, change vs the previous month and vs the same month a "
        "year before (fractions).",
        shape=_growth_shape,
    )
)
register(
    Metric(
        "conversion_rate",
        "Distinct users with an order in the period / visitors (distinct anonymousIds of non-bot events)."
        + _PERIOD_NOTE,
        shape=_single(("conversion_rate", "customers", "visitors"), "conversion_rate"),
    )
)
register(
    Metric(
        "cac",
        "Customer acquisition cost: marketing expenses (Expense Recorded, category marketing, on its date) / new "
        "customers (first-ever order in the period)." + _PERIOD_NOTE,
        shape=_single(("cac", "marketing_expenses", "new_customers"), "cac"),
    )
)
register(
    Metric(
        "customers",
        "Customers (ordered in the period), new customers (first-ever order in it), returning customers, and repeat "
        "rate (customers with 2+ orders ever by the period's end / customers)." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_single(
            (
                "customers",
                "new_customers",
                "returning_customers",
                "repeat_customers",
                "repeat_rate",
            ),
            "customers",
        ),
    )
)
register(
    Metric(
        "retention",
        "Cohorts by month of first order (months overlapping the period): for month offsets 0..11 the fraction of the "
        "cohort that ordered in that month (null for months not begun yet).",
    )
)
register(
    Metric(
        "refund_rate",
        "Orders placed in the period that were refunded by now / orders placed in the period."
        + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_single(("refund_rate", "orders", "refunded_orders"), "refund_rate"),
    )
)
register(
    Metric(
        "nps",
        "Net Promoter Score: 100 * (share of scores 9-10 - share of scores 0-6), and the response count."
        + _PERIOD_NOTE,
        shape=_single(("nps", "responses", "promoters", "passives", "detractors"), "nps"),
    )
)
register(
    Metric(
        "rating",
        "Mean Course Rated stars and the number of ratings; per course with group_by=course."
        + _PERIOD_NOTE,
        params=(Param("group_by", "course: one row per course", ("course",)),),
        shape=_rating_shape,
    )
)
register(
    Metric(
        "ltv",
        "Lifetime value as of the period's end: all-time net revenue / all-time customers; rows per first-order cohort.",
        shape=_ltv_shape,
    )
)
register(
    Metric(
        "discount_codes",
        "Per coupon: orders, revenue, discount given, ROI = revenue / discount, sessions with Coupon Applied for it, "
        "code conversion = orders / those sessions, kind." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_totals_shape(("revenue", "discount"), ("orders",), "orders"),
    )
)
register(
    Metric(
        "organic_share",
        "Orders without a coupon / orders; and the same by revenue." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_single(
            (
                "organic_share",
                "orders",
                "organic_orders",
                "organic_revenue_share",
                "revenue",
                "organic_revenue",
            ),
            "organic_share",
        ),
    )
)
register(
    Metric(
        "coupon_kinds",
        "Orders, revenue and discount by coupon_kind (employee, marketing, partner) over orders with a coupon."
        + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_totals_shape(("revenue", "discount"), ("orders",), "orders"),
    )
)
register(
    Metric(
        "professions",
        "Customers, orders and revenue by the buyer's profession (latest known trait)."
        + _PERIOD_NOTE,
        shape=_totals_shape(("revenue",), ("customers", "orders"), "revenue"),
    )
)
register(
    Metric(
        "packages",
        "Per package_id: orders containing it and revenue allocated to its product lines (order revenue shared in "
        "proportion to line prices)." + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_totals_shape(("revenue",), (), "revenue"),
    )
)
register(
    Metric(
        "regions",
        "Customers, orders and revenue by the buyer's license state (latest known trait), and Texas vs all others."
        + _PERIOD_NOTE,
        shape=_regions_shape,
    )
)
register(
    Metric(
        "seasonality",
        "Orders and revenue by calendar month (1-12) across the years of the period."
        + _PERIOD_NOTE,
        params=BUYER_FILTERS,
        shape=_totals_shape(("revenue",), ("orders",), "revenue"),
    )
)
register(
    Metric(
        "cash_flow",
        "Per month of the period: revenue, refunds, net revenue, expenses (and by category), net cash flow.",
        shape=_totals_shape(
            ("revenue", "refunds", "net_revenue", "expenses", "net_cash_flow"), (), "net_cash_flow"
        ),
    )
)
register(
    Metric(
        "profit_margin",
        "(Net revenue - expenses) / net revenue." + _PERIOD_NOTE,
        shape=_single(("profit_margin", "net_revenue", "expenses", "profit"), "profit_margin"),
    )
)
register(
    Metric(
        "break_even",
        "Cumulative net cash flow by month since the first money recorded, up to the period's end, and the first "
        "month it is >= 0 (null if never).",
        shape=_break_even_shape,
    )
)
register(
    Metric(
        "goals",
        "The school's goals with their targets (GOALS_* settings) and whether each is met: active users (30 days "
        "before the period's end), monthly net revenue, course completion rate, average rating.",
        shape=_goals_shape,
    )
)
