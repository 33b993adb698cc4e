"""``arsenal run``: the pipeline (forecast, plan, projection) for the baseline or a scenario."""

from __future__ import annotations

import argparse
import sys

from arsenal.cli import (
    add_plan_arguments,
    add_scenario_arguments,
    add_simulation_arguments,
    add_window_arguments,
    print_json,
)
from store.months import month_text

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "run"
HELP = "Run demand forecast, plan and stock projection for the baseline or a scenario."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_scenario_arguments(parser)
    add_window_arguments(parser, "first plan month")
    add_simulation_arguments(parser)
    add_plan_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from pipeline.compute import run_pipeline
    from pipeline.json_shapes import pipeline_json
    from pipeline.metrics import render_firmed, render_metrics

    run_id, result = run_pipeline(
        args.db,
        args.scenario,
        args.scenarios,
        start=args.start,
        horizon=args.horizon,
        paths=args.paths,
        seed=args.seed,
        us_target_weight=args.us_target_weight,
        reference=args.reference,
    )
    if args.json:
        print_json(pipeline_json(run_id, result))
    else:
        s = result.summary()
        print(
            f"pipeline run {run_id} ({result.scenario}) from {month_text(result.start)} for "
            f"{args.horizon} months: plan {s['allocate']['status']}, weighted late unit-months "
            f"{s['allocate']['weighted_late_unit_months']:,.0f}, "
            f"{s['allocate']['late_commitments']} late promise(s), "
            f"{s['project']['breach_p50_within_horizon']} stock(s) below floor by P50",
            file=sys.stderr,
        )
        for line in render_metrics(result.plan.metrics(result.outlook)):
            print(f"  {line}", file=sys.stderr)
        for line in render_firmed(s["allocate"]):
            print(f"  {line}", file=sys.stderr)
    return 0
