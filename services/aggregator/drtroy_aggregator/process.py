"""Pure step: one Kafka message -> one ``events`` row.

Raises :class:`BadMessage` (with the reason) for anything that can't become
a row; the pipeline sends it to the dead-letter topic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from drtroy_schemas import CollectedEvent
from pydantic import ValidationError


class BadMessage(Exception):
    """A message that can't become a row; the text says why."""


def decode(value: bytes | None) -> CollectedEvent:
    if not value:
        raise BadMessage("empty message")
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise BadMessage(f"not JSON: {e}") from e
    try:
        return CollectedEvent.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise BadMessage(f"not a collected event: {loc}: {first['msg']}") from e


def _s(v: Any, limit: int = 2000) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)[:limit]


def _money(v: Any) -> Decimal | None:
    if v is None or v == "":
        return None
    try:
        d = Decimal(str(v)).quantize(Decimal("0.0001"))
    except InvalidOperation as e:
        raise BadMessage(f"not a money amount: {v!r}") from e
    if not d.is_finite() or abs(d) >= Decimal(10) ** 14:
        raise BadMessage(f"money amount out of range: {v!r}")
    return d


def _f(v: Any) -> float | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _u(v: Any, hi: int) -> int:
    f = _f(v)
    if f is None or f < 0:
        return 0
    return int(min(f, hi))


def _u_or_none(v: Any, hi: int) -> int | None:
    f = _f(v)
    if f is None or f < 0:
        return None
    return int(min(f, hi))


