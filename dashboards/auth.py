"""Logins for the dashboard: a users file with argon2 password hashes, and roles.

The users file is TOML, one table per user::

    [users.alice]
    role = "planner"
    password_hash = "$argon2id$..."

    [users.gbr-desk]
    role = "liaison"
    partner = "GBR"
    password_hash = "$argon2id$..."

Roles: ``viewer`` reads, ``planner`` also runs and saves what-ifs, ``liaison`` reads only the
rows releasable to its one partner. Passwords are never stored, only their hashes.
"""

from __future__ import annotations

import logging
import os
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from store.state import StateStore

__all__ = [
    "ROLES",
    "User",
    "add_user",
    "current_user",
    "install_login",
    "read_users",
    "remove_user",
    "set_role",
    "verify_login",
]

log = logging.getLogger(__name__)

ROLES = ("viewer", "planner", "liaison")
_SESSION_KEY = "arsenal_session"
_OPEN_PATHS = frozenset({"/login", "/_favicon.ico", "/favicon.ico"})
_OPEN_PREFIXES = ("/assets/",)
MAX_USER_FAILURES = 10
"""Consecutive failed logins after which a user's login is refused (HTTP 429) ..."""
LOCKOUT = timedelta(minutes=1)
"""... until this long after the last failure."""
MAX_ADDRESS_FAILURES = 30
"""Failed logins from one client address within LOCKOUT, whatever the user names."""
_NAME_LIMIT = 100


@dataclass(frozen=True)
class User:
    """Who is logged in: a name, a role, and for a liaison the one partner it speaks for."""

    name: str
    role: str
    partner: str | None = None

    @property
    def can_run_whatif(self) -> bool:
        return self.role == "planner"

    @property
    def is_liaison(self) -> bool:
        return self.role == "liaison"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "partner": self.partner}


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def read_users(path: str | Path) -> dict[str, dict[str, Any]]:
    """The users file as ``{name: {"role", "partner", "password_hash"}}`` (empty if absent)."""
    path = Path(path)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise ValueError(f"{path}: [users] must be a table of users")
    for name, entry in users.items():
        if entry.get("role") not in ROLES:
            raise ValueError(f"{path}: user {name!r} has role {entry.get('role')!r}; use {ROLES}")
        if entry["role"] == "liaison" and not entry.get("partner"):
            raise ValueError(f"{path}: liaison {name!r} needs a partner")
        if not str(entry.get("password_hash", "")).startswith("$argon2"):
            raise ValueError(f"{path}: user {name!r} has no argon2 password hash")
    return users


