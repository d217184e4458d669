"""The Grafana dashboards: generated from the query files, fresh, and every
panel's SQL valid ClickHouse that returns what the panel reads.

Grafana's side is imitated here: its template variables and the ClickHouse
plugin's ``$__fromTime`` / ``$__toTime`` macros (``toDateTime(<unix s>)``,
as grafana-clickhouse-datasource expands them) are expanded for a real
period, then the SQL runs in chDB under ``readonly=1`` (the Grafana user's
profile), and must give the same rows as the query file run by the read API
for the same days."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from drtroy_aggregator.process import to_row
from drtroy_aggregator.writer import ClickHouseWriter
from drtroy_collector.ingest import RequestFacts, collect

from drtroy_metrics import grafana
from drtroy_metrics.catalog import METRICS
from drtroy_metrics.simulate.generator import generate
from tests.warehouse_support import _ENRICHER

TZ = "America/Chicago"
PROVISIONING = grafana.ROOT / "deploy" / "grafana" / "provisioning"
USERS_XML = grafana.ROOT / "deploy" / "clickhouse" / "users.d" / "drtroy.xml"


def expand(
    sql: str, start: dt.datetime, end: dt.datetime, variables: dict[str, str], tz: str = TZ
) -> str:
    """What Grafana sends to ClickHouse: variables interpolated, then the plugin's macros."""

    def var(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2)
        value = tz if name == "tz" else variables[name]
        if value.startswith(ALL_PREFIX):  # "All": Grafana inserts the custom all value as it is
            return value[len(ALL_PREFIX) :]
        if fmt == "sqlstring":
            return "'" + value.replace("'", "''") + "'"
        assert fmt is None, f"unexpected variable format {fmt}"
        return value

    out = re.sub(r"\$\{(\w+)(?::(\w+))?\}", var, sql)
    out = out.replace("$__fromTime", f"toDateTime({int(start.timestamp())})")
    out = out.replace("$__toTime", f"toDateTime({int(end.timestamp())})")
    out = out.replace("$__interval_s", "3600")
    assert "$" not in re.sub(r"--[^\n]*", "", out), (
        "an unexpanded Grafana macro or variable is left"
    )
    return out


def changeable_in_readonly() -> set[str]:
    """Settings the Grafana user's profile (deploy/clickhouse/users.d) lets a readonly=1 query change."""
    root = ET.parse(USERS_XML).getroot()
    profile = root.find("users/grafana/profile")
    assert profile is not None and profile.text
    prof = root.find(f"profiles/{profile.text}")
    assert prof is not None and prof.findtext("readonly") == "1", (
        "the Grafana user must be readonly=1"
    )
    return {
        c.tag for c in prof.findall("constraints/*") if c.find("changeable_in_readonly") is not None
    }


def run_as_grafana(wh: Any, sql: str) -> Any:
    """Run under readonly=1. chDB has no users.xml profiles, so a query refused
    only for setting one of the profile's changeable_in_readonly settings is
    re-run with readonly=2 (settings allowed, writes still refused), which is
    what the server's constraint allows; any other setting fails the test."""
    try:
        return wh.client.query(sql, settings={"readonly": 1})
    except Exception as e:
        m = re.search(r"Cannot modify '(\w+)' setting in readonly mode", str(e))
        if not m or m.group(1) not in changeable_in_readonly():
            raise
        return wh.client.query(sql, settings={"readonly": 2})


ALL_PREFIX = "$__all:"


def variable_defaults(dash: grafana.Dashboard) -> dict[str, str]:
    """Each variable's starting value; an "All" selection as ALL_PREFIX + its all value."""
    model = grafana.dashboard_json(dash)
    return {
        v["name"]: ALL_PREFIX + v["allValue"]
        if v["current"]["value"] == "$__all"
        else v["current"]["value"]
        for v in model["templating"]["list"]
    }


def read_api_value(value: str) -> str:
    """The read API's parameter for a variable's value ("All" is no filter: '')."""
    return "" if value.startswith(ALL_PREFIX) else value


