"""The Dash app: pages from ``dashboards/pages``, a nav built from the page registry, logins."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html

from dashboards.auth import ROLES, current_user, install_login
from dashboards.callback_checks import install_callback_checks
from dashboards.liaison import install_liaison_gate, liaison_safe
from store.defaults import WHATIF_SAMPLES
from store.state import DEFAULT_SESSION_IDLE, open_state

__all__ = ["create_app"]

HERE = Path(__file__).resolve().parent


def _layout() -> html.Div:
    """The frame every page sits in; it holds no data (the nav is filled per request)."""
    return html.Div(
        [
            dcc.Location(id="app-location"),
            html.Nav(
                [
                    html.Span("Arsenal", className="brand"),
                    html.Div(id="app-nav-links", className="links"),
                    html.Div(id="app-user", className="who"),
                ]
            ),
            dcc.Store(id="app-session-store", storage_type="session"),
            html.Main(dash.page_container, className="page"),
        ]
    )


def _nav(_pathname: str | None) -> tuple[list[Any], list[Any]]:
    user = current_user()
    if user is None:
        return [], []
    links = [
        dcc.Link(
            page["name"], href=page["relative_path"], id=f"nav-{page['module'].split('.')[-1]}"
        )
        for page in dash.page_registry.values()
        if user.role in page.get("roles", ROLES)
    ]
    partner = f" for {user.partner}" if user.partner else ""
    who = [
        html.Span(f"{user.name} ({user.role}{partner})", id="app-user-name"),
        html.A("Log out", href="/logout", id="app-logout"),
    ]
    return links, who


def create_app(
    db: str | Path,
    users: str | Path,
    scenarios_dir: str | Path = "scenarios",
    secret_key: str | None = None,
    *,
    secure_cookies: bool = False,
    session_idle: timedelta = DEFAULT_SESSION_IDLE,
    whatif_samples: int = WHATIF_SAMPLES,
) -> Dash:
    """The dashboard for the database ``db``, with logins from the users file ``users``.

    ``scenarios_dir`` is where saved what-ifs go (the folder the nightly run reads). The session
    key comes from ``secret_key``, else ``ARSENAL_SECRET_KEY``, else a fresh random one (then
    logins end when the server stops). Sessions are kept server side, in the shared state
    beside ``db``, and end after ``session_idle``; ``secure_cookies`` marks the cookie Secure
    (serve over HTTPS, or behind a TLS proxy). ``whatif_samples``: the futures of a what-if's
    promise odds.
    """
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Arsenal",
        serve_locally=True,
        update_title=None,
    )
    app.server.config.update(
        ARSENAL_DB=str(db),
        ARSENAL_USERS=str(users),
        ARSENAL_SCENARIOS=str(Path(scenarios_dir).resolve()),
        SECRET_KEY=secret_key or os.environ.get("ARSENAL_SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        ARSENAL_WHATIF_SAMPLES=int(whatif_samples),
    )
    install_login(app.server, users, open_state(db, session_idle=session_idle))
    app.callback(
        Output("app-nav-links", "children"),
        Output("app-user", "children"),
        Input("app-location", "pathname"),
    )(liaison_safe(_nav))
    install_liaison_gate(app)
    install_callback_checks(app)
    app.layout = _layout
    return app
