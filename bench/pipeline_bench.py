"""Pipeline throughput beside bare-client baselines, in one run.

    python bench/pipeline_bench.py [--events 20000] [--concurrency 8]

1. collector: events/s through the collector's HTTP API (batches of 100,
   each answered only after acks=all), beside a bare aiokafka producer loop
   sending the same payloads, 100 at a time, each batch awaited.
2. aggregator: rows/s from Kafka into ClickHouse (decode, row, dedup lookup,
   insert, commit), beside a bare clickhouse-connect insert loop of the same
   rows in batches of the same size.

Real parts only: Tansu and chDB on this machine. Figures drift between runs
and machines; compare the columns of one run. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from drtroy_aggregator.pipeline import Pipeline
from drtroy_aggregator.process import COLUMNS, decode, to_row
from drtroy_aggregator.writer import ClickHouseWriter
from drtroy_collector.ingest import Enricher, RequestFacts, collect, encode, partition_key
from drtroy_schemas import Refusal
from drtroy_schemas.example_messages import load_examples
from tqdm import tqdm

from drtroy_metrics.broker import ensure_topics, start_tansu
from drtroy_metrics.names import DLQ_TOPIC, EVENTS_TOPIC
from drtroy_metrics.producer import KafkaSink
from drtroy_metrics.stack import wait_http, wait_tcp
from drtroy_metrics.warehouse import Warehouse, migrate

KEY = "bench-server-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_messages(n: int, tag: str) -> list[dict]:
    """n valid Segment messages cycling through the examples, unique ids, 500 visitors."""
    examples = list(load_examples().values())
    out = []
    for i in range(n):
        m = copy.deepcopy(examples[i % len(examples)])
        m["messageId"] = f"{tag}-{i}"
        if "anonymousId" in m:
            m["anonymousId"] = f"{tag}-visitor-{i % 500}"
        out.append(m)
    return out


def collected_payloads(messages: list[dict]) -> list[tuple[bytes, bytes]]:
    facts = RequestFacts(datetime.now(UTC), "server", "", "", None, {})
    enricher = Enricher(None, "bench", frozenset())
    out = []
    for m in messages:
        ev = collect(m, None, facts, enricher)
        assert not isinstance(ev, Refusal), ev
        out.append((partition_key(ev), encode(ev)))
    return out


async def bare_producer(
    bootstrap: str, payloads: list[tuple[bytes, bytes]], batch: int, concurrency: int
) -> float:
    p = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", compression_type="gzip", linger_ms=2
    )
    await p.start()
    chunks = [payloads[i : i + batch] for i in range(0, len(payloads), batch)]
    queue: asyncio.Queue = asyncio.Queue()
    for c in chunks:
        queue.put_nowait(c)
    bar = tqdm(total=len(payloads), desc="bare aiokafka", unit="ev", leave=False)

    async def worker() -> None:
        while not queue.empty():
            chunk = queue.get_nowait()
            futs = [await p.send(EVENTS_TOPIC, value=v, key=k) for k, v in chunk]
            await asyncio.gather(*futs)
            bar.update(len(chunk))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    bar.close()
    await p.stop()
    return len(payloads) / elapsed


async def via_collector(url: str, messages: list[dict], batch: int, concurrency: int) -> float:
    chunks = [messages[i : i + batch] for i in range(0, len(messages), batch)]
    queue: asyncio.Queue = asyncio.Queue()
    for c in chunks:
        queue.put_nowait(c)
    bar = tqdm(total=len(messages), desc="collector", unit="ev", leave=False)
    async with httpx.AsyncClient(base_url=url, auth=(KEY, ""), timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                chunk = queue.get_nowait()
                r = await client.post("/v1/batch", json={"batch": chunk})
                if r.status_code != 200:
                    raise RuntimeError(f"collector answered {r.status_code}: {r.text[:200]}")
                bar.update(len(chunk))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    bar.close()
    return len(messages) / elapsed


async def aggregator_rate(bootstrap: str, wh: Warehouse, total: int, max_rows: int) -> float:
    """Consume the whole topic into ClickHouse with the real pipeline."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"bench-{time.time_ns()}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    sink = KafkaSink(bootstrap, 5)
    await sink.start()
    pipeline = Pipeline(
        consumer, ClickHouseWriter(wh), sink, DLQ_TOPIC, max_rows=max_rows, max_age_s=0.5
    )
    consumer.subscribe([EVENTS_TOPIC], listener=pipeline.listener())
    await consumer.start()
    stop = asyncio.Event()
    bar = tqdm(total=total, desc="aggregator", unit="row", leave=False)
    task = asyncio.create_task(pipeline.run(stop))
    t0 = time.perf_counter()
    seen = 0
    while seen < total:
        await asyncio.sleep(0.1)
        bar.update(pipeline.rows_written - seen)
        seen = pipeline.rows_written
        if task.done():
            task.result()
    elapsed = time.perf_counter() - t0
    stop.set()
    await task
    bar.close()
    await consumer.stop()
    await sink.stop()
    return total / elapsed


