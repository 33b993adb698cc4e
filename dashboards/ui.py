"""Small building blocks the pages share: number cards, plain tables, formats, role notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dash
from dash import html
from dash.exceptions import MissingCallbackContextException

from dashboards.auth import User, current_user

__all__ = [
    "card",
    "in_callback",
    "fmt_month",
    "fmt_number",
    "fmt_usd",
    "page_user",
    "role_note",
    "simple_table",
]


def in_callback() -> bool:
    """True inside a Dash callback (where pages render for a user); False when Dash builds its
    validation layout, which it serves to everyone and so must hold no data."""
    try:
        dash.ctx.triggered_id  # noqa: B018
    except (MissingCallbackContextException, LookupError):
        return False
    return True


def page_user(roles: Sequence[str] = ("viewer", "planner", "liaison")) -> tuple[User | None, bool]:
    """The logged-in user and whether the page is open to its role (False when nobody is, and
    outside callbacks, so that no data reaches the shared validation layout)."""
    if not in_callback():
        return None, False
    user = current_user()
    return user, user is not None and user.role in roles


def role_note(user: User | None) -> html.P:
    if user is None:
        return html.P("Log in to see this page.", className="note")
    return html.P(f"This page is not available to the {user.role} role.", className="note")


def fmt_number(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def fmt_usd(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 1e9:
        return f"${value / 1e9:,.2f}B"
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.1f}M"
    return f"${value:,.0f}"


def fmt_month(value: date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:7]
    return f"{value:%Y-%m}"


def card(label: str, value: str, card_id: str, bad: bool = False) -> html.Div:
    return html.Div(
        [html.Div(label, className="label"), html.Div(value, className="value", id=card_id)],
        className="card bad" if bad else "card",
    )


def simple_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str, numeric: Sequence[int] = ()
) -> html.Table:
    """A static HTML table (cells as given); ``numeric`` lists right-aligned columns."""
    num = set(numeric)
    return html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, className="num" if i in num else None)
                        for i, h in enumerate(header)
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(c, className="num" if i in num else None)
                            for i, c in enumerate(row)
                        ]
                    )
                    for row in rows
                ]
            ),
        ],
        className="simple",
        id=table_id,
    )
