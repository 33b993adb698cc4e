"""Worklist: every exception of the latest baseline plan, ranked by USD at stake, with its status,
owner and comments. Planners acknowledge, resolve, reopen, assign and comment (written to the
shared state with who and when, each with its audit row); viewers read; a liaison reads its own
partner's exceptions only.

The exceptions come from ``pipeline/exceptions.py`` through ``Reader.exceptions``; this page
only draws them and passes planners' actions to ``store.state``.
"""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import Input, Output, State, callback, dcc, html

from dashboards.data import open_reader, shared_state, user_names
from dashboards.grid import clicked_row, data_grid, grid_placeholder
from dashboards.liaison import liaison_safe
from dashboards.ui import fmt_month, fmt_number, fmt_usd, page_user, role_note
from dashboards.values import one_text
from store.state.records import ExceptionStatus

dash.register_page(
    __name__, path="/worklist", name="Worklist", order=0.5, title="Arsenal - Worklist"
)

PAGE = "worklist-page"
SUMMARY = "worklist-summary"
ROLE_NOTE = "worklist-role-note"
TABLE = "worklist-table"
ROWS = "worklist-exceptions-table"
EMPTY = "worklist-empty"
DETAIL = "worklist-detail"
SELECTED = "worklist-selected"
VERSION = "worklist-version"
ACTIONS = "worklist-actions"
ACKNOWLEDGE = "worklist-acknowledge-button"
RESOLVE = "worklist-resolve-button"
REOPEN = "worklist-reopen-button"
OWNER = "worklist-owner-dropdown"
ASSIGN = "worklist-assign-button"
COMMENT_TEXT = "worklist-comment-text"
COMMENT = "worklist-comment-button"
MESSAGE = "worklist-message"

STATUS_BUTTONS: dict[str, ExceptionStatus] = {
    ACKNOWLEDGE: "acknowledged",
    RESOLVE: "resolved",
    REOPEN: "open",
}
NOBODY = "(nobody)"
COMMENT_LIMIT = 2000

COLUMNS = [
    ("rank", "#"),
    ("what", "what"),
    ("kind_label", "kind"),
    ("why", "why"),
    ("first_month", "from"),
    ("usd_at_stake", "USD at stake"),
    ("status", "status"),
    ("owner", "owner"),
    ("comments", "comments"),
]
LIAISON_COLUMNS = [c for c in COLUMNS if c[0] not in ("owner", "comments")]
"""A liaison sees no owners and no comments (free text the releasability filter cannot vet)."""


def layout(**_query: str) -> html.Div:
    user, allowed = page_user()
    planner = allowed and user is not None and user.role == "planner"
    table: Any = grid_placeholder(ROWS)
    summary = ""
    owners: list[str] = []
    if allowed:
        with open_reader(user) as reader:
            frame = reader.exceptions()
        table, summary = _table(frame, user.is_liaison), _summary(frame)
        owners = [NOBODY, *user_names()] if planner else []
    scope = f" (rows releasable to {user.partner})" if allowed and user.is_liaison else ""
    return html.Div(
        [
            html.H1("Worklist" + scope),
            html.Div(role_note(user), hidden=allowed),
            html.P(summary, id=SUMMARY, className="note"),
            html.P(
                "Viewers read the worklist; planners acknowledge, resolve, assign and comment.",
                id=ROLE_NOTE,
                className="note",
                hidden=planner or not allowed or user.is_liaison,
            ),
            dcc.Store(id=SELECTED),
            dcc.Store(id=VERSION, data=0),
            html.Div(table, id=TABLE),
            html.Div(
                html.P(
                    "Click an exception to see it, its comments and its history.", className="note"
                ),
                id=DETAIL,
                className="panel",
                hidden=not allowed,
            ),
            _actions(planner, owners),
            html.Div(id=MESSAGE),
        ],
        id=PAGE,
    )


def _actions(planner: bool, owners: list[str]) -> html.Div:
    """The planner's controls (hidden and disabled for anyone else; the server refuses too)."""
    return html.Div(
        [
            html.Div(
                [
                    html.Button("Acknowledge", id=ACKNOWLEDGE, disabled=not planner),
                    html.Button("Resolve", id=RESOLVE, disabled=not planner),
                    html.Button("Reopen", id=REOPEN, className="secondary", disabled=not planner),
                ],
                className="worklist-buttons",
            ),
            html.Div(
                [
                    html.Label("Owner"),
                    dcc.Dropdown(owners, None, id=OWNER, placeholder="choose a user"),
                ]
            ),
            html.Button("Assign", id=ASSIGN, className="secondary", disabled=not planner),
            html.Div(
                [
                    html.Label("Comment"),
                    dcc.Textarea(id=COMMENT_TEXT, value="", style={"width": "24rem"}),
                ]
            ),
            html.Button("Add comment", id=COMMENT, className="secondary", disabled=not planner),
        ],
        id=ACTIONS,
        className="controls panel",
        hidden=not planner,
    )


