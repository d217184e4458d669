"""The pipeline end to end against the real Tansu broker and chDB."""

from __future__ import annotations

import copy
import time

import pytest
from drtroy_schemas.example_messages import load_examples
from segment.analytics import Client

from tests.support import BROWSER_KEY, SERVER_KEY, RunningStack

pytestmark = pytest.mark.integration


def _rows_for(stack: RunningStack, uid: str) -> int:
    return stack.scalar(
        f"SELECT count() FROM events WHERE message_id LIKE '{uid}%' OR anonymous_id LIKE '{uid}%' OR user_id LIKE '{uid}%'"
    )


def test_segment_sdk_calls_land_once_each(stack: RunningStack, uid: str) -> None:
    errors: list[object] = []
    client = Client(
        SERVER_KEY,
        host=stack.collector_url,
        sync_mode=True,
        gzip=True,
        on_error=lambda e, b: errors.append(e),
    )
    client.identify(
        f"{uid}-user", {"profession": "OT", "license_state": "TX"}, anonymous_id=f"{uid}-anon"
    )
    client.page(
        f"{uid}-user",
        name="Home",
        properties={"path": "/", "load_ms": 420},
        anonymous_id=f"{uid}-anon",
        context={
            "page": {
                "path": "/",
                "url": "https://drtroy.example/",
                "referrer": "https://www.google.com/",
            }
        },
    )
    for i in range(5):
        client.track(
            f"{uid}-user", "Feature Used", {"feature": f"f{i}"}, anonymous_id=f"{uid}-anon"
        )
    client.track(
        f"{uid}-user",
        "Order Completed",
        {
            "order_id": f"{uid}-o1",
            "revenue": 80.10,
            "products": [{"course_id": "c1", "price": 80.10}],
        },
        anonymous_id=f"{uid}-anon",
    )
    client.flush()
    assert errors == []
    assert stack.wait_for(f"SELECT count() FROM events WHERE user_id = '{uid}-user'", 8) == 8
    got = dict(
        stack.sql(f"SELECT event, count() FROM events WHERE user_id = '{uid}-user' GROUP BY event")
    )
    assert got == {"identify": 1, "page": 1, "Feature Used": 5, "Order Completed": 1}
    # money arrives exact, traits typed, channel classified
    assert (
        stack.scalar(f"SELECT toString(revenue) FROM events WHERE order_id = '{uid}-o1'") == "80.1"
    )
    assert stack.sql(
        f"SELECT profession, license_state FROM events WHERE user_id = '{uid}-user' AND event = 'identify'"
    ) == [["OT", "TX"]]
    assert (
        stack.scalar(f"SELECT channel FROM events WHERE user_id = '{uid}-user' AND event = 'page'")
        == "search"
    )


def test_same_message_ids_sent_again_change_no_count(stack: RunningStack, uid: str) -> None:
    examples = load_examples()
    batch = []
    for name, msg in examples.items():
        m = copy.deepcopy(msg)
        m["messageId"] = f"{uid}-{name}"
        batch.append(m)
    first = stack.post("/v1/batch", {"batch": batch})
    assert first.status_code == 200, first.text
    assert all(r["status"] == "accepted" for r in first.json()["results"]), first.json()
    n = len(batch)
    assert stack.wait_for(f"SELECT count() FROM events WHERE message_id LIKE '{uid}-%'", n) == n
    # a client retry: the same messages again, twice, one of them on its own
    assert stack.post("/v1/batch", {"batch": batch}).status_code == 200
    assert stack.post("/v1/batch", {"batch": batch[:3]}).status_code == 200
    assert stack.post("/v1/track", batch[1]).status_code == 200
    marker = {
        "type": "track",
        "event": "Feature Used",
        "userId": f"{uid}-marker",
        "messageId": f"{uid}-marker",
        "properties": {"feature": "x"},
    }
    assert stack.post("/v1/track", marker).status_code == 200
    # once the marker (sent after the duplicates, on some partition) is in, wait a little for the rest
    assert stack.wait_for(f"SELECT count() FROM events WHERE message_id = '{uid}-marker'", 1) == 1
    final = stack.settle(f"SELECT count() FROM events WHERE message_id LIKE '{uid}-%'")
    assert final == n + 1
    assert (
        stack.scalar(f"SELECT uniqExact(message_id) FROM events WHERE message_id LIKE '{uid}-%'")
        == n + 1
    )
    counts = stack.metric("event_counts", **{"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert counts["metric"] == "event_counts"


def test_browser_key_cannot_send_server_events_and_neighbours_are_kept(
    stack: RunningStack, uid: str
) -> None:
    ok = {"type": "page", "anonymousId": f"{uid}-a", "messageId": f"{uid}-p1", "properties": {}}
    server_only = {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": f"{uid}-a",
        "messageId": f"{uid}-o",
        "properties": {"order_id": "x", "revenue": 1, "products": [{"course_id": "c"}]},
    }
    missing = {
        "type": "track",
        "event": "Lesson Started",
        "anonymousId": f"{uid}-a",
        "messageId": f"{uid}-l",
        "properties": {"course_id": "c"},
    }
    r = stack.post(
        "/v1/batch",
        {"batch": [ok, server_only, missing, dict(ok, messageId=f"{uid}-p2")]},
        key=BROWSER_KEY,
    )
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["accepted", "refused", "refused", "accepted"]
    assert res[1]["code"] == 403 and "server" in res[1]["error"]
    assert res[2]["code"] == 400 and "lesson_id" in res[2]["error"]
    assert stack.wait_for(f"SELECT count() FROM events WHERE anonymous_id = '{uid}-a'", 2) == 2
    time.sleep(1)
    assert stack.scalar(f"SELECT count() FROM events WHERE anonymous_id = '{uid}-a'") == 2


def test_live_reports_the_pipelines_health_beside_the_traffic(
    stack: RunningStack, uid: str
) -> None:
    msg = {
        "type": "page",
        "anonymousId": f"{uid}-live",
        "messageId": f"{uid}-live",
        "properties": {},
    }
    assert stack.post("/v1/page", msg, key=BROWSER_KEY).status_code == 200
    assert stack.wait_for(f"SELECT count() FROM events WHERE message_id = '{uid}-live'", 1) == 1
    answer = stack.metric("live").json()
    assert answer["values"]["active_visitors"] >= 1
    health = answer["pipeline"]
    assert health["freshness_seconds"] is not None and health["freshness_seconds"] < 60
    assert isinstance(health["consumer_lag"], dict) and health["consumer_lag_total"] >= 0
    assert "seconds_since_last_commit" in answer["values"]
