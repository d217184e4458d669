"""event_counts over a hand-built set, through the real writer and chDB."""

from __future__ import annotations

from collections import Counter

from tests.warehouse_support import ask, load


def _msg(i: int, event: str, ts: str, mid: str | None = None) -> dict:
    return {
        "type": "track",
        "event": event,
        "userId": f"u{i}",
        "messageId": mid or f"m{i}",
        "timestamp": ts,
        "properties": {"feature": "x"},
    }


def test_event_counts_count_each_message_once_in_its_own_period(wh) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        _msg(1, "Feature Used", "2026-11-02T12:00:00Z"),
        _msg(2, "Feature Used", "2026-11-02T13:00:00Z"),
        _msg(3, "Custom Thing", "2026-11-03T05:59:59Z"),  # 23:59:59 Nov 2 in Chicago
        _msg(4, "Custom Thing", "2026-11-03T06:00:00Z"),  # 00:00 Nov 3 in Chicago: outside
        _msg(5, "Feature Used", "2026-11-02T05:59:59Z"),  # 23:59:59 Nov 1 in Chicago: outside
    ]
    assert load(wh, msgs) == 5
    assert load(wh, msgs[:2]) == 0  # a redelivery stores nothing
    expected = Counter(m["event"] for m in msgs[:3])
    answer = ask(wh, "event_counts", from_="2026-11-02", to="2026-11-03")
    assert {r["event"]: r["events"] for r in answer["rows"]} == dict(expected)
    assert answer["value"] == 3


def test_event_counts_empty_period_is_empty_not_an_error(wh) -> None:  # type: ignore[no-untyped-def]
    answer = ask(wh, "event_counts", from_="2030-01-01", to="2030-02-01")
    assert answer["rows"] == [] and answer["value"] == 0
