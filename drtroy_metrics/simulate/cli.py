"""``drtroy-metrics simulate``: arguments and the thin shell around the
generator, the truth and the sender."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from .generator import HOUR, generate, live_window
from .model import Call, to_ms
from .sender import backfill, live
from .truth import compute_truth

DEFAULT_TZ = "America/Chicago"
# live mode keeps this much of each new visitor's journey (see generator.live_window)
LIVE_HORIZON_MS = 2 * HOUR


def _first_key(env: str) -> str:
    return next((k.strip() for k in os.environ.get(env, "").split(",") if k.strip()), "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``simulate`` sub-command's options."""
    parser.description = (
        "Send realistic traffic of the school (visitors, sign-ups, orders with coupons, lessons with "
        "drop-off, refunds, NPS, expenses, uptime checks) to a collector, through its public API, with "
        "a browser write key for browser events and a server write key for server events. "
        "Backfill a period as fast as the collector takes it (--days or --from/--to), and/or run live "
        "at a rate (--rate). The same --seed always gives the same events."
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  drtroy-metrics simulate --days 30 --seed 7 --truth truth.json\n"
        "  drtroy-metrics simulate --from 2026-11-01 --to 2026-12-01 --dry-run events.jsonl\n"
        "  drtroy-metrics simulate --days 7 --rate 5      # a week of history, then live"
    )
    parser.add_argument(
        "--collector-url",
        default="http://127.0.0.1:8000",
        help="the collector's base URL (default: %(default)s)",
    )
    parser.add_argument(
        "--browser-key",
        default=_first_key("BROWSER_WRITE_KEYS"),
        help="browser write key (default: first of $BROWSER_WRITE_KEYS)",
    )
    parser.add_argument(
        "--server-key",
        default=_first_key("SERVER_WRITE_KEYS"),
        help="server write key (default: first of $SERVER_WRITE_KEYS)",
    )
    parser.add_argument("--days", type=int, help="backfill N days ending now (today included)")
    parser.add_argument(
        "--from",
        dest="frm",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="backfill from this day (00:00 in --tz)",
    )
    parser.add_argument(
        "--to",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="backfill up to this day, exclusive (default: tomorrow, capped at now)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        metavar="EVENTS_PER_S",
        help="after any backfill, keep sending live traffic at about this rate until Ctrl-C",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplies the people (and bots, marketing spend) per day of a backfill; "
        "1.0 is about 110 new visitors and 3,500 events a day (default: %(default)s)",
    )
    parser.add_argument(
        "--truth",
        type=Path,
        metavar="FILE",
        help="write the metrics of the backfilled period, computed from what was "
        "generated, as JSON",
    )
    parser.add_argument(
        "--dry-run",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the calls as JSON lines ({key, ip, message}) to FILE or stdout "
        "instead of sending them",
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="concurrent requests (default: %(default)s)"
    )
    parser.add_argument(
        "--tz",
        default=os.environ.get("REPORTING_TZ") or DEFAULT_TZ,
        help="zone that cuts days for --days/--from/--to and the truth "
        "(default: $REPORTING_TZ or %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def backfill_period(args: argparse.Namespace, now: datetime) -> tuple[date, date] | None:
    """The backfill's ``[from, to)`` days, or None when there is no backfill."""
    zone = ZoneInfo(args.tz)
    today = now.astimezone(zone).date()
    if args.days is not None:
        if args.days < 1:
            raise ValueError("--days must be at least 1")
        return today - timedelta(days=args.days - 1), today + timedelta(days=1)
    if args.frm is not None or args.to is not None:
        if args.frm is None:
            raise ValueError("--to needs --from")
        to = args.to or today + timedelta(days=1)
        if to <= args.frm:
            raise ValueError("--to must be after --from")
        return args.frm, to
    if args.rate is None:
        return today - timedelta(days=6), today + timedelta(days=1)  # default: the last 7 days
    return None


def _bounds(period: tuple[date, date], tz: str, now: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime.combine(period[0], datetime.min.time(), tzinfo=zone)
    end = datetime.combine(period[1], datetime.min.time(), tzinfo=zone)
    return start, min(end, now)  # never send events from the future


def _write_jsonl(calls: list[Call], out: IO[str]) -> None:
    for c in calls:
        out.write(
            json.dumps({"key": c.key_kind, "ip": c.forwarded_ip, "message": c.message}) + "\n"
        )


def people_per_hour_for(rate: float, seed: int) -> float:
    """People arriving per hour so that live traffic runs at about ``rate``
    events a second, measured on a sample of live journeys."""
    start = to_ms(datetime(2026, 3, 10, 18, tzinfo=UTC))
    sample = live_window(seed, start, HOUR, 200.0)
    people = max(1, len({c.message.get("anonymousId") for c in sample if c.key_kind == "browser"}))
    per_person = len(sample) / people
    return max(1.0, rate * 3600 / per_person)


def run(args: argparse.Namespace) -> int:
    """Run the simulation; returns the process exit code."""
    now = datetime.now(UTC)
    try:
        period = backfill_period(args, now)
    except ValueError as e:
        print(f"simulate: {e}", file=sys.stderr)
        return 2
    if args.truth and period is None:
        print("simulate: --truth needs a backfill period (--days or --from/--to)", file=sys.stderr)
        return 2
    sending = not args.dry_run
    if sending and not (args.browser_key and args.server_key):
        print(
            "simulate: need --browser-key and --server-key (or BROWSER_WRITE_KEYS / SERVER_WRITE_KEYS)",
            file=sys.stderr,
        )
        return 2
    progress = not args.no_progress and sys.stderr.isatty()
    code = 0
    if period is not None:
        start, end = _bounds(period, args.tz, now)
        calls = generate(start, end, args.seed, args.scale)
        print(
            f"simulate: {len(calls)} events from {period[0]} to {period[1]} ({args.tz}), seed {args.seed}",
            file=sys.stderr,
        )
        if args.truth:
            truth = compute_truth(calls, period[0], period[1], args.tz)
            args.truth.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n")
            print(f"simulate: truth written to {args.truth}", file=sys.stderr)
        if args.dry_run:
            if args.dry_run == "-":
                _write_jsonl(calls, sys.stdout)
            else:
                with open(args.dry_run, "w") as f:
                    _write_jsonl(calls, f)
        else:
            stats = asyncio.run(
                backfill(
                    calls,
                    args.collector_url,
                    args.browser_key,
                    args.server_key,
                    workers=args.workers,
                    progress=progress,
                )
            )
            print("simulate: " + stats.summary(), file=sys.stderr)
            code = 1 if stats.failed else 0
    if args.rate is not None and sending:
        code = max(code, _run_live(args, progress))
    return code


def _run_live(args: argparse.Namespace, progress: bool) -> int:
    per_hour = people_per_hour_for(args.rate, args.seed)
    print(
        f"simulate: live at ~{args.rate:g} events/s ({per_hour:.0f} new visitors an hour); Ctrl-C stops",
        file=sys.stderr,
    )

    async def main() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

        async def window(start_s: float) -> list[Call]:
            return await asyncio.to_thread(
                live_window, args.seed, int(start_s * 1000), 60_000, per_hour, LIVE_HORIZON_MS
            )

        return await live(
            args.collector_url,
            args.browser_key,
            args.server_key,
            window,
            window_s=60.0,
            workers=args.workers,
            progress=progress,
            stop=stop,
            warmup_s=LIVE_HORIZON_MS / 1000,
        )

    stats = asyncio.run(main())
    print("simulate: " + stats.summary(), file=sys.stderr)
    return 1 if stats.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m drtroy_metrics.simulate``)."""
    parser = argparse.ArgumentParser(prog="drtroy-metrics simulate")
    add_arguments(parser)
    return run(parser.parse_args(argv))
