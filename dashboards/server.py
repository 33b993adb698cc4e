"""The dashboard on gunicorn, a maintained production WSGI server: several worker processes,
each with a few threads, and a timeout that ends a request stuck past it."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from dashboards.app import create_app
from dashboards.auth import read_users
from store.defaults import WHATIF_SAMPLES
from store.state import DEFAULT_SESSION_IDLE

__all__ = ["NoUsers", "bind", "serve", "serve_dashboard"]


class _Gunicorn(BaseApplication):
    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), bound before the server starts so that the
    address can be printed first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(app: Any, sock: socket.socket, *, processes: int, threads: int, timeout: int) -> None:
    """Serve the WSGI ``app`` on ``sock`` until stopped (SIGINT or SIGTERM)."""
    _Gunicorn(
        app,
        {
            "bind": [f"fd://{sock.fileno()}"],
            "workers": processes,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": timeout,
            "graceful_timeout": 5,
            "preload_app": True,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        },
    ).run()


def set_up_before_fork(app: Any) -> None:
    """Dash sets itself up on a process's first request (the script files it may serve, the
    callbacks), marking itself set up before it is. Under load, a worker's second request
    arrived mid-way and got a 500 for a page's scripts ("Error loading dependencies" in the
    browser). One request here, before the workers fork, sets every worker up at once."""
    app.server.test_client().get("/login")


class NoUsers(LookupError):
    """The users file holds no user, so nobody could log in."""


def serve_dashboard(
    db: str | Path,
    users: str | Path,
    scenarios_dir: str | Path = "scenarios",
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    processes: int = 2,
    threads: int = 4,
    timeout: int = 120,
    secure_cookies: bool = False,
    behind_tls_proxy: bool = False,
    session_idle: timedelta = DEFAULT_SESSION_IDLE,
    whatif_samples: int = WHATIF_SAMPLES,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve the dashboard (:func:`dashboards.app.create_app`) on ``host:port`` until stopped.

    ``on_ready(url, users)`` is called once the socket listens (``port`` 0 picks a free one).
    ``behind_tls_proxy``: the client address and scheme come from the proxy's headers, and the
    cookie is Secure. Raises ``FileNotFoundError`` when there is no database, :class:`NoUsers`
    when the users file holds nobody.
    """
    if not Path(db).exists():
        raise FileNotFoundError(f"no database at {db}; run 'arsenal load' first")
    count = len(read_users(users))
    if not count:
        raise NoUsers(str(users))
    app = create_app(
        db,
        users,
        scenarios_dir,
        secure_cookies=secure_cookies or behind_tls_proxy,
        session_idle=session_idle,
        whatif_samples=whatif_samples,
    )
    set_up_before_fork(app)
    wsgi = app.server
    if behind_tls_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        wsgi = ProxyFix(app.server, x_for=1, x_proto=1)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    if on_ready is not None:
        on_ready(f"http://{bound_host}:{bound_port}/", count)
    serve(wsgi, sock, processes=processes, threads=threads, timeout=timeout)
