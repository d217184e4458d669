"""Grafana dashboards generated from the metric query files.

``python -m drtroy_metrics.grafana`` writes ``deploy/grafana/dashboards/*.json``
(``--check`` only says whether they are up to date). Every panel's SQL is the
text of ``clickhouse/queries/<metric>.sql`` (the file the read API runs for
the panel's parameters) with the read API's parameters replaced by Grafana's
macros and dashboard variables, so the dashboards can never drift from the
read API; a test fails when the committed JSON is stale.

Substitutions (``{name:Type}`` is ClickHouse's query-parameter syntax):

``{from:String}``
    the first day of the dashboard range, in the reporting zone:
    ``toString(toDate(toTimeZone($__fromTime, ${tz:sqlstring})))``.
``{to:String}``
    the day after the last day of the range: the date of (range end - 1 s)
    plus one day. The read API's period is ``[from, to)`` in whole days;
    Grafana's ranges end at an instant (``now``, or 23:59:59 of the last day
    of an absolute range), so the day containing the end is included, and a
    range ending exactly at midnight does not include the next day.
``{tz:String}``
    ``${tz:sqlstring}``: a hidden constant variable holding the reporting
    zone (``REPORTING_TZ``; regenerate with ``--tz`` for another zone).
other parameters
    a literal when the panel fixes it (``group_by='channel'``); for the
    filters and choices a reader changes (``VARIABLE_PARAMS``: course,
    interval, ...) otherwise a dashboard variable of the same name (a
    drop-down when the catalog lists choices, else a text box holding the
    catalog's default; String values go through Grafana's ``sqlstring``
    format: quoted, quotes escaped); any other parameter (limit, minutes,
    steps) is the catalog's default as a literal. The buyer filters
    (``FILTER_PARAMS``: profession, state) are drop-downs that start at
    "All", whose value is the literal ``''`` (no filter).

The ``$__fromTime``/``$__toTime`` macros of grafana-clickhouse-datasource
expand to ``toDateTime(<unix seconds>)``; the dashboards use them only to
derive the period's days, like the read API. ``$__interval_s`` and
``$__timeFilter`` are not needed: each query buckets by its own ``interval``
parameter and filters on its own period.

Panels read the raw query result, not the read API's shaped answer: a figure
that the catalog computes in Python from the result (the goals' targets, the
funnel's event names) is not shown in Grafana; the built-in dashboard has it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import METRICS, Metric
from .warehouse import load_query

DATASOURCE_UID = "drtroy-clickhouse"
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": DATASOURCE_UID}
DEFAULT_TZ = "America/Chicago"
ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"

# Parameters that become dashboard variables when a panel does not fix them;
# any other parameter (limit, minutes, steps, group_by) is the catalog's default.
VARIABLE_PARAMS = frozenset({"course", "interval", "profession", "license_state", "state"})
# Of those, the optional filters whose empty value means "everyone": their
# drop-down starts at an "All" option that sends ''.
FILTER_PARAMS = frozenset({"profession", "license_state", "state"})

TZ_SQL = "${tz:sqlstring}"
FROM_SQL = f"(toString(toDate(toTimeZone($__fromTime, {TZ_SQL}))))"
TO_SQL = f"(toString(toDate(toTimeZone($__toTime - 1, {TZ_SQL})) + 1))"

_PARAM = re.compile(r"\{(\w+):([A-Za-z0-9_(), ]+?)\}")


# ---- SQL -----------------------------------------------------------------------


def sql_literal(value: str, ch_type: str) -> str:
    """A ClickHouse literal for a fixed panel parameter."""
    if ch_type.startswith(("UInt", "Int", "Float")):
        float(value)  # fails loudly on a bad number
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def grafana_sql(sql: str, fixed: dict[str, str] | None = None) -> str:
    """A query file's SQL with its parameters replaced by Grafana macros,
    panel literals and dashboard variables (see the module's docstring)."""
    fixed = fixed or {}

    def sub(m: re.Match[str]) -> str:
        name, ch_type = m.group(1), m.group(2)
        if name == "from":
            return FROM_SQL
        if name == "to":
            return TO_SQL
        if name == "tz":
            return TZ_SQL
        if name in fixed:
            return sql_literal(fixed[name], ch_type)
        return f"${{{name}:sqlstring}}" if ch_type == "String" else f"${{{name}}}"

    return _PARAM.sub(sub, sql)


def query_params(sql: str) -> dict[str, str]:
    """The ``{name:Type}`` parameters of a query, in order of first use."""
    out: dict[str, str] = {}
    for m in _PARAM.finditer(sql):
        out.setdefault(m.group(1), m.group(2))
    return out


# ---- panels ----------------------------------------------------------------------

# Column name -> Grafana unit; first match wins (the built-in dashboard's rules).
_UNIT_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|_)roi$", "none"),
    (r"(^|_)(change|growth)|_vs_", "percentunit"),
    (
        r"(^|_)(rate|share|fraction|ratio|conversion|margin|uptime|retention|percent|success)(_|$)",
        "percentunit",
    ),
    (
        r"(^|_)(orders|count|visitors|sessions|views|customers|users|events|checks|incidents|tickets|responses|searches|enrollments|starts|completions|completed|started|dropped|reached|signups|errors|retained|bounces|ratings)$",
        "short",
    ),
    (
        r"revenue|refund|aov|ltv|cac|amount|discount|expense|cash|spend|cost|price|per_customer|profit",
        "currencyUSD",
    ),
    (r"_ms$|latency|lcp|load_", "ms"),
    (r"hours", "h"),
    (r"duration|_s$|seconds", "s"),
)


