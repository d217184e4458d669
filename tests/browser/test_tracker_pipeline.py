"""tracker.js in real headless Chromium against the real pipeline.

The page is served from one origin on 127.0.0.1 (the ``site`` fixture) and
loads the documented snippet, which fetches ``/tracker.js`` from the real
collector on another origin (as in production, where the collector has its
own host). Events go collector -> Tansu -> aggregator -> chDB, and every
expectation is checked on the stored rows: each event the page produced is
counted exactly once in ClickHouse.

How "exactly once" is checked: the expected counts are written out by hand
from what each test does in the page; the test waits until the stored count
reaches the expected total, then lets the pipeline settle (the count must
stay the same for a few seconds), so a late duplicate would show up. The
messageIds the browser put on the wire (recorded from the page's requests)
must be exactly the stored message_ids, one row each.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.support import BROWSER_KEY, RunningStack

from .conftest import ROOT, TRACKER

pytestmark = pytest.mark.browser

MAX_GZIP = 3000  # the "at most 3 KB gzipped", read strictly
SETTLE_S = 3.0  # how long a count must stay still before it is trusted
UUID_RE = re.compile(r"^[0-9a-f-]{32,36}$")


@pytest.fixture(scope="module", autouse=True)
def _stack_before_browser(stack: RunningStack) -> None:
    """Start the shared stack before this module's browser: the stack's start
    calls asyncio.run(), which cannot run while Playwright is open."""


# ---- the page ------------------------------------------------------------------


def documented_snippet(collector_url: str, key: str) -> str:
    """The embed snippet as documented (README.md when it carries one, else
    docs/tracker.md), pointed at this collector with this key.

    Only the script URL and the write key are replaced, so the test runs the
    snippet a site owner would paste.
    """
    for doc in (ROOT / "README.md", ROOT / "docs" / "tracker.md"):
        text = doc.read_text(encoding="utf-8") if doc.exists() else ""
        for block in re.findall(r"```html\n(.*?)```", text, flags=re.S):
            if "tracker.js" in block and "data-write-key" in block:
                html = re.sub(
                    r'src="[^"]*/tracker\.js"', f'src="{collector_url}/tracker.js"', block
                )
                html = re.sub(r'data-write-key="[^"]*"', f'data-write-key="{key}"', html)
                assert f"{collector_url}/tracker.js" in html and key in html, html
                return html
    raise AssertionError("no tracker snippet documented in README.md or docs/tracker.md")


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
<a id="pdf" href="/files/certificate-{name}.pdf">certificate</a>
<script>
// the test links must not navigate away
document.addEventListener('click', function (e) {{ if (e.target.closest('a')) e.preventDefault() }});
window.boom = function () {{ throw new Error('boom {name}') }};
</script>
</body></html>"""


def add_page(
    site: Any,
    stack: RunningStack,
    name: str,
    *,
    pre: str = "",
    early: str = "",
    title: str = "Page",
) -> None:
    """Serve the test page ``name`` at /t/<name>/<anything> on the site origin."""
    site.pages[name] = PAGE.format(
        title=title,
        name=name,
        pre=pre,
        snippet=documented_snippet(stack.collector_url, BROWSER_KEY),
        early=early,
    )


class Wire:
    """Every batch the browser context POSTs to the collector: the messages
    of each attempt, and how the attempt ended (HTTP status, or failed)."""

    def __init__(self, ctx: Any, collector_url: str) -> None:
        self.url = f"{collector_url}/v1/batch"
        self.attempts: list[dict[str, Any]] = []  # {messages, status (int) or None, failed}
        self._by_request: dict[int, dict[str, Any]] = {}
        ctx.on("request", self._request)
        ctx.on("response", self._response)
        ctx.on("requestfailed", self._failed)

    def _request(self, req: Any) -> None:
        if req.method != "POST" or not req.url.startswith(self.url):
            return
        body = json.loads(req.post_data or "{}")
        attempt = {"messages": body.get("batch", []), "status": None, "failed": False}
        self.attempts.append(attempt)
        self._by_request[id(req)] = attempt

    def _response(self, resp: Any) -> None:
        attempt = self._by_request.get(id(resp.request))
        if attempt is not None:
            attempt["status"] = resp.status

    def _failed(self, req: Any) -> None:
        attempt = self._by_request.get(id(req))
        if attempt is not None:
            attempt["failed"] = True

    def ids(self, *, status: int | None = None, failed: bool | None = None) -> list[str]:
        """messageIds of the attempts that match, repeats included."""
        return [
            m["messageId"]
            for a in self.attempts
            if (status is None or a["status"] == status)
            and (failed is None or a["failed"] == failed)
            for m in a["messages"]
        ]


