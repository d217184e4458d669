"""Builders and plain-Python reference rules for the engagement metric tests.

The reference functions here (sessions, quantileExact) are written from the
words of metrics.md, independently of the SQL under test. No tests here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC

DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)
MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
TABLET = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

_ids = itertools.count(1)


def iso(t: dt.datetime) -> str:
    """A UTC ISO timestamp with milliseconds, as SDKs send it."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc(s: str) -> dt.datetime:
    """'2026-11-02T06:10:00' (UTC) -> aware datetime."""
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


def local(s: str) -> dt.datetime:
    """'2026-11-02T00:10:00' in America/Chicago -> aware datetime."""
    return dt.datetime.fromisoformat(s).replace(tzinfo=CHICAGO)


def period(frm: str, to: str) -> tuple[dt.datetime, dt.datetime]:
    """[from, to) of the reporting zone as aware UTC datetimes (so that
    arithmetic on them is absolute time, not wall-clock time)."""
    return local(frm + "T00:00:00").astimezone(UTC), local(to + "T00:00:00").astimezone(UTC)


def page(
    anon: str,
    t: dt.datetime,
    path: str,
    ua: str = DESKTOP,
    referrer: str = "",
    campaign: dict[str, str] | None = None,
    user: str | None = None,
    props: dict[str, Any] | None = None,
    mid: str | None = None,
) -> dict[str, Any]:
    """A browser page call."""
    ctx: dict[str, Any] = {
        "page": {"url": f"https://drtroy.example{path}", "path": path, "referrer": referrer},
        "userAgent": ua,
    }
    if campaign:
        ctx["campaign"] = campaign
    m: dict[str, Any] = {
        "type": "page",
        "messageId": mid or f"p-{next(_ids)}",
        "timestamp": iso(t),
        "anonymousId": anon,
        "context": ctx,
        "properties": props or {},
    }
    if user:
        m["userId"] = user
    return m


def track(
    event: str,
    t: dt.datetime,
    props: dict[str, Any] | None = None,
    anon: str | None = None,
    user: str | None = None,
    ua: str | None = None,
    path: str | None = None,
    mid: str | None = None,
) -> dict[str, Any]:
    """A track call; browser-like when ``ua`` is given."""
    ctx: dict[str, Any] = {}
    if ua:
        ctx["userAgent"] = ua
    if path:
        ctx["page"] = {"url": f"https://drtroy.example{path}", "path": path}
    m: dict[str, Any] = {
        "type": "track",
        "event": event,
        "messageId": mid or f"t-{next(_ids)}",
        "timestamp": iso(t),
        "context": ctx,
        "properties": props or {},
    }
    if anon:
        m["anonymousId"] = anon
    if user:
        m["userId"] = user
    return m


# ---- reference rules ----------------------------------------------------------


@dataclass
class Ev:
    """What the reference sessionizer needs of one (non-bot) visitor event."""

    anon: str
    t: dt.datetime
    event: str = "page"
    device: str = "desktop"
    channel: str = ""
    path: str = ""
    country: str = ""


@dataclass
class Session:
    anon: str
    events: list[Ev]

    @property
    def start(self) -> dt.datetime:
        return self.events[0].t

    @property
    def end(self) -> dt.datetime:
        return self.events[-1].t

    @property
    def pages(self) -> list[Ev]:
        return [e for e in self.events if e.event == "page"]

    @property
    def channel(self) -> str:
        return self.pages[0].channel if self.pages else ""

    @property
    def landing_page(self) -> str:
        return self.pages[0].path if self.pages else ""

    @property
    def device(self) -> str:
        known = [e.device for e in self.events if e.device not in ("", "unknown")]
        return known[0] if known else "unknown"


def sessionize(events: list[Ev]) -> list[Session]:
    """Sessions by metrics.md: per visitor, a new session at the first event or
    after a gap of more than 30 minutes."""
    out: list[Session] = []
    by_anon: dict[str, list[Ev]] = {}
    for e in sorted(events, key=lambda e: (e.anon, e.t)):
        by_anon.setdefault(e.anon, []).append(e)
    for anon, evs in by_anon.items():
        cur: list[Ev] = []
        for e in evs:
            if cur and (e.t - cur[-1].t) > dt.timedelta(minutes=30):
                out.append(Session(anon, cur))
                cur = []
            cur.append(e)
        out.append(Session(anon, cur))
    return out


def quantile_exact(values: list[float], q: float) -> float | None:
    """ClickHouse's quantileExact: the sorted value at index floor(q * n)."""
    if not values:
        return None
    s = sorted(values)
    return float(s[min(int(q * len(s)), len(s) - 1)])


def within(t: dt.datetime, p: tuple[dt.datetime, dt.datetime]) -> bool:
    return p[0] <= t < p[1]