def unit_for(column: str) -> str:
    """The Grafana unit of a result column, from its catalog name."""
    for pattern, unit in _UNIT_RULES:
        if re.search(pattern, column):
            return unit
    return "none"


@dataclass(frozen=True)
class Panel:
    """One Grafana panel over one metric query.

    ``columns`` are the result columns the panel reads (the test checks the
    query returns them); ``params`` are fixed parameters; ``viz`` is one of
    stat, timeseries, barchart, table, bargauge, matrix (a table pivoted by
    ``pivot=(row, column, value)``, used for the weekday x hour heatmap and
    the cohort table). ``only`` keeps the rows whose column has a value.
    """

    title: str
    metric: str
    viz: str
    columns: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)
    w: int = 12
    h: int = 8
    x: str | None = None
    pivot: tuple[str, str, str] | None = None
    only: tuple[str, int] | None = None
    description: str = ""

    def metric_def(self) -> Metric:
        if self.metric not in METRICS:
            raise KeyError(f"panel '{self.title}': no metric '{self.metric}' in the catalog")
        return METRICS[self.metric]

    def query_name(self) -> str:
        """The query file the read API runs for this panel's fixed parameters."""
        m = self.metric_def()
        defaults: dict[str, Any] = {
            p.name: p.default if p.default is not None else "" for p in m.params
        }
        return m.query_name({**defaults, **self.params})

    def source_sql(self) -> str:
        return load_query(self.query_name())

    def fixed(self) -> dict[str, str]:
        """Literal parameters: the panel's own, and the catalog default of every
        parameter that is not a dashboard variable (see VARIABLE_PARAMS)."""
        defaults = {
            p.name: p.default if p.default is not None else "" for p in self.metric_def().params
        }
        out = {}
        for name in query_params(self.source_sql()):
            if name in ("from", "to", "tz"):
                continue
            if name in self.params:
                out[name] = self.params[name]
            elif name not in VARIABLE_PARAMS:
                out[name] = defaults.get(name, "")
        return out

    def sql(self) -> str:
        return grafana_sql(self.source_sql(), self.fixed())

    def variables(self) -> dict[str, str]:
        """Parameters left to dashboard variables, with their ClickHouse types."""
        fixed = self.fixed()
        return {
            n: t
            for n, t in query_params(self.source_sql()).items()
            if n not in ("from", "to", "tz") and n not in fixed
        }


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple[Panel, ...]
    refresh: str = ""
    description: str = ""


def _stat(title: str, metric: str, columns: Iterable[str], **kw: Any) -> Panel:
    return Panel(title, metric, "stat", tuple(columns), **kw)


