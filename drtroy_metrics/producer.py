"""Producing to Kafka: the :class:`EventSink` seam and its Kafka implementation.

The collector produces accepted events with it, the aggregator its dead
letters and heartbeats.

``KafkaSink`` produces with acks=all and bounds every wait: aiokafka's send
can wait forever for a broker that is gone, so each call is wrapped in a
timeout and a timeout is reported as "not durable" (the client retries; the
messageId makes a late success count once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)


class EventSink(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send_many(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        """Send (key, value) records; one flag per record: durable or not."""
        ...

    async def ready(self) -> bool: ...


class KafkaSink:
    def __init__(self, bootstrap: str, timeout_s: float):
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._start_lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the producer; a broker that is down now is retried on use."""
        try:
            await self._ensure()
        except Exception as e:
            log.warning(
                "Kafka at %s not reachable yet (%s); will retry on first event", self.bootstrap, e
            )

    async def _ensure(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        async with self._start_lock:
            if self._producer is None:
                p = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    compression_type="gzip",
                    linger_ms=2,
                    request_timeout_ms=int(self.timeout_s * 1000),
                    retry_backoff_ms=100,
                    # Idempotence stays off: Tansu refuses InitProducerId, and the
                    # messageId already makes a duplicate delivery count once.
                    enable_idempotence=False,
                )
                try:
                    await asyncio.wait_for(p.start(), self.timeout_s)
                except BaseException:
                    await _quiet_stop(p)
                    raise
                self._producer = p
        return self._producer

    async def send_many(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        if not records:
            return []
        try:
            return await asyncio.wait_for(self._send_all(topic, records), self.timeout_s)
        except (TimeoutError, Exception) as e:
            log.warning(
                "produce to %s failed or timed out after %.1fs: %r", topic, self.timeout_s, e
            )
            return [False] * len(records)

    async def _send_all(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        producer = await self._ensure()
        futures = [await producer.send(topic, value=v, key=k) for k, v in records]
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [not isinstance(r, BaseException) for r in results]

    async def ready(self) -> bool:
        try:
            producer = await self._ensure()
            await asyncio.wait_for(producer.client.fetch_all_metadata(), min(self.timeout_s, 2.0))
            return True
        except Exception:
            return False

    async def stop(self) -> None:
        if self._producer is not None:
            await _quiet_stop(self._producer)
            self._producer = None


async def _quiet_stop(p: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(p.stop(), 5)
    except Exception as e:
        log.debug("producer stop: %r", e)
