"""Request body -> validated, enriched events (pure apart from the geo lookup).

The HTTP layer (routes.py) handles auth, size limits and producing; this
module turns one request's calls into :class:`CollectedEvent` records or
per-event refusals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from drtroy_schemas import CollectedEvent, Enrichment, Message, Refusal, Trust, validate_message

from .enrich import GeoLookup, classify_channel, corrected_time, host_of, ip_hash, parse_user_agent

# Namespace of the ids the collector derives for messages sent without one.
_MESSAGE_ID_NS = uuid.UUID("6f1d3c1e-2b7a-4c55-9a43-0c1f6f0d2e11")


@dataclass(frozen=True)
class RequestFacts:
    """What the collector knows about the request, beside its body."""

    received_at: datetime
    key_trust: Trust
    client_ip: str
    user_agent: str
    batch_sent_at: datetime | None
    batch_context: dict[str, Any]


@dataclass(frozen=True)
class Enricher:
    geo: GeoLookup | None
    salt: str
    own_hosts: frozenset[str]


def derive_message_id(raw: dict[str, Any]) -> str:
    """A stable id for a message sent without ``messageId``.

    When the client gave a timestamp, the id is a UUIDv5 of the message's
    content (minus sentAt), so a retried delivery gets the same id and counts
    once. Without a timestamp two identical calls may be two real events, so
    each gets a random id.
    """
    if raw.get("timestamp"):
        body = {k: v for k, v in raw.items() if k not in ("sentAt", "messageId", "writeKey")}
        digest = orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        return str(uuid.uuid5(_MESSAGE_ID_NS, digest.decode()))
    return str(uuid.uuid4())


def _parse_time(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, str) and v:
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def collect(
    raw: Any, call_type: str | None, facts: RequestFacts, enricher: Enricher
) -> CollectedEvent | Refusal:
    """Validate one call and build the record the collector produces."""
    if isinstance(raw, dict):
        raw = dict(raw)
        if call_type and "type" not in raw:
            raw["type"] = call_type
        if facts.batch_context and isinstance(raw.get("context"), dict | None):
            raw["context"] = {**facts.batch_context, **(raw.get("context") or {})}
        if not raw.get("messageId"):
            raw["messageId"] = derive_message_id(raw)
    checked = validate_message(raw, facts.key_trust)
    if isinstance(checked, Refusal):
        return checked
    return build_event(checked, facts, enricher)


def build_event(msg: Message, facts: RequestFacts, enricher: Enricher) -> CollectedEvent:
    """Enrich a validated message: corrected time, channel, device, geo, IP hash."""
    received = facts.received_at
    timestamp = _utc(msg.timestamp or msg.originalTimestamp)
    sent_at = _utc(msg.sentAt) or _utc(facts.batch_sent_at)
    ctx = msg.context.model_dump(exclude_none=True)
    # A server key may forward the end user's address in context.ip (Segment's
    # server libraries do); a browser's context.ip is not trusted.
    forwarded = ctx.pop("ip", None)
    ip = (
        forwarded
        if (facts.key_trust == "server" and forwarded)
        else (facts.client_ip if facts.key_trust == "client" else "")
    )
    ua = msg.context.userAgent or (facts.user_agent if facts.key_trust == "client" else "")
    if ua and "userAgent" not in ctx:
        ctx["userAgent"] = ua
    browser, os_name, device = parse_user_agent(ua)
    page = msg.context.page
    campaign = msg.context.campaign
    referrer = page.referrer if page else None
    country, region = enricher.geo.lookup(ip) if (enricher.geo and ip) else ("", "")
    enrichment = Enrichment(
        browser=browser,
        os=os_name,
        device=device,  # type: ignore[arg-type]
        channel=classify_channel(
            campaign.medium if campaign else None,
            campaign.source if campaign else None,
            referrer,
            enricher.own_hosts,
            page.url if page else None,
        ),
        referrer_host=host_of(referrer),
        country=country,
        region=region,
        ip_hash=ip_hash(ip, enricher.salt),
    )
    return CollectedEvent(
        message_id=msg.messageId or "",
        type=msg.type,
        event=msg.event if msg.type == "track" else msg.type,  # type: ignore[arg-type]
        anonymous_id=msg.anonymousId or "",
        user_id=msg.userId or "",
        event_time=corrected_time(received, timestamp, sent_at),
        received_at=received,
        sent_at=sent_at,
        original_timestamp=timestamp,
        key_trust=facts.key_trust,
        context=ctx,
        properties=msg.properties,
        traits=msg.traits,
        enrichment=enrichment,
    )


def partition_key(ev: CollectedEvent) -> bytes:
    """One visitor's events share a partition (and so stay in order); events
    with only a userId are keyed by it."""
    return (ev.anonymous_id or ev.user_id).encode()


def encode(ev: CollectedEvent) -> bytes:
    return orjson.dumps(ev.model_dump(mode="json"))


def time_or_none(v: Any) -> datetime | None:
    return _utc(_parse_time(v))
