"""Traffic, engagement, course and operations metrics of metrics.md.

Each metric's SQL is ``clickhouse/queries/<name>.sql``; its header comment is
the exact definition. The shapes here only rename, split and add up what the
query returned (totals of additive counts, ratios of them), so the numbers are
the query's.

Readings of metrics.md chosen here (where a reading could differ):

* Sessions (``session_spans`` view, migration 0200): events with an
  anonymousId, bot events left out; a new session at a visitor's first event
  or after a gap > 1800 s; a session belongs to the period in which it starts;
  events are read one day either side of the period, so only a visitor active
  without a 30-minute pause for over a day would have a session cut.
* ``traffic``: visitors = anonymousIds with an event in the period; sessions =
  sessions starting in it; page views = page events in it. Grouped rows put
  each event under the attribute of its session (channel and landing page of
  its first page event, device of its first event with a known device,
  country/region of its first event with one); sessions with no page event
  have channel and landing page ''.
* ``sessions``: bounce rate = sessions with exactly one page event / all
  sessions starting in the period (sessions without a page event are in the
  denominator but are not bounces).
* ``return_visits``: 2+ sessions means 2+ sessions starting in the period;
  returning = the visitor has a non-bot event before the period.
* ``dropoff``: ``reached`` at index i = users whose furthest started lesson
  is >= i (a skipped lesson still counts as reached).
* Course metrics are per userId and keep bot flags out of it (they are about
  signed-in learners, mostly server events without a user agent).
* ``page_speed``: every non-bot page event with ``properties.load_ms`` and every
  ``Web Vitals`` event with ``load_ms``/``lcp_ms`` is one sample; a percentile
  of no samples is null (see page_speed.sql for how the rollup tells).
* ``funnel``: step ``page`` is the page call; ``steps`` takes 2 to 8 names.
* ``live``: events per second = events of the last ``minutes`` complete
  minutes / (minutes * 60), bots included (pipeline throughput).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from drtroy_metrics.catalog import BadRequest, Metric, Param, Rows, register

DEFAULT_FUNNEL_STEPS = "page,Product Viewed,Checkout Started,Order Completed"
MAX_FUNNEL_STEPS = 8  # the conditions written out in funnel.sql

TRAFFIC_GROUPS = ("channel", "landing_page", "country", "region", "device")


def ratio(num: float | int | None, den: float | int | None) -> float | None:
    """num / den as a fraction; None when the denominator is zero or missing."""
    if not den or num is None:
        return None
    return num / den


def _split_total(rows: Rows) -> tuple[dict[str, Any] | None, Rows]:
    """Rows with ``is_total`` -> (the total row, the others), without the flag."""
    total, rest = None, []
    for r in rows:
        flag = r.pop("is_total", 0)
        if flag:
            total = r
        else:
            rest.append(r)
    return total, rest


# ---- traffic ------------------------------------------------------------------


def shape_traffic(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """The total row -> values; grouped rows keyed by the group_by name."""
    total, rest = _split_total(rows)
    total = total or {"visitors": 0, "sessions": 0, "page_views": 0}
    group = params.get("group_by") or ""
    out_rows = []
    for r in rest:
        key = r.pop("key")
        out_rows.append({group: key, **r})
    values = {k: total[k] for k in ("visitors", "sessions", "page_views")}
    return {"value": values["visitors"], "values": values, "rows": out_rows}


def _traffic_query(params: dict[str, Any]) -> str:
    # One query file per group_by (choices are checked before this runs): the
    # session_spans view then computes only the attribute asked for.
    group = params.get("group_by") or ""
    return f"traffic_by_{group}" if group else "traffic"


register(
    Metric(
        "traffic",
        "Visitors (anonymousIds with an event), sessions (starting in the period) and page views, "
        "bots out; group_by=channel|landing_page|country|region|device for rows by session attribute.",
        params=(Param("group_by", "split by a session attribute", choices=TRAFFIC_GROUPS),),
        shape=shape_traffic,
        query=_traffic_query,
    )
)


def shape_landing_pages(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Rows as they come; the listed sessions as the headline."""
    return {"value": sum(r["sessions"] for r in rows), "rows": rows}


