"""``arsenal remedies``: what would make a late promise less late, each remedy re-solved."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from arsenal.cli import print_json
from store.db import DEFAULT_DB

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "remedies"
HELP = (
    "Remedies for a late promise of the baseline plan: more capacity where it binds, "
    "expansion options, shorter lead times, a higher absorption limit, a higher priority; each "
    "re-solved as a what-if (its effect on the promise and on every promise)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("promise", help="the commitment id of a late promise")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=Path("scenarios"),
        help="saved scenarios (a remedy is built on the baseline; default: scenarios)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the remedies as JSON: each with kind, what, doc (the scenario), "
        "late_before/after, completion_before/after, weighted_before/after, became_late, error",
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.remedies import find_remedies

    try:
        found = find_remedies(args.db, args.promise, args.scenarios)
    except KeyError as exc:
        print(f"arsenal remedies: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.json:
        print_json([r.as_dict() for r in found], indent=2)
        return 0
    if not found:
        print(f"{args.promise} is on time in the baseline plan: nothing to remedy.")
        return 0
    print(f"Remedies for {args.promise}, each planned again as a what-if:")
    for r in found:
        if r.error:
            print(f"  - {r.what}: could not be planned ({r.error})")
            continue
        total = (r.weighted_after or 0.0) - (r.weighted_before or 0.0)
        became = f"; becomes late: {', '.join(r.became_late)}" if r.became_late else ""
        done = r.completion_after or "not within the horizon"
        mark = "+" if r.helps else " "
        print(
            f"{mark} {r.what}: {r.late_before:,.0f} -> {r.late_after:,.0f} late unit-months, "
            f"complete {done}; all promises {total:+,.0f} weighted{became}"
        )
    return 0
