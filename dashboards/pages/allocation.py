"""Allocation: which source sends what to which partner, when; the plan as a table."""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import Input, Output, callback, dcc, html

from dashboards.data import open_reader
from dashboards.grid import data_grid
from dashboards.liaison import liaison_safe
from dashboards.page_figures import shipments_by_month
from dashboards.plan_download import plan_csv, plan_workbook
from dashboards.ui import page_user, role_note
from dashboards.values import one_text
from reports.figures import allocation_sankey, empty_figure, source_colours

dash.register_page(
    __name__, path="/allocation", name="Allocation", order=3, title="Arsenal - Allocation"
)

ALL = "(all items)"
PLAN = "allocation-plan-table"
COLUMNS = [
    ("source_id", "source"),
    ("commitment_id", "commitment"),
    ("partner_id", "partner"),
    ("item_id", "item"),
    ("month", "ships"),
    ("arrival_month", "arrives"),
    ("units", "units"),
]


def _views(
    shipments: pl.DataFrame | None,
    item: str | None,
    names: dict[str, str] | None = None,
    costs: dict[str, float] | None = None,
    sources: list[str] | None = None,
) -> tuple[Any, Any, Any]:
    """Sankey, shipments per month and the plan table for one item (or all: then the charts
    weigh shipments in USD, units x unit cost, never adding different items' units)."""
    if shipments is None:
        return empty_figure("Not available"), empty_figure("Not available"), ""
    names, costs = names or {}, costs or {}
    # colours from every source of the data set, so a source keeps its colour under any filter
    colours = source_colours(sources or shipments.get_column("source_id").to_list())
    frame = shipments
    item = one_text(item)
    if item and item != ALL:
        frame = frame.filter(pl.col("item_id") == item)
    frame = frame.select([c for c, _ in COLUMNS]).with_columns(
        usd=pl.col("units") * pl.col("item_id").replace_strict(costs, default=0.0)
    )
    several = frame.get_column("item_id").n_unique() > 1
    measure = "usd" if several else "units"
    one = "" if not item or item == ALL else f": {names.get(item, item)}"
    title = "Sources to partners" + one + (" (USD: units x unit cost)" if several else "")
    table = data_grid(frame, COLUMNS, PLAN, names=names, file_name="plan-rows.csv")
    return (
        allocation_sankey(frame, title, names, measure, colours),
        shipments_by_month(frame, names, measure, colours),
        table,
    )


def layout(item: str | None = None, **_query: str) -> html.Div:
    user, allowed = page_user()
    items: list[str] = []
    shipments = None
    labels: tuple[dict[str, str], dict[str, float], list[str]] = ({}, {}, [])
    if allowed:
        with open_reader(user) as reader:
            shipments = reader.shipments()
            labels = _names_and_costs(reader)
        items = sorted(shipments.get_column("item_id").unique().to_list())
    item = item if item in items else ALL
    sankey, bars, table = _views(shipments, item, *labels)
    return html.Div(
        [
            html.H1("Allocation"),
            html.Div(role_note(user), hidden=allowed),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Item", htmlFor="allocation-item-dropdown"),
                            dcc.Dropdown(
                                [ALL, *items],
                                item,
                                id="allocation-item-dropdown",
                                clearable=False,
                            ),
                        ]
                    ),
                    html.Button(
                        "Download the plan (CSV)",
                        id="allocation-download-button",
                        className="secondary",
                    ),
                    dcc.Download(id="allocation-download"),
                    html.Button(
                        "Download the workbook (xlsx)",
                        id="allocation-workbook-button",
                        className="secondary",
                        hidden=bool(user and user.is_liaison),
                    ),
                    dcc.Download(id="allocation-workbook"),
                ],
                className="controls",
                hidden=not allowed,
            ),
            dcc.Loading(
                [
                    dcc.Graph(
                        id="allocation-sankey-graph", figure=sankey, config={"displaylogo": False}
                    ),
                    dcc.Graph(
                        id="allocation-shipments-graph", figure=bars, config={"displaylogo": False}
                    ),
                ]
            ),
            html.H2("The plan"),
            html.Div(table, id="allocation-plan"),
        ],
        id="allocation-page",
    )


def _names_and_costs(reader: Any) -> tuple[dict[str, str], dict[str, float], list[str]]:
    """Display names, unit costs and every source id of the data set."""
    named = reader.names()
    names = {i: n for (_, i), n in named.items()}
    return names, reader.unit_costs(), sorted(i for (kind, i) in named if kind == "source")


@callback(
    Output("allocation-sankey-graph", "figure"),
    Output("allocation-shipments-graph", "figure"),
    Output("allocation-plan", "children"),
    Input("allocation-item-dropdown", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _show(item: str | None) -> tuple[Any, Any, Any]:
    user, allowed = page_user()
    if not allowed:
        return _views(None, item)
    with open_reader(user) as reader:
        return _views(reader.shipments(), item, *_names_and_costs(reader))


@callback(
    Output("allocation-download", "data"),
    Input("allocation-download-button", "n_clicks"),
    dash.State("allocation-item-dropdown", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _download(_clicks: int | None, item: str | None) -> Any:
    user, allowed = page_user()
    if not allowed:
        return dash.no_update
    item = one_text(item)
    with open_reader(user) as reader:
        return plan_csv(reader, None if not item or item == ALL else item)


@callback(
    Output("allocation-workbook", "data"),
    Input("allocation-workbook-button", "n_clicks"),
    dash.State("allocation-item-dropdown", "value"),
    prevent_initial_call=True,
)
def _workbook(_clicks: int | None, item: str | None) -> Any:
    """Planners and viewers only (a liaison has its extract): not marked liaison-safe."""
    user, allowed = page_user()
    if not allowed:
        return dash.no_update
    item = one_text(item)
    with open_reader(user) as reader:
        content, name = plan_workbook(reader, None if not item or item == ALL else item)
    return dcc.send_bytes(content, name)