register(
    Metric(
        "landing_pages",
        "Per landing page (first page of the session): sessions starting in the period, visitors, "
        "sessions containing an order and conversion = converted sessions / sessions.",
        params=(Param("limit", "how many pages", default="50", kind="int"),),
        shape=shape_landing_pages,
    )
)


# ---- usage patterns -----------------------------------------------------------

register(
    Metric(
        "peak_usage",
        "Distinct visitors and their events (bots out) by ISO weekday (1 = Monday) x hour of the reporting zone.",
    )
)


def shape_one_row(headline: str) -> Callable[[Rows, dict[str, Any]], dict[str, Any]]:
    """A one-row query -> values (that row) and value (its ``headline`` column)."""

    def shape(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
        values = dict(rows[0]) if rows else {}
        return {"value": values.get(headline), "values": values, "rows": []}

    return shape


register(
    Metric(
        "sessions",
        "Sessions starting in the period (bots out), mean and median duration in seconds "
        "(last - first event), bounce rate (sessions with exactly one page event / sessions).",
        shape=shape_one_row("sessions"),
    )
)

register(
    Metric(
        "return_visits",
        "Among visitors of the period: the share with 2+ sessions starting in the period, "
        "and returning visitors (seen before the period) with their share.",
        shape=shape_one_row("multi_session_share"),
    )
)


def shape_devices(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Adds mobile_share = (mobile + tablet sessions) / sessions."""
    sessions = sum(r["sessions"] for r in rows)
    mobile = sum(r["sessions"] for r in rows if r["device"] in ("mobile", "tablet"))
    share = ratio(mobile, sessions)
    return {"value": share, "values": {"sessions": sessions, "mobile_share": share}, "rows": rows}


register(
    Metric(
        "devices",
        "Sessions and visitors by device class (bots out); mobile share = (mobile + tablet) sessions / sessions.",
        shape=shape_devices,
    )
)


# ---- courses --------------------------------------------------------------------


def shape_course_completion(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """The all-courses total row -> values; per-course rows."""
    total, rest = _split_total(rows)
    if total is None:
        total = {
            "started": 0,
            "completed": 0,
            "completion_rate": None,
            "mean_hours_to_complete": None,
        }
    total.pop("course_id", None)
    return {"value": total["completion_rate"], "values": total, "rows": rest}


register(
    Metric(
        "course_completion",
        "Per course and overall, over (user, course) pairs whose first-ever Lesson Started is in the period: "
        "started, completed (Course Completed by now), completion_rate, mean_hours_to_complete.",
        shape=shape_course_completion,
    )
)

register(
    Metric(
        "dropoff",
        "Per course and lesson index, among users whose first-ever start of the course is in the period: "
        "reached (furthest started lesson >= index) and dropped (furthest lesson is this one, course not completed).",
        params=(Param("course", "one course_id (all courses when absent)"),),
    )
)

register(
    Metric(
        "popular_courses",
        "Per course in the period: enrollments, lesson starts, completions (events) and the revenue "
        "allocated to its product lines of the orders placed in the period.",
    )
)


def shape_certificate_rate(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Adds the all-courses totals (pairs add up across courses)."""
    completed = sum(r["completed"] for r in rows)
    with_cert = sum(r["with_certificate"] for r in rows)
    rate = ratio(with_cert, completed)
    values = {"completed": completed, "with_certificate": with_cert, "certificate_rate": rate}
    return {"value": rate, "values": values, "rows": rows}


register(
    Metric(
        "certificate_rate",
        "Of the (user, course) pairs first completed in the period, the share with a Certificate Downloaded "
        "for that course by now; per course and overall.",
        shape=shape_certificate_rate,
    )
)


def funnel_steps(raw: str) -> list[str]:
    """The step names of a ``steps`` parameter; raises BadRequest when unusable."""
    steps = [s.strip() for s in (raw or DEFAULT_FUNNEL_STEPS).split(",")]
    if any(not s for s in steps):
        raise BadRequest("'steps' must be event names separated by commas, none empty")
    if not 2 <= len(steps) <= MAX_FUNNEL_STEPS:
        raise BadRequest(f"'steps' takes 2 to {MAX_FUNNEL_STEPS} event names, got {len(steps)}")
    return steps


def _funnel_query(params: dict[str, Any]) -> str:
    # Validates (and normalises) steps before the query runs: run_metric picks
    # the query file after resolving the parameters and before binding them.
    params["steps"] = ",".join(funnel_steps(params.get("steps") or ""))
    return "funnel"


def shape_funnel(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Every step with visitors reaching it, step and overall conversion."""
    steps = funnel_steps(params.get("steps") or "")
    reached = {int(r["step"]): r["visitors"] for r in rows}
    first = reached.get(1, 0)
    out, prev = [], None
    for i, name in enumerate(steps, start=1):
        n = reached.get(i, 0)
        out.append(
            {
                "step": i,
                "event": name,
                "visitors": n,
                "step_conversion": ratio(n, prev if prev is not None else n),
                "overall_conversion": ratio(n, first),
            }
        )
        prev = n
    overall = ratio(reached.get(len(steps), 0), first)
    return {"value": overall, "values": {"visitors": first, "conversion": overall}, "rows": out}


register(
    Metric(
        "funnel",
        "Visitors (anonymousId) reaching each step in order within 7 days of the first (windowFunnel), "
        "first step in the period; step and overall conversion. steps= comma-separated event names "
        "('page' = page view).",
        params=(
            Param("steps", "comma-separated event names, 2 to 8", default=DEFAULT_FUNNEL_STEPS),
        ),
        shape=shape_funnel,
        query=_funnel_query,
    )
)


# ---- operations ----------------------------------------------------------------


def shape_uptime(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Incident tuples -> dicts; overall checks and uptime as values."""
    for r in rows:
        r["incidents"] = [
            {"start": s, "end": e, "failed_checks": n, "resolved_at": res}
            for s, e, n, res in (r.get("incidents") or [])
        ]
    checks = sum(r["checks"] for r in rows)
    ok = sum(r["ok_checks"] for r in rows)
    up = ratio(ok, checks)
    values = {
        "checks": checks,
        "ok_checks": ok,
        "uptime": up,
        "incidents": sum(len(r["incidents"]) for r in rows),
    }
    return {"value": up, "values": values, "rows": rows}


register(
    Metric(
        "uptime",
        "Per target: checks, successful checks, uptime fraction, p50/p95 latency (ms), and incidents "
        "(runs of consecutive failed checks starting in the period, with start, end and recovery).",
        shape=shape_uptime,
    )
)


_SPEED_KEYS = ("page_views", "load_ms_p50", "load_ms_p75", "lcp_ms_p50", "lcp_ms_p75")


def shape_page_speed(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """One figure set, or rows per page with group_by=page."""
    for r in rows:
        r.pop("lq", None)
        r.pop("cq", None)
    if params.get("group_by") == "page":
        return {"rows": rows}
    values = {k: (rows[0][k] if rows else None) for k in _SPEED_KEYS}
    if not rows:
        values["page_views"] = 0
    return {"value": values["load_ms_p50"], "values": values, "rows": []}


register(
    Metric(
        "page_speed",
        "p50 and p75 (quantileExact) of load_ms (page events and Web Vitals) and lcp_ms (Web Vitals), bots out; "
        "per page with group_by=page.",
        params=(Param("group_by", "one row per page path", choices=("page",)),),
        shape=shape_page_speed,
    )
)


def shape_error_rate(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Headline figures and errors by message."""
    r = rows[0]
    values = {k: r[k] for k in ("errors", "page_views", "error_rate")}
    by_message = [{"error_message": m, "errors": n} for m, n in r["by_message"]]
    return {"value": values["error_rate"], "values": values, "rows": by_message}


register(
    Metric(
        "error_rate",
        "JS Error events / page views (bots out of both), and errors by message.",
        params=(Param("limit", "how many messages", default="20", kind="int"),),
        shape=shape_error_rate,
    )
)


def shape_support_tickets(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Rows per day and category, plus by_category and a gap-free by_day series."""
    by_category: dict[str, int] = {}
    by_day: dict[str, int] = {}
    for r in rows:
        by_category[r["category"]] = by_category.get(r["category"], 0) + r["tickets"]
        by_day[r["day"]] = by_day.get(r["day"], 0) + r["tickets"]
    day, end = dt.date.fromisoformat(params["from"]), dt.date.fromisoformat(params["to"])
    series = []
    while day < end:
        series.append({"day": day.isoformat(), "tickets": by_day.get(day.isoformat(), 0)})
        day += dt.timedelta(days=1)
    total = sum(by_category.values())
    cats = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "value": total,
        "values": {"tickets": total},
        "rows": rows,
        "by_category": [{"category": c, "tickets": n} for c, n in cats],
        "by_day": series,
    }


register(
    Metric(
        "support_tickets",
        "Tickets (distinct ticket_id, on the day first opened) by category and per day.",
        shape=shape_support_tickets,
    )
)

register(
    Metric(
        "signup_rate",
        "Signed Up events / visitors of the period.",
        shape=shape_one_row("signup_rate"),
    )
)


def shape_login_success(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Totals over methods and the overall rate."""
    ok = sum(r["signed_in"] for r in rows)
    failed = sum(r["sign_in_failed"] for r in rows)
    rate = ratio(ok, ok + failed)
    return {
        "value": rate,
        "values": {"signed_in": ok, "sign_in_failed": failed, "login_success": rate},
        "rows": rows,
    }


register(
    Metric(
        "login_success",
        "Signed In / (Signed In + Sign In Failed), overall and per method.",
        shape=shape_login_success,
    )
)


def shape_search_usage(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Counts, the two shares, and the top queries as rows."""
    r = rows[0]
    values = {
        "searches": r["searches"],
        "zero_result_searches": r["zero_result_searches"],
        "zero_result_share": ratio(r["zero_result_searches"], r["searches"]),
        "sessions": r["sessions"],
        "sessions_with_search": r["sessions_with_search"],
        "search_session_share": ratio(r["sessions_with_search"], r["sessions"]),
    }
    top = [{"query": q, "searches": n, "zero_result_searches": z} for q, n, z in r["top_queries"]]
    return {"value": values["searches"], "values": values, "rows": top}


register(
    Metric(
        "search_usage",
        "Searches, share of sessions with a search, share of searches with zero results, top queries (bots out).",
        params=(Param("limit", "how many top queries", default="10", kind="int"),),
        shape=shape_search_usage,
    )
)

register(
    Metric(
        "feature_usage",
        "Per feature: Feature Used events, distinct users (userId) and visitors (anonymousId), bots out.",
    )
)


# ---- live -------------------------------------------------------------------------


def shape_live(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    """Per-minute series, events per second, active visitors, top pages.

    Pipeline health (collector/aggregator state, consumer lag) is not in the
    warehouse: whoever serves ``live`` may put it in ``params["pipeline"]``
    (a dict) and it is returned as ``pipeline``, its scalar entries also in
    ``values``.
    """
    r = rows[0]
    minutes = params["minutes"]
    series = [{"minute": m, "events": n, "events_per_second": n / 60} for m, n in r["per_minute"]]
    eps = sum(x["events"] for x in series) / (minutes * 60)
    values: dict[str, Any] = {"events_per_second": eps, "active_visitors": r["active_visitors"]}
    out: dict[str, Any] = {
        "value": eps,
        "values": values,
        "rows": series,
        "top_pages": [{"page": p, "views": v, "visitors": u} for p, v, u in r["top_pages"]],
    }
    pipeline = params.get("pipeline")
    if isinstance(pipeline, dict):
        out["pipeline"] = pipeline
        values.update(
            {
                k: v
                for k, v in pipeline.items()
                if isinstance(v, int | float | str | bool) or v is None
            }
        )
    return out


register(
    Metric(
        "live",
        "Events per second over the last minutes (per minute), active visitors in the last 5 minutes, "
        "top pages now, and the pipeline's health (freshness, consumer lag, collector).",
        params=(
            Param("minutes", "how many complete minutes back", default="15", kind="int"),
            Param("limit", "how many top pages", default="10", kind="int"),
        ),
        shape=shape_live,
        wants_pipeline_health=True,
    )
)
