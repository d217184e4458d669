"""Request guards: body size, gzip bombs, rate limits."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field


class TooLarge(Exception):
    pass


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress gzip data, refusing output over ``limit`` bytes."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data, limit + 1)
    if len(out) > limit or d.unconsumed_tail:
        raise TooLarge(f"decompressed body is over {limit} bytes")
    return out


@dataclass
class TokenBucket:
    """Per-key token buckets: ``rate`` tokens/s up to ``burst``."""

    rate: float
    burst: int
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, n: int = 1, now: float | None = None) -> float:
        """Take n tokens; returns 0 when allowed, else seconds to wait."""
        now = time.monotonic() if now is None else now
        tokens, last = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= n:
            self._state[key] = (tokens - n, now)
            if len(self._state) > 100_000:  # forget idle keys
                self._state.clear()
            return 0.0
        self._state[key] = (tokens, now)
        return (n - tokens) / self.rate if self.rate > 0 else 60.0
