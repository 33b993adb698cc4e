"""``arsenal firm``: firm planned shipments or pin completions, list them, release them."""

from __future__ import annotations

import argparse
import getpass

from arsenal.cli import number_arg, print_json
from store.db import DEFAULT_DB

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "firm"
HELP = (
    "Firm a planned shipment ('shipment') or pin a promise's completion to a month ('pin'); "
    "every later plan, what-if, nightly run and simulation honours it first, until it is "
    "released ('release'). 'list' shows them. Kept with who and when beside the database."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, who: bool = True) -> None:
        p.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
        if who:
            p.add_argument("--who", help="who firms or releases (default: the login name)")

    ship = sub.add_parser(
        "shipment",
        help="firm a shipment",
        description="Firm at least UNITS from SOURCE to PARTNER's ITEM shipped in MONTH, for "
        "one promise (--promise) or for any of the partner's promises and sustainment.",
    )
    common(ship)
    ship.add_argument("--source", required=True, help="source id (see sources.csv)")
    ship.add_argument("--partner", required=True, help="partner id")
    ship.add_argument("--item", required=True, help="item id")
    ship.add_argument("--month", required=True, help="shipping month, YYYY-MM")
    ship.add_argument(
        "--units", required=True, type=number_arg("units", positive=True), help="units"
    )
    ship.add_argument("--promise", help="the commitment id the units are for")
    pin = sub.add_parser(
        "pin",
        help="pin a promise's completion to a month",
        description="Pin a promise's completion: its whole backlog arrives by MONTH.",
    )
    common(pin)
    pin.add_argument("--promise", required=True, help="the commitment id")
    pin.add_argument("--month", required=True, help="the month it completes by, YYYY-MM")
    release = sub.add_parser(
        "release", help="release a firmed row", description="Release a firmed row by its id."
    )
    common(release)
    release.add_argument("id", type=int, help="the firmed row's id (see 'arsenal firm list')")
    listing = sub.add_parser(
        "list", help="list firmed rows", description="List the firmed rows in force."
    )
    common(listing, who=False)
    listing.add_argument("--all", action="store_true", help="include released rows")
    listing.add_argument("--json", action="store_true", help="print the rows as JSON")


def run(args: argparse.Namespace) -> int:
    from pipeline.firmed import firm
    from store.dataset import read_dataset
    from store.db import connect
    from store.state import open_state

    if args.action == "list":
        state = open_state(args.db)
        try:
            rows = state.read_firmed(include_released=args.all)
        finally:
            state.close()
        if args.json:
            print_json([r.__dict__ for r in rows], indent=2)
            return 0
        if not rows:
            print("No firmed rows." if not args.all else "No firmed rows, none released.")
        for r in rows:
            what = (
                f"pin {r.commitment_id} complete by {r.month}"
                if r.kind == "completion_pin"
                else f"ship {r.units:,.0f} {r.item_id} {r.source_id} -> {r.partner_id} in "
                f"{r.month}" + (f" for {r.commitment_id}" if r.commitment_id else "")
            )
            released = (
                f"; released by {r.released_by} {r.released_at:%Y-%m-%d}" if r.released_at else ""
            )
            print(f"{r.id:>5}  {what}  (by {r.who} {r.at:%Y-%m-%d}{released})")
        return 0
    who = args.who or getpass.getuser()
    state = open_state(args.db)
    try:
        if args.action == "release":
            if not state.release_firmed(args.id, who):
                print(f"arsenal firm: no firmed row {args.id} in force", flush=True)
                return 1
            print(f"Released firmed row {args.id}.")
            return 0
        con = connect(args.db, read_only=True)
        try:
            dataset = read_dataset(con)
        finally:
            con.close()
        fields = {
            "kind": "shipment" if args.action == "shipment" else "completion_pin",
            "source_id": getattr(args, "source", None),
            "partner_id": getattr(args, "partner", None),
            "item_id": getattr(args, "item", None),
            "month": args.month,
            "units": getattr(args, "units", None),
            "commitment_id": args.promise,
        }
        firm_id = firm(state, dataset, who, **fields)
    finally:
        state.close()
    print(f"Firmed row {firm_id}; every plan from now on honours it until it is released.")
    return 0