def accepted_twice(wire: Wire) -> set[str]:
    """messageIds the collector answered 200 for in two or more attempts."""
    return {i for i, n in Counter(wire.ids(status=200)).items() if n >= 2}


def read_store(page: Any, name: str) -> Any:
    """A tracker value from the page's localStorage (None when absent)."""
    raw = page.evaluate(f"localStorage.getItem('drtroy_{name}')")
    return json.loads(raw) if raw else None


def hide(page: Any) -> None:
    """Make the page hidden as a tab switch does: the tracker sends Web Vitals
    and flushes its queue."""
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")


# ---- the warehouse ---------------------------------------------------------------


def quoted(value: str) -> str:
    """A string literal for ClickHouse SQL; the values here are ids and paths
    the test made, checked to be plain."""
    assert re.fullmatch(r"[A-Za-z0-9_./:%-]*", value), value
    return f"'{value}'"


def where_visitor(anonymous_id: str) -> str:
    assert UUID_RE.match(anonymous_id), anonymous_id
    return f"anonymous_id = {quoted(anonymous_id)}"


def where_pages_of(name: str) -> str:
    """Every row whose page (the page the event happened on) is one of the test page's URLs."""
    return f"page_path LIKE {quoted(f'/t/{name}/%')}"


def counts_by_event(stack: RunningStack, where: str) -> dict[str, int]:
    return {
        e: n
        for e, n in stack.sql(f"SELECT event, count() FROM events WHERE {where} GROUP BY event")
    }


def stored_ids(stack: RunningStack, where: str) -> list[str]:
    return [r[0] for r in stack.sql(f"SELECT message_id FROM events WHERE {where}")]


def land_exactly(stack: RunningStack, where: str, total: int, timeout_s: float = 30) -> None:
    """Wait until ``total`` rows match, then require the count to stay there
    while the pipeline settles (a late duplicate would raise it)."""
    query = f"SELECT count() FROM events WHERE {where}"
    got = stack.wait_for(query, total, timeout_s)
    assert got == total, f"{got} rows stored, expected {total}"
    settled = stack.settle(query, quiet_s=SETTLE_S)
    assert settled == total, f"{settled} rows after settling, expected {total}"


def assert_one_row_per_message(stack: RunningStack, where: str, wire: Wire, page: Any) -> None:
    """Stored message_ids are distinct and are exactly the ones the browser sent."""
    page.wait_for_timeout(50)  # Playwright hands over queued request events only during a call
    ids = stored_ids(stack, where)
    assert len(ids) == len(set(ids)), Counter(ids).most_common(3)
    assert set(ids) == set(wire.ids()), set(ids) ^ set(wire.ids())


# ---- tests -----------------------------------------------------------------------


def test_collector_serves_tracker(stack: RunningStack) -> None:
    """GET /tracker.js from the real collector: the file as built, cacheable, small."""
    r = httpx.get(f"{stack.collector_url}/tracker.js", timeout=10)
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert "max-age" in r.headers.get("cache-control", "")
    assert r.content == TRACKER.read_bytes()
    size = len(gzip.compress(r.content, 9))
    print(
        f"\ntracker.js served by the collector: {len(r.content)} bytes, {size} bytes gzipped (limit {MAX_GZIP})"
    )
    assert size <= MAX_GZIP


