"""arsenal reconcile --db FILE [--json] [--tolerance SHARE] [--min-units N]"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from arsenal.cli import number_arg
from store.db import DEFAULT_DB, connect
from store.reconcile import (
    ASSUMPTION_PREFIX,
    DEFAULT_MIN_UNITS,
    DEFAULT_TOLERANCE,
    read_reconciliation,
)

NAME = "reconcile"
HELP = (
    "Check that recorded flows explain the stock counts: between successive counts of each "
    "holder and item, count after vs count before + inflows - outflows - consumption. Gaps "
    f"carried by assumption rows (sources named {ASSUMPTION_PREFIX}*) are shown as explained; "
    "any other gap above the tolerance is a warning. Exit 0: no unexplained gap; "
    "exit 3: unexplained gaps found (listed as warnings)."
)

EXIT_GAPS = 3
"""Exit code when unexplained gaps are found (the report is still printed in full)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument(
        "--tolerance",
        type=number_arg("share"),
        default=DEFAULT_TOLERANCE,
        help="largest gap left unreported, as a share of the units available in the period "
        f"(count before plus inflows) (default {DEFAULT_TOLERANCE})",
    )
    parser.add_argument(
        "--min-units",
        type=number_arg("units"),
        default=DEFAULT_MIN_UNITS,
        help=f"a gap of at most this many units is never reported (default {DEFAULT_MIN_UNITS:g})",
    )


def _units(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 0.05 else f"{value:,.1f}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _units(value)


def _rows_line(gap: dict[str, Any]) -> list[str]:
    """The rows involved, summed per kind and per source or commitment."""
    lines = []
    for kind in ("production", "delivery_in", "delivery_out", "consumption", "assumed"):
        rows = gap["rows"].get(kind, [])
        if not rows:
            continue
        sums: dict[str, list[Any]] = {}
        for r in rows:
            key = " ".join(x for x in (r.get("source_id"), r.get("commitment_id")) if x) or "-"
            if kind == "assumed":
                key = f"{r['entry']} {key}"
            first, last, units, n = sums.get(key, [r["month"], r["month"], 0.0, 0])
            sums[key] = [min(first, r["month"]), max(last, r["month"]), units + r["units"], n + 1]
        parts = [
            f"{key} {first}..{last} {_units(units)} ({n} rows)"
            for key, (first, last, units, n) in sums.items()
        ]
        lines.append(f"      {kind}: " + "; ".join(parts))
    return lines


def _print(result: dict[str, Any]) -> None:
    print(
        f"Reconciliation: {result['periods_checked']} period(s) between successive stock counts "
        f"checked; tolerance {result['tolerance']:g} of the units available in a period, "
        f"at least {result['min_units']:g} unit(s)."
    )
    gaps = result["gaps"]
    if not gaps:
        print("No gap above the tolerance.")
        return
    for status, title in (
        ("explained", "Gaps carried by assumption rows (explained)"),
        ("unexplained", "Unexplained gaps (warnings)"),
    ):
        chosen = [g for g in gaps if g["status"] == status]
        if not chosen:
            continue
        print()
        print(f"{title}: {len(chosen)}")
        for g in chosen:
            prefix = "warning: " if status == "unexplained" else ""
            print(
                f"  {prefix}{g['holder_id']} {g['item_id']} {g['from']} -> {g['to']}: "
                f"gap {_signed(g['gap'])} (count {_units(g['count_before'])} "
                f"+ inflows {_units(g['inflows'])} - outflows {_units(g['outflows'])} "
                f"- consumption {_units(g['consumption'])} = expected {_units(g['expected'])}; "
                f"counted {_units(g['count_after'])})"
            )
            carried = ", ".join(
                f"{a['source_id']} {_signed(a['units'])}" for a in g["explained_by"]
            )
            print(
                f"      carried by: {carried or 'no assumption row'}; "
                f"residual {_signed(g['residual'])} (tolerance {_units(g['threshold'])})"
            )
            for line in _rows_line(g):
                print(line)


def run(args: argparse.Namespace) -> int:
    con = connect(args.db, read_only=True)
    try:
        result = read_reconciliation(con, args.tolerance, args.min_units)
    finally:
        con.close()
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        _print(result)
    if result["unexplained"]:
        print(
            f"arsenal reconcile: {result['unexplained']} unexplained gap(s) above the tolerance",
            file=sys.stderr,
        )
        return EXIT_GAPS
    return 0
