"""traffic, landing_pages, sessions, devices, return_visits, peak_usage,
signup_rate and search_usage over hand-built visits, through the real
collector enrichment, row building, writer and chDB.

Expected values come from the plain-Python session rules in
test_metrics_engagement_support, never from the SQL under test."""

from __future__ import annotations

import datetime as dt
from statistics import mean

import pytest

from tests.unit.test_metrics_engagement_support import (
    BOT,
    DESKTOP,
    MOBILE,
    TABLET,
    Ev,
    local,
    page,
    period,
    quantile_exact,
    sessionize,
    track,
    utc,
    within,
)
from tests.warehouse_support import ask, load

P = period("2026-11-02", "2026-11-03")  # CST: [06:00Z Nov 2, 06:00Z Nov 3)
GOOGLE = "https://www.google.com/"
OWN = "https://drtroy.example/"
FB = "https://www.facebook.com/"


def _visits(wh) -> list[Ev]:  # type: ignore[no-untyped-def]
    """Load the visits; return the reference's view of the non-bot visitor events."""
    refs: list[Ev] = []
    # A (desktop, US): a session from search starting before the period and
    # crossing its start, then a new one after a 50-minute gap.
    a = [
        (page("A", utc("2026-11-02T05:50:00"), "/home", referrer=GOOGLE), "search", "/home"),
        (page("A", utc("2026-11-02T06:10:00"), "/courses", referrer=OWN), "direct", "/courses"),
        (page("A", utc("2026-11-02T07:00:00"), "/pricing", referrer=OWN), "direct", "/pricing"),
        (page("A", utc("2026-11-02T07:05:00"), "/cart", referrer=OWN), "direct", "/cart"),
    ]
    load(wh, [m for m, _, _ in a], key_trust="client", client_ip="8.8.8.8")
    refs += [Ev("A", utc(m["timestamp"][:19]), "page", "desktop", ch, p, "US") for m, ch, p in a]
    # B (mobile, GB): email campaign, a product view, then 35 minutes later a
    # new direct session; the first page is delivered twice.
    b1 = page(
        "B",
        utc("2026-11-02T12:00:00"),
        "/promo",
        MOBILE,
        campaign={"medium": "email", "source": "news"},
    )
    b2 = track(
        "Product Viewed", utc("2026-11-02T12:05:00"), {"course_id": "c1"}, anon="B", ua=MOBILE
    )
    b3 = page("B", utc("2026-11-02T12:40:00"), "/courses", MOBILE)
    load(wh, [b1, b2, b3, b1], key_trust="client", client_ip="81.2.69.142")
    load(wh, [b1], key_trust="client", client_ip="81.2.69.142")
    refs += [
        Ev("B", utc("2026-11-02T12:00:00"), "page", "mobile", "email", "/promo", "GB"),
        Ev("B", utc("2026-11-02T12:05:00"), "Product Viewed", "mobile", "direct", "", "GB"),
        Ev("B", utc("2026-11-02T12:40:00"), "page", "mobile", "direct", "/courses", "GB"),
    ]
    # C: a crawler, out of everything.
    load(
        wh,
        [
            page("C", utc("2026-11-02T13:00:00"), "/home", BOT),
            page("C", utc("2026-11-02T13:01:00"), "/a", BOT),
        ],
        key_trust="client",
        client_ip="8.8.8.8",
    )
    # D (tablet, BR): a session starting at 23:50 local inside the period and
    # going on past its end; its second page is outside the period.
    d = [
        page("D", utc("2026-11-03T05:50:00"), "/home", TABLET),
        page("D", utc("2026-11-03T06:20:00"), "/courses", TABLET),
    ]
    load(wh, d, key_trust="client", client_ip="200.160.0.8")
    refs += [
        Ev("D", utc("2026-11-03T05:50:00"), "page", "tablet", "direct", "/home", "BR"),
        Ev("D", utc("2026-11-03T06:20:00"), "page", "tablet", "direct", "/courses", "BR"),
    ]
    # E (desktop, AU): from facebook, arriving 18 days late: counts in its own time.
    e = page("E", utc("2026-11-02T15:00:00"), "/blog", referrer=FB)
    load(wh, [e], key_trust="client", client_ip="1.1.1.1", received_at=utc("2026-11-20T10:00:00"))
    refs.append(Ev("E", utc("2026-11-02T15:00:00"), "page", "desktop", "social", "/blog", "AU"))
    # G: a server-only visit (an order carrying the browser's anonymousId, no
    # user agent): a visitor and a session with device 'unknown', no page.
    load(
        wh,
        [
            track(
                "Order Completed",
                utc("2026-11-02T16:00:00"),
                {"order_id": "o1", "revenue": 10, "products": [{"course_id": "c1", "price": 10}]},
                anon="G",
                user="ug",
            )
        ],
    )
    refs.append(Ev("G", utc("2026-11-02T16:00:00"), "Order Completed", "unknown", "", "", ""))
    # F: a userId-only event: no visitor, no session.
    load(wh, [track("Signed Up", utc("2026-11-02T17:00:00"), {"profession": "PT"}, user="uf")])
    return refs


