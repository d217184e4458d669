"""Event name -> spec, and per-event validation against the tracking plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from . import events as ev
from .envelope import Message
from .events import CLIENT, SERVER, Trust


@dataclass(frozen=True)
class EventSpec:
    """One row of the tracking plan."""

    name: str
    trust: Trust
    props: type[ev.Props]
    description: str
    call: str = "track"  # or the Segment call this spec is for (page, identify, ...)
    # where the properties live in the message: "properties" or "traits"
    field: str = "properties"
    # the key trust needed for this call's traits to count in metrics
    traits_trust: Trust | None = None


def _t(name: str, trust: Trust, props: type[ev.Props], description: str) -> EventSpec:
    return EventSpec(name, trust, props, description)


# Calls other than track are keyed by the call type.
_CALLS = [
    EventSpec(
        "page", CLIENT, ev.PageProps, "A page view; page fields come from context.page.", "page"
    ),
    EventSpec("screen", CLIENT, ev.NoProps, "A screen view (apps); stored, no metrics.", "screen"),
    # The tracking plan puts identify at server trust because its traits drive
    # metrics (profession, license state, is_employee). The browser tracker
    # must still be able to link its anonymousId to a userId, so the call is
    # accepted from a browser key, but its traits stay raw JSON and never fill
    # the typed trait columns metrics read (see traits_trust).
    EventSpec(
        "identify",
        CLIENT,
        ev.UserTraits,
        "Ties an anonymousId to a userId and carries traits (traits count only from a server key).",
        "identify",
        "traits",
        traits_trust=SERVER,
    ),
    EventSpec(
        "group",
        SERVER,
        ev.NoProps,
        "Ties a user to a group; stored, no metrics.",
        "group",
        "traits",
    ),
    EventSpec("alias", SERVER, ev.NoProps, "Merges two user ids; stored, no metrics.", "alias"),
]

_TRACKS = [
    _t("Web Vitals", CLIENT, ev.WebVitals, "Core Web Vitals and load time of one page view."),
    _t("JS Error", CLIENT, ev.JsError, "An uncaught error or unhandled rejection in the browser."),
    _t("Products Searched", CLIENT, ev.ProductsSearched, "A course catalogue search."),
    _t("Feature Used", CLIENT, ev.FeatureUsed, "Use of a named site feature."),
    _t("Outbound Link Clicked", CLIENT, ev.UrlEvent, "A click on a link to another site."),
    _t("File Downloaded", CLIENT, ev.UrlEvent, "A click on a file link (PDF, ...)."),
    _t("Product Viewed", CLIENT, ev.ProductViewed, "A course page view."),
    _t("Checkout Started", CLIENT, ev.CheckoutStarted, "The checkout page opened."),
    _t("Coupon Applied", CLIENT, ev.CouponEvent, "A coupon code accepted at checkout."),
    _t("Coupon Denied", CLIENT, ev.CouponEvent, "A coupon code refused at checkout."),
    _t("Lesson Started", CLIENT, ev.LessonStarted, "A lesson opened."),
    _t("Lesson Progressed", CLIENT, ev.LessonProgressed, "Progress within a lesson."),
    _t("Lesson Completed", CLIENT, ev.LessonCompleted, "A lesson finished."),
    _t("Certificate Downloaded", CLIENT, ev.CourseEvent, "A certificate PDF downloaded."),
    _t("Signed Up", SERVER, ev.SignedUp, "An account created."),
    _t("Signed In", SERVER, ev.SignedIn, "A successful sign-in."),
    _t("Sign In Failed", SERVER, ev.SignInFailed, "A failed sign-in."),
    _t("Order Completed", SERVER, ev.OrderCompleted, "A paid order; revenue is net of discount."),
    _t("Order Refunded", SERVER, ev.OrderRefunded, "A refund, counted at its own time."),
    _t("Course Enrolled", SERVER, ev.CourseEnrolled, "A user enrolled in a course."),
    _t("Course Completed", SERVER, ev.CourseCompleted, "A user completed a course."),
    _t("Certificate Issued", SERVER, ev.CertificateIssued, "A certificate issued."),
    _t("NPS Submitted", SERVER, ev.NpsSubmitted, "A Net Promoter Score answer (0-10)."),
    _t("Course Rated", SERVER, ev.CourseRated, "A course rating (1-5 stars)."),
    _t("Support Ticket Opened", SERVER, ev.SupportTicketOpened, "A support ticket."),
    _t("Uptime Check", SERVER, ev.UptimeCheck, "One probe of a monitored URL."),
    _t("Expense Recorded", SERVER, ev.ExpenseRecorded, "Money spent, by category."),
]

EVENTS: dict[str, EventSpec] = {s.name: s for s in _CALLS + _TRACKS}

# Unknown track names are custom events: accepted from either key, stored.
CUSTOM = EventSpec("custom", CLIENT, ev.NoProps, "A custom track event (no required properties).")

_TRUST_RANK = {CLIENT: 0, SERVER: 1}


def spec_for(msg_type: str, event: str | None) -> EventSpec:
    """The spec of a call: by call type, or by event name for track calls."""
    if msg_type == "track":
        return EVENTS.get(event or "", CUSTOM)
    return EVENTS[msg_type]


@dataclass(frozen=True)
class Refusal:
    """Why one event was refused; ``status`` is the HTTP status it maps to."""

    status: int
    reason: str


def _describe(err: ValidationError, prefix: str) -> str:
    parts = []
    for e in err.errors()[:5]:
        loc = ".".join(str(x) for x in e["loc"]) if e["loc"] else ""
        where = f"{prefix}.{loc}" if prefix and loc else (loc or prefix or "message")
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def validate_message(raw: Any, key_trust: Trust) -> Message | Refusal:
    """Validate one raw call against the envelope, the event's properties and
    the key's trust. Returns the parsed message or the reason it is refused."""
    if not isinstance(raw, dict):
        return Refusal(400, "each event must be a JSON object")
    try:
        msg = Message.model_validate(raw)
    except ValidationError as e:
        return Refusal(400, _describe(e, ""))
    spec = spec_for(msg.type, msg.event)
    if _TRUST_RANK[spec.trust] > _TRUST_RANK[key_trust]:
        label = msg.event if msg.type == "track" else msg.type
        return Refusal(
            403,
            f"'{label}' is a {spec.trust} event; a {key_trust} write key may not send it "
            "(send it from the backend with a server write key)",
        )
    payload = msg.traits if spec.field == "traits" else msg.properties
    try:
        spec.props.model_validate(payload)
    except ValidationError as e:
        return Refusal(400, f"'{spec.name}': " + _describe(e, spec.field))
    return msg
