"""Builders of Segment messages and a plain-Python reference for the commerce
metric tests (no tests here). The reference computes expectations from the
messages themselves, independently of the SQL under test."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
HUMAN_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

_ids = itertools.count()


def _mid(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def utc(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def local_day(ts: str) -> dt.date:
    """The reporting-zone (Chicago) calendar day of a UTC timestamp."""
    return utc(ts).astimezone(CHICAGO).date()


def in_period(ts: str, frm: str, to: str) -> bool:
    return dt.date.fromisoformat(frm) <= local_day(ts) < dt.date.fromisoformat(to)


def order(
    oid: str,
    user: str | None,
    ts: str,
    revenue: str,
    *,
    anon: str | None = None,
    coupon: str | None = None,
    kind: str | None = None,
    discount: str | None = None,
    lines: list[tuple[str, str, str]] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """An Order Completed; ``lines`` are (course_id, package_id, price)."""
    lines = lines or [("c1", "p1", revenue)]
    props: dict[str, Any] = {
        "order_id": oid,
        "revenue": revenue,
        "products": [{"course_id": c, "package_id": p, "price": price} for c, p, price in lines],
    }
    if coupon:
        props["coupon"] = coupon
    if kind:
        props["coupon_kind"] = kind
    if discount is not None:
        props["discount"] = discount
    m: dict[str, Any] = {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id or _mid("oc"),
        "timestamp": ts,
        "properties": props,
    }
    if user:
        m["userId"] = user
    if anon:
        m["anonymousId"] = anon
    if not user and not anon:
        m["anonymousId"] = "server"
    return m


def refund(oid: str, user: str, ts: str, amount: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Refunded",
        "userId": user,
        "messageId": _mid("rf"),
        "timestamp": ts,
        "properties": {"order_id": oid, "amount": amount},
    }


def track(
    event: str,
    ts: str,
    *,
    user: str | None = None,
    anon: str | None = None,
    ua: str | None = None,
    **props: Any,
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "type": "track",
        "event": event,
        "messageId": _mid("ev"),
        "timestamp": ts,
        "properties": props,
    }
    if user:
        m["userId"] = user
    if anon:
        m["anonymousId"] = anon
    if ua:
        m["context"] = {"userAgent": ua}
    return m


def page(anon: str, ts: str, ua: str = HUMAN_UA, path: str = "/") -> dict[str, Any]:
    return {
        "type": "page",
        "anonymousId": anon,
        "messageId": _mid("pg"),
        "timestamp": ts,
        "context": {
            "userAgent": ua,
            "page": {"path": path, "url": f"https://drtroy.example{path}"},
        },
    }


def identify(user: str, ts: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": user,
        "messageId": _mid("id"),
        "timestamp": ts,
        "traits": traits,
    }


def expense(ts: str, amount: str, category: str, date: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"amount": amount, "category": category}
    if date:
        props["date"] = date
    return track("Expense Recorded", ts, user="finance", **props)


# ---- reference ----------------------------------------------------------------


@dataclass(frozen=True)
class RefOrder:
    order_id: str
    user: str
    ts: str
    revenue: Decimal
    coupon: str
    kind: str
    discount: Decimal
    lines: tuple[tuple[str, Decimal], ...]  # (package_id, price)


def ref_orders(messages: list[dict[str, Any]]) -> dict[str, RefOrder]:
    """Orders by id: the delivery with the earliest (time, messageId) wins;
    a messageId seen twice is one delivery."""
    seen: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m.get("event") == "Order Completed":
            seen.setdefault(m["messageId"], m)
    best: dict[str, dict[str, Any]] = {}
    for m in seen.values():
        oid = m["properties"]["order_id"]
        if oid not in best or (utc(m["timestamp"]), m["messageId"]) < (
            utc(best[oid]["timestamp"]),
            best[oid]["messageId"],
        ):
            best[oid] = m
    out = {}
    for oid, m in best.items():
        p = m["properties"]
        out[oid] = RefOrder(
            oid,
            m.get("userId", ""),
            m["timestamp"],
            Decimal(p["revenue"]),
            p.get("coupon", ""),
            p.get("coupon_kind", ""),
            Decimal(p.get("discount", "0")),
            tuple((x["package_id"], Decimal(x["price"])) for x in p["products"]),
        )
    return out


def refunds_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {m["messageId"]: m for m in messages if m.get("event") == "Order Refunded"}
    return list(by_id.values())


def sessions_of(events: list[tuple[str, str, str]]) -> list[list[tuple[str, str, str]]]:
    """Sessions from (anonymous_id, iso time, label) events of non-bot visitors:
    a new session after a gap over 1800 s."""
    out: list[list[tuple[str, str, str]]] = []
    by_anon: dict[str, list[tuple[str, str, str]]] = {}
    for e in sorted(events, key=lambda e: (e[0], utc(e[1]))):
        by_anon.setdefault(e[0], []).append(e)
    for evs in by_anon.values():
        current: list[tuple[str, str, str]] = []
        for e in evs:
            if current and (utc(e[1]) - utc(current[-1][1])).total_seconds() > 1800:
                out.append(current)
                current = []
            current.append(e)
        out.append(current)
    return out
