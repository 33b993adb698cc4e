"""``arsenal export --for PARTNER``: the partner's view, only rows releasable to it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from store.db import DEFAULT_DB, connect
from store.errors import InputRejected, Problem
from store.runs import latest_run
from store.sql import query

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
    from reports.partner import write_partner_extract

    con = connect(args.db, read_only=True)
    try:
        partners = set(query(con, "dataset_partners").get_column("partner_id"))
        if args.partner not in partners:
            raise InputRejected(
                [Problem("arguments", None, "--for", args.partner, "unknown partner")]
            )
        if args.run:
            found = query(con, "run_by_id", run_id=args.run)
            if not found.height:
                raise InputRejected([Problem("arguments", None, "--run", args.run, "no such run")])
            chosen = found.row(0, named=True)
        else:
            chosen = latest_run(con, "project", args.scenario)
            if chosen is None:
                raise InputRejected(
                    [
                        Problem(
                            "arguments",
                            None,
                            "--scenario",
                            args.scenario,
                            "no run with a plan and a projection; run 'arsenal run' first",
                        )
                    ]
                )
        summary = write_partner_extract(con, chosen, args.partner, args.out)
    finally:
        con.close()
    print(
        f"extract for {args.partner} from run {chosen['run_id']} in {args.out}: "
        f"{summary['commitments']} commitment(s), {summary['stocks']} stock(s)",
        file=sys.stderr,
    )
    return 0
