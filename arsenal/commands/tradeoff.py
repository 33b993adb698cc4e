"""``arsenal tradeoff``: US rebuild against partner readiness, point by point."""

from __future__ import annotations

import argparse

from arsenal.cli import add_window_arguments, positive_int, print_json

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "tradeoff"
HELP = "The frontier between US unit-months below target and partner unit-months below floor."


def points_arg(text: str) -> int:
    value = positive_int(text)
    if not 2 <= value <= 101:
        raise argparse.ArgumentTypeError(f"{text!r}: from 2 to 101 points")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_window_arguments(parser, "first plan month")
    parser.add_argument(
        "--points",
        type=points_arg,
        default=11,
        help="points on the curve, ends included (default 11)",
    )
    parser.add_argument("--json", action="store_true", help="print the curve as JSON")


def run(args: argparse.Namespace) -> int:
    from pipeline.tradeoff import render_tradeoff, run_tradeoff, tradeoff_json

    result = run_tradeoff(args.db, args.start, args.horizon, args.points)
    if args.json:
        print_json(tradeoff_json(result))
    else:
        print(render_tradeoff(result))
    return 0