def test_every_client_event_is_stored_once(browser: Any, site: Any, stack: RunningStack) -> None:
    s, surl = site
    name = f"pipe-{uuid.uuid4().hex[:8]}"
    add_page(
        s,
        stack,
        name,
        title="Landing",
        # a call made through the stub before tracker.js has loaded
        early="<script>drtroy.track('Syllabus Expanded', {section: 'ethics'})</script>",
    )
    ctx = browser.new_context()
    wire = Wire(ctx, stack.collector_url)
    page = ctx.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(f"{surl}/t/{name}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring")
    page.wait_for_function("window.drtroy && window.drtroy._v")

    # two SPA navigations (a repeated push of the same URL and a hash change are not views)
    page.evaluate(f"history.pushState({{}}, '', '/t/{name}/courses?cat=ethics')")
    page.wait_for_timeout(250)
    page.evaluate(f"history.pushState({{}}, '', '/t/{name}/courses?cat=ethics')")
    page.evaluate(f"document.title = 'Cart'; history.pushState({{}}, '', '/t/{name}/cart')")
    page.wait_for_timeout(250)
    page.evaluate("location.hash = 'top'")

    page.evaluate("drtroy.track('Feature Used', {feature: 'search'})")
    page.click("#out")
    page.click("#pdf")
    page.evaluate("setTimeout(boom); setTimeout(boom); 0")  # one place: one JS Error
    page.wait_for_timeout(100)
    user = f"u-{name}"
    page.evaluate(f"drtroy.identify('{user}', {{profession: 'PT', license_state: 'TX'}})")
    page.evaluate("drtroy.track('Certificate Downloaded', {course_id: 'tx-ethics'})")
    hide(page)  # Web Vitals, once

    anonymous_id = read_store(page, "aid")
    visitor = where_visitor(anonymous_id)
    # written out by hand from the steps above
    expected = {
        "page": 3,
        "Syllabus Expanded": 1,
        "Feature Used": 1,
        "Outbound Link Clicked": 1,
        "File Downloaded": 1,
        "JS Error": 1,
        "identify": 1,
        "Certificate Downloaded": 1,
        "Web Vitals": 1,
    }
    land_exactly(stack, visitor, sum(expected.values()))
    assert counts_by_event(stack, visitor) == expected
    assert_one_row_per_message(stack, visitor, wire, page)
    assert all(a["status"] == 200 for a in wire.attempts), wire.attempts

    rows = {
        (r[0], r[1]): r[2:]
        for r in stack.sql(
            "SELECT event, page_path, url, feature, error_message, user_id, utm_campaign, "
            f"key_trust, profession, traits FROM events WHERE {visitor}"
        )
    }
    assert sorted(p for e, p in rows if e == "page") == [
        f"/t/{name}/cart",
        f"/t/{name}/courses",
        f"/t/{name}/landing",
    ]
    assert rows[("page", f"/t/{name}/landing")][4] == "spring"  # utm_campaign
    assert (
        rows[("Outbound Link Clicked", f"/t/{name}/cart")][0]
        == "https://partner.example.org/offer?x=1"
    )
    assert rows[("File Downloaded", f"/t/{name}/cart")][0] == f"{surl}/files/certificate-{name}.pdf"
    assert rows[("Feature Used", f"/t/{name}/cart")][1] == "search"
    assert rows[("JS Error", f"/t/{name}/cart")][2] == f"Uncaught Error: boom {name}"
    # Web Vitals belong to the page that was loaded, even after the SPA moved on
    assert ("Web Vitals", f"/t/{name}/landing") in rows
    # identify from a browser key links the ids; its traits stay raw JSON only
    ident = rows[("identify", f"/t/{name}/cart")]
    assert ident[3] == user and ident[5] == "client" and ident[6] == ""
    assert json.loads(ident[7]) == {"profession": "PT", "license_state": "TX"}
    assert rows[("Certificate Downloaded", f"/t/{name}/cart")][3] == user  # later events carry it
    assert rows[("Feature Used", f"/t/{name}/cart")][3] == ""  # earlier ones do not

    vitals = json.loads(
        stack.scalar(f"SELECT properties FROM events WHERE {visitor} AND event = 'Web Vitals'")
    )
    print("\nWeb Vitals stored:", vitals)
    assert {"ttfb_ms", "fcp_ms", "load_ms"} <= set(vitals)
    assert page_errors == [f"boom {name}"] * 2  # the page's own errors, none from the tracker
    ctx.close()


