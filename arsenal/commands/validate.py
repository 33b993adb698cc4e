"""arsenal validate PATH"""

from __future__ import annotations

import argparse
import sys

from arsenal.cli import print_json
from store.validate import validate_path

NAME = "validate"
HELP = "Check a data set (a folder of CSV files or an .xlsx workbook) against the import format; write nothing."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", help="folder of CSV files, or an .xlsx workbook with one sheet per file"
    )
    parser.add_argument("--json", action="store_true", help="print the row counts and hash as JSON")


def run(args: argparse.Namespace) -> int:
    validated = validate_path(args.path)
    if args.json:
        print_json(
            {
                "valid": True,
                "content_hash": validated.content_hash,
                "row_counts": validated.row_counts,
            },
            indent=2,
        )
    else:
        total = sum(validated.row_counts.values())
        print(
            f"{args.path}: valid, {total} rows, content hash {validated.content_hash[:12]}",
            file=sys.stderr,
        )
    return 0
