"""Capacity: which line is worth most, in which months; what a budget would buy."""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import Input, Output, callback, dcc, html

from dashboards.data import db_path, open_reader, run_summary
from dashboards.scenario_form import parse_budget
from dashboards.ui import fmt_month, fmt_number, fmt_usd, page_user, role_note, simple_table
from pipeline.tradeoff import run_tradeoff, tradeoff_json
from pipeline.whatif import investment_under_budget
from reports.figures import (
    capacity_ranking,
    criticality_tornado,
    empty_figure,
    line_load,
    tradeoff_frontier,
)
from store.defaults import DEFAULT_HORIZON
from store.facts import capacity_lines_worth_most, capacity_value_per_dollar

ROLES = ("viewer", "planner")
dash.register_page(
    __name__, path="/capacity", name="Capacity", order=4, title="Arsenal - Capacity", roles=ROLES
)


def ranking_rows(
    values: pl.DataFrame,
    top: int = 15,
    options: pl.DataFrame | None = None,
    names: dict[str, str] | None = None,
) -> list[list[Any]]:
    """Per line: months where one more unit helps, total and best-month value, and what its
    cheapest expansion option buys per million USD; the same lines in the same order as the
    chart (``capacity_lines_worth_most``). ``names``: display names for the source and item
    ids (the id then shows on hover)."""
    if values.height == 0:
        return []
    per_dollar: dict[tuple[str, str], tuple[str, float]] = {}
    if options is not None and options.height:
        per_dollar = {
            (s, i): (o, v) for s, i, o, v in capacity_value_per_dollar(values, options).iter_rows()
        }

    def bought(s: str, i: str) -> str:
        if (s, i) not in per_dollar:
            return "no option"
        o, v = per_dollar[(s, i)]
        return f"{fmt_number(v, 1)} ({o})"

    def shown(key: str) -> Any:
        return html.Span(names[key], title=key) if names and names.get(key) else key

    return [
        [
            shown(r["source_id"]),
            shown(r["item_id"]),
            fmt_month(r["first_month"])
            if r["months"] == 1
            else f"{fmt_month(r['first_month'])} to {fmt_month(r['last_month'])}"
            f" ({r['months']} months)",
            fmt_number(r["best"], 1),
            fmt_number(r["value"], 1),
            bought(r["source_id"], r["item_id"]),
        ]
        for r in capacity_lines_worth_most(values, top).iter_rows(named=True)
    ]


def component_rows(production: pl.DataFrame, stock: pl.DataFrame) -> list[list[str]]:
    """Per component: the lines making it, units made over the horizon, and the months its
    pool is used up (the lines using it could make more with more of it)."""
    parts = production.filter(pl.col("category") == "component")
    if parts.height == 0:
        return []
    made = (
        parts.group_by("item_id", maintain_order=True)
        .agg(
            pl.col("item_name").first(),
            pl.col("source_name").fill_null(pl.col("source_id")).unique(maintain_order=True),
            pl.col("units").sum(),
        )
        .sort("item_id")
    )
    empty = (
        stock.filter(pl.col("inventory") <= 1e-6)
        .group_by("item_id")
        .agg(pl.col("month").min().alias("first"), pl.col("month").max().alias("last"), pl.len())
        if stock.height
        else pl.DataFrame(schema={"item_id": pl.String})
    )
    low = {i: v for i, v in stock.group_by("item_id").agg(pl.col("inventory").min()).iter_rows()}
    used_up = {r["item_id"]: r for r in empty.iter_rows(named=True)}
    out = []
    for r in made.iter_rows(named=True):
        u = used_up.get(r["item_id"])
        months = f"{u['len']} ({fmt_month(u['first'])} to {fmt_month(u['last'])})" if u else "none"
        out.append(
            [
                r["item_name"] or r["item_id"],
                "; ".join(r["source_name"]),
                fmt_number(r["units"], 0),
                months,
                fmt_number(low.get(r["item_id"]), 0),
            ]
        )
    return out


def _tornado_note(simulation: dict[str, Any] | None) -> str:
    if simulation is None:
        return (
            "Run 'arsenal simulate' (or the nightly run) to rank the lines whose slips, shortfalls "
            "and stops move lateness most."
        )
    samples = run_summary(simulation).get("samples")
    noise = f" (over {samples} futures, only beyond ±{2 / samples**0.5:.2f})" if samples else ""
    return (
        "Each bar: the rank correlation of what a line drew in the simulated futures (months of "
        "ramp delay, its capacity factor, months out) with total weighted lateness; red: more "
        f"of it, more lateness. A bar stands out from noise only when long enough{noise}. "
        f"Simulation {simulation['run_id']}."
    )