def _summary(frame: pl.DataFrame) -> str:
    if frame.height == 0:
        return ""
    counts = {s: frame.filter(pl.col("status") == s).height for s in ("open", "acknowledged")}
    at_stake = float(frame.filter(pl.col("status") == "open").get_column("usd_at_stake").sum())
    return (
        f"{frame.height} exceptions in the latest plan: {counts['open']} open "
        f"({fmt_usd(at_stake)} at stake), {counts['acknowledged']} acknowledged, "
        f"{frame.height - sum(counts.values())} resolved. Ranked by USD at stake (late or short "
        "units x unit cost, x the tier weight for a partner's stock)."
    )


def _table(frame: pl.DataFrame, liaison: bool) -> Any:
    if frame.height == 0:
        note = html.P(
            "Nothing is wrong in the latest plan: no late promise, no stock below its floor or "
            "target, no binding line, every firmed row kept, nothing changed since the last plan.",
            className="note",
            id=EMPTY,
        )
        return [note, grid_placeholder(ROWS)]
    shown = frame.with_columns(
        rank=pl.int_range(1, frame.height + 1),
        status=pl.when(pl.col("reopened"))
        .then(pl.lit("open (reopened)"))
        .otherwise(pl.col("status")),
    )
    columns = LIAISON_COLUMNS if liaison else COLUMNS
    return data_grid(
        shown,
        columns,
        ROWS,
        key="exception_key",
        wrap=("what", "why"),
        usd=("usd_at_stake",),
        file_name="worklist.csv",
    )