def test_outage_queue_arrives_once(browser: Any, site: Any, fresh_stack: RunningStack) -> None:
    stack = fresh_stack
    s, surl = site
    name = f"outage-{uuid.uuid4().hex[:8]}"
    add_page(s, stack, name)
    ctx = browser.new_context()
    wire = Wire(ctx, stack.collector_url)
    page = ctx.new_page()
    page.goto(f"{surl}/t/{name}/a")
    page.wait_for_function("window.drtroy && window.drtroy._v")
    visitor = where_visitor(read_store(page, "aid"))
    land_exactly(stack, visitor, 1)  # the first page view, before the outage

    stack.stop_collector()
    for pct in (25, 50, 75):
        page.evaluate(
            f"drtroy.track('Lesson Progressed', {{course_id: 'tx-ethics', lesson_id: 'l1', percent: {pct}}})"
        )
    page.evaluate(f"history.pushState({{}}, '', '/t/{name}/b'); setTimeout(boom)")
    page.wait_for_timeout(1500)  # the tracker's first delivery attempt fails
    assert wire.ids(failed=True), "no delivery attempt hit the outage"
    # a reload during the outage: the queue is in localStorage; leaving the page
    # adds the first page's Web Vitals, the reloaded page its own view
    page.reload()
    page.wait_for_function("window.drtroy && window.drtroy._v")
    page.wait_for_timeout(1500)
    queued = read_store(page, "q") or []
    queued_names = sorted(m.get("event") or m["type"] for m in queued)
    assert queued_names == sorted(
        ["Lesson Progressed"] * 3 + ["page", "JS Error", "Web Vitals", "page"]
    ), queued_names
    failed = set(wire.ids(failed=True))
    assert failed <= {m["messageId"] for m in queued}  # retried with the same messageIds
    time.sleep(1.0)  # the collector stays down a little longer

    stack.start_collector()  # same port; the tracker's backoff finds it again
    expected = {"page": 3, "Lesson Progressed": 3, "JS Error": 1, "Web Vitals": 1}
    land_exactly(stack, visitor, sum(expected.values()), timeout_s=45)
    assert counts_by_event(stack, visitor) == expected
    assert_one_row_per_message(stack, visitor, wire, page)
    assert read_store(page, "q") == []
    percents = sorted(
        r[0]
        for r in stack.sql(
            f"SELECT percent FROM events WHERE {visitor} AND event = 'Lesson Progressed'"
        )
    )
    assert percents == [25, 50, 75]

    # at-least-once delivery: a batch whose answer was lost (page closed mid-request)
    # is sent again by the next page with the same messageIds. Put three delivered
    # events back in the queue as that would; the reload resends them.
    delivered = [m for a in wire.attempts if a["status"] == 200 for m in a["messages"]]
    again = [m for m in delivered if m.get("event") == "Lesson Progressed"]
    assert len(again) == 3
    page.evaluate("q => localStorage.setItem('drtroy_q', JSON.stringify(q))", again)
    page.reload()
    page.wait_for_function("window.drtroy && window.drtroy._v")
    resent = {m["messageId"] for m in again}
    deadline = time.monotonic() + 20
    while not resent <= accepted_twice(wire):
        assert time.monotonic() < deadline, "the re-queued events were not sent again"
        page.wait_for_timeout(200)
    assert resent <= accepted_twice(wire)  # the collector accepted each one twice...
    expected["page"] += 1  # ...the reload's own view is new...
    expected["Web Vitals"] += 1  # ...as are the Web Vitals of the page it left
    land_exactly(stack, visitor, sum(expected.values()))
    assert counts_by_event(stack, visitor) == expected  # ...and each is stored once
    assert_one_row_per_message(stack, visitor, wire, page)
    print(
        f"\noutage: {sum(a['failed'] for a in wire.attempts)} failed attempts, "
        f"{len(wire.ids(status=200))} messages accepted for {len(set(wire.ids()))} distinct events"
    )
    ctx.close()