def layout(**_query: str) -> html.Div:
    user, allowed = page_user(ROLES)
    values = pl.DataFrame()
    options = pl.DataFrame()
    production = pl.DataFrame()
    component_stock = pl.DataFrame()
    names: dict[str, str] = {}
    criticality = pl.DataFrame()
    simulation = None
    if allowed:
        with open_reader(user) as reader:
            values = reader.capacity_value()
            options = reader.investments()
            names = {i: n for (kind, i), n in reader.names().items() if kind != "partner"}
            production = reader.production()
            component_stock = reader.component_stock()
            criticality = reader.criticality()
            simulation = reader.runs.simulate
    total = float(options.get_column("cost_usd").sum()) if options.height else 0.0
    rows = ranking_rows(values, options=options, names=names)
    marks = {0: "$0", int(total): fmt_usd(total)} if total else {0: "$0"}
    return html.Div(
        [
            html.H1("Capacity"),
            html.Div(role_note(user), hidden=allowed),
            html.Div(
                [
                    dcc.Graph(
                        id="capacity-ranking-graph",
                        figure=capacity_ranking(values, names=names)
                        if allowed
                        else empty_figure("Not available"),
                        config={"displaylogo": False},
                    ),
                    html.P(
                        "Value: weighted late unit-months saved by one more unit of capacity in a "
                        "month (from the plan's duals).",
                        className="note",
                    ),
                    simple_table(
                        [
                            "source",
                            "item",
                            "months where it helps",
                            "best month",
                            "sum over months",
                            "per $1M of its cheapest option",
                        ],
                        rows,
                        "capacity-ranking-table",
                        numeric=(3, 4, 5),
                    ),
                    html.H2("Component tier and line load"),
                    html.P(
                        "A line whose item has a bill of materials makes at most what its "
                        "components allow. Each component has one pool, fed by the lines making "
                        "it; in a month it is used up (empty at the month's end), the lines using "
                        "it could not make more without more of it. The load map lists the "
                        "component lines first.",
                        className="note",
                    ),
                    simple_table(
                        [
                            "component",
                            "made by",
                            "made over the horizon",
                            "months used up",
                            "lowest stock",
                        ],
                        component_rows(production, component_stock) if allowed else [],
                        "capacity-component-table",
                        numeric=(2, 4),
                    ),
                    dcc.Graph(
                        id="capacity-load-graph",
                        figure=line_load(production)
                        if allowed and production.height
                        else empty_figure("No production in this run"),
                        config={"displaylogo": False},
                    ),
                    html.H2("Which line's uncertainty matters most"),
                    html.P(_tornado_note(simulation), className="note"),
                    dcc.Graph(
                        id="capacity-tornado-graph",
                        figure=criticality_tornado(criticality, names=names)
                        if allowed and criticality.height
                        else empty_figure("No simulation of this plan's supply yet"),
                        config={"displaylogo": False},
                    ),
                    html.H2("Investment under a budget"),
                    html.Div(
                        [
                            html.Label("Budget (USD)", htmlFor="capacity-budget-slider"),
                            dcc.Slider(
                                0,
                                max(total, 1.0),
                                value=0,
                                marks=marks,
                                id="capacity-budget-slider",
                                updatemode="mouseup",
                                tooltip={"placement": "bottom", "always_visible": False},
                            ),
                        ],
                        className="field",
                    ),
                    dcc.Loading(
                        html.Div(
                            html.P(
                                "Move the slider: the plan then buys the expansion options that "
                                "cut weighted lateness most within that budget.",
                                className="note",
                            ),
                            id="capacity-investment",
                        )
                    ),
                    html.H2("US rebuild against partner readiness"),
                    html.P(
                        "Among the plans that keep promises as well as possible: how many "
                        "unit-months of partner stocks below their floors each month of faster "
                        "US rebuild costs. Click a point for that plan's rebuild and breach "
                        "months.",
                        className="note",
                    ),
                    html.Button("Draw the trade-off", id="capacity-tradeoff-button"),
                    dcc.Loading(
                        [
                            dcc.Graph(
                                id="capacity-tradeoff-graph",
                                figure=empty_figure("Press 'Draw the trade-off' (a few seconds)"),
                                config={"displaylogo": False},
                            ),
                            html.Div(id="capacity-tradeoff-point"),
                        ]
                    ),
                    dcc.Store(id="capacity-tradeoff-store"),
                ],
                hidden=not allowed,
            ),
        ],
        id="capacity-page",
    )


