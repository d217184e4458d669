"""Pure enrichment rules: skew correction, channel, user agent, IP handling.

Each function is pure (or a pure lookup) so it gets a table-driven test.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

# ---- time -------------------------------------------------------------------


def corrected_time(
    received_at: datetime,
    timestamp: datetime | None,
    sent_at: datetime | None,
) -> datetime:
    """Segment's clock-skew correction: ``receivedAt - (sentAt - timestamp)``
    when both client times are present; the client timestamp alone when only
    it is present (backfills and imports carry no sentAt); else receivedAt."""
    if timestamp is not None and sent_at is not None:
        return received_at - (sent_at - timestamp)
    if timestamp is not None:
        return timestamp
    return received_at


# ---- channel ----------------------------------------------------------------

SOCIAL_HOSTS = (
    "facebook", "instagram", "linkedin", "lnkd.in", "twitter", "x.com", "t.co",
    "youtube", "youtu.be", "tiktok", "pinterest", "reddit",
)  # fmt: skip
SEARCH_HOSTS = ("google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia")
PAID_MEDIA = ("cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "cpm", "display")


def host_of(url: str | None) -> str:
    """The lower-case host of a URL without a leading ``www.``; '' if none."""
    if not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _host_matches(host: str, names: Iterable[str]) -> bool:
    labels = host.split(".")
    for name in names:
        if "." in name:
            if host == name or host.endswith("." + name):
                return True
        elif name in labels:
            return True
    return False


def classify_channel(
    medium: str | None,
    source: str | None,
    referrer: str | None,
    own_hosts: frozenset[str] = frozenset(),
    page_url: str | None = None,
) -> str:
    """The channel of metrics.md, rules applied top to bottom, first match wins:
    email -> paid -> social -> search -> direct -> referral.

    ``source`` (utm_source) counts like the referrer host for the social and
    search rules (a campaign tagged utm_source=facebook is social traffic).
    The page's own host is always "own", so internal navigation is direct.
    """
    m = (medium or "").strip().lower()
    src = (source or "").strip().lower()
    ref_host = host_of(referrer)
    own = set(own_hosts)
    page_host = host_of(page_url)
    if page_host:
        own.add(page_host)
    if m == "email":
        return "email"
    if m in PAID_MEDIA:
        return "paid"
    if m == "social" or _host_matches(ref_host, SOCIAL_HOSTS) or _host_matches(src, SOCIAL_HOSTS):
        return "social"
    if _host_matches(ref_host, SEARCH_HOSTS) or _host_matches(src, SEARCH_HOSTS):
        return "search"
    if not ref_host or ref_host in own or any(ref_host.endswith("." + h) for h in own):
        return "direct"
    return "referral"


# ---- user agent -------------------------------------------------------------

_BOT_WORDS = (
    "bot", "crawl", "spider", "slurp", "headlesschrome", "lighthouse", "curl/", "wget/",
    "python-requests", "python-httpx", "httpclient", "pingdom", "uptime", "monitor",
    "facebookexternalhit", "preview", "scrapy", "go-http-client", "okhttp", "axios/",
)  # fmt: skip


@lru_cache(maxsize=4096)
def parse_user_agent(ua: str | None) -> tuple[str, str, str]:
    """(browser family, OS family, device class) from a user-agent string.

    Device class is ``mobile``, ``tablet``, ``desktop``, ``bot`` or ``unknown``
    (no user agent: server-side events).
    """
    if not ua:
        return "", "", "unknown"
    from user_agents import parse  # heavy import, done once on first use

    low = ua.lower()
    parsed = parse(ua)
    browser = parsed.browser.family or ""
    os_name = parsed.os.family or ""
    if parsed.is_bot or any(w in low for w in _BOT_WORDS):
        return browser, os_name, "bot"
    if parsed.is_tablet:
        return browser, os_name, "tablet"
    if parsed.is_mobile:
        return browser, os_name, "mobile"
    return browser, os_name, "desktop"


# ---- IP ---------------------------------------------------------------------


def client_ip(
    peer: str | None,
    forwarded_for: str | None,
    trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str:
    """The client address: the connection's peer, or, when the peer is a trusted
    proxy, the right-most untrusted address of X-Forwarded-For."""
    if not peer:
        return ""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _trusted(addr: str, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def ip_hash(ip: str, salt: str) -> str:
    """A salted hash of the client IP (the raw IP is never stored)."""
    if not ip:
        return ""
    return hashlib.sha256(f"{salt}|{ip}".encode()).hexdigest()[:32]


class GeoLookup:
    """Country from the IP with data shipped in a package (geoip2fast); US state
    (region) only when a MaxMind-format city database is configured."""

    def __init__(self, city_db: str = ""):
        from geoip2fast import GeoIP2Fast

        self._country = GeoIP2Fast()
        self._city = None
        if city_db:
            import maxminddb

            self._city = maxminddb.open_database(city_db)

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per process
    def lookup(self, ip: str) -> tuple[str, str]:
        """(ISO country code, region code) or ('', '') when unknown/private."""
        if not ip:
            return "", ""
        country = ""
        try:
            r = self._country.lookup(ip)
            code = getattr(r, "country_code", "") or ""
            country = code if len(code) == 2 and code.isalpha() else ""
        except Exception:
            country = ""
        region = ""
        if self._city is not None:
            try:
                rec = self._city.get(ip) or {}
                subs = rec.get("subdivisions") or []
                if subs:
                    region = subs[0].get("iso_code", "") or ""
                if not country:
                    country = (rec.get("country") or {}).get("iso_code", "") or ""
            except Exception:
                region = ""
        return country, region