# on both the Overview and the Audience dashboards
SESSIONS_BY_CHANNEL = Panel(
    "Sessions by channel",
    "traffic",
    "barchart",
    ("key", "sessions", "visitors"),
    params={"group_by": "channel"},
    x="key",
    only=("is_total", 0),
)

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "drtroy-overview",
        "DrTroy · Overview",
        (
            _stat(
                "Goals: active users, monthly net revenue, completion, rating",
                "goals",
                ("active_users", "monthly_net_revenue", "course_completion_rate", "average_rating"),
                w=24,
                h=5,
                description="Targets: active users 100/500/1000, monthly net revenue 10k/25k/50k USD, completion 0.85, rating 4.5.",
            ),
            _stat(
                "Revenue",
                "revenue",
                ("revenue", "refunds", "net_revenue", "orders"),
                params={"interval": ""},
                w=12,
                h=5,
            ),
            _stat(
                "Visitors and conversion",
                "conversion_rate",
                ("visitors", "customers", "conversion_rate"),
                w=12,
                h=5,
            ),
            Panel(
                "Revenue by day",
                "revenue",
                "timeseries",
                ("bucket", "revenue", "net_revenue", "refunds"),
                params={"interval": "day"},
                w=16,
            ),
            Panel(
                "Purchase funnel (visitors reaching each step)",
                "funnel",
                "bargauge",
                ("step", "visitors"),
                w=8,
            ),
            SESSIONS_BY_CHANNEL,
            Panel(
                "Popular courses",
                "popular_courses",
                "barchart",
                ("course_id", "enrollments", "completions"),
                x="course_id",
            ),
        ),
    ),
    Dashboard(
        "drtroy-revenue",
        "DrTroy · Revenue & customers",
        (
            Panel(
                "Revenue by ${interval}",
                "revenue",
                "timeseries",
                ("bucket", "revenue", "net_revenue", "refunds"),
                w=16,
            ),
            _stat(
                "Customers",
                "customers",
                ("customers", "new_customers", "returning_customers", "repeat_rate"),
                w=8,
            ),
            _stat("Average order value", "aov", ("aov", "orders"), w=6, h=5),
            _stat(
                "Revenue per customer", "revenue_per_customer", ("revenue_per_customer",), w=6, h=5
            ),
            _stat("Refund rate", "refund_rate", ("refund_rate", "refunded_orders"), w=6, h=5),
            _stat(
                "Customer acquisition cost",
                "cac",
                ("cac", "marketing_expenses", "new_customers"),
                w=6,
                h=5,
            ),
            Panel(
                "Growth by month",
                "growth",
                "table",
                ("month", "net_revenue", "change_vs_previous_month", "change_vs_year_ago"),
            ),
            Panel(
                "Lifetime value by first-order cohort",
                "ltv",
                "table",
                ("cohort", "customers", "net_revenue", "ltv"),
            ),
            Panel(
                "Retention by first-order cohort (share ordering N months later)",
                "retention",
                "matrix",
                ("cohort", "month_offset", "retention"),
                pivot=("cohort", "month_offset", "retention"),
                w=24,
            ),
            Panel(
                "Revenue by profession",
                "professions",
                "barchart",
                ("profession", "revenue", "customers"),
                x="profession",
            ),
            Panel(
                "Revenue by license state",
                "regions",
                "barchart",
                ("license_state", "revenue", "customers"),
                x="license_state",
            ),
            Panel(
                "Packages",
                "packages",
                "barchart",
                ("package_id", "revenue", "orders"),
                x="package_id",
            ),
            Panel(
                "Seasonality (orders and revenue by calendar month)",
                "seasonality",
                "table",
                ("month", "orders", "revenue", "years"),
            ),
            Panel(
                "Cash flow by month",
                "cash_flow",
                "timeseries",
                ("month", "net_revenue", "expenses", "net_cash_flow"),
                w=16,
            ),
            _stat("Profit margin", "profit_margin", ("profit_margin", "profit"), w=8),
            Panel(
                "Break-even (cumulative net cash flow)",
                "break_even",
                "timeseries",
                ("month", "cumulative_net_cash_flow"),
                w=24,
            ),
        ),
    ),
    Dashboard(
        "drtroy-marketing",
        "DrTroy · Marketing & codes",
        (
            Panel(
                "Discount codes",
                "discount_codes",
                "table",
                ("coupon", "kind", "orders", "revenue", "discount", "roi", "code_conversion"),
                w=24,
            ),
            _stat(
                "Organic share (orders without a coupon)",
                "organic_share",
                ("organic_share", "organic_revenue_share"),
                w=8,
            ),
            Panel(
                "Coupon kinds",
                "coupon_kinds",
                "barchart",
                ("coupon_kind", "revenue", "discount"),
                x="coupon_kind",
                w=16,
            ),
            SESSIONS_BY_CHANNEL,
            Panel(
                "Landing pages",
                "landing_pages",
                "table",
                ("landing_page", "sessions", "visitors", "conversion"),
            ),
            _stat("Conversion rate", "conversion_rate", ("conversion_rate",), w=8, h=5),
            _stat("Sign-up rate", "signup_rate", ("signup_rate", "signups"), w=8, h=5),
            _stat("Customer acquisition cost", "cac", ("cac",), w=8, h=5),
        ),
    ),
    Dashboard(
        "drtroy-courses",
        "DrTroy · Courses & engagement",
        (
            _stat(
                "Course completion (all courses)",
                "course_completion",
                ("started", "completed", "completion_rate", "mean_hours_to_complete"),
                only=("is_total", 1),
                w=12,
                h=5,
            ),
            _stat("Certificates and NPS", "certificate_rate", ("certificate_rate",), w=6, h=5),
            _stat("NPS", "nps", ("nps", "responses"), w=6, h=5),
            Panel(
                "Completion by course",
                "course_completion",
                "table",
                ("course_id", "started", "completed", "completion_rate", "mean_hours_to_complete"),
                only=("is_total", 0),
                w=24,
            ),
            Panel(
                "Drop-off by lesson (course: ${course}; empty = all)",
                "dropoff",
                "table",
                ("course_id", "lesson_index", "reached", "dropped"),
            ),
            Panel(
                "Popular courses",
                "popular_courses",
                "table",
                ("course_id", "enrollments", "lesson_starts", "completions", "revenue"),
            ),
            Panel(
                "Rating by course",
                "rating",
                "barchart",
                ("course_id", "rating", "ratings"),
                params={"group_by": "course"},
                x="course_id",
            ),
            Panel(
                "Feature usage",
                "feature_usage",
                "barchart",
                ("feature", "events", "users"),
                x="feature",
            ),
            _stat(
                "Search",
                "search_usage",
                ("searches", "zero_result_searches", "sessions_with_search"),
                w=12,
                h=5,
            ),
            _stat("Sign-in success", "login_success", ("login_success",), w=12, h=5),
        ),
    ),
    Dashboard(
        "drtroy-audience",
        "DrTroy · Audience",
        (
            _stat("Traffic", "traffic", ("visitors", "sessions", "page_views"), w=12, h=5),
            _stat(
                "Sessions", "sessions", ("sessions", "median_duration_s", "bounce_rate"), w=12, h=5
            ),
            Panel(
                "Traffic sources",
                "traffic",
                "barchart",
                ("key", "sessions", "visitors"),
                params={"group_by": "channel"},
                x="key",
                only=("is_total", 0),
            ),
            Panel(
                "Landing pages",
                "landing_pages",
                "barchart",
                ("landing_page", "sessions"),
                x="landing_page",
            ),
            Panel(
                "Devices",
                "devices",
                "barchart",
                ("device", "sessions", "visitors"),
                x="device",
                w=8,
            ),
            Panel(
                "Countries",
                "traffic",
                "barchart",
                ("key", "visitors"),
                params={"group_by": "country"},
                x="key",
                only=("is_total", 0),
                w=8,
            ),
            Panel(
                "Regions",
                "traffic",
                "barchart",
                ("key", "visitors"),
                params={"group_by": "region"},
                x="key",
                only=("is_total", 0),
                w=8,
            ),
            Panel(
                "Visitors by weekday (1 = Monday) x hour",
                "peak_usage",
                "matrix",
                ("weekday", "hour", "visitors"),
                pivot=("weekday", "hour", "visitors"),
                w=24,
                h=9,
            ),
            _stat(
                "Return visits",
                "return_visits",
                ("multi_session_share", "returning_visitors", "returning_share"),
                w=24,
                h=5,
            ),
        ),
    ),
    Dashboard(
        "drtroy-operations",
        "DrTroy · Operations",
        (
            _stat("Active visitors (last 5 minutes)", "live", ("active_visitors",), w=6, h=5),
            Panel(
                "Uptime by target",
                "uptime",
                "table",
                ("target", "checks", "uptime", "p50_ms", "p95_ms", "incidents"),
                w=18,
                h=5,
            ),
            _stat(
                "Page speed (p50 / p75)",
                "page_speed",
                ("load_ms_p50", "load_ms_p75", "lcp_ms_p50", "lcp_ms_p75"),
                w=12,
                h=5,
            ),
            _stat("JS error rate", "error_rate", ("error_rate", "errors"), w=12, h=5),
            Panel(
                "Page speed by page",
                "page_speed",
                "table",
                ("page", "page_views", "load_ms_p50", "load_ms_p75", "lcp_ms_p75"),
                params={"group_by": "page"},
            ),
            Panel(
                "Support tickets per day",
                "support_tickets",
                "timeseries",
                ("day", "category", "tickets"),
            ),
            Panel(
                "Sign-in success by method",
                "login_success",
                "table",
                ("method", "signed_in", "sign_in_failed", "login_success"),
            ),
        ),
        refresh="30s",
    ),
)