def load_calls(wh: Any, calls: list[Any], received_at: dt.datetime) -> int:
    """Simulated calls through the collector's validation/enrichment and the
    aggregator's row building and writer, each with its own client IP."""
    rows = []
    for i, call in enumerate(calls):
        facts = RequestFacts(
            received_at=received_at,
            key_trust="client" if call.key_kind == "browser" else "server",
            client_ip=call.forwarded_ip or "",
            user_agent="",
            batch_sent_at=None,
            batch_context={},
        )
        rows.append(to_row(collect(call.message, None, facts, _ENRICHER), 0, i))
    return ClickHouseWriter(wh).write_sync(rows)


def _norm(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, Decimal):
        return round(float(v), 6)
    if isinstance(v, list | tuple):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


# ---- generation -------------------------------------------------------------------


def test_committed_dashboards_are_generated_from_the_current_queries() -> None:
    files = grafana.render_all()
    on_disk = {p.name: p.read_text() for p in grafana.DASHBOARD_DIR.glob("*.json")}
    stale = sorted(n for n in files if on_disk.get(n) != files[n])
    extra = sorted(set(on_disk) - set(files))
    assert not stale and not extra, (
        f"stale: {stale}, not generated: {extra}; run `python -m drtroy_metrics.grafana` and commit deploy/grafana/dashboards"
    )


def test_every_panel_names_a_catalog_metric_and_its_sql_is_the_query_file() -> None:
    for dash in grafana.DASHBOARDS:
        for panel in dash.panels:
            assert panel.metric in METRICS, panel.title
            src = panel.source_sql()
            # the generated text is the file with only the {param:Type} placeholders replaced
            skeleton = re.sub(r"\{\w+:[^}]+\}", "@", src)
            generated = panel.sql()
            for piece in skeleton.split("@"):
                assert piece in generated, (
                    f"{panel.title}: query text changed beyond its parameters"
                )
            assert not re.search(r"(?<!\$)\{\w+:[A-Za-z0-9]+\}", generated), (
                f"{panel.title}: a parameter left unreplaced"
            )


