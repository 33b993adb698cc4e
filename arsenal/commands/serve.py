"""``arsenal serve``: the planners' dashboard on a local address."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

from arsenal.cli import positive_int
from store.db import DEFAULT_DB
from store.defaults import WHATIF_SAMPLES

NAME = "serve"
HELP = (
    "Serve the planners' dashboard on gunicorn (login required; bound to 127.0.0.1 unless "
    "told otherwise)."
)
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
        "--processes",
        type=positive_int,
        default=2,
        help="worker processes (default 2)",
    )
    parser.add_argument(
        "--threads", type=positive_int, default=4, help="threads per process (default 4)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_int,
        default=120,
        help="seconds after which a request still running is ended (default 120)",
    )
    parser.add_argument(
        "--behind-tls-proxy",
        action="store_true",
        help="served through an HTTPS proxy: mark the session cookie Secure and take the "
        "client address and scheme from the proxy's X-Forwarded-For/-Proto headers",
    )
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure (the dashboard is reached over HTTPS)",
    )
    parser.add_argument(
        "--session-idle-minutes",
        type=positive_int,
        default=30,
        help="a login ends after this many idle minutes (default 30)",
    )
    parser.add_argument(
        "--scenarios",
        default="scenarios",
        help="folder where saved what-ifs go, read by the nightly run (default: scenarios)",
    )
    parser.add_argument(
        "--whatif-samples",
        type=positive_int,
        default=WHATIF_SAMPLES,
        help="futures a what-if's promise odds are drawn from, one simulation at a time "
        f"on the server (default {WHATIF_SAMPLES})",
    )


def run(args: argparse.Namespace) -> int:
    from dashboards.server import NoUsers, serve_dashboard

    def ready(url: str, users: int) -> None:
        print(
            f"Arsenal dashboard on {url} ({users} users, {args.processes} process(es); "
            "Ctrl-C stops it)",
            flush=True,
        )
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s: reachable from other machines", args.host)

    try:
        serve_dashboard(
            args.db,
            args.users,
            args.scenarios,
            host=args.host,
            port=args.port,
            processes=args.processes,
            threads=args.threads,
            timeout=args.timeout,
            secure_cookies=args.secure_cookies,
            behind_tls_proxy=args.behind_tls_proxy,
            session_idle=timedelta(minutes=args.session_idle_minutes),
            whatif_samples=args.whatif_samples,
            on_ready=ready,
        )
    except NoUsers:
        print(
            f"arsenal serve: no users in {args.users}; add one first with\n"
            f"  arsenal users add NAME --role planner --users {args.users}",
            file=sys.stderr,
        )
        return 2
    return 0
