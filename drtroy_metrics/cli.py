"""The ``drtroy-metrics`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

DESCRIPTION = """\
Event tracking and success metrics for the school.

  up          the whole embedded stack (Tansu broker, collector, aggregator,
              read API and dashboard) in the foreground; --simulate feeds it
              realistic traffic. Ctrl-C stops everything.
  collector   the ingestion HTTP service (production)
  aggregator  Kafka -> ClickHouse consumer (--serve-api PORT also serves the
              read API from the same process, as embedded mode needs)
  dashboard   the read API and dashboard alone (production, ClickHouse server)
  prober      check HTTP targets and send Uptime Check events (uptime)
  migrate     create or upgrade the ClickHouse schema (idempotent)
  simulate    send realistic traffic of the school to a collector
  import      load historical orders, refunds or expenses from CSV
  report      the goals and headline metrics of a period in the terminal

Configuration comes from environment variables (see the README):
KAFKA_BOOTSTRAP_SERVERS, CLICKHOUSE_DSN, REPORTING_TZ, BROWSER_WRITE_KEYS,
SERVER_WRITE_KEYS, ALLOWED_ORIGINS, TRUSTED_PROXIES, GEOIP_CITY_DB, ...
"""


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING if not verbose else logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cmd_up(args: argparse.Namespace) -> int:
    from .settings import default_data_dir
    from .stack import Stack

    data_dir = Path(args.data_dir or default_data_dir()).expanduser().resolve()
    stack = Stack(
        data_dir, args.collector_port, args.dashboard_port, args.kafka_port, args.simulate
    )
    try:
        stack.start()
        return stack.watch()
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def cmd_collector(args: argparse.Namespace) -> int:
    import uvicorn
    from drtroy_collector.app import create_app

    from .settings import Settings

    settings = Settings()
    print(
        f"collector on http://{args.host}:{args.port} -> Kafka {settings.kafka_bootstrap_servers}",
        flush=True,
    )
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0


def cmd_aggregator(args: argparse.Namespace) -> int:
    from drtroy_aggregator.main import run

    from .settings import Settings

    asyncio.run(run(Settings(), api_port=args.serve_api, api_host=args.host))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    import uvicorn
    from drtroy_dashboard.app import create_app

    from .settings import Settings
    from .warehouse import Warehouse

    settings = Settings()
    print(f"read API and dashboard on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        create_app(settings, Warehouse.open(settings.dsn)),
        host=args.host,
        port=args.port,
        log_level="warning",
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from .settings import Settings
    from .warehouse import Warehouse, migrate

    settings = Settings()
    wh = Warehouse.open(settings.dsn)
    applied = migrate(wh)
    print(
        f"applied {len(applied)} migration(s)"
        + (": " + ", ".join(applied) if applied else "; schema is up to date")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drtroy-metrics",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    up = sub.add_parser(
        "up",
        help="run the whole embedded stack",
        description="Run Tansu, the collector, the aggregator and the read API/dashboard; Ctrl-C stops all.",
    )
    up.add_argument(
        "--data-dir", help="where chDB data, logs and dev keys live (default: the user's data dir)"
    )
    up.add_argument("--collector-port", type=int, default=8000)
    up.add_argument("--dashboard-port", type=int, default=8100)
    up.add_argument("--kafka-port", type=int, default=9092)
    up.add_argument(
        "--simulate",
        action="store_true",
        help="also feed realistic traffic (30 days backfill, then live)",
    )
    up.set_defaults(func=cmd_up)

    col = sub.add_parser("collector", help="run the collector (HTTP -> Kafka)")
    col.add_argument("--host", default="127.0.0.1")
    col.add_argument("--port", type=int, default=8000)
    col.set_defaults(func=cmd_collector)

    agg = sub.add_parser("aggregator", help="run the aggregator (Kafka -> ClickHouse)")
    agg.add_argument(
        "--serve-api",
        type=int,
        metavar="PORT",
        help="also serve the read API on PORT (embedded mode)",
    )
    agg.add_argument("--host", default="127.0.0.1", help="address of the read API")
    agg.set_defaults(func=cmd_aggregator)

    dash = sub.add_parser("dashboard", help="run the read API and dashboard")
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=8100)
    dash.set_defaults(func=cmd_dashboard)

    mig = sub.add_parser("migrate", help="create or upgrade the ClickHouse schema (idempotent)")
    mig.set_defaults(func=cmd_migrate)

    from drtroy_prober import cli as prober_cli

    from . import importer, report
    from .simulate import cli as simulate_cli

    # Commands whose module brings its own options: add_arguments(parser), run(args).
    for name, module, summary in (
        ("prober", prober_cli, "check HTTP targets and send Uptime Check events"),
        ("report", report, "goals and headline metrics of a period in the terminal"),
        ("import", importer, "load historical orders, refunds or expenses from CSV (idempotent)"),
        ("simulate", simulate_cli, "send realistic traffic to a collector"),
    ):
        cmd = sub.add_parser(
            name,
            help=summary,
            description=module.__doc__ or summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _logging(args.verbose)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
