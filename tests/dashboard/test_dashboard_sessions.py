"""Logins are server-side sessions: logging out, removing a user or changing its role ends a
session at once (a replayed cookie stops working), idle sessions end, failed logins are
throttled and audited, and only the exact open paths skip the login check."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from dashboard_helpers import PASSWORD

from dashboards.app import create_app
from dashboards.auth import MAX_USER_FAILURES, add_user, remove_user, set_role
from store.state import open_state

LAYOUT = "/_dash-layout"


@pytest.fixture
def app_env(dash_env: dict[str, Path], tmp_path: Path):
    users = tmp_path / "users.toml"
    add_user(users, "ann", "planner", PASSWORD)
    add_user(users, "bob", "viewer", PASSWORD)
    db = tmp_path / "arsenal.duckdb"
    db.write_bytes(dash_env["db"].read_bytes())
    return db, users


def _client(db: Path, users: Path, **options):
    app = create_app(db, users, db.parent / "scenarios", secret_key="k", **options)
    return app.server.test_client()


def _login(client, name: str, password: str = PASSWORD):
    return client.post("/login", data={"name": name, "password": password, "next": "/"})


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(db: Path, users: Path, cookie: str) -> int:
    """A fresh client (another browser, an attacker) presenting a captured cookie."""
    other = _client(db, users)
    other.set_cookie("session", cookie)
    return other.get(LAYOUT).status_code


def test_a_replayed_cookie_stops_working_after_logout(app_env) -> None:
    db, users = app_env
    client = _client(db, users)
    assert _login(client, "ann").status_code == 302
    cookie = _cookie(client)
    assert _replay(db, users, cookie) == 200
    client.get("/logout")
    assert _replay(db, users, cookie) == 401
    actions = [a.action for a in open_state(db).read_audit_trail()]
    assert "session.revoke" in actions


@pytest.mark.parametrize("change", ["remove", "demote"])
def test_removing_a_user_or_changing_its_role_ends_its_sessions_at_once(
    app_env, change: str
) -> None:
    db, users = app_env
    client = _client(db, users)
    _login(client, "ann")
    cookie = _cookie(client)
    assert _replay(db, users, cookie) == 200
    if change == "remove":
        remove_user(users, "ann")
    else:
        set_role(users, "ann", "viewer")
    assert _replay(db, users, cookie) == 401
    assert client.get(LAYOUT).status_code == 401


def test_an_idle_session_ends(app_env) -> None:
    db, users = app_env
    # long enough that a loaded machine still answers the first request within it
    client = _client(db, users, session_idle=timedelta(seconds=3))
    _login(client, "bob")
    assert client.get(LAYOUT).status_code == 200
    time.sleep(3.5)
    assert client.get(LAYOUT).status_code == 401


def test_ten_failed_logins_lock_the_user_out_even_with_the_right_password(app_env) -> None:
    db, users = app_env
    client = _client(db, users)
    for _ in range(MAX_USER_FAILURES):
        assert _login(client, "ann", "wrong-password").status_code == 401
    refused = _login(client, "ann")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 60
    assert client.get(LAYOUT).status_code == 401
    assert _login(client, "bob").status_code == 302  # another user is not locked out
    trail = open_state(db).read_audit_trail("user", "ann")
    assert sum(a.action == "login.failed" for a in trail) == MAX_USER_FAILURES
    assert all(a.details["address"] for a in trail if a.action == "login.failed")


def test_a_good_login_resets_the_count(app_env) -> None:
    db, users = app_env
    client = _client(db, users)
    for _ in range(MAX_USER_FAILURES - 1):
        _login(client, "ann", "wrong-password")
    assert _login(client, "ann").status_code == 302
    for _ in range(MAX_USER_FAILURES - 1):
        _login(client, "ann", "wrong-password")
    assert _login(client, "ann").status_code == 302


@pytest.mark.parametrize(
    "path", ["/loginx", "/login/../_dash-layout", "/_favicon.icox", "/assetsx"]
)
def test_only_exact_open_paths_skip_the_login(app_env, path: str) -> None:
    db, users = app_env
    reply = _client(db, users).get(path)
    assert reply.status_code in (302, 401)
    if reply.status_code == 302:
        assert reply.headers["Location"].startswith("/login")


def test_the_cookie_is_secure_when_served_over_https(app_env) -> None:
    db, users = app_env
    plain = _client(db, users)
    assert "Secure" not in _login(plain, "ann").headers["Set-Cookie"]
    secure = _client(db, users, secure_cookies=True)
    reply = _login(secure, "ann")
    assert "; Secure" in reply.headers["Set-Cookie"]
