"""The figures of the metric catalog (shared/spec/metrics.md), computed in plain
Python from the calls the simulator generated: the answer key the pipeline's
read API is compared with.

``compute_truth(calls, frm, to)`` follows the catalog's conventions and its
"Precise rules". Where the catalog leaves a reading open, the one taken here
is stated in the docstring of the function that computes the metric. The
readings that apply everywhere:

- Events are deduplicated by ``messageId`` (the first delivery wins); an
  order by ``order_id`` (its earliest ``Order Completed``).
- An event's time is its ``timestamp``: the simulator sends ``sentAt`` = the
  moment of sending, so the collector's skew correction only adds network
  latency, and the generator keeps events away from local midnights.
- Bot events (device class ``bot`` from the user agent) are dropped before
  visitors, sessions, page views and every metric built on them. Events
  without a user agent are not bots.
- "In the period" means the event's time (the ``date`` property for
  ``Expense Recorded``) in ``[from, to)`` cut in the reporting zone.
- User traits (profession, license_state, is_employee) come from ``identify``
  calls, merged key by key in event-time order over the whole stream: the
  latest known value of each trait, as of now.
- Sums of money are returned as numbers rounded to cents; ratios (including
  money per order or per customer) as unrounded floats, ``None`` when the
  denominator is zero.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from . import catalog as cat
from .model import Call, iso_ms, parse_ts, to_ms

SESSION_GAP_MS = 30 * 60_000
FUNNEL_WINDOW_MS = 7 * 24 * 3_600_000
FUNNEL_STEPS = ("page", "Product Viewed", "Checkout Started", "Order Completed")
CENT = Decimal("0.01")
ZERO = Decimal(0)

SOCIAL = (
    "facebook",
    "instagram",
    "linkedin",
    "x",
    "twitter",
    "t.co",
    "youtube",
    "tiktok",
    "pinterest",
    "reddit",
)
SEARCH_ENGINES = ("google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia")
BOT_MARKERS = ("bot", "crawler", "spider", "crawling", "slurp", "headlesschrome", "lighthouse")


# --- pure classifiers -------------------------------------------------------------


def device_class(user_agent: str | None) -> str:
    """``mobile``, ``tablet``, ``desktop`` or ``bot`` from a user agent
    (``unknown`` when there is none)."""
    if not user_agent:
        return "unknown"
    ua = user_agent.lower()
    if any(m in ua for m in BOT_MARKERS):
        return "bot"
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobile" in ua or "iphone" in ua or "android" in ua:
        return "mobile"
    return "desktop"


def _host(url: str | None) -> str:
    if not url:
        return ""
    return (urlsplit(url).hostname or "").lower()


def _host_is(host: str, name: str) -> bool:
    """``name`` is a domain (``t.co``) or a label (``google``) of ``host``."""
    if "." in name:
        return host == name or host.endswith("." + name)
    if name == "x":
        return host in ("x.com", "www.x.com")
    return name in host.split(".")


def channel_of(
    referrer: str | None,
    source: str | None,
    medium: str | None,
    own_hosts: Sequence[str] = (cat.SITE_HOST,),
) -> str:
    """The catalog's channel rules, top to bottom, first match wins. Social and
    search names are matched against the referrer's host and the campaign source."""
    medium = (medium or "").lower()
    source = (source or "").lower()
    host = _host(referrer)
    if medium == "email":
        return "email"
    if medium in ("cpc", "ppc", "paid"):
        return "paid"
    if medium == "social" or any(_host_is(host, s) or source == s for s in SOCIAL):
        return "social"
    if any(_host_is(host, s) or source == s for s in SEARCH_ENGINES):
        return "search"
    if not host or any(host == h or host.endswith("." + h) for h in own_hosts):
        return "direct"
    return "referral"


