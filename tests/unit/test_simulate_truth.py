"""truth.py on a tiny hand-made stream whose answers are worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from drtroy_metrics.simulate.model import Call
from drtroy_metrics.simulate.truth import channel_of, compute_truth, device_class, quantile_exact

MOBILE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
IP_US, IP_CA = "24.28.1.1", "24.114.1.1"

_n = 0


def _id() -> str:
    global _n
    _n += 1
    return f"m{_n}"


def page(
    anon: str,
    ts: str,
    path: str,
    ua: str,
    ip: str,
    referrer: str = "",
    campaign: dict | None = None,
    load_ms: int | None = None,
    user: str | None = None,
) -> Call:
    ctx: dict[str, Any] = {
        "page": {"path": path, "url": f"https://drtroy.example{path}", "referrer": referrer},
        "userAgent": ua,
    }
    if campaign:
        ctx["campaign"] = campaign
    msg: dict[str, Any] = {
        "type": "page",
        "messageId": _id(),
        "anonymousId": anon,
        "timestamp": ts,
        "context": ctx,
        "properties": {} if load_ms is None else {"load_ms": load_ms},
    }
    if user:
        msg["userId"] = user
    return Call("browser", ip, msg)


def track(
    kind: str,
    event: str,
    ts: str,
    props: dict,
    anon: str | None = None,
    user: str | None = None,
    ua: str | None = None,
    path: str = "",
) -> Call:
    msg: dict[str, Any] = {
        "type": "track",
        "event": event,
        "messageId": _id(),
        "timestamp": ts,
        "properties": props,
        "context": {"page": {"path": path}},
    }
    if ua:
        msg["context"]["userAgent"] = ua
    if anon:
        msg["anonymousId"] = anon
    if user:
        msg["userId"] = user
    return Call(kind, IP_US if kind == "browser" else None, msg)


def identify(user: str, ts: str, anon: str | None = None, **traits: Any) -> Call:
    msg: dict[str, Any] = {
        "type": "identify",
        "messageId": _id(),
        "userId": user,
        "timestamp": ts,
        "traits": traits,
    }
    if anon:
        msg["anonymousId"] = anon
    return Call("server", None, msg)


# The day is 2026-11-10 in Chicago (CST, UTC-6): local 10:00 is 16:00Z.
D = "2026-11-10T"


def stream() -> list[Call]:
    order = {
        "order_id": "o1",
        "revenue": 90.0,
        "subtotal": 100.0,
        "discount": 10.0,
        "coupon": "FALL10",
        "coupon_kind": "marketing",
        "products": [
            {"course_id": "c1", "package_id": "p1", "price": 60.0},
            {"course_id": "c2", "price": 40.0},
        ],
    }
    lesson = {"course_id": "c1", "lesson_count": 3}
    calls = [
        # before the period: u1 already ordered once (a returning customer)
        track(
            "server",
            "Order Completed",
            "2026-11-01T18:00:00.000Z",
            {"order_id": "o0", "revenue": 20.0, "products": [{"course_id": "c2", "price": 20.0}]},
            user="u1",
        ),
        # visitor A (mobile, from Google): page, view, checkout, coupon, order, page; then a second session
        page(
            "A",
            D + "16:00:00.000Z",
            "/courses/c1",
            MOBILE,
            IP_US,
            "https://www.google.com/",
            load_ms=100,
        ),
        track(
            "browser",
            "Product Viewed",
            D + "16:01:00.000Z",
            {"course_id": "c1"},
            anon="A",
            ua=MOBILE,
        ),
        track(
            "browser",
            "Checkout Started",
            D + "16:02:00.000Z",
            {"value": 100.0},
            anon="A",
            ua=MOBILE,
        ),
        track(
            "browser",
            "Coupon Applied",
            D + "16:02:30.000Z",
            {"coupon": "FALL10"},
            anon="A",
            ua=MOBILE,
        ),
        track(
            "server", "Order Completed", D + "16:03:00.000Z", order, anon="A", user="u1", ua=MOBILE
        ),
        page(
            "A",
            D + "16:04:00.000Z",
            "/thanks",
            MOBILE,
            IP_US,
            "https://drtroy.example/checkout",
            load_ms=300,
        ),
        track("browser", "JS Error", D + "16:04:10.000Z", {"message": "boom"}, anon="A", ua=MOBILE),
        page(
            "A", D + "17:00:00.000Z", "/", MOBILE, IP_US, load_ms=200
        ),  # 56 min later: a new session
        # visitor B (desktop, email campaign, Canada): one page, signs up
        page(
            "B",
            D + "18:00:00.000Z",
            "/packages",
            DESKTOP,
            IP_CA,
            campaign={"source": "news", "medium": "email"},
            load_ms=400,
        ),
        track(
            "server", "Signed Up", D + "18:01:00.000Z", {"profession": "OT"}, anon="B", user="u2"
        ),
        identify("u2", D + "18:01:01.000Z", anon="B", profession="OT", license_state="OK"),
        track(
            "browser",
            "Products Searched",
            D + "18:02:00.000Z",
            {"query": "x", "results_count": 0},
            anon="B",
            ua=DESKTOP,
        ),
        # a bot: two pages, none of which count
        page("bot1", D + "19:00:00.000Z", "/", BOT, "66.249.64.5"),
        page("bot1", D + "19:00:05.000Z", "/faq", BOT, "66.249.64.5"),
        # traits: u1 was PTA, became PT (latest wins)
        identify("u1", D + "15:00:00.000Z", profession="PTA", license_state="TX"),
        identify("u1", D + "20:00:00.000Z", profession="PT"),
        # a refund in the period; a duplicate delivery of it does not count twice
        track(
            "server",
            "Order Refunded",
            D + "21:00:00.000Z",
            {"order_id": "o1", "amount": 30.0},
            user="u1",
        ),
        # lessons: u1 drops at lesson 2; u2 completes in 5 hours
        track(
            "browser",
            "Lesson Started",
            D + "16:10:00.000Z",
            {**lesson, "lesson_index": 1},
            "A",
            "u1",
            MOBILE,
        ),
        track(
            "browser",
            "Lesson Started",
            D + "16:20:00.000Z",
            {**lesson, "lesson_index": 2},
            "A",
            "u1",
            MOBILE,
        ),
        track(
            "browser",
            "Lesson Started",
            D + "14:00:00.000Z",
            {**lesson, "lesson_index": 1},
            user="u2",
        ),
        track(
            "browser",
            "Lesson Started",
            D + "15:00:00.000Z",
            {**lesson, "lesson_index": 2},
            user="u2",
        ),
        track(
            "browser",
            "Lesson Started",
            D + "16:00:00.000Z",
            {**lesson, "lesson_index": 3},
            user="u2",
        ),
        track("server", "Course Completed", D + "19:00:00.000Z", {"course_id": "c1"}, user="u2"),
        track(
            "browser",
            "Certificate Downloaded",
            "2026-11-12T12:00:00.000Z",
            {"course_id": "c1"},
            user="u2",
        ),
        # NPS 10, 9, 7, 3 -> 2 promoters, 1 detractor of 4 -> 25
        *[
            track("server", "NPS Submitted", D + f"2{i}:00:00.000Z", {"score": s}, user="u9")
            for i, s in enumerate((10, 9, 7, 3))
        ],
        track(
            "server",
            "Course Rated",
            D + "20:30:00.000Z",
            {"course_id": "c1", "stars": 4},
            user="u2",
        ),
        track(
            "server",
            "Course Rated",
            D + "20:31:00.000Z",
            {"course_id": "c2", "stars": 5},
            user="u1",
        ),
        # uptime: ok, fail, fail, ok -> one incident of two checks
        *[
            track(
                "server",
                "Uptime Check",
                D + f"1{i}:00:00.000Z",
                {"target": "website", "url": "u", "ok": ok, "latency_ms": lat},
                user="prober",
            )
            for i, (ok, lat) in enumerate(((True, 100), (False, 10000), (False, 20), (True, 200)))
        ],
        # expenses: 100 marketing dated in the period; 50 entered in it but dated the day before
        track(
            "server",
            "Expense Recorded",
            D + "15:00:00.000Z",
            {"amount": 100.0, "category": "marketing", "date": "2026-11-10"},
            user="finance",
        ),
        track(
            "server",
            "Expense Recorded",
            D + "15:01:00.000Z",
            {"amount": 50.0, "category": "hosting", "date": "2026-11-09"},
            user="finance",
        ),
        # after the period (local 2026-11-11 00:00:30 CST)
        track(
            "server",
            "Order Completed",
            "2026-11-11T06:00:30.000Z",
            {"order_id": "o9", "revenue": 5.0, "products": [{"course_id": "c2", "price": 5.0}]},
            user="u2",
        ),
    ]
    refund = next(c for c in calls if c.message.get("event") == "Order Refunded")
    return [*calls, refund]


@pytest.fixture(scope="module")
def truth() -> dict:
    return compute_truth(stream(), date(2026, 11, 10), date(2026, 11, 11))


def test_revenue_counts_orders_and_refunds_of_the_period(truth: dict) -> None:
    r = truth["revenue"]
    assert (r["revenue"], r["refunds"], r["net_revenue"], r["orders"]) == (90.0, 30.0, 60.0, 1)
    assert r["rows"] == [
        {"day": "2026-11-10", "revenue": 90.0, "refunds": 30.0, "net_revenue": 60.0, "orders": 1}
    ]
    assert truth["aov"]["aov"] == 90.0


def test_customers_new_returning_and_repeat(truth: dict) -> None:
    assert truth["customers"] == {
        "customers": 1,
        "new_customers": 0,
        "returning_customers": 1,
        "repeat_rate": 1.0,
    }
    assert truth["refund_rate"]["refund_rate"] == 1.0
    assert truth["cac"]["cac"] is None  # no new customer
    # u1's first order (o0) is of 2026-11: that cohort holds o0, o1 and o1's refund
    assert truth["ltv"] == {
        "ltv": (20 + 90 - 30) / 1,
        "net_revenue": 80.0,
        "customers": 1,
        "rows": [{"cohort": "2026-11", "customers": 1, "net_revenue": 80.0, "ltv": 80.0}],
    }


def test_visitors_sessions_and_bots(truth: dict) -> None:
    t = truth["traffic"]
    assert (t["visitors"], t["sessions"], t["page_views"]) == (2, 3, 4)
    assert {r["channel"]: r["sessions"] for r in t["by_channel"]} == {
        "search": 1,
        "direct": 1,
        "email": 1,
    }
    assert {r["country"]: r["visitors"] for r in t["by_country"]} == {"US": 1, "CA": 1}
    assert truth["devices"]["mobile_share"] == pytest.approx(2 / 3)
    s = truth["sessions"]
    # A1 lasts 16:00 -> 16:20 (1200 s), A2 0 s, B 18:00 -> 18:02 (120 s)
    assert s["sessions"] == 3 and s["mean_duration_s"] == pytest.approx(1320 / 3)
    assert s["median_duration_s"] == 120.0
    assert s["bounce_rate"] == pytest.approx(2 / 3)
    assert truth["conversion_rate"]["conversion_rate"] == 0.5
    assert truth["signup_rate"]["signup_rate"] == 0.5


def test_coupons(truth: dict) -> None:
    [row] = truth["discount_codes"]["rows"]
    assert row == {
        "coupon": "FALL10",
        "orders": 1,
        "revenue": 90.0,
        "discount": 10.0,
        "roi": 9.0,
        "sessions": 1,
        "code_conversion": 1.0,
        "kind": "marketing",
    }
    assert truth["organic_share"] == {"organic_share": 0.0, "organic_revenue_share": 0.0}


def test_funnel_follows_window_funnel(truth: dict) -> None:
    assert [r["visitors"] for r in truth["funnel"]["rows"]] == [2, 1, 1, 1]
    assert truth["funnel"]["conversion"] == 0.5


def test_courses(truth: dict) -> None:
    cc = truth["course_completion"]
    assert (cc["started"], cc["completed"], cc["completion_rate"]) == (2, 1, 0.5)
    assert cc["mean_hours_to_complete"] == 5.0
    drop = {r["lesson_index"]: (r["reached"], r["dropped"]) for r in truth["dropoff"]["rows"]}
    assert drop == {1: (2, 0), 2: (2, 1), 3: (1, 0)}
    assert truth["certificate_rate"]["certificate_rate"] == 1.0
    pop = {r["course_id"]: r for r in truth["popular_courses"]["rows"]}
    assert (pop["c1"]["revenue"], pop["c2"]["revenue"]) == (54.0, 36.0)
    assert pop["c1"]["lesson_starts"] == 5 and pop["c1"]["completions"] == 1
    assert truth["packages"]["rows"] == [{"package_id": "p1", "orders": 1, "revenue": 54.0}]


def test_feedback(truth: dict) -> None:
    assert truth["nps"]["nps"] == 25.0 and truth["nps"]["responses"] == 4
    assert truth["rating"]["rating"] == 4.5 and truth["rating"]["count"] == 2


def test_traits_are_the_latest_known(truth: dict) -> None:
    assert truth["professions"]["rows"] == [
        {"profession": "PT", "customers": 1, "orders": 1, "revenue": 90.0}
    ]
    assert truth["regions"]["texas"] == {"customers": 1, "orders": 1, "revenue": 90.0}


def test_uptime_and_incidents(truth: dict) -> None:
    [row] = truth["uptime"]["rows"]
    assert (row["checks"], row["successful_checks"], row["uptime"]) == (4, 2, 0.5)
    # sorted latencies 20, 100, 200, 10000: p50 index 2, p95 index 3
    assert (row["p50_latency_ms"], row["p95_latency_ms"]) == (200.0, 10000.0)
    assert row["incidents"] == [
        {"start": D + "11:00:00.000Z", "end": D + "12:00:00.000Z", "checks": 2}
    ]


def test_expenses_count_on_their_date(truth: dict) -> None:
    [month] = truth["cash_flow"]["rows"]
    assert month["expenses"] == {"marketing": 100.0}
    assert truth["profit_margin"]["profit_margin"] == pytest.approx((60 - 100) / 60)


def test_page_speed_errors_and_search(truth: dict) -> None:
    ps = truth["page_speed"]
    assert (ps["p50_load_ms"], ps["p75_load_ms"]) == (300.0, 400.0)  # of 100, 200, 300, 400
    assert truth["error_rate"]["error_rate"] == 0.25
    su = truth["search_usage"]
    assert (su["searches"], su["zero_results_share"]) == (1, 1.0)
    assert su["session_search_share"] == pytest.approx(1 / 3)


def test_event_counts_are_distinct_events_of_the_period(truth: dict) -> None:
    ec = truth["event_counts"]
    assert ec["Order Refunded"] == 1 and ec["Order Completed"] == 1 and ec["page"] == 6


@pytest.mark.parametrize(
    ("values", "level", "expected"),
    [
        ([], 0.5, None),
        ([7], 0.5, 7),
        ([1, 2], 0.5, 2),
        ([3, 1, 2], 0.5, 2),
        (list(range(10)), 0.5, 5),
        (list(range(10)), 0.75, 7),
        (list(range(20)), 0.95, 19),
        (list(range(21)), 0.95, 19),
        ([1, 2, 3], 1.0, 3),
    ],
)
def test_quantile_exact_matches_clickhouse(
    values: list, level: float, expected: float | None
) -> None:
    assert quantile_exact(values, level) == expected


@pytest.mark.parametrize(
    ("referrer", "source", "medium", "expected"),
    [
        ("https://www.google.com/", None, "email", "email"),
        ("https://www.google.com/", "google", "cpc", "paid"),
        ("", "bing", "ppc", "paid"),
        ("https://l.instagram.com/", None, None, "social"),
        ("https://t.co/abc", None, None, "social"),
        ("", "newsletter", "social", "social"),
        ("https://duckduckgo.com/", None, None, "search"),
        ("https://search.yahoo.com/", None, None, "search"),
        ("", None, None, "direct"),
        ("https://drtroy.example/courses", None, None, "direct"),
        ("https://www.tpta.org/ce", None, None, "referral"),
        ("https://www.xbox.com/", None, None, "referral"),
    ],
)
def test_channel_rules(
    referrer: str, source: str | None, medium: str | None, expected: str
) -> None:
    assert channel_of(referrer, source, medium) == expected


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (MOBILE, "mobile"),
        (DESKTOP, "desktop"),
        (BOT, "bot"),
        (None, "unknown"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "tablet",
        ),
    ],
)
def test_device_class(ua: str | None, expected: str) -> None:
    assert device_class(ua) == expected
