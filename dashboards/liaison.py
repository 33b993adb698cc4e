"""Deny by default: a partner liaison may run only the callbacks declared safe for it.

A callback is declared safe with :func:`liaison_safe`, placed under ``@callback`` (so it marks
the function before Dash wraps it; the wrapper keeps the mark)::

    @callback(Output("stocks-fan-graph", "figure"), Input("stocks-holder-dropdown", "value"))
    @liaison_safe
    def _show_pool(holder): ...

Declaring a callback safe is a promise that every row it returns went through the one
releasability filter (``dashboards/data.py`` reads through it for a liaison). One check,
:func:`install_liaison_gate`, runs before every ``/_dash-update-component`` request: it reads
the callback the request names (its output id) and refuses a liaison (HTTP 403) unless that
callback is marked, or is one of Dash's own callbacks listed in ``DASH_SAFE`` (the page router,
which renders each page's layout, itself filtered). A new callback is refused to liaisons
until someone declares it safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import dash
import flask

from dashboards.auth import current_user

__all__ = ["DASH_SAFE", "is_liaison_safe", "install_liaison_gate", "liaison_safe"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "arsenal_liaison_safe"
DASH_SAFE = frozenset({".._pages_content.children..._pages_store.data.."})
"""Dash's own callbacks a liaison may run, by output id: the page router (each page's layout
decides what its user sees)."""


def liaison_safe(func: F) -> F:
    """Declare the callback ``func`` safe for partner liaisons (see the module doc)."""
    setattr(func, _MARK, True)
    return func


def is_liaison_safe(app: dash.Dash, output: str) -> bool:
    """Whether the callback of ``app`` with output id ``output`` is declared liaison-safe."""
    if output in DASH_SAFE:
        return True
    entry = app.callback_map.get(output)
    return entry is not None and getattr(entry.get("callback"), _MARK, False) is True


def install_liaison_gate(app: dash.Dash) -> None:
    """Refuse a liaison every callback not declared safe (one check for every callback)."""
    endpoint = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def _gate() -> Any:
        request = flask.request
        if request.path != endpoint:
            return None
        user = current_user()
        if user is None or not user.is_liaison:
            return None
        body = request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if isinstance(output, str) and is_liaison_safe(app, output):
            return None
        shown = output if not isinstance(output, str) or len(output) < 100 else output[:97] + "..."
        log.warning("callback %r refused to liaison %s", shown, user.name)
        return flask.Response(
            "this callback is not available to the liaison role",
            status=403,
            mimetype="text/plain",
        )
