"""``arsenal users``: the dashboard's users file (passwords stored only as argon2 hashes)."""

from __future__ import annotations

import argparse
import getpass
import sys

from store.errors import InputRejected, Problem

NAME = "users"
HELP = (
    "Manage dashboard logins: 'add' a user with a role, 'remove' one, 'set-role', 'list' them. "
    "Removing a user or changing its role ends its open sessions at once."
)
DEFAULT_USERS = "arsenal-users.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add or replace a user", description="Add or replace a user.")
    add.add_argument("name", help="login name")
    add.add_argument(
        "--role",
        required=True,
        choices=("viewer", "planner", "liaison"),
        help="viewer reads; planner also runs and saves what-ifs; liaison sees one partner's rows",
    )
    add.add_argument("--partner", help="the partner a liaison speaks for (e.g. GBR)")
    add.add_argument(
        "--users", default=DEFAULT_USERS, help=f"users file (default: {DEFAULT_USERS})"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else prompt for it)",
    )
    remove = sub.add_parser(
        "remove", help="remove a user", description="Remove a user; its sessions end at once."
    )
    remove.add_argument("name", help="login name")
    remove.add_argument(
        "--users", default=DEFAULT_USERS, help=f"users file (default: {DEFAULT_USERS})"
    )
    role = sub.add_parser(
        "set-role",
        help="change a user's role",
        description="Change a user's role; its sessions end at once.",
    )
    role.add_argument("name", help="login name")
    role.add_argument("role", choices=("viewer", "planner", "liaison"), help="the new role")
    role.add_argument("--partner", help="the partner, for a liaison")
    role.add_argument(
        "--users", default=DEFAULT_USERS, help=f"users file (default: {DEFAULT_USERS})"
    )
    listing = sub.add_parser("list", help="list users and roles", description="List users.")
    listing.add_argument(
        "--users", default=DEFAULT_USERS, help=f"users file (default: {DEFAULT_USERS})"
    )


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InputRejected([Problem("password", None, None, None, "the two entries differ")])
    return first


def run(args: argparse.Namespace) -> int:
    from dashboards.auth import add_user, read_users, remove_user, set_role

    if args.action in ("remove", "set-role"):
        try:
            if args.action == "remove":
                remove_user(args.users, args.name)
            else:
                set_role(args.users, args.name, args.role, args.partner)
        except ValueError as exc:
            raise InputRejected([Problem(args.users, None, args.name, None, str(exc))]) from None
        print(f"{args.name}: {args.action} done in {args.users}", file=sys.stderr)
        return 0
    if args.action == "list":
        for name, entry in sorted(read_users(args.users).items()):
            partner = f" {entry['partner']}" if entry.get("partner") else ""
            print(f"{name}\t{entry['role']}{partner}")
        return 0
    password = _password(args.password_stdin)
    try:
        add_user(args.users, args.name, args.role, password, partner=args.partner)
    except ValueError as exc:
        raise InputRejected([Problem(args.users, None, args.name, None, str(exc))]) from None
    print(
        f"{args.name} ({args.role}{' ' + args.partner if args.partner else ''}) saved in {args.users}",
        file=sys.stderr,
    )
    return 0
