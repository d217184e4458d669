"""The prober's schedule: one asyncio task per target.

Each target runs on its own fixed cadence (``interval_s``), with a random
first offset so targets don't fire in lockstep, and a small random jitter on
every check. Each task has its own HTTP client (no shared connection pool),
and every check runs under its target's timeout, so a hanging target only
ever delays its own next check. A check that overruns its interval skips the
missed slots instead of firing a burst to catch up.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from .check import CheckResult, check_event, probe
from .config import Target
from .sender import CheckSink

log = logging.getLogger("drtroy.prober")


def jitter_bound(target: Target) -> float:
    """The largest random delay added to a check: 10% of the interval, at most 1 s."""
    return min(target.interval_s * 0.1, 1.0)


def next_due(due: float, interval: float, now: float) -> float:
    """The next slot after ``due`` that is not already in the past."""
    due += interval
    if due < now:
        due += math.ceil((now - due) / interval) * interval
    return due


class Prober:
    """Checks every target until stopped (or for ``rounds`` checks each)."""

    def __init__(
        self,
        targets: Sequence[Target],
        sink: CheckSink,
        *,
        jitter: bool = True,
        on_result: Callable[[CheckResult], None] | None = None,
    ):
        self.targets = list(targets)
        self.sink = sink
        self.jitter = jitter
        self.on_result = on_result
        self.checks = 0
        self.failures = 0

    async def run(self, stop: asyncio.Event, rounds: int | None = None) -> None:
        """Check until ``stop`` is set (or ``rounds`` checks each); a check still
        running at stop is cut off unreported: it would only say we stopped."""
        tasks = [
            asyncio.create_task(self._loop(t, stop, rounds), name=f"probe:{t.name}")
            for t in self.targets
        ]
        stopped: asyncio.Future[Any] = asyncio.create_task(stop.wait())
        all_done: asyncio.Future[Any] = asyncio.gather(*tasks)
        try:
            await asyncio.wait({all_done, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if all_done.done():
                all_done.result()  # surface a crash of a target's loop
        finally:
            stopped.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _delay(self, target: Target) -> float:
        return random.uniform(0, jitter_bound(target)) if self.jitter else 0.0

    async def _loop(self, target: Target, stop: asyncio.Event, rounds: int | None) -> None:
        # No keep-alive: each check measures a full connect, and a stale pooled
        # connection can neither fail a healthy target nor hide a dead one.
        limits = httpx.Limits(max_keepalive_connections=0)
        headers = {"User-Agent": "drtroy-prober/1"}
        async with httpx.AsyncClient(
            limits=limits, headers=headers, follow_redirects=False
        ) as client:
            # The slots are fixed; jitter moves each check within its slot and
            # never accumulates into drift.
            slot = time.monotonic()
            done = 0
            while not stop.is_set() and (rounds is None or done < rounds):
                if await _sleep_until(slot + self._delay(target), stop):
                    return
                result = await probe(client, target)
                done += 1
                self._record(result)
                slot = next_due(slot, target.interval_s, time.monotonic())

    def _record(self, result: CheckResult) -> None:
        self.checks += 1
        if not result.ok:
            self.failures += 1
            log.info("%s down: %s (%.0f ms)", result.target.name, result.error, result.latency_ms)
        self.sink.submit(check_event(result))
        if self.on_result is not None:
            self.on_result(result)


async def _sleep_until(when: float, stop: asyncio.Event) -> bool:
    """Sleep until a monotonic time; True if ``stop`` was set meanwhile."""
    delay = when - time.monotonic()
    if delay <= 0:
        return stop.is_set()
    try:
        await asyncio.wait_for(stop.wait(), delay)
        return True
    except TimeoutError:
        return False
