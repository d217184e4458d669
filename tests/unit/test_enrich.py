"""Pure enrichment rules, table-driven."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from drtroy_collector.enrich import (
    classify_channel,
    client_ip,
    corrected_time,
    host_of,
    ip_hash,
    parse_user_agent,
)

T0 = datetime(2026, 11, 3, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "timestamp, sent_at, expected",
    [
        # client clock 1 h fast: sent 10 s after the event by its clock
        (T0 + timedelta(hours=1), T0 + timedelta(hours=1, seconds=10), T0 - timedelta(seconds=10)),
        # client clock right, queued 5 min
        (T0 - timedelta(minutes=5), T0, T0 - timedelta(minutes=5)),
        # backfill without sentAt keeps its own timestamp
        (datetime(2025, 1, 1, tzinfo=UTC), None, datetime(2025, 1, 1, tzinfo=UTC)),
        (None, None, T0),
        (None, T0 - timedelta(days=1), T0),
    ],
)
def test_clock_skew_correction(
    timestamp: datetime | None, sent_at: datetime | None, expected: datetime
) -> None:
    assert corrected_time(T0, timestamp, sent_at) == expected


@pytest.mark.parametrize(
    "medium, source, referrer, expected",
    [
        ("email", "newsletter", "", "email"),
        ("Email", None, "https://www.google.com/", "email"),  # first match wins
        ("cpc", "google", "https://www.google.com/", "paid"),
        ("ppc", None, None, "paid"),
        ("paid", "facebook", None, "paid"),
        (None, None, "https://www.facebook.com/", "social"),
        (None, None, "https://l.instagram.com/", "social"),
        (None, None, "https://t.co/abc", "social"),
        (None, None, "https://x.com/drtroy", "social"),
        (None, None, "https://www.linkedin.com/feed", "social"),
        ("social", "newsletter-partner", None, "social"),
        (None, "facebook", None, "social"),
        (None, None, "https://www.google.com/search?q=ce", "search"),
        (None, None, "https://www.bing.com/", "search"),
        (None, None, "https://duckduckgo.com/", "search"),
        (None, None, "https://search.yahoo.com/", "search"),
        (None, None, "https://www.ecosia.org/", "search"),
        (None, None, "", "direct"),
        (None, None, None, "direct"),
        (None, None, "https://drtroy.example/courses", "direct"),
        (None, None, "https://www.apta.org/ce", "referral"),
        (None, None, "https://notgoogle.example.com/", "referral"),
    ],
)
def test_channel_rules(
    medium: str | None, source: str | None, referrer: str | None, expected: str
) -> None:
    assert classify_channel(medium, source, referrer, frozenset({"drtroy.example"})) == expected


def test_the_pages_own_host_counts_as_direct() -> None:
    assert (
        classify_channel(None, None, "https://school.test/a", frozenset(), "https://school.test/b")
        == "direct"
    )


@pytest.mark.parametrize(
    "ua, device",
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
            "desktop",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "desktop",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
            "tablet",
        ),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
            "bot",
        ),
        ("curl/8.5.0", "bot"),
        ("", "unknown"),
    ],
)
def test_device_class_from_user_agent(ua: str, device: str) -> None:
    assert parse_user_agent(ua)[2] == device


NETS = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]


@pytest.mark.parametrize(
    "peer, xff, expected",
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.1.2.3", "1.2.3.4", "1.2.3.4"),
        ("10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"),  # right-most untrusted hop
        ("127.0.0.1", "8.8.8.8", "8.8.8.8"),
        ("10.1.2.3", "", "10.1.2.3"),
    ],
)
def test_client_ip_honours_only_trusted_proxies(peer: str, xff: str | None, expected: str) -> None:
    assert client_ip(peer, xff, NETS) == expected


def test_ip_hash_is_salted_and_never_the_ip() -> None:
    a = ip_hash("8.8.8.8", "s1")
    assert a and "8.8.8.8" not in a and a == ip_hash("8.8.8.8", "s1")
    assert a != ip_hash("8.8.8.8", "s2") and ip_hash("", "s1") == ""


def test_host_of_strips_www_and_handles_junk() -> None:
    assert host_of("https://WWW.Google.com/x") == "google.com"
    assert host_of("not a url") == "" and host_of(None) == ""
