"""The collector's HTTP surface with an in-memory sink (the seam)."""

from __future__ import annotations

import copy
import gzip

import orjson
import pytest
from drtroy_collector.app import create_app
from drtroy_collector.sink import MemorySink
from drtroy_schemas.example_messages import load_examples
from fastapi.testclient import TestClient

from drtroy_metrics.names import DLQ_TOPIC, EVENTS_TOPIC
from drtroy_metrics.settings import Settings

EX = load_examples()
BKEY, SKEY = "b-key", "s-key"


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(sink: MemorySink):  # type: ignore[no-untyped-def]
    settings = Settings(
        browser_write_keys=BKEY,
        server_write_keys=SKEY,
        allowed_origins="https://drtroy.example",
        max_event_bytes=4096,
        max_request_bytes=64 * 1024,
        rate_limit_per_s=1000,
        rate_limit_burst=10_000,
    )
    with TestClient(create_app(settings, sink)) as c:
        yield c


def _sent(sink: MemorySink, topic: str = EVENTS_TOPIC) -> list[dict]:
    return [orjson.loads(v) for _, v in sink.records.get(topic, [])]


def test_basic_auth_batch_gives_per_event_results_and_keeps_neighbours(
    client: TestClient, sink: MemorySink
) -> None:
    bad = copy.deepcopy(EX["lesson_started"])
    del bad["properties"]["lesson_index"]
    batch = [EX["page"], bad, EX["order_completed"], "not an object"]
    r = client.post("/v1/batch", json={"batch": batch}, auth=(SKEY, ""))
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["accepted", "refused", "accepted", "refused"]
    assert "lesson_index" in res[1]["error"] and res[1]["code"] == 400
    assert [e["message_id"] for e in _sent(sink)] == ["ex-page", "ex-order_completed"]
    # refusals go to the dead-letter topic with their reason
    letters = _sent(sink, DLQ_TOPIC)
    assert (
        len(letters) == 2
        and letters[0]["stage"] == "collector"
        and "lesson_index" in letters[0]["reason"]
    )


def test_partition_key_is_the_visitor(client: TestClient, sink: MemorySink) -> None:
    client.post("/v1/batch", json={"batch": [EX["page"], EX["uptime_check"]]}, auth=(SKEY, ""))
    keys = [k for k, _ in sink.records[EVENTS_TOPIC]]
    assert keys == [EX["page"]["anonymousId"].encode(), EX["uptime_check"]["userId"].encode()]


def test_write_key_in_body_and_text_plain_beacon(client: TestClient, sink: MemorySink) -> None:
    body = orjson.dumps({"writeKey": BKEY, "batch": [EX["page"]]})
    r = client.post("/v1/batch", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert r.status_code == 200 and r.json()["success"] is True
    assert _sent(sink)[0]["key_trust"] == "client"


@pytest.mark.parametrize(
    "auth, body, status, words",
    [
        (None, {"batch": []}, 401, "no write key"),
        (("nope", ""), {"batch": []}, 401, "unknown write key"),
        ((SKEY, ""), {"nobatch": 1}, 400, "'batch' array"),
    ],
)
def test_request_level_errors_name_the_problem(
    client: TestClient, auth, body, status, words
) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/batch", json=body, auth=auth)
    assert r.status_code == status and words in r.json()["error"]


def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post("/v1/batch", content=b"{oops", auth=(SKEY, ""))
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


def test_single_call_refusals_use_their_status(client: TestClient) -> None:
    r = client.post("/v1/track", json=EX["order_completed"], auth=(BKEY, ""))
    assert r.status_code == 403 and "server write key" in r.json()["error"]
    msg = {k: v for k, v in EX["nps_submitted"].items()}
    msg["properties"] = {"score": 42}
    r = client.post("/v1/track", json=msg, auth=(SKEY, ""))
    assert r.status_code == 400 and "score" in r.json()["error"]
    r = client.post(
        "/v1/page", json={k: v for k, v in EX["page"].items() if k != "type"}, auth=(BKEY, "")
    )
    assert r.status_code == 200 and r.json() == {"success": True, "messageId": "ex-page"}


def test_gzip_body_is_accepted(client: TestClient, sink: MemorySink) -> None:
    body = gzip.compress(orjson.dumps({"batch": [EX["page"], EX["signed_in"]]}))
    r = client.post(
        "/v1/batch",
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        auth=(SKEY, ""),
    )
    assert r.status_code == 200 and len(_sent(sink)) == 2


def test_size_limits_per_event_and_per_request(client: TestClient, sink: MemorySink) -> None:
    big = copy.deepcopy(EX["feature_used"])
    big["properties"]["blob"] = "x" * 5000
    r = client.post("/v1/batch", json={"batch": [big, EX["page"]]}, auth=(SKEY, ""))
    assert r.status_code == 200
    assert [x["code"] for x in r.json()["results"]] == [413, 200]
    huge = {"batch": [EX["page"]] * 200}  # about 200 KB, over the 64 KB limit
    assert client.post("/v1/batch", json=huge, auth=(SKEY, "")).status_code == 413
    bomb = gzip.compress(b'{"batch": [' + b" " * 200_000 + b"]}")
    r = client.post(
        "/v1/batch", content=bomb, headers={"Content-Encoding": "gzip"}, auth=(SKEY, "")
    )
    assert r.status_code == 413


def test_not_durable_is_503_with_retry_after_never_2xx(
    client: TestClient, sink: MemorySink
) -> None:
    sink.fail = True
    r = client.post("/v1/batch", json={"batch": [EX["page"]]}, auth=(SKEY, ""))
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()["results"][0]["status"] == "retry"
    assert client.post("/v1/track", json=EX["signed_in"], auth=(SKEY, "")).status_code == 503
    assert client.get("/readyz").status_code == 503
    sink.fail = False
    assert client.get("/readyz").status_code == 200


def test_rate_limit_answers_429_for_browser_keys_only(sink: MemorySink) -> None:
    settings = Settings(
        browser_write_keys=BKEY, server_write_keys=SKEY, rate_limit_per_s=0.01, rate_limit_burst=3
    )
    with TestClient(create_app(settings, sink)) as c:
        responses = [c.post("/v1/page", json=EX["page"], auth=(BKEY, "")) for _ in range(5)]
        server = [
            c.post("/v1/track", json=EX["signed_in"], auth=(SKEY, "")).status_code for _ in range(5)
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert int(responses[3].headers["retry-after"]) >= 1
    assert server == [200] * 5


def test_cors_for_configured_origins_only(client: TestClient) -> None:
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/v1/batch", headers={"Origin": "https://drtroy.example", **pre})
    assert ok.headers.get("access-control-allow-origin") == "https://drtroy.example"
    other = client.options("/v1/batch", headers={"Origin": "https://evil.example", **pre})
    assert "access-control-allow-origin" not in other.headers


def test_health_and_prometheus(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.post("/v1/track", json=EX["signed_in"], auth=(SKEY, ""))
    text = client.get("/metrics").text
    assert "collector_events_total" in text and "collector_produce_seconds" in text


def test_tracker_script_is_served_cacheable(client: TestClient) -> None:
    r = client.get("/tracker.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "max-age" in r.headers["cache-control"]
