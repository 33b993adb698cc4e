"""Backlog: every promise, promised against planned completion; why the late ones are late."""

from __future__ import annotations

from typing import Any

import dash
import polars as pl
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboards.data import (
    db_path,
    open_reader,
    run_summary,
    scenarios_folder,
    shared_state,
)
from dashboards.grid import clicked_row, data_grid, grid_placeholder
from dashboards.liaison import liaison_safe
from dashboards.scenario_form import encode_doc
from dashboards.ui import fmt_month, page_user, role_note
from dashboards.values import one_text, texts, whole_numbers
from pipeline.firmed import firm
from pipeline.pegging import promise_pegging
from pipeline.remedies import find_remedies
from reports.figures import backlog_timeline, completion_fan, empty_figure
from store.errors import InputRejected
from store.months import add_months

dash.register_page(__name__, path="/backlog", name="Backlog", order=2, title="Arsenal - Backlog")

PROMISES, PEGGING = "backlog-commitments-table", "backlog-pegging-table"
REMEDIES, REMEDIES_OUT = "backlog-remedies-button", "backlog-remedies-out"
FIRM_SHIPMENTS, FIRM_PIN, FIRM_PIN_MONTH, FIRM_RELEASE = (
    "backlog-firm-shipments",
    "backlog-firm-pin",
    "backlog-firm-pin-month",
    "backlog-firm-release",
)

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
ODDS_COLUMNS = [
    ("p_on_time_text", "P(on time) if supply slips"),
    ("completion_p50_text", "complete P50"),
    ("completion_p90_text", "complete P90"),
]


def layout(late: str | None = None, **_query: str) -> html.Div:
    user, allowed = page_user()
    partners: list[str] = []
    items: list[str] = []
    late_only = ["late"] if late else []
    if not allowed:
        figure, table, summary = empty_figure("Not available"), grid_placeholder(PROMISES), ""
        fan, odds_note = empty_figure("Not available"), ""
    else:
        with open_reader(user) as reader:
            commitments = _with_odds(reader.commitments(), reader.promise_odds())
            run = reader.runs.allocate
            simulation = reader.runs.simulate
            names = _names(reader)
        partners = sorted(commitments.get_column("partner_id").unique().to_list())
        items = sorted(commitments.get_column("item_id").unique().to_list())
        figure, table, summary, fan = _views(
            commitments, run, [], [], [], late_only, simulation, names
        )
        odds_note = _odds_note(simulation)
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
            html.H2("If supply slips"),
            html.P(odds_note, id="backlog-odds-note", className="note"),
            dcc.Loading(
                dcc.Graph(id="backlog-odds-graph", figure=fan, config={"displaylogo": False})
            ),
            html.Div(
                html.P(
                    "Click a promise (in the chart or the table) to see why it is late, where "
                    "its units come from and, for a planner, what would fix it.",
                    className="note",
                ),
                id="backlog-reasons",
                className="panel",
            ),
            html.Div(table, id="backlog-table"),
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


def _names(reader: Any) -> dict[str, str]:
    return {k: v for (_, k), v in reader.names().items()}


def _with_odds(commitments: pl.DataFrame, odds: pl.DataFrame) -> pl.DataFrame:
    """The promises with their odds over the simulated futures, as text for the table."""
    if odds.height == 0:
        return commitments
    odds = odds.select(
        "commitment_id", "p_on_time", "p_on_time_se", "completion_p10", "completion_p50",
        "completion_p90",
    )  # fmt: skip
    joined = commitments.join(odds, on="commitment_id", how="left")
    return joined.with_columns(
        p_on_time_text=pl.when(pl.col("p_on_time").is_not_null()).then(
            pl.format(
                "{}% ± {}%",
                (pl.col("p_on_time") * 100).round(0).cast(pl.Int64),
                (pl.col("p_on_time_se") * 100).round(0).cast(pl.Int64),
            )
        ),
        **{
            f"{c}_text": pl.when(pl.col("p_on_time").is_null())
            .then(None)
            .otherwise(pl.col(c).dt.strftime("%Y-%m").fill_null("not within the horizon"))
            for c in ("completion_p50", "completion_p90")
        },
    )


