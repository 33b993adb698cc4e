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

import os
import tempfile
import tomllib
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "ROLES",
    "User",
    "add_user",
    "current_user",
    "install_login",
    "read_users",
    "verify_login",
]

ROLES = ("viewer", "planner", "liaison")
_SESSION_KEY = "arsenal_user"
_OPEN_PREFIXES = ("/login", "/assets/", "/_favicon.ico", "/favicon.ico")


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


def current_user() -> User | None:
    """The logged-in user of the current request, if any."""
    if not flask.has_request_context():
        return None
    data = flask.session.get(_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    return User(name=data["name"], role=data["role"], partner=data.get("partner"))


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


def install_login(server: flask.Flask, users_path: str | Path) -> None:
    """Require a login for every route but the login page and the static assets."""

    @server.before_request
    def _require_login() -> Any:
        path = flask.request.path
        if path.startswith(_OPEN_PREFIXES) or current_user() is not None:
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
        user = verify_login(users_path, form.get("name", ""), form.get("password", ""))
        if user is None:
            return _login_page("Unknown user or wrong password.", next_url), 401
        flask.session.clear()
        flask.session[_SESSION_KEY] = user.as_dict()
        return flask.redirect(next_url)

    @server.route("/logout")
    def _logout() -> Any:
        flask.session.clear()
        return flask.redirect("/login")