def _expected(refs: list[Ev], key) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Per group value (key(session)): visitors with an event in the period,
    sessions starting in it, page events in it."""
    out: dict[str, dict[str, set | int]] = {}
    for s in sessionize(refs):
        g = out.setdefault(key(s), {"visitors": set(), "sessions": 0, "page_views": 0})
        in_p = [e for e in s.events if within(e.t, P)]
        if in_p:
            g["visitors"].add(s.anon)  # type: ignore[union-attr]
        g["sessions"] += int(within(s.start, P))  # type: ignore[operator]
        g["page_views"] += sum(1 for e in in_p if e.event == "page")  # type: ignore[operator]
    return {
        k: {
            "visitors": len(v["visitors"]),
            "sessions": v["sessions"],
            "page_views": v["page_views"],
        }  # type: ignore[arg-type]
        for k, v in out.items()
        if v["visitors"] or v["sessions"]
    }


def test_traffic_totals_and_groups(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    total = _expected(refs, lambda s: "")[""]
    ans = ask(wh, "traffic", from_="2026-11-02", to="2026-11-03")
    assert ans["values"] == total
    # by hand: visitors A, B, D, E, G; sessions A2, B1, B2, D, E, G; pages A3 B2 D1 E1
    assert total == {"visitors": 5, "sessions": 6, "page_views": 7}
    assert ans["rows"] == []
    for group, key in [
        ("channel", lambda s: s.channel),
        ("landing_page", lambda s: s.landing_page),
        ("device", lambda s: s.device),
        ("country", lambda s: s.events[0].country),
    ]:
        ans = ask(wh, "traffic", from_="2026-11-02", to="2026-11-03", group_by=group)
        got = {
            r[group]: {k: r[k] for k in ("visitors", "sessions", "page_views")} for r in ans["rows"]
        }
        assert got == _expected(refs, key), group
        assert ans["values"] == total
        assert sum(r["page_views"] for r in ans["rows"]) == total["page_views"]


def test_sessions_duration_and_bounce(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    started = [s for s in sessionize(refs) if within(s.start, P)]
    durations = [(s.end - s.start).total_seconds() for s in started]
    ans = ask(wh, "sessions", from_="2026-11-02", to="2026-11-03")
    v = ans["values"]
    assert v["sessions"] == len(started)
    assert v["mean_duration_s"] == pytest.approx(mean(durations))
    assert v["median_duration_s"] == pytest.approx(quantile_exact(durations, 0.5))
    bounces = sum(1 for s in started if len(s.pages) == 1)
    assert v["bounces"] == bounces
    assert v["bounce_rate"] == pytest.approx(bounces / len(started))
    # D's session started in the period and lasted 30 minutes, past its end
    assert 1800.0 in durations


def test_sessions_gap_of_exactly_30_minutes_is_one_session(wh) -> None:  # type: ignore[no-untyped-def]
    t0 = utc("2026-11-02T12:00:00")
    load(
        wh,
        [
            page("X", t0, "/a"),
            page("X", t0 + dt.timedelta(minutes=30), "/b"),
            page("X", t0 + dt.timedelta(minutes=60, milliseconds=1), "/c"),
        ],
        key_trust="client",
    )
    v = ask(wh, "sessions", from_="2026-11-02", to="2026-11-03")["values"]
    assert v["sessions"] == 2  # 30:00.000 keeps the session; 30:00.001 starts one
    assert v["mean_duration_s"] == pytest.approx((1800 + 0) / 2)


def test_landing_pages_conversion(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    # H lands on /promo and orders in the same session (server event, same anonymousId)
    t = utc("2026-11-02T18:00:00")
    load(wh, [page("H", t, "/promo", DESKTOP, referrer=GOOGLE)], key_trust="client")
    load(
        wh,
        [
            track(
                "Order Completed",
                t + dt.timedelta(minutes=10),
                {"order_id": "o2", "revenue": 20, "products": [{"course_id": "c1", "price": 20}]},
                anon="H",
                user="uh",
            )
        ],
    )
    refs += [
        Ev("H", t, "page", "desktop", "search", "/promo"),
        Ev("H", t + dt.timedelta(minutes=10), "Order Completed", "unknown"),
    ]
    want: dict[str, dict] = {}
    for s in sessionize(refs):
        if within(s.start, P) and s.landing_page:
            w = want.setdefault(
                s.landing_page, {"sessions": 0, "visitors": set(), "converted_sessions": 0}
            )
            w["sessions"] += 1
            w["visitors"].add(s.anon)
            w["converted_sessions"] += int(any(e.event == "Order Completed" for e in s.events))
    ans = ask(wh, "landing_pages", from_="2026-11-02", to="2026-11-03")
    got = {r["landing_page"]: r for r in ans["rows"]}
    assert set(got) == set(want)
    for lp, w in want.items():
        assert got[lp]["sessions"] == w["sessions"]
        assert got[lp]["visitors"] == len(w["visitors"])
        assert got[lp]["converted_sessions"] == w["converted_sessions"]
        assert got[lp]["conversion"] == pytest.approx(w["converted_sessions"] / w["sessions"])
    assert got["/promo"]["conversion"] == pytest.approx(0.5)  # B's did not convert, H's did


def test_devices_and_mobile_share(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    sessions = sessionize(refs)
    want: dict[str, dict] = {}
    for s in sessions:
        w = want.setdefault(s.device, {"sessions": 0, "visitors": set()})
        w["sessions"] += int(within(s.start, P))
        if any(within(e.t, P) for e in s.events):
            w["visitors"].add(s.anon)
    ans = ask(wh, "devices", from_="2026-11-02", to="2026-11-03")
    got = {r["device"]: (r["sessions"], r["visitors"]) for r in ans["rows"]}
    assert got == {d: (w["sessions"], len(w["visitors"])) for d, w in want.items()}
    assert "bot" not in got
    total = sum(w["sessions"] for w in want.values())
    mobile = sum(w["sessions"] for d, w in want.items() if d in ("mobile", "tablet"))
    assert ans["value"] == pytest.approx(mobile / total)


def test_return_visits(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    # E was here a week before: a returning visitor
    load(wh, [page("E", utc("2026-10-26T15:00:00"), "/blog")], key_trust="client")
    refs.append(Ev("E", utc("2026-10-26T15:00:00")))
    sessions = sessionize(refs)
    visitors = {s.anon for s in sessions for e in s.events if within(e.t, P)}
    starts = {a: sum(1 for s in sessions if s.anon == a and within(s.start, P)) for a in visitors}
    seen_before = {e.anon for e in refs if e.t < P[0]}
    v = ask(wh, "return_visits", from_="2026-11-02", to="2026-11-03")["values"]
    assert v["visitors"] == len(visitors)
    multi = sum(1 for n in starts.values() if n >= 2)
    assert v["multi_session_visitors"] == multi  # B
    assert v["multi_session_share"] == pytest.approx(multi / len(visitors))
    returning = len(visitors & seen_before)  # A (session before the period) and E
    assert v["returning_visitors"] == returning == 2
    assert v["returning_share"] == pytest.approx(returning / len(visitors))


def test_empty_period_gives_zeros_and_nulls(wh) -> None:  # type: ignore[no-untyped-def]
    _visits(wh)
    args = {"from_": "2030-01-01", "to": "2030-01-02"}
    assert ask(wh, "traffic", **args)["values"] == {"visitors": 0, "sessions": 0, "page_views": 0}
    assert ask(wh, "traffic", group_by="channel", **args)["rows"] == []
    s = ask(wh, "sessions", **args)["values"]
    assert s["sessions"] == 0 and s["mean_duration_s"] is None and s["bounce_rate"] is None
    assert ask(wh, "landing_pages", **args)["rows"] == []
    d = ask(wh, "devices", **args)
    assert d["rows"] == [] and d["value"] is None
    r = ask(wh, "return_visits", **args)["values"]
    assert r["visitors"] == 0 and r["multi_session_share"] is None and r["returning_share"] is None
    assert ask(wh, "peak_usage", **args)["rows"] == []
    su = ask(wh, "signup_rate", **args)
    assert su["value"] is None and su["values"]["visitors"] == 0
    se = ask(wh, "search_usage", **args)["values"]
    assert (
        se["searches"] == 0
        and se["zero_result_share"] is None
        and se["search_session_share"] is None
    )


def test_peak_usage_by_weekday_and_local_hour(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    cells: dict[tuple[int, int], dict] = {}
    for e in refs:
        if within(e.t, P):
            lt = e.t.astimezone(local("2026-11-02T00:00:00").tzinfo)
            c = cells.setdefault((lt.isoweekday(), lt.hour), {"visitors": set(), "events": 0})
            c["visitors"].add(e.anon)
            c["events"] += 1
    rows = ask(wh, "peak_usage", from_="2026-11-02", to="2026-11-03")["rows"]
    got = {(r["weekday"], r["hour"]): (r["visitors"], r["events"]) for r in rows}
    assert got == {k: (len(c["visitors"]), c["events"]) for k, c in cells.items()}
    assert (1, 23) in got  # D at 23:50 local on Monday, Nov 2


def test_signup_rate(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    load(
        wh,
        [track("Signed Up", utc("2026-11-02T12:10:00"), {"profession": "OT"}, anon="B", user="ub")],
    )
    visitors = {e.anon for e in refs if within(e.t, P)}
    signups = 2  # F (userId only) and B
    v = ask(wh, "signup_rate", from_="2026-11-02", to="2026-11-03")["values"]
    assert v == {
        "signups": signups,
        "visitors": len(visitors),
        "signup_rate": pytest.approx(signups / len(visitors)),
    }


def test_search_usage(wh) -> None:  # type: ignore[no-untyped-def]
    refs = _visits(wh)
    searches = [
        ("A", utc("2026-11-02T07:01:00"), " Ethics ", 4),
        ("A", utc("2026-11-02T07:02:00"), "ethics", 0),
        ("B", utc("2026-11-02T12:41:00"), "dry needling", 0),
        ("B", utc("2026-11-02T12:42:00"), "ethics", None),
    ]
    msgs = []
    for anon, t, q, n in searches:
        props = {"query": q} if n is None else {"query": q, "results_count": n}
        msgs.append(track("Products Searched", t, props, anon=anon, ua=DESKTOP))
        refs.append(Ev(anon, t, "Products Searched"))
    msgs.append(
        track(
            "Products Searched",
            utc("2026-11-02T13:02:00"),
            {"query": "x", "results_count": 0},
            anon="C",
            ua=BOT,
        )
    )
    load(wh, msgs, key_trust="client")
    load(wh, msgs[:1], key_trust="client")  # a duplicate delivery
    started = [s for s in sessionize(refs) if within(s.start, P)]
    with_search = sum(1 for s in started if any(e.event == "Products Searched" for e in s.events))
    ans = ask(wh, "search_usage", from_="2026-11-02", to="2026-11-03")
    v = ans["values"]
    assert v["searches"] == 4
    assert v["zero_result_searches"] == 2
    assert v["zero_result_share"] == pytest.approx(2 / 4)
    assert v["sessions"] == len(started)
    assert v["sessions_with_search"] == with_search == 2
    assert v["search_session_share"] == pytest.approx(with_search / len(started))
    assert ans["rows"][0] == {"query": "ethics", "searches": 3, "zero_result_searches": 1}
    assert ans["rows"][1] == {"query": "dry needling", "searches": 1, "zero_result_searches": 1}
