"""``drtroy-metrics prober``: the command line of the uptime prober.

Wire it with::

    p = sub.add_parser("prober", help="check HTTP targets and send Uptime Check events")
    drtroy_prober.cli.add_arguments(p)
    p.set_defaults(func=drtroy_prober.cli.run)

Environment: ``COLLECTOR_URL`` (default http://127.0.0.1:8000),
``SERVER_WRITE_KEYS`` (the first key is used), ``PROBE_TARGETS`` (JSON or
``name=url,name=url``), ``PROBE_CONFIG`` (a JSON or TOML file).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from .config import (
    DEFAULT_INTERVAL_S,
    DEFAULT_TIMEOUT_S,
    ConfigError,
    Target,
    load_env,
    load_file,
    merge,
    parse_shorthand,
)
from .runner import Prober
from .sender import CollectorSender

log = logging.getLogger("drtroy.prober")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The prober's options on an (already created) sub-command parser."""
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("PROBE_CONFIG") or None,
        help="targets file, JSON or TOML (env PROBE_CONFIG)",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a target checked with the default method, status and timing (repeatable)",
    )
    parser.add_argument(
        "--collector-url",
        default=os.environ.get("COLLECTOR_URL", "http://127.0.0.1:8000"),
        help="where to send the checks (env COLLECTOR_URL)",
    )
    parser.add_argument(
        "--write-key",
        default=None,
        help="a server write key (default: the first of SERVER_WRITE_KEYS)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        help=f"seconds between checks for targets that don't say (default {DEFAULT_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds before a check fails for targets that don't say (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="check each target once, send, and exit (status 1 if any target is down)",
    )


def targets_from(args: argparse.Namespace, environ: dict[str, str] | None = None) -> list[Target]:
    """The targets of a command line: file, then ``PROBE_TARGETS``, then ``--target``."""
    env = os.environ if environ is None else environ
    defaults: dict[str, Any] = {}
    if args.interval is not None:
        defaults["interval_s"] = args.interval
    if args.timeout is not None:
        defaults["timeout_s"] = args.timeout
    from_file = load_file(Path(args.config), defaults) if args.config else []
    from_env = load_env(env.get("PROBE_TARGETS", ""), defaults)
    from_flags = [t for text in args.target for t in parse_shorthand(text, defaults)]
    return merge(from_file, from_env, from_flags)


def write_key_from(args: argparse.Namespace, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if args.write_key:
        return str(args.write_key)
    keys = [k.strip() for k in env.get("SERVER_WRITE_KEYS", "").split(",") if k.strip()]
    return keys[0] if keys else ""


def run(args: argparse.Namespace) -> int:
    """Run the prober until SIGINT/SIGTERM (or one round with ``--once``).
    Exit status: 0 fine, 1 a target down (``--once``), 2 bad configuration."""
    try:
        targets = targets_from(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not targets:
        print(
            "error: no targets: pass --target NAME=URL, --config FILE or set PROBE_TARGETS",
            file=sys.stderr,
        )
        return 2
    key = write_key_from(args)
    if not key:
        print("error: no write key: set SERVER_WRITE_KEYS or pass --write-key", file=sys.stderr)
        return 2
    for t in targets:
        print(
            f"probing {t.name}: {t.method} {t.url} every {t.interval_s:g}s (timeout {t.timeout_s:g}s)",
            flush=True,
        )
    print(f"sending Uptime Check events to {args.collector_url}", flush=True)
    return asyncio.run(_main(targets, args.collector_url, key, args.once))


async def _main(targets: list[Target], collector_url: str, key: str, once: bool) -> int:
    sender = CollectorSender(collector_url, key)
    prober = Prober(targets, sender, jitter=not once)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sending_stop = asyncio.Event()
    sending = asyncio.create_task(sender.run(sending_stop))
    try:
        await prober.run(stop, rounds=1 if once else None)
    finally:
        sending_stop.set()
        await sending
    log.info(
        "stopped after %d check(s), %d failed; %d sent, %d dropped",
        prober.checks,
        prober.failures,
        sender.sent,
        sender.dropped,
    )
    if once:
        return 1 if prober.failures else 0
    return 0
