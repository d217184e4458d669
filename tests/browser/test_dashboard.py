"""The built-in dashboard in real headless Chromium over simulated school data.

A stack of its own (Tansu, collector, aggregator with the read API on chDB)
gets two weeks of the simulator's traffic through the collector's HTTP API,
exactly as ``drtroy-metrics up --simulate`` feeds it. Then every page of the
dashboard is opened: every panel must finish with data (no error, no empty
panel, no metric missing from the catalog), and the browser must log no
console error. The Operations page's live panel must change when new events
arrive. Screenshots of every page are written to the folder printed at the
end (``DASHBOARD_SCREENSHOTS`` or artifacts/screenshots).

The stack is this module's own: its simulated data would otherwise land in
the periods other tests count.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from drtroy_metrics.simulate.generator import generate
from drtroy_metrics.simulate.sender import backfill
from tests.support import BROWSER_KEY, SERVER_KEY, RunningStack

from .conftest import ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or ROOT / "artifacts" / "screenshots")
PAGES = ("overview", "revenue", "marketing", "courses", "audience", "operations")


def _off_loop(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a thread: asyncio.run() cannot run in the thread where
    Playwright's sync API already has a loop."""
    with ThreadPoolExecutor(1) as ex:
        return ex.submit(fn, *args).result()


def _start_and_fill(root: Path) -> RunningStack:
    s = RunningStack(root, partitions=3)
    s.start()
    now = dt.datetime.now(dt.UTC)
    calls = generate(
        now - dt.timedelta(days=14), now - dt.timedelta(minutes=1), seed=20261204, scale=0.2
    )
    stats = asyncio.run(
        backfill(calls, s.collector_url, BROWSER_KEY, SERVER_KEY, workers=4, progress=False)
    )
    assert stats.failed == 0 and stats.accepted > 3000, stats.summary()
    stored = s.wait_for("SELECT count() FROM events", stats.accepted, timeout_s=180)
    assert stored == stats.accepted, f"stored {stored} of {stats.accepted} accepted events"
    return s


@pytest.fixture(scope="module")
def dash_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    s = _off_loop(_start_and_fill, tmp_path_factory.mktemp("dashboard-stack"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def page(browser: Any, dash_stack: RunningStack) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = ctx.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.console_errors.append(f"page error: {e}"))  # type: ignore[attr-defined]
    # nothing may load from anywhere but the dashboard's own origin
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: (
            None if r.url.startswith((dash_stack.api_url, "data:")) else outside.append(r.url)
        ),
    )
    pg.outside_requests = outside  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def _panels(pg: Any) -> list[dict[str, Any]]:
    return pg.eval_on_selector_all(
        "section.panel",
        """els => els.map(e => ({
            title: e.querySelector('h2').textContent.trim(),
            metric: e.dataset.metric, kind: e.dataset.kind, state: e.dataset.state,
            charts: e.querySelectorAll('.body svg.chart, .body table, .body .tile, .body .goal, .body .kv').length,
            text: e.querySelector('.body').textContent.slice(0, 200),
        }))""",
    )


def _wait_loaded(pg: Any, page_id: str) -> list[dict[str, Any]]:
    pg.wait_for_function(
        """id => document.querySelector('nav a.active')?.dataset.page === id
              && document.querySelectorAll('section.panel').length > 0
              && !document.querySelector('section.panel[data-state="loading"]')""",
        arg=page_id,
        timeout=90_000,
    )
    return _panels(pg)


