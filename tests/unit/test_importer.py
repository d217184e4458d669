"""CSV import: rows -> messages, stable ids, bad rows named by line."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from drtroy_schemas import Refusal, validate_message

from drtroy_metrics.importer import parse

TZ = ZoneInfo("America/Chicago")

ORDERS = """order_id,user_id,timestamp,revenue,subtotal,discount,coupon,coupon_kind,course_id,package_id,price,ce_hours
o1,u1,2025-03-01T10:00:00,90.00,100.00,10.00,SPRING10,marketing,tx-ethics,,40.00,2
o1,u1,2025-03-01T10:00:00,90.00,100.00,10.00,SPRING10,marketing,falls,,60.00,3
o2,u2,2025-03-02T23:30:00Z,25.50,,,,,gait,tx-pack,25.50,1
o3,,2025-03-03T10:00:00,10,,,,,x,,,
o4,u4,yesterday,10,,,,,x,,,
"""


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_order_lines_group_into_orders_with_exact_money() -> None:
    parsed = parse("orders", _rows(ORDERS), TZ)
    assert [m["properties"]["order_id"] for m in parsed.messages] == ["o1", "o2"]
    o1 = parsed.messages[0]
    assert o1["properties"]["revenue"] == "90.00" and o1["properties"]["discount"] == "10.00"
    assert [p["course_id"] for p in o1["properties"]["products"]] == ["tx-ethics", "falls"]
    # 10:00 in Chicago in March before DST = 16:00 UTC
    assert o1["timestamp"] == "2025-03-01T16:00:00Z"
    assert parsed.messages[1]["timestamp"] == "2025-03-02T23:30:00Z"
    for m in parsed.messages:
        assert not isinstance(validate_message(m, "server"), Refusal)


def test_bad_rows_are_named_by_line_and_good_rows_kept() -> None:
    parsed = parse("orders", _rows(ORDERS), TZ)
    assert len(parsed.errors) == 2
    assert parsed.errors[0].startswith("line 5:") and "user_id" in parsed.errors[0]
    assert parsed.errors[1].startswith("line 6:")


def test_ids_are_stable_across_runs_so_reimport_counts_once() -> None:
    refunds = (
        "order_id,user_id,timestamp,amount,reason\no1,u1,2025-04-01T09:00:00Z,20.00,changed mind\n"
    )
    expenses = "date,amount,category,channel\n2025-03-01,500.00,marketing,paid\n2025-03-01,500.00,marketing,social\n"
    a = (
        parse("refunds", _rows(refunds), TZ).messages
        + parse("expenses", _rows(expenses), TZ).messages
    )
    b = (
        parse("refunds", _rows(refunds), TZ).messages
        + parse("expenses", _rows(expenses), TZ).messages
    )
    assert [m["messageId"] for m in a] == [m["messageId"] for m in b]
    assert len({m["messageId"] for m in a}) == 3  # two expenses differing only by channel stay two
    assert a[1]["properties"]["date"] == "2025-03-01"
    for m in a:
        assert not isinstance(validate_message(m, "server"), Refusal)
