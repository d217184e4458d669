"""The simulator's stream: reproducible, valid under the right key, plausible."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
import user_agents
from drtroy_schemas import Refusal, validate_message
from geoip2fast import GeoIP2Fast

from drtroy_metrics.simulate import catalog as cat
from drtroy_metrics.simulate.generator import generate, live_window
from drtroy_metrics.simulate.model import SCHOOL_TZ, parse_ts, to_ms
from drtroy_metrics.simulate.truth import compute_truth, device_class

START = datetime(2026, 11, 2, 6, tzinfo=UTC)  # local midnight in Chicago


@cache
def fortnight() -> tuple:
    return tuple(generate(START, START + timedelta(days=14), seed=11, scale=0.5))


def test_same_seed_gives_identical_stream() -> None:
    a = generate(START, START + timedelta(days=1), seed=5, scale=0.15)
    b = generate(START, START + timedelta(days=1), seed=5, scale=0.15)
    assert a == b
    assert len(a) > 300


def test_different_seed_gives_different_stream() -> None:
    a = generate(START, START + timedelta(days=1), seed=5, scale=0.15)
    b = generate(START, START + timedelta(days=1), seed=6, scale=0.15)
    assert {c.message["messageId"] for c in a}.isdisjoint({c.message["messageId"] for c in b})


def test_a_shorter_period_is_a_slice_of_a_longer_one() -> None:
    long = generate(START, START + timedelta(days=2), seed=5, scale=0.1)
    short = generate(START, START + timedelta(days=1), seed=5, scale=0.1)
    cut = to_ms(START + timedelta(days=1))
    assert short == [c for c in long if to_ms(parse_ts(c.message["timestamp"])) < cut]


def test_stream_is_in_time_order_and_within_the_period() -> None:
    calls = fortnight()
    times = [parse_ts(c.message["timestamp"]) for c in calls]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < START + timedelta(days=14)


def test_every_message_validates_under_its_key() -> None:
    for call in fortnight():
        trust = "client" if call.key_kind == "browser" else "server"
        result = validate_message(call.message, trust)
        assert not isinstance(result, Refusal), (call.message.get("event"), result)


def test_browser_calls_carry_a_forwarded_ip_and_server_calls_do_not() -> None:
    for call in fortnight():
        if call.key_kind == "browser":
            assert call.forwarded_ip and call.message.get("anonymousId")
        else:
            assert call.forwarded_ip is None


def test_server_events_of_a_visit_carry_the_browsers_anonymous_id() -> None:
    calls = fortnight()
    browser_anons = {c.message["anonymousId"] for c in calls if c.key_kind == "browser"}
    for name in ("Order Completed", "Signed Up", "Signed In", "Course Completed"):
        evs = [c.message for c in calls if c.message.get("event") == name]
        assert evs, name
        assert all(m.get("userId") and m.get("anonymousId") in browser_anons for m in evs), name


def test_no_event_in_the_last_half_minute_before_local_midnight() -> None:
    for call in fortnight():
        local = parse_ts(call.message["timestamp"]).astimezone(SCHOOL_TZ)
        assert not (local.hour == 23 and local.minute == 59 and local.second >= 30)


def test_ips_geolocate_to_the_country_the_simulator_meant() -> None:
    geo = GeoIP2Fast()
    nets = [n for _, ns in cat.COUNTRY_NETWORKS.values() for n in ns] + [
        n for n, _ in cat.BOT_NETWORKS.values()
    ]
    for net in nets:
        network = ipaddress.ip_network(net)
        for ip in (network[1], network[network.num_addresses // 2], network[-2]):
            assert geo.lookup(str(ip)).country_code == cat.country_of(str(ip)), ip


@pytest.mark.parametrize("device", ["mobile", "tablet", "desktop", "bot"])
def test_user_agents_parse_to_their_device_class(device: str) -> None:
    for ua, *_ in cat.USER_AGENTS[device]:
        parsed = user_agents.parse(ua)
        got = (
            "bot"
            if parsed.is_bot
            else "tablet"
            if parsed.is_tablet
            else "mobile"
            if parsed.is_mobile
            else "desktop"
        )
        assert got == device == device_class(ua)


def test_shares_are_plausible() -> None:
    calls = fortnight()
    users = {
        c.message["userId"]: c.message["traits"] for c in calls if c.message["type"] == "identify"
    }
    prof = Counter(t["profession"] for t in users.values())
    assert len(users) > 200
    assert 0.28 <= prof["PT"] / len(users) <= 0.48
    assert 0.14 <= prof["OT"] / len(users) <= 0.3
    assert 0.72 <= sum(1 for t in users.values() if t["license_state"] == "TX") / len(users) <= 0.92
    truth = compute_truth(calls, date(2026, 11, 2), date(2026, 11, 16))
    assert 0.35 <= truth["devices"]["mobile_share"] <= 0.7
    assert truth["refund_rate"]["refund_rate"] < 0.1
    assert 0.02 <= truth["conversion_rate"]["conversion_rate"] <= 0.2
    pages = [c for c in calls if c.message["type"] == "page"]
    bots = sum(1 for c in pages if device_class(c.message["context"]["userAgent"]) == "bot")
    assert 0.01 <= bots / len(pages) <= 0.2
    us = sum(1 for c in pages if cat.country_of(c.forwarded_ip) == "US")
    assert us / len(pages) >= 0.85
    assert 0.15 <= truth["search_usage"]["zero_results_share"] <= 0.45
    assert 0.6 <= truth["certificate_rate"]["certificate_rate"] <= 0.98
    assert 0.4 <= truth["course_completion"]["completion_rate"] <= 0.9
    events = truth["event_counts"]
    for name in (
        "Coupon Denied",
        "Coupon Applied",
        "Sign In Failed",
        "Order Refunded",
        "JS Error",
        "NPS Submitted",
        "Course Rated",
        "Support Ticket Opened",
        "Expense Recorded",
        "Web Vitals",
    ):
        assert events.get(name, 0) > 0, name
    kinds = {r["coupon_kind"] for r in truth["coupon_kinds"]["rows"]}
    assert kinds == {"employee", "marketing", "partner"}
    # "" is a visit cut in half by the start of the generated period: no page event in it
    channels = {r["channel"] for r in truth["traffic"]["by_channel"]} - {""}
    assert channels == {"search", "social", "email", "paid", "direct", "referral"}


def test_orders_add_up() -> None:
    for call in fortnight():
        if call.message.get("event") == "Order Completed":
            p = call.message["properties"]
            lines = sum(round(x["price"] * 100) for x in p["products"])
            assert lines == round(p["subtotal"] * 100)
            assert round(p["subtotal"] * 100) - round(p["discount"] * 100) == round(
                p["revenue"] * 100
            )


def test_live_window_is_deterministic_and_valid() -> None:
    start = to_ms(datetime(2026, 11, 3, 1, tzinfo=UTC))
    a = live_window(3, start, 60_000, 600.0)
    assert a == live_window(3, start, 60_000, 600.0)
    assert any(c.message["type"] == "page" for c in a)
    for call in a:
        assert to_ms(parse_ts(call.message["timestamp"])) >= start
        trust = "client" if call.key_kind == "browser" else "server"
        assert not isinstance(validate_message(call.message, trust), Refusal)
