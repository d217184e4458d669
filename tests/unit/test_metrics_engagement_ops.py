"""uptime, page_speed, error_rate, support_tickets, login_success,
feature_usage and live over hand-built events, plus periods across both DST
changes; expected values in plain Python."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.test_metrics_engagement_support import (
    BOT,
    CHICAGO,
    DESKTOP,
    MOBILE,
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

M = dt.timedelta(minutes=1)


def check(target: str, t: dt.datetime, ok: bool, latency: float) -> dict:
    return track(
        "Uptime Check",
        t,
        {
            "target": target,
            "url": f"https://{target}/",
            "ok": ok,
            "status_code": 200 if ok else 503,
            "latency_ms": latency,
        },
        user="prober",
    )


def test_uptime_checks_latency_and_incidents(wh) -> None:  # type: ignore[no-untyped-def]
    t0 = utc("2026-11-02T06:00:00")  # 00:00 Nov 2 local
    # site: a failure run that began the evening before (not an incident of the
    # period), two runs in the period, and one still going on at the end.
    pattern = {
        "site": [
            (-2, False),
            (-1, False),
            (0, False),
            (1, True),
            (2, True),
            (3, False),
            (4, False),
            (5, True),
            (6, False),
            (7, True),
            (1438, False),
            (1439, False),
            (1441, False),
        ],
        "api": [(0, True), (1, True), (2, True)],
    }
    latencies = {"site": [], "api": []}
    msgs = []
    for target, checks in pattern.items():
        for i, (m, ok) in enumerate(checks):
            lat = 100.0 + 7 * i + (50 if target == "api" else 0)
            msgs.append(check(target, t0 + m * M, ok, lat))
            if 0 <= m < 1440:
                latencies[target].append(lat)
    load(wh, msgs)
    load(wh, msgs[3:5])  # redelivered checks count once
    ans = ask(wh, "uptime", from_="2026-11-02", to="2026-11-03")
    rows = {r["target"]: r for r in ans["rows"]}
    for target, checks in pattern.items():
        inside = [(m, ok) for m, ok in checks if 0 <= m < 1440]
        r = rows[target]
        assert r["checks"] == len(inside)
        assert r["ok_checks"] == sum(ok for _, ok in inside)
        assert r["uptime"] == pytest.approx(sum(ok for _, ok in inside) / len(inside))
        assert r["p50_ms"] == quantile_exact(latencies[target], 0.5)
        assert r["p95_ms"] == quantile_exact(latencies[target], 0.95)

    def at(m: int) -> str:
        return (t0 + m * M).replace(tzinfo=None).isoformat()

    assert rows["site"]["incidents"] == [
        {"start": at(3), "end": at(4), "failed_checks": 2, "resolved_at": at(5)},
        {"start": at(6), "end": at(6), "failed_checks": 1, "resolved_at": at(7)},
        {"start": at(1438), "end": at(1441), "failed_checks": 3, "resolved_at": None},
    ]
    assert rows["api"]["incidents"] == []
    checks = sum(r["checks"] for r in rows.values())
    assert ans["values"]["checks"] == checks and ans["values"]["incidents"] == 3
    empty = ask(wh, "uptime", from_="2027-01-01", to="2027-01-02")
    assert empty["rows"] == [] and empty["value"] is None


def test_page_speed_percentiles_per_page(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-02T15:00:00")
    samples = {"/a": ([800, 1200, 950, 2000], [1500, 2500, 1800]), "/b": ([400], [900])}
    msgs = []
    n = 0
    for path, (loads, lcps) in samples.items():
        for i, ms in enumerate(loads):
            n += 1
            if i % 2 == 0:  # some load times on the page call ...
                msgs.append(page(f"v{n}", t + n * M, path, props={"load_ms": ms}))
            else:  # ... others only in Web Vitals, with a plain page call
                msgs.append(page(f"v{n}", t + n * M, path))
                msgs.append(
                    track(
                        "Web Vitals",
                        t + n * M,
                        {"load_ms": ms},
                        anon=f"v{n}",
                        ua=DESKTOP,
                        path=path,
                    )
                )
        for ms in lcps:
            n += 1
            msgs.append(
                track(
                    "Web Vitals",
                    t + n * M,
                    {"lcp_ms": ms, "fcp_ms": 300},
                    anon=f"v{n}",
                    ua=MOBILE,
                    path=path,
                )
            )
    # a bot's slow load and a page view: out
    msgs.append(page("bot", t, "/a", BOT, props={"load_ms": 99999}))
    load(wh, msgs, key_trust="client")
    load(wh, msgs[:2], key_trust="client")

    all_loads = [x for ls, _ in samples.values() for x in ls]
    all_lcps = [x for _, cs in samples.values() for x in cs]
    v = ask(wh, "page_speed", from_="2026-11-02", to="2026-11-03")["values"]
    assert v == {
        "page_views": sum(len(ls) for ls, _ in samples.values()),
        "load_ms_p50": quantile_exact(all_loads, 0.5),
        "load_ms_p75": quantile_exact(all_loads, 0.75),
        "lcp_ms_p50": quantile_exact(all_lcps, 0.5),
        "lcp_ms_p75": quantile_exact(all_lcps, 0.75),
    }
    rows = ask(wh, "page_speed", from_="2026-11-02", to="2026-11-03", group_by="page")["rows"]
    got = {r["page"]: r for r in rows}
    for path, (loads, lcps) in samples.items():
        assert got[path]["load_ms_p50"] == quantile_exact(loads, 0.5)
        assert got[path]["load_ms_p75"] == quantile_exact(loads, 0.75)
        assert got[path]["lcp_ms_p75"] == quantile_exact(lcps, 0.75)
    empty = ask(wh, "page_speed", from_="2027-01-01", to="2027-01-02")["values"]
    assert empty["page_views"] == 0 and empty["load_ms_p50"] is None


def test_error_rate_and_messages(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-02T15:00:00")
    pages = [page(f"v{i}", t + i * M, "/a") for i in range(8)]
    errors = [
        track("JS Error", t + M, {"message": "x is undefined"}, anon="v1", ua=DESKTOP, path="/a"),
        track(
            "JS Error", t + 2 * M, {"message": "x is undefined"}, anon="v2", ua=DESKTOP, path="/a"
        ),
        track("JS Error", t + 3 * M, {"message": "network"}, anon="v3", ua=DESKTOP, path="/a"),
        track("JS Error", t, {"message": "bot only"}, anon="bot", ua=BOT),
        track(
            "JS Error", utc("2026-11-03T07:00:00"), {"message": "next day"}, anon="v1", ua=DESKTOP
        ),
    ]
    load(wh, pages + errors + [page("bot", t, "/a", BOT)], key_trust="client")
    load(wh, errors[:1], key_trust="client")
    ans = ask(wh, "error_rate", from_="2026-11-02", to="2026-11-03")
    assert ans["values"] == {"errors": 3, "page_views": 8, "error_rate": pytest.approx(3 / 8)}
    assert ans["rows"] == [
        {"error_message": "x is undefined", "errors": 2},
        {"error_message": "network", "errors": 1},
    ]
    # zero page views: the rate is null, not an error
    z = ask(wh, "error_rate", from_="2026-11-03", to="2026-11-04")
    assert z["values"] == {"errors": 1, "page_views": 0, "error_rate": None}


def test_support_tickets_by_category_and_day(wh) -> None:  # type: ignore[no-untyped-def]
    def ticket(tid: str, t: dt.datetime, cat: str) -> dict:
        return track(
            "Support Ticket Opened",
            t,
            {"ticket_id": tid, "category": cat, "channel": "email"},
            user="u",
        )

    msgs = [
        ticket("k1", utc("2026-11-02T15:00:00"), "billing"),
        ticket("k2", utc("2026-11-03T05:30:00"), "login"),  # 23:30 Nov 2 local
        ticket("k3", utc("2026-11-03T16:00:00"), "billing"),
        ticket("k1", utc("2026-11-03T17:00:00"), "billing"),  # the same ticket sent again later
        ticket("k0", utc("2026-10-30T16:00:00"), "login"),  # before the period
    ]
    load(wh, msgs)
    ans = ask(wh, "support_tickets", from_="2026-11-02", to="2026-11-05")
    assert ans["value"] == 3
    assert ans["by_category"] == [
        {"category": "billing", "tickets": 2},
        {"category": "login", "tickets": 1},
    ]
    assert ans["by_day"] == [
        {"day": "2026-11-02", "tickets": 2},
        {"day": "2026-11-03", "tickets": 1},
        {"day": "2026-11-04", "tickets": 0},
    ]


def test_login_success(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-02T15:00:00")
    msgs = [track("Signed In", t + i * M, {"method": "password"}, user=f"u{i}") for i in range(3)]
    msgs += [
        track("Sign In Failed", t, {"method": "password", "reason": "bad password"}, user="u9")
    ]
    msgs += [track("Signed In", t, {"method": "google"}, user="u8")]
    load(wh, msgs)
    load(wh, msgs[:1])
    ans = ask(wh, "login_success", from_="2026-11-02", to="2026-11-03")
    assert ans["values"] == {
        "signed_in": 4,
        "sign_in_failed": 1,
        "login_success": pytest.approx(4 / 5),
    }
    rows = {r["method"]: r["login_success"] for r in ans["rows"]}
    assert rows == {"password": pytest.approx(3 / 4), "google": 1.0}
    assert ask(wh, "login_success", from_="2027-01-01", to="2027-01-02")["value"] is None


def test_feature_usage(wh) -> None:  # type: ignore[no-untyped-def]
    t = utc("2026-11-02T15:00:00")
    uses = [
        ("notes", "u1", "a1"),
        ("notes", "u1", "a1"),
        ("notes", None, "a2"),
        ("quiz", "u2", "a3"),
    ]
    msgs = [
        track("Feature Used", t + i * M, {"feature": f}, user=u, anon=a, ua=DESKTOP)
        for i, (f, u, a) in enumerate(uses)
    ]
    msgs.append(track("Feature Used", t, {"feature": "notes"}, anon="b", ua=BOT))
    load(wh, msgs, key_trust="client")
    rows = ask(wh, "feature_usage", from_="2026-11-02", to="2026-11-03")["rows"]
    want = {}
    for f in {u[0] for u in uses}:
        mine = [u for u in uses if u[0] == f]
        want[f] = {
            "feature": f,
            "events": len(mine),
            "users": len({u for _, u, _ in mine if u}),
            "visitors": len({a for _, _, a in mine}),
        }
    assert {r["feature"]: r for r in rows} == want


def test_live_recent_traffic(wh) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    this_minute = now.replace(second=0, microsecond=0)
    msgs = [
        page("l1", this_minute - 2 * M + dt.timedelta(seconds=5), "/a"),
        page("l2", this_minute - 2 * M + dt.timedelta(seconds=6), "/a"),
        page("l1", this_minute - 3 * M, "/b"),
        page("bot", this_minute - 1 * M, "/a", BOT),  # counted in throughput only
        page("old", now - dt.timedelta(minutes=40), "/c"),  # outside both windows
    ]
    load(wh, msgs, key_trust="client", received_at=now)
    ans = ask(wh, "live", minutes=15, limit=5)
    rows = ans["rows"]
    assert len(rows) == 15
    counted = sum(r["events"] for r in rows)
    # events in the 15 complete minutes before the current one
    lo = this_minute - 15 * M
    want = sum(1 for m in msgs if lo <= utc(m["timestamp"][:23]) < this_minute)
    if (
        dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) == this_minute
    ):  # no minute rolled over
        assert counted == want == 4
        assert ans["value"] == pytest.approx(want / (15 * 60))
    assert ans["values"]["active_visitors"] == 2
    assert ans["top_pages"][0] == {"page": "/a", "views": 2, "visitors": 2}
    assert "pipeline" not in ans


def test_live_merges_pipeline_health() -> None:
    from drtroy_metrics.metric_defs.engagement import shape_live

    rows = [{"per_minute": [], "active_visitors": 0, "top_pages": []}]
    out = shape_live(rows, {"minutes": 5, "pipeline": {"consumer_lag": 12, "collector": "up"}})
    assert out["pipeline"] == {"consumer_lag": 12, "collector": "up"}
    assert out["values"]["consumer_lag"] == 12


# ---- daylight saving time ----------------------------------------------------------


@pytest.mark.parametrize(
    ("frm", "to", "hours"),
    [("2026-03-08", "2026-03-09", 23), ("2026-11-01", "2026-11-02", 25)],
)
def test_dst_days_lose_and_double_nothing(wh, frm: str, to: str, hours: int) -> None:  # type: ignore[no-untyped-def]
    """One visitor-event every 20 minutes from the day before to the day after:
    the DST day gets exactly the events of its 23 or 25 hours, hourly and
    weekday cells in local time, and the rollups (page views, page speed) agree."""
    p = period(frm, to)
    day_before = (dt.date.fromisoformat(frm) - dt.timedelta(days=1)).isoformat()
    day_after = (dt.date.fromisoformat(to) + dt.timedelta(days=1)).isoformat()
    assert (p[1] - p[0]).total_seconds() == hours * 3600
    start = local(f"{day_before}T00:00:00").astimezone(dt.UTC)
    end = local(f"{day_after}T00:00:00").astimezone(dt.UTC)
    msgs, refs = [], []
    t = start
    i = 0
    while t < end:
        anon = f"d{i % 5}"
        msgs.append(page(anon, t, f"/p{i % 3}", props={"load_ms": 100 + i}))
        refs.append(Ev(anon, t, "page", "desktop", "direct", f"/p{i % 3}"))
        t += dt.timedelta(minutes=20)
        i += 1
    load(wh, msgs, key_trust="client")
    inside = [e for e in refs if within(e.t, p)]
    assert len(inside) == hours * 3
    tr = ask(wh, "traffic", from_=frm, to=to)["values"]
    started = [s for s in sessionize(refs) if within(s.start, p)]
    assert tr == {
        "visitors": len({e.anon for e in inside}),
        "sessions": len(started),
        "page_views": len(inside),
    }
    cells: dict[tuple[int, int], int] = {}
    for e in inside:
        lt = e.t.astimezone(CHICAGO)
        cells[(lt.isoweekday(), lt.hour)] = cells.get((lt.isoweekday(), lt.hour), 0) + 1
    rows = ask(wh, "peak_usage", from_=frm, to=to)["rows"]
    assert {(r["weekday"], r["hour"]): r["events"] for r in rows} == cells
    assert len(cells) == 24 - (
        1 if hours == 23 else 0
    )  # 02:00 missing in March; 01:00 twice in November
    if hours == 25:
        assert cells[(7, 1)] == 6
    speed = ask(wh, "page_speed", from_=frm, to=to)["values"]
    loads = [100 + k for k, e in enumerate(refs) if within(e.t, p)]
    assert speed["page_views"] == len(inside)
    assert speed["load_ms_p50"] == quantile_exact(loads, 0.5)
    # the days either side add up with the DST day to the three days
    before = ask(wh, "traffic", from_=day_before, to=frm)["values"]
    three = ask(wh, "traffic", from_=day_before, to=day_after)["values"]
    after = ask(wh, "traffic", from_=to, to=day_after)["values"]
    assert (
        before["page_views"] + tr["page_views"] + after["page_views"]
        == three["page_views"]
        == len(refs)
    )
