"""Overview: the top of the worklist, what is at risk now and in six months, and the promises
that will be late."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboards.data import open_reader
from dashboards.ui import card, fmt_number, fmt_usd, page_user, role_note, simple_table

TOP_COLUMNS = ["what", "kind", "why", "from", "USD at stake"]

dash.register_page(__name__, path="/", name="Overview", order=0, title="Arsenal - Overview")


def _body(view: dict[str, Any]) -> list[Any]:
    runs = view["runs"]
    load = view["load"]
    load_text = (
        f"Data loaded {load['loaded_at']:%Y-%m-%d %H:%M} UTC from {load['path']}"
        + (f"; content hash {load['content_hash'][:16]}" if load["content_hash"] else "")
        if load
        else "No data loaded yet."
    )
    run_text = (
        f"Plan run {runs.allocate['run_id']} starting {runs.start_month:%Y-%m}."
        if runs.allocate
        else "No plan run yet: run 'arsenal run' to fill the dashboard."
    )
    top = view["top_exceptions"]
    return [
        html.H2("Top open exceptions, by USD at stake"),
        simple_table(
            TOP_COLUMNS,
            [
                [r["what"], r["kind_label"], r["why"], r["first_month"], fmt_usd(r["usd_at_stake"])]
                for r in top.iter_rows(named=True)
            ],
            "overview-exceptions-table",
            numeric=[4],
        )
        if top.height
        else html.P(
            "No open exception: nothing in the latest plan needs a planner.",
            className="note",
            id="overview-exceptions-table",
        ),
        html.P(
            [
                dcc.Link(
                    f"The whole worklist ({view['open_exceptions']} open)",
                    href="/worklist",
                    id="overview-worklist-link",
                ),
            ]
        ),
        html.Div(
            [
                card(
                    "Pools below floor now",
                    str(view["pools_below_floor_now"]),
                    "overview-pools-now",
                    bad=view["pools_below_floor_now"] > 0,
                ),
                card(
                    "Pools below floor within 6 months",
                    str(view["pools_below_floor_6m"]),
                    "overview-pools-6m",
                    bad=view["pools_below_floor_6m"] > 0,
                ),
                card(
                    "Late promises",
                    str(view["late_promises"]),
                    "overview-late-count",
                    bad=view["late_promises"] > 0,
                ),
                card(
                    "Backlog (units)", fmt_number(view["backlog_units"]), "overview-backlog-units"
                ),
                card("Backlog (USD)", fmt_usd(view["backlog_usd"]), "overview-backlog-usd"),
                card(
                    "Weighted late unit-months",
                    fmt_number(view["weighted_late_unit_months"]),
                    "overview-weighted-late",
                ),
            ],
            className="cards",
        ),
        html.P(
            [
                dcc.Link("Which promises are late, and why", href="/backlog?late=1"),
                " · ",
                dcc.Link("What would fix it", href="/what-if"),
            ],
        ),
        html.P(load_text, className="note", id="overview-load"),
        html.P(run_text, className="note", id="overview-run"),
    ]


def layout(**_query: str) -> html.Div:
    user, allowed = page_user()
    if not allowed:
        return html.Div([html.H1("Overview"), role_note(user)], id="overview-page")
    with open_reader(user) as reader:
        view = reader.overview()
    scope = f" (rows releasable to {user.partner})" if user.is_liaison else ""
    return html.Div([html.H1("Overview" + scope), *_body(view)], id="overview-page")
