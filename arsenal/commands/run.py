"""``arsenal run``: the pipeline (forecast, plan, projection) for the baseline or a scenario."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from typing import Any

from arsenal.cli import add_window_arguments, positive_int
from arsenal.pipeline import (
    DEFAULT_PATHS,
    compute,
    content_hash,
    load_applied,
    pipeline_json,
    write_pipeline,
)
from store.dataset import default_start, read_dataset
from store.db import Connection, connect, transaction
from store.months import month_text
from store.runs import latest_run

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "run"
HELP = "Run demand forecast, plan and stock projection for the baseline or a scenario."
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    parser.add_argument(
        "--scenario", default="baseline", help="scenario name (default: the baseline)"
    )
    parser.add_argument(
        "--scenarios",
        default="scenarios",
        metavar="DIR",
        help="folder of scenario TOML files (default: ./scenarios)",
    )
    add_window_arguments(parser, "first plan month")
    parser.add_argument(
        "--paths",
        type=positive_int,
        default=DEFAULT_PATHS,
        help=f"simulated consumption paths for the projection (default {DEFAULT_PATHS})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _previous_forecast(con: Connection, start: date, horizon: int) -> Any:
    """The latest baseline forecast from the same start and horizon: series whose history
    has not changed are reused from it (scenarios never change consumption history)."""
    from arsenal.commands.forecast import read_demand

    last = latest_run(con, "forecast", "baseline")
    if last is None or last["start_month"] != start or last["horizon"] != horizon:
        return None
    return read_demand(con, last["run_id"])


def run(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        dataset = read_dataset(con)
        start = args.start or default_start(dataset)
        applied = load_applied(dataset, args.scenario, args.scenarios)
        result = compute(
            applied,
            start,
            args.horizon,
            previous_demand=_previous_forecast(con, start, args.horizon),
            paths=args.paths,
            seed=args.seed,
            scenario_folder=args.scenarios if applied.chain else None,
        )
        with transaction(con):
            run_id = write_pipeline(con, result, content_hash(con))
    finally:
        con.close()
    if args.json:
        json.dump(pipeline_json(run_id, result), sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        s = result.summary()
        print(
            f"pipeline run {run_id} ({result.scenario}) from {month_text(start)} for "
            f"{args.horizon} months: plan {s['allocate']['status']}, weighted late unit-months "
            f"{s['allocate']['weighted_late_unit_months']:,.0f}, "
            f"{s['allocate']['late_commitments']} late promise(s), "
            f"{s['project']['breach_p50_within_horizon']} stock(s) below floor by P50",
            file=sys.stderr,
        )
    return 0
