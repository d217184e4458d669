"""Revenue, customer and marketing metrics over hand-built event sets sent
through the collector's validation and the aggregator's writer into chDB.
Expected values come from plain Python over the same messages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.unit.test_metrics_commerce_support import (
    BOT_UA,
    CHICAGO,
    expense,
    in_period,
    local_day,
    order,
    page,
    ref_orders,
    refund,
    refunds_of,
    sessions_of,
    track,
)
from tests.warehouse_support import ask, load

NOV = {"from_": "2026-11-01", "to": "2026-12-01"}


def _revenue_by(messages, frm, to):  # type: ignore[no-untyped-def]
    orders = [o for o in ref_orders(messages).values() if in_period(o.ts, frm, to)]
    refunds = [r for r in refunds_of(messages) if in_period(r["timestamp"], frm, to)]
    revenue = sum((o.revenue for o in orders), Decimal(0))
    refunded = sum((Decimal(r["properties"]["amount"]) for r in refunds), Decimal(0))
    return revenue, refunded, len(orders)


def test_revenue_counts_each_order_once_and_refunds_at_their_own_time(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("o1", "u1", "2026-11-05T15:00:00Z", "100.10"),
        order("o2", "u2", "2026-11-10T16:00:00Z", "50.05", message_id="o2-a"),
        # the same order re-sent under a new messageId, later (even in December)
        order("o2", "u2", "2026-11-10T16:00:02Z", "50.05", message_id="o2-b"),
        order("o2", "u2", "2026-12-02T16:00:00Z", "50.05", message_id="o2-c"),
        order("o3", "u3", "2026-11-01T04:59:00Z", "20.00"),  # 23:59 Oct 31 in Chicago
        order("o4", "u3", "2026-11-01T05:00:00Z", "0.30"),  # 00:00 Nov 1 in Chicago
        refund("o3", "u3", "2026-11-12T10:00:00Z", "20.00"),  # October order, refunded in November
        refund("o1", "u1", "2026-12-02T10:00:00Z", "30.00"),  # counts in December
    ]
    assert load(wh, msgs) == len(msgs)
    assert load(wh, msgs[1:2]) == 0  # same messageId again: stored once

    for frm, to in (
        ("2026-11-01", "2026-12-01"),
        ("2026-12-01", "2027-01-01"),
        ("2026-10-01", "2026-11-01"),
    ):
        revenue, refunded, n = _revenue_by(msgs, frm, to)
        answer = ask(wh, "revenue", from_=frm, to=to)
        assert answer["values"] == {
            "revenue": float(revenue),
            "refunds": float(refunded),
            "net_revenue": float(revenue - refunded),
            "orders": n,
        }
        assert answer["rows"] == []
    assert ask(wh, "revenue", **NOV)["values"]["orders"] == 3  # o1, o2 once, o4


def test_revenue_late_event_lands_in_its_own_period(wh) -> None:  # type: ignore[no-untyped-def]
    load(wh, [order("o1", "u1", "2026-11-05T15:00:00Z", "10.00")])
    before_dec = ask(wh, "revenue", from_="2026-12-01", to="2027-01-01")["values"]
    # a retried queue delivers an old order today: sentAt now, timestamp in November
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    late = order("o-late", "u9", "2026-11-20T10:00:00Z", "7.25")
    late["sentAt"] = now.isoformat().replace("+00:00", "Z")
    load(wh, [late], received_at=now)
    assert ask(wh, "revenue", **NOV)["values"]["revenue"] == float(Decimal("17.25"))
    assert ask(wh, "revenue", from_="2026-12-01", to="2027-01-01")["values"] == before_dec


@pytest.mark.parametrize(
    ("frm", "to", "stamps"),
    [
        (
            "2026-03-07",
            "2026-03-10",
            # around the spring-forward day (23 hours: 06:00Z Mar 8 .. 05:00Z Mar 9)
            ["2026-03-08T05:59:59Z", "2026-03-08T06:00:00Z", "2026-03-08T08:30:00Z",
             "2026-03-09T04:59:59Z", "2026-03-09T05:00:00Z", "2026-03-07T06:00:00Z"],
        ),
        (
            "2026-10-31",
            "2026-11-03",
            # around the fall-back day (25 hours: 05:00Z Nov 1 .. 06:00Z Nov 2), both 01:30s
            ["2026-11-01T04:59:59Z", "2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z",
             "2026-11-01T07:30:00Z", "2026-11-02T05:59:59Z", "2026-11-02T06:00:00Z"],
        ),
    ],
)  # fmt: skip
def test_revenue_day_series_across_dst_changes(wh, frm, to, stamps) -> None:  # type: ignore[no-untyped-def]
    msgs = [order(f"o{i}", f"u{i}", ts, f"{i + 1}.01") for i, ts in enumerate(stamps)]
    load(wh, msgs)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for m in msgs:
        day = local_day(m["timestamp"]).isoformat()
        expected[day] += Decimal(m["properties"]["revenue"])
        counts[day] += 1
    days = [(dt.date.fromisoformat(frm) + dt.timedelta(days=i)).isoformat() for i in range(3)]
    answer = ask(wh, "revenue", from_=frm, to=to, interval="day")
    assert [r["day"] for r in answer["rows"]] == days
    assert {r["day"]: (r["revenue"], r["orders"]) for r in answer["rows"]} == {
        d: (float(expected[d]), counts[d]) for d in days
    }
    # nothing lost or doubled: the series adds up to the period's total
    in_range = [m for m in msgs if in_period(m["timestamp"], frm, to)]
    assert answer["values"]["orders"] == len(in_range) == sum(r["orders"] for r in answer["rows"])
    # the DST days really are 23 and 25 hours long in the zone
    dst_day = dt.date.fromisoformat(days[1])
    start = dt.datetime.combine(dst_day, dt.time(), CHICAGO)
    end = dt.datetime.combine(dst_day + dt.timedelta(days=1), dt.time(), CHICAGO)
    assert (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds() / 3600 in (23, 25)


def test_revenue_week_and_month_series(wh) -> None:  # type: ignore[no-untyped-def]
    stamps = [
        "2026-11-01T18:00:00Z",
        "2026-11-02T18:00:00Z",
        "2026-11-09T05:30:00Z",
        "2026-12-01T06:30:00Z",
    ]
    msgs = [order(f"o{i}", "u1", ts, "10.00") for i, ts in enumerate(stamps)]
    msgs.append(refund("o0", "u1", "2026-11-03T12:00:00Z", "4.00"))
    load(wh, msgs)
    weeks: dict[str, int] = defaultdict(int)
    for ts in stamps:
        d = local_day(ts)
        if in_period(ts, "2026-11-01", "2026-12-15"):
            weeks[(d - dt.timedelta(days=d.weekday())).isoformat()] += 1
    answer = ask(wh, "revenue", from_="2026-11-01", to="2026-12-15", interval="week")
    rows = answer["rows"]
    assert [r["week"] for r in rows] == ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23",
                                         "2026-11-30", "2026-12-07", "2026-12-14"]  # fmt: skip
    assert {r["week"]: r["orders"] for r in rows if r["orders"]} == dict(weeks)
    assert next(r for r in rows if r["week"] == "2026-11-02")["refunds"] == 4.0
    months = ask(wh, "revenue", from_="2026-11-01", to="2027-01-01", interval="month")["rows"]
    assert [(r["month"], r["orders"], r["net_revenue"]) for r in months] == [
        ("2026-11-01", 3, 26.0),
        ("2026-12-01", 1, 10.0),
    ]


def test_aov_and_revenue_per_customer(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("o1", "u1", "2026-11-05T15:00:00Z", "100.00"),
        order("o2", "u1", "2026-11-06T15:00:00Z", "50.00"),
        order("o2", "u1", "2026-11-06T15:00:01Z", "50.00"),  # a re-send, new messageId
        order("o3", "u2", "2026-11-07T15:00:00Z", "25.50"),
        order("o4", None, "2026-11-07T16:00:00Z", "4.50"),  # no userId: an order, no customer
    ]
    load(wh, msgs)
    orders = [o for o in ref_orders(msgs).values() if in_period(o.ts, "2026-11-01", "2026-12-01")]
    revenue = sum(o.revenue for o in orders)
    customers = {o.user for o in orders if o.user}
    aov = ask(wh, "aov", **NOV)
    assert aov["values"]["orders"] == len(orders) == 4
    assert aov["value"] == pytest.approx(float(revenue) / len(orders))
    rpc = ask(wh, "revenue_per_customer", **NOV)
    assert rpc["values"]["customers"] == len(customers) == 2
    assert rpc["value"] == pytest.approx(float(revenue) / len(customers))
    # zero denominators: null, not NaN or an error
    assert ask(wh, "aov", from_="2027-01-01", to="2027-02-01")["value"] is None
    assert ask(wh, "revenue_per_customer", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_growth_compares_with_previous_month_and_a_year_before(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("a", "u1", "2025-11-10T12:00:00Z", "80.00"),
        order("b", "u1", "2026-10-10T12:00:00Z", "100.00"),
        order("c", "u2", "2026-11-10T12:00:00Z", "150.00"),
        order("d", "u3", "2026-11-11T12:00:00Z", "30.00"),
        refund("b", "u1", "2026-11-12T12:00:00Z", "20.00"),  # November's net, at its own time
    ]
    load(wh, msgs)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for o in ref_orders(msgs).values():
        net[local_day(o.ts).replace(day=1).isoformat()] += o.revenue
    for r in refunds_of(msgs):
        net[local_day(r["timestamp"]).replace(day=1).isoformat()] -= Decimal(
            r["properties"]["amount"]
        )
    answer = ask(wh, "growth", from_="2026-10-01", to="2026-12-01")
    nov = answer["rows"][-1]
    assert [r["month"] for r in answer["rows"]] == ["2026-10-01", "2026-11-01"]
    assert nov["net_revenue"] == float(net["2026-11-01"])
    assert nov["change_vs_previous_month"] == pytest.approx(
        float((net["2026-11-01"] - net["2026-10-01"]) / net["2026-10-01"])
    )
    assert nov["change_vs_year_ago"] == pytest.approx(
        float((net["2026-11-01"] - net["2025-11-01"]) / net["2025-11-01"])
    )
    # October 2026 has no October 2025 to compare with, nor September: null
    oct_ = answer["rows"][0]
    assert oct_["change_vs_previous_month"] is None and oct_["change_vs_year_ago"] is None
    assert answer["value"] == nov["change_vs_previous_month"]


def test_conversion_rate_counts_non_bot_visitors_and_ordering_users(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        page("a1", "2026-11-03T12:00:00Z"),
        page("a2", "2026-11-03T12:00:00Z"),
        page("a2", "2026-11-04T12:00:00Z"),
        page("a3", "2026-11-05T12:00:00Z"),
        page("bot1", "2026-11-05T12:00:00Z", ua=BOT_UA),
        page("a4", "2026-10-05T12:00:00Z"),  # visitor of October only
        track("Signed In", "2026-11-05T12:00:00Z", user="u7"),  # userId only: no visitor
        order("o1", "u1", "2026-11-03T12:05:00Z", "10.00", anon="a1"),
        order("o2", "u1", "2026-11-04T12:05:00Z", "10.00", anon="a1"),
        order("o3", "u2", "2026-11-04T12:05:00Z", "10.00"),
    ]
    load(wh, msgs)
    visitors = {
        m["anonymousId"]
        for m in msgs
        if m.get("anonymousId") and in_period(m["timestamp"], "2026-11-01", "2026-12-01")
    }
    visitors.discard("bot1")
    buyers = {
        o.user for o in ref_orders(msgs).values() if in_period(o.ts, "2026-11-01", "2026-12-01")
    }
    answer = ask(wh, "conversion_rate", **NOV)
    assert (
        answer["values"]["visitors"] == len(visitors) == 3
    )  # a1, a2, a3: not the bot, not October's a4
    assert answer["values"]["customers"] == len(buyers) == 2
    assert answer["value"] == pytest.approx(len(buyers) / len(visitors))
    assert ask(wh, "conversion_rate", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_cac_uses_expense_date_and_new_customers(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        expense("2026-11-02T12:00:00Z", "300.00", "marketing", date="2026-11-01"),
        expense(
            "2026-12-02T12:00:00Z", "200.00", "marketing", date="2026-11-30"
        ),  # recorded late, dated November
        expense("2026-11-20T12:00:00Z", "999.00", "marketing", date="2026-10-31"),  # dated October
        expense("2026-11-21T12:00:00Z", "50.50", "marketing"),  # no date: its time
        expense("2026-11-21T12:00:00Z", "75.00", "hosting"),
        order("o0", "u0", "2026-10-10T12:00:00Z", "10.00"),
        order("o1", "u0", "2026-11-10T12:00:00Z", "10.00"),  # returning, not new
        order("o2", "u1", "2026-11-10T12:00:00Z", "10.00"),
        order("o3", "u2", "2026-11-11T12:00:00Z", "10.00"),
    ]
    load(wh, msgs)
    spend = Decimal("300.00") + Decimal("200.00") + Decimal("50.50")
    firsts: dict[str, str] = {}
    for o in sorted(ref_orders(msgs).values(), key=lambda o: o.ts):
        firsts.setdefault(o.user, o.ts)
    new = [u for u, ts in firsts.items() if in_period(ts, "2026-11-01", "2026-12-01")]
    answer = ask(wh, "cac", **NOV)
    assert answer["values"]["marketing_expenses"] == float(spend)
    assert answer["values"]["new_customers"] == len(new) == 2
    assert answer["value"] == pytest.approx(float(spend) / len(new))
    # October: the expense dated Oct 31 (recorded in November) over u0, new in October
    assert ask(wh, "cac", from_="2026-10-01", to="2026-11-01")["value"] == pytest.approx(999.0 / 1)
    assert ask(wh, "cac", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_customers_new_returning_and_repeat(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("a", "u1", "2026-11-03T12:00:00Z", "1.00"),
        order("b", "u2", "2026-09-03T12:00:00Z", "1.00"),
        order("c", "u2", "2026-11-04T12:00:00Z", "1.00"),
        order("d", "u3", "2026-11-05T12:00:00Z", "1.00"),
        order("e", "u3", "2026-11-06T12:00:00Z", "1.00"),
        order("f", "u4", "2026-12-05T12:00:00Z", "1.00"),
        order("g", "u5", "2026-11-07T12:00:00Z", "1.00"),
        order("h", "u5", "2026-12-07T12:00:00Z", "1.00"),  # after the period's end
        order("g", "u5", "2026-11-08T12:00:00Z", "1.00"),  # re-send of g: not a second order
    ]
    load(wh, msgs)
    orders = list(ref_orders(msgs).values())
    end = dt.date(2026, 12, 1)
    customers = {o.user for o in orders if in_period(o.ts, "2026-11-01", "2026-12-01")}
    first = {u: min(local_day(o.ts) for o in orders if o.user == u) for u in customers}
    new = {u for u in customers if first[u] >= dt.date(2026, 11, 1)}
    repeat = {
        u for u in customers if sum(1 for o in orders if o.user == u and local_day(o.ts) < end) >= 2
    }
    answer = ask(wh, "customers", **NOV)
    assert answer["values"] == {
        "customers": len(customers),
        "new_customers": len(new),
        "returning_customers": len(customers - new),
        "repeat_customers": len(repeat),
        "repeat_rate": pytest.approx(len(repeat) / len(customers)),
    }
    assert (len(customers), len(new), len(repeat)) == (4, 3, 2)
    empty = ask(wh, "customers", from_="2027-01-01", to="2027-02-01")
    assert empty["value"] == 0 and empty["values"]["repeat_rate"] is None


def test_retention_by_first_order_cohort(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("a1", "u1", "2025-01-10T12:00:00Z", "1.00"),
        order("a2", "u1", "2025-02-10T12:00:00Z", "1.00"),
        order("a3", "u1", "2025-04-10T12:00:00Z", "1.00"),
        order("a4", "u1", "2025-04-11T12:00:00Z", "1.00"),
        order("b1", "u2", "2025-01-20T12:00:00Z", "1.00"),
        order(
            "c1", "u3", "2025-02-01T06:30:00Z", "1.00"
        ),  # Feb 1 00:30 in Chicago: February cohort
        order("c2", "u3", "2025-03-01T12:00:00Z", "1.00"),
    ]
    load(wh, msgs)
    orders = list(ref_orders(msgs).values())
    months = {(o.user, local_day(o.ts).replace(day=1)) for o in orders}
    cohort = {u: min(m for uu, m in months if uu == u) for u, _ in months}

    def add_months(d: dt.date, n: int) -> dt.date:
        return dt.date(d.year + (d.month - 1 + n) // 12, (d.month - 1 + n) % 12 + 1, 1)

    answer = ask(wh, "retention", from_="2025-01-01", to="2025-03-01")
    expected = []
    for c in sorted({m for m in cohort.values()}):
        members = [u for u, m in cohort.items() if m == c]
        for k in range(12):
            active = sum(1 for u in members if (u, add_months(c, k)) in months)
            expected.append((c.isoformat(), len(members), k, active, active / len(members)))
    got = [
        (r["cohort"], r["cohort_size"], r["month_offset"], r["retained"], r["retention"])
        for r in answer["rows"]
    ]
    assert got == expected
    assert got[3] == ("2025-01-01", 2, 3, 1, 0.5)


def test_retention_months_not_begun_are_null(wh) -> None:  # type: ignore[no-untyped-def]
    today = dt.datetime.now(CHICAGO).date()
    month = today.replace(day=1)
    ts = (
        dt.datetime.combine(month, dt.time(12), CHICAGO)
        .astimezone(dt.UTC)
        .isoformat()
        .replace("+00:00", "Z")
    )
    load(wh, [order("n1", "u1", ts, "1.00")])
    nxt = (month + dt.timedelta(days=32)).replace(day=1)
    rows = ask(wh, "retention", from_=month.isoformat(), to=nxt.isoformat())["rows"]
    assert [r["retention"] for r in rows] == [1.0] + [None] * 11


def test_refund_rate_counts_a_later_refund_against_the_order_month(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("o1", "u1", "2026-10-05T12:00:00Z", "10.00"),
        order("o2", "u2", "2026-10-06T12:00:00Z", "10.00"),
        order("o3", "u3", "2026-10-07T12:00:00Z", "10.00"),
        order("o4", "u4", "2026-11-07T12:00:00Z", "10.00"),
        refund("o1", "u1", "2026-11-20T12:00:00Z", "10.00"),  # next month
        refund("o2", "u2", "2026-10-20T12:00:00Z", "5.00"),
        refund(
            "o2", "u2", "2026-10-21T12:00:00Z", "5.00"
        ),  # a second partial refund: still one order
    ]
    load(wh, msgs)
    refunded = {r["properties"]["order_id"] for r in refunds_of(msgs)}
    for frm, to in (("2026-10-01", "2026-11-01"), ("2026-11-01", "2026-12-01")):
        placed = [o for o in ref_orders(msgs).values() if in_period(o.ts, frm, to)]
        answer = ask(wh, "refund_rate", from_=frm, to=to)
        hit = [o for o in placed if o.order_id in refunded]
        assert answer["values"]["orders"] == len(placed)
        assert answer["values"]["refunded_orders"] == len(hit)
        assert answer["value"] == pytest.approx(len(hit) / len(placed))
    assert ask(wh, "refund_rate", from_="2026-10-01", to="2026-11-01")["value"] == pytest.approx(
        2 / 3
    )
    # the October order's refund is November's refund money
    assert ask(wh, "revenue", **NOV)["values"]["refunds"] == 10.0
    assert ask(wh, "refund_rate", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_discount_codes_orders_roi_and_code_conversion(wh) -> None:  # type: ignore[no-untyped-def]
    ca = "Coupon Applied"
    visits = [
        # a1: two sessions (45-minute gap), SAVE10 applied in both
        page("a1", "2026-11-03T10:00:00Z"),
        track(ca, "2026-11-03T10:10:00Z", anon="a1", coupon="SAVE10"),
        page("a1", "2026-11-03T10:55:00Z"),
        track(ca, "2026-11-03T11:05:00Z", anon="a1", coupon="SAVE10"),
        # a2: one session (a gap of exactly 30:00 is no break) with two coupons
        track(ca, "2026-11-04T10:00:00Z", anon="a2", coupon="SAVE10"),
        track(ca, "2026-11-04T10:30:00Z", anon="a2", coupon="PART5"),
        track(
            ca, "2026-11-04T10:30:00Z", anon="bot", ua=BOT_UA, coupon="SAVE10"
        ),  # bots don't count
        # a4: a session that started before the period (Oct 31 23:50 in Chicago)
        page("a4", "2026-11-01T04:50:00Z"),
        track(ca, "2026-11-01T05:10:00Z", anon="a4", coupon="SAVE10"),
    ]
    orders = [
        order(
            "o1",
            "u1",
            "2026-11-03T10:15:00Z",
            "90.00",
            anon="a1",
            coupon="SAVE10",
            kind="marketing",
            discount="10.00",
        ),
        order(
            "o1",
            "u1",
            "2026-11-03T10:15:01Z",
            "90.00",
            anon="a1",
            coupon="SAVE10",
            kind="marketing",
            discount="10.00",
        ),
        order(
            "o2",
            "u2",
            "2026-11-04T10:31:00Z",
            "45.00",
            anon="a2",
            coupon="SAVE10",
            kind="marketing",
            discount="5.00",
        ),
        order(
            "o3",
            "u2",
            "2026-11-04T10:32:00Z",
            "95.00",
            anon="a2",
            coupon="PART5",
            kind="partner",
            discount="5.00",
        ),
        order(
            "o4",
            "u3",
            "2026-11-05T10:00:00Z",
            "0.00",
            coupon="STAFF",
            kind="employee",
            discount="0.00",
        ),
        order("o5", "u3", "2026-11-05T11:00:00Z", "20.00"),
    ]
    load(wh, visits + orders)
    # reference sessions: every non-bot event with an anonymousId
    events = [(m["anonymousId"], m["timestamp"], m.get("properties", {}).get("coupon", "") if m.get("event") == ca else "")
              for m in visits + orders if m.get("anonymousId") and m.get("anonymousId") != "bot"]  # fmt: skip
    sessions: dict[str, int] = defaultdict(int)
    for s in sessions_of(events):
        if in_period(s[0][1], "2026-11-01", "2026-12-01"):
            for c in {label for _, _, label in s if label}:
                sessions[c] += 1
    by_coupon: dict[str, list] = defaultdict(list)
    for o in ref_orders(orders).values():
        if o.coupon:
            by_coupon[o.coupon].append(o)
    answer = ask(wh, "discount_codes", **NOV)
    got = {r["coupon"]: r for r in answer["rows"]}
    assert set(got) == set(by_coupon) | set(sessions)
    for coupon, os_ in by_coupon.items():
        rev = sum(o.revenue for o in os_)
        disc = sum(o.discount for o in os_)
        r = got[coupon]
        assert (r["orders"], r["revenue"], r["discount"], r["kind"]) == (
            len(os_),
            float(rev),
            float(disc),
            os_[0].kind,
        )
        assert r["roi"] == (pytest.approx(float(rev / disc)) if disc else None)
        assert r["sessions"] == sessions.get(coupon, 0)
        assert r["code_conversion"] == (
            pytest.approx(len(os_) / sessions[coupon]) if sessions.get(coupon) else None
        )
    assert got["SAVE10"]["sessions"] == 3 and got["SAVE10"]["orders"] == 2
    assert got["STAFF"]["roi"] is None and got["STAFF"]["code_conversion"] is None


def test_organic_share_and_coupon_kinds(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order(
            "o1",
            "u1",
            "2026-11-03T10:15:00Z",
            "90.00",
            coupon="SAVE10",
            kind="marketing",
            discount="10.00",
        ),
        order(
            "o2",
            "u2",
            "2026-11-04T10:31:00Z",
            "40.00",
            coupon="SAVE10",
            kind="marketing",
            discount="10.00",
        ),
        order(
            "o3",
            "u2",
            "2026-11-04T10:32:00Z",
            "95.00",
            coupon="PART5",
            kind="partner",
            discount="5.00",
        ),
        order(
            "o4",
            "u3",
            "2026-11-05T10:00:00Z",
            "12.50",
            coupon="STAFF",
            kind="employee",
            discount="37.50",
        ),
        order("o5", "u3", "2026-11-05T11:00:00Z", "20.00"),
        order("o6", "u4", "2026-11-06T11:00:00Z", "30.25"),
        order("o6", "u4", "2026-11-06T11:00:09Z", "30.25"),  # re-send
    ]
    load(wh, msgs)
    orders = list(ref_orders(msgs).values())
    organic = [o for o in orders if not o.coupon]
    share = ask(wh, "organic_share", **NOV)
    total = sum(o.revenue for o in orders)
    assert share["values"]["orders"] == len(orders) == 6
    assert share["values"]["organic_orders"] == len(organic)
    assert share["value"] == pytest.approx(len(organic) / len(orders))
    assert share["values"]["organic_revenue_share"] == pytest.approx(
        float(sum(o.revenue for o in organic) / total)
    )
    kinds = ask(wh, "coupon_kinds", **NOV)
    expected = {}
    for o in orders:
        if o.coupon:
            n, rev, disc = expected.get(o.kind, (0, Decimal(0), Decimal(0)))
            expected[o.kind] = (n + 1, rev + o.revenue, disc + o.discount)
    assert {
        r["coupon_kind"]: (r["orders"], r["revenue"], r["discount"]) for r in kinds["rows"]
    } == {k: (n, float(rev), float(disc)) for k, (n, rev, disc) in expected.items()}
    empty = ask(wh, "organic_share", from_="2027-01-01", to="2027-02-01")
    assert empty["value"] is None and empty["values"]["organic_revenue_share"] is None
