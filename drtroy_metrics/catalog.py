"""The metric catalog: every metric of metrics.md, its parameters, and how its
query's result becomes the read API's answer.

The SQL of metric ``X`` is ``clickhouse/queries/X.sql``; the read API, the
terminal report and the dashboards all run that text. Queries take the
parameters ``{from:String}``, ``{to:String}`` (``YYYY-MM-DD``, the period is
``[from, to)`` in the reporting zone) and ``{tz:String}``, plus the metric's
own parameters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .warehouse import Warehouse, load_query


class BadRequest(ValueError):
    """A request the read API answers with 400 and this text."""


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    choices: tuple[str, ...] = ()
    default: str | None = None
    kind: str = "str"  # str | int


Rows = list[dict[str, Any]]
Shaper = Callable[[Rows, dict[str, Any]], dict[str, Any]]


def rows_only(rows: Rows, params: dict[str, Any]) -> dict[str, Any]:
    return {"rows": rows}


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    params: tuple[Param, ...] = ()
    shape: Shaper = rows_only
    # the query file; defaults to the metric's name. A callable picks one per request.
    query: str | Callable[[dict[str, Any]], str] | None = None
    # the server passes the pipeline's health to the shape (``live``)
    wants_pipeline_health: bool = False

    def query_name(self, params: dict[str, Any]) -> str:
        if callable(self.query):
            return self.query(params)
        return self.query or self.name


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name} registered twice")
    METRICS[metric.name] = metric
    return metric


register(
    Metric(
        "event_counts",
        "Events by name in the period, each event counted once (distinct messageId).",
        shape=lambda rows, p: {"value": sum(r["events"] for r in rows), "rows": rows},
    )
)


# ---- request handling ---------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(name: str, value: str | None) -> dt.date:
    if value is None or not _DATE.match(value):
        raise BadRequest(f"'{name}' must be a date as YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise BadRequest(f"'{name}' is not a real date: {value!r}") from e


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 30 days up to and including today."""
    return today - dt.timedelta(days=29), today + dt.timedelta(days=1)


def resolve_params(metric: Metric, raw: dict[str, str], today: dt.date) -> dict[str, Any]:
    """Validate the request's parameters; raises BadRequest naming the problem."""
    allowed = {"from", "to"} | {p.name for p in metric.params}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise BadRequest(
            f"unknown parameter(s) {', '.join(unknown)} for '{metric.name}'; it takes: {', '.join(sorted(allowed))}"
        )
    d_from, d_to = default_period(today)
    frm = parse_date("from", raw["from"]) if "from" in raw else d_from
    to = parse_date("to", raw["to"]) if "to" in raw else d_to
    if to <= frm:
        raise BadRequest(f"'to' ({to}) must be after 'from' ({frm}); the period is [from, to)")
    out: dict[str, Any] = {"from": frm.isoformat(), "to": to.isoformat()}
    for p in metric.params:
        # an empty value (`?profession=`) means "not given": the default
        value = raw.get(p.name) or p.default
        if value is None:
            out[p.name] = None if p.kind != "str" else ""
            continue
        if p.choices and value not in p.choices:
            raise BadRequest(f"'{p.name}' must be one of {', '.join(p.choices)}; got {value!r}")
        if p.kind == "int":
            try:
                out[p.name] = int(value)
            except ValueError as e:
                raise BadRequest(f"'{p.name}' must be an integer, got {value!r}") from e
            if out[p.name] < 1:
                raise BadRequest(f"'{p.name}' must be at least 1")
        else:
            out[p.name] = value
    return out


def jsonable(v: Any) -> Any:
    """ClickHouse values -> JSON values (Decimal -> float, NaN -> null, dates -> ISO)."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float):
        return None if (math.isnan(v) or math.isinf(v)) else v
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def run_metric(
    wh: Warehouse,
    name: str,
    raw: dict[str, str],
    tz: str,
    today: dt.date | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Answer one read-API request: the catalog's JSON shape.

    ``context`` holds facts from outside the warehouse that the server hands
    to the metric's shape (the pipeline's health for ``live``); they are never
    bound into the SQL."""
    metric = METRICS.get(name)
    if metric is None:
        raise BadRequest(f"unknown metric '{name}'; GET /api/v1/metrics lists them")
    today = today or dt.datetime.now(dt.UTC).date()
    params = resolve_params(metric, raw, today)
    sql = load_query(metric.query_name(params))
    bind = {**params, "tz": tz}
    columns, result = wh.query(sql, bind)
    rows = [{c: jsonable(v) for c, v in zip(columns, r, strict=True)} for r in result]
    answer: dict[str, Any] = {"metric": name, "from": params["from"], "to": params["to"], "tz": tz}
    answer.update(metric.shape(rows, {**params, **(context or {})}))
    answer.setdefault("rows", [])
    answer["sql"] = sql
    return answer


def describe() -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "description": m.description,
            "parameters": [
                {"name": "from", "description": "first day, YYYY-MM-DD"},
                {"name": "to", "description": "day after the last, YYYY-MM-DD"},
            ]
            + [
                {
                    "name": p.name,
                    "description": p.description,
                    "choices": list(p.choices),
                    "default": p.default,
                }
                for p in m.params
            ],
        }
        for m in METRICS.values()
    ]


# Register every metric module (kept last: those modules import from here).
from . import metric_defs  # noqa: E402, F401
