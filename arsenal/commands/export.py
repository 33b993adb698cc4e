"""``arsenal export --for PARTNER``: the partner's view, only rows releasable to it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from store.db import DEFAULT_DB

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "export"
HELP = (
    "Write a partner's extract (its commitments, planned deliveries, projected stocks) holding "
    "only rows releasable to it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--for", dest="partner", required=True, metavar="PARTNER", help="partner id"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the DuckDB file (default {DEFAULT_DB})")
    parser.add_argument("--run", help="pipeline run id (default: the latest run of --scenario)")
    parser.add_argument("--scenario", default="baseline", help="scenario (default: baseline)")


def run(args: argparse.Namespace) -> int:
    from reports.partner import export_partner

    summary = export_partner(args.db, args.partner, args.out, args.run, args.scenario)
    print(
        f"extract for {args.partner} from run {summary['run_id']} in {args.out}: "
        f"{summary['commitments']} commitment(s), {summary['stocks']} stock(s)",
        file=sys.stderr,
    )
    return 0