def quantile_exact(values: Sequence[float], level: float) -> float | None:
    """ClickHouse ``quantileExact(level)``: the element at index
    ``floor(level * n)`` of the sorted values (the last one for level 1)."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    return ordered[int(level * n) if level < 1 else n - 1]


# --- events -------------------------------------------------------------------------


@dataclass
class Ev:
    """One distinct event, with what the metrics need pulled out."""

    mid: str
    name: str  # track event name, or the call type (page, identify, ...)
    anon: str
    user: str
    ms: int
    props: dict[str, Any]
    traits: dict[str, Any]
    device: str
    path: str
    referrer: str
    source: str
    medium: str
    country: str


def to_events(calls: Iterable[Call]) -> list[Ev]:
    """Distinct events (first delivery of each messageId), in time order."""
    seen: set[str] = set()
    out: list[Ev] = []
    for call in calls:
        m = call.message
        mid = str(m.get("messageId") or "")
        if mid in seen:
            continue
        seen.add(mid)
        ctx = m.get("context") or {}
        page = ctx.get("page") or {}
        campaign = ctx.get("campaign") or {}
        source, medium = campaign.get("source"), campaign.get("medium")
        if not medium and page.get("search"):
            q = parse_qs(str(page["search"]).lstrip("?"))
            source = (q.get("utm_source") or [""])[0]
            medium = (q.get("utm_medium") or [""])[0]
        name = m.get("event") if m.get("type") == "track" else m.get("type")
        out.append(
            Ev(
                mid=mid,
                name=str(name),
                anon=str(m.get("anonymousId") or ""),
                user=str(m.get("userId") or ""),
                ms=to_ms(parse_ts(m["timestamp"])),
                props=m.get("properties") or {},
                traits=m.get("traits") or {},
                device=device_class(ctx.get("userAgent")),
                path=str(page.get("path") or ""),
                referrer=str(page.get("referrer") or ""),
                source=str(source or ""),
                medium=str(medium or ""),
                country=cat.country_of(call.forwarded_ip or ctx.get("ip")),
            )
        )
    out.sort(key=lambda e: (e.ms, e.mid))
    return out


def _dec(v: Any) -> Decimal:
    return Decimal(str(v)) if v is not None else ZERO


@dataclass
class Session:
    anon: str
    events: list[Ev]
    channel: str = ""
    landing_page: str = ""
    device: str = ""
    country: str = ""

    @property
    def start(self) -> int:
        return self.events[0].ms

    @property
    def duration_s(self) -> float:
        return (self.events[-1].ms - self.events[0].ms) / 1000

    @property
    def pages(self) -> int:
        return sum(1 for e in self.events if e.name == "page")


def sessionize(events: Iterable[Ev], own_hosts: Sequence[str] = (cat.SITE_HOST,)) -> list[Session]:
    """Runs of a visitor's (non-bot) events with no gap over 30 minutes; the
    channel and landing page come from the first ``page`` event (empty when
    the session has none), as the catalog says. The catalog leaves device and
    country open: they come from the session's first event that has one (a
    device class other than ``unknown``, a non-empty country), so that a
    session opened by a server event without a user agent, or one without a
    page event, still gets the browser's device and country; ``unknown`` and
    empty when no event has one."""
    by_anon: dict[str, list[Ev]] = defaultdict(list)
    for e in events:
        if e.anon and e.device != "bot":
            by_anon[e.anon].append(e)
    sessions: list[Session] = []
    for anon, evs in by_anon.items():
        current: list[Ev] = []
        for e in evs:
            if current and e.ms - current[-1].ms > SESSION_GAP_MS:
                sessions.append(Session(anon, current))
                current = []
            current.append(e)
        if current:
            sessions.append(Session(anon, current))
    for s in sessions:
        first_page = next((e for e in s.events if e.name == "page"), None)
        if first_page is not None:
            s.channel = channel_of(
                first_page.referrer, first_page.source, first_page.medium, own_hosts
            )
            s.landing_page = first_page.path
        s.device = next((e.device for e in s.events if e.device != "unknown"), "unknown")
        s.country = next((e.country for e in s.events if e.country), "")
    sessions.sort(key=lambda s: (s.start, s.anon))
    return sessions


# --- the computation ---------------------------------------------------------------


@dataclass
class Order:
    order_id: str
    user: str
    anon: str
    ms: int
    revenue: Decimal
    discount: Decimal
    coupon: str
    coupon_kind: str
    lines: list[tuple[str, str, Decimal]]  # course_id, package_id, price

    def allocated(self) -> list[tuple[str, str, Decimal]]:
        """(course_id, package_id, revenue share) per line: the order's revenue
        split by line price (equally when all prices are zero)."""
        total = sum((p for _, _, p in self.lines), ZERO)
        if not self.lines:
            return []
        if total == 0:
            return [(c, k, self.revenue / len(self.lines)) for c, k, _ in self.lines]
        return [(c, k, self.revenue * p / total) for c, k, p in self.lines]


@dataclass
class Ctx:
    """Everything derived once from the stream, shared by the metric functions."""

    events: list[Ev]
    lo: int
    hi: int
    tz: ZoneInfo
    frm: date
    to: date
    today: date
    sessions: list[Session] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    traits: dict[str, dict[str, Any]] = field(default_factory=dict)

    def within(self, ms: int) -> bool:
        return self.lo <= ms < self.hi

    def period(self, name: str | None = None, humans: bool = False) -> list[Ev]:
        return [
            e
            for e in self.events
            if self.within(e.ms)
            and (name is None or e.name == name)
            and not (humans and e.device == "bot")
        ]

    def day(self, ms: int) -> date:
        return datetime.fromtimestamp(ms / 1000, self.tz).date()

    def period_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if self.within(o.ms)]

    def period_sessions(self) -> list[Session]:
        return [s for s in self.sessions if self.within(s.start)]

    def visitors(self) -> set[str]:
        return {e.anon for e in self.events if e.anon and e.device != "bot" and self.within(e.ms)}


def _ratio(num: float | Decimal | int, den: float | Decimal | int) -> float | None:
    if not den:
        return None
    return (
        float(Decimal(num) / Decimal(den))
        if isinstance(num, Decimal) or isinstance(den, Decimal)
        else num / den
    )


def _money(d: Decimal) -> float:
    return float(d.quantize(CENT))


def _bounds(d: date, tz: ZoneInfo) -> int:
    return to_ms(datetime.combine(d, time(0), tzinfo=tz))


def compute_truth(
    calls: Iterable[Call],
    frm: date,
    to: date,
    tz: str = "America/Chicago",
    own_hosts: Sequence[str] = (cat.SITE_HOST,),
    today: date | None = None,
) -> dict[str, Any]:
    """The metrics of ``[frm, to)`` in zone ``tz``, as a JSON-ready dict keyed
    by the catalog's api names. ``today`` (default: today in ``tz``) is "now"
    for the figures that depend on it: a retention month that has not begun
    yet has no fraction (None)."""
    zone = ZoneInfo(tz)
    events = to_events(calls)
    today = today or datetime.now(zone).date()
    c = Ctx(
        events=events,
        lo=_bounds(frm, zone),
        hi=_bounds(to, zone),
        tz=zone,
        frm=frm,
        to=to,
        today=today,
    )
    c.sessions = sessionize(events, own_hosts)
    for e in events:
        if e.name == "Order Completed" and e.props.get("order_id") is not None:
            oid = str(e.props["order_id"])
            if oid not in c.orders:
                c.orders[oid] = Order(
                    oid,
                    e.user,
                    e.anon,
                    e.ms,
                    _dec(e.props.get("revenue")),
                    _dec(e.props.get("discount")),
                    str(e.props.get("coupon") or ""),
                    str(e.props.get("coupon_kind") or ""),
                    [
                        (
                            str(p.get("course_id") or ""),
                            str(p.get("package_id") or ""),
                            _dec(p.get("price")),
                        )
                        for p in e.props.get("products") or []
                    ],
                )
        elif e.name == "identify" and e.user:
            c.traits.setdefault(e.user, {}).update(e.traits)
    out: dict[str, Any] = {"period": {"from": frm.isoformat(), "to": to.isoformat(), "tz": tz}}
    for name, fn in METRICS.items():
        out[name] = fn(c)
    return out


# --- revenue and growth ---


def _refunds(c: Ctx, lo: int, hi: int) -> Decimal:
    return sum(
        (
            _dec(e.props.get("amount"))
            for e in c.events
            if e.name == "Order Refunded" and lo <= e.ms < hi
        ),
        ZERO,
    )


def m_revenue(c: Ctx) -> dict[str, Any]:
    """Gross revenue, refunds (at their own time), net revenue and orders; a
    ``rows`` series per local day of the period."""
    orders = c.period_orders()
    gross = sum((o.revenue for o in orders), ZERO)
    refunds = _refunds(c, c.lo, c.hi)
    rows = []
    d = c.frm
    while d < c.to:
        lo, hi = _bounds(d, c.tz), _bounds(d + timedelta(days=1), c.tz)
        day_orders = [o for o in orders if lo <= o.ms < hi]
        rev = sum((o.revenue for o in day_orders), ZERO)
        ref = _refunds(c, lo, hi)
        rows.append(
            {
                "day": d.isoformat(),
                "revenue": _money(rev),
                "refunds": _money(ref),
                "net_revenue": _money(rev - ref),
                "orders": len(day_orders),
            }
        )
        d += timedelta(days=1)
    return {
        "revenue": _money(gross),
        "refunds": _money(refunds),
        "net_revenue": _money(gross - refunds),
        "orders": len(orders),
        "rows": rows,
    }


def m_aov(c: Ctx) -> dict[str, Any]:
    orders = c.period_orders()
    return {"aov": _ratio(sum((o.revenue for o in orders), ZERO), len(orders))}


def _customers_of(orders: Iterable[Order]) -> set[str]:
    return {o.user for o in orders if o.user}


def m_revenue_per_customer(c: Ctx) -> dict[str, Any]:
    orders = c.period_orders()
    return {
        "revenue_per_customer": _ratio(
            sum((o.revenue for o in orders), ZERO), len(_customers_of(orders))
        )
    }


def _months(frm: date, to: date) -> list[date]:
    """First days of the months that the period ``[frm, to)`` touches."""
    out, m = [], frm.replace(day=1)
    while m < to:
        out.append(m)
        m = _add_months(m, 1)
    return out


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _net(c: Ctx, lo: int, hi: int) -> Decimal:
    return sum((o.revenue for o in c.orders.values() if lo <= o.ms < hi), ZERO) - _refunds(
        c, lo, hi
    )


def m_growth(c: Ctx) -> dict[str, Any]:
    """Per calendar month the period touches (whole months, not clipped): net
    revenue, and its change vs the previous month and the same month a year
    before, as fractions of the earlier value (``None`` when that is zero)."""
    rows = []
    for m in _months(c.frm, c.to):

        def net_of(first: date) -> Decimal:
            return _net(c, _bounds(first, c.tz), _bounds(_add_months(first, 1), c.tz))

        cur, prev, year = net_of(m), net_of(_add_months(m, -1)), net_of(_add_months(m, -12))
        rows.append(
            {
                "month": m.strftime("%Y-%m"),
                "net_revenue": _money(cur),
                "mom_change": _ratio(cur - prev, prev),
                "yoy_change": _ratio(cur - year, year),
            }
        )
    return {"rows": rows}


def m_conversion_rate(c: Ctx) -> dict[str, Any]:
    """Distinct userIds with an order in the period / visitors in the period."""
    buyers = _customers_of(c.period_orders())
    visitors = c.visitors()
    return {
        "conversion_rate": _ratio(len(buyers), len(visitors)),
        "buyers": len(buyers),
        "visitors": len(visitors),
    }


def _first_order_ms(c: Ctx) -> dict[str, int]:
    first: dict[str, int] = {}
    for o in c.orders.values():
        if o.user and (o.user not in first or o.ms < first[o.user]):
            first[o.user] = o.ms
    return first


def _new_customers(c: Ctx) -> set[str]:
    return {u for u, ms in _first_order_ms(c).items() if c.within(ms)}


def _expense_day(c: Ctx, e: Ev) -> date:
    raw = e.props.get("date")
    if raw:
        return date.fromisoformat(str(raw)[:10])
    return c.day(e.ms)


def _expenses(c: Ctx, frm: date, to: date) -> list[Ev]:
    return [e for e in c.events if e.name == "Expense Recorded" and frm <= _expense_day(c, e) < to]


def m_cac(c: Ctx) -> dict[str, Any]:
    spend = sum(
        (
            _dec(e.props.get("amount"))
            for e in _expenses(c, c.frm, c.to)
            if e.props.get("category") == "marketing"
        ),
        ZERO,
    )
    new = len(_new_customers(c))
    return {"cac": _ratio(spend, new), "marketing_spend": _money(spend), "new_customers": new}


# --- customers ---


def m_customers(c: Ctx) -> dict[str, Any]:
    """Repeat rate: customers of the period with 2+ orders placed before the
    period's end / customers of the period."""
    customers = _customers_of(c.period_orders())
    first = _first_order_ms(c)
    new = {u for u in customers if c.within(first[u])}
    returning = {u for u in customers if first[u] < c.lo}
    count = Counter(o.user for o in c.orders.values() if o.ms < c.hi)
    repeat = {u for u in customers if count[u] >= 2}
    return {
        "customers": len(customers),
        "new_customers": len(new),
        "returning_customers": len(returning),
        "repeat_rate": _ratio(len(repeat), len(customers)),
    }


