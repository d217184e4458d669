"""The collector's app factory; the lifespan owns the Kafka producer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from drtroy_metrics.producer import EventSink, KafkaSink
from drtroy_metrics.settings import Settings

from .enrich import GeoLookup
from .ingest import Enricher
from .limits import TokenBucket
from .routes import router

log = logging.getLogger("drtroy.collector")


def create_app(settings: Settings | None = None, sink: EventSink | None = None) -> FastAPI:
    settings = settings or Settings()
    sink = sink or KafkaSink(settings.kafka_bootstrap_servers, settings.produce_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sink.start()
        if not settings.browser_keys and not settings.server_keys:
            log.warning(
                "no write keys configured (BROWSER_WRITE_KEYS / SERVER_WRITE_KEYS): every event gets 401"
            )
        yield
        await sink.stop()

    app = FastAPI(
        title="drtroy-metrics collector", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.sink = sink
    app.state.enricher = Enricher(
        GeoLookup(settings.geoip_city_db), settings.ip_hash_salt, settings.own_hosts
    )
    app.state.bucket = TokenBucket(settings.rate_limit_per_s, settings.rate_limit_burst)
    if settings.origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "Content-Encoding"],
            # the tracker reads Retry-After to pace its retries
            expose_headers=["Retry-After"],
            max_age=86400,
        )
    app.include_router(router)
    return app
