"""course_completion, dropoff, popular_courses, certificate_rate and funnel
over hand-built learners and visitors; expected values in plain Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from drtroy_metrics.catalog import BadRequest
from tests.unit.test_metrics_engagement_support import BOT, DESKTOP, page, track, utc
from tests.warehouse_support import ask, load

NOV = ("2026-11-01", "2026-12-01")  # Chicago: [05:00Z Nov 1, 06:00Z Dec 1)
H = dt.timedelta(hours=1)


def lesson(user: str, course: str, idx: int, t: dt.datetime, count: int = 4) -> dict:
    return track(
        "Lesson Started",
        t,
        {
            "course_id": course,
            "lesson_id": f"{course}-{idx}",
            "lesson_index": idx,
            "lesson_count": count,
        },
        user=user,
        anon=f"a-{user}",
        ua=DESKTOP,
    )


def completed(user: str, course: str, t: dt.datetime) -> dict:
    return track("Course Completed", t, {"course_id": course, "score": 90}, user=user)


def _learners(wh) -> dict:  # type: ignore[no-untyped-def]
    """Loads learners; returns the plain facts the expectations are built from:
    per (user, course): first start, furthest lesson, first completion or None."""
    t0 = utc("2026-11-10T15:00:00")
    facts = {
        # user, course: (first start, lessons started, completion time)
        ("u1", "c1"): (t0, [1, 2, 3, 4], t0 + 30 * H),
        ("u2", "c1"): (t0 + H, [1, 2], None),
        ("u3", "c1"): (t0 + 2 * H, [1, 3], None),  # skipped lesson 2
        ("u4", "c1"): (utc("2026-10-20T15:00:00"), [1, 2, 3], t0),  # started before November
        ("u1", "c2"): (t0 + 5 * H, [1], t0 + 17 * H),
        ("u5", "c2"): (utc("2026-11-30T23:00:00"), [1], None),  # 17:00 Nov 30 local: inside
        ("u6", "c2"): (utc("2026-12-01T06:30:00"), [1], None),  # 00:30 Dec 1 local: outside
    }
    client, server = [], []
    for (u, c), (start, lessons, done) in facts.items():
        for k, idx in enumerate(lessons):
            client.append(lesson(u, c, idx, start + k * dt.timedelta(minutes=40)))
        if done is not None:
            server.append(completed(u, c, done))
    client.append(client[0])  # a duplicate delivery of u1's first start
    load(wh, client, key_trust="client")
    load(wh, server)
    load(wh, server[:1])  # redelivered
    return facts


def test_course_completion(wh) -> None:  # type: ignore[no-untyped-def]
    facts = _learners(wh)
    lo, hi = utc("2026-11-01T05:00:00"), utc("2026-12-01T06:00:00")
    pairs = {k: v for k, v in facts.items() if lo <= v[0] < hi}
    ans = ask(wh, "course_completion", from_=NOV[0], to=NOV[1])

    def figures(ps: dict) -> dict:
        done = [(s, c) for s, _, c in ps.values() if c is not None]
        return {
            "started": len(ps),
            "completed": len(done),
            "completion_rate": pytest.approx(len(done) / len(ps)),
            "mean_hours_to_complete": pytest.approx(
                sum((c - s).total_seconds() / 3600 for s, c in done) / len(done)
            ),
        }

    assert ans["values"] == figures(pairs)
    rows = {r.pop("course_id"): r for r in ans["rows"]}
    for course in ("c1", "c2"):
        assert rows[course] == figures({k: v for k, v in pairs.items() if k[1] == course})
    assert ans["values"]["started"] == 5  # by hand: u1 u2 u3 (c1), u1 u5 (c2)


def test_course_completion_empty_period(wh) -> None:  # type: ignore[no-untyped-def]
    _learners(wh)
    ans = ask(wh, "course_completion", from_="2027-01-01", to="2027-02-01")
    assert ans["rows"] == []
    assert ans["values"]["started"] == 0 and ans["values"]["completion_rate"] is None


def test_dropoff_reached_and_dropped(wh) -> None:  # type: ignore[no-untyped-def]
    facts = _learners(wh)
    lo, hi = utc("2026-11-01T05:00:00"), utc("2026-12-01T06:00:00")
    want = {}
    for course in ("c1", "c2"):
        ps = [v for k, v in facts.items() if k[1] == course and lo <= v[0] < hi]
        for idx in range(1, 5):  # lesson_count is 4
            want[(course, idx)] = (
                sum(1 for _, ls, _ in ps if max(ls) >= idx),
                sum(1 for _, ls, c in ps if max(ls) == idx and c is None),
            )
    rows = ask(wh, "dropoff", from_=NOV[0], to=NOV[1])["rows"]
    got = {(r["course_id"], r["lesson_index"]): (r["reached"], r["dropped"]) for r in rows}
    assert got == want
    assert got[("c1", 2)] == (3, 1)  # u3 skipped lesson 2 but reached it; u2 dropped there
    one = ask(wh, "dropoff", from_=NOV[0], to=NOV[1], course="c2")["rows"]
    assert {r["course_id"] for r in one} == {"c2"}


def test_popular_courses(wh) -> None:  # type: ignore[no-untyped-def]
    facts = _learners(wh)
    t = utc("2026-11-12T18:00:00")
    orders = [
        # two lines priced 30 / 10 on a 36.00 order (after discount): 27 / 9
        track(
            "Order Completed",
            t,
            {
                "order_id": "o1",
                "revenue": "36.00",
                "products": [{"course_id": "c1", "price": 30}, {"course_id": "c2", "price": 10}],
            },
            user="u1",
            anon="a-u1",
        ),
        # one line: all of it
        track(
            "Order Completed",
            t + H,
            {"order_id": "o2", "revenue": "19.99", "products": [{"course_id": "c1", "price": 25}]},
            user="u2",
        ),
        # October order: out of the period
        track(
            "Order Completed",
            utc("2026-10-20T12:00:00"),
            {"order_id": "o0", "revenue": 50, "products": [{"course_id": "c1", "price": 50}]},
            user="u4",
        ),
    ]
    enroll = [
        track("Course Enrolled", t, {"course_id": "c1", "order_id": "o1"}, user="u1"),
        track("Course Enrolled", t, {"course_id": "c2", "order_id": "o1"}, user="u1"),
        track("Course Enrolled", t + H, {"course_id": "c1", "order_id": "o2"}, user="u2"),
        track("Course Enrolled", utc("2026-10-20T12:00:00"), {"course_id": "c1"}, user="u4"),
    ]
    load(wh, orders + enroll)
    # the same order sent again under another messageId: still one order
    again = dict(orders[1], messageId="o2-again")
    load(wh, [again])
    lo, hi = utc("2026-11-01T05:00:00"), utc("2026-12-01T06:00:00")
    starts = {"c1": 0, "c2": 0}
    completions = {"c1": 0, "c2": 0}
    for (_, c), (s, ls, done) in facts.items():
        starts[c] += sum(1 for k in range(len(ls)) if lo <= s + k * dt.timedelta(minutes=40) < hi)
        completions[c] += int(done is not None and lo <= done < hi)
    want = {
        "c1": {
            "enrollments": 2,
            "lesson_starts": starts["c1"],
            "completions": completions["c1"],
            "revenue": float(Decimal("36") * 30 / 40 + Decimal("19.99")),
        },
        "c2": {
            "enrollments": 1,
            "lesson_starts": starts["c2"],
            "completions": completions["c2"],
            "revenue": float(Decimal("36") * 10 / 40),
        },
    }
    rows = ask(wh, "popular_courses", from_=NOV[0], to=NOV[1])["rows"]
    assert {r.pop("course_id"): r for r in rows} == want


def test_certificate_rate(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-05T15:00:00")
    load(
        wh,
        [
            completed("u1", "c1", t),
            completed("u2", "c1", t),
            completed("u3", "c2", t),
            completed("u4", "c1", utc("2026-10-05T15:00:00")),  # completed in October
            completed("u4", "c1", t),  # completed again in November: still an October pair
        ],
    )
    load(
        wh,
        [
            track(
                "Certificate Downloaded",
                t + H,
                {"course_id": "c1"},
                user="u1",
                anon="a1",
                ua=DESKTOP,
            ),
            track(
                "Certificate Downloaded",
                utc("2026-12-20T10:00:00"),
                {"course_id": "c2"},
                user="u3",
                anon="a3",
                ua=DESKTOP,
            ),
            track(
                "Certificate Downloaded",
                t + H,
                {"course_id": "c2"},
                user="u2",
                anon="a2",
                ua=DESKTOP,
            ),  # other course
        ],
        key_trust="client",
    )
    ans = ask(wh, "certificate_rate", from_=NOV[0], to=NOV[1])
    # pairs: (u1,c1) yes, (u2,c1) no, (u3,c2) yes (downloaded later, "by now")
    assert ans["values"] == {
        "completed": 3,
        "with_certificate": 2,
        "certificate_rate": pytest.approx(2 / 3),
    }
    rows = {r["course_id"]: (r["completed"], r["with_certificate"]) for r in ans["rows"]}
    assert rows == {"c1": (2, 1), "c2": (1, 1)}
    empty = ask(wh, "certificate_rate", from_="2027-01-01", to="2027-02-01")
    assert empty["value"] is None and empty["rows"] == []


def _funnel_visitor(
    anon: str, t: dt.datetime, gaps_h: list[float], ua: str = DESKTOP
) -> list[dict]:
    """A visitor doing the purchase steps, step k at t + gaps_h[:k] summed."""
    names = ["Product Viewed", "Checkout Started", "Order Completed"]
    out = [page(anon, t, "/courses", ua)]
    at = t
    for name, gap in zip(names, gaps_h, strict=False):
        at = at + dt.timedelta(hours=gap)
        props = {"course_id": "c1"} if name == "Product Viewed" else {}
        if name == "Order Completed":
            props = {
                "order_id": f"o-{anon}",
                "revenue": 10,
                "products": [{"course_id": "c1", "price": 10}],
            }
        out.append(track(name, at, props, anon=anon, ua=ua))
    return out


def test_funnel_steps_within_seven_days(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-10T15:00:00")
    visitors = {
        "v1": [1, 1, 1],  # all four steps
        "v2": [1, 24],  # page, view, checkout
        "v3": [2, 24 * 7],  # checkout exactly 7 days after the first step (+2h): out of window
        "v4": [],  # page only
        "v5": [24 * 8],  # product view 8 days later: out of the window
    }
    msgs = []
    for anon, gaps in visitors.items():
        msgs += _funnel_visitor(anon, t, gaps)
    msgs += _funnel_visitor("bot", t, [1, 1, 1], ua=BOT)
    # first step before the period: not counted even with later steps inside
    msgs += _funnel_visitor("early", utc("2026-10-31T12:00:00"), [30, 1, 1])
    # first step late in the period, completed after its end: counted
    msgs += _funnel_visitor("late", utc("2026-11-30T20:00:00"), [48, 1, 1])
    # a step out of order does not count: checkout before the view
    out_of_order = [
        page("v6", t, "/x"),
        track("Checkout Started", t + H, {}, anon="v6", ua=DESKTOP),
        track("Product Viewed", t + 2 * H, {"course_id": "c1"}, anon="v6", ua=DESKTOP),
    ]
    load(wh, msgs + out_of_order, key_trust="server")

    # levels by hand: v1 4, v2 3, v3 2, v4 1, v5 1, late 4, v6 2
    levels = {"v1": 4, "v2": 3, "v3": 2, "v4": 1, "v5": 1, "late": 4, "v6": 2}
    reached = [sum(1 for lv in levels.values() if lv >= k) for k in range(1, 5)]
    ans = ask(wh, "funnel", from_=NOV[0], to=NOV[1])
    assert [r["visitors"] for r in ans["rows"]] == reached
    assert [r["event"] for r in ans["rows"]] == [
        "page",
        "Product Viewed",
        "Checkout Started",
        "Order Completed",
    ]
    assert ans["rows"][2]["step_conversion"] == pytest.approx(reached[2] / reached[1])
    assert ans["value"] == pytest.approx(reached[3] / reached[0])


def test_funnel_custom_steps_and_bad_steps(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-10T15:00:00")
    load(
        wh,
        [
            track("Products Searched", t, {"query": "ethics"}, anon="s1", ua=DESKTOP),
            track("Product Viewed", t + H, {"course_id": "c1"}, anon="s1", ua=DESKTOP),
            track("Products Searched", t, {"query": "x"}, anon="s2", ua=DESKTOP),
        ],
        key_trust="client",
    )
    ans = ask(wh, "funnel", from_=NOV[0], to=NOV[1], steps="Products Searched, Product Viewed")
    assert [(r["event"], r["visitors"]) for r in ans["rows"]] == [
        ("Products Searched", 2),
        ("Product Viewed", 1),
    ]
    assert ans["value"] == pytest.approx(0.5)
    with pytest.raises(BadRequest):
        ask(wh, "funnel", from_=NOV[0], to=NOV[1], steps="page")
    with pytest.raises(BadRequest):
        ask(wh, "funnel", from_=NOV[0], to=NOV[1], steps="a,,b")
    empty = ask(wh, "funnel", from_="2027-01-01", to="2027-02-01")
    assert [r["visitors"] for r in empty["rows"]] == [0, 0, 0, 0] and empty["value"] is None