def m_retention(c: Ctx) -> dict[str, Any]:
    """Cohorts whose first-order month is one the period touches; ``offsets[k]``
    is the share of the cohort with an order in the k-th month after (0..11),
    from whatever the stream holds; ``None`` for a month that has not begun
    by ``today`` (its fraction is not known yet, and 0 would read as "nobody
    came back")."""
    first = _first_order_ms(c)
    month_of = {u: c.day(ms).replace(day=1) for u, ms in first.items()}
    ordered_in: dict[str, set[date]] = defaultdict(set)
    for o in c.orders.values():
        if o.user:
            ordered_in[o.user].add(c.day(o.ms).replace(day=1))
    rows = []
    for m in _months(c.frm, c.to):
        cohort = [u for u, cm in month_of.items() if cm == m]
        if not cohort:
            continue
        offsets = [
            _ratio(sum(1 for u in cohort if _add_months(m, k) in ordered_in[u]), len(cohort))
            if _add_months(m, k) <= c.today
            else None
            for k in range(12)
        ]
        rows.append({"cohort": m.strftime("%Y-%m"), "size": len(cohort), "offsets": offsets})
    return {"rows": rows}


def m_refund_rate(c: Ctx) -> dict[str, Any]:
    orders = c.period_orders()
    refunded_ids = {str(e.props.get("order_id")) for e in c.events if e.name == "Order Refunded"}
    refunded = sum(1 for o in orders if o.order_id in refunded_ids)
    return {
        "refund_rate": _ratio(refunded, len(orders)),
        "refunded_orders": refunded,
        "orders": len(orders),
    }


