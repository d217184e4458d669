"""The read API app; in embedded mode it shares the aggregator's process and
ClickHouse client (chDB lets one process own its data directory)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from drtroy_metrics.catalog import METRICS, BadRequest, describe, jsonable, run_metric
from drtroy_metrics.settings import Settings
from drtroy_metrics.warehouse import Warehouse

from . import health, pages


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def create_app(settings: Settings, wh: Warehouse, pipeline: Any = None) -> FastAPI:
    app = FastAPI(title="drtroy-metrics read API", docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.wh = wh
    app.state.pipeline = pipeline
    tz = settings.reporting_tz

    @app.get("/api/v1/metrics")
    async def list_metrics() -> Response:
        """Every metric with its description and parameters."""
        return _json({"tz": tz, "metrics": describe()})

    @app.get("/api/v1/metrics/{name}")
    async def metric(name: str, request: Request) -> Response:
        """One metric for a period: ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` plus its parameters."""
        today = dt.datetime.now(ZoneInfo(tz)).date()
        metric_def = METRICS.get(name)
        context = None
        if metric_def is not None and metric_def.wants_pipeline_health:
            context = {
                "pipeline": await asyncio.to_thread(
                    health.pipeline_health, pipeline, wh, settings.collector_url
                )
            }
        try:
            answer = await asyncio.to_thread(
                run_metric, wh, name, dict(request.query_params), tz, today, context
            )
        except BadRequest as e:
            return _json({"error": str(e), "metric": name}, 400)
        return _json(answer)

    if settings.sql_console:

        @app.post("/api/v1/sql")
        async def sql(request: Request) -> Response:
            """Read-only SQL (enabled by SQL_CONSOLE=1; for tests and local digging)."""
            text = (await request.body()).decode()
            head = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
            if head not in ("SELECT", "WITH", "SHOW", "DESCRIBE", "EXPLAIN"):
                return _json({"error": "only SELECT/WITH/SHOW/DESCRIBE/EXPLAIN are allowed"}, 400)
            try:
                cols, rows = await asyncio.to_thread(wh.query, text)
            except Exception as e:
                return _json({"error": str(e)[:2000]}, 400)
            return _json({"columns": cols, "rows": [jsonable(list(r)) for r in rows]})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def prom() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # the pipeline's own health: /api/v1/health
    app.include_router(health.router)
    # the built-in dashboard: / and /static/...
    app.include_router(pages.router)

    return app
