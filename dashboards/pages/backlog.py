"""Backlog: every promise, promised against planned completion; why the late ones are late."""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import ALL, Input, Output, callback, dcc, html

from dashboards.data import open_reader, reasons_list
from dashboards.liaison import liaison_safe
from dashboards.ui import fmt_month, frame_table, page_user, role_note
from dashboards.values import one_text, texts, whole_numbers
from pipeline.pegging import promise_pegging
from reports.figures import backlog_timeline, empty_figure
from store.months import add_months

dash.register_page(__name__, path="/backlog", name="Backlog", order=2, title="Arsenal - Backlog")

COLUMNS = [
    ("commitment_id", "commitment"),
    ("partner_id", "partner"),
    ("item_id", "item"),
    ("priority", "priority"),
    ("backlog_units", "backlog units"),
    ("promised_month", "promised"),
    ("completion_month", "planned completion"),
    ("late_unit_months", "late unit-months"),
    ("late", "late"),
]


def layout(late: str | None = None, **_query: str) -> html.Div:
    user, allowed = page_user()
    partners: list[str] = []
    items: list[str] = []
    late_only = ["late"] if late else []
    figure, table, summary = empty_figure("Not available"), "", ""
    if allowed:
        with open_reader(user) as reader:
            commitments = reader.commitments()
            run = reader.runs.allocate
        partners = sorted(commitments.get_column("partner_id").unique().to_list())
        items = sorted(commitments.get_column("item_id").unique().to_list())
        figure, table, summary = _views(commitments, run, [], [], [], late_only)
    return html.Div(
        [
            html.H1("Backlog"),
            html.Div(role_note(user), hidden=allowed),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Partner"),
                            dcc.Dropdown(partners, [], multi=True, id="backlog-partner-filter"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Item"),
                            dcc.Dropdown(items, [], multi=True, id="backlog-item-filter"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Priority"),
                            dcc.Dropdown(
                                [1, 2, 3, 4, 5], [], multi=True, id="backlog-priority-filter"
                            ),
                        ]
                    ),
                    dcc.Checklist(
                        [{"label": " late only", "value": "late"}],
                        late_only,
                        id="backlog-late-filter",
                    ),
                ],
                className="controls",
                hidden=not allowed,
            ),
            html.Div(summary, id="backlog-summary", className="note"),
            dcc.Loading(
                dcc.Graph(id="backlog-timeline-graph", figure=figure, config={"displaylogo": False})
            ),
            html.P(
                "Click a promise (in the chart or the table) to see why it is late.",
                className="note",
            ),
            html.Div(id="backlog-reasons", className="panel"),
            html.Div(table, id="backlog-table", className="scroll"),
        ],
        id="backlog-page",
    )


def _filtered(
    commitments: pl.DataFrame,
    partners: Any,
    items: Any,
    priorities: Any,
    late_only: Any,
) -> pl.DataFrame:
    """The open promises the filters choose (values as the browser sent them)."""
    frame = commitments.filter(pl.col("backlog_units") > 0)
    if partners := texts(partners):
        frame = frame.filter(pl.col("partner_id").is_in(partners))
    if items := texts(items):
        frame = frame.filter(pl.col("item_id").is_in(items))
    if priorities := whole_numbers(priorities):
        frame = frame.filter(pl.col("priority").is_in(priorities))
    if late_only:
        frame = frame.filter(pl.col("late"))
    return frame


def _views(
    commitments: pl.DataFrame,
    run: dict[str, Any] | None,
    partners: Any,
    items: Any,
    priorities: Any,
    late_only: Any,
) -> tuple[Any, Any, str]:
    """The timeline, the table and a one-line summary of the filtered open promises."""
    horizon_end = add_months(run["start_month"], int(run["horizon"]) - 1) if run else None
    frame = _filtered(commitments, partners, items, priorities, late_only)
    table = frame_table(
        frame.sort("late", "weighted_late_unit_months", descending=True, nulls_last=True),
        COLUMNS,
        "backlog-commitments-table",
        row_type="backlog-row",
        key="commitment_id",
    )
    late = frame.filter(pl.col("late")).height
    summary = f"{frame.height} open promises shown, {late} late." + (
        "" if run else " No plan run yet: planned completions are empty."
    )
    return backlog_timeline(frame, horizon_end), table, summary