def m_nps(c: Ctx) -> dict[str, Any]:
    scores = [int(e.props["score"]) for e in c.period("NPS Submitted")]
    n = len(scores)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return {
        "nps": (100 * (promoters - detractors) / n) if n else None,
        "responses": n,
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
    }


def m_rating(c: Ctx) -> dict[str, Any]:
    rated = c.period("Course Rated")
    by_course: dict[str, list[int]] = defaultdict(list)
    for e in rated:
        by_course[str(e.props["course_id"])].append(int(e.props["stars"]))
    stars = [s for v in by_course.values() for s in v]
    return {
        "rating": _ratio(sum(stars), len(stars)),
        "count": len(stars),
        "rows": [
            {"course_id": k, "rating": _ratio(sum(v), len(v)), "count": len(v)}
            for k, v in sorted(by_course.items())
        ],
    }


def m_ltv(c: Ctx) -> dict[str, Any]:
    """All-time (up to the period's end) net revenue / customers; ``rows`` per
    cohort (local month of the customer's first order): its customers, their
    orders' revenue minus the refunds of those orders (by ``order_id``, dated
    before the period's end) and their ratio. Refunds of orders the stream
    does not hold belong to no cohort, so the cohorts need not add up to the
    overall figure."""
    net = _net(c, 0, c.hi)
    customers = _customers_of(o for o in c.orders.values() if o.ms < c.hi)
    refunded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for e in c.events:
        if e.name == "Order Refunded" and e.ms < c.hi:
            refunded[str(e.props.get("order_id"))] += _dec(e.props.get("amount"))
    cohort_of = {u: c.day(ms).replace(day=1) for u, ms in _first_order_ms(c).items() if ms < c.hi}
    members: dict[date, set[str]] = defaultdict(set)
    money: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for o in c.orders.values():
        if o.user in cohort_of and o.ms < c.hi:
            m = cohort_of[o.user]
            members[m].add(o.user)
            money[m] += o.revenue - refunded.get(o.order_id, ZERO)
    rows = [
        {
            "cohort": m.strftime("%Y-%m"),
            "customers": len(members[m]),
            "net_revenue": _money(money[m]),
            "ltv": _ratio(money[m], len(members[m])),
        }
        for m in sorted(members)
    ]
    return {
        "ltv": _ratio(net, len(customers)),
        "net_revenue": _money(net),
        "customers": len(customers),
        "rows": rows,
    }


# --- marketing ---


def m_discount_codes(c: Ctx) -> dict[str, Any]:
    """Per coupon that has an order in the period or was applied in a session
    of the period: orders, revenue, discount, ROI (revenue / discount, ``None``
    at zero discount), ``sessions`` (sessions starting in the period with a
    ``Coupon Applied`` for it), code conversion (orders with it / those
    sessions) and kind (from the orders)."""
    orders = [o for o in c.period_orders() if o.coupon]
    applied: Counter[str] = Counter()
    for s in c.period_sessions():
        for code in {str(e.props.get("coupon")) for e in s.events if e.name == "Coupon Applied"}:
            applied[code] += 1
    rows = []
    for code in sorted({o.coupon for o in orders} | set(applied)):
        mine = [o for o in orders if o.coupon == code]
        revenue = sum((o.revenue for o in mine), ZERO)
        discount = sum((o.discount for o in mine), ZERO)
        rows.append(
            {
                "coupon": code,
                "orders": len(mine),
                "revenue": _money(revenue),
                "discount": _money(discount),
                "roi": _ratio(revenue, discount),
                "sessions": applied[code],
                "code_conversion": _ratio(len(mine), applied[code]),
                "kind": next((o.coupon_kind for o in mine if o.coupon_kind), ""),
            }
        )
    return {"rows": rows}


def m_organic_share(c: Ctx) -> dict[str, Any]:
    orders = c.period_orders()
    organic = [o for o in orders if not o.coupon]
    revenue = sum((o.revenue for o in orders), ZERO)
    return {
        "organic_share": _ratio(len(organic), len(orders)),
        "organic_revenue_share": _ratio(sum((o.revenue for o in organic), ZERO), revenue),
    }


def m_coupon_kinds(c: Ctx) -> dict[str, Any]:
    """Orders with a coupon_kind, grouped by it (orders without one are left out)."""
    groups: dict[str, list[Order]] = defaultdict(list)
    for o in c.period_orders():
        if o.coupon_kind:
            groups[o.coupon_kind].append(o)
    return {
        "rows": [
            {
                "coupon_kind": k,
                "orders": len(v),
                "revenue": _money(sum((o.revenue for o in v), ZERO)),
                "discount": _money(sum((o.discount for o in v), ZERO)),
            }
            for k, v in sorted(groups.items())
        ]
    }


