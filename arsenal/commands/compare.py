"""``arsenal compare``: two runs side by side (run ids, or scenario names for their latest run)."""

from __future__ import annotations

import argparse

from arsenal.cli import print_json
from store.db import DEFAULT_DB, connect

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "compare"
HELP = "Compare two runs: lateness, promises, completion and rebuild months, capacity value, cost."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="run id, or scenario name (its latest run)")
    parser.add_argument("b", metavar="B", help="run id, or scenario name (its latest run)")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the DuckDB file (default {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")


def run(args: argparse.Namespace) -> int:
    from pipeline.compare import compare_runs, render_comparison

    con = connect(args.db, read_only=True)
    try:
        result = compare_runs(con, args.a, args.b)
    finally:
        con.close()
    if args.json:
        print_json(result)
    else:
        print(render_comparison(result))
    return 0
