"""``arsenal project``: project every stock pool with the plan and simulated consumption."""

from __future__ import annotations

import argparse
import os
import sys

from arsenal.cli import add_simulation_arguments, add_window_arguments, positive_int, print_json
from store.months import month_text

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "project"
HELP = (
    "Project every stock pool and partner stock month by month: floor breach and "
    "target months at P10/P50/P90."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_window_arguments(parser, "first projected month")
    add_simulation_arguments(parser)
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes, if a forecast has to be run first (default: cores)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from pipeline.json_shapes import project_json
    from pipeline.stages import project_stage

    done = project_stage(
        args.db,
        args.start,
        args.horizon,
        paths=args.paths,
        seed=args.seed,
        workers=args.workers,
    )
    if args.json:
        print_json(project_json(done.run_id, done.start, done.horizon, done.projection))
    else:
        print(
            f"projection run {done.run_id}: {done.projection.outlook.height} stocks from "
            f"{month_text(done.start)}, {done.breached} breach their floor by P50 within "
            f"{done.horizon} months",
            file=sys.stderr,
        )
    return 0
