"""Stocks: one pool's history and projected P10-P90 fan, floor and target, breach and rebuild,
and its recorded consumption beside the demand forecast."""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import Input, Output, callback, dcc, html

from dashboards.data import Reader, open_reader, pool_rows
from dashboards.grid import data_grid
from dashboards.liaison import liaison_safe
from dashboards.ui import fmt_month, fmt_number, page_user, role_note, simple_table
from dashboards.values import one_text
from pipeline.pegging import pool_balance
from reports.figures import consumption_history, empty_figure, stock_fan

dash.register_page(__name__, path="/stocks", name="Stocks", order=1, title="Arsenal - Stocks")


def _default_pool(
    pools: pl.DataFrame, holder: str | None, item: str | None
) -> tuple[str | None, str | None]:
    if pools.height == 0:
        return None, None
    if holder and item and pool_rows(pools, holder, item).height:
        return holder, item
    risky = pools.sort(
        ["below_floor_now", "floor_breach_p50"], descending=[True, False], nulls_last=True
    )
    row = risky.row(0, named=True)
    return row["holder_id"], row["item_id"]


def layout(holder: str | None = None, item: str | None = None, **_query: str) -> html.Div:
    user, allowed = page_user()
    holders: list[dict[str, str]] = []
    items: list[dict[str, str]] = []
    chosen: tuple[str | None, str | None] = (None, None)
    if not allowed:
        views: tuple[Any, ...] = (empty_figure("Not available"), "", "", empty_figure(""))
    else:
        with open_reader(user) as reader:
            pools = reader.pools()
            names = _names(reader)
            holders = _options(pools.get_column("holder_id").unique().to_list(), names)
            chosen = _default_pool(pools, holder, item)
            items = _options(_items(pools, chosen[0]), names)
            views = _pool_views(reader, *chosen, pools=pools, names=names)
    return html.Div(
        [
            html.H1("Stocks"),
            html.Div(role_note(user), hidden=allowed),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Holder", htmlFor="stocks-holder-dropdown"),
                            dcc.Dropdown(
                                holders,
                                chosen[0],
                                id="stocks-holder-dropdown",
                                clearable=False,
                                style={"minWidth": "18rem"},
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Item", htmlFor="stocks-item-dropdown"),
                            dcc.Dropdown(
                                items,
                                chosen[1],
                                id="stocks-item-dropdown",
                                clearable=False,
                                style={"minWidth": "18rem"},
                            ),
                        ]
                    ),
                ],
                className="controls",
                hidden=not allowed,
            ),
            dcc.Loading(
                dcc.Graph(id="stocks-fan-graph", figure=views[0], config={"displaylogo": False})
            ),
            html.Div(
                [html.Div(views[1], id="stocks-outlook"), html.Div(views[2], id="stocks-model")],
                className="panel",
            ),
            dcc.Loading(
                dcc.Graph(
                    id="stocks-consumption-graph", figure=views[3], config={"displaylogo": False}
                )
            ),
            html.Details(
                [
                    html.Summary(
                        "The plan's balance, month by month: every inflow and outflow named",
                        id="stocks-balance-summary",
                    ),
                    html.Div(id="stocks-balance"),
                ],
                id="stocks-balance-details",
                className="panel",
            ),
        ],
        id="stocks-page",
    )