def _group_sessions(c: Ctx, key: str) -> list[dict[str, Any]]:
    """Rows by a session attribute, over the sessions that start in the
    period or have an event in it: ``sessions`` = those starting in the
    period; ``visitors`` = distinct visitors with an event in the period in
    such sessions, and ``page_views`` = their page events in the period, each
    under the attribute of the session it belongs to (even one that started
    before the period). So a group's visitors are the period's visitors
    (whatever their session's start) and the rows' page views add up to the
    total; a visitor with sessions in two groups counts in both."""
    groups: dict[str, list[Session]] = defaultdict(list)
    for s in c.sessions:
        if c.within(s.start) or any(c.within(e.ms) for e in s.events):
            groups[getattr(s, key)].append(s)
    rows = []
    for k, v in sorted(groups.items()):
        rows.append(
            {
                key: k,
                "sessions": sum(1 for s in v if c.within(s.start)),
                "visitors": len({s.anon for s in v if any(c.within(e.ms) for e in s.events)}),
                "page_views": sum(
                    1 for s in v for e in s.events if e.name == "page" and c.within(e.ms)
                ),
            }
        )
    return rows


def m_traffic(c: Ctx) -> dict[str, Any]:
    """Visitors (anonymousIds with a non-bot event in the period), sessions
    (starting in the period), page views (non-bot ``page`` events in the
    period); the same by channel, landing page, country and device of the
    session (see ``_group_sessions`` and ``sessionize``)."""
    sessions = c.period_sessions()
    return {
        "visitors": len(c.visitors()),
        "sessions": len(sessions),
        "page_views": len(c.period("page", humans=True)),
        "by_channel": _group_sessions(c, "channel"),
        "by_landing_page": _group_sessions(c, "landing_page"),
        "by_country": _group_sessions(c, "country"),
        "by_device": _group_sessions(c, "device"),
    }


def m_landing_pages(c: Ctx) -> dict[str, Any]:
    """Conversion: sessions containing an ``Order Completed`` / sessions.
    Sessions without a page event have no landing page and are not listed."""
    groups: dict[str, list[Session]] = defaultdict(list)
    for s in c.period_sessions():
        if s.landing_page:
            groups[s.landing_page].append(s)
    rows = []
    for page, ss in sorted(groups.items()):
        converted = sum(1 for s in ss if any(e.name == "Order Completed" for e in s.events))
        rows.append(
            {
                "landing_page": page,
                "sessions": len(ss),
                "visitors": len({s.anon for s in ss}),
                "conversion": _ratio(converted, len(ss)),
            }
        )
    return {"rows": rows}


# --- courses ---


def _first_starts(c: Ctx) -> dict[tuple[str, str], int]:
    first: dict[tuple[str, str], int] = {}
    for e in c.events:
        if e.name == "Lesson Started" and e.user:
            first.setdefault((e.user, str(e.props["course_id"])), e.ms)
    return first


def _first_completions(c: Ctx) -> dict[tuple[str, str], int]:
    done: dict[tuple[str, str], int] = {}
    for e in c.events:
        if e.name == "Course Completed" and e.user:
            done.setdefault((e.user, str(e.props["course_id"])), e.ms)
    return done


def _completion_row(
    pairs: list[tuple[str, str]],
    starts: dict[tuple[str, str], int],
    done: dict[tuple[str, str], int],
) -> dict[str, Any]:
    completed = [p for p in pairs if p in done]
    hours = [(done[p] - starts[p]) / 3_600_000 for p in completed]
    return {
        "started": len(pairs),
        "completed": len(completed),
        "completion_rate": _ratio(len(completed), len(pairs)),
        "mean_hours_to_complete": (sum(hours) / len(hours)) if hours else None,
    }


def m_course_completion(c: Ctx) -> dict[str, Any]:
    """(userId, course) pairs whose first-ever ``Lesson Started`` is in the
    period; completed = a ``Course Completed`` for the pair at any time; hours
    from that first start to the pair's first ``Course Completed``."""
    starts, done = _first_starts(c), _first_completions(c)
    pairs = [p for p, ms in starts.items() if c.within(ms)]
    by_course: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in pairs:
        by_course[p[1]].append(p)
    return {
        **_completion_row(pairs, starts, done),
        "rows": [
            {"course_id": k, **_completion_row(v, starts, done)}
            for k, v in sorted(by_course.items())
        ],
    }


def m_dropoff(c: Ctx) -> dict[str, Any]:
    """Per course and lesson index 1..lesson_count, over the pairs of
    ``course_completion``: ``reached`` = pairs whose furthest started lesson
    index is >= it, ``dropped`` = pairs whose furthest is it and that never
    completed the course."""
    starts, done = _first_starts(c), _first_completions(c)
    pairs = {p for p, ms in starts.items() if c.within(ms)}
    furthest: dict[tuple[str, str], int] = {}
    count: dict[str, int] = {}
    for e in c.events:
        if e.name == "Lesson Started" and e.user:
            p = (e.user, str(e.props["course_id"]))
            if p in pairs:
                furthest[p] = max(furthest.get(p, 0), int(e.props["lesson_index"]))
                count[p[1]] = max(count.get(p[1], 0), int(e.props["lesson_count"]), furthest[p])
    rows = []
    for course in sorted(count):
        mine = [p for p in pairs if p[1] == course]
        for i in range(1, count[course] + 1):
            rows.append(
                {
                    "course_id": course,
                    "lesson_index": i,
                    "reached": sum(1 for p in mine if furthest[p] >= i),
                    "dropped": sum(1 for p in mine if furthest[p] == i and p not in done),
                }
            )
    return {"rows": rows}


def m_popular_courses(c: Ctx) -> dict[str, Any]:
    enroll = Counter(str(e.props["course_id"]) for e in c.period("Course Enrolled"))
    starts = Counter(str(e.props["course_id"]) for e in c.period("Lesson Started"))
    completions = Counter(str(e.props["course_id"]) for e in c.period("Course Completed"))
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for o in c.period_orders():
        for course, _, share in o.allocated():
            revenue[course] += share
    courses = sorted(set(enroll) | set(starts) | set(completions) | set(revenue))
    return {
        "rows": [
            {
                "course_id": k,
                "enrollments": enroll[k],
                "lesson_starts": starts[k],
                "completions": completions[k],
                "revenue": _money(revenue.get(k, ZERO)),
            }
            for k in courses
        ]
    }


