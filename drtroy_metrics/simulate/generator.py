"""The school's traffic as a pure, deterministic function of (period, seed, scale).

``generate(start, end, seed)`` simulates the people who arrive on each day
(from ``LOOKBACK_DAYS`` before ``start`` so that returning students and late
refunds show up at the start of the period), the bots, the uptime prober and
the bookkeeping, and returns the calls whose timestamps fall in
``[start, end)``, in time order.

Every person, bot run and day of prober/expense activity draws from its own
``random.Random`` seeded with a string built from the seed and the day, so
the same arguments always give the same stream, and a day's people are the
same whatever period they are generated for.

Shape of what is simulated, in brief:
- arrivals per day follow a weekday curve, rise in the second half of each
  month (license renewals fall due at the end of the birth month, biennially)
  and most on the weekends of the last ten days;
- a person has a profession, license state (mostly TX), a renewal deadline,
  one browser (some use a second one for lessons), a country and IP;
- visits: a landing page by channel, pages, searches, product views; sign-up
  or sign-in (some failed); checkouts with coupons (employee, marketing,
  partner; some denied); orders; lessons with a per-lesson drop-off; course
  completion, certificates, ratings, NPS; support tickets; web vitals and JS
  errors;
- refunds (a few, often in a later month) come from the back office with only
  the userId; expenses with a ``date``; uptime checks every five minutes per
  target with an occasional outage.

Within a visit, consecutive events are at most ~13 minutes apart, and a
person's visits are at least 45 minutes apart, so that the 30-minute session
rule finds the visits the simulator meant. No event falls in the last 30
seconds before a local midnight, so that network latency added by the
collector's clock-skew correction cannot move it into the next day.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from . import catalog as cat
from .model import SCHOOL_TZ, Call, days, iso_ms, local_date, local_ms, to_ms

LOOKBACK_DAYS = 60
ARRIVALS_PER_DAY = 110  # new people a day at scale 1, before seasonality
BOT_RUNS_PER_DAY = 6
UPTIME_EVERY_MIN = 5

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# local hour -> relative weight of starting a visit then (peak in the evening)
HOUR_WEIGHTS = (
    0.3,
    0.2,
    0.1,
    0.1,
    0.1,
    0.3,
    0.8,
    1.5,
    2.2,
    2.5,
    2.6,
    2.8,
    3.2,
    3.0,
    2.6,
    2.5,
    2.6,
    3.0,
    3.8,
    4.8,
    5.4,
    5.0,
    3.4,
    1.4,
)
WEEKDAY_FACTOR = (1.0, 1.0, 0.95, 0.9, 0.75, 0.8, 1.0)  # Monday first
MONTH_FACTOR = (1.25, 1.05, 1.0, 0.95, 0.95, 0.85, 0.8, 0.9, 1.0, 1.05, 1.05, 1.2)  # January first


def generate(start: datetime, end: datetime, seed: int, scale: float = 1.0) -> list[Call]:
    """The calls with ``start <= timestamp < end``, sorted by time, then messageId.

    ``scale`` multiplies the people (and bots, marketing spend) per day.
    Naive datetimes are taken as UTC.
    """
    lo, hi = to_ms(start), to_ms(end)
    if hi <= lo:
        return []
    first_day = local_date(lo) - timedelta(days=LOOKBACK_DAYS)
    last_day = local_date(hi - 1)
    out: list[Call] = []
    for day in days(first_day, last_day):
        out.extend(c for c in day_calls(seed, day, scale, lo) if lo <= c.message["_ms"] < hi)
    out.sort(key=lambda c: (c.message["_ms"], c.message["messageId"]))
    return [_finish(c) for c in out]


def day_calls(seed: int, day: date, scale: float, not_before: int | None = None) -> list[Call]:
    """Everything that starts on local ``day``: its people's whole journeys
    (which may run weeks past it), its bots, prober checks and expenses.
    ``not_before`` (epoch ms) skips the fixed daily streams that end before it."""
    calls: list[Call] = []
    for i in range(arrivals(seed, day, scale)):
        calls.extend(Person.simulate(seed, day, i))
    day_end = local_ms(day + timedelta(days=1), 0) + 2 * DAY
    if not_before is None or day_end > not_before:
        calls.extend(bot_runs(seed, day, scale))
        calls.extend(uptime_checks(seed, day))
        calls.extend(expenses(seed, day, scale))
    return calls


def live_window(
    seed: int, start_ms: int, window_ms: int, people_per_hour: float, horizon_ms: int = 2 * HOUR
) -> list[Call]:
    """Calls for live mode: the people arriving in ``[start, start + window)``
    (a Poisson number around ``people_per_hour`` shaped by the hour of day),
    each with the part of their journey within ``horizon_ms`` of the window's
    start, plus the window's bots, prober checks and expense entries. Unsorted."""
    rng = random.Random(f"{seed}|live|{start_ms}")
    hour = datetime.fromtimestamp(start_ms / 1000, SCHOOL_TZ).hour
    shape = HOUR_WEIGHTS[hour] / (sum(HOUR_WEIGHTS) / 24)
    mean = people_per_hour * shape * window_ms / HOUR
    n = _poisson(rng, mean)
    day = local_date(start_ms)
    calls: list[Call] = []
    for i in range(n):
        at = start_ms + rng.randrange(max(1, window_ms))
        calls.extend(
            c
            for c in Person.simulate(seed, day, i, arrive_at=at, tag=f"L{start_ms % 10**9}-")
            if c.message["_ms"] < start_ms + horizon_ms
        )
    end = start_ms + window_ms
    bot_scale = people_per_hour * 24 / ARRIVALS_PER_DAY
    for _ in range(_poisson(rng, BOT_RUNS_PER_DAY * bot_scale * window_ms / DAY)):
        calls.extend(_bot_run(rng, start_ms + rng.randrange(max(1, window_ms))))
    fixed = [*uptime_checks(seed, day), *expenses(seed, day - timedelta(days=1), 1.0)]
    calls.extend(c for c in fixed if start_ms <= c.message["_ms"] < end)
    return [_finish(c) for c in calls]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, int(round(rng.gauss(mean, mean**0.5))))
    # Knuth's method for small means
    limit, k, p = pow(2.718281828459045, -mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def arrivals(seed: int, day: date, scale: float) -> int:
    """How many new people arrive on ``day``: seasonality times Poisson noise."""
    rng = random.Random(f"{seed}|arrivals|{day.isoformat()}")
    factor = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
    if day.day >= 15:
        factor *= 1.25
    if day.day >= _days_in_month(day) - 9 and day.weekday() >= 5:
        factor *= 1.3
    mean = ARRIVALS_PER_DAY * scale * factor
    # normal approximation of Poisson, good enough and cheap
    return max(0, int(round(rng.gauss(mean, mean**0.5))))


def _days_in_month(d: date) -> int:
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _month_end(d: date) -> date:
    return date(d.year, d.month, _days_in_month(d))


def _pick(rng: random.Random, pairs: Iterable[tuple[Any, float]]) -> Any:
    items = list(pairs)
    return rng.choices([p[0] for p in items], weights=[p[1] for p in items])[0]


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _money(d: Decimal) -> float:
    """Money on the wire: a JSON number with at most two decimals, as SDKs send."""
    return float(d.quantize(Decimal("0.01")))


def _safe_ms(ms: int) -> int:
    """Move a time out of the last 30 s before a local midnight (see module doc)."""
    local = datetime.fromtimestamp(ms / 1000, SCHOOL_TZ)
    into_day = (local.hour * 3600 + local.minute * 60 + local.second) * 1000 + ms % 1000
    if into_day >= DAY - 30_000:
        return ms + (DAY - into_day) + 500
    return ms


def _finish(call: Call) -> Call:
    msg = dict(call.message)
    msg["timestamp"] = iso_ms(msg.pop("_ms"))
    return Call(call.key_kind, call.forwarded_ip, msg)


# --- people -------------------------------------------------------------------


@dataclass
class Browser:
    """One browser of a person: its anonymousId, user agent and screen."""

    anonymous_id: str
    device: str
    user_agent: str
    width: int
    height: int


@dataclass
class Person:
    """A visitor of the school and everything they do, generated at once."""

    rng: random.Random
    seed: int
    key: str
    profession: str
    license_state: str
    is_employee: bool
    country: str
    ip: str
    locale: str
    timezone: str
    deadline: date
    browsers: list[Browser]
    user_id: str | None = None
    has_account: bool = False
    calls: list[Call] = field(default_factory=list)
    clock: int = 0
    free_at: int = 0  # a next visit may not start before this (session gap)
    owned: list[str] = field(default_factory=list)
    completed: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    nps_done: bool = False
    order_seq: int = 0

    @classmethod
    def simulate(
        cls, seed: int, day: date, index: int, arrive_at: int | None = None, tag: str = ""
    ) -> list[Call]:
        """The whole journey of the ``index``-th person arriving on ``day``
        (at ``arrive_at`` epoch ms when given, else at a drawn hour)."""
        rng = random.Random(f"{seed}|person{tag}|{day.isoformat()}|{index}")
        p = cls._make(rng, seed, f"{tag}{day.strftime('%y%m%d')}{index:04d}", day)
        p._journey(day, arrive_at)
        # journeys end within the look-back, so any period sees whole journeys
        horizon = local_ms(day, 0) + LOOKBACK_DAYS * DAY
        return [c for c in p.calls if c.message["_ms"] < horizon]

    @classmethod
    def _make(cls, rng: random.Random, seed: int, key: str, day: date) -> Person:
        profession = rng.choices(cat.PROFESSIONS, weights=cat.PROFESSION_WEIGHTS)[0]
        state = "TX" if rng.random() < cat.TEXAS_SHARE else rng.choice(cat.OTHER_STATES)
        country = _pick(rng, ((c, w) for c, (w, _) in cat.COUNTRY_NETWORKS.items()))
        net = rng.choice(cat.COUNTRY_NETWORKS[country][1])
        ip = _ip_in(rng, net)
        locale = (
            "en-US"
            if country in ("US", "PH", "IN")
            else {"MX": "es-MX", "CA": "en-CA", "GB": "en-GB", "DE": "de-DE"}[country]
        )
        tzname = "America/Chicago" if state == "TX" or rng.random() < 0.5 else "America/New_York"
        # License renewal: the end of the birth month, every other year. A third
        # of visitors come because theirs is due within the next weeks.
        if rng.random() < 0.3:
            due = _month_end(day + timedelta(days=7))
        else:
            due = _month_end(day + timedelta(days=rng.randint(40, 730)))
        browsers = [cls._browser(rng)]
        if rng.random() < 0.15:
            browsers.append(cls._browser(rng))
        return cls(
            rng=rng,
            seed=seed,
            key=key,
            profession=profession,
            license_state=state,
            is_employee=False,
            country=country,
            ip=ip,
            locale=locale,
            timezone=tzname,
            deadline=due,
            browsers=browsers,
        )

    @staticmethod
    def _browser(rng: random.Random) -> Browser:
        device = _pick(rng, cat.DEVICE_WEIGHTS.items())
        ua, w, h, _ = _pick(rng, ((u, u[3]) for u in cat.USER_AGENTS[device]))
        return Browser(_uid(rng), device, ua, w, h)

    # -- the journey --

    def _journey(self, day: date, arrive_at: int | None = None) -> None:
        rng = self.rng
        self.has_account = rng.random() < 0.3
        if self.has_account:
            self.user_id = self._new_user_id()
            self.is_employee = rng.random() < 0.04
        days_left = (self.deadline - day).days
        renewal = days_left <= 40
        if self.is_employee:
            p_buy = 0.5
        elif self.has_account:
            p_buy = 0.15 + (0.2 if renewal else 0.0)
        else:
            p_buy = (0.22 + (0.15 if days_left <= 21 else 0.0)) if renewal else 0.012
        buys = rng.random() < p_buy
        start = local_ms(day, _hour(rng))
        if arrive_at is not None:
            start = arrive_at
        # when the purchase happens: this visit, or a later one before the deadline
        buy_visit = 0 if (not buys or rng.random() < 0.45) else rng.randint(1, 3)
        channel = _pick(rng, cat.CHANNEL_WEIGHTS.items())
        if self.has_account and rng.random() < 0.5:
            channel = "direct"
        self.clock = start
        for v in range(buy_visit + 1):
            if v > 0:
                self._next_visit(rng.uniform(0.3, max(0.5, min(6.0, days_left / 3))))
                channel = rng.choices(("direct", "email", "search"), weights=(0.6, 0.25, 0.15))[0]
            self._shopping_visit(channel, buy=(buys and v == buy_visit), first=(v == 0))
        if not buys and rng.random() < 0.12:
            self._next_visit(rng.uniform(1, 20))
            self._shopping_visit(rng.choice(("direct", "search")), buy=False, first=False)
        self._learning()
        # some come back for more: a second (rarely third) order, then its lessons
        for _ in range(2):
            if not self.owned or rng.random() > 0.2:
                break
            self._next_visit(rng.uniform(2, 20))
            self._shopping_visit(
                rng.choice(("direct", "email", "email", "search")), buy=True, first=False
            )
            self._learning()

    def _new_user_id(self) -> str:
        return f"u{self.seed % 10_000:04d}-{self.key}"

    def _next_visit(self, after_days: float) -> None:
        t = self.clock + int(after_days * DAY)
        # re-draw the hour of day on the target day, keep the session gap
        d = local_date(t)
        t = local_ms(d, _hour(self.rng))
        self.clock = max(t, self.free_at)

    # -- emitting --

    def _msg(self, kind: str, browser: Browser | None, **fields: Any) -> dict[str, Any]:
        self.clock = _safe_ms(self.clock)
        msg: dict[str, Any] = {"type": kind, "messageId": _uid(self.rng), "_ms": self.clock}
        if browser is not None:
            msg["anonymousId"] = browser.anonymous_id
        if self.user_id and (browser is None or self._signed_in):
            msg["userId"] = self.user_id
        msg.update(fields)
        return msg

    _signed_in: bool = False
    _browser_now: Browser | None = None
    _page: dict[str, Any] | None = None
    _campaign: dict[str, str] | None = None
    _page_count: int = 0

    def _browser_ctx(self) -> dict[str, Any]:
        b = self._browser_now
        assert b is not None and self._page is not None
        ctx: dict[str, Any] = {
            "page": dict(self._page),
            "userAgent": b.user_agent,
            "locale": self.locale,
            "timezone": self.timezone,
            "screen": {"width": b.width, "height": b.height},
            "library": {"name": "drtroy-tracker", "version": "1.4.0"},
        }
        if self._campaign and self._page_count == 1:
            ctx["campaign"] = dict(self._campaign)
        return ctx

    def _step(self, lo_s: float, hi_s: float) -> None:
        self.clock += int(self.rng.uniform(lo_s, hi_s) * 1000)

    def track(self, event: str, props: dict[str, Any]) -> None:
        """A browser (client-trust) event on the current page."""
        self._step(1, 40)
        msg = self._msg(
            "track", self._browser_now, event=event, properties=props, context=self._browser_ctx()
        )
        self.calls.append(Call("browser", self.ip, msg))

    def server(self, event: str, props: dict[str, Any], in_visit: bool = True) -> None:
        """A server (backend) event; about the current visit unless ``in_visit`` is False."""
        self._step(0.2, 3)
        browser = self._browser_now if in_visit else None
        ctx: dict[str, Any] = {"library": {"name": "drtroy-backend", "version": "2.1.0"}}
        if browser is not None:
            ctx.update(ip=self.ip, userAgent=browser.user_agent)
        msg = self._msg("track", browser, event=event, properties=props, context=ctx)
        self.calls.append(Call("server", None, msg))

    def identify(self) -> None:
        self._step(0.1, 1)
        traits = {
            "profession": self.profession,
            "license_state": self.license_state,
            "is_employee": self.is_employee,
            "license_expires": self.deadline.isoformat(),
        }
        ctx = {"ip": self.ip, "library": {"name": "drtroy-backend", "version": "2.1.0"}}
        msg = self._msg("identify", self._browser_now, traits=traits, context=ctx)
        msg["userId"] = self.user_id
        self.calls.append(Call("server", None, msg))

    def page(self, path: str, title: str, referrer: str | None = None, search: str = "") -> None:
        """A page view; ``referrer`` defaults to the previous page of the visit."""
        rng = self.rng
        if self._page is not None and referrer is None:
            referrer = self._page["url"]
        if self._page is not None:
            self._step(8, 150)
        self._page = {
            "url": f"{cat.SITE}{path}{search}",
            "path": path,
            "referrer": referrer or "",
            "title": title,
            "search": search,
        }
        self._page_count += 1
        b = self._browser_now
        assert b is not None
        slow = 1.6 if b.device != "desktop" else 1.0
        load = round(rng.lognormvariate(6.7, 0.45) * slow)
        msg = self._msg(
            "page",
            b,
            name=title,
            properties={"path": path, "title": title, "load_ms": load},
            context=self._browser_ctx(),
        )
        self.calls.append(Call("browser", self.ip, msg))
        if rng.random() < 0.7:
            lcp = round(load * rng.uniform(0.9, 1.8))
            self.track(
                "Web Vitals",
                {
                    "lcp_ms": lcp,
                    "fcp_ms": round(lcp * rng.uniform(0.4, 0.8)),
                    "ttfb_ms": round(rng.lognormvariate(5.0, 0.4)),
                    "inp_ms": round(rng.lognormvariate(4.5, 0.6)),
                    "cls": round(rng.expovariate(20), 3),
                },
            )
        if rng.random() < 0.015:
            message, source = rng.choice(cat.JS_ERRORS)
            props: dict[str, Any] = {
                "message": message,
                "stack": f"{message}\n    at {source or '<anonymous>'}:1:1",
            }
            if source:
                props.update(
                    source=f"{cat.SITE}{source}",
                    line=rng.randint(1, 900),
                    column=rng.randint(1, 80),
                )
            self.track("JS Error", props)

    def _start_visit(self, browser: Browser, channel: str, landing: tuple[str, str]) -> None:
        rng = self.rng
        self._browser_now = browser
        self._page = None
        self._page_count = 0
        self._signed_in = False
        self._campaign = None
        referrer: str | None = None
        search = ""
        if channel == "search":
            referrer = _pick(rng, cat.SEARCH_REFERRERS)
        elif channel == "social":
            referrer = _pick(rng, cat.SOCIAL_REFERRERS)
        elif channel == "referral":
            referrer = _pick(rng, cat.REFERRAL_REFERRERS)
        elif channel in ("email", "paid"):
            source, medium, name, referrer = rng.choice(
                cat.EMAIL_CAMPAIGNS if channel == "email" else cat.PAID_CAMPAIGNS
            )
            self._campaign = {"source": source, "medium": medium, "name": name}
            search = f"?utm_source={source}&utm_medium={medium}&utm_campaign={name}"
        self.page(landing[0], landing[1], referrer=referrer or "", search=search)

    def _end_visit(self) -> None:
        self.free_at = self.clock + 45 * MINUTE
        self._browser_now = None
        self._page = None

    # -- visits --

    def _landing(self, channel: str) -> tuple[str, str]:
        rng = self.rng
        course = self._interesting_course()
        options: list[tuple[tuple[str, str], float]] = [
            ((course.path, course.title), 0.45),
            (cat.STATIC_PAGES[0], 0.25),
            (cat.STATIC_PAGES[3], 0.1),
            (cat.STATIC_PAGES[1], 0.1),
            (cat.STATIC_PAGES[2], 0.1),
        ]
        if channel in ("email", "paid"):
            options.append((cat.STATIC_PAGES[2], 0.6))
        if channel == "social":
            options.append((cat.STATIC_PAGES[6], 0.5))
        if channel == "direct" and self.has_account:
            options.append((("/account/login", "Sign In"), 1.0))
        return _pick(rng, options)

    def _interesting_course(self) -> cat.Course:
        fits = [c for c in cat.COURSES if not c.audience or self.profession in c.audience]
        return self.rng.choice(fits)

    def _browse(self, pages: int) -> None:
        rng = self.rng
        for _ in range(pages):
            r = rng.random()
            if r < 0.55:
                c = self._interesting_course()
                self.page(c.path, c.title)
                self.track("Product Viewed", {"course_id": c.course_id, "price": _money(c.price)})
            elif r < 0.75:
                path, title = rng.choice(cat.STATIC_PAGES)
                self.page(path, title)
            else:
                self._search()
            if rng.random() < 0.02:
                self.track(
                    "Outbound Link Clicked", {"url": "https://www.ptot.texas.gov/page/renewal"}
                )

    def _search(self) -> None:
        rng = self.rng
        query, hits = _pick(rng, ((q, 1.0) for q in cat.SEARCH_QUERIES))
        self.page("/courses", "All Courses", search=f"?q={query.replace(' ', '+')}")
        results = 0 if hits == 0 else rng.randint(1, 3) * hits
        self.track("Products Searched", {"query": query, "results_count": results})

    def _sign_in(self, show_page: bool = True) -> None:
        rng = self.rng
        if show_page:
            self.page("/account/login", "Sign In")
        method = "password" if rng.random() < 0.8 else "google"
        if rng.random() < 0.12:
            self.server(
                "Sign In Failed",
                {"method": method, "reason": rng.choice(("wrong_password", "unknown_email"))},
            )
            if rng.random() < 0.25:
                return
        self._signed_in = True
        self.server("Signed In", {"method": method})
        self.identify()

    def _sign_up(self, channel: str) -> None:
        self.page("/account/signup", "Create your account")
        self.user_id = self._new_user_id()
        self.has_account = True
        self._signed_in = True
        self.server(
            "Signed Up",
            {
                "profession": self.profession,
                "license_state": self.license_state,
                "signup_channel": channel,
            },
        )
        self.identify()

    def _shopping_visit(self, channel: str, buy: bool, first: bool) -> None:
        rng = self.rng
        self._start_visit(self.browsers[0], channel, self._landing(channel))
        bounced = not buy and rng.random() < 0.42
        if not bounced:
            self._browse(rng.randint(1, 5))
            if self.has_account:
                if rng.random() < 0.7 or buy:
                    self._sign_in()
            elif buy or rng.random() < 0.08:
                self._sign_up(channel)
            if self._signed_in:
                self._features()
                self._maybe_ticket()
            if buy and self._signed_in:
                self._checkout()
        self._end_visit()

    def _features(self) -> None:
        rng = self.rng
        if rng.random() < 0.35:
            for f in rng.sample(cat.FEATURES, rng.randint(1, 2)):
                self.track("Feature Used", {"feature": f})

    def _maybe_ticket(self) -> None:
        rng = self.rng
        if rng.random() < 0.03:
            self.page("/support", "Support")
            self.server(
                "Support Ticket Opened",
                {
                    "ticket_id": f"T-{self.key}-{rng.randint(100, 999)}",
                    "category": _pick(rng, cat.SUPPORT_CATEGORIES),
                    "channel": rng.choice(("web", "chat")),
                },
            )

    # -- buying --

    def _basket(self) -> list[tuple[cat.Course, Decimal, str | None]]:
        rng = self.rng
        pkg = cat.PACKAGES_BY_PROFESSION.get(self.profession)
        if self.license_state == "TX" and pkg and rng.random() < 0.45:
            return [(c, price, pkg.package_id) for c, price in cat.package_lines(pkg)]
        if self.profession == "PT" and rng.random() < 0.08:
            ortho = next(p for p in cat.PACKAGES if p.package_id == "ortho-essentials")
            return [(c, price, ortho.package_id) for c, price in cat.package_lines(ortho)]
        chosen: list[cat.Course] = []
        if self.license_state == "TX" and rng.random() < 0.6:
            chosen.append(rng.choice(cat.MANDATORY))
        fits = [
            c
            for c in cat.COURSES
            if c not in chosen and c.price > 0 and (not c.audience or self.profession in c.audience)
        ]
        chosen += rng.sample(fits, rng.choice((1, 1, 1, 2, 2, 3)))
        return [(c, c.price, None) for c in chosen if c.course_id not in self.owned] or [
            (chosen[0], chosen[0].price, None)
        ]

    def _checkout(self) -> None:
        rng = self.rng
        basket = self._basket()
        if basket[0][2]:
            pkg = basket[0][2]
            self.page(f"/packages/{pkg}", "Renewal Package")
            self.track(
                "Product Viewed",
                {
                    "course_id": pkg,
                    "package_id": pkg,
                    "price": _money(sum((b[1] for b in basket), Decimal(0))),
                },
            )
        subtotal = sum((b[1] for b in basket), Decimal(0))
        products = [
            {
                "course_id": c.course_id,
                **({"package_id": pkg} if pkg else {}),
                "price": _money(price),
                "ce_hours": c.ce_hours,
            }
            for c, price, pkg in basket
        ]
        self.page("/checkout", "Checkout")
        coupon = self._coupon()
        started: dict[str, Any] = {"value": _money(subtotal), "products": products}
        if coupon:
            started["coupon"] = coupon.code
        self.track("Checkout Started", started)
        if coupon:
            self.track("Coupon Applied", {"coupon": coupon.code})
        if rng.random() < 0.2 and not self.is_employee:
            return  # abandoned checkout
        discount = (
            (subtotal * coupon.percent_off / 100).quantize(Decimal("0.01"))
            if coupon
            else Decimal(0)
        )
        revenue = subtotal - discount
        self.order_seq += 1
        order_id = f"ord-{self.key}-{self.order_seq}"
        props: dict[str, Any] = {
            "order_id": order_id,
            "revenue": _money(revenue),
            "subtotal": _money(subtotal),
            "discount": _money(discount),
            "currency": "USD",
            "products": products,
        }
        if coupon:
            props.update(coupon=coupon.code, coupon_kind=coupon.kind)
        self.server("Order Completed", props)
        for c, _, _ in basket:
            self.server("Course Enrolled", {"course_id": c.course_id, "order_id": order_id})
            if c.course_id not in self.owned:
                self.owned.append(c.course_id)
        self.page("/checkout/thank-you", "Thank you")
        if revenue > 0 and rng.random() < 0.04:
            self._refund(order_id, revenue, basket)

    def _coupon(self) -> cat.Coupon | None:
        rng = self.rng
        if self.is_employee:
            return cat.COUPONS_BY_CODE["STAFF100" if rng.random() < 0.6 else "STAFF50"]
        if rng.random() > 0.3:
            return None
        attempt = rng.choices(cat.COUPONS[2:], weights=(3, 2, 1, 1.5, 1, 0.7, 0.5))[0]
        if not attempt.valid:
            self.track("Coupon Denied", {"coupon": attempt.code})
            if rng.random() < 0.5:
                return None
            attempt = cat.COUPONS_BY_CODE["RENEW20"]
        return attempt

    def _refund(
        self, order_id: str, revenue: Decimal, basket: list[tuple[cat.Course, Decimal, str | None]]
    ) -> None:
        rng = self.rng
        if len(basket) > 1 and basket[0][2] is None and rng.random() < 0.4:
            share = (revenue * basket[-1][1] / sum((b[1] for b in basket), Decimal(0))).quantize(
                Decimal("0.01")
            )
            amount, reason = share, "course not needed"
        else:
            amount, reason = (
                revenue,
                rng.choice(("duplicate purchase", "bought wrong state", "not satisfied")),
            )
        keep = self.clock
        self.clock += int(rng.uniform(2, 40) * DAY)
        self.server(
            "Order Refunded",
            {"order_id": order_id, "amount": _money(amount), "reason": reason},
            in_visit=False,
        )
        self.clock = keep

    # -- learning --

    def _learning(self) -> None:
        """Lessons of the owned courses not yet taken up, a few lessons per
        visit, visits days apart."""
        rng = self.rng
        todo = [c for c in self.owned if c not in self.taken]
        self.taken.update(todo)
        browser = self.browsers[-1] if rng.random() < 0.5 else self.browsers[0]
        for course_id in todo:
            if rng.random() < 0.08:
                continue  # bought and never started
            course = cat.COURSES_BY_ID[course_id]
            lesson = 1
            while lesson <= course.lessons:
                self._next_visit(rng.uniform(0.2, 3.0))
                if rng.random() < 0.5:
                    self._start_visit(browser, "direct", ("/account/login", "Sign In"))
                    self._sign_in(show_page=False)
                else:
                    self._start_visit(browser, "direct", ("/account/courses", "My Courses"))
                    self._signed_in = True
                if not self._signed_in:
                    self._end_visit()
                    continue
                self._features()
                for _ in range(rng.randint(1, 3)):
                    if lesson > course.lessons:
                        break
                    if not self._lesson(course, lesson):
                        self._end_visit()
                        return
                    lesson += 1
                if lesson > course.lessons:
                    self._complete(course)
                self._maybe_ticket()
                self._end_visit()

    def _lesson(self, course: cat.Course, index: int) -> bool:
        """One lesson; False when the learner drops out in it."""
        rng = self.rng
        lesson_id = f"{course.course_id}-{index}"
        self.page(f"/learn/{course.course_id}/{index}", f"{course.title}: lesson {index}")
        base = {
            "course_id": course.course_id,
            "lesson_id": lesson_id,
            "lesson_index": index,
            "lesson_count": course.lessons,
        }
        self.track("Lesson Started", dict(base))
        drop = 0.1 if index == 1 else (0.03 if index == course.lessons else 0.05)
        duration = rng.uniform(8, 40) * 60
        quits = rng.random() < drop
        stop_at = rng.choice((25, 50, 75)) if quits else 100
        for pct in (25, 50, 75):
            if pct > stop_at:
                break
            self.clock += int(duration / 4 * 1000)
            # 50% is always reported, so no gap inside a lesson nears 30 minutes
            if pct == 50 or rng.random() < 0.9:
                self.track(
                    "Lesson Progressed",
                    {"course_id": course.course_id, "lesson_id": lesson_id, "percent": pct},
                )
        if quits:
            return False
        self.clock += int(duration / 4 * 1000)
        if rng.random() < 0.05:
            self.track("File Downloaded", {"url": f"{cat.SITE}/handouts/{lesson_id}.pdf"})
        self.track("Lesson Completed", {**base, "duration_s": round(duration)})
        return True

    def _complete(self, course: cat.Course) -> None:
        rng = self.rng
        self.server(
            "Course Completed", {"course_id": course.course_id, "score": rng.randint(70, 100)}
        )
        self.server(
            "Certificate Issued",
            {"course_id": course.course_id, "certificate_id": f"C-{self.key}-{course.course_id}"},
        )
        self.completed.add(course.course_id)
        self.page(f"/certificates/{course.course_id}", "Your certificate")
        if rng.random() < 0.85:
            self.track("Certificate Downloaded", {"course_id": course.course_id})
        if rng.random() < 0.4:
            stars = rng.choices((5, 4, 3, 2, 1), weights=(55, 28, 10, 4, 3))[0]
            self.server("Course Rated", {"course_id": course.course_id, "stars": stars})
        if not self.nps_done and rng.random() < 0.3:
            self.nps_done = True
            score = rng.choices(range(11), weights=(1, 1, 1, 1, 1, 2, 3, 6, 14, 25, 30))[0]
            props: dict[str, Any] = {"score": score}
            if rng.random() < 0.4:
                props["comment"] = rng.choice(
                    (
                        "Quick and useful",
                        "Video kept buffering",
                        "Great for my renewal",
                        "Too expensive",
                    )
                )
            self.server("NPS Submitted", props)


def _hour(rng: random.Random) -> float:
    """A local hour of day (fractional), peaking in the evening."""
    h = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return h + rng.random()


def _ip_in(rng: random.Random, network: str) -> str:
    net = ipaddress.ip_network(network)
    return str(net[rng.randint(1, net.num_addresses - 2)])


# --- bots, prober, bookkeeping ------------------------------------------------------


def bot_runs(seed: int, day: date, scale: float) -> list[Call]:
    """Crawlers that run the page's JavaScript: page views only, a fresh
    anonymousId each run, from the crawler's own network."""
    rng = random.Random(f"{seed}|bots|{day.isoformat()}")
    n = _poisson(rng, BOT_RUNS_PER_DAY * scale)
    calls: list[Call] = []
    for _ in range(n):
        calls.extend(_bot_run(rng, local_ms(day, rng.uniform(0, 23.5))))
    return calls


def _bot_run(rng: random.Random, t: int) -> list[Call]:
    ua, w, h, _ = _pick(rng, ((u, u[3]) for u in cat.USER_AGENTS["bot"]))
    name = next(b for b in cat.BOT_NETWORKS if b in ua)
    ip = _ip_in(rng, cat.BOT_NETWORKS[name][0])
    anon = _uid(rng)
    calls: list[Call] = []
    for _ in range(rng.randint(3, 25)):
        t = _safe_ms(t + int(rng.uniform(2, 20) * 1000))
        if rng.random() < 0.6:
            c = rng.choice(cat.COURSES)
            path, title = c.path, c.title
        else:
            path, title = rng.choice(cat.STATIC_PAGES)
        msg = {
            "type": "page",
            "messageId": _uid(rng),
            "_ms": t,
            "anonymousId": anon,
            "name": title,
            "properties": {"path": path, "title": title},
            "context": {
                "page": {
                    "url": f"{cat.SITE}{path}",
                    "path": path,
                    "referrer": "",
                    "title": title,
                    "search": "",
                },
                "userAgent": ua,
                "screen": {"width": w, "height": h},
                "library": {"name": "drtroy-tracker", "version": "1.4.0"},
            },
        }
        calls.append(Call("browser", ip, msg))
    return calls


@functools.lru_cache(maxsize=4)
def uptime_checks(seed: int, day: date) -> list[Call]:
    """The prober: every target every five minutes, with now and then an outage
    (a run of failed checks on one target)."""
    rng = random.Random(f"{seed}|uptime|{day.isoformat()}")
    begin = local_ms(day, 0)
    end = local_ms(day + timedelta(days=1), 0)
    slots = (end - begin) // (UPTIME_EVERY_MIN * MINUTE)
    outage: tuple[str, int, int] | None = None
    if rng.random() < 0.12:
        length = rng.randint(2, 8)
        first = rng.randint(0, slots - length)
        outage = (rng.choice(cat.UPTIME_TARGETS)[0], first, first + length)
    calls: list[Call] = []
    for slot in range(slots):
        for target, url in cat.UPTIME_TARGETS:
            t = begin + slot * UPTIME_EVERY_MIN * MINUTE + rng.randint(0, 20_000)
            down = outage is not None and outage[0] == target and outage[1] <= slot < outage[2]
            base = 60.0 if target == "api" else 140.0
            props: dict[str, Any] = {"target": target, "url": url, "ok": not down}
            if down and rng.random() < 0.5:
                props.update(latency_ms=10000.0, error="timeout")
            elif down:
                props.update(
                    status_code=503,
                    latency_ms=round(rng.uniform(5, 40), 1),
                    error="503 Service Unavailable",
                )
            else:
                props.update(
                    status_code=200, latency_ms=round(base * rng.lognormvariate(0, 0.35), 1)
                )
            msg = {
                "type": "track",
                "event": "Uptime Check",
                "messageId": _uid(rng),
                "_ms": t,
                "userId": "prober",
                "properties": props,
                "context": {"library": {"name": "drtroy-prober", "version": "1.0.0"}},
            }
            calls.append(Call("server", None, msg))
    return calls


@functools.lru_cache(maxsize=4)
def expenses(seed: int, day: date, scale: float) -> list[Call]:
    """The books: marketing spend by channel each day (entered the next
    morning, dated the day it was spent), hosting on the 1st, payroll on the
    1st and 15th, course production now and then."""
    rng = random.Random(f"{seed}|expenses|{day.isoformat()}")
    items: list[tuple[Decimal, str, str | None]] = []
    spend: tuple[tuple[str, int, int], ...] = (
        ("paid", 150, 350),
        ("social", 30, 80),
        ("email", 10, 20),
    )
    for channel, lo, hi in spend:
        amount = Decimal(str(round(rng.uniform(lo, hi) * scale, 2)))
        if amount > 0:
            items.append((amount, "marketing", channel))
    if day.day == 1:
        items.append((Decimal("480.00"), "hosting", None))
    if day.day in (1, 15):
        items.append((Decimal("4200.00"), "payroll", None))
    if rng.random() < 0.1:
        items.append((Decimal(rng.randint(150, 600)), "content", None))
    if rng.random() < 0.05:
        items.append((Decimal(str(round(rng.uniform(20, 120), 2))), "other", None))
    calls: list[Call] = []
    t = local_ms(day + timedelta(days=1), 9 + rng.random())
    for amount, category, spent_on in items:
        t += rng.randint(5_000, 60_000)
        props: dict[str, Any] = {
            "amount": _money(amount),
            "category": category,
            "date": day.isoformat(),
        }
        if spent_on:
            props["channel"] = spent_on
        msg = {
            "type": "track",
            "event": "Expense Recorded",
            "messageId": _uid(rng),
            "_ms": t,
            "userId": "finance",
            "properties": props,
            "context": {"library": {"name": "drtroy-books", "version": "1.0.0"}},
        }
        calls.append(Call("server", None, msg))
    return calls