# ---- JSON --------------------------------------------------------------------------


def _target(panel: Panel) -> dict[str, Any]:
    ts = panel.viz == "timeseries"
    return {
        "datasource": DATASOURCE,
        "editorType": "sql",
        "format": 0 if ts else 1,
        "queryType": "timeSeries" if ts else "table",
        "rawSql": panel.sql(),
        "refId": "A",
    }


def _overrides(columns: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "matcher": {"id": "byName", "options": c},
            "properties": [{"id": "unit", "value": unit_for(c)}],
        }
        for c in columns
        if unit_for(c) != "none"
    ]


def _transformations(panel: Panel) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if panel.only:
        col, value = panel.only
        out.append(
            {
                "id": "filterByValue",
                "options": {
                    "filters": [
                        {"fieldName": col, "config": {"id": "equal", "options": {"value": value}}}
                    ],
                    "match": "any",
                    "type": "include",
                },
            }
        )
    if panel.pivot:
        row, column, cell = panel.pivot
        out.append(
            {
                "id": "groupingToMatrix",
                "options": {"rowField": row, "columnField": column, "valueField": cell},
            }
        )
    elif panel.viz != "timeseries":
        # show the panel's columns only, in its order
        out.append(
            {"id": "filterFieldsByName", "options": {"include": {"names": list(panel.columns)}}}
        )
    return out


