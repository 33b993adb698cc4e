"""``arsenal diff [LOAD_A LOAD_B]``: the rows two loads differ in, per imported table."""

from __future__ import annotations

import argparse

from arsenal.cli import positive_int, print_json
from store.db import DEFAULT_DB
from store.errors import InputRejected, Problem

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "diff"
HELP = (
    "Compare two loads (default: the last two): rows added, removed and changed per table, "
    "with the changed fields."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "loads",
        nargs="*",
        type=positive_int,
        metavar="LOAD",
        help="two load ids, older first (see 'arsenal status'); none: the last two loads",
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the DuckDB file (default {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")


def run(args: argparse.Namespace) -> int:
    from pipeline.diff import read_load_diff, render_diff

    if len(args.loads) not in (0, 2):
        raise InputRejected(
            [Problem("arguments", None, "LOAD", None, "give two loads, or none for the last two")]
        )
    diff = read_load_diff(args.db, *args.loads)
    if args.json:
        print_json(diff.as_dict())
    else:
        print(render_diff(diff))
    return 0
