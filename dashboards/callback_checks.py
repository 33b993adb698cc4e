"""Checks on callback requests that Dash's own callbacks do not make.

Dash's page router (``dash.page_container``) reads the URL's path and query string from
``dcc.Location``, which always sends text; a crafted request sending a list, a number or a
lone surrogate there, or a path outside the app, would make the router fail with HTTP 500.
Such a request is answered with HTTP 400 and a reason instead. (The pages' own callbacks check their values themselves:
``dashboards/values.py``.)
"""

from __future__ import annotations

from typing import Any

import dash
import flask

from dashboards.values import is_text

__all__ = ["install_callback_checks"]

_LOCATION = "_pages_location"


def _bad_location(body: Any, prefix: str) -> bool:
    """A page location that is not text, or a path outside the app (``prefix``)."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        return False
    for entry in body["inputs"]:
        if isinstance(entry, dict) and entry.get("id") == _LOCATION:
            value = entry.get("value")
            if value is not None and not is_text(value):
                return True
            if (
                entry.get("property") == "pathname"
                and value is not None
                and not value.startswith(prefix)
            ):
                return True
    return False


def install_callback_checks(app: dash.Dash) -> None:
    """Refuse (HTTP 400) a callback request whose page location is not a text path of the
    app."""
    endpoint = app.config.routes_pathname_prefix + "_dash-update-component"
    prefix = app.config.requests_pathname_prefix

    @app.server.before_request
    def _check() -> Any:
        if flask.request.path != endpoint:
            return None
        if _bad_location(flask.request.get_json(silent=True), prefix):
            return flask.Response(
                "the page location must be a path of this app", status=400, mimetype="text/plain"
            )
        return None
