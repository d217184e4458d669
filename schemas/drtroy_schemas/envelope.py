"""The Segment HTTP Tracking API message, as the collector accepts it.

Unknown fields are kept (Segment sources send more than the spec names);
ids may arrive as numbers and are coerced to strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CallType = Literal["track", "page", "identify", "screen", "group", "alias"]
CALL_TYPES: tuple[str, ...] = ("track", "page", "identify", "screen", "group", "alias")


def _id_to_str(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise ValueError("must be a string id, not a boolean")
    if isinstance(v, int | float):
        return str(v)
    return v


Id = Annotated[str, BeforeValidator(_id_to_str), Field(max_length=200)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class PageContext(_Open):
    url: str | None = None
    path: str | None = None
    referrer: str | None = None
    title: str | None = None
    search: str | None = None


class Campaign(_Open):
    source: str | None = None
    medium: str | None = None
    name: str | None = None
    term: str | None = None
    content: str | None = None


class Screen(_Open):
    width: int | None = None
    height: int | None = None


class Library(_Open):
    name: str | None = None
    version: str | None = None


class Context(_Open):
    page: PageContext | None = None
    campaign: Campaign | None = None
    userAgent: str | None = None
    locale: str | None = None
    timezone: str | None = None
    screen: Screen | None = None
    library: Library | None = None
    ip: str | None = None


class Message(_Open):
    """One Segment call (track, page, identify, screen, group or alias)."""

    type: CallType
    messageId: Id | None = None
    anonymousId: Id | None = None
    userId: Id | None = None
    event: str | None = Field(default=None, max_length=200)
    name: str | None = None
    timestamp: datetime | None = None
    sentAt: datetime | None = None
    originalTimestamp: datetime | None = None
    context: Context = Field(default_factory=Context)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    groupId: Id | None = None
    previousId: Id | None = None

    @model_validator(mode="after")
    def _identity_and_name(self) -> Message:
        if not self.anonymousId and not self.userId:
            raise ValueError("anonymousId or userId is required")
        if self.type == "track" and not self.event:
            raise ValueError("track calls need an 'event' name")
        return self