def _panel_json(panel: Panel, pid: int, pos: dict[str, int]) -> dict[str, Any]:
    value_columns = [c for c in panel.columns if c not in (panel.x, *(panel.pivot or ())[:2])]
    base: dict[str, Any] = {
        "id": pid,
        "title": panel.title,
        "description": panel.description
        or f"Metric `{panel.metric}` (clickhouse/queries/{panel.query_name()}.sql)",
        "datasource": DATASOURCE,
        "gridPos": pos,
        "targets": [_target(panel)],
        "transformations": _transformations(panel),
    }
    defaults: dict[str, Any] = {}
    options: dict[str, Any] = {}
    viz = panel.viz
    if viz == "stat":
        options = {
            "reduceOptions": {
                "values": False,
                "calcs": ["firstNotNull"],
                "fields": "/^(" + "|".join(map(re.escape, panel.columns)) + ")$/",
            },
            "colorMode": "none",
            "graphMode": "none",
            "textMode": "value_and_name",
            "orientation": "horizontal",
        }
    elif viz == "timeseries":
        defaults = {
            "custom": {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 8, "showPoints": "auto"}
        }
        options = {
            "legend": {"displayMode": "list", "placement": "bottom"},
            "tooltip": {"mode": "multi"},
        }
    elif viz == "barchart":
        options = {
            "xField": panel.x,
            "orientation": "horizontal",
            "showValue": "auto",
            "legend": {"displayMode": "list", "placement": "bottom"},
        }
    elif viz == "bargauge":
        defaults = {"displayName": "Step ${__data.fields.step}"}
        options = {
            "reduceOptions": {"values": True, "calcs": [], "fields": "/^visitors$/"},
            "orientation": "horizontal",
            "displayMode": "basic",
            "showUnfilled": True,
        }
    elif viz == "matrix":
        defaults = {
            "custom": {
                "cellOptions": {"type": "color-background", "mode": "gradient"},
                "align": "center",
            },
            "color": {"mode": "continuous-BlPu"},
            "unit": unit_for(panel.pivot[2] if panel.pivot else ""),
        }
        options = {"showHeader": True, "cellHeight": "sm"}
        viz = "table"
    elif viz == "table":
        options = {"showHeader": True, "cellHeight": "sm"}
    else:
        raise ValueError(f"panel '{panel.title}': unknown viz {panel.viz!r}")
    base["type"] = viz
    base["fieldConfig"] = {
        "defaults": defaults,
        "overrides": [] if panel.viz == "matrix" else _overrides(value_columns),
    }
    base["options"] = options
    return base


