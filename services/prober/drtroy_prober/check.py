"""One check of one target, and the ``Uptime Check`` event that reports it.

:func:`judge` and :func:`check_event` are pure; :func:`probe` is the thin I/O
shell around them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from .config import Target

EVENT = "Uptime Check"
# Uptime checks are the machine's own events: a fixed userId and no
# anonymousId, so they belong to no visitor or session (metrics.md).
PROBER_USER_ID = "prober"
LIBRARY = {"name": "drtroy-prober", "version": "1"}
# Enough of a body to find the expected text; a huge page is not read whole.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CheckResult:
    """What one check saw. ``started_at`` is the event's time."""

    target: Target
    started_at: datetime
    ok: bool
    status_code: int | None
    latency_ms: float
    error: str | None


def judge(
    target: Target, status: int | None, body: str | None, failure: str | None = None
) -> tuple[bool, str | None]:
    """Whether a check passed, and if not, why (``failure`` is a transport error)."""
    if failure is not None:
        return False, failure
    if status is None:
        return False, "no response"
    if status not in target.expect_status:
        expected = "/".join(str(s) for s in target.expect_status)
        return False, f"status {status}, expected {expected}"
    if target.body_contains is not None and target.body_contains not in (body or ""):
        return False, f"body does not contain {target.body_contains!r}"
    return True, None


def check_event(result: CheckResult, message_id: str | None = None) -> dict[str, Any]:
    """The Segment ``track`` call of one check (tracking plan: ``Uptime Check``)."""
    t = result.target
    return {
        "type": "track",
        "event": EVENT,
        "userId": PROBER_USER_ID,
        "messageId": message_id or f"probe-{uuid.uuid4()}",
        "timestamp": result.started_at.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "properties": {
            "target": t.name,
            "url": t.url,
            "ok": result.ok,
            "status_code": result.status_code,
            "latency_ms": round(max(result.latency_ms, 0.0), 3),
            "error": result.error,
        },
        "context": {"library": dict(LIBRARY)},
    }


async def probe(client: httpx.AsyncClient, target: Target) -> CheckResult:
    """Check a target once. Never raises for the target's faults and never
    takes (much) longer than its timeout: the whole exchange, body included,
    runs under one deadline, not just each socket operation."""
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    status: int | None = None
    body: str | None = None
    failure: str | None = None
    try:
        async with asyncio.timeout(target.timeout_s):
            async with client.stream(target.method, target.url, timeout=target.timeout_s) as resp:
                status = resp.status_code
                body = await _read_capped(resp) if target.method != "HEAD" else ""
    except TimeoutError:
        failure = f"timeout after {target.timeout_s:g}s"
    except httpx.TimeoutException:
        failure = f"timeout after {target.timeout_s:g}s"
    except httpx.HTTPError as e:
        failure = f"{type(e).__name__}: {e}"[:500] or type(e).__name__
    latency_ms = (time.perf_counter() - t0) * 1000
    ok, error = judge(target, status, body, failure)
    return CheckResult(target, started_at, ok, status, latency_ms, error)


async def _read_capped(resp: httpx.Response) -> str:
    chunks, size = [], 0
    async for chunk in resp.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES].decode(resp.encoding or "utf-8", errors="replace")