def test_every_page_renders_its_charts_with_data_and_no_console_error(
    page: Any, dash_stack: RunningStack
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{dash_stack.api_url}/", wait_until="load")
    listed = page.evaluate("window.drtroyDashboard.pages.map(p => p.id)")
    assert tuple(listed) == PAGES
    catalog = {
        m["name"]
        for m in httpx.get(f"{dash_stack.api_url}/api/v1/metrics", timeout=30).json()["metrics"]
    }
    problems: list[str] = []
    shown: set[str] = set()
    for page_id in PAGES:
        page.click(f"nav a[data-page={page_id}]")
        panels = _wait_loaded(page, page_id)
        assert len(panels) >= 5, f"{page_id}: only {len(panels)} panels"
        for p in panels:
            where = f"{page_id} / {p['title']} ({p['metric']})"
            if p["state"] != "ok":
                problems.append(f"{where}: {p['state']}: {p['text']}")
            elif p["charts"] == 0:
                problems.append(f"{where}: no chart, table or figure drawn")
            shown.add(p["metric"])
        path = SCREENSHOTS / f"dashboard-{page_id}.png"
        page.screenshot(path=str(path), full_page=True)
    print(f"\ndashboard screenshots: {SCREENSHOTS}")
    assert not problems, "\n".join(problems)
    assert not page.console_errors, page.console_errors
    assert not page.outside_requests, page.outside_requests
    # the dashboard shows every metric of the catalog but the test-only event_counts
    assert catalog - shown <= {"event_counts"}, (
        f"metrics on no page: {sorted(catalog - shown - {'event_counts'})}"
    )


def test_charts_are_drawn_from_the_api_answers(page: Any, dash_stack: RunningStack) -> None:
    """Spot checks that a chart shows the read API's figures, not just shapes."""
    page.goto(f"{dash_stack.api_url}/#/audience", wait_until="load")
    _wait_loaded(page, "audience")
    answer = httpx.get(f"{dash_stack.api_url}/api/v1/metrics/peak_usage", timeout=30).json()
    cells = page.eval_on_selector_all(
        "section[data-metric=peak_usage] svg.heatmap rect", "els => els.length"
    )
    assert cells == 7 * 24
    busiest = max(answer["rows"], key=lambda r: r["visitors"])
    titles = page.eval_on_selector_all(
        "section[data-metric=peak_usage] svg.heatmap rect title",
        "els => els.map(e => e.textContent)",
    )
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[busiest["weekday"] - 1]
    assert any(
        t.startswith(f"{weekday} {busiest['hour']}:00") and t.endswith(f": {busiest['visitors']:,}")
        for t in titles
    )
    page.click("nav a[data-page=overview]")
    _wait_loaded(page, "overview")
    funnel = httpx.get(f"{dash_stack.api_url}/api/v1/metrics/funnel", timeout=30).json()["rows"]
    text = page.inner_text("section[data-metric=funnel]")
    for step in funnel:
        assert f"{step['event']} · {step['visitors']:,}" in text
    assert not page.console_errors, page.console_errors


def test_date_range_picker_changes_the_period_asked_for(
    page: Any, dash_stack: RunningStack
) -> None:
    page.goto(f"{dash_stack.api_url}/#/overview", wait_until="load")
    _wait_loaded(page, "overview")
    asked: list[str] = []
    page.on("request", lambda r: "/api/v1/metrics/revenue" in r.url and asked.append(r.url))
    page.select_option("#preset", "7d")
    _wait_loaded(page, "overview")
    today = page.evaluate("document.getElementById('through').value")
    first = page.evaluate("document.getElementById('from').value")
    assert (dt.date.fromisoformat(today) - dt.date.fromisoformat(first)).days == 6
    to = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    assert any(f"from={first}" in u and f"to={to}" in u for u in asked), asked
    # a custom range through the form
    page.fill("#from", "2026-01-01")
    page.fill("#through", "2026-01-31")
    page.click("#range button[type=submit]")
    _wait_loaded(page, "overview")
    assert "from=2026-01-01&to=2026-02-01" in page.url
    assert not page.console_errors, page.console_errors


def _live_figures(pg: Any) -> dict[str, str]:
    return pg.eval_on_selector_all(
        "section[data-metric=live] .tile",
        "els => Object.fromEntries(els.map(e => [e.dataset.key, e.querySelector('.value').textContent]))",
    )


def test_live_panel_changes_when_new_events_arrive(page: Any, dash_stack: RunningStack) -> None:
    page.goto(f"{dash_stack.api_url}/#/operations", wait_until="load")
    _wait_loaded(page, "operations")
    before = _live_figures(page)
    assert "active_visitors" in before, before
    # new visitors viewing pages now
    tag = uuid.uuid4().hex[:8]
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    batch = [
        {
            "type": "page",
            "name": "Home",
            "anonymousId": f"live-{tag}-{i}",
            "messageId": f"live-{tag}-{i}",
            "timestamp": now,
            "properties": {"path": "/", "url": "https://drtroy.example/"},
        }
        for i in range(25)
    ]
    r = httpx.post(
        f"{dash_stack.collector_url}/v1/batch",
        json={"batch": batch},
        auth=(SERVER_KEY, ""),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 45
    after = before
    while time.monotonic() < deadline and after.get("active_visitors") == before["active_visitors"]:
        page.wait_for_timeout(500)
        after = _live_figures(page)
    assert after["active_visitors"] != before["active_visitors"], (before, after)
    assert (
        int(after["active_visitors"].replace(",", ""))
        >= int(before["active_visitors"].replace(",", "")) + 25
    )
    page.screenshot(path=str(SCREENSHOTS / "dashboard-operations-live.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def _money(v: float) -> str:
    """The dashboard's money format (app.js fmt, kind money), written out here."""
    cents = abs(v) >= 1000
    text = f"${abs(v):,.0f}" if cents else f"${abs(v):,.2f}"
    return ("-" if v < 0 else "") + text


def _wait_filtered(pg: Any, page_id: str, profession: str, state: str) -> list[dict[str, Any]]:
    """Wait until the page shows ``page_id`` rendered with these filters (the
    hash change renders in a later task than the select's change event)."""
    pg.wait_for_function(
        """([p, s]) => {
            const f = window.drtroyDashboard.state.filters || {};
            return f.profession === p && f.state === s;
        }""",
        arg=[profession, state],
        timeout=30_000,
    )
    return _wait_loaded(pg, page_id)


def test_buyer_filters_reach_only_the_metrics_that_declare_them(
    page: Any, dash_stack: RunningStack
) -> None:
    api = f"{dash_stack.api_url}/api/v1/metrics"
    catalog = httpx.get(api, timeout=30).json()["metrics"]
    declaring = {
        m["name"]
        for m in catalog
        if {"profession", "state"} <= {p["name"] for p in m["parameters"]}
    }
    assert declaring == {
        "revenue", "aov", "revenue_per_customer", "customers", "refund_rate",
        "discount_codes", "organic_share", "coupon_kinds", "packages", "seasonality",
    }  # fmt: skip
    page.goto(f"{dash_stack.api_url}/#/revenue", wait_until="load")
    _wait_loaded(page, "revenue")
    period = page.evaluate("[window.drtroyDashboard.state.from, window.drtroyDashboard.state.to]")
    when = {"from": period[0], "to": period[1]}
    # the state select offers the catalog's choices, profession the five professions
    revenue_params = {
        p["name"]: p for p in next(m for m in catalog if m["name"] == "revenue")["parameters"]
    }
    offered = page.eval_on_selector_all("#state option", "os => os.map(o => o.value)")
    assert offered == ["", *revenue_params["state"]["choices"]]
    offered = page.eval_on_selector_all("#profession option", "os => os.map(o => o.value)")
    assert offered == ["", "PT", "OT", "PTA", "COTA", "other"]

    # a buyer group with orders in the period: the busiest license states by the
    # (unfiltered) regions metric, crossed with every profession
    regions = httpx.get(f"{api}/regions", params=when, timeout=30).json()["rows"]
    top_states = [
        r["license_state"]
        for r in sorted(regions, key=lambda r: -r["orders"])
        if r["license_state"] in revenue_params["state"]["choices"]
    ][:2]
    assert top_states, regions
    best: tuple[int, str, str] = (0, "", "")
    for st in top_states:
        for prof in revenue_params["profession"]["choices"]:
            a = httpx.get(
                f"{api}/revenue", params={**when, "profession": prof, "state": st}, timeout=30
            ).json()
            best = max(best, (a["values"]["orders"], prof, st))
    orders, prof, st = best
    assert orders > 0, (top_states, regions)

    page.select_option("#profession", prof)
    _wait_filtered(page, "revenue", prof, "")
    page.select_option("#state", st)
    panels = _wait_filtered(page, "revenue", prof, st)
    assert f"profession={prof}" in page.url and f"state={st}" in page.url, page.url
    assert all(p["state"] == "ok" for p in panels if p["metric"] in declaring), panels

    # the revenue panel shows the read API's answer for the same buyers and period
    want = httpx.get(
        f"{api}/revenue",
        params={**when, "interval": "day", "profession": prof, "state": st},
        timeout=30,
    ).json()["values"]
    whole = httpx.get(f"{api}/revenue", params={**when, "interval": "day"}, timeout=30).json()
    assert want["revenue"] < whole["values"]["revenue"], "the filter should narrow the figure"
    tiles = page.eval_on_selector_all(
        "section[data-metric=revenue] .tile",
        "els => Object.fromEntries(els.map(e => [e.dataset.key, e.querySelector('.value').textContent]))",
    )
    assert tiles["revenue"] == _money(want["revenue"]), (tiles, want)
    assert tiles["net_revenue"] == _money(want["net_revenue"]), (tiles, want)
    assert tiles["orders"] == f"{want['orders']:,}", (tiles, want)

    # exactly the filtered panels wear the note
    note = f"{prof} · {st}"
    badges = page.eval_on_selector_all(
        "section.panel",
        """els => els.map(e => [e.dataset.metric, e.dataset.filtered || null,
                                e.querySelector('h2 .filtered')?.textContent || null])""",
    )
    for metric, filtered, text in badges:
        if metric in declaring:
            assert (filtered, text) == (note, f"filtered: {note}"), metric
        else:
            assert (filtered, text) == (None, None), metric
    page.screenshot(path=str(SCREENSHOTS / "dashboard-revenue-filtered.png"), full_page=True)

    # every metric request from here on: the filters go exactly to the declaring metrics
    asked: list[str] = []
    page.on("request", lambda r: "/api/v1/metrics/" in r.url and asked.append(r.url))
    for page_id in ("marketing", "overview", "revenue"):
        page.click(f"nav a[data-page={page_id}]")
        _wait_filtered(page, page_id, prof, st)
        assert f"profession={prof}" in page.url and f"state={st}" in page.url, page.url
    seen_filtered: set[str] = set()
    for url in asked:
        u = httpx.URL(url)
        name = u.path.rsplit("/", 1)[1]
        got = (u.params.get("profession"), u.params.get("state"))
        if name in declaring:
            assert got == (prof, st), url
            seen_filtered.add(name)
        else:
            assert got == (None, None), url
    assert seen_filtered == declaring, sorted(declaring - seen_filtered)

    # the overview's headline tiles: badges on the order figures only
    page.click("nav a[data-page=overview]")
    _wait_filtered(page, "overview", prof, st)
    kpi = page.eval_on_selector_all(
        "section[data-kind=kpis] .tile",
        "els => els.map(e => [e.dataset.key, e.querySelector('.filtered')?.textContent || null])",
    )
    assert kpi
    page.screenshot(path=str(SCREENSHOTS / "dashboard-overview-filtered.png"))
    for key, text in kpi:
        metric = key.split(".")[0]
        assert text == (f"filtered: {note}" if metric in declaring else None), key

    # a reload keeps the filters (they live in the URL)
    page.reload(wait_until="load")
    _wait_filtered(page, "overview", prof, st)
    assert page.input_value("#profession") == prof and page.input_value("#state") == st
    # back to All: no filter is sent any more
    page.select_option("#profession", "")
    page.select_option("#state", "")
    _wait_filtered(page, "overview", "", "")
    assert "profession=" not in page.url and "state=" not in page.url
    assert not page.query_selector_all(".filtered")
    assert not page.console_errors, page.console_errors
