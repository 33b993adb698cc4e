"""The Dash app: pages from ``dashboards/pages``, a nav built from the page registry, logins."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html

from dashboards.auth import ROLES, current_user, install_login, read_users

__all__ = ["NoUsers", "create_app", "serve"]

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
) -> Dash:
    """The dashboard for the database ``db``, with logins from the users file ``users``.

    ``scenarios_dir`` is where saved what-ifs go (the folder the nightly run reads). The session
    key comes from ``secret_key``, else ``ARSENAL_SECRET_KEY``, else a fresh random one (then
    logins end when the server stops).
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
    )
    install_login(app.server, users)
    app.callback(
        Output("app-nav-links", "children"),
        Output("app-user", "children"),
        Input("app-location", "pathname"),
    )(_nav)
    app.layout = _layout
    return app


class NoUsers(LookupError):
    """The users file holds no user, so nobody could log in."""


def serve(
    db: str | Path,
    users: str | Path,
    scenarios_dir: str | Path = "scenarios",
    host: str = "127.0.0.1",
    port: int = 8050,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve the dashboard (:func:`create_app`) on ``host:port`` until interrupted.

    ``on_ready(url, users)`` is called once the server listens (``port`` 0 picks a free one).
    Raises ``FileNotFoundError`` when there is no database, :class:`NoUsers` when the users
    file holds nobody.
    """
    from werkzeug.serving import make_server

    if not Path(db).exists():
        raise FileNotFoundError(f"no database at {db}; run 'arsenal load' first")
    count = len(read_users(users))
    if not count:
        raise NoUsers(str(users))
    app = create_app(db, users, scenarios_dir)
    server = make_server(host, port, app.server, threaded=True)
    bound_host, bound_port = server.server_address[:2]
    if on_ready is not None:
        on_ready(f"http://{bound_host}:{bound_port}/", count)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
