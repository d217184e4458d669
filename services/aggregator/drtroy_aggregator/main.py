"""Run the aggregator process: migrate, consume, and (embedded mode) serve
the read API from the same process, since chDB lets one process own its
data directory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from drtroy_metrics.names import AGGREGATOR_GROUP, DLQ_TOPIC, EVENTS_TOPIC
from drtroy_metrics.producer import KafkaSink
from drtroy_metrics.settings import Settings
from drtroy_metrics.warehouse import Warehouse, migrate

from . import telemetry as tm
from .pipeline import HEARTBEAT_COLUMNS, Pipeline, emit_heartbeats, watch_health
from .writer import ClickHouseWriter

log = logging.getLogger("drtroy.aggregator")


async def run(settings: Settings, api_port: int | None = None, api_host: str = "127.0.0.1") -> None:
    wh = Warehouse.open(settings.dsn)
    applied = migrate(wh)
    log.info("ClickHouse %s ready (%d migration(s) applied)", _safe(settings.dsn), len(applied))
    dlq = KafkaSink(settings.kafka_bootstrap_servers, settings.produce_timeout_s)
    await dlq.start()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=AGGREGATOR_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        metadata_max_age_ms=5000,
    )

    async def write_heartbeats(rows: object) -> None:
        await wh.ainsert(tm.HEARTBEATS_TABLE, rows, HEARTBEAT_COLUMNS)  # type: ignore[arg-type]

    pipeline = Pipeline(
        consumer,
        ClickHouseWriter(wh),
        dlq,
        DLQ_TOPIC,
        settings.batch_max_rows,
        settings.batch_max_age_s,
        heartbeat_writer=write_heartbeats,
    )
    consumer.subscribe([EVENTS_TOPIC], listener=pipeline.listener())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    server = None
    tasks = []
    if api_port is not None:
        import uvicorn
        from drtroy_dashboard.app import create_app

        app = create_app(settings, wh, pipeline=pipeline)
        server = uvicorn.Server(
            uvicorn.Config(app, host=api_host, port=api_port, log_level="warning", lifespan="on")
        )
        # this process's own handlers stop the pipeline and then the server
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        tasks.append(asyncio.create_task(server.serve()))
        log.info("read API and dashboard on http://%s:%d", api_host, api_port)

    await _start_consumer(consumer, stop)
    log.info(
        "consuming %s as group %s from %s",
        EVENTS_TOPIC,
        AGGREGATOR_GROUP,
        settings.kafka_bootstrap_servers,
    )
    heartbeat_s = settings.heartbeat_interval_s
    health_stop = asyncio.Event()
    health_tasks = [
        asyncio.create_task(_heartbeats(settings, heartbeat_s, health_stop)),
        asyncio.create_task(
            watch_health(
                pipeline,
                lambda: tm.read_freshness(wh),
                settings.health_interval_s,
                health_stop,
            )
        ),
    ]
    log.info("heartbeat every %gs to each partition of %s", heartbeat_s, EVENTS_TOPIC)
    try:
        await pipeline.run(stop)
    finally:
        health_stop.set()
        await asyncio.gather(*health_tasks, return_exceptions=True)
        log.info("stopping: flushed and committed; %d rows written this run", pipeline.rows_written)
        await consumer.stop()
        await dlq.stop()
        if server is not None:
            server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)
        wh.close()


async def _heartbeats(settings: Settings, interval_s: float, stop: asyncio.Event) -> None:
    """Start a heartbeat producer (retrying while Kafka is away), then beat."""
    delay = 0.5
    while not stop.is_set():
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            acks="all",
            request_timeout_ms=int(settings.produce_timeout_s * 1000),
            # Tansu refuses InitProducerId; a duplicate heartbeat is harmless
            enable_idempotence=False,
        )
        try:
            await asyncio.wait_for(producer.start(), 10)
        except Exception as e:
            await producer.stop()
            log.warning("heartbeat producer: Kafka not reachable (%r); retrying in %.1fs", e, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 5)
            continue
        try:
            await emit_heartbeats(producer, EVENTS_TOPIC, interval_s, stop)
        finally:
            await producer.stop()


async def _start_consumer(consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
    delay = 0.5
    while not stop.is_set():
        try:
            await consumer.start()
            return
        except Exception as e:
            log.warning("Kafka not reachable (%r); retrying in %.1fs", e, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)


def _safe(dsn: str) -> str:
    """The DSN without its password, for logs."""
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return dsn