def m_certificate_rate(c: Ctx) -> dict[str, Any]:
    """(user, course) pairs whose first ``Course Completed`` is in the period
    (a pair completed again later is not counted again, as in
    ``course_completion``), and of those the share with a ``Certificate
    Downloaded`` for the course at any time."""
    completed = {p for p, ms in _first_completions(c).items() if c.within(ms)}
    downloaded = {
        (e.user, str(e.props["course_id"])) for e in c.events if e.name == "Certificate Downloaded"
    }
    n = len(completed & downloaded)
    return {
        "certificate_rate": _ratio(n, len(completed)),
        "completed": len(completed),
        "downloaded": n,
    }


def m_funnel(c: Ctx) -> dict[str, Any]:
    """ClickHouse ``windowFunnel(7 days)`` per (non-bot) visitor over page ->
    Product Viewed -> Checkout Started -> Order Completed, with chains starting
    at a page view in the period; later steps may fall after the period's end
    (within the window). Each level keeps the latest chain start that reached
    it, as windowFunnel does."""
    by_anon: dict[str, list[Ev]] = defaultdict(list)
    for e in c.events:
        if e.anon and e.device != "bot" and e.name in FUNNEL_STEPS and e.ms >= c.lo:
            by_anon[e.anon].append(e)
    level_count = [0] * len(FUNNEL_STEPS)
    for evs in by_anon.values():
        starts: list[int | None] = [None] * len(FUNNEL_STEPS)
        for e in evs:
            step = FUNNEL_STEPS.index(e.name)
            if step == 0:
                if c.within(e.ms):
                    starts[0] = e.ms
            else:
                s = starts[step - 1]
                if s is not None and e.ms - s <= FUNNEL_WINDOW_MS:
                    starts[step] = s
        reached = max((i + 1 for i, s in enumerate(starts) if s is not None), default=0)
        for i in range(reached):
            level_count[i] += 1
    rows = []
    for i, name in enumerate(FUNNEL_STEPS):
        rows.append(
            {
                "step": i + 1,
                "name": name,
                "visitors": level_count[i],
                "conversion": _ratio(level_count[i], level_count[i - 1 if i else 0]),
                "overall": _ratio(level_count[i], level_count[0]),
            }
        )
    return {"conversion": _ratio(level_count[-1], level_count[0]), "rows": rows}


# --- usage ---


def m_peak_usage(c: Ctx) -> dict[str, Any]:
    """Non-bot events carrying an anonymousId, by ISO weekday and local hour."""
    cells: dict[tuple[int, int], list[Ev]] = defaultdict(list)
    for e in c.events:
        if e.anon and e.device != "bot" and c.within(e.ms):
            local = datetime.fromtimestamp(e.ms / 1000, c.tz)
            cells[(local.isoweekday(), local.hour)].append(e)
    return {
        "rows": [
            {"weekday": w, "hour": h, "visitors": len({e.anon for e in v}), "events": len(v)}
            for (w, h), v in sorted(cells.items())
        ]
    }


def m_sessions(c: Ctx) -> dict[str, Any]:
    """Duration = last - first event in seconds; the median is quantileExact(0.5);
    a bounce is a session with exactly one ``page`` event."""
    sessions = c.period_sessions()
    durations = [s.duration_s for s in sessions]
    return {
        "sessions": len(sessions),
        "mean_duration_s": statistics.fmean(durations) if durations else None,
        "median_duration_s": quantile_exact(durations, 0.5),
        "bounce_rate": _ratio(sum(1 for s in sessions if s.pages == 1), len(sessions)),
    }


def m_return_visits(c: Ctx) -> dict[str, Any]:
    """Share of the period's visitors with 2+ sessions starting in the period;
    returning visitors = the period's visitors with a non-bot event before it."""
    visitors = c.visitors()
    per = Counter(s.anon for s in c.period_sessions())
    before = {e.anon for e in c.events if e.anon and e.device != "bot" and e.ms < c.lo}
    return {
        "visitors": len(visitors),
        "multi_session_share": _ratio(sum(1 for v in visitors if per[v] >= 2), len(visitors)),
        "returning_visitors": len(visitors & before),
    }


def m_devices(c: Ctx) -> dict[str, Any]:
    sessions = c.period_sessions()
    mobile = sum(1 for s in sessions if s.device in ("mobile", "tablet"))
    return {
        "mobile_share": _ratio(mobile, len(sessions)),
        "rows": [
            {k: v for k, v in r.items() if k != "page_views"} for r in _group_sessions(c, "device")
        ],
    }


# --- business intelligence ---


def _by_trait(c: Ctx, trait: str) -> dict[str, list[Order]]:
    groups: dict[str, list[Order]] = defaultdict(list)
    for o in c.period_orders():
        value = c.traits.get(o.user, {}).get(trait)
        groups[str(value) if value is not None else "unknown"].append(o)
    return groups


def _bi_row(orders: list[Order]) -> dict[str, Any]:
    return {
        "customers": len(_customers_of(orders)),
        "orders": len(orders),
        "revenue": _money(sum((o.revenue for o in orders), ZERO)),
    }


def m_professions(c: Ctx) -> dict[str, Any]:
    """Buyer profession: the user's last known ``profession`` trait ("unknown" if none)."""
    return {
        "rows": [
            {"profession": k, **_bi_row(v)} for k, v in sorted(_by_trait(c, "profession").items())
        ]
    }


def m_regions(c: Ctx) -> dict[str, Any]:
    """By last known ``license_state``; ``texas`` vs ``other`` (all the rest,
    unknown included)."""
    groups = _by_trait(c, "license_state")
    tx = groups.get("TX", [])
    rest = [o for k, v in groups.items() if k != "TX" for o in v]
    return {
        "rows": [{"license_state": k, **_bi_row(v)} for k, v in sorted(groups.items())],
        "texas": _bi_row(tx),
        "other": _bi_row(rest),
    }


