"""arsenal status --db FILE [--json]"""

from __future__ import annotations

import argparse

from arsenal.cli import print_json
from store.db import DEFAULT_DB, connect
from store.status import read_status

NAME = "status"
HELP = "Show what is loaded: last load, backlog per partner and item, stocks against floors and targets."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def _usd(value: float) -> str:
    if value >= 1e9:
        return f"${value / 1e9:,.2f}B"
    if value >= 1e6:
        return f"${value / 1e6:,.1f}M"
    return f"${value:,.0f}"


def run(args: argparse.Namespace) -> int:
    con = connect(args.db, read_only=True)
    try:
        status = read_status(con)
    finally:
        con.close()
    if args.json:
        print_json(status, indent=2)
        return 0
    load = status["load"]
    if load is None:
        print(f"{args.db}: nothing loaded yet; run 'arsenal load PATH --db {args.db}'")
        return 0
    print(f"Loaded {load['loaded_at']} from {load['path']}")
    print(f"Content hash {load['content_hash']}")
    print("Rows: " + ", ".join(f"{k} {v}" for k, v in load["row_counts"].items()))
    print()
    overdue = status["overdue"]
    print(f"Overdue on the record ({len(overdue)} promise(s) past their promised month):")
    for o in overdue:
        print(
            f"  {o['commitment_id']:<22} {o['partner_id']:<4} {o['item_id']:<10} "
            f"{o['backlog_units']:>10,.0f} units {_usd(o['backlog_usd']):>9} "
            f"promised {o['promised_month']}, {o['months_overdue']} month(s) overdue"
        )
    print()
    print(
        f"Backlog: {status['backlog_total']['units']:,.0f} units, {_usd(status['backlog_total']['usd'])}"
    )
    print(f"  {'partner':<8} {'item':<10} {'open':>4} {'units':>12} {'value':>10}")
    for b in status["backlog"]:
        print(
            f"  {b['partner_id']:<8} {b['item_id']:<10} {b['open_commitments']:>4} "
            f"{b['backlog_units']:>12,.0f} {_usd(b['backlog_usd']):>10}"
        )
    print()
    print("Stocks against floors and targets:")
    print(
        f"  {'holder':<12} {'item':<10} {'as of':<10} {'units':>12} {'floor':>12} {'target':>12}  status"
    )
    for s in status["stocks"]:
        target = "" if s["target_units"] is None else f"{s['target_units']:,.0f}"
        print(
            f"  {s['holder_id']:<12} {s['item_id']:<10} {s['as_of']:<10} {s['units']:>12,.0f} "
            f"{s['floor_units']:>12,.0f} {target:>12}  {s['status']}"
        )
    return 0
