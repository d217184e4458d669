"""``drtroy-metrics import``: historical orders, refunds or expenses from CSV,
through the collector like any other server event.

Each message's id is derived from what it describes (the order id, or the
refund's or expense's row content), so importing the same file again counts
nothing twice. Bad rows are reported with their line number and the reason;
the good rows are still sent.

CSV columns (a header row is required; extra columns are ignored):

- orders, one row per order line (rows of one order share order_id):
  ``order_id, user_id, timestamp, revenue, course_id`` and optionally
  ``subtotal, discount, coupon, coupon_kind, currency, package_id, price,
  ce_hours, anonymous_id``. ``revenue`` (net of discount) is the order's and
  is taken from its first row.
- refunds: ``order_id, user_id, timestamp, amount`` and optionally ``reason``.
- expenses: ``date, amount, category`` and optionally ``channel, note``.

``timestamp`` is ISO-8601; one without a zone is read in the reporting zone.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tqdm import tqdm

KINDS = ("orders", "refunds", "expenses")
BATCH = 100


@dataclass
class Parsed:
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _iso(value: str, tz: ZoneInfo) -> str:
    t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _money(value: str, name: str) -> str:
    try:
        d = Decimal(value.strip())
    except InvalidOperation as e:
        raise ValueError(f"{name} is not a number: {value!r}") from e
    return str(d)


def _need(row: dict[str, str], *names: str) -> None:
    missing = [n for n in names if not (row.get(n) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


def _row_id(kind: str, row: dict[str, str]) -> str:
    digest = hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()[:24]
    return f"import-{kind}-{digest}"


def parse(kind: str, rows: Iterable[dict[str, str]], tz: ZoneInfo) -> Parsed:
    """CSV rows -> Segment track messages (pure). Line numbers count the header as 1."""
    out = Parsed()
    if kind == "orders":
        orders: dict[str, dict[str, Any]] = {}
        for line, row in enumerate(rows, start=2):
            try:
                _need(row, "order_id", "user_id", "timestamp", "revenue", "course_id")
                oid = row["order_id"].strip()
                product: dict[str, Any] = {"course_id": row["course_id"].strip()}
                if (row.get("package_id") or "").strip():
                    product["package_id"] = row["package_id"].strip()
                if (row.get("price") or "").strip():
                    product["price"] = _money(row["price"], "price")
                if (row.get("ce_hours") or "").strip():
                    product["ce_hours"] = float(row["ce_hours"])
                if oid not in orders:
                    props: dict[str, Any] = {
                        "order_id": oid,
                        "revenue": _money(row["revenue"], "revenue"),
                        "products": [],
                    }
                    for opt in ("subtotal", "discount"):
                        if (row.get(opt) or "").strip():
                            props[opt] = _money(row[opt], opt)
                    for opt in ("coupon", "coupon_kind", "currency"):
                        if (row.get(opt) or "").strip():
                            props[opt] = row[opt].strip()
                    msg = {
                        "type": "track",
                        "event": "Order Completed",
                        "messageId": f"import-order-{oid}",
                        "userId": row["user_id"].strip(),
                        "timestamp": _iso(row["timestamp"], tz),
                        "properties": props,
                        "context": {"library": {"name": "drtroy-import", "version": "1"}},
                    }
                    if (row.get("anonymous_id") or "").strip():
                        msg["anonymousId"] = row["anonymous_id"].strip()
                    orders[oid] = msg
                orders[oid]["properties"]["products"].append(product)
            except (ValueError, KeyError) as e:
                out.errors.append(f"line {line}: {e}")
        out.messages = list(orders.values())
    elif kind == "refunds":
        for line, row in enumerate(rows, start=2):
            try:
                _need(row, "order_id", "user_id", "timestamp", "amount")
                props = {
                    "order_id": row["order_id"].strip(),
                    "amount": _money(row["amount"], "amount"),
                }
                if (row.get("reason") or "").strip():
                    props["reason"] = row["reason"].strip()
                out.messages.append({
                    "type": "track", "event": "Order Refunded", "messageId": _row_id("refund", row),
                    "userId": row["user_id"].strip(), "timestamp": _iso(row["timestamp"], tz), "properties": props,
                })  # fmt: skip
            except (ValueError, KeyError) as e:
                out.errors.append(f"line {line}: {e}")
    elif kind == "expenses":
        for line, row in enumerate(rows, start=2):
            try:
                _need(row, "date", "amount", "category")
                day = dt.date.fromisoformat(row["date"].strip())
                props = {
                    "amount": _money(row["amount"], "amount"),
                    "category": row["category"].strip(),
                    "date": day.isoformat(),
                }
                for opt in ("channel", "note"):
                    if (row.get(opt) or "").strip():
                        props[opt] = row[opt].strip()
                noon = dt.datetime.combine(day, dt.time(12), tz).astimezone(dt.UTC)
                out.messages.append({
                    "type": "track", "event": "Expense Recorded", "messageId": _row_id("expense", row),
                    "userId": "finance-import", "timestamp": noon.isoformat().replace("+00:00", "Z"), "properties": props,
                })  # fmt: skip
            except (ValueError, KeyError) as e:
                out.errors.append(f"line {line}: {e}")
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return out


def _chunks(items: list[dict[str, Any]], n: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def send(
    url: str, key: str, messages: list[dict[str, Any]], progress: bool = True
) -> tuple[int, list[str]]:
    """Send through the collector's batch API; retries 429/503. Returns (accepted, refusals)."""
    accepted, refusals = 0, []
    bar = tqdm(total=len(messages), unit="ev", desc="import", disable=not progress)
    with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as client:
        for chunk in _chunks(messages, BATCH):
            for attempt in range(8):
                try:
                    r = client.post("/v1/batch", json={"batch": chunk})
                except httpx.HTTPError:
                    r = None
                if r is not None and r.status_code == 200:
                    break
                if r is not None and r.status_code not in (429, 503):
                    raise RuntimeError(f"collector answered {r.status_code}: {r.text[:300]}")
                wait = float(r.headers.get("retry-after", 1)) if r is not None else 1.0
                time.sleep(min(wait * (attempt + 1), 30))
            else:
                raise RuntimeError(
                    "collector kept answering 429/503; nothing after this batch was sent"
                )
            for res in r.json().get("results", []):
                if res.get("status") == "accepted":
                    accepted += 1
                else:
                    refusals.append(f"{res.get('messageId')}: {res.get('error')}")
            bar.update(len(chunk))
    bar.close()
    return accepted, refusals


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS, help="what the CSV holds")
    p.add_argument("csv", type=Path, help="the CSV file (with a header row)")
    p.add_argument("--collector-url", default="http://127.0.0.1:8000")
    p.add_argument("--server-key", help="a server write key (default: first of SERVER_WRITE_KEYS)")
    p.add_argument(
        "--dry-run", action="store_true", help="check the file and print what would be sent"
    )


def run(args: argparse.Namespace) -> int:
    import os

    from .settings import Settings

    tz = ZoneInfo(Settings().reporting_tz)
    with args.csv.open(newline="", encoding="utf-8-sig") as f:
        parsed = parse(args.kind, csv.DictReader(f), tz)
    for err in parsed.errors:
        print(f"{args.csv}: {err}", file=sys.stderr)
    print(f"{len(parsed.messages)} {args.kind} event(s) read, {len(parsed.errors)} bad row(s)")
    if args.dry_run:
        import orjson

        for m in parsed.messages:
            print(orjson.dumps(m).decode())
        return 1 if parsed.errors else 0
    key = args.server_key or os.environ.get("SERVER_WRITE_KEYS", "").split(",")[0].strip()
    if not key:
        print(
            "error: no server write key: pass --server-key or set SERVER_WRITE_KEYS",
            file=sys.stderr,
        )
        return 2
    accepted, refusals = send(args.collector_url, key, parsed.messages)
    for r in refusals:
        print(f"refused {r}", file=sys.stderr)
    print(
        f"accepted {accepted}, refused {len(refusals)} (a re-run sends the same ids: nothing counts twice)"
    )
    return 1 if (parsed.errors or refusals) else 0