def _find(frame: pl.DataFrame, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    rows = frame.filter(pl.col("exception_key") == key)
    return rows.row(0, named=True) if rows.height else None


def _stake(row: dict[str, Any]) -> str:
    """How the USD at stake is made: units x unit cost (x weight)."""
    units, cost, weight = row["units"], row["unit_cost_usd"], row["weight"]
    if not cost:
        return f"{fmt_usd(row['usd_at_stake'])} at stake ({fmt_number(units)} late units)"
    times = f" x weight {weight:g}" if weight and weight != 1 else ""
    return (
        f"{fmt_usd(row['usd_at_stake'])} at stake: {fmt_number(units)} units x "
        f"{fmt_usd(cost)}{times}"
    )


def _status_line(row: dict[str, Any], liaison: bool) -> str:
    if liaison:  # who set it and the owner are withheld
        return f"Status: {row['status']}."
    if row["reopened"]:
        return (
            "Status: open again - it was resolved, and the plan computed since still holds it."
            + (
                f" Resolved by {row['status_by']} on {row['status_at']:%Y-%m-%d %H:%M} UTC."
                if row["status_by"]
                else ""
            )
        )
    text = f"Status: {row['status']}"
    if row["status_by"]:
        text += f" (set by {row['status_by']} on {row['status_at']:%Y-%m-%d %H:%M} UTC)"
    return text + (f"; owner: {row['owner']}." if row["owner"] else "; no owner.")


def _detail(row: dict[str, Any] | None, liaison: bool) -> Any:
    if row is None:
        return html.P(
            "Click an exception to see it, its comments and its history.", className="note"
        )
    parts: list[Any] = [
        html.H2(row["what"], id="worklist-detail-title"),
        html.P(
            f"{row['kind_label']}, from {fmt_month(row['first_month']) or 'the start'}. "
            + _stake(row),
            className="note",
        ),
        html.P(row["why"], id="worklist-detail-why"),
    ]
    if row["explained_by"]:
        parts.append(html.P(f"Explained by: {row['explained_by']}", className="note"))
    parts.append(html.P(_status_line(row, liaison), id="worklist-detail-status"))
    if liaison:
        return parts
    state = shared_state()
    comments = state.read_exception_comments(row["exception_key"])
    parts.append(html.H3("Comments"))
    parts.append(
        html.Ul(
            [html.Li(f"{c.who}, {c.at:%Y-%m-%d %H:%M} UTC: {c.text}") for c in comments],
            id="worklist-comments",
        )
        if comments
        else html.P("No comments yet.", className="note", id="worklist-comments")
    )
    history = state.read_audit_trail("exception", row["exception_key"])
    parts.append(html.H3("History"))
    parts.append(
        html.Ul(
            [
                html.Li(f"{a.at:%Y-%m-%d %H:%M} UTC {a.who}: {_action(a.action, a.details)}")
                for a in history
            ],
            id="worklist-history",
        )
        if history
        else html.P("Nobody has acted on it yet.", className="note", id="worklist-history")
    )
    return parts


def _action(action: str, details: dict[str, Any]) -> str:
    if action == "exception.status":
        return f"status {details.get('previous') or 'open'} -> {details.get('status')}"
    if action == "exception.assign":
        return f"owner {details.get('previous') or 'nobody'} -> {details.get('owner') or 'nobody'}"
    if action == "exception.comment":
        return "commented"
    return action


# -- callbacks ----------------------------------------------------------------------------------


@callback(
    Output(TABLE, "children"),
    Output(DETAIL, "children"),
    Output(SUMMARY, "children"),
    Output(SELECTED, "data"),
    Input(VERSION, "data"),
    Input(ROWS, "cellClicked"),
    State(SELECTED, "data"),
    prevent_initial_call=True,
)
@liaison_safe
def _show(_version: Any, cell: Any, selected: Any) -> Any:
    """A clicked exception in detail; after a planner's action, the list drawn anew too. The
    key is kept only when it is one of the user's own exceptions."""
    clicked = dash.ctx.triggered_id == ROWS
    if clicked:
        selected = clicked_row(cell)
        if selected is None:
            return (dash.no_update,) * 4
    user, allowed = page_user()
    if not allowed:
        return grid_placeholder(ROWS), "", "", None
    with open_reader(user) as reader:
        frame = reader.exceptions()
    row = _find(frame, one_text(selected))
    table = dash.no_update if clicked else _table(frame, user.is_liaison)
    key = None if row is None else row["exception_key"]
    return table, _detail(row, user.is_liaison), _summary(frame), key


@callback(
    Output(VERSION, "data"),
    Output(MESSAGE, "children"),
    Output(COMMENT_TEXT, "value"),
    Input(ACKNOWLEDGE, "n_clicks"),
    Input(RESOLVE, "n_clicks"),
    Input(REOPEN, "n_clicks"),
    Input(ASSIGN, "n_clicks"),
    Input(COMMENT, "n_clicks"),
    State(SELECTED, "data"),
    State(OWNER, "value"),
    State(COMMENT_TEXT, "value"),
    State(VERSION, "data"),
    prevent_initial_call=True,
)
def _act(*args: Any) -> Any:
    """A planner's action on the selected exception, written with who and when."""
    selected, owner, text, version = args[-4:]
    user, allowed = page_user()
    if not allowed or user is None or user.role != "planner":
        role = user.role if user else "anonymous"
        return (
            dash.no_update,
            _message(f"Your role ({role}) cannot change the worklist.", False),
            dash.no_update,
        )
    key = one_text(selected)
    with open_reader(user) as reader:
        frame = reader.exceptions()
    if key is None or _find(frame, key) is None:
        return (
            dash.no_update,
            _message("Choose an exception in the list first.", False),
            dash.no_update,
        )
    trigger = dash.ctx.triggered_id if isinstance(dash.ctx.triggered_id, str) else None
    state = shared_state()
    kept_text: Any = dash.no_update
    if trigger in STATUS_BUTTONS:
        state.set_exception_status(key, STATUS_BUTTONS[trigger], user.name)
        done = f"Marked {STATUS_BUTTONS[trigger]}."
    elif trigger == ASSIGN:
        name = one_text(owner)
        if name is not None and name != NOBODY and name not in user_names():
            return dash.no_update, _message("Choose an owner from the list.", False), dash.no_update
        state.assign_exception(key, None if name in (None, NOBODY) else name, user.name)
        done = f"Owner set to {name if name and name != NOBODY else 'nobody'}."
    elif trigger == COMMENT:
        comment = one_text(text)
        if comment is None or not comment.strip():
            return dash.no_update, _message("Write a comment first.", False), dash.no_update
        state.add_exception_comment(key, user.name, comment.strip()[:COMMENT_LIMIT])
        done, kept_text = "Comment added.", ""
    else:
        return dash.no_update, dash.no_update, dash.no_update
    number = version if isinstance(version, int) and not isinstance(version, bool) else 0
    return number + 1, _message(done, True), kept_text


def _message(text: str, ok: bool) -> html.P:
    return html.P(text, className="form-ok" if ok else "form-error", id="worklist-message-text")
