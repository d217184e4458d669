"""The Segment HTTP Tracking API, the tracker script, and health endpoints."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from drtroy_schemas import DeadLetter, Refusal, Trust
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from drtroy_metrics.names import DLQ_TOPIC, EVENTS_TOPIC

from . import telemetry as tm
from .enrich import client_ip
from .ingest import RequestFacts, collect, encode, partition_key, time_or_none
from .limits import TooLarge, gunzip_bounded

router = APIRouter()
STATIC = Path(__file__).with_name("static")
RETRY_AFTER_S = "2"


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status, self.message, self.headers = status, message, headers or {}


def _error(e: HttpError, endpoint: str) -> JSONResponse:
    tm.REQUESTS.labels(endpoint, str(e.status)).inc()
    return JSONResponse(
        {"success": False, "error": e.message}, status_code=e.status, headers=e.headers
    )


async def _read_body(request: Request) -> dict[str, Any] | list[Any]:
    settings = request.app.state.settings
    limit = settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"request body is over {limit} bytes; send smaller batches")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"request body is over {limit} bytes; send smaller batches")
        chunks.append(chunk)
    body = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip" or body[:2] == b"\x1f\x8b":
        try:
            body = gunzip_bounded(body, limit)
        except TooLarge as e:
            raise HttpError(413, f"{e}; send smaller batches") from e
        except Exception as e:
            raise HttpError(400, f"body is not valid gzip: {e}") from e
    if not body.strip():
        raise HttpError(400, "empty body: send a JSON object")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise HttpError(400, f"body is not valid JSON: {e}") from e
    if not isinstance(data, dict | list):
        raise HttpError(400, "body must be a JSON object")
    return data


def _key_trust(request: Request, body: dict[str, Any]) -> tuple[str, Trust]:
    settings = request.app.state.settings
    key = ""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            key = base64.b64decode(auth[6:].strip()).decode().split(":", 1)[0]
        except Exception as e:
            raise HttpError(401, "Authorization header is not valid Basic auth") from e
    key = key or str(body.get("writeKey") or "")
    if not key:
        raise HttpError(
            401, "no write key: send it as the Basic auth user name or as 'writeKey' in the body"
        )
    if key in settings.server_keys:
        return key, "server"
    if key in settings.browser_keys:
        return key, "client"
    raise HttpError(401, "unknown write key: check the key configured for this source")


async def _ingest(request: Request, call_type: str | None) -> Response:
    endpoint = call_type or "batch"
    received_at = datetime.now(UTC)
    state = request.app.state
    settings = state.settings
    try:
        data = await _read_body(request)
        if isinstance(data, list):  # a bare array of calls
            data = {"batch": data}
        key, trust = _key_trust(request, data)
        if call_type is None:
            calls = data.get("batch")
            if not isinstance(calls, list):
                raise HttpError(400, "a batch body needs a 'batch' array of calls")
        else:
            calls = [data]
        peer = request.client.host if request.client else ""
        ip = client_ip(peer, request.headers.get("x-forwarded-for"), settings.proxies)
        # Browser keys are public, so a page (or an abuser) is limited per
        # key and address; server keys are secrets held by trusted backends
        # whose backfills and imports must run at full speed.
        wait = state.bucket.take(f"{key}|{ip}", max(1, len(calls))) if trust == "client" else 0.0
        if wait > 0:
            raise HttpError(
                429,
                "rate limited: slow down and retry",
                {"Retry-After": str(max(1, int(wait + 0.999)))},
            )
    except HttpError as e:
        return _error(e, endpoint)

    batch_ctx = data.get("context") if isinstance(data.get("context"), dict) else {}
    facts = RequestFacts(
        received_at=received_at,
        key_trust=trust,
        client_ip=ip,
        user_agent=request.headers.get("user-agent", ""),
        batch_sent_at=time_or_none(data.get("sentAt")),
        batch_context=batch_ctx or {},
    )
    tm.BATCH_SIZE.observe(len(calls))
    results: list[dict[str, Any]] = []
    accepted: list[tuple[int, bytes, bytes]] = []
    dead: list[tuple[bytes, bytes]] = []
    for i, raw in enumerate(calls):
        size = len(orjson.dumps(raw)) if raw is not None else 0
        if size > settings.max_event_bytes:
            outcome: Any = Refusal(
                413, f"event is {size} bytes, over the {settings.max_event_bytes}-byte limit"
            )
        else:
            outcome = collect(raw, call_type, facts, state.enricher)
        mid = raw.get("messageId") if isinstance(raw, dict) else None
        if isinstance(outcome, Refusal):
            tm.EVENTS.labels("refused", str(outcome.status)).inc()
            results.append(
                {
                    "index": i,
                    "messageId": mid,
                    "status": "refused",
                    "code": outcome.status,
                    "error": outcome.reason,
                }
            )
            letter = DeadLetter(
                stage="collector",
                reason=outcome.reason,
                status=outcome.status,
                received_at=received_at,
                payload=raw if size <= settings.max_event_bytes else None,
            )
            dead.append((b"", orjson.dumps(letter.model_dump(mode="json"))))
        else:
            results.append(
                {"index": i, "messageId": outcome.message_id, "status": "accepted", "code": 200}
            )
            accepted.append((i, partition_key(outcome), encode(outcome)))

    started = time.perf_counter()
    flags = await state.sink.send_many(EVENTS_TOPIC, [(k, v) for _, k, v in accepted])
    tm.PRODUCE_SECONDS.observe(time.perf_counter() - started)
    not_durable = 0
    for (i, _, _), ok in zip(accepted, flags, strict=True):
        if ok:
            tm.EVENTS.labels("accepted", "").inc()
        else:
            not_durable += 1
            tm.EVENTS.labels("not_durable", "").inc()
            results[i].update(
                status="retry", code=503, error="not durable yet: retry with the same messageId"
            )
    if dead:
        await state.sink.send_many(
            DLQ_TOPIC, dead
        )  # best effort: the client already has the reason

    if not_durable:
        status = 503
        body: dict[str, Any] = {
            "success": False,
            "error": f"{not_durable} event(s) could not be made durable; retry later",
            "results": results,
        }
        headers = {"Retry-After": RETRY_AFTER_S}
    elif call_type is not None and results[0]["status"] == "refused":
        status, headers = results[0]["code"], {}
        body = {"success": False, "error": results[0]["error"]}
    else:
        status, headers = 200, {}
        body = {"success": all(r["status"] == "accepted" for r in results), "results": results}
        if call_type is not None:
            body = {"success": True, "messageId": results[0]["messageId"]}
    tm.REQUESTS.labels(endpoint, str(status)).inc()
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


@router.post("/v1/batch")
@router.post("/v1/import")
async def batch(request: Request) -> Response:
    """A Segment batch: ``{"batch": [calls], "sentAt", "context", "writeKey"}``."""
    return await _ingest(request, None)


def _single(call: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        return await _ingest(request, call)

    handler.__name__ = call
    handler.__doc__ = f"One Segment `{call}` call."
    return handler


for _call in ("track", "page", "identify", "screen", "group", "alias"):
    router.add_api_route(f"/v1/{_call}", _single(_call), methods=["POST"])
    router.add_api_route(
        f"/v1/{_call[0]}", _single(_call), methods=["POST"], include_in_schema=False
    )


@router.get("/tracker.js")
async def tracker_js() -> Response:
    path = STATIC / "tracker.js"
    if not path.exists():
        return PlainTextResponse("// tracker.js is not built in this install\n", status_code=404)
    return FileResponse(
        path, media_type="application/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    ok = await request.app.state.sink.ready()
    return JSONResponse(
        {"status": "ready" if ok else "broker unreachable"}, status_code=200 if ok else 503
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