@callback(
    Output("stocks-item-dropdown", "options"),
    Output("stocks-item-dropdown", "value"),
    Input("stocks-holder-dropdown", "value"),
    dash.State("stocks-item-dropdown", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _items_of_holder(
    holder: str | None, item: str | None
) -> tuple[list[dict[str, str]], str | None]:
    user, allowed = page_user()
    holder, item = one_text(holder), one_text(item)
    if not allowed or not holder:
        return [], None
    with open_reader(user) as reader:
        items = _items(reader.pools(), holder)
        options = _options(items, _names(reader))
    return options, item if item in items else (items[0] if items else None)


def _names(reader: Reader) -> dict[str, str]:
    return {k: v for (_, k), v in reader.names().items()}


def _options(ids: list[str], names: dict[str, str]) -> list[dict[str, str]]:
    """Dropdown options: the display name, the id in the tooltip, sorted by name."""
    return sorted(
        ({"label": names.get(i, i), "value": i, "title": i} for i in ids),
        key=lambda o: (o["label"].lower(), o["value"]),
    )


def _items(pools: pl.DataFrame, holder: str | None) -> list[str]:
    return sorted(pools.filter(pl.col("holder_id") == holder).get_column("item_id").to_list())


def _odds_rows(pool: dict[str, Any], simulated: dict[str, Any] | None) -> list[list[str]]:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    rows = [
        ["demand as forecast, supply as planned (projection)"]
        + [pct(pool.get(f"breach_probability_{k}")) for k in (3, 6, 12)]
    ]
    if simulated is not None:
        rows.append(
            ["supply slipping as the uncertainty rules say (simulation)"]
            + [pct(simulated.get(f"breach_probability_{k}")) for k in (3, 6, 12)]
        )
    return rows


def _outlook(pool: dict[str, Any], simulated: dict[str, Any] | None = None) -> html.Div:
    def row(label: str, key: str) -> list[str]:
        return [label] + [
            fmt_month(pool.get(f"{key}_{p}")) or "not within the horizon"
            for p in ("p10", "p50", "p90")
        ]

    rows = [row("Falls below floor", "floor_breach")]
    if pool["target_units"] is not None:
        rows.append(row("Back to target", "target_reached"))
    counted = (
        f"Counted {fmt_number(pool['units'])} units on {pool['as_of']:%Y-%m-%d}; floor "
        f"{fmt_number(pool['floor_units'])}"
        + (
            f", target {fmt_number(pool['target_units'])}"
            if pool["target_units"] is not None
            else ""
        )
    )
    if not pool.get("projected", True):
        withheld = "No projection: shipments through this stock are not releasable to you."
        return html.Div([html.P(counted), html.P(withheld, className="note")])
    return html.Div(
        [
            html.P(counted),
            simple_table(["month", "P10", "P50", "P90"], rows, "stocks-outlook-table"),
            html.H3("Chance of falling below the floor"),
            simple_table(
                ["when", "within 3 months", "within 6 months", "within 12 months"],
                _odds_rows(pool, simulated),
                "stocks-odds-table",
                numeric=(1, 2, 3),
            ),
            html.P(
                "No simulation of this plan's supply covers this stock yet ('arsenal simulate' "
                "or the nightly run)."
                if simulated is None
                else "The simulation re-plans each future, so shipments from this stock change "
                "with it; consumption there is the forecast mean.",
                className="note",
            ),
        ]
    )


def _model(model: dict[str, Any] | None) -> html.P:
    if model is None:
        return html.P("No demand model for this pool in the latest forecast run.", className="note")
    score = f"MASE {model['mase']:.2f}" if model["mase"] is not None else "no backtest score"
    coverage = (
        f", 80% interval coverage {model['coverage_80']:.0%}"
        if model["coverage_80"] is not None
        else ""
    )
    return html.P(f"Demand model: {model['model']} ({score}{coverage}).", id="stocks-model-text")


@callback(
    Output("stocks-fan-graph", "figure"),
    Output("stocks-outlook", "children"),
    Output("stocks-model", "children"),
    Output("stocks-consumption-graph", "figure"),
    Input("stocks-holder-dropdown", "value"),
    Input("stocks-item-dropdown", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _show_pool(holder: str | None, item: str | None) -> tuple[Any, ...]:
    user, allowed = page_user()
    if not allowed:
        return empty_figure("Not available"), "", "", empty_figure("")
    with open_reader(user) as reader:
        return _pool_views(reader, one_text(holder), one_text(item))


@callback(
    Output("stocks-balance", "children"),
    Input("stocks-balance-summary", "n_clicks"),
    Input("stocks-holder-dropdown", "value"),
    Input("stocks-item-dropdown", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _show_balance(clicks: Any, holder: Any, item: Any) -> Any:
    """The balance is drawn when it is opened (a click on its summary opens and closes it):
    a grid below the charts cost every visit to the page a few hundred milliseconds."""
    user, allowed = page_user()
    holder, item = one_text(holder), one_text(item)
    if not allowed or not isinstance(clicks, int) or clicks % 2 == 0 or not holder or not item:
        return []
    with open_reader(user) as reader:
        pool = pool_rows(reader.pools(), holder, item)
        if pool.height == 0:
            return html.P("No such stock among those you may see.", className="note")
        flows = reader.pool_flows(holder, item)
        return _balance(flows, pool.row(0, named=True), _names(reader))


def _pool_views(
    reader: Reader,
    holder: str | None,
    item: str | None,
    pools: pl.DataFrame | None = None,
    names: dict[str, str] | None = None,
) -> tuple[Any, ...]:
    """The fan chart, the outlook, the demand model and the consumption chart of one pool
    (``pools``, ``names``: the reader's, when already read)."""
    if not holder or not item:
        return empty_figure("Choose a holder and an item"), "", "", empty_figure("")
    stock = reader.stock(holder, item, pools)
    if stock is None:
        return empty_figure("No such stock among those you may see"), "", "", empty_figure("")
    names = names if names is not None else _names(reader)
    title = f"{names.get(holder, holder)}: {names.get(item, item)}"
    pool = stock["pool"]
    fig = stock_fan(
        stock["history"],
        stock["projection"],
        pool["floor_units"],
        pool["target_units"],
        title,
    )
    used = consumption_history(stock["consumption"], stock["forecast"], f"Consumption: {title}")
    simulated = pool_rows(reader.simulated_pools(), holder, item)
    odds = simulated.row(0, named=True) if simulated.height else None
    return fig, _outlook(pool, odds), _model(stock["model"]), used


BALANCE_COLUMNS = [
    ("month", "month"),
    ("opening", "opening"),
    ("inflows", "in (units)"),
    ("in_units", "in"),
    ("outflows", "out (units)"),
    ("out_units", "out"),
    ("other_units", "consumption and other draws"),
    ("closing", "closing"),
]


def _balance(
    flows: tuple[pl.DataFrame, pl.DataFrame] | None, pool: dict[str, Any], names: dict[str, str]
) -> Any:
    """The pool's planned balance, every inflow and outflow named (not for liaisons)."""
    if flows is None:
        note = "Not shown to liaisons: it names other partners' shipments."
        return html.P(note, className="note")
    levels, moves = flows
    if levels.height == 0:
        return html.P("The latest plan holds no levels for this stock.", className="note")
    frame = pool_balance(levels, moves, float(pool["units"] or 0.0), names)
    note = html.P(
        "Opening, plus what comes in, less what ships out and what is consumed or otherwise "
        "drawn, is the closing level; the first month opens at the latest count.",
        className="note",
    )
    grid = data_grid(
        frame,
        BALANCE_COLUMNS,
        "stocks-balance-table",
        clip=("inflows", "outflows"),
        file_name="stock-balance.csv",
    )
    return [note, grid]
