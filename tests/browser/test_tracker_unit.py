"""tracker.js in real headless Chromium, against a fake collector.

The site and the collector are two origins on 127.0.0.1 (as in production,
where the collector has its own host), so CORS and the no-preflight
text/plain body are exercised too. The full test against the real pipeline
(collector, broker, chDB) lives next to this file once the collector lands.
"""

from __future__ import annotations

import gzip
import itertools
import time
from typing import Any

import pytest

from .conftest import TRACKER

pytestmark = pytest.mark.browser

MAX_GZIP = 3000  # "3 KB", read strictly
_keys = itertools.count(1)

# The embed snippet, exactly as docs/tracker.md documents it.
SNIPPET = """<script>
!function(){var d=window.drtroy=window.drtroy||[];if(d._v)return;["track","page","identify","reset","optOut","optIn","flush"].forEach(function(m){d[m]=d[m]||function(){d.push([m].concat([].slice.call(arguments)))}})}();
</script>
<script async src="{collector}/tracker.js" data-write-key="{key}"></script>"""

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
{pre}
{snippet}
{early}
</head>
<body>
<h1>Texas Ethics &amp; Jurisprudence</h1>
<p>Four CE hours for PTs and OTs licensed in Texas.</p>
<a id="out" href="https://partner.example.org/offer?x=1">partner</a>
<a id="pdf" href="/files/certificate-123.pdf">certificate</a>
<a id="in" href="/t/other/page">internal</a>
<script>
// the test links must not navigate away
document.addEventListener('click', function (e) {{ if (e.target.closest('a')) e.preventDefault() }});
window.boom = function () {{ throw new Error('boom') }};
</script>
</body></html>"""


def new_key() -> str:
    return f"browser-key-{next(_keys)}-{time.time_ns()}"


def make_page(
    site: Any,
    collector_url: str,
    name: str,
    key: str,
    *,
    pre: str = "",
    early: str = "",
    title: str = "Test page",
) -> None:
    snippet = SNIPPET.replace("{collector}", collector_url).replace("{key}", key)
    site.pages[name] = PAGE.format(title=title, pre=pre, snippet=snippet, early=early)


def by_type(events: list[dict[str, Any]], t: str, name: str | None = None) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == t and (name is None or e.get("event") == name)]


def wait_quiet(seconds: float) -> None:
    time.sleep(seconds)


def test_tracker_size() -> None:
    raw = TRACKER.read_bytes()
    size = len(gzip.compress(raw, 9))
    print(f"\ntracker.js: {len(raw)} bytes, {size} bytes gzipped (limit {MAX_GZIP})")
    assert size <= MAX_GZIP


def test_capture_spa_clicks_errors_vitals(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    make_page(
        s,
        curl,
        "main",
        key,
        title="Landing",
        early="<script>drtroy.track('Early Event', {n: 1})</script>",
    )
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(
        f"{surl}/t/main/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
        referer="https://www.google.com/",
    )

    got = fake.wait(
        key, lambda ev: len(by_type(ev, "page")) >= 1 and by_type(ev, "track", "Early Event")
    )
    first = by_type(got, "page")[0]
    assert first["context"]["page"]["path"] == "/t/main/landing"
    assert first["context"]["page"]["referrer"] == "https://www.google.com/"
    assert first["context"]["campaign"] == {
        "source": "newsletter",
        "medium": "email",
        "name": "spring",
    }
    assert first["context"]["library"]["name"] == "drtroy-tracker"
    for f in ("userAgent", "locale", "timezone", "session_id"):
        assert first["context"][f], f
    assert first["context"]["screen"]["width"] > 0
    assert first["name"] == "Landing" and first["properties"]["path"] == "/t/main/landing"
    assert by_type(got, "track", "Early Event")[0]["properties"] == {"n": 1}  # queued before load

    # two SPA navigations; a repeated pushState, a replaceState of the same path+search and a
    # hash change are not new views
    page.evaluate("history.pushState({}, '', '/t/main/courses?cat=ethics')")
    page.wait_for_timeout(250)
    page.evaluate("history.pushState({}, '', '/t/main/courses?cat=ethics')")
    page.evaluate("history.replaceState({}, '', '/t/main/courses?cat=ethics#top')")
    page.wait_for_timeout(250)
    page.evaluate("document.title = 'Cart'; history.pushState({}, '', '/t/main/cart')")
    page.wait_for_timeout(250)
    page.evaluate("location.hash = 'x'")

    page.evaluate("drtroy.track('Feature Used', {feature: 'search'})")
    page.click("#out")
    page.click("#pdf")
    page.evaluate("setTimeout(boom); setTimeout(boom); Promise.reject(new Error('nope')); 0")
    got = fake.wait(
        key,
        lambda ev: (
            len(by_type(ev, "track", "JS Error")) >= 2 and by_type(ev, "track", "File Downloaded")
        ),
    )

    # hidden twice, then the page goes away: Web Vitals once
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    got = fake.wait(key, lambda ev: by_type(ev, "track", "Web Vitals"))
    make_page(s, curl, "next", key, title="Next")
    page.goto(f"{surl}/t/next/page")
    got = fake.wait(key, lambda ev: len(by_type(ev, "page")) >= 4)
    wait_quiet(1.5)
    got = fake.unique(key)

    pages = by_type(got, "page")
    assert [p["context"]["page"]["path"] for p in pages] == [
        "/t/main/landing",
        "/t/main/courses",
        "/t/main/cart",
        "/t/next/page",
    ]
    assert pages[1]["context"]["page"]["search"] == "?cat=ethics"
    assert pages[1]["context"]["page"]["referrer"].endswith(
        "/t/main/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring"
    )
    assert pages[2]["name"] == "Cart"
    assert by_type(got, "track", "Feature Used")[0]["properties"] == {"feature": "search"}
    assert [e["properties"]["url"] for e in by_type(got, "track", "Outbound Link Clicked")] == [
        "https://partner.example.org/offer?x=1"
    ]
    assert [e["properties"]["url"] for e in by_type(got, "track", "File Downloaded")] == [
        f"{surl}/files/certificate-123.pdf"
    ]

    errs = by_type(got, "track", "JS Error")
    assert len(errs) == 2, errs  # boom twice from one place counts once, plus the rejection
    boom = next(e["properties"] for e in errs if "boom" in e["properties"]["message"])
    assert boom["line"] > 0 and boom["source"].startswith(surl) and "boom" in boom["stack"]
    assert any("nope" in e["properties"]["message"] for e in errs)

    vitals = by_type(got, "track", "Web Vitals")
    assert len(vitals) == 1, vitals
    vp = vitals[0]["properties"]
    print("\nWeb Vitals seen:", vp)
    assert set(vp) <= {"lcp_ms", "fcp_ms", "ttfb_ms", "inp_ms", "cls", "load_ms"}
    assert {"ttfb_ms", "fcp_ms", "load_ms"} <= set(vp)
    assert vitals[0]["context"]["page"]["path"] == "/t/main/landing"  # the page that was loaded

    # one visitor, one session, across the reload; every event has its own messageId
    assert len({e["anonymousId"] for e in got}) == 1
    assert len({e["context"]["session_id"] for e in got}) == 1
    all_ids = [m["messageId"] for p in fake.posts_for(key, None) for m in p["body"]["batch"]]
    assert len(got) == len({e["messageId"] for e in got}) == 11, [
        (e["type"], e.get("event")) for e in got
    ]
    print(
        f"posts: {len(fake.posts_for(key, None))}, events sent: {len(all_ids)}, distinct: {len(set(all_ids))}"
    )
    # beacon-style bodies: text/plain, so no CORS preflight
    assert all(p["content_type"].startswith("text/plain") for p in fake.posts_for(key, None))
    assert fake.preflights == 0
    # the page's own errors still reach the page (the tracker only listens); none is the tracker's
    assert len(errors) == 3 and all("boom" in e or "nope" in e for e in errors), errors
    ctx.close()


def test_outage_then_recovery_loses_nothing(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    up_at = time.monotonic() + 3.0

    def flaky(body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        return (503, {"Retry-After": "1"}) if time.monotonic() < up_at else (200, {})

    fake.rules[key] = flaky
    make_page(s, curl, "flaky", key)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{surl}/t/flaky/one")
    for i in range(5):
        page.evaluate(
            f"drtroy.track('Lesson Progressed', {{course_id: 'c1', lesson_id: 'l1', percent: {i * 20}}})"
        )
    page.wait_for_timeout(1500)
    assert fake.posts_for(key, 503), "the outage was not hit"
    page.reload()  # the queue lives in localStorage: a reload during the outage loses nothing
    got = fake.wait(key, lambda ev: len(ev) >= 8, timeout=25)

    names = sorted((e["type"], e.get("event") or "") for e in got)
    assert names == sorted(
        [("page", "")] * 2 + [("track", "Lesson Progressed")] * 5 + [("track", "Web Vitals")]
    ), names
    assert sorted(
        e["properties"]["percent"] for e in by_type(got, "track", "Lesson Progressed")
    ) == [0, 20, 40, 60, 80]
    refused = {m["messageId"] for p in fake.posts_for(key, 503) for m in p["body"]["batch"]}
    accepted = {e["messageId"] for e in got}
    assert refused <= accepted  # retried with the same messageIds
    assert len(accepted) == 8
    print(
        f"\noutage: {len(fake.posts_for(key, 503))} refused posts, {len(fake.posts_for(key))} accepted posts"
    )
    ctx.close()


def test_identify_refused_keeps_user_id(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()

    def no_identify(body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        return (403, {}) if any(m["type"] == "identify" for m in body["batch"]) else (200, {})

    fake.rules[key] = no_identify
    make_page(s, curl, "ident", key)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{surl}/t/ident/x")
    fake.wait(key, lambda ev: by_type(ev, "page"))
    page.evaluate(
        "drtroy.track('Before'); drtroy.identify('u-42', {profession: 'PT', license_state: 'TX'}); drtroy.track('After')"
    )
    got = fake.wait(key, lambda ev: by_type(ev, "track", "After"))
    wait_quiet(2.5)
    got = fake.unique(key)
    refused = fake.posts_for(key, 403)
    assert len(refused) == 1 and [m["type"] for m in refused[0]["body"]["batch"]] == [
        "identify"
    ]  # alone, not retried
    assert refused[0]["body"]["batch"][0]["userId"] == "u-42"
    assert refused[0]["body"]["batch"][0]["traits"] == {"profession": "PT", "license_state": "TX"}
    assert "userId" not in by_type(got, "track", "Before")[0]
    assert by_type(got, "track", "After")[0]["userId"] == "u-42"
    page.reload()
    got = fake.wait(key, lambda ev: len(by_type(ev, "page")) >= 2)
    assert by_type(got, "page")[-1]["userId"] == "u-42"  # remembered across reloads
    ctx.close()


def test_blocked_local_storage_still_sends(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    block = """<script>
Object.defineProperty(window, 'localStorage', {get() { throw new Error('blocked') }});
delete Crypto.prototype.randomUUID;  // exercise the id fallback too
</script>"""
    make_page(s, curl, "blocked", key, pre=block)
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{surl}/t/blocked/a")
    fake.wait(key, lambda ev: by_type(ev, "page"))
    page.evaluate("history.pushState({}, '', '/t/blocked/b'); drtroy.track('Still Here')")
    got = fake.wait(
        key, lambda ev: len(by_type(ev, "page")) >= 2 and by_type(ev, "track", "Still Here")
    )
    assert [p["context"]["page"]["path"] for p in by_type(got, "page")] == [
        "/t/blocked/a",
        "/t/blocked/b",
    ]
    assert len({e["anonymousId"] for e in got}) == 1  # kept in memory
    assert all(len(e["messageId"]) == 32 for e in got)
    assert (
        page.evaluate(
            "() => { try { localStorage; return 'readable' } catch (e) { return 'blocked' } }"
        )
        == "blocked"
    )
    assert errors == []
    ctx.close()


def test_opt_out_sends_nothing(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    make_page(s, curl, "optout", key)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{surl}/t/optout/a")
    fake.wait(key, lambda ev: by_type(ev, "page"))
    page.evaluate("drtroy.optOut(); drtroy.track('Nope'); history.pushState({}, '', '/t/optout/b')")
    page.reload()
    page.evaluate("drtroy.track('Nope again')")
    wait_quiet(2.5)
    got = fake.unique(key)
    assert [(e["type"], e.get("event")) for e in got] == [("page", None)]
    page.evaluate("drtroy.optIn(); drtroy.track('Back')")
    got = fake.wait(key, lambda ev: by_type(ev, "track", "Back"))
    assert by_type(got, "track", "Back")
    ctx.close()


def test_do_not_track(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    make_page(s, curl, "dnt", key)
    ctx = browser.new_context()
    ctx.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})"
    )
    page = ctx.new_page()
    page.goto(f"{surl}/t/dnt/a")
    page.evaluate("drtroy.track('Nope'); history.pushState({}, '', '/t/dnt/b'); setTimeout(boom)")
    page.click("#out")
    wait_quiet(2.5)
    assert fake.posts_for(key, None) == []
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('drtroy'))")
    assert stored == []
    ctx.close()


def test_errors_are_rate_limited(browser: Any, site: Any, collector: Any) -> None:
    fake, curl = collector
    s, surl = site
    key = new_key()
    make_page(s, curl, "errors", key)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{surl}/t/errors/a")
    fake.wait(key, lambda ev: by_type(ev, "page"))
    page.evaluate(
        "for (let i = 0; i < 50; i++) setTimeout(() => { throw new Error('distinct ' + i) })"
    )
    fake.wait(key, lambda ev: len(by_type(ev, "track", "JS Error")) >= 10)
    wait_quiet(2)
    assert len(by_type(fake.unique(key), "track", "JS Error")) == 10
    ctx.close()
