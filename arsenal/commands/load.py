"""arsenal load PATH --db FILE"""

from __future__ import annotations

import argparse
import sys

from store.db import DEFAULT_DB, connect
from store.load import load_dataset

NAME = "load"
HELP = "Validate a data set, then replace the loaded data with it in one transaction."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", help="folder of CSV files, or an .xlsx workbook with one sheet per file"
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")


def run(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        report = load_dataset(con, args.path)
    finally:
        con.close()
    counts = ", ".join(f"{n} {k}" for k, n in report.row_counts.items() if n)
    print(
        f"loaded {args.path} into {args.db}: {counts}; content hash {report.content_hash[:12]}",
        file=sys.stderr,
    )
    return 0