def _layout(panels: Iterable[Panel]) -> list[dict[str, int]]:
    """Left-to-right rows on Grafana's 24-column grid."""
    out, x, y, row_h = [], 0, 0, 0
    for p in panels:
        if x + p.w > 24:
            x, y, row_h = 0, y + row_h, 0
        out.append({"x": x, "y": y, "w": p.w, "h": p.h})
        x += p.w
        row_h = max(row_h, p.h)
    return out


def _variables(dash: Dashboard, tz: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": "constant",
            "name": "tz",
            "label": "Reporting time zone",
            "hide": 2,
            "query": tz,
            "current": {"text": tz, "value": tz},
            "skipUrlSync": False,
        }
    ]
    seen: dict[str, Panel] = {}
    for panel in dash.panels:
        for name in panel.variables():
            seen.setdefault(name, panel)
    for name, panel in seen.items():
        param = next((p for p in panel.metric_def().params if p.name == name), None)
        default = (param.default if param and param.default is not None else "") if param else ""
        desc = param.description if param else ""
        if param and param.choices and name in FILTER_PARAMS:
            # A filter: "All" (the first option, selected) sends '' -- the
            # query's "no filter". Grafana puts a custom all value into the
            # SQL as it stands, unquoted, so it is the literal ''.
            out.append(
                {
                    "type": "custom",
                    "name": name,
                    "label": name.replace("_", " "),
                    "description": desc,
                    "query": ",".join(param.choices),
                    "options": [{"text": "All", "value": "$__all", "selected": True}]
                    + [{"text": c, "value": c, "selected": False} for c in param.choices],
                    "current": {"text": "All", "value": "$__all"},
                    "multi": False,
                    "includeAll": True,
                    "allValue": "''",
                }
            )
        elif param and param.choices:
            value = default or param.choices[0]
            out.append(
                {
                    "type": "custom",
                    "name": name,
                    "label": name.replace("_", " "),
                    "description": desc,
                    "query": ",".join(param.choices),
                    "options": [
                        {"text": c, "value": c, "selected": c == value} for c in param.choices
                    ],
                    "current": {"text": value, "value": value},
                    "multi": False,
                    "includeAll": False,
                }
            )
        else:
            out.append(
                {
                    "type": "textbox",
                    "name": name,
                    "label": name.replace("_", " "),
                    "description": desc,
                    "query": default,
                    "current": {"text": default, "value": default},
                }
            )
    return out


def dashboard_json(dash: Dashboard, tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """The Grafana dashboard model of one page."""
    positions = _layout(dash.panels)
    return {
        "uid": dash.uid,
        "title": dash.title,
        "description": dash.description
        or "Generated by `python -m drtroy_metrics.grafana` from clickhouse/queries; do not edit by hand.",
        "tags": ["drtroy", "generated"],
        "timezone": tz,
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": dash.refresh,
        "time": {"from": "now-29d/d", "to": "now/d"},
        "templating": {"list": _variables(dash, tz)},
        "links": [
            {"title": "DrTroy", "type": "dashboards", "tags": ["drtroy"], "asDropdown": True}
        ],
        "panels": [
            _panel_json(p, i + 1, pos)
            for i, (p, pos) in enumerate(zip(dash.panels, positions, strict=True))
        ],
    }


def render_all(tz: str = DEFAULT_TZ) -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        f"{d.uid}.json": json.dumps(dashboard_json(d, tz), indent=2, ensure_ascii=False) + "\n"
        for d in DASHBOARDS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drtroy_metrics.grafana", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DASHBOARD_DIR,
        help=f"folder of the JSON files (default {DASHBOARD_DIR})",
    )
    parser.add_argument("--tz", default=DEFAULT_TZ, help="the reporting time zone (REPORTING_TZ)")
    parser.add_argument(
        "--check", action="store_true", help="only check that the files are up to date"
    )
    args = parser.parse_args(argv)
    files = render_all(args.tz)
    stale = sorted(
        n
        for n, text in files.items()
        if not (args.out / n).exists() or (args.out / n).read_text() != text
    )
    extra = (
        sorted(p.name for p in args.out.glob("*.json") if p.name not in files)
        if args.out.exists()
        else []
    )
    if args.check:
        for n in stale:
            print(f"stale: {args.out / n}")
        for n in extra:
            print(f"not generated (remove it): {args.out / n}")
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for n in stale:
        (args.out / n).write_text(files[n])
        print(f"wrote {args.out / n}")
    for n in extra:
        print(f"not generated here, left alone: {args.out / n}")
    if not stale:
        print(f"{len(files)} dashboards up to date in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