def bare_inserts(wh: Warehouse, rows: list[tuple], batch: int) -> float:
    wh.command("DROP TABLE IF EXISTS events_bench_baseline")
    wh.command("CREATE TABLE events_bench_baseline AS events")
    t0 = time.perf_counter()
    for i in range(0, len(rows), batch):
        wh.insert("events_bench_baseline", rows[i : i + batch], COLUMNS)
    elapsed = time.perf_counter() - t0
    wh.command("DROP TABLE events_bench_baseline")
    return len(rows) / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--events", type=int, default=20_000, help="events per measurement (default 20000)"
    )
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    ap.add_argument(
        "--batch-rows", type=int, default=5000, help="aggregator batch size (default 5000)"
    )
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="drtroy-bench-"))
    kafka_port, collector_port = free_port(), free_port()
    bootstrap = f"127.0.0.1:{kafka_port}"
    tansu = start_tansu(kafka_port, root / "tansu.log")
    collector = None
    try:
        wait_tcp(kafka_port, 30, tansu)
        asyncio.run(ensure_topics(bootstrap, 6))
        env = dict(
            os.environ,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SERVER_WRITE_KEYS=KEY,
            RATE_LIMIT_PER_S="1e9",
            RATE_LIMIT_BURST="1000000000",
        )
        log = open(root / "collector.log", "ab")  # noqa: SIM115
        collector = subprocess.Popen(
            [sys.executable, "-m", "drtroy_metrics", "collector", "--port", str(collector_port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"http://127.0.0.1:{collector_port}/healthz", 60, collector)
        print(
            f"Tansu on {bootstrap}, collector on :{collector_port}, chDB in {root}; {args.events} events per run"
        )

        base_msgs = make_messages(args.events, "base")
        payloads = collected_payloads(base_msgs)
        bare_rate = asyncio.run(bare_producer(bootstrap, payloads, 100, args.concurrency))
        col_rate = asyncio.run(
            via_collector(
                f"http://127.0.0.1:{collector_port}",
                make_messages(args.events, "col"),
                100,
                args.concurrency,
            )
        )

        wh = Warehouse.open(f"chdb://{root / 'clickhouse'}")
        migrate(wh)
        total = 2 * args.events  # everything produced above
        agg_rate = asyncio.run(aggregator_rate(bootstrap, wh, total, args.batch_rows))
        rows = [to_row(decode(v), 0, i) for i, (_, v) in enumerate(payloads)]
        ins_rate = bare_inserts(wh, rows, args.batch_rows)
        wh.close()
    finally:
        if collector is not None:
            collector.terminate()
            collector.wait(10)
        tansu.terminate()
        tansu.wait(10)

    print()
    print(f"{'':34}{'pipeline':>12}{'baseline':>12}{'ratio':>8}")
    print(
        f"{'collector events/s (100/request)':34}{col_rate:>12,.0f}{bare_rate:>12,.0f}{col_rate / bare_rate:>8.2f}   baseline: bare aiokafka, acks=all"
    )
    print(
        f"{'aggregator rows/s':34}{agg_rate:>12,.0f}{ins_rate:>12,.0f}{agg_rate / ins_rate:>8.2f}   baseline: bare clickhouse-connect inserts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
