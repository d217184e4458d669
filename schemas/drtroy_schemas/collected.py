"""What travels on Kafka: the collector's validated, enriched event, and the
dead-letter record.

The raw client IP never leaves the collector: ``context.ip`` is removed and
only a salted hash is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .events import Trust

SCHEMA_VERSION = 1


class Enrichment(BaseModel):
    """Server-side facts the collector adds to each event."""

    model_config = ConfigDict(extra="forbid")

    browser: str = ""
    os: str = ""
    device: Literal["mobile", "tablet", "desktop", "bot", "unknown"] = "unknown"
    channel: str = ""
    referrer_host: str = ""
    country: str = ""
    region: str = ""
    ip_hash: str = ""


class CollectedEvent(BaseModel):
    """One accepted event, as the collector produces it to the events topic."""

    model_config = ConfigDict(extra="forbid")

    v: int = SCHEMA_VERSION
    message_id: str = Field(min_length=1, max_length=200)
    type: str
    event: str
    anonymous_id: str = ""
    user_id: str = ""
    # skew-corrected event time: receivedAt - (sentAt - timestamp)
    event_time: datetime
    received_at: datetime
    sent_at: datetime | None = None
    original_timestamp: datetime | None = None
    key_trust: Trust
    context: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    enrichment: Enrichment = Field(default_factory=Enrichment)


class DeadLetter(BaseModel):
    """A message refused by the collector or unusable by the aggregator."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["collector", "aggregator"]
    reason: str
    status: int | None = None
    received_at: datetime
    # where the aggregator found it (absent for collector refusals)
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    payload: Any = None
