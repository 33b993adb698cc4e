"""Small building blocks the pages share: number cards, plain tables, formats, role notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash
import polars as pl
from dash import html
from dash.exceptions import MissingCallbackContextException

from dashboards.auth import User, current_user

__all__ = [
    "card",
    "in_callback",
    "frame_table",
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


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


NAMED_COLUMNS = ("partner_id", "item_id", "source_id", "holder_id")


def _named_cell(value: Any, names: Mapping[str, str]) -> html.Td:
    if isinstance(value, str) and value in names and names[value] != value:
        return html.Td(names[value], title=value)
    return html.Td(_cell(value, 0))


def frame_table(
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str]],
    table_id: str,
    row_type: str | None = None,
    key: str | None = None,
    digits: int = 0,
    names: Mapping[str, str] | None = None,
) -> html.Table:
    """An HTML table of ``frame`` (months as ``YYYY-MM``). With ``row_type`` and ``key`` each row
    is clickable: its id is ``{"type": row_type, "index": row[key]}``; a row whose ``late`` column
    is true is drawn in red. With ``names``, a partner, item, source or holder id shows its
    display name, the id in the cell's tooltip."""
    numeric = {c for c, _ in columns if frame.schema.get(c, pl.Utf8).is_numeric()}
    body = []
    for row in frame.iter_rows(named=True):
        cells = [
            _named_cell(row[c], names)
            if names and c in NAMED_COLUMNS
            else html.Td(_cell(row[c], digits), className="num" if c in numeric else None)
            for c, _ in columns
        ]
        classes = " ".join(
            n for n, on in (("late", row.get("late")), ("clickable", row_type)) if on
        )
        if row_type and key:
            body.append(
                html.Tr(
                    cells, id={"type": row_type, "index": row[key]}, className=classes, n_clicks=0
                )
            )
        else:
            body.append(html.Tr(cells, className=classes or None))
    return html.Table(
        [
            html.Thead(
                html.Tr([html.Th(n, className="num" if c in numeric else None) for c, n in columns])
            ),
            html.Tbody(body),
        ],
        className="simple",
        id=table_id,
    )