def _b(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if v in (0, 1):
        return int(v)
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return int(v.lower() == "true")
    return None


def _date(v: Any) -> dt.date | None:
    if isinstance(v, str) and v:
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


def _obj(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _json(v: Any) -> str:
    return orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS).decode()


COLUMNS: tuple[str, ...] = (
    "message_id", "type", "event", "event_time", "received_at", "sent_at", "original_timestamp",
    "anonymous_id", "user_id", "key_trust",
    "page_url", "page_path", "page_title", "page_referrer", "referrer_host",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "channel",
    "user_agent", "browser", "os", "device", "is_bot", "country", "region", "ip_hash",
    "locale", "timezone", "screen_width", "screen_height",
    "course_id", "lesson_id", "lesson_index", "lesson_count", "percent", "duration_s",
    "order_id", "revenue", "subtotal", "discount", "amount", "coupon", "coupon_kind", "currency",
    "product_course_ids", "product_package_ids", "product_prices", "product_ce_hours",
    "profession", "license_state", "is_employee",
    "score", "stars", "query", "results_count", "feature", "url", "method", "reason",
    "ticket_id", "category", "support_channel",
    "target", "ok", "status_code", "latency_ms", "error",
    "load_ms", "lcp_ms", "fcp_ms", "ttfb_ms", "inp_ms", "cls", "error_message", "expense_date",
    "properties", "traits", "context",
    "_partition", "_offset",
)  # fmt: skip


def to_row(ev: CollectedEvent, partition: int, offset: int) -> tuple[Any, ...]:
    """The ``events`` row of one collected event, in :data:`COLUMNS` order."""
    p = ev.properties
    t = ev.traits
    ctx = ev.context
    page = _obj(ctx.get("page"))
    camp = _obj(ctx.get("campaign"))
    screen = _obj(ctx.get("screen"))
    en = ev.enrichment
    raw_products = p.get("products")
    products = (
        [x for x in raw_products if isinstance(x, dict)] if isinstance(raw_products, list) else []
    )
    # identify carries traits; Signed Up carries the same facts as properties
    # Traits that drive metrics count only from a server key (a browser key's
    # identify links ids; its traits stay in the raw JSON).
    if ev.type == "identify":
        person = t if ev.key_trust == "server" else {}
    else:
        person = p if ev.event == "Signed Up" else {}
    is_track = ev.type == "track"
    name = ev.event
    support = name == "Support Ticket Opened"
    uptime = name == "Uptime Check"
    row = {
        "message_id": ev.message_id,
        "type": ev.type,
        "event": name,
        "event_time": ev.event_time,
        "received_at": ev.received_at,
        "sent_at": ev.sent_at,
        "original_timestamp": ev.original_timestamp,
        "anonymous_id": ev.anonymous_id,
        "user_id": ev.user_id,
        "key_trust": ev.key_trust,
        "page_url": _s(page.get("url")),
        "page_path": _s(page.get("path")),
        "page_title": _s(page.get("title"), 500),
        "page_referrer": _s(page.get("referrer")),
        "referrer_host": en.referrer_host,
        "utm_source": _s(camp.get("source"), 200),
        "utm_medium": _s(camp.get("medium"), 200),
        "utm_campaign": _s(camp.get("name"), 200),
        "utm_term": _s(camp.get("term"), 200),
        "utm_content": _s(camp.get("content"), 200),
        "channel": en.channel,
        "user_agent": _s(ctx.get("userAgent"), 1000),
        "browser": en.browser,
        "os": en.os,
        "device": en.device,
        "is_bot": int(en.device == "bot"),
        "country": en.country,
        "region": en.region,
        "ip_hash": en.ip_hash,
        "locale": _s(ctx.get("locale"), 50),
        "timezone": _s(ctx.get("timezone"), 64),
        "screen_width": _u(screen.get("width"), 65535),
        "screen_height": _u(screen.get("height"), 65535),
        "course_id": _s(p.get("course_id"), 200) if is_track else "",
        "lesson_id": _s(p.get("lesson_id"), 200) if is_track else "",
        "lesson_index": _u(p.get("lesson_index"), 65535) if is_track else 0,
        "lesson_count": _u(p.get("lesson_count"), 65535) if is_track else 0,
        "percent": _f(p.get("percent")) if is_track else None,
        "duration_s": _f(p.get("duration_s")) if is_track else None,
        "order_id": _s(p.get("order_id"), 200) if is_track else "",
        "revenue": _money(p.get("revenue")) if is_track else None,
        "subtotal": _money(p.get("subtotal")) if is_track else None,
        "discount": _money(p.get("discount")) if is_track else None,
        "amount": _money(p.get("amount")) if is_track else None,
        "coupon": _s(p.get("coupon"), 100) if is_track else "",
        "coupon_kind": _s(p.get("coupon_kind"), 50) if is_track else "",
        "currency": _s(p.get("currency"), 10) if is_track else "",
        "product_course_ids": [_s(x.get("course_id"), 200) for x in products],
        "product_package_ids": [_s(x.get("package_id"), 200) for x in products],
        "product_prices": [_money(x.get("price")) or Decimal(0) for x in products],
        "product_ce_hours": [_f(x.get("ce_hours")) or 0.0 for x in products],
        "profession": _s(person.get("profession"), 20),
        "license_state": _s(person.get("license_state"), 2).upper(),
        "is_employee": _b(person.get("is_employee")),
        "score": _f(p.get("score")) if is_track else None,
        "stars": _u_or_none(p.get("stars"), 255) if is_track else None,
        "query": _s(p.get("query"), 500) if is_track else "",
        "results_count": _u_or_none(p.get("results_count"), 2**32 - 1) if is_track else None,
        "feature": _s(p.get("feature"), 200) if is_track else "",
        "url": _s(p.get("url")) if is_track else "",
        "method": _s(p.get("method"), 50) if is_track else "",
        "reason": _s(p.get("reason"), 500) if is_track else "",
        "ticket_id": _s(p.get("ticket_id"), 200) if support else "",
        "category": _s(p.get("category"), 100) if is_track else "",
        "support_channel": _s(p.get("channel"), 100) if support else "",
        "target": _s(p.get("target"), 200) if uptime else "",
        "ok": _b(p.get("ok")) if uptime else None,
        "status_code": _u_or_none(p.get("status_code"), 65535) if uptime else None,
        "latency_ms": _f(p.get("latency_ms")) if uptime else None,
        "error": _s(p.get("error"), 1000) if uptime else "",
        "load_ms": _f(p.get("load_ms")),
        "lcp_ms": _f(p.get("lcp_ms")),
        "fcp_ms": _f(p.get("fcp_ms")),
        "ttfb_ms": _f(p.get("ttfb_ms")),
        "inp_ms": _f(p.get("inp_ms")),
        "cls": _f(p.get("cls")),
        "error_message": _s(p.get("message"), 1000) if name == "JS Error" else "",
        "expense_date": _date(p.get("date")) if name == "Expense Recorded" else None,
        "properties": _json(p),
        "traits": _json(t),
        "context": _json(ctx),
        "_partition": partition,
        "_offset": offset,
    }
    return tuple(row[c] for c in COLUMNS)


def message_id_of(row: tuple[Any, ...]) -> str:
    return row[0]