def m_packages(c: Ctx) -> dict[str, Any]:
    orders: dict[str, set[str]] = defaultdict(set)
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for o in c.period_orders():
        for _, pkg, share in o.allocated():
            if pkg:
                orders[pkg].add(o.order_id)
                revenue[pkg] += share
    return {
        "rows": [
            {"package_id": k, "orders": len(orders[k]), "revenue": _money(revenue[k])}
            for k in sorted(orders)
        ]
    }


def m_seasonality(c: Ctx) -> dict[str, Any]:
    """Orders of the period by calendar month (1-12) of their local date."""
    groups: dict[int, list[Order]] = defaultdict(list)
    for o in c.period_orders():
        groups[c.day(o.ms).month].append(o)
    return {
        "rows": [
            {"month": m, "orders": len(v), "revenue": _money(sum((o.revenue for o in v), ZERO))}
            for m, v in sorted(groups.items())
        ]
    }


# --- financial health ---


def _month_money(c: Ctx, frm: date, to: date) -> tuple[Decimal, dict[str, Decimal]]:
    net = _net(c, _bounds(frm, c.tz), _bounds(to, c.tz))
    spend: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for e in _expenses(c, frm, to):
        spend[str(e.props.get("category"))] += _dec(e.props.get("amount"))
    return net, spend


def m_cash_flow(c: Ctx) -> dict[str, Any]:
    """Per month the period touches, clipped to the period: net revenue,
    expenses by category, net cash flow."""
    rows = []
    for m in _months(c.frm, c.to):
        lo, hi = max(m, c.frm), min(_add_months(m, 1), c.to)
        net, spend = _month_money(c, lo, hi)
        total = sum(spend.values(), ZERO)
        rows.append(
            {
                "month": m.strftime("%Y-%m"),
                "net_revenue": _money(net),
                "expenses": {k: _money(v) for k, v in sorted(spend.items())},
                "total_expenses": _money(total),
                "net_cash_flow": _money(net - total),
            }
        )
    return {"rows": rows}


def m_profit_margin(c: Ctx) -> dict[str, Any]:
    net, spend = _month_money(c, c.frm, c.to)
    total = sum(spend.values(), ZERO)
    return {
        "profit_margin": _ratio(net - total, net),
        "net_revenue": _money(net),
        "expenses": _money(total),
    }


def m_break_even(c: Ctx) -> dict[str, Any]:
    """Cumulative net cash flow by month since the first money ever recorded,
    as of the period's end: rows from the earlier of the first month with any
    order, refund or expense and the period's first month, to the period's
    last month (clipped at its end). Break-even is a fact of the whole
    history, so it does not restart at ``from``. The break-even month is the
    first whose cumulative figure is >= 0 once a month's net flow has been
    non-zero (leading empty months are no break-even)."""
    firsts = [
        c.day(e.ms)
        for e in c.events
        if e.name in ("Order Completed", "Order Refunded") and e.ms < c.hi
    ]
    firsts += [
        d
        for d in (_expense_day(c, e) for e in c.events if e.name == "Expense Recorded")
        if d < c.to
    ]
    rows, total, found, moved = [], ZERO, None, False
    for m in _months(min([*firsts, c.frm]), c.to):
        net, spend = _month_money(c, m, min(_add_months(m, 1), c.to))
        flow = net - sum(spend.values(), ZERO)
        total += flow
        moved = moved or flow != 0
        if found is None and moved and total >= 0:
            found = m.strftime("%Y-%m")
        rows.append({"month": m.strftime("%Y-%m"), "cumulative_net_cash_flow": _money(total)})
    return {"break_even_month": found, "rows": rows}


# --- operations ---


def m_uptime(c: Ctx) -> dict[str, Any]:
    """Per target, checks in the period: uptime = ok / checks; latency
    percentiles (quantileExact) over all checks, failed ones included;
    incidents = runs of consecutive failed checks in time order, from the
    first failed check's time to the last one's."""
    by_target: dict[str, list[Ev]] = defaultdict(list)
    for e in c.period("Uptime Check"):
        by_target[str(e.props["target"])].append(e)
    rows, all_ok, all_n = [], 0, 0
    for target, evs in sorted(by_target.items()):
        ok = sum(1 for e in evs if e.props.get("ok") is True)
        lat = [float(e.props["latency_ms"]) for e in evs]
        incidents: list[dict[str, Any]] = []
        run: list[Ev] = []
        for check in [*evs, None]:
            if check is not None and check.props.get("ok") is not True:
                run.append(check)
                continue
            if run:
                incidents.append(
                    {"start": iso_ms(run[0].ms), "end": iso_ms(run[-1].ms), "checks": len(run)}
                )
                run = []
        all_ok += ok
        all_n += len(evs)
        rows.append(
            {
                "target": target,
                "checks": len(evs),
                "successful_checks": ok,
                "uptime": _ratio(ok, len(evs)),
                "p50_latency_ms": quantile_exact(lat, 0.5),
                "p95_latency_ms": quantile_exact(lat, 0.95),
                "incidents": incidents,
            }
        )
    return {"uptime": _ratio(all_ok, all_n), "rows": rows}


def m_page_speed(c: Ctx) -> dict[str, Any]:
    """``load_ms`` from the properties of non-bot ``page`` events, ``lcp_ms``
    from ``Web Vitals``; per page by ``context.page.path``."""
    load: dict[str, list[float]] = defaultdict(list)
    lcp: dict[str, list[float]] = defaultdict(list)
    for e in c.period(humans=True):
        if e.name == "page" and e.props.get("load_ms") is not None:
            load[e.path].append(float(e.props["load_ms"]))
        elif e.name == "Web Vitals" and e.props.get("lcp_ms") is not None:
            lcp[e.path].append(float(e.props["lcp_ms"]))
    all_load = [v for vs in load.values() for v in vs]
    all_lcp = [v for vs in lcp.values() for v in vs]

    def row(ls: list[float], cs: list[float]) -> dict[str, Any]:
        return {
            "p50_load_ms": quantile_exact(ls, 0.5),
            "p75_load_ms": quantile_exact(ls, 0.75),
            "p50_lcp_ms": quantile_exact(cs, 0.5),
            "p75_lcp_ms": quantile_exact(cs, 0.75),
        }

    return {
        **row(all_load, all_lcp),
        "rows": [
            {"page": p, **row(load.get(p, []), lcp.get(p, []))}
            for p in sorted(set(load) | set(lcp))
        ],
    }


