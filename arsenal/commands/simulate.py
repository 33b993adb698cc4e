"""``arsenal simulate``: how likely each promise is to be kept when the industrial base slips."""

from __future__ import annotations

import argparse
import sys

from arsenal.cli import (
    add_scenario_arguments,
    add_window_arguments,
    number_arg,
    positive_int,
    print_json,
)
from store.defaults import DEFAULT_SEED

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "simulate"
HELP = (
    "Monte Carlo over the uncertainty rules (uncertainty.csv, [[uncertainty]]) on Dask: "
    "P(on time) and completion months per promise, breach odds per stock, critical lines."
)
MAX_SAMPLES = 1_000_000


def samples_arg(text: str) -> int:
    value = positive_int(text)
    if value > MAX_SAMPLES:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_SAMPLES:,} samples")
    return value


def tolerance_arg(text: str) -> float:
    value = number_arg("standard error", positive=True)(text)
    if value >= 0.5:
        raise argparse.ArgumentTypeError(f"{text!r}: a standard error of a share is below 0.5")
    return value


def scheduler_arg(text: str) -> str:
    if not text.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a Dask scheduler address such as tcp://10.0.0.5:8786"
        )
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_scenario_arguments(parser)
    add_window_arguments(parser, "first plan month")
    parser.add_argument(
        "--samples", type=samples_arg, default=1000, help="sampled futures (default 1000)"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--mode",
        choices=("replan", "fixed"),
        default="replan",
        help="replan: each future planned afresh (what planners can do); fixed: the plan "
        "executed as published (its risk as promised). Default replan",
    )
    parser.add_argument(
        "--demand",
        choices=("paths", "mean"),
        default="paths",
        help="paths: each future consumes a simulated path of the stored demand models (the "
        "projection's); mean: the forecast mean. Either times any demand_factor. Default paths",
    )
    parser.add_argument(
        "--tolerance",
        type=tolerance_arg,
        default=None,
        help="stop once every promise's standard error of P(on time) is below this (checked "
        "after each batch, in sample order)",
    )
    parser.add_argument(
        "--scheduler",
        type=scheduler_arg,
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler (tcp://HOST:PORT); default: a local cluster",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="local cluster worker processes (default: the number of cores)",
    )
    parser.add_argument(
        "--criticality-samples",
        type=int,
        default=50,
        metavar="N",
        help="futures re-solved per uncertain line with that line held neutral, for the "
        "lateness its uncertainty costs (default 50; 0: skip)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _progress(done: int, total: int) -> None:
    print(f"simulate: {done}/{total} samples", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from pipeline.simulate_stage import render_simulation, run_simulate, simulate_json

    if args.criticality_samples < 0:
        print("arsenal simulate: --criticality-samples must be 0 or more", file=sys.stderr)
        return 2
    result = run_simulate(
        args.db,
        scenario=args.scenario,
        scenarios=args.scenarios,
        start=args.start,
        horizon=args.horizon,
        samples=args.samples,
        seed=args.seed,
        mode=args.mode,
        tolerance=args.tolerance,
        scheduler=args.scheduler,
        workers=args.workers,
        criticality_samples=args.criticality_samples,
        progress=_progress,
        demand=args.demand,
    )
    if args.json:
        print_json(simulate_json(result))
    else:
        print(render_simulation(result))
    return 0