def add_user(
    path: str | Path, name: str, role: str, password: str, partner: str | None = None
) -> None:
    """Add or replace a user in the users file (written atomically, readable by the owner only)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if role == "liaison" and not partner:
        raise ValueError("a liaison needs --partner")
    if role != "liaison" and partner:
        raise ValueError("only a liaison has a partner")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"user name {name!r}: use letters, digits, '-', '_' or '.'")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    path = Path(path)
    users = read_users(path)
    entry: dict[str, Any] = {"role": role, "password_hash": _hasher().hash(password)}
    if partner:
        entry["partner"] = partner
    users[name] = entry
    _write_users(path, users)


def _write_users(path: Path, users: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump({"users": users}, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_user(path: str | Path, name: str) -> None:
    """Remove a user from the users file; its sessions end at its next request."""
    path = Path(path)
    users = read_users(path)
    if name not in users:
        raise ValueError(f"no user {name!r} in {path}")
    del users[name]
    _write_users(path, users)


def set_role(path: str | Path, name: str, role: str, partner: str | None = None) -> None:
    """Change a user's role (and a liaison's partner); its sessions end at its next request."""
    path = Path(path)
    users = read_users(path)
    if name not in users:
        raise ValueError(f"no user {name!r} in {path}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if (role == "liaison") != bool(partner):
        raise ValueError("a liaison needs --partner, and only a liaison has one")
    entry = {"role": role, "password_hash": users[name]["password_hash"]}
    if partner:
        entry["partner"] = partner
    users[name] = entry
    _write_users(path, users)


def verify_login(users_path: str | Path, name: str, password: str) -> User | None:
    """The user if ``password`` matches the stored hash, else None."""
    entry = read_users(users_path).get(name)
    if entry is None:
        _hasher().hash(password)  # same work whether or not the name exists
        return None
    try:
        _hasher().verify(entry["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(name=name, role=entry["role"], partner=entry.get("partner"))


def _state() -> StateStore:
    return flask.current_app.extensions["arsenal_state"]


def _session_user(token: str) -> User | None:
    """The user of a session that is still valid: not revoked, not idle too long, and its user
    still in the users file with the same role and partner (else it is ended now)."""
    state = _state()
    session = state.read_valid_session(token)
    if session is None:
        return None
    entry = read_users(flask.current_app.config["ARSENAL_USERS"]).get(session.user)
    if entry is None or entry["role"] != session.role or entry.get("partner") != session.partner:
        state.revoke_session(token, "arsenal")
        return None
    state.touch_session(token)
    return User(name=session.user, role=session.role, partner=session.partner)


def current_user() -> User | None:
    """The logged-in user of the current request, if any (checked once per request)."""
    if not flask.has_request_context():
        return None
    if "arsenal_user" not in flask.g:
        token = flask.session.get(_SESSION_KEY)
        flask.g.arsenal_user = _session_user(token) if isinstance(token, str) else None
    return flask.g.arsenal_user


def _login_page(message: str = "", next_url: str = "/") -> str:
    note = f'<p class="form-error" id="login-error">{escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Arsenal - log in</title>
<link rel="stylesheet" href="/assets/arsenal.css"></head>
<body class="login-body"><main class="login-box">
<h1>Arsenal</h1>
<form method="post" action="/login">
<input type="hidden" name="next" value="{escape(next_url)}">
<label for="login-name">User</label>
<input id="login-name" name="name" autocomplete="username" required autofocus>
<label for="login-password">Password</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">Log in</button>
{note}
</form></main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _throttled(name: str, address: str) -> bool:
    failures = _state().read_login_failures(name, address, datetime.now(UTC) - LOCKOUT)
    if failures.address_failures >= MAX_ADDRESS_FAILURES:
        return True
    recent = failures.user_last_failure is not None and (
        datetime.now(UTC) - failures.user_last_failure < LOCKOUT
    )
    return failures.user_failures >= MAX_USER_FAILURES and recent


def install_login(server: flask.Flask, users_path: str | Path, state: StateStore) -> None:
    """Require a login for every route but the login page and the static assets; sessions
    live in ``state`` (server side), so logging out, removing a user or changing a role ends
    them at once."""
    server.extensions["arsenal_state"] = state

    @server.before_request
    def _require_login() -> Any:
        path = flask.request.path
        if path in _OPEN_PATHS or path.startswith(_OPEN_PREFIXES) or current_user() is not None:
            return None
        if path.startswith("/_dash") or flask.request.method != "GET":
            return flask.Response("login required", status=401, mimetype="text/plain")
        return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")

    @server.route("/login", methods=["GET", "POST"])
    def _login() -> Any:
        if flask.request.method == "GET":
            return _login_page(next_url=_safe_next(flask.request.args.get("next")))
        form = flask.request.form
        next_url = _safe_next(form.get("next"))
        name = (form.get("name", "") or "")[:_NAME_LIMIT].strip() or "(empty)"
        address = flask.request.remote_addr or "unknown"
        if _throttled(name, address):
            log.warning("login for %r from %s refused: too many failed attempts", name, address)
            page = _login_page("Too many failed attempts: wait a minute and try again.", next_url)
            return page, 429, {"Retry-After": str(int(LOCKOUT.total_seconds()))}
        user = verify_login(users_path, name, form.get("password", ""))
        state.record_login(name, address, user is not None)
        if user is None:
            log.info("failed login for %r from %s", name, address)
            return _login_page("Unknown user or wrong password.", next_url), 401
        flask.session.clear()
        flask.session[_SESSION_KEY] = state.create_session(user.name, user.role, user.partner)
        return flask.redirect(next_url)

    @server.route("/logout")
    def _logout() -> Any:
        token = flask.session.get(_SESSION_KEY)
        user = current_user()
        if isinstance(token, str) and user is not None:
            state.revoke_session(token, user.name)
        flask.session.clear()
        return flask.redirect("/login")
