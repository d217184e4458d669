"""Every event of the tracking plan: its properties and trust level.

Property models allow extra keys (they are stored in the raw JSON); required
properties are required, and typed properties must have their type. Money is
``Decimal`` so it reaches ClickHouse without float error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .envelope import Id

Trust = Literal["client", "server"]
CLIENT: Trust = "client"
SERVER: Trust = "server"

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=4, ge=-(10**12), le=10**12)]
Profession = Literal["PT", "OT", "PTA", "COTA", "other"]
NonNegInt = Annotated[int, Field(ge=0)]


def _upper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) else v


StateCode = Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{2}$")]


class Props(BaseModel):
    model_config = ConfigDict(extra="allow")


class NoProps(Props):
    pass


class PageProps(Props):
    load_ms: float | None = Field(default=None, ge=0)


class WebVitals(Props):
    lcp_ms: float | None = Field(default=None, ge=0)
    fcp_ms: float | None = Field(default=None, ge=0)
    ttfb_ms: float | None = Field(default=None, ge=0)
    inp_ms: float | None = Field(default=None, ge=0)
    cls: float | None = Field(default=None, ge=0)
    load_ms: float | None = Field(default=None, ge=0)


class JsError(Props):
    message: str = Field(max_length=2000)
    source: str | None = None
    line: int | None = None
    column: int | None = None
    stack: str | None = Field(default=None, max_length=8000)


class ProductsSearched(Props):
    query: str = Field(max_length=500)
    results_count: NonNegInt | None = None


class FeatureUsed(Props):
    feature: str = Field(min_length=1, max_length=200)


class UrlEvent(Props):
    url: str = Field(min_length=1, max_length=2000)


class ProductViewed(Props):
    course_id: Id
    price: Money | None = None


class Product(BaseModel):
    model_config = ConfigDict(extra="allow")
    course_id: Id | None = None
    package_id: Id | None = None
    price: Money | None = None
    ce_hours: float | None = Field(default=None, ge=0)


class CheckoutStarted(Props):
    value: Money | None = None
    products: list[Product] = Field(default_factory=list)
    coupon: str | None = None


class CouponEvent(Props):
    coupon: str = Field(min_length=1, max_length=100)


class LessonStarted(Props):
    course_id: Id
    lesson_id: Id
    lesson_index: int = Field(ge=1)
    lesson_count: int = Field(ge=1)


class LessonProgressed(Props):
    course_id: Id
    lesson_id: Id
    percent: float = Field(ge=0, le=100)


class LessonCompleted(LessonStarted):
    duration_s: float | None = Field(default=None, ge=0)


class CourseEvent(Props):
    course_id: Id


class UserTraits(Props):
    profession: Profession | None = None
    license_state: StateCode | None = None
    is_employee: bool | None = None


class SignedUp(UserTraits):
    signup_channel: str | None = None


class SignedIn(Props):
    method: str | None = None


class SignInFailed(Props):
    method: str | None = None
    reason: str | None = None


class OrderCompleted(Props):
    order_id: Id
    revenue: Money
    subtotal: Money | None = None
    discount: Money | None = None
    coupon: str | None = None
    coupon_kind: Literal["employee", "marketing", "partner"] | None = None
    currency: str | None = "USD"
    products: list[Product] = Field(min_length=1)


class OrderRefunded(Props):
    order_id: Id
    amount: Money
    reason: str | None = None


class CourseEnrolled(Props):
    course_id: Id
    order_id: Id | None = None


class CourseCompleted(Props):
    course_id: Id
    score: float | None = None


class CertificateIssued(Props):
    course_id: Id
    certificate_id: Id | None = None


class NpsSubmitted(Props):
    score: int = Field(ge=0, le=10)
    comment: str | None = None


class CourseRated(Props):
    course_id: Id
    stars: int = Field(ge=1, le=5)


class SupportTicketOpened(Props):
    ticket_id: Id
    category: str | None = None
    channel: str | None = None


class UptimeCheck(Props):
    target: str = Field(min_length=1, max_length=200)
    url: str
    ok: bool
    status_code: int | None = None
    latency_ms: float = Field(ge=0)
    error: str | None = None


class ExpenseRecorded(Props):
    amount: Money
    category: Literal["marketing", "hosting", "content", "payroll", "other"]
    channel: str | None = None
    # The day the money was spent; metrics count the expense on it when present.
    date: dt.date | None = None
