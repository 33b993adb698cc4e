"""What-if: build a scenario, run it on a copy of the data, see it against the baseline, save it
as a scenario file the nightly run picks up, open saved ones."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import dash
import flask
import tomli_w
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboards.data import db_path, open_reader
from dashboards.page_figures import whatif_lateness
from dashboards.scenario_form import (
    FORM,
    KIND_TITLES,
    blank_form,
    component_type,
    doc_to_form,
    form_to_doc,
    read_doc,
)
from dashboards.ui import fmt_number, fmt_usd, page_user, role_note, simple_table
from pipeline.scenarios import BASELINE, apply_chain, read_scenarios, resolve_chain
from pipeline.whatif import run_whatif, scenario_from_doc
from store.dataset import read_dataset
from store.db import connect
from store.errors import InputRejected

ROLES = ("viewer", "planner")
dash.register_page(
    __name__, path="/what-if", name="What-if", order=5, title="Arsenal - What-if", roles=ROLES
)

CELLS = [(kind, f) for kind, (_, fields) in FORM.items() for f in fields]
HEAD = ["whatif-name", "whatif-description", "whatif-base-dropdown", "whatif-budget"]


def scenarios_folder() -> Path:
    return Path(flask.current_app.config["ARSENAL_SCENARIOS"])


def _saved_names() -> list[str]:
    folder = scenarios_folder()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _options(widget: str, kind: str, ids: dict[str, list[str]], choices: tuple) -> list[Any]:
    wildcard = ["*"] if kind == "route" else []
    if widget == "source":
        return wildcard + ids.get("source" if kind == "route" else "production_source", [])
    if widget in ("item", "partner", "holder"):
        return wildcard + ids.get(widget, [])
    return list(choices)


def _cell(kind: str, f: Any, index: int, ids: dict[str, list[str]]) -> html.Div:
    cid = {"type": component_type(kind, f.key), "index": index}
    if f.widget in ("text", "number", "integer"):
        control = dcc.Input(
            id=cid,
            type="text",
            value="",
            placeholder=f.label,
            style={"width": "8.5rem"},
        )
    else:
        control = dcc.Dropdown(
            _options(f.widget, kind, ids, f.choices),
            None,
            id=cid,
            placeholder=f.label,
            style={"minWidth": "9rem"},
        )
    return html.Div(control, title=f.label)


def _form(ids: dict[str, list[str]]) -> html.Div:
    panels = []
    for kind, (rows, fields) in FORM.items():
        panels.append(
            html.Div(
                [html.H2(KIND_TITLES[kind])]
                + [
                    html.Div([_cell(kind, f, i, ids) for f in fields], className="whatif-row")
                    for i in range(rows)
                ],
                className="panel",
            )
        )
    return html.Div(panels, className="whatif-grid")


def layout(**_query: str) -> html.Div:
    user, allowed = page_user(ROLES)
    ids: dict[str, list[str]] = {}
    saved: list[str] = []
    if allowed:
        with open_reader(user) as reader:
            ids = reader.form_options()
        saved = _saved_names()
    planner = allowed and user is not None and user.can_run_whatif
    return html.Div(
        [
            html.H1("What-if"),
            html.Div(role_note(user), hidden=allowed),
            html.P(
                "Viewers can look at what-ifs; planners run and save them.",
                className="note",
                id="whatif-role-note",
                hidden=planner or not allowed,
            ),
            dcc.Store(id="whatif-result-store", storage_type="session"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Label("Open a saved scenario"),
                                    dcc.Dropdown(saved, None, id="whatif-open-dropdown"),
                                ]
                            ),
                            html.Button("Open", id="whatif-open-button", className="secondary"),
                            html.Div(id="whatif-open-message", className="note"),
                        ],
                        className="controls panel",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Label("Name"),
                                    dcc.Input(id="whatif-name", type="text", value=""),
                                ]
                            ),
                            html.Div(
                                [
                                    html.Label("Description"),
                                    dcc.Input(
                                        id="whatif-description", type="text", value="", size="40"
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    html.Label("Built on"),
                                    dcc.Dropdown(
                                        [BASELINE, *saved],
                                        BASELINE,
                                        id="whatif-base-dropdown",
                                        clearable=False,
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    html.Label("Budget for expansion options (USD)"),
                                    dcc.Input(
                                        id="whatif-budget",
                                        type="text",
                                        value="",
                                        placeholder="none",
                                    ),
                                ]
                            ),
                        ],
                        className="controls panel",
                    ),
                    _form(ids),
                    html.Div(
                        [
                            html.Button(
                                "Run against the baseline",
                                id="whatif-run-button",
                                disabled=not planner,
                            ),
                            html.Button(
                                "Save as scenario",
                                id="whatif-save-button",
                                className="secondary",
                                disabled=not planner,
                            ),
                            dcc.Checklist(
                                [
                                    {
                                        "label": " replace a saved one of that name",
                                        "value": "replace",
                                    }
                                ],
                                [],
                                id="whatif-replace-check",
                            ),
                            html.Span(id="whatif-status", className="status-running"),
                        ],
                        className="controls panel",
                    ),
                    html.Div(id="whatif-form-errors"),
                    html.Div(id="whatif-save-message"),
                    dcc.Loading(html.Div(id="whatif-results"), type="circle"),
                ],
                hidden=not allowed,
            ),
        ],
        id="whatif-page",
    )


def _rows(values: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]]:
    """The cell values (one list per cell type, in CELLS order) as rows per kind."""
    rows = blank_form()
    for (kind, f), column in zip(CELLS, values, strict=True):
        for index, value in enumerate(column):
            rows[kind][index][f.key] = value
    return rows


def _errors(messages: list[str]) -> html.Div:
    return html.Div(
        [html.P(m, className="form-error") for m in messages], id="whatif-form-errors-list"
    )


def _problem_text(problem: Any) -> str:
    if problem.column:
        kind, _, key = str(problem.column).partition(".")
        title = KIND_TITLES.get(kind)
        if title and problem.line:
            where = f"{title}, row {problem.line}, {key or kind}"
        else:
            where = str(problem.column)
    else:
        where = "Scenario"
    value = "" if problem.value is None else f" {problem.value!r}"
    return f"{where}{value}: {problem.reason}."


def _check(doc: dict[str, Any]) -> Any:
    """The scenario applied to the loaded data (ids checked); raises InputRejected."""
    scenario = scenario_from_doc(doc)
    library = {}
    if scenario.base != BASELINE:
        library = {
            k: v for k, v in read_scenarios(scenarios_folder()).items() if k != scenario.name
        }
    library[scenario.name] = scenario
    con = connect(db_path(), read_only=True)
    try:
        dataset = read_dataset(con)
    finally:
        con.close()
    return apply_chain(dataset, resolve_chain(scenario.name, library))


STATE = [State(h, "value") for h in HEAD] + [
    State({"type": component_type(kind, f.key), "index": ALL}, "value") for kind, f in CELLS
]


@callback(
    Output("whatif-result-store", "data"),
    Output("whatif-form-errors", "children"),
    Input("whatif-run-button", "n_clicks"),
    *STATE,
    prevent_initial_call=True,
    running=[
        (Output("whatif-run-button", "disabled"), True, False),
        (Output("whatif-status", "children"), "Running the what-if...", ""),
    ],
)
def _run(
    _clicks: int | None, name: Any, description: Any, base: Any, budget: Any, *cells: Any
) -> Any:
    user, allowed = page_user(ROLES)
    if not allowed or not user.can_run_whatif:
        role = user.role if user else "anonymous"
        return dash.no_update, _errors([f"Your role ({role}) cannot run what-ifs."])
    doc, problems = form_to_doc(name, description, base, budget, _rows(cells))
    if problems:
        return dash.no_update, _errors(problems)
    try:
        result = run_whatif(db_path(), doc, scenarios_folder())
    except InputRejected as exc:
        return dash.no_update, _errors([_problem_text(p) for p in exc.problems])
    except Exception as exc:  # a reason on the page, not a traceback
        return dash.no_update, _errors([f"The what-if failed: {type(exc).__name__}: {exc}"])
    return result, ""


def _signed(value: float | None, money: bool = False) -> str:
    if value is None:
        return ""
    text = fmt_usd(abs(value)) if money else fmt_number(abs(value))
    return ("+" if value > 0 else "-" if value < 0 else "") + text


@callback(Output("whatif-results", "children"), Input("whatif-result-store", "data"))
def _show(result: dict[str, Any] | None) -> Any:
    if not result:
        return html.P("Run a what-if to see it side by side with the baseline.", className="note")
    rows = []
    for m in result["measures"]:
        money = m["measure"].startswith("Cost")
        fmt = fmt_usd if money else fmt_number
        rows.append(
            [m["measure"], fmt(m["baseline"]), fmt(m["scenario"]), _signed(m["difference"], money)]
        )
    moved = [c for c in result["commitments"] if c["completion_month_a"] != c["completion_month_b"]]
    pools = [
        p
        for p in result["pools"]
        if (p["floor_breach_p50_a"], p["rebuild_p50_a"])
        != (p["floor_breach_p50_b"], p["rebuild_p50_b"])
    ]
    late_a = {c["commitment_id"]: c["late_unit_months_a"] or 0.0 for c in result["commitments"]}
    late_b = {c["commitment_id"]: c["late_unit_months_b"] or 0.0 for c in result["commitments"]}
    return html.Div(
        [
            html.H2(f"{result['name']} against the baseline", id="whatif-result-title"),
            html.P(
                f"Plan {result['status']}, from {result['start']} for {result['horizon']} months; "
                f"computed in {result['seconds']:.2f} s on a copy of the data.",
                className="note",
            ),
            simple_table(
                ["", "baseline", result["name"], "difference"],
                rows,
                "whatif-deltas-table",
                numeric=(1, 2, 3),
            ),
            html.P(
                "Promises that become on time: " + (", ".join(result["became_on_time"]) or "none"),
                id="whatif-became-on-time",
            ),
            html.P(
                "Promises that become late: " + (", ".join(result["became_late"]) or "none"),
                id="whatif-became-late",
            ),
            html.P(
                "Investments bought: " + (", ".join(result["investments_b"]) or "none"),
                id="whatif-investments",
            ),
            dcc.Graph(
                figure=whatif_lateness(late_a, late_b, result["name"]),
                id="whatif-lateness-graph",
                config={"displaylogo": False},
            ),
            html.H2("Completion months that move"),
            simple_table(
                ["commitment", "partner", "item", "baseline", result["name"], "months"],
                [
                    [
                        c["commitment_id"],
                        c["partner_id"],
                        c["item_id"],
                        c["completion_month_a"] or "beyond horizon",
                        c["completion_month_b"] or "beyond horizon",
                        ""
                        if c["completion_shift_months"] is None
                        else f"{c['completion_shift_months']:+d}",
                    ]
                    for c in moved
                ],
                "whatif-completion-table",
                numeric=(5,),
            ),
            html.H2("Floor-breach and rebuild months (P50) that move"),
            simple_table(
                [
                    "holder",
                    "item",
                    "breach baseline",
                    f"breach {result['name']}",
                    "rebuild baseline",
                    f"rebuild {result['name']}",
                ],
                [
                    [
                        p["holder_id"],
                        p["item_id"],
                        p["floor_breach_p50_a"] or "-",
                        p["floor_breach_p50_b"] or "-",
                        p["rebuild_p50_a"] or "-",
                        p["rebuild_p50_b"] or "-",
                    ]
                    for p in pools
                ],
                "whatif-pools-table",
            ),
        ]
    )


def _write_atomically(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@callback(
    Output("whatif-save-message", "children"),
    Output("whatif-open-dropdown", "options"),
    Output("whatif-base-dropdown", "options"),
    Input("whatif-save-button", "n_clicks"),
    State("whatif-replace-check", "value"),
    *STATE,
    prevent_initial_call=True,
)
def _save(
    _clicks: int | None,
    replace: Any,
    name: Any,
    description: Any,
    base: Any,
    budget: Any,
    *cells: Any,
) -> Any:
    user, allowed = page_user(ROLES)
    if not allowed or not user.can_run_whatif:
        role = user.role if user else "anonymous"
        return (
            _errors([f"Your role ({role}) cannot save what-ifs."]),
            dash.no_update,
            dash.no_update,
        )
    doc, problems = form_to_doc(name, description, base, budget, _rows(cells))
    if not problems:
        try:
            _check(doc)
        except InputRejected as exc:
            problems = [_problem_text(p) for p in exc.problems]
    folder = scenarios_folder()
    path = folder / f"{doc['name']}.toml"
    if not problems and path.exists() and "replace" not in (replace or []):
        problems = [f"Name: a scenario {doc['name']!r} is already saved; tick 'replace' or rename."]
    if problems:
        return _errors(problems), dash.no_update, dash.no_update
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, tomli_w.dumps(doc).encode("utf-8"))
    saved = _saved_names()
    message = html.P(
        f"Saved {path.name}: the nightly run will include it.",
        className="form-ok",
        id="whatif-saved",
    )
    return message, saved, [BASELINE, *saved]


@callback(
    [Output(h, "value") for h in HEAD]
    + [Output({"type": component_type(kind, f.key), "index": ALL}, "value") for kind, f in CELLS]
    + [Output("whatif-open-message", "children")],
    Input("whatif-open-button", "n_clicks"),
    State("whatif-open-dropdown", "value"),
    prevent_initial_call=True,
)
def _open(_clicks: int | None, name: str | None) -> list[Any]:
    user, allowed = page_user(ROLES)
    keep = [dash.no_update] * (len(HEAD) + len(CELLS))
    if not allowed or not name:
        return [*keep, "Choose a saved scenario first."]
    path = scenarios_folder() / f"{Path(name).name}.toml"
    if not path.is_file():
        return [*keep, f"No saved scenario {name!r}."]
    try:
        doc = read_doc(path)
    except Exception as exc:
        return [*keep, f"Cannot read {path.name}: {exc}"]
    rows, why = doc_to_form(doc)
    if rows is None:
        blank = blank_form()
        cells = [[row[f.key] for row in blank[kind]] for kind, f in CELLS]
        head = [f"{name}-whatif", f"Built on {name}", name, ""]
        return [
            *head,
            *cells,
            f"The form cannot show all of {name} ({why}); it is the base of a new what-if.",
        ]
    typed = ("text", "number", "integer")
    cells = [
        [
            row[f.key] if row[f.key] is not None else ("" if f.widget in typed else None)
            for row in rows[kind]
        ]
        for kind, f in CELLS
    ]
    budget = doc.get("budget_usd")
    head = [
        doc.get("name", name),
        doc.get("description", ""),
        doc.get("base", BASELINE),
        "" if budget is None else (str(int(budget)) if float(budget).is_integer() else str(budget)),
    ]
    return [*head, *cells, f"Opened {path.name}."]