@callback(
    Output("capacity-tradeoff-graph", "figure"),
    Output("capacity-tradeoff-store", "data"),
    Output("capacity-tradeoff-point", "children"),
    Input("capacity-tradeoff-button", "n_clicks"),
    prevent_initial_call=True,
)
def _draw_tradeoff(_clicks: int | None) -> tuple[Any, Any, Any]:
    _user, allowed = page_user(ROLES)
    if not allowed:
        return empty_figure("Not available"), None, ""
    # Viewer/planner only: the curve names US pools and every partner's stocks.
    curve = tradeoff_json(run_tradeoff(db_path(), None, DEFAULT_HORIZON))
    note = html.P(
        f"From {curve['start']} over {curve['horizon']} months; lateness kept at its optimum. "
        "Point 1 rebuilds the US first, the last keeps partners first.",
        className="note",
    )
    return tradeoff_frontier(curve["points"]), curve["points"], note


@callback(
    Output("capacity-tradeoff-point", "children", allow_duplicate=True),
    Input("capacity-tradeoff-graph", "clickData"),
    Input("capacity-tradeoff-store", "data"),
    prevent_initial_call=True,
)
def _show_point(click: Any, points: Any) -> Any:
    _user, allowed = page_user(ROLES)
    if not allowed or dash.ctx.triggered_id != "capacity-tradeoff-graph":
        return dash.no_update
    try:
        k = click["points"][0]["customdata"]
        if isinstance(k, list):
            k = k[0]
        point = points[int(k)]
        return point_table(int(k), point)
    except (KeyError, IndexError, TypeError, ValueError):  # not a point of this curve
        return html.P("Click a point of the curve.", className="note")


def point_table(k: int, point: dict[str, Any]) -> html.Div:
    """One frontier point: its two objectives, the US pools' rebuild months and the partner
    stocks' first months below floor."""
    rows = [
        ["US", f"{r['holder_id']} {r['item_id']}", "rebuilt", str(r["rebuild_month"] or "not")]
        for r in point["us_pools"]
    ] + [
        [
            "partner",
            f"{r['holder_id']} {r['item_id']}",
            "below floor from",
            str(r["first_month_below_floor"] or "never"),
        ]
        for r in point["partner_stocks"]
    ]
    return html.Div(
        [
            html.P(
                f"Point {k + 1}: US {fmt_number(float(point['us_unit_months_below_target']))} "
                "unit-months below target; partners "
                f"{fmt_number(float(point['partner_weighted_unit_months_below_floor']))} "
                "weighted unit-months below floor.",
                id="capacity-tradeoff-summary",
            ),
            simple_table(["", "stock", "", "month"], rows, "capacity-tradeoff-table"),
        ]
    )


@callback(
    Output("capacity-investment", "children"),
    Input("capacity-budget-slider", "value"),
    prevent_initial_call=True,
)
def _invest(budget: float | None) -> Any:
    user, allowed = page_user(ROLES)
    if not allowed:
        return ""
    # Viewer/planner only (never a liaison), so the unfiltered expansion options are the ones
    # the page may show.
    budget, problem = parse_budget(0.0 if budget is None else budget)
    if problem is not None:
        return html.P(problem, className="form-error", id="capacity-investment-error")
    choice = investment_under_budget(db_path(), budget)
    if choice is None:
        return html.P("No expansion options in the data.", className="note")
    chosen = set(choice["chosen"])
    saved = choice["weighted_late_before"] - choice["weighted_late_after"]
    rows = [
        [
            r["option_id"],
            f"{r['source_id']} {r['item_id']}",
            fmt_number(r["added_units_per_month"]),
            str(r["lead_time_months"]),
            fmt_usd(r["cost_usd"]),
            "buy" if r["option_id"] in chosen else "",
        ]
        for r in choice["options"]
    ]
    return html.Div(
        [
            html.P(
                f"With {fmt_usd(budget)}: buy {', '.join(sorted(chosen)) or 'nothing'} for "
                f"{fmt_usd(choice['cost_usd'])}; weighted late unit-months "
                f"{fmt_number(choice['weighted_late_before'])} -> "
                f"{fmt_number(choice['weighted_late_after'])} (saves {fmt_number(saved)}).",
                id="capacity-investment-summary",
            ),
            simple_table(
                ["option", "line", "added per month", "lead time (months)", "cost", "choice"],
                rows,
                "capacity-options-table",
                numeric=(2, 3, 4),
            ),
        ]
    )
