"""The dashboard on gunicorn, a maintained production WSGI server: several worker processes,
each with a few threads, and a timeout that ends a request stuck past it."""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.app.base import BaseApplication

__all__ = ["bind", "serve"]


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
