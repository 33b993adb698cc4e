"""``arsenal serve``: the planners' dashboard on a local address."""

from __future__ import annotations

import argparse
import logging
import sys

from store.db import DEFAULT_DB

NAME = "serve"
HELP = "Serve the planners' dashboard (login required; bound to 127.0.0.1 unless told otherwise)."
DEFAULT_USERS = "arsenal-users.toml"

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050; 0 picks one)")
    parser.add_argument(
        "--users",
        default=DEFAULT_USERS,
        help=f"users file made with 'arsenal users add' (default: {DEFAULT_USERS})",
    )
    parser.add_argument(
        "--scenarios",
        default="scenarios",
        help="folder where saved what-ifs go, read by the nightly run (default: scenarios)",
    )


def run(args: argparse.Namespace) -> int:
    from dashboards.app import NoUsers, serve

    def ready(url: str, users: int) -> None:
        print(f"Arsenal dashboard on {url} ({users} users; Ctrl-C stops it)", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s: reachable from other machines", args.host)

    try:
        serve(args.db, args.users, args.scenarios, args.host, args.port, on_ready=ready)
    except NoUsers:
        print(
            f"arsenal serve: no users in {args.users}; add one first with\n"
            f"  arsenal users add NAME --role planner --users {args.users}",
            file=sys.stderr,
        )
        return 2
    return 0
