"""``GET /api/v1/health``: the pipeline's own health as JSON, for the
Operations panels and scripts (Prometheus scrapes ``/metrics`` instead).

:func:`pipeline_health` is also what the ``live`` metric merges in. In
embedded mode the read API shares the aggregator's process and gets its
:class:`~drtroy_aggregator.pipeline.Pipeline`, so lag, commit time and
counters are the live figures of this run; a read API without a pipeline
(production) reports freshness only, which it reads from ClickHouse itself.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from drtroy_aggregator.telemetry import Freshness, read_freshness
from fastapi import APIRouter, Request
from fastapi.responses import Response

from drtroy_metrics.warehouse import Warehouse

router = APIRouter()

COLLECTOR_TIMEOUT_S = 1.0


def _iso(t: datetime | float | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, int | float):
        t = datetime.fromtimestamp(t, UTC)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def collector_status(url: str, timeout_s: float = COLLECTOR_TIMEOUT_S) -> dict[str, Any]:
    """Whether the collector answers its ``/healthz`` (alive, not broker-ready)."""
    started = time.perf_counter()
    try:
        r = httpx.get(url.rstrip("/") + "/healthz", timeout=timeout_s)
    except httpx.HTTPError as e:
        return {
            "url": url,
            "reachable": False,
            "status_code": None,
            "latency_ms": None,
            "error": f"{type(e).__name__}: {e}"[:300],
        }
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    ok = r.status_code == 200
    return {
        "url": url,
        "reachable": ok,
        "status_code": r.status_code,
        "latency_ms": latency_ms,
        "error": None if ok else f"status {r.status_code}",
    }


def pipeline_health(
    pipeline: Any, wh: Warehouse, collector_url: str | None = None
) -> dict[str, Any]:
    """The pipeline's health figures (blocking: run it in a thread from async code).

    - ``freshness_seconds``: now minus the newest data visible in ClickHouse
      (newest event ``received_at`` or stored heartbeat, see
      ``drtroy_aggregator.telemetry``), read now; if ClickHouse can't answer,
      the pipeline's last reading (``freshness_source`` says which).
    - ``consumer_lag``: messages behind the log end per partition (and total).
    - ``seconds_since_last_commit``: since the last offset commit, or since
      the aggregator started if it has not committed yet.
    - ``rows_written``, ``dead_letters``, ``heartbeats_stored``: this run of
      the aggregator (since its process started).
    - ``collector``: its ``/healthz`` answer, when ``collector_url`` (the
      ``COLLECTOR_URL`` setting) is given; else None.

    Figures only the aggregator knows are None without a ``pipeline``.
    """
    now = datetime.now(UTC)
    fresh: Freshness | None
    source = "clickhouse"
    try:
        fresh = read_freshness(wh)
        if pipeline is not None:
            pipeline.note_freshness(fresh)  # the gauge shows the newest reading too
    except Exception:
        fresh = getattr(pipeline, "freshness", None)
        source = "cached"
    out: dict[str, Any] = {
        "checked_at": _iso(now),
        "freshness_seconds": None,
        "freshness_source": source if fresh is not None else None,
        "newest_visible_at": None,
        "newest_event_received_at": None,
        "newest_heartbeat_at": None,
        "consumer_lag": None,
        "consumer_lag_total": None,
        "seconds_since_last_commit": None,
        "last_commit_at": None,
        "rows_written": None,
        "dead_letters": None,
        "heartbeats_stored": None,
        "collector": None,
    }
    if fresh is not None:
        seconds = fresh.seconds(now)
        out.update(
            freshness_seconds=None if seconds is None else round(seconds, 3),
            newest_visible_at=_iso(fresh.newest_at),
            newest_event_received_at=_iso(fresh.newest_event_received_at),
            newest_heartbeat_at=_iso(fresh.newest_heartbeat_at),
        )
    if pipeline is not None:
        lag = {str(p): int(n) for p, n in sorted(dict(pipeline.lag).items())}
        out.update(
            consumer_lag=lag,
            consumer_lag_total=sum(lag.values()),
            seconds_since_last_commit=round(time.time() - pipeline.last_commit, 3),
            last_commit_at=_iso(pipeline.last_commit),
            rows_written=int(pipeline.rows_written),
            dead_letters=int(pipeline.dead_letters),
            heartbeats_stored=int(pipeline.heartbeats_stored),
        )
    if collector_url:
        out["collector"] = collector_status(collector_url)
    return out


@router.get("/api/v1/health")
async def health(request: Request) -> Response:
    """The pipeline's health: freshness, lag per partition, time since the
    last commit, rows written, dead letters, collector reachability."""
    state = request.app.state
    data = await asyncio.to_thread(
        pipeline_health, getattr(state, "pipeline", None), state.wh, state.settings.collector_url
    )
    return Response(orjson.dumps(data), media_type="application/json")