def m_error_rate(c: Ctx) -> dict[str, Any]:
    errors = c.period("JS Error", humans=True)
    views = len(c.period("page", humans=True))
    by_msg = Counter(str(e.props["message"]) for e in errors)
    return {
        "error_rate": _ratio(len(errors), views),
        "errors": len(errors),
        "page_views": views,
        "rows": [
            {"message": k, "errors": v}
            for k, v in sorted(by_msg.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def m_support_tickets(c: Ctx) -> dict[str, Any]:
    tickets = c.period("Support Ticket Opened")
    cats = Counter(str(e.props.get("category") or "") for e in tickets)
    per_day = Counter(c.day(e.ms).isoformat() for e in tickets)
    return {
        "tickets": len(tickets),
        "by_category": [{"category": k, "tickets": v} for k, v in sorted(cats.items())],
        "by_day": [{"day": k, "tickets": v} for k, v in sorted(per_day.items())],
    }


def m_signup_rate(c: Ctx) -> dict[str, Any]:
    signups = len(c.period("Signed Up"))
    visitors = len(c.visitors())
    return {"signup_rate": _ratio(signups, visitors), "signups": signups, "visitors": visitors}


def m_login_success(c: Ctx) -> dict[str, Any]:
    ok, failed = len(c.period("Signed In")), len(c.period("Sign In Failed"))
    return {"login_success": _ratio(ok, ok + failed), "signed_in": ok, "failed": failed}


def m_search_usage(c: Ctx) -> dict[str, Any]:
    """Searches: non-bot ``Products Searched`` in the period; the session share
    is over sessions starting in the period; top queries (trimmed and
    lower-cased) by count, then query."""
    searches = c.period("Products Searched", humans=True)
    sessions = c.period_sessions()
    with_search = sum(1 for s in sessions if any(e.name == "Products Searched" for e in s.events))
    zero = sum(1 for e in searches if e.props.get("results_count") == 0)
    # "ACL" and " acl" are one query: trimmed and lower-cased before counting
    top = Counter(str(e.props["query"]).strip().lower() for e in searches)
    return {
        "searches": len(searches),
        "session_search_share": _ratio(with_search, len(sessions)),
        "zero_results_share": _ratio(zero, len(searches)),
        "top_queries": [
            {"query": q, "searches": n}
            for q, n in sorted(top.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
    }


def m_feature_usage(c: Ctx) -> dict[str, Any]:
    """Per feature: events, and distinct userIds among them (events without a
    userId add to events only)."""
    groups: dict[str, list[Ev]] = defaultdict(list)
    for e in c.period("Feature Used", humans=True):
        groups[str(e.props["feature"])].append(e)
    return {
        "rows": [
            {"feature": k, "events": len(v), "users": len({e.user for e in v if e.user})}
            for k, v in sorted(groups.items())
        ]
    }


def m_event_counts(c: Ctx) -> dict[str, Any]:
    """Distinct events in the period by name (the call type for non-track
    calls), bots included."""
    return dict(sorted(Counter(e.name for e in c.period()).items()))


def m_goals(c: Ctx) -> dict[str, Any]:
    """Active users: distinct userIds with any event in the 30 days (of the
    zone's calendar, so a DST change does not shift the window by an hour)
    before the period's end (the prober's and the books' ids included, as
    they are userIds). Monthly net revenue: of the calendar month holding the
    period's last day, from its start to the period's end (the whole month
    when the period ends with the month, month-to-date otherwise), so that
    the figure stays monthly whatever the period's length."""
    active_from = _bounds(c.to - timedelta(days=30), c.tz)
    active = {e.user for e in c.events if e.user and active_from <= e.ms < c.hi}
    month_from = _bounds((c.to - timedelta(days=1)).replace(day=1), c.tz)
    completion = m_course_completion(c)["completion_rate"]
    rating = m_rating(c)["rating"]
    return {
        "active_users": len(active),
        "monthly_net_revenue": _money(_net(c, month_from, c.hi)),
        "course_completion_rate": completion,
        "average_rating": rating,
    }


METRICS = {
    "revenue": m_revenue,
    "aov": m_aov,
    "revenue_per_customer": m_revenue_per_customer,
    "growth": m_growth,
    "conversion_rate": m_conversion_rate,
    "cac": m_cac,
    "customers": m_customers,
    "retention": m_retention,
    "refund_rate": m_refund_rate,
    "nps": m_nps,
    "rating": m_rating,
    "ltv": m_ltv,
    "discount_codes": m_discount_codes,
    "organic_share": m_organic_share,
    "coupon_kinds": m_coupon_kinds,
    "traffic": m_traffic,
    "landing_pages": m_landing_pages,
    "course_completion": m_course_completion,
    "dropoff": m_dropoff,
    "popular_courses": m_popular_courses,
    "certificate_rate": m_certificate_rate,
    "funnel": m_funnel,
    "peak_usage": m_peak_usage,
    "sessions": m_sessions,
    "return_visits": m_return_visits,
    "devices": m_devices,
    "professions": m_professions,
    "packages": m_packages,
    "regions": m_regions,
    "seasonality": m_seasonality,
    "cash_flow": m_cash_flow,
    "profit_margin": m_profit_margin,
    "break_even": m_break_even,
    "uptime": m_uptime,
    "page_speed": m_page_speed,
    "error_rate": m_error_rate,
    "support_tickets": m_support_tickets,
    "signup_rate": m_signup_rate,
    "login_success": m_login_success,
    "search_usage": m_search_usage,
    "feature_usage": m_feature_usage,
    "goals": m_goals,
    "event_counts": m_event_counts,
}
