"""The collector's sink seam: :class:`drtroy_metrics.producer.EventSink`,
and an in-memory double for unit tests."""

from __future__ import annotations

from collections.abc import Sequence


class MemorySink:
    """An in-memory sink for unit tests; ``fail`` makes every send not durable."""

    def __init__(self) -> None:
        self.records: dict[str, list[tuple[bytes, bytes]]] = {}
        self.fail = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_many(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        if self.fail:
            return [False] * len(records)
        self.records.setdefault(topic, []).extend(records)
        return [True] * len(records)

    async def ready(self) -> bool:
        return not self.fail