@callback(
    Output("backlog-timeline-graph", "figure"),
    Output("backlog-table", "children"),
    Output("backlog-summary", "children"),
    Input("backlog-partner-filter", "value"),
    Input("backlog-item-filter", "value"),
    Input("backlog-priority-filter", "value"),
    Input("backlog-late-filter", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _show(partners: Any, items: Any, priorities: Any, late_only: Any) -> tuple[Any, Any, str]:
    user, allowed = page_user()
    if not allowed:
        return empty_figure("Not available"), "", ""
    with open_reader(user) as reader:
        commitments = reader.commitments()
        run = reader.runs.allocate
    return _views(commitments, run, partners, items, priorities, late_only)


@callback(
    Output("backlog-reasons", "children"),
    Input("backlog-timeline-graph", "clickData"),
    Input({"type": "backlog-row", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@liaison_safe
def _reasons(click: Any, row_clicks: Any) -> Any:
    commitment_id = None
    trigger = dash.ctx.triggered_id
    if isinstance(trigger, dict):
        if not any(t.get("value") for t in dash.ctx.triggered):
            return dash.no_update  # rows drawn anew, not clicked
        commitment_id = trigger["index"]
    elif isinstance(click, dict) and isinstance(click.get("points"), list) and click["points"]:
        point = click["points"][0]
        if isinstance(point, dict):
            commitment_id = one_text(point.get("customdata")) or one_text(point.get("y"))
    commitment_id = one_text(commitment_id)
    if not commitment_id:
        return dash.no_update
    user, allowed = page_user()
    if not allowed:
        return ""
    with open_reader(user) as reader:
        row = reader.commitments().filter(pl.col("commitment_id") == commitment_id)
        shipped = reader.shipments().filter(pl.col("commitment_id") == commitment_id)
    if row.height == 0:
        return html.P("No such promise among those you may see.", className="note")
    c = row.row(0, named=True)
    head = (
        f"{c['commitment_id']}: {c['backlog_units']:,.0f} {c['item_id']} for {c['partner_id']}, "
        f"priority {c['priority']}, promised {fmt_month(c['promised_month'])}, planned "
        f"{fmt_month(c['completion_month']) or 'not complete within the horizon'}"
    )
    due = max(c["promised_month"], reader.runs.start_month or c["promised_month"])
    pegging = _pegging_table(promise_pegging(shipped, float(c["backlog_units"]), due))
    if not c["late"]:
        return html.Div(
            [html.H2(head, id="backlog-reasons-title"), html.P("On time in the plan."), pegging]
        )
    reasons = reasons_list(c["reasons"]) or ["The plan gives no reason."]
    return html.Div(
        [
            html.H2(head, id="backlog-reasons-title"),
            html.P(f"{c['late_unit_months']:,.0f} late unit-months. Why:", className="late"),
            html.Ul([html.Li(r) for r in reasons], className="reasons", id="backlog-reasons-list"),
            pegging,
        ]
    )


PEGGING_COLUMNS = [
    ("arrival_month", "arrives"),
    ("sources", "from (units, shipped)"),
    ("units", "units"),
    ("cumulative", "so far"),
    ("owed", "still owed"),
]


def _pegging_table(pegging: pl.DataFrame) -> html.Div:
    """Which supply covers the promise in which month, and what is still owed (red: after the
    due month)."""
    if pegging.height == 0:
        return html.Div(
            html.P("Nothing arrives for it within the horizon.", className="note"),
            id="backlog-pegging",
        )
    return html.Div(
        [
            html.H3("Where it comes from, month by month"),
            frame_table(pegging, PEGGING_COLUMNS, "backlog-pegging-table"),
        ],
        id="backlog-pegging",
    )
