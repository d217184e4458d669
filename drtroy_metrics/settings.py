"""All configuration, from the environment, each with a safe default."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The user's data directory (never the repository)."""
    return Path(platformdirs.user_data_dir("drtroy-metrics", appauthor=False))


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    """Environment variables (upper-case names of the fields below)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # chdb:///abs/path (embedded) or http://user:pass@host:8123/db (production)
    clickhouse_dsn: str = ""
    reporting_tz: str = "America/Chicago"
    browser_write_keys: str = ""
    server_write_keys: str = ""
    allowed_origins: str = ""
    trusted_proxies: str = ""
    geoip_city_db: str = ""
    # Salt of the client-IP hash; set a secret in production.
    ip_hash_salt: str = "drtroy-dev-salt"
    # The school's own hosts: a referrer from one of these is `direct` traffic.
    site_hosts: str = ""
    data_dir: Path = Field(default_factory=default_data_dir)

    topic_partitions: int = 6
    produce_timeout_s: float = 5.0
    max_event_bytes: int = 32 * 1024
    max_request_bytes: int = 512 * 1024
    rate_limit_per_s: float = 200.0
    rate_limit_burst: int = 2000

    # POST /api/v1/sql (read-only SQL) on the read API; off unless asked for.
    sql_console: bool = False

    batch_max_rows: int = 5000
    batch_max_age_s: float = 1.0
    # the aggregator's heartbeat (one record per partition) and health readings
    heartbeat_interval_s: float = Field(default=5.0, gt=0)
    health_interval_s: float = Field(default=2.0, gt=0)
    # where the read API's /api/v1/health checks the collector ('' = don't)
    collector_url: str = ""

    @property
    def dsn(self) -> str:
        return self.clickhouse_dsn or f"chdb://{self.data_dir / 'clickhouse'}"

    @cached_property
    def browser_keys(self) -> frozenset[str]:
        return frozenset(_csv(self.browser_write_keys))

    @cached_property
    def server_keys(self) -> frozenset[str]:
        return frozenset(_csv(self.server_write_keys))

    @cached_property
    def origins(self) -> list[str]:
        return _csv(self.allowed_origins)

    @cached_property
    def proxies(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p, strict=False) for p in _csv(self.trusted_proxies)]

    @cached_property
    def own_hosts(self) -> frozenset[str]:
        return frozenset(h.lower() for h in _csv(self.site_hosts))
