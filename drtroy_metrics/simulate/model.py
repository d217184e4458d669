"""The simulator's value types and time helpers (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

KeyKind = Literal["browser", "server"]

SCHOOL_TZ = ZoneInfo("America/Chicago")


class Call(NamedTuple):
    """One Segment call to send: which key sends it, the client IP the
    collector should see (browser calls only) and the message itself."""

    key_kind: KeyKind
    forwarded_ip: str | None
    message: dict[str, Any]


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(round(dt.timestamp() * 1000))


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso_ms(ms: int) -> str:
    """ISO-8601 in UTC with milliseconds and a Z, as Segment libraries write it."""
    d = datetime.fromtimestamp(ms // 1000, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def parse_ts(value: str) -> datetime:
    """An ISO-8601 timestamp (with Z or an offset) as an aware UTC datetime."""
    d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC)


def local_ms(day: date, hours: float, tz: ZoneInfo = SCHOOL_TZ) -> int:
    """Epoch ms of ``hours`` (fractional) after local midnight of ``day``."""
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return to_ms(midnight) + int(hours * 3_600_000)


def local_date(ms: int, tz: ZoneInfo = SCHOOL_TZ) -> date:
    return datetime.fromtimestamp(ms / 1000, tz).date()


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
