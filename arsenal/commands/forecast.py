"""``arsenal forecast``: choose and fit a demand model per (holder, item), store the forecast."""

from __future__ import annotations

import argparse
import os
import sys

from arsenal.cli import add_window_arguments, positive_int, print_json
from store.months import month_text

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "forecast"
HELP = "Choose a demand model per (holder, item) by backtest and store the forecast."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_window_arguments(parser, "first forecast month")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes (default: cores)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from pipeline.json_shapes import forecast_json
    from pipeline.stages import forecast_stage

    run_id, start, result = forecast_stage(args.db, args.start, args.horizon, workers=args.workers)
    if args.json:
        print_json(forecast_json(run_id, start, args.horizon, result))
    else:
        summary = result.models.group_by("model").len().sort("len", descending=True)
        print(
            f"forecast run {run_id}: {result.models.height} series from {month_text(start)}",
            file=sys.stderr,
        )
        for model, n in summary.rows():
            print(f"  {model}: {n}", file=sys.stderr)
    return 0
