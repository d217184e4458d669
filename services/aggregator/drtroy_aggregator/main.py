"""Run the aggregator process: migrate, consume, and (embedded mode) serve
the read API from the same process, since chDB lets one process own its
data directory."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiokafka import AIOKafkaConsumer
from drtroy_collector.sink import KafkaSink

from drtroy_metrics.names import AGGREGATOR_GROUP, DLQ_TOPIC, EVENTS_TOPIC
from drtroy_metrics.settings import Settings
from drtroy_metrics.warehouse import Warehouse, migrate

from .pipeline import Pipeline
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
    pipeline = Pipeline(
        consumer,
        ClickHouseWriter(wh),
        dlq,
        DLQ_TOPIC,
        settings.batch_max_rows,
        settings.batch_max_age_s,
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
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        tasks.append(asyncio.create_task(server.serve()))
        log.info("read API and dashboard on http://%s:%d", api_host, api_port)

    await _start_consumer(consumer, stop)
    log.info(
        "consuming %s as group %s from %s",
        EVENTS_TOPIC,
        AGGREGATOR_GROUP,
        settings.kafka_bootstrap_servers,
    )
    try:
        await pipeline.run(stop)
    finally:
        log.info("stopping: flushed and committed; %d rows written this run", pipeline.rows_written)
        await consumer.stop()
        await dlq.stop()
        if server is not None:
            server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)
        wh.close()


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
