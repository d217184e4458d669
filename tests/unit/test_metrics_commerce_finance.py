"""Feedback, lifetime value, business-intelligence, financial and goal
metrics, the hourly commerce rollup, empty periods and bad requests.
Expected values come from plain Python over the same messages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from drtroy_dashboard.app import create_app
from fastapi.testclient import TestClient

from drtroy_metrics.settings import Settings
from tests.unit.test_metrics_commerce_support import (
    expense,
    identify,
    in_period,
    local_day,
    order,
    ref_orders,
    refund,
    refunds_of,
    track,
    utc,
)
from tests.warehouse_support import TZ, ask, load

NOV = {"from_": "2026-11-01", "to": "2026-12-01"}

COMMERCE_METRICS = [
    "revenue",
    "aov",
    "revenue_per_customer",
    "growth",
    "conversion_rate",
    "cac",
    "customers",
    "retention",
    "refund_rate",
    "nps",
    "rating",
    "ltv",
    "discount_codes",
    "organic_share",
    "coupon_kinds",
    "professions",
    "packages",
    "regions",
    "seasonality",
    "cash_flow",
    "profit_margin",
    "break_even",
    "goals",
]


def test_nps_from_promoters_and_detractors(wh) -> None:  # type: ignore[no-untyped-def]
    scores = [10, 9, 8, 7, 6, 0, 3]
    msgs = [
        track("NPS Submitted", f"2026-11-0{i + 1}T12:00:00Z", user=f"u{i}", score=s)
        for i, s in enumerate(scores)
    ]
    msgs.append(track("NPS Submitted", "2026-10-05T12:00:00Z", user="old", score=10))
    load(wh, msgs)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    answer = ask(wh, "nps", **NOV)
    assert answer["values"]["responses"] == len(scores)
    assert (answer["values"]["promoters"], answer["values"]["detractors"]) == (
        promoters,
        detractors,
    )
    assert answer["value"] == pytest.approx(
        100 * (promoters / len(scores) - detractors / len(scores))
    )
    assert answer["value"] < 0
    assert ask(wh, "nps", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_rating_overall_and_per_course(wh) -> None:  # type: ignore[no-untyped-def]
    ratings = [("c1", 5), ("c1", 4), ("c2", 3), ("c1", 4)]
    msgs = [
        track("Course Rated", f"2026-11-1{i}T12:00:00Z", user=f"u{i}", course_id=c, stars=s)
        for i, (c, s) in enumerate(ratings)
    ]
    load(wh, msgs)
    answer = ask(wh, "rating", **NOV)
    assert answer["values"] == {
        "rating": pytest.approx(sum(s for _, s in ratings) / len(ratings)),
        "ratings": 4,
    }
    assert answer["rows"] == []
    per = ask(wh, "rating", group_by="course", **NOV)["rows"]
    expected: dict[str, list[int]] = defaultdict(list)
    for c, s in ratings:
        expected[c].append(s)
    assert {r["course_id"]: (r["rating"], r["ratings"]) for r in per} == {
        c: (pytest.approx(sum(v) / len(v)), len(v)) for c, v in expected.items()
    }
    assert ask(wh, "rating", from_="2027-01-01", to="2027-02-01")["values"] == {
        "rating": None,
        "ratings": 0,
    }


def test_ltv_all_time_as_of_period_end_and_per_cohort(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("a", "u1", "2026-01-10T12:00:00Z", "100.00"),
        order("b", "u1", "2026-03-10T12:00:00Z", "50.00"),
        refund("a", "u1", "2026-02-10T12:00:00Z", "20.00"),
        order("c", "u2", "2026-03-11T12:00:00Z", "30.00"),
        order("c", "u2", "2026-03-11T12:00:30Z", "30.00"),  # re-send
        order("d", "u3", "2026-04-11T12:00:00Z", "70.00"),  # after the period's end
        refund("c", "u2", "2026-04-12T12:00:00Z", "30.00"),  # after the period's end
    ]
    load(wh, msgs)
    end = dt.date(2026, 4, 1)
    orders = [o for o in ref_orders(msgs).values() if local_day(o.ts) < end]
    refunds = [r for r in refunds_of(msgs) if local_day(r["timestamp"]) < end]
    net = sum(o.revenue for o in orders) - sum(Decimal(r["properties"]["amount"]) for r in refunds)
    users = {o.user for o in orders}
    answer = ask(wh, "ltv", from_="2026-03-01", to="2026-04-01")
    assert answer["values"]["customers"] == len(users) == 2
    assert answer["values"]["net_revenue"] == float(net)
    assert answer["value"] == pytest.approx(float(net) / len(users))
    cohorts: dict[str, set[str]] = defaultdict(set)
    for u in users:
        cohorts[min(local_day(o.ts) for o in orders if o.user == u).replace(day=1).isoformat()].add(
            u
        )
    got = {r["cohort"]: (r["customers"], r["net_revenue"]) for r in answer["rows"]}
    refunded = defaultdict(Decimal)
    for r in refunds:
        refunded[r["properties"]["order_id"]] += Decimal(r["properties"]["amount"])
    assert got == {
        c: (len(us), float(sum(o.revenue - refunded[o.order_id] for o in orders if o.user in us)))
        for c, us in cohorts.items()
    }
    assert ask(wh, "ltv", from_="2020-01-01", to="2020-02-01")["value"] is None


def _buyers_with_changing_traits():  # type: ignore[no-untyped-def]
    return [
        identify("u1", "2026-10-01T12:00:00Z", profession="PT", license_state="TX"),
        order("o1", "u1", "2026-11-02T12:00:00Z", "40.00"),
        identify(
            "u1", "2026-11-20T12:00:00Z", profession="OT", license_state="ok"
        ),  # moved: later identify wins
        identify(
            "u1", "2026-11-21T12:00:00Z", is_employee=False
        ),  # no profession/state: changes nothing
        track("Signed Up", "2026-09-01T12:00:00Z", user="u2", profession="PTA", license_state="TX"),
        order("o2", "u2", "2026-11-03T12:00:00Z", "60.00"),
        order("o3", "u2", "2026-11-04T12:00:00Z", "15.50"),
        order("o4", "u3", "2026-11-05T12:00:00Z", "9.99"),  # never identified
        identify("u4", "2026-11-01T12:00:00Z", profession="COTA", license_state="TX"),
        order("o5", "u4", "2026-11-06T12:00:00Z", "25.00"),
    ]


def test_professions_use_the_latest_known_trait(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = _buyers_with_changing_traits()
    load(wh, msgs)
    # a late identify with an old time arrives last: older by event time, so it loses
    load(wh, [identify("u1", "2026-08-01T12:00:00Z", profession="other", license_state="CA")])
    profession = {"u1": "OT", "u2": "PTA", "u3": "unknown", "u4": "COTA"}
    expected: dict[str, list] = {}
    for o in ref_orders(msgs).values():
        users, n, rev = expected.get(profession[o.user], (set(), 0, Decimal(0)))
        expected[profession[o.user]] = (users | {o.user}, n + 1, rev + o.revenue)
    answer = ask(wh, "professions", **NOV)
    assert {
        r["profession"]: (r["customers"], r["orders"], r["revenue"]) for r in answer["rows"]
    } == {p: (len(us), n, float(rev)) for p, (us, n, rev) in expected.items()}


def test_regions_texas_vs_others_by_latest_license_state(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = _buyers_with_changing_traits()
    load(wh, msgs)
    state = {"u1": "OK", "u2": "TX", "u3": "unknown", "u4": "TX"}
    orders = list(ref_orders(msgs).values())
    tx = [o for o in orders if state[o.user] == "TX"]
    other = [o for o in orders if state[o.user] != "TX"]
    answer = ask(wh, "regions", **NOV)
    assert {r["license_state"] for r in answer["rows"]} == {"OK", "TX", "unknown"}
    v = answer["values"]
    assert (v["texas_customers"], v["texas_orders"], v["texas_revenue"]) == (
        len({o.user for o in tx}),
        len(tx),
        float(sum(o.revenue for o in tx)),
    )
    assert (v["other_customers"], v["other_orders"], v["other_revenue"]) == (
        len({o.user for o in other}),
        len(other),
        float(sum(o.revenue for o in other)),
    )
    assert v["texas_revenue_share"] == pytest.approx(
        float(sum(o.revenue for o in tx) / sum(o.revenue for o in orders))
    )


def test_packages_share_order_revenue_by_line_price(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        # 90 paid for lines priced 30 + 70 (a discount): 27 and 63
        order(
            "o1",
            "u1",
            "2026-11-02T12:00:00Z",
            "90.00",
            lines=[("c1", "pA", "30.00"), ("c2", "pB", "70.00")],
        ),
        order(
            "o2", "u2", "2026-11-03T12:00:00Z", "50.00", lines=[("c3", "pA", "80.00")]
        ),  # one line: all of it
        order(
            "o3",
            "u3",
            "2026-11-04T12:00:00Z",
            "10.00",
            lines=[("c1", "pA", "0"), ("c2", "pC", "0")],
        ),
        order(
            "o4",
            "u3",
            "2026-11-05T12:00:00Z",
            "33.33",
            lines=[("c1", "pB", "1"), ("c1", "pB", "2")],
        ),
    ]
    load(wh, msgs)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    orders: dict[str, set[str]] = defaultdict(set)
    for o in ref_orders(msgs).values():
        total = sum(p for _, p in o.lines)
        for pkg, price in o.lines:
            revenue[pkg] += o.revenue * price / total if total else o.revenue / len(o.lines)
            orders[pkg].add(o.order_id)
    answer = ask(wh, "packages", **NOV)
    got = {r["package_id"]: (r["orders"], r["revenue"]) for r in answer["rows"]}
    assert got == {p: (len(orders[p]), pytest.approx(float(revenue[p]), abs=1e-9)) for p in revenue}
    assert got["pA"][1] == 27.0 + 50.0 + 5.0


def test_seasonality_adds_up_calendar_months_across_years(wh) -> None:  # type: ignore[no-untyped-def]
    stamps = [
        "2025-03-10T12:00:00Z",
        "2026-03-10T12:00:00Z",
        "2026-04-01T04:30:00Z",
        "2025-12-31T12:00:00Z",
    ]
    msgs = [order(f"o{i}", "u1", ts, f"1{i}.00") for i, ts in enumerate(stamps)]
    load(wh, msgs)
    expected = {m: (0, Decimal(0)) for m in range(1, 13)}
    for o in ref_orders(msgs).values():
        if in_period(o.ts, "2025-01-01", "2027-01-01"):
            n, rev = expected[local_day(o.ts).month]
            expected[local_day(o.ts).month] = (n + 1, rev + o.revenue)
    rows = ask(wh, "seasonality", from_="2025-01-01", to="2027-01-01")["rows"]
    assert [(r["month"], r["orders"], r["revenue"]) for r in rows] == [
        (m, n, float(rev)) for m, (n, rev) in sorted(expected.items())
    ]
    assert (
        rows[2]["orders"] == 3 and rows[2]["years"] == 2
    )  # 2026-04-01T04:30Z is still March 31 in Chicago


def _money_story():  # type: ignore[no-untyped-def]
    return [
        order("o1", "u1", "2026-10-05T12:00:00Z", "200.00"),
        order("o2", "u2", "2026-11-05T12:00:00Z", "500.00"),
        order("o2", "u2", "2026-11-05T12:00:05Z", "500.00"),  # re-send
        order("o3", "u3", "2026-12-05T12:00:00Z", "600.00"),
        refund("o1", "u1", "2026-11-06T12:00:00Z", "50.00"),
        expense("2026-10-02T12:00:00Z", "800.00", "marketing"),
        expense("2026-10-03T12:00:00Z", "200.00", "hosting", date="2026-10-03"),
        expense("2026-12-01T03:00:00Z", "100.00", "content"),  # Nov 30 in Chicago, no date
        expense("2026-12-02T12:00:00Z", "40.00", "payroll", date="2026-11-15"),
    ]


def _monthly_flows(msgs, frm, to):  # type: ignore[no-untyped-def]
    flows: dict[str, dict] = defaultdict(
        lambda: {"rev": Decimal(0), "ref": Decimal(0), "exp": defaultdict(Decimal)}
    )
    for o in ref_orders(msgs).values():
        if in_period(o.ts, frm, to):
            flows[local_day(o.ts).replace(day=1).isoformat()]["rev"] += o.revenue
    for r in refunds_of(msgs):
        if in_period(r["timestamp"], frm, to):
            flows[local_day(r["timestamp"]).replace(day=1).isoformat()]["ref"] += Decimal(
                r["properties"]["amount"]
            )
    for m in msgs:
        if m.get("event") == "Expense Recorded":
            p = m["properties"]
            day = dt.date.fromisoformat(p["date"]) if "date" in p else local_day(m["timestamp"])
            if dt.date.fromisoformat(frm) <= day < dt.date.fromisoformat(to):
                flows[day.replace(day=1).isoformat()]["exp"][p["category"]] += Decimal(p["amount"])
    return flows


def test_cash_flow_per_month_with_expenses_by_category(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = _money_story()
    load(wh, msgs)
    flows = _monthly_flows(msgs, "2026-10-01", "2027-01-01")
    answer = ask(wh, "cash_flow", from_="2026-10-01", to="2027-01-01")
    assert [r["month"] for r in answer["rows"]] == ["2026-10-01", "2026-11-01", "2026-12-01"]
    for r in answer["rows"]:
        f = flows[r["month"]]
        spent = sum(f["exp"].values(), Decimal(0))
        assert r["revenue"] == float(f["rev"]) and r["refunds"] == float(f["ref"])
        assert r["net_revenue"] == float(f["rev"] - f["ref"])
        assert r["expenses"] == float(spent)
        assert r["expenses_by_category"] == {k: float(v) for k, v in f["exp"].items()}
        assert r["net_cash_flow"] == float(f["rev"] - f["ref"] - spent)


def test_profit_margin(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = _money_story()
    load(wh, msgs)
    f = _monthly_flows(msgs, "2026-11-01", "2026-12-01")["2026-11-01"]
    net = f["rev"] - f["ref"]
    spent = sum(f["exp"].values(), Decimal(0))
    answer = ask(wh, "profit_margin", **NOV)
    assert answer["values"]["net_revenue"] == float(net)
    assert answer["values"]["expenses"] == float(spent)
    assert answer["value"] == pytest.approx(float((net - spent) / net))
    # no net revenue (only the expense-only month of January): null
    load(wh, [expense("2027-01-10T12:00:00Z", "10.00", "hosting")])
    assert ask(wh, "profit_margin", from_="2027-01-01", to="2027-02-01")["value"] is None


def test_break_even_first_month_cumulative_is_not_negative(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = _money_story()
    load(wh, msgs)
    flows = _monthly_flows(msgs, "2026-09-01", "2027-01-01")
    months = ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"]
    running, cumulative, first = Decimal(0), [], None
    moved = False
    for m in months:
        f = flows.get(m)
        net = (f["rev"] - f["ref"] - sum(f["exp"].values(), Decimal(0))) if f else Decimal(0)
        running += net
        moved = moved or net != 0
        cumulative.append(float(running))
        if first is None and moved and running >= 0:
            first = m
    answer = ask(wh, "break_even", from_="2026-09-01", to="2027-01-01")
    assert [r["cumulative_net_cash_flow"] for r in answer["rows"]] == cumulative
    # cumulative -800, -490, +110: December; September's empty month is no break-even
    assert answer["value"] == first == "2026-12-01"
    never = ask(wh, "break_even", from_="2026-10-01", to="2026-11-01")
    assert never["value"] is None and never["rows"][0]["cumulative_net_cash_flow"] < 0


def test_goals_values_targets_and_whether_met(wh, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOALS_ACTIVE_USERS", "2,5")
    monkeypatch.setenv("GOALS_MONTHLY_NET_REVENUE", "100")
    monkeypatch.setenv("GOALS_COURSE_COMPLETION_RATE", "0.5")
    monkeypatch.setenv("GOALS_AVERAGE_RATING", "4.5")
    ls = "Lesson Started"
    msgs = [
        track("Feature Used", "2026-11-25T12:00:00Z", user="u1", feature="x"),
        track(
            "Feature Used", "2026-11-02T12:00:00Z", user="u2", feature="x"
        ),  # within 30 days of Dec 1
        track("Feature Used", "2026-10-30T12:00:00Z", user="u3", feature="x"),  # before the 30 days
        track(
            ls,
            "2026-11-03T12:00:00Z",
            user="u1",
            course_id="c1",
            lesson_id="l1",
            lesson_index=1,
            lesson_count=3,
        ),
        track(
            ls,
            "2026-11-04T12:00:00Z",
            user="u1",
            course_id="c2",
            lesson_id="l1",
            lesson_index=1,
            lesson_count=3,
        ),
        track(
            ls,
            "2026-10-04T12:00:00Z",
            user="u2",
            course_id="c1",
            lesson_id="l1",
            lesson_index=1,
            lesson_count=3,
        ),
        track(
            ls,
            "2026-11-04T12:00:00Z",
            user="u2",
            course_id="c1",
            lesson_id="l2",
            lesson_index=2,
            lesson_count=3,
        ),
        track(
            "Course Completed", "2026-12-03T12:00:00Z", user="u1", course_id="c1"
        ),  # later, by now: counts
        track("Course Rated", "2026-11-10T12:00:00Z", user="u1", course_id="c1", stars=5),
        track("Course Rated", "2026-11-11T12:00:00Z", user="u2", course_id="c1", stars=4),
        order("o1", "u1", "2026-11-10T12:00:00Z", "150.00"),
        refund("o1", "u1", "2026-11-20T12:00:00Z", "30.00"),
    ]
    load(wh, msgs)
    end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).astimezone(dt.UTC)
    active = {
        m["userId"]
        for m in msgs
        if 0 < (end - utc(m["timestamp"])).days + 1 <= 30 and utc(m["timestamp"]) < end
    }
    # (user, course) pairs first started in November: (u1,c1), (u1,c2); u2 started c1 in October
    started = {("u1", "c1"), ("u1", "c2")}
    completed = {("u1", "c1")}
    answer = ask(wh, "goals", **NOV)
    v = answer["values"]
    assert v["active_users"] == len(active) == 2
    assert v["monthly_net_revenue"] == 120.0
    assert v["course_completion_rate"] == pytest.approx(len(completed & started) / len(started))
    assert v["average_rating"] == pytest.approx(4.5)
    got = [(r["goal"], r["target"], r["met"]) for r in answer["rows"]]
    assert got == [
        ("active_users", 2.0, True),
        ("active_users", 5.0, False),
        ("monthly_net_revenue", 100.0, True),
        ("course_completion_rate", 0.5, True),
        ("average_rating", 4.5, True),
    ]
    assert answer["value"] == v["goals_met"] == 4
    empty = ask(wh, "goals", from_="2030-01-01", to="2030-02-01")
    assert empty["values"]["course_completion_rate"] is None
    assert all(
        r["met"] is None
        for r in empty["rows"]
        if r["goal"] in ("course_completion_rate", "average_rating")
    )


def test_goals_default_targets_are_those_of_metrics_md(wh) -> None:  # type: ignore[no-untyped-def]
    rows = ask(wh, "goals", **NOV)["rows"]
    assert [(r["goal"], r["target"]) for r in rows] == [
        ("active_users", 100.0),
        ("active_users", 500.0),
        ("active_users", 1000.0),
        ("monthly_net_revenue", 10000.0),
        ("monthly_net_revenue", 25000.0),
        ("monthly_net_revenue", 50000.0),
        ("course_completion_rate", 0.85),
        ("average_rating", 4.5),
    ]


def test_commerce_hourly_rollup_matches_deliveries_per_zone_day(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        order("o1", "u1", "2026-11-01T05:30:00Z", "10.00"),
        order(
            "o1", "u1", "2026-11-01T07:10:00Z", "10.00"
        ),  # a second delivery: counted as one here
        order("o2", "u2", "2026-11-02T05:59:00Z", "2.50"),  # still Nov 1 (a 25-hour day)
        order("o3", "u2", "2026-11-02T06:00:00Z", "4.00"),
        refund("o3", "u2", "2026-11-02T06:30:00Z", "1.25"),
    ]
    load(wh, msgs)
    load(wh, msgs[:2])  # redelivered messageIds add nothing
    _, rows = wh.query(
        "SELECT toDate(hour, {tz:String}) AS day, sum(order_deliveries), sum(delivered_revenue), sum(refunds), "
        "sum(refund_amount) FROM commerce_hourly GROUP BY day ORDER BY day",
        {"tz": TZ},
    )
    expected: dict[dt.date, list] = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for m in msgs:
        e = expected[local_day(m["timestamp"])]
        if m["event"] == "Order Completed":
            e[0] += 1
            e[1] += Decimal(m["properties"]["revenue"])
        else:
            e[2] += 1
            e[3] += Decimal(m["properties"]["amount"])
    assert [(d, n, r, k, a) for d, n, r, k, a in rows] == [
        (d, *v) for d, v in sorted(expected.items())
    ]


@pytest.mark.parametrize("name", COMMERCE_METRICS)
def test_empty_period_gives_nulls_and_empty_rows_not_errors(wh, name) -> None:  # type: ignore[no-untyped-def]
    answer = ask(wh, name, from_="2031-01-01", to="2031-02-01")
    assert isinstance(answer["rows"], list)
    for key, value in answer.get("values", {}).items():
        assert value is None or value == 0 or key in ("month", "goals"), (key, value)


def test_read_api_rejects_unknown_metric_bad_date_and_bad_parameter(wh) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(Settings(), wh))
    for url in (
        "/api/v1/metrics/no_such_metric",
        "/api/v1/metrics/revenue?from=2026-13-01&to=2026-12-01",
        "/api/v1/metrics/revenue?from=yesterday",
        "/api/v1/metrics/revenue?from=2026-11-01&to=2026-12-01&interval=hour",
        "/api/v1/metrics/rating?group_by=teacher",
    ):
        r = client.get(url)
        assert r.status_code == 400, url
        assert r.json()["error"]
    ok = client.get("/api/v1/metrics/aov?from=2026-11-01&to=2026-12-01")
    assert ok.status_code == 200 and ok.json()["value"] is None
    listed = {m["name"] for m in client.get("/api/v1/metrics").json()["metrics"]}
    assert set(COMMERCE_METRICS) <= listed
