"""Message -> row (the aggregator's pure step), using the shared examples."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from drtroy_aggregator.process import COLUMNS, BadMessage, decode, to_row
from drtroy_collector.enrich import GeoLookup
from drtroy_collector.ingest import Enricher, RequestFacts, collect, derive_message_id, encode
from drtroy_schemas import CollectedEvent, Refusal
from drtroy_schemas.example_messages import load_examples

EXAMPLES = load_examples()
RECEIVED = datetime(2026, 11, 3, 19, 20, 5, tzinfo=UTC)
FACTS = RequestFacts(RECEIVED, "server", "8.8.8.8", "", None, {})
ENRICHER = Enricher(GeoLookup(), "salt", frozenset())


def _collected(name: str, facts: RequestFacts = FACTS) -> CollectedEvent:
    ev = collect(EXAMPLES[name], None, facts, ENRICHER)
    assert not isinstance(ev, Refusal), ev
    return ev


def _row(name: str, facts: RequestFacts = FACTS) -> dict:
    ev = decode(encode(_collected(name, facts)))
    return dict(zip(COLUMNS, to_row(ev, 2, 41), strict=True))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_becomes_a_row_through_the_wire(name: str) -> None:
    row = _row(name)
    assert row["message_id"] == EXAMPLES[name]["messageId"]
    assert (row["_partition"], row["_offset"]) == (2, 41)
    assert len(row) == len(COLUMNS)


def test_order_row_has_exact_money_and_product_lines() -> None:
    row = _row("order_completed")
    assert row["revenue"] == Decimal("80.1") and row["discount"] == Decimal("8.9")
    assert row["product_prices"] == [Decimal("29"), Decimal("60")]
    assert row["product_package_ids"] == ["", "tx-pt-renewal"]
    assert row["coupon"] == "FALL10" and row["coupon_kind"] == "marketing"


def test_event_time_is_skew_corrected_and_ip_is_only_hashed() -> None:
    # a browser event: the connection's address is the visitor's
    row = _row("page", RequestFacts(RECEIVED, "client", "8.8.8.8", "", None, {}))
    # sentAt - timestamp = 0.88 s, so the event happened 0.88 s before receipt
    assert row["event_time"] == datetime(2026, 11, 3, 19, 20, 4, 120000, tzinfo=UTC)
    assert row["country"] == "US"
    assert "8.8.8.8" not in orjson.dumps(row, default=str).decode()
    assert row["ip_hash"]
    # a server event's connection address is the backend's, never the visitor's
    assert _row("signed_in")["country"] == "" and _row("signed_in")["ip_hash"] == ""


def test_identify_row_carries_traits_and_page_row_carries_channel() -> None:
    ident = _row("identify")
    assert (ident["profession"], ident["license_state"], ident["is_employee"]) == ("PT", "TX", 0)
    page = _row("page")
    assert (
        page["channel"] == "search"
        and page["device"] == "desktop"
        and page["page_path"] == "/courses/ethics-tx"
    )


def test_lesson_and_uptime_and_expense_columns() -> None:
    lesson = _row("lesson_completed")
    assert (
        lesson["course_id"],
        lesson["lesson_index"],
        lesson["lesson_count"],
        lesson["duration_s"],
    ) == ("tx-ethics", 1, 4, 900.0)
    up = _row("uptime_check")
    assert (up["target"], up["ok"], up["status_code"], up["latency_ms"]) == (
        "website",
        1,
        200,
        143.5,
    )
    exp = _row("expense_recorded")
    assert str(exp["expense_date"]) == "2026-11-01" and exp["amount"] == Decimal("1250")


@pytest.mark.parametrize(
    "value, reason",
    [(b"", "empty"), (b"{not json", "not JSON"), (b'{"message_id": "x"}', "not a collected event")],
)
def test_bad_messages_say_why(value: bytes, reason: str) -> None:
    with pytest.raises(BadMessage, match=reason):
        decode(value)


def test_missing_message_id_is_derived_stably_for_retries() -> None:
    msg = {k: v for k, v in EXAMPLES["signed_in"].items() if k != "messageId"}
    retry = dict(msg, sentAt="2026-11-03T19:25:00.000Z")
    assert derive_message_id(msg) == derive_message_id(retry)
    assert derive_message_id(msg) != derive_message_id(dict(msg, event="Signed Up"))
    untimed = {k: v for k, v in msg.items() if k != "timestamp"}
    assert derive_message_id(untimed) != derive_message_id(untimed)  # may be two real events


def test_browser_context_ip_is_not_trusted_but_server_forwarded_ip_is() -> None:
    msg = dict(EXAMPLES["page"], context={**EXAMPLES["page"]["context"], "ip": "81.2.69.142"})
    client = collect(msg, None, RequestFacts(RECEIVED, "client", "8.8.8.8", "", None, {}), ENRICHER)
    server = collect(msg, None, FACTS, ENRICHER)
    assert not isinstance(client, Refusal) and not isinstance(server, Refusal)
    assert client.enrichment.country == "US" and server.enrichment.country == "GB"
    assert "ip" not in client.context and "ip" not in server.context


def test_browser_identify_links_ids_but_its_traits_do_not_fill_trait_columns() -> None:
    browser = _row("identify", RequestFacts(RECEIVED, "client", "8.8.8.8", "", None, {}))
    assert browser["user_id"] == "user-1042" and browser["anonymous_id"] == "anon-3f9c2a"
    assert (browser["profession"], browser["license_state"], browser["is_employee"]) == (
        "",
        "",
        None,
    )
    assert '"profession":"PT"' in browser["traits"]