def _odds_note(simulation: dict[str, Any] | None) -> str:
    if simulation is None:
        return (
            "No simulation of this plan's supply yet: run 'arsenal simulate' (or the nightly "
            "run, which draws the baseline's futures) to see how likely each promise is kept "
            "when ramps slip, lines stop or routes take longer."
        )
    summary = run_summary(simulation)
    samples = summary.get("samples", "?")
    return (
        f"Over {samples} futures of supply drawn from the uncertainty rules (simulation "
        f"{simulation['run_id']}, {summary.get('mode', 'replan')}): the bar runs from the month "
        "a promise is complete in 10% of futures to the month it is in 90%; the dot is the "
        "median, the red tick the due month."
    )


def _views(
    commitments: pl.DataFrame,
    run: dict[str, Any] | None,
    partners: Any,
    items: Any,
    priorities: Any,
    late_only: Any,
    simulation: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> tuple[Any, Any, str, Any]:
    """The timeline, the table, a one-line summary of the filtered open promises and their
    completion fan over the simulated futures."""
    horizon_end = add_months(run["start_month"], int(run["horizon"]) - 1) if run else None
    frame = _filtered(commitments, partners, items, priorities, late_only)
    odds = "p_on_time" in frame.columns
    table = data_grid(
        frame.sort("late", "weighted_late_unit_months", descending=True, nulls_last=True),
        COLUMNS + (ODDS_COLUMNS if odds else []),
        PROMISES,
        key="commitment_id",
        names=names,
        file_name="backlog.csv",
    )
    late = frame.filter(pl.col("late")).height
    summary = f"{frame.height} open promises shown, {late} late." + (
        "" if run else " No plan run yet: planned completions are empty."
    )
    fan = (
        completion_fan(frame.filter(pl.col("p_on_time").is_not_null()), names, horizon_end)
        if odds and simulation is not None
        else empty_figure("No simulation of this plan's supply yet")
    )
    return backlog_timeline(frame, horizon_end), table, summary, fan


@callback(
    Output("backlog-timeline-graph", "figure"),
    Output("backlog-table", "children"),
    Output("backlog-summary", "children"),
    Output("backlog-odds-graph", "figure"),
    Input("backlog-partner-filter", "value"),
    Input("backlog-item-filter", "value"),
    Input("backlog-priority-filter", "value"),
    Input("backlog-late-filter", "value"),
    prevent_initial_call=True,
)
@liaison_safe
def _show(partners: Any, items: Any, priorities: Any, late_only: Any) -> tuple[Any, Any, str, Any]:
    user, allowed = page_user()
    if not allowed:
        return (
            empty_figure("Not available"),
            grid_placeholder(PROMISES),
            "",
            empty_figure("Not available"),
        )
    with open_reader(user) as reader:
        commitments = _with_odds(reader.commitments(), reader.promise_odds())
        run = reader.runs.allocate
        simulation = reader.runs.simulate
        names = _names(reader)
    return _views(commitments, run, partners, items, priorities, late_only, simulation, names)


@callback(
    Output("backlog-reasons", "children"),
    Input("backlog-timeline-graph", "clickData"),
    Input(PROMISES, "cellClicked"),
    prevent_initial_call=True,
)
@liaison_safe
def _reasons(click: Any, cell: Any) -> Any:
    commitment_id = None
    if dash.ctx.triggered_id == PROMISES:
        commitment_id = clicked_row(cell)
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
    return _promise_detail(user, commitment_id)


def _promise_detail(user: Any, commitment_id: str, message: html.P | None = None) -> Any:
    """A promise in detail: why it is late, where its units come from and, for a planner, its
    firmed rows and the controls that firm, pin and release them."""
    with open_reader(user) as reader:
        row = reader.commitments().filter(pl.col("commitment_id") == commitment_id)
        shipped = reader.shipments().filter(pl.col("commitment_id") == commitment_id)
        start, horizon = reader.runs.start_month, _horizon(reader.runs.allocate)
        names = reader.names()
        reasons: list[str] = []
        sources = {i: n for (k, i), n in names.items() if k == "source"}
        if row.height:
            reasons = reader.named_reasons(row.item(0, "reasons"), row.item(0, "item_id"))
    if row.height == 0:
        return html.P("No such promise among those you may see.", className="note")
    c = row.row(0, named=True)
    item = names.get(("item", c["item_id"]), c["item_id"])
    partner = names.get(("partner", c["partner_id"]), c["partner_id"])
    head = (
        f"{c['commitment_id']}: {c['backlog_units']:,.0f} {item} for {partner}, "
        f"priority {c['priority']}, promised {fmt_month(c['promised_month'])}, planned "
        f"{fmt_month(c['completion_month']) or 'not complete within the horizon'}"
    )
    due = max(c["promised_month"], start or c["promised_month"])
    pegged = promise_pegging(shipped, float(c["backlog_units"]), due)
    pegging = _pegging_table(pegged, commitment_id)
    by_due = pegged.filter(pl.col("arrival_month") <= due).get_column("units").sum()
    owed_at_due = max(float(c["backlog_units"]) - float(by_due or 0.0), 0.0)
    firm = (
        _firm_panel(commitment_id, shipped, start, horizon, message, sources)
        if user is not None and user.role == "planner"
        else None
    )
    if not c["late"]:
        parts = [html.H2(head, id="backlog-reasons-title"), html.P("On time in the plan.")]
        return html.Div([*parts, pegging, firm])
    reasons = reasons or ["The plan gives no reason."]
    remedies = (
        html.Div(
            [
                html.Button(
                    "Find remedies (each re-solved as a what-if)",
                    id={"type": REMEDIES, "index": commitment_id},
                    className="secondary",
                ),
                dcc.Loading(html.Div(id={"type": REMEDIES_OUT, "index": commitment_id})),
            ],
            id="backlog-remedies",
        )
        if user is not None and user.can_run_whatif
        else None
    )
    return html.Div(
        [
            html.H2(head, id="backlog-reasons-title"),
            html.P(
                f"{c['late_unit_months']:,.0f} late unit-months: {owed_at_due:,.0f} of "
                f"{c['backlog_units']:,.0f} units still owed at the due month "
                f"{fmt_month(due)}. Why:",
                className="late",
                id="backlog-late-size",
            ),
            html.Ul([html.Li(r) for r in reasons], className="reasons", id="backlog-reasons-list"),
            remedies,
            pegging,
            firm,
        ]
    )


@callback(
    Output({"type": REMEDIES_OUT, "index": ALL}, "children"),
    Input({"type": REMEDIES, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _remedies(clicks: Any) -> Any:
    """The shown promise's remedies, each re-solved as the what-if page would run it (one
    promise is shown at a time: one button, one output)."""
    outputs = dash.ctx.outputs_list
    count = len(outputs) if isinstance(outputs, list) else 0
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in dash.ctx.triggered):
        return [dash.no_update] * count
    user, allowed = page_user()
    if not allowed or user is None or not user.can_run_whatif:
        return [html.P("Your role cannot run what-ifs.", className="form-error")] * count
    commitment_id = one_text(trigger.get("index"))
    if commitment_id is None:
        return [dash.no_update] * count
    try:
        found = find_remedies(str(db_path()), commitment_id, scenarios_folder())
        shown: Any = _remedies_table(commitment_id, found)
    except (KeyError, RuntimeError) as exc:
        shown = html.P(str(exc), className="form-error")
    return [
        shown
        if isinstance(o, dict) and o.get("id", {}).get("index") == commitment_id
        else dash.no_update
        for o in outputs
    ]


def _remedies_table(commitment_id: str, found: list[Any]) -> html.Div:
    if not found:
        return html.P("No remedy to try: the promise is on time.", className="note")
    helping = [r for r in found if r.helps]
    rows = []
    for r in helping:
        became = f"; becomes late: {', '.join(r.became_late)}" if r.became_late else ""
        rows.append(
            html.Tr(
                [
                    html.Td(r.what),
                    html.Td(f"{r.late_before:,.0f} -> {r.late_after:,.0f}", className="num"),
                    html.Td(
                        f"{r.completion_before or 'not within the horizon'} -> "
                        f"{r.completion_after or 'not within the horizon'}"
                    ),
                    html.Td(
                        f"{(r.weighted_after or 0) - (r.weighted_before or 0):+,.0f}{became}",
                        className="num",
                    ),
                    html.Td(
                        dcc.Link(
                            "Open as a what-if",
                            href=f"/what-if?remedy={encode_doc(r.doc)}",
                            className="remedy-link",
                        )
                    ),
                ],
                className="remedy-row",
            )
        )
    table = (
        html.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th("remedy"),
                            html.Th(f"late unit-months of {commitment_id}"),
                            html.Th("complete"),
                            html.Th("all promises, weighted late unit-months"),
                            html.Th(""),
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            id="backlog-remedies-table",
        )
        if rows
        else html.P("None of the remedies tried makes it less late.", className="note")
    )
    rest = [r for r in found if not r.helps]
    tried = (
        html.Details(
            [
                html.Summary(f"Tried without effect on this promise ({len(rest)})"),
                html.Ul([html.Li(r.what + (f": {r.error}" if r.error else "")) for r in rest]),
            ]
        )
        if rest
        else None
    )
    return html.Div([html.H3("Remedies, each planned again"), table, tried])


def _horizon(run: dict[str, Any] | None) -> int:
    return int(run["horizon"]) if run is not None and run.get("horizon") else 0


def _firm_panel(
    commitment_id: str,
    shipped: pl.DataFrame,
    start: Any,
    horizon: int,
    message: html.P | None,
    sources: dict[str, str],
) -> html.Div:
    """The promise's firmed rows (each with Release) and the planner's controls: firm the
    planned shipments as they stand, or pin the completion to a month."""
    rows = [r for r in shared_state().read_firmed() if r.commitment_id == commitment_id]
    months = [fmt_month(add_months(start, k)) for k in range(horizon)] if start else []
    listed = [
        html.Li(
            [
                html.Span(
                    _firmed_text(r, sources) + f" (by {r.who}, {r.at:%Y-%m-%d}) ",
                    title=r.source_id,
                ),
                html.Button(
                    "Release",
                    id={"type": FIRM_RELEASE, "index": f"{commitment_id}|{r.id}"},
                    className="secondary",
                ),
            ]
        )
        for r in rows
    ]
    controls = html.Div(
        [
            html.Button(
                f"Firm the {shipped.height} planned shipment(s)",
                id={"type": FIRM_SHIPMENTS, "index": commitment_id},
                disabled=shipped.height == 0,
                title="Every later plan ships at least these units in these months, until released",
            ),
            html.Label("Pin completion to"),
            dcc.Dropdown(
                months,
                None,
                id={"type": FIRM_PIN_MONTH, "index": commitment_id},
                placeholder="month",
                clearable=False,
                style={"minWidth": "8rem"},
            ),
            html.Button(
                "Pin", id={"type": FIRM_PIN, "index": commitment_id}, className="secondary"
            ),
        ],
        className="controls",
    )
    return html.Div(
        [
            html.H3("Firmed for this promise"),
            html.Ul(listed, id="backlog-firmed-list")
            if listed
            else html.P("Nothing firmed: the next plan is free to move it.", className="note"),
            controls,
            message,
        ],
        id="backlog-firm",
    )


def _firmed_text(r: Any, sources: dict[str, str]) -> str:
    if r.kind == "completion_pin":
        return f"Completion pinned to {r.month}"
    return f"{r.units:,.0f} from {sources.get(r.source_id, r.source_id)} shipped in {r.month}"


def _already_firmed(state: Any, commitment_id: str) -> set[tuple[str, str]]:
    """(source, month) of the promise's firmed shipments in force."""
    return {
        (r.source_id, r.month)
        for r in state.read_firmed()
        if r.commitment_id == commitment_id and r.kind == "shipment"
    }


@callback(
    Output("backlog-reasons", "children", allow_duplicate=True),
    Input({"type": FIRM_SHIPMENTS, "index": ALL}, "n_clicks"),
    Input({"type": FIRM_PIN, "index": ALL}, "n_clicks"),
    Input({"type": FIRM_RELEASE, "index": ALL}, "n_clicks"),
    State({"type": FIRM_PIN_MONTH, "index": ALL}, "value"),
    prevent_initial_call=True,
)
def _firm(_ship: Any, _pin: Any, _release: Any, pin_months: Any) -> Any:
    """A planner firms the promise's planned shipments, pins its completion or releases a
    firmed row; written with who and when (and its audit row) in the shared state."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in dash.ctx.triggered):
        return dash.no_update  # controls drawn anew, not clicked
    user, allowed = page_user()
    if not allowed or user is None or user.role != "planner":
        return dash.no_update
    kind, index = trigger.get("type"), one_text(trigger.get("index"))
    if index is None:
        return dash.no_update
    commitment_id = index.split("|", 1)[0]
    state = shared_state()
    try:
        if kind == FIRM_RELEASE:
            firm_id = int(index.split("|", 1)[1])
            done = state.release_firmed(firm_id, user.name)
            text = f"Released firmed row {firm_id}." if done else "Already released."
        else:
            with open_reader(user) as reader:
                dataset = reader.dataset()
                shipped = reader.shipments().filter(pl.col("commitment_id") == commitment_id)
            if kind == FIRM_SHIPMENTS:
                held = _already_firmed(state, commitment_id)
                new = [
                    _shipment_fields(r)
                    for r in shipped.iter_rows(named=True)
                    if (r["source_id"], fmt_month(r["month"])) not in held
                ]
                for fields in new:
                    firm(state, dataset, user.name, kind="shipment", **fields)
                text = f"Firmed {len(new)} shipment(s)." + (
                    f" {shipped.height - len(new)} were firmed already."
                    if len(new) < shipped.height
                    else ""
                )
            else:
                month = one_text(next((m for m in pin_months or [] if m), None))
                firm(
                    state,
                    dataset,
                    user.name,
                    kind="completion_pin",
                    source_id=None,
                    partner_id=None,
                    item_id=None,
                    month=month,
                    units=None,
                    commitment_id=commitment_id,
                )
                text = f"Completion pinned to {month}."
    except InputRejected as exc:
        return _promise_detail(user, commitment_id, html.P(str(exc), className="form-error"))
    note = " The next plan (a run, a what-if or the nightly) honours it first."
    return _promise_detail(user, commitment_id, html.P(text + note, className="form-ok"))


def _shipment_fields(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_id": r["source_id"],
        "partner_id": r["partner_id"],
        "item_id": r["item_id"],
        "month": fmt_month(r["month"]),
        "units": float(r["units"]),
        "commitment_id": r["commitment_id"],
    }


PEGGING_COLUMNS = [
    ("arrival_month", "arrives"),
    ("sources", "from (units, shipped)"),
    ("units", "units"),
    ("cumulative", "so far"),
    ("owed", "still owed"),
]


def _pegging_table(pegging: pl.DataFrame, commitment_id: str) -> html.Div:
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
            data_grid(
                pegging,
                PEGGING_COLUMNS,
                PEGGING,
                wrap=("sources",),
                file_name=f"pegging-{commitment_id}.csv",
            ),
        ],
        id="backlog-pegging",
    )
