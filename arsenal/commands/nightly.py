"""``arsenal nightly``: baseline and every scenario, then the report in DIR/YYYY-MM-DD/."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from arsenal.cli import add_simulation_arguments, add_window_arguments, count_arg
from arsenal.commands.simulate import samples_arg, scheduler_arg
from arsenal.commands.tradeoff import points_arg

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "nightly"
HELP = (
    "Run the baseline and every saved scenario and write the report (HTML, PDF, CSV/Parquet, "
    "summary.json) to DIR/YYYY-MM-DD/; safe to kill and to rerun. Exit 0: complete; 3: "
    "partial (the baseline and the other scenarios are written, the failed ones named); "
    "2: rejected input; 1: failed, nothing written."
)
LOG_FILE = "nightly.log"
EXIT_PARTIAL = 3
log = logging.getLogger(__name__)


def _night(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def promise_samples_arg(text: str) -> int:
    """0 (none), or the samples ``arsenal simulate --samples`` takes."""
    return 0 if text.strip() == "0" else samples_arg(text)


def tradeoff_points_arg(text: str) -> int:
    """0 (no curve), or the points ``arsenal tradeoff --points`` takes."""
    return 0 if text.strip() == "0" else points_arg(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="report folder")
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=Path("scenarios"),
        metavar="DIR",
        help="folder of scenario TOML files (default: ./scenarios; missing: baseline only)",
    )
    parser.add_argument(
        "--date", type=_night, help="the night's date YYYY-MM-DD (default: today, UTC)"
    )
    add_window_arguments(parser, "first plan month")
    add_simulation_arguments(parser)
    parser.add_argument(
        "--tradeoff-points",
        type=tradeoff_points_arg,
        default=5,
        metavar="N",
        help="points of the baseline's US-rebuild/partner-readiness curve in the report "
        "(default 5; 0: none)",
    )
    parser.add_argument(
        "--promise-samples",
        type=promise_samples_arg,
        default=200,
        metavar="N",
        help="futures of the baseline's supply drawn for each promise's P(on time), as "
        "'arsenal simulate' (default 200; 0: none; skipped when the data has no uncertainty "
        "rules)",
    )
    parser.add_argument(
        "--workers",
        type=count_arg,
        default=None,
        help="local Dask workers for the night: forecast, plans, projections and those futures "
        "(default: the number of cores; 0: one worker thread inside this process, with no "
        "worker processes to start: for small data, where starting them costs more than "
        "they save)",
    )
    parser.add_argument(
        "--scheduler",
        type=scheduler_arg,
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler (tcp://HOST:PORT) for all of it instead",
    )
    parser.add_argument("--no-pdf", action="store_true", help="skip report.pdf (no Chromium)")
    parser.add_argument(
        "--force", action="store_true", help="rebuild the night's report even if up to date"
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.nightly import NightlyOptions, run_nightly
    from reports.nightly import NightlyReport

    args.out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(args.out / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        opts = NightlyOptions(
            db=args.db,
            out=args.out,
            scenarios=args.scenarios,
            start=args.start,
            horizon=args.horizon,
            paths=args.paths,
            seed=args.seed,
            pdf=not args.no_pdf,
            force=args.force,
            tradeoff_points=args.tradeoff_points,
            promise_samples=args.promise_samples,
            workers=args.workers,
            scheduler=args.scheduler,
            **({"night": args.date} if args.date else {}),
        )
        outcome = run_nightly(opts, NightlyReport())
    except BaseException as exc:
        log.error("nightly run failed: %s: %s", type(exc).__name__, exc)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
    print(outcome.folder, file=sys.stdout)
    for f in outcome.failures:
        print(f"arsenal nightly: scenario {f.scenario} failed: {f.reason}", file=sys.stderr)
    return EXIT_PARTIAL if outcome.failures else 0
