"""The buyer filters ``profession`` and ``state`` of the commerce metrics.

One hand-built event set (traits that change, a browser-key identify whose
traits must not count, orders without a known buyer, a re-delivered order,
refunds) goes through the collector and the aggregator into chDB; each
filtered metric is asked for every filter, and the expectation is computed in
plain Python: the buyer's latest non-empty trait by (time, messageId) from
server-key identify traits and Signed Up properties, then the metric over the
orders of the matching buyers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from drtroy_dashboard.app import create_app
from fastapi.testclient import TestClient

from drtroy_metrics.settings import Settings
from tests.unit.test_metrics_commerce_support import (
    RefOrder,
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
from tests.warehouse_support import ask, load

NOV = ("2026-11-01", "2026-12-01")
FILTERS: list[dict[str, str]] = [
    {},
    {"profession": "PT"},
    {"profession": "OT"},
    {"profession": "PTA"},
    {"profession": "COTA"},  # nobody: empty answers, not errors
    {"state": "TX"},
    {"state": "FL"},
    {"profession": "OT", "state": "TX"},
    {"profession": "PT", "state": "TX"},  # u2 is PT in CA, u1 was PT in TX before: nobody
]


def signed_up(user: str, ts: str, **props: Any) -> dict[str, Any]:
    return track("Signed Up", ts, user=user, **props)


SERVER_MSGS = [
    # u1: signs up PT in TX, later an identify makes them OT (state unchanged)
    signed_up("u1", "2026-10-01T12:00:00Z", profession="PT", license_state="TX"),
    identify("u1", "2026-11-20T12:00:00Z", profession="OT"),
    # u2: PT in CA
    identify("u2", "2026-09-01T12:00:00Z", profession="PT", license_state="CA"),
    # u3: PTA in TX, then moves to FL; the later identify has no profession
    identify("u3", "2026-09-01T12:00:00Z", profession="PTA", license_state="TX"),
    identify("u3", "2026-11-25T12:00:00Z", license_state="FL"),
    # orders: u1 x2 (one re-delivered), u2 (one in October too), u3, u4 and anonymous
    order(
        "f1",
        "u1",
        "2026-11-03T15:00:00Z",
        "100.00",
        coupon="STAFF",
        kind="employee",
        discount="20.00",
        lines=[("c1", "p1", "60.00"), ("c2", "p2", "60.00")],
    ),
    order("f2", "u1", "2026-11-10T15:00:00Z", "40.00", message_id="f2-a"),
    order("f2", "u1", "2026-11-10T15:00:05Z", "40.00", message_id="f2-b"),
    order("f3", "u2", "2026-10-15T15:00:00Z", "70.00"),
    order(
        "f4",
        "u2",
        "2026-11-12T15:00:00Z",
        "55.50",
        coupon="FALL",
        kind="marketing",
        discount="5.50",
        lines=[("c3", "p3", "61.00")],
    ),
    order(
        "f5",
        "u3",
        "2026-11-15T15:00:00Z",
        "80.00",
        coupon="FALL",
        kind="marketing",
        discount="10.00",
        lines=[("c1", "p1", "30.00"), ("c4", "p4", "60.00")],
    ),
    order("f6", "u4", "2026-11-16T15:00:00Z", "25.00"),
    order("f7", None, "2026-11-17T15:00:00Z", "12.00", anon="a-anon"),
    refund("f1", "u1", "2026-11-21T10:00:00Z", "30.00"),
    refund("f5", "u3", "2026-12-03T10:00:00Z", "80.00"),  # after the period: refund_rate only
    refund("f3", "u2", "2026-11-05T10:00:00Z", "70.00"),  # October order, November refund
    track("Coupon Applied", "2026-11-12T14:50:00Z", anon="a2", coupon="FALL"),
]
# A browser key's identify: its traits must not make u4 a TX PT buyer.
BROWSER_MSGS = [identify("u4", "2026-11-01T12:00:00Z", profession="PT", license_state="TX")]


def ref_traits() -> dict[str, dict[str, str]]:
    """Latest non-empty trait per user from server identify / Signed Up."""
    rows = []
    for m in SERVER_MSGS:
        if m["type"] == "identify":
            rows.append((m["userId"], utc(m["timestamp"]), m["messageId"], m["traits"]))
        elif m.get("event") == "Signed Up":
            rows.append((m["userId"], utc(m["timestamp"]), m["messageId"], m["properties"]))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for user, _, _, facts in sorted(rows, key=lambda r: (r[1], r[2])):
        for trait in ("profession", "license_state"):
            if facts.get(trait):
                out[user][trait] = facts[trait]
    return out


def buyer_matches(user: str, f: dict[str, str]) -> bool:
    traits = ref_traits().get(user, {})
    if f.get("profession") and traits.get("profession") != f["profession"]:
        return False
    return not f.get("state") or traits.get("license_state") == f["state"]


def kept_orders(f: dict[str, str]) -> dict[str, RefOrder]:
    return {k: o for k, o in ref_orders(SERVER_MSGS).items() if buyer_matches(o.user, f)}


def period_orders(f: dict[str, str], frm: str = NOV[0], to: str = NOV[1]) -> list[RefOrder]:
    return [o for o in kept_orders(f).values() if in_period(o.ts, frm, to)]


def money(x: Decimal) -> float:
    return float(x)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


@pytest.fixture
def loaded(wh):  # type: ignore[no-untyped-def]
    load(wh, SERVER_MSGS)
    load(wh, BROWSER_MSGS, key_trust="client")
    return wh


def _q(f: dict[str, str]) -> dict[str, str]:
    return {"from_": NOV[0], "to": NOV[1], **f}


def test_reference_traits_are_what_the_events_say() -> None:
    """The reference itself: u1 became OT, u3 moved to FL keeping PTA, u4 unknown."""
    t = ref_traits()
    assert t["u1"] == {"profession": "OT", "license_state": "TX"}
    assert t["u2"] == {"profession": "PT", "license_state": "CA"}
    assert t["u3"] == {"profession": "PTA", "license_state": "FL"}
    assert "u4" not in t
    # so the filters really narrow: by hand, from the events above
    assert sorted(o.order_id for o in period_orders({})) == ["f1", "f2", "f4", "f5", "f6", "f7"]
    assert sorted(o.order_id for o in period_orders({"state": "TX"})) == ["f1", "f2"]
    assert sorted(o.order_id for o in period_orders({"profession": "PT"})) == ["f4"]
    assert period_orders({"profession": "PT", "state": "TX"}) == []


@pytest.mark.parametrize(
    "f", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none"
)
def test_order_metrics_follow_the_buyer_filter(loaded, f) -> None:  # type: ignore[no-untyped-def]
    orders = period_orders(f)
    kept = kept_orders(f)
    revenue = sum((o.revenue for o in orders), Decimal(0))
    n = len(orders)

    # revenue: refunds dated in the period, of kept orders (or all without a filter)
    refunded = sum(
        (
            Decimal(r["properties"]["amount"])
            for r in refunds_of(SERVER_MSGS)
            if in_period(r["timestamp"], *NOV) and (not f or r["properties"]["order_id"] in kept)
        ),
        Decimal(0),
    )
    a = ask(loaded, "revenue", **_q(f))
    assert a["values"] == {
        "revenue": money(revenue),
        "refunds": money(refunded),
        "net_revenue": money(revenue - refunded),
        "orders": n,
    }

    a = ask(loaded, "aov", **_q(f))
    assert a["values"]["orders"] == n
    assert close(a["value"], money(revenue) / n if n else None)

    customers = {o.user for o in orders if o.user}
    a = ask(loaded, "revenue_per_customer", **_q(f))
    assert a["values"]["customers"] == len(customers)
    assert close(a["value"], money(revenue) / len(customers) if customers else None)

    refunded_ids = {r["properties"]["order_id"] for r in refunds_of(SERVER_MSGS)}
    a = ask(loaded, "refund_rate", **_q(f))
    hit = sum(1 for o in orders if o.order_id in refunded_ids)
    assert a["values"]["orders"] == n and a["values"]["refunded_orders"] == hit
    assert close(a["value"], hit / n if n else None)

    a = ask(loaded, "organic_share", **_q(f))
    organic = [o for o in orders if not o.coupon]
    organic_rev = sum((o.revenue for o in organic), Decimal(0))
    assert a["values"]["orders"] == n
    assert a["values"]["organic_orders"] == len(organic)
    assert close(a["value"], len(organic) / n if n else None)
    assert close(
        a["values"]["organic_revenue_share"], money(organic_rev / revenue) if revenue else None
    )


@pytest.mark.parametrize(
    "f", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none"
)
def test_customers_keep_a_kept_buyers_whole_history(loaded, f) -> None:  # type: ignore[no-untyped-def]
    start = dt.date.fromisoformat(NOV[0])
    end = dt.date.fromisoformat(NOV[1])
    history: dict[str, list[dt.date]] = defaultdict(list)
    for o in kept_orders(f).values():
        if o.user:
            history[o.user].append(local_day(o.ts))
    customers = {u for u, days in history.items() if any(start <= d < end for d in days)}
    new = {u for u in customers if min(history[u]) >= start}
    repeat = {u for u in customers if sum(1 for d in history[u] if d < end) >= 2}
    a = ask(loaded, "customers", **_q(f))
    assert a["values"]["customers"] == len(customers)
    assert a["values"]["new_customers"] == len(new)
    assert a["values"]["returning_customers"] == len(customers - new)
    assert a["values"]["repeat_customers"] == len(repeat)


@pytest.mark.parametrize(
    "f", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none"
)
def test_coupon_metrics_follow_the_buyer_filter(loaded, f) -> None:  # type: ignore[no-untyped-def]
    orders = period_orders(f)

    by_coupon: dict[str, list[RefOrder]] = defaultdict(list)
    for o in orders:
        if o.coupon:
            by_coupon[o.coupon].append(o)
    a = ask(loaded, "discount_codes", **_q(f))
    got = {r["coupon"]: r for r in a["rows"] if r["orders"]}
    assert set(got) == set(by_coupon)
    for coupon, os_ in by_coupon.items():
        assert got[coupon]["orders"] == len(os_)
        assert got[coupon]["revenue"] == money(sum((o.revenue for o in os_), Decimal(0)))
        assert got[coupon]["discount"] == money(sum((o.discount for o in os_), Decimal(0)))
    # sessions are visitors' and not narrowed: FALL was applied in one session
    fall = next(r for r in a["rows"] if r["coupon"] == "FALL")
    assert fall["sessions"] == 1

    by_kind: dict[str, list[RefOrder]] = defaultdict(list)
    for o in orders:
        if o.coupon or o.kind:
            by_kind[o.kind].append(o)
    a = ask(loaded, "coupon_kinds", **_q(f))
    assert {r["coupon_kind"]: (r["orders"], r["revenue"], r["discount"]) for r in a["rows"]} == {
        k: (
            len(v),
            money(sum((o.revenue for o in v), Decimal(0))),
            money(sum((o.discount for o in v), Decimal(0))),
        )
        for k, v in by_kind.items()
    }


@pytest.mark.parametrize(
    "f", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none"
)
def test_packages_and_seasonality_follow_the_buyer_filter(loaded, f) -> None:  # type: ignore[no-untyped-def]
    orders = period_orders(f)

    alloc: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, set[str]] = defaultdict(set)
    for o in orders:
        total = sum((price for _, price in o.lines), Decimal(0))
        for pkg, price in o.lines:
            alloc[pkg] += o.revenue * price / total
            counts[pkg].add(o.order_id)
    a = ask(loaded, "packages", **_q(f))
    got = {r["package_id"]: r for r in a["rows"]}
    assert set(got) == set(alloc)
    for pkg, rev in alloc.items():
        assert got[pkg]["orders"] == len(counts[pkg])
        assert abs(got[pkg]["revenue"] - float(rev)) < 1e-6

    a = ask(loaded, "seasonality", **_q(f))
    nov = next(r for r in a["rows"] if r["month"] == 11)
    assert (nov["orders"] or 0) == len(orders)
    assert (nov["revenue"] or 0) == money(sum((o.revenue for o in orders), Decimal(0)))


def test_filters_for_a_revenue_series_keep_only_matching_days(loaded) -> None:  # type: ignore[no-untyped-def]
    f = {"state": "TX"}
    days: dict[str, Decimal] = defaultdict(Decimal)
    for o in period_orders(f):
        days[local_day(o.ts).isoformat()] += o.revenue
    a = ask(loaded, "revenue", interval="day", **_q(f))
    got = {r["day"]: r["revenue"] for r in a["rows"] if r["revenue"]}
    assert got == {d: money(v) for d, v in days.items()}


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("profession=pt", "'profession' must be one of"),
        ("profession=Nurse", "'profession' must be one of"),
        ("state=Texas", "'state' must be one of"),
        ("state=XX", "'state' must be one of"),
        ("state=tx", "'state' must be one of"),
    ],
)
def test_a_bad_filter_is_a_400_with_the_reason(wh, query, needle) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(Settings(), wh))
    r = client.get(f"/api/v1/metrics/revenue?from=2026-11-01&to=2026-12-01&{query}")
    assert r.status_code == 400
    assert needle in r.text


def test_the_catalog_lists_the_filters_of_the_filtered_metrics(wh) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(Settings(), wh))
    listed = {m["name"]: m for m in client.get("/api/v1/metrics").json()["metrics"]}
    for name in (
        "revenue",
        "aov",
        "revenue_per_customer",
        "customers",
        "refund_rate",
        "discount_codes",
        "organic_share",
        "coupon_kinds",
        "packages",
        "seasonality",
    ):
        params = {p["name"]: p for p in listed[name]["parameters"]}
        assert params["profession"]["choices"] == ["PT", "OT", "PTA", "COTA", "other"]
        assert "TX" in params["state"]["choices"] and len(params["state"]["choices"]) == 56


def test_an_empty_filter_means_no_filter(wh) -> None:  # type: ignore[no-untyped-def]
    load(wh, SERVER_MSGS)
    client = TestClient(create_app(Settings(), wh))
    base = "/api/v1/metrics/revenue?from=2026-11-01&to=2026-12-01"
    plain = client.get(base).json()
    empty = client.get(base + "&profession=&state=").json()
    assert empty["values"] == plain["values"] and plain["values"]["orders"] > 0
