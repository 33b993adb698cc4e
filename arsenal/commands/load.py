"""arsenal load PATH --db FILE [--by NAME] [--keep-loads N]"""

from __future__ import annotations

import argparse
import sys

from arsenal.cli import positive_int
from store.db import DEFAULT_DB
from store.load import DEFAULT_KEEP_LOADS, load_path

NAME = "load"
HELP = "Validate a data set, then replace the loaded data with it in one transaction."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", help="folder of CSV files, or an .xlsx workbook with one sheet per file"
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    parser.add_argument(
        "--by", metavar="NAME", help="who loads it, for the audit trail (default: the OS user)"
    )
    parser.add_argument(
        "--keep-loads",
        type=positive_int,
        default=DEFAULT_KEEP_LOADS,
        metavar="N",
        help=f"keep the tables of the last N loads for 'arsenal diff' (default {DEFAULT_KEEP_LOADS})",
    )


def run(args: argparse.Namespace) -> int:
    report = load_path(args.db, args.path, by=args.by, keep_loads=args.keep_loads)
    counts = ", ".join(f"{n} {k}" for k, n in report.row_counts.items() if n)
    print(
        f"loaded {args.path} into {args.db} as load {report.load_id} by {report.loaded_by}: "
        f"{counts}; content hash {report.content_hash[:12]}",
        file=sys.stderr,
    )
    return 0
