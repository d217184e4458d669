"""Delivery of check events to the collector: the :class:`CheckSink` seam.

:class:`CollectorSender` batches whatever is queued and POSTs it to
``{collector}/v1/batch`` with a server write key (HTTP Basic user name).
A batch keeps its messageIds across retries, so a retry after a lost answer
counts once; 429, 503 (and any 5xx or transport error) are retried with
exponential backoff that honours ``Retry-After``. Answers that retrying
can't fix (400, 401, 403, 413) drop the batch with a loud log line.
Sending runs in its own task, so a slow collector never delays a check.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

log = logging.getLogger("drtroy.prober")

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


class CheckSink(Protocol):
    def submit(self, event: dict[str, Any]) -> None:
        """Take one event for delivery; never blocks."""
        ...


class MemorySink:
    """Keeps submitted events in a list (tests)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def submit(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def retry_delay(attempt: int, retry_after: str | None, base_s: float, max_s: float) -> float:
    """Seconds before retry number ``attempt`` (1-based): the server's
    ``Retry-After`` (seconds) when given, else exponential backoff with jitter."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), max_s)
        except ValueError:
            pass
    return min(base_s * 2 ** (attempt - 1), max_s) * random.uniform(0.5, 1.0)


class CollectorSender:
    """Posts queued events to the collector in batches, retrying as above."""

    def __init__(
        self,
        collector_url: str,
        write_key: str,
        *,
        max_batch: int = 100,
        max_queue: int = 10_000,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        request_timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.url = collector_url.rstrip("/") + "/v1/batch"
        self.write_key = write_key
        self.max_batch = max_batch
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.request_timeout_s = request_timeout_s
        self._transport = transport  # tests inject a fake collector here
        # Bounded: if the collector is down for long, the oldest checks go first.
        self._queue: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_queue)
        self._wakeup = asyncio.Event()
        self.sent = 0
        self.dropped = 0

    def submit(self, event: dict[str, Any]) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            log.warning("send queue full (%d): dropping the oldest check", self._queue.maxlen)
        self._queue.append(event)
        self._wakeup.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def run(self, stop: asyncio.Event, drain_s: float = 5.0) -> None:
        """Send until ``stop`` is set; then try for ``drain_s`` to send what is left."""
        async with httpx.AsyncClient(
            timeout=self.request_timeout_s, transport=self._transport
        ) as client:
            while not stop.is_set():
                if not self._queue:
                    self._wakeup.clear()
                    await _first(self._wakeup.wait(), stop.wait())
                    continue
                await self._send_one_batch(client, stop)
            if self._queue:
                try:
                    async with asyncio.timeout(drain_s):
                        while self._queue:
                            await self._send_one_batch(client, None)
                except TimeoutError:
                    log.warning("stopping with %d check(s) not sent", len(self._queue))

    async def _send_one_batch(self, client: httpx.AsyncClient, stop: asyncio.Event | None) -> None:
        batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
        attempt = 0
        while True:
            attempt += 1
            body = {"batch": batch, "sentAt": _now_iso()}
            retry_after = None
            try:
                resp = await client.post(self.url, json=body, auth=(self.write_key, ""))
            except httpx.HTTPError as e:
                reason = f"{type(e).__name__}: {e}"
            else:
                if resp.status_code == 200:
                    self._log_refusals(resp)
                    self.sent += len(batch)
                    return
                if resp.status_code not in RETRYABLE:
                    self.dropped += len(batch)
                    log.error(
                        "collector refused a batch of %d with %d (not retried): %s",
                        len(batch),
                        resp.status_code,
                        resp.text[:300],
                    )
                    return
                reason = f"HTTP {resp.status_code}"
                retry_after = resp.headers.get("retry-after")
            delay = retry_delay(attempt, retry_after, self.backoff_base_s, self.backoff_max_s)
            log.warning(
                "batch of %d not delivered (%s); retry %d in %.1fs",
                len(batch),
                reason,
                attempt,
                delay,
            )
            if stop is None:
                await asyncio.sleep(delay)
            elif await _first(stop.wait(), asyncio.sleep(delay)) == 0:
                # stopping: put the batch back so the drain step can try once more
                self._queue.extendleft(reversed(batch))
                return

    @staticmethod
    def _log_refusals(resp: httpx.Response) -> None:
        try:
            results = resp.json().get("results", [])
        except ValueError:
            return
        for r in results:
            if r.get("status") == "refused":
                log.error("collector refused check %s: %s", r.get("messageId"), r.get("error"))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _first(*aws: Any) -> int:
    """Wait for the first of some awaitables; cancel the rest; its index."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return next(i for i, t in enumerate(tasks) if t in done)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