def test_dashboards_use_the_provisioned_datasource_and_unique_ids() -> None:
    datasource = (PROVISIONING / "datasources" / "clickhouse.yaml").read_text()
    assert f"uid: {grafana.DATASOURCE_UID}" in datasource
    assert "type: grafana-clickhouse-datasource" in datasource
    uids = set()
    for path in grafana.DASHBOARD_DIR.glob("*.json"):
        model = json.loads(path.read_text())
        assert model["uid"] not in uids
        uids.add(model["uid"])
        ids = [p["id"] for p in model["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for p in model["panels"]:
            assert p["datasource"]["uid"] == grafana.DATASOURCE_UID
            assert all(t["datasource"]["uid"] == grafana.DATASOURCE_UID for t in p["targets"])
    assert len(uids) == 6


def test_a_fixed_string_parameter_is_quoted_and_a_free_one_becomes_a_variable() -> None:
    sql = "SELECT {group_by:String} AS g, {course:String} AS c, {limit:UInt32} AS n, {from:String} AS f, {tz:String} AS z"
    out = grafana.grafana_sql(sql, {"group_by": "it's", "limit": "7"})
    assert "'it\\'s' AS g" in out
    assert "${course:sqlstring} AS c" in out
    assert "7 AS n" in out
    assert "$__fromTime" in out and "${tz:sqlstring} AS z" in out
    with pytest.raises(ValueError):
        grafana.sql_literal("ten", "UInt32")


# ---- the period's days, as the read API cuts them ------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "tz", "days"),
    [
        # an absolute range of whole days, ending 23:59:59 on the last day
        ("2026-11-01T00:00:00", "2026-11-30T23:59:59", TZ, ("2026-11-01", "2026-12-01")),
        # "last 7 days" ending now, in the afternoon: today is included
        ("2026-03-05T14:10:00", "2026-03-12T14:10:00", TZ, ("2026-03-05", "2026-03-13")),
        # a range ending exactly at midnight does not take in the next day
        ("2026-03-01T00:00:00", "2026-03-09T00:00:00", TZ, ("2026-03-01", "2026-03-09")),
        # late evening in Chicago is already the next day in UTC
        ("2026-07-01T22:30:00", "2026-07-02T23:30:00", TZ, ("2026-07-01", "2026-07-03")),
        ("2026-07-01T22:30:00", "2026-07-02T23:30:00", "UTC", ("2026-07-01", "2026-07-03")),
        (
            "2026-01-10T00:00:00",
            "2026-01-10T00:30:00",
            "Asia/Kolkata",
            ("2026-01-10", "2026-01-11"),
        ),
    ],
)
def test_range_becomes_the_days_of_the_reporting_zone(
    wh, start: str, end: str, tz: str, days: tuple[str, str]
) -> None:  # type: ignore[no-untyped-def]
    zone = ZoneInfo(tz)
    s = dt.datetime.fromisoformat(start).replace(tzinfo=zone)
    e = dt.datetime.fromisoformat(end).replace(tzinfo=zone)
    sql = expand(f"SELECT {grafana.FROM_SQL} AS f, {grafana.TO_SQL} AS t", s, e, {}, tz)
    _, rows = wh.query(sql)
    assert rows[0] == days


# ---- every panel against real data --------------------------------------------------------

# Simulated school traffic from 40 days before to 2 days after the period,
# which spans the spring DST change (2026-03-08 in Chicago).
PERIOD = ("2026-03-02", "2026-03-13")


def test_every_panel_runs_readonly_returns_its_columns_and_matches_the_read_api(wh) -> None:  # type: ignore[no-untyped-def]
    zone = ZoneInfo(TZ)
    calls = generate(
        dt.datetime(2026, 1, 20, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 15, tzinfo=dt.UTC),
        seed=11,
        scale=0.15,
    )
    assert load_calls(wh, calls, dt.datetime(2026, 3, 15, tzinfo=dt.UTC)) > 5000
    # Grafana's absolute range for those days: first midnight to 23:59:59 of the last day
    start = dt.datetime.fromisoformat(PERIOD[0]).replace(tzinfo=zone)
    end = (dt.datetime.fromisoformat(PERIOD[1]) - dt.timedelta(seconds=1)).replace(tzinfo=zone)
    failures: list[str] = []
    checked = 0
    for dash in grafana.DASHBOARDS:
        defaults = variable_defaults(dash)
        for panel in dash.panels:
            label = f"{dash.uid} / {panel.title}"
            sql = expand(panel.sql(), start, end, defaults)
            try:
                r = run_as_grafana(wh, sql)
            except Exception as e:  # collect every failure, not just the first
                failures.append(f"{label}: {str(e)[:300]}")
                continue
            names = list(r.column_names)
            types = dict(zip(names, (t.name for t in r.column_types), strict=True))
            missing = [c for c in panel.columns if c not in names]
            if missing:
                failures.append(f"{label}: no column(s) {missing} in {names}")
                continue
            if not r.result_rows:
                failures.append(f"{label}: no rows over simulated data")
            if panel.viz == "timeseries" and not re.match(
                r"(Nullable\()?(Date|DateTime)", types[panel.columns[0]]
            ):
                failures.append(
                    f"{label}: time column {panel.columns[0]} is {types[panel.columns[0]]}"
                )
            # the same rows as the query file run with the read API's parameters
            bind = {"from": PERIOD[0], "to": PERIOD[1], "tz": TZ, **panel.fixed()}
            bind.update({n: read_api_value(defaults[n]) for n in panel.variables()})
            expected = wh.client.query(panel.source_sql(), parameters=bind)
            if _norm([list(x) for x in r.result_rows]) != _norm(
                [list(x) for x in expected.result_rows]
            ):
                failures.append(f"{label}: rows differ from the read API's query for {PERIOD}")
            checked += 1
    assert not failures, "\n".join(failures)
    assert checked == sum(len(d.panels) for d in grafana.DASHBOARDS)


@pytest.mark.parametrize("level", [1, 2])
def test_readonly_levels_refuse_writes(wh, level: int) -> None:  # type: ignore[no-untyped-def]
    # The checks above mean something only if chDB enforces both levels. The
    # setting rides in the statement: clickhouse-connect's chDB backend applies
    # some per-call settings with SET, and a SET readonly cannot be undone.
    with pytest.raises(Exception, match="(?i)readonly"):
        wh.command(
            f"INSERT INTO events (message_id) SETTINGS readonly = {level} SELECT 'must-not-be-written'"
        )
    assert wh.query("SELECT count() FROM events")[1] == [(0,)]
    # readonly=1 also refuses a query's own SETTINGS (hence the profile's constraints)
    with pytest.raises(Exception, match="(?i)readonly"):
        wh.client.query("SELECT 1 SETTINGS max_threads = 1", settings={"readonly": 1})
