"""Sends generated calls to a collector over its public HTTP API.

Calls are grouped into batches of at most 100 per (write key, client IP), so
that each request carries the right key and ``X-Forwarded-For``; a few async
workers post them to ``{url}/v1/batch``. 429, 503, other 5xx and network
errors are retried with backoff (honouring ``Retry-After``): messageIds never
change, so a retry can never count twice. Per-event results of the collector
are tallied into a summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .model import Call, KeyKind

MAX_BATCH = 100
# how many consecutive calls are grouped together before batching by (key, IP)
GROUP_WINDOW = 5000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Batch:
    """Messages that go in one request."""

    key_kind: KeyKind
    forwarded_ip: str | None
    messages: list[dict[str, Any]]


@dataclass
class SendStats:
    """What happened to the events sent."""

    sent: int = 0
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    failed: int = 0  # gave up after retries; the collector may not have them
    failures: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    requests: int = 0

    def add(self, other: SendStats) -> None:
        self.sent += other.sent
        self.accepted += other.accepted
        self.refused.update(other.refused)
        self.failed += other.failed
        self.failures.update(other.failures)
        self.retries += other.retries
        self.requests += other.requests

    def summary(self) -> str:
        lines = [
            f"sent {self.sent}, accepted {self.accepted}, refused {sum(self.refused.values())}, "
            f"failed {self.failed} ({self.requests} requests, {self.retries} retries)"
        ]
        for reason, n in self.refused.most_common(20):
            lines.append(f"  refused x{n}: {reason}")
        for reason, n in self.failures.most_common(5):
            lines.append(f"  failed x{n}: {reason}")
        return "\n".join(lines)


def plan_batches(
    calls: Iterable[Call], max_batch: int = MAX_BATCH, window: int = GROUP_WINDOW
) -> list[Batch]:
    """Group calls by (key, forwarded IP) within windows of consecutive calls,
    keeping time order inside each group, in batches of at most ``max_batch``."""
    out: list[Batch] = []
    groups: dict[tuple[KeyKind, str | None], list[dict[str, Any]]] = defaultdict(list)

    def flush() -> None:
        for (kind, ip), msgs in groups.items():
            for i in range(0, len(msgs), max_batch):
                out.append(Batch(kind, ip, msgs[i : i + max_batch]))
        groups.clear()

    for seen, call in enumerate(calls, 1):
        groups[(call.key_kind, call.forwarded_ip)].append(call.message)
        if seen % window == 0:
            flush()
    flush()
    return out


def tally(batch: Batch, status: int, body: Any) -> SendStats:
    """Count one answered request: per-event results when the collector gives
    them, else the whole batch by the HTTP status."""
    stats = SendStats(sent=len(batch.messages), requests=1)
    results = body.get("results") if isinstance(body, dict) else None
    if 200 <= status < 300 and isinstance(results, list) and results:
        for r in results:
            if not isinstance(r, dict):
                continue
            if r.get("status") == "refused":
                stats.refused[
                    f"{r.get('code', '?')} {str(r.get('error') or '')[:120]}".strip()
                ] += 1
            else:
                stats.accepted += 1
        # events the answer did not mention count as accepted only on success
        missing = len(batch.messages) - len(results)
        if missing > 0:
            if body.get("success", True):
                stats.accepted += missing
            else:
                stats.refused["no result for the event"] += missing
        return stats
    if 200 <= status < 300:
        if isinstance(body, dict) and body.get("success") is False:
            stats.refused[
                str(body.get("error") or body.get("detail") or "success: false")[:120]
            ] += len(batch.messages)
        else:
            stats.accepted += len(batch.messages)
        return stats
    reason = body.get("error") or body.get("detail") if isinstance(body, dict) else None
    stats.refused[f"{status} {str(reason or '')[:120]}".strip()] += len(batch.messages)
    return stats


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class CollectorSender:
    """Posts batches to one collector with a browser and a server write key."""

    def __init__(
        self,
        url: str,
        browser_key: str,
        server_key: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 8,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/") + "/v1/batch"
        self.keys: dict[KeyKind, str] = {"browser": browser_key, "server": server_key}
        self.max_attempts = max_attempts
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> CollectorSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send(self, batch: Batch) -> SendStats:
        """One batch, retried on 429/5xx/network errors with exponential backoff."""
        headers = {"Content-Type": "application/json"}
        if batch.key_kind == "browser" and batch.forwarded_ip:
            headers["X-Forwarded-For"] = batch.forwarded_ip
        auth = (self.keys[batch.key_kind], "")
        retries = 0
        last_error = ""
        for attempt in range(self.max_attempts):
            # sentAt is the moment of this attempt, so that the collector's
            # clock-skew correction keeps each event at its own timestamp
            payload = {"batch": batch.messages, "sentAt": _now_iso()}
            wait = min(30.0, 0.25 * 2**attempt) * (0.5 + random.random())
            try:
                resp = await self._client.post(self.url, json=payload, headers=headers, auth=auth)
            except httpx.TransportError as e:
                last_error = f"network: {type(e).__name__}"
            else:
                if resp.status_code not in RETRY_STATUSES:
                    try:
                        body = resp.json()
                    except ValueError:
                        body = {"error": resp.text[:200]}
                    stats = tally(batch, resp.status_code, body)
                    stats.retries = retries
                    return stats
                last_error = f"HTTP {resp.status_code}"
                retry_after = resp.headers.get("Retry-After")
                if retry_after:
                    with contextlib.suppress(ValueError):
                        wait = max(wait, min(60.0, float(retry_after)))
            if attempt + 1 < self.max_attempts:
                retries += 1
                await self._sleep(wait)
        stats = SendStats(
            sent=len(batch.messages), failed=len(batch.messages), requests=1, retries=retries
        )
        stats.failures[f"gave up after {self.max_attempts} attempts: {last_error}"] += len(
            batch.messages
        )
        return stats


async def send_batches(
    sender: CollectorSender,
    batches: Sequence[Batch],
    workers: int = 4,
    on_done: Callable[[SendStats], None] | None = None,
) -> SendStats:
    """Send ``batches`` with ``workers`` concurrent requests; returns the totals."""
    total = SendStats()
    queue: asyncio.Queue[Batch] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)

    async def worker() -> None:
        while True:
            try:
                b = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            stats = await sender.send(b)
            total.add(stats)
            if on_done is not None:
                on_done(stats)

    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    total.refused = +total.refused  # drop zero counts
    return total


async def backfill(
    calls: Sequence[Call],
    url: str,
    browser_key: str,
    server_key: str,
    *,
    workers: int = 4,
    progress: bool = True,
) -> SendStats:
    """Send ``calls`` as fast as the collector takes them, with a progress bar."""
    from tqdm import tqdm

    batches = plan_batches(calls)
    with tqdm(
        total=len(calls),
        unit="ev",
        unit_scale=True,
        disable=not progress,
        desc="simulate",
        smoothing=0.1,
    ) as bar:
        async with CollectorSender(url, browser_key, server_key) as sender:
            return await send_batches(
                sender, batches, workers, on_done=lambda s: bar.update(s.sent)
            )


async def live(
    url: str,
    browser_key: str,
    server_key: str,
    next_window: Callable[[float], Awaitable[list[Call]]],
    *,
    window_s: float = 60.0,
    workers: int = 4,
    progress: bool = True,
    stop: asyncio.Event | None = None,
    tick_s: float = 0.5,
    warmup_s: float = 0.0,
) -> SendStats:
    """Send calls in real time until ``stop`` is set: ``next_window(start)``
    gives the calls of the people arriving in ``[start, start + window_s)``
    (epoch seconds; their calls may run later), generated a window ahead;
    each call is sent once its timestamp has come. ``warmup_s``: also generate
    the people who arrived that long before now, so that traffic is at full
    rate at once (their calls from before now are dropped)."""
    from tqdm import tqdm

    stop = stop or asyncio.Event()
    total = SendStats()
    heap: list[tuple[float, int, Call]] = []
    seq = 0
    began = time.time()
    generated_to = began - warmup_s
    with tqdm(unit="ev", unit_scale=True, disable=not progress, desc="live", smoothing=0.1) as bar:
        async with CollectorSender(url, browser_key, server_key) as sender:
            while not stop.is_set():
                now = time.time()
                while generated_to < now + window_s:
                    for ts, call in _timed(await next_window(generated_to)):
                        if ts >= began:
                            heapq.heappush(heap, (ts, seq, call))
                            seq += 1
                    generated_to += window_s
                due: list[Call] = []
                while heap and heap[0][0] <= now:
                    due.append(heapq.heappop(heap)[2])
                if due:
                    stats = await send_batches(
                        sender, plan_batches(due), workers, on_done=lambda s: bar.update(s.sent)
                    )
                    total.add(stats)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=tick_s)
    total.refused = +total.refused
    return total


def _timed(calls: Iterable[Call]) -> list[tuple[float, Call]]:
    from .model import parse_ts

    return [(parse_ts(c.message["timestamp"]).timestamp(), c) for c in calls]