def test_blocked_local_storage_still_sends_page_views(
    browser: Any, site: Any, stack: RunningStack
) -> None:
    s, surl = site
    name = f"blocked-{uuid.uuid4().hex[:8]}"
    block = """<script>
Object.defineProperty(window, 'localStorage', {get() { throw new Error('blocked') }});
</script>"""
    add_page(s, stack, name, pre=block)
    ctx = browser.new_context()
    wire = Wire(ctx, stack.collector_url)
    page = ctx.new_page()
    page.goto(f"{surl}/t/{name}/a")
    page.wait_for_function("window.drtroy && window.drtroy._v")
    page.evaluate(f"history.pushState({{}}, '', '/t/{name}/b')")
    assert (
        page.evaluate(
            "() => { try { localStorage; return 'readable' } catch (e) { return 'blocked' } }"
        )
        == "blocked"
    )

    where = where_pages_of(name)
    land_exactly(stack, where, 2)
    assert counts_by_event(stack, where) == {"page": 2}
    assert sorted(r[0] for r in stack.sql(f"SELECT page_path FROM events WHERE {where}")) == [
        f"/t/{name}/a",
        f"/t/{name}/b",
    ]
    # the anonymousId lives in memory for the page's life: one visitor
    assert stack.scalar(f"SELECT uniqExact(anonymous_id) FROM events WHERE {where}") == 1
    assert_one_row_per_message(stack, where, wire, page)
    ctx.close()


def test_opt_out_sends_nothing(browser: Any, site: Any, stack: RunningStack) -> None:
    s, surl = site
    name = f"optout-{uuid.uuid4().hex[:8]}"
    add_page(s, stack, name)
    ctx = browser.new_context()
    wire = Wire(ctx, stack.collector_url)
    page = ctx.new_page()
    page.goto(f"{surl}/t/{name}/a")
    page.wait_for_function("window.drtroy && window.drtroy._v")
    anonymous_id = read_store(page, "aid")
    visitor, where = where_visitor(anonymous_id), where_pages_of(name)
    land_exactly(stack, visitor, 1)  # tracked until the visitor opts out
    first_view = stored_ids(stack, visitor)

    # after opting out, everything the tracker would capture: a custom event,
    # an SPA view, an error, an outbound click, a download, hiding, a reload
    page.evaluate(
        f"drtroy.optOut(); drtroy.track('Opted Out Event'); history.pushState({{}}, '', '/t/{name}/b');"
        " setTimeout(boom); 0"
    )
    page.click("#out")
    page.click("#pdf")
    hide(page)
    page.reload()
    page.wait_for_function("window.drtroy && window.drtroy._v")
    page.evaluate(
        "drtroy.track('Opted Out Event'); drtroy.identify('u-optout', {profession: 'OT'})"
    )
    page.wait_for_timeout(2500)  # well past the tracker's 1 s batching delay

    page.wait_for_timeout(50)  # let Playwright hand over the request events
    assert wire.ids() == first_view  # nothing left the browser after the opt-out
    assert stack.settle(f"SELECT count() FROM events WHERE {where}", quiet_s=SETTLE_S) == 1
    assert counts_by_event(stack, where) == {"page": 1}
    assert counts_by_event(stack, visitor) == {"page": 1}
    assert read_store(page, "aid") is None and read_store(page, "q") in (None, [])

    # control: the same page and pipeline deliver again after optIn, so the
    # silence above was the opt-out, not a slow pipeline
    page.evaluate("drtroy.optIn(); drtroy.track('Opted Back In')")
    land_exactly(stack, where, 2)
    assert counts_by_event(stack, where) == {"page": 1, "Opted Back In": 1}
    assert stack.scalar("SELECT count() FROM events WHERE event = 'Opted Out Event'") == 0
    ctx.close()
