"""What-if: build a scenario, run it on a copy of the data, see it against the baseline, save it
as a scenario file the nightly run picks up, open saved ones.

The page lays out the form (``dashboards/scenario_form.py``, read from the override kinds'
registry) and calls ``pipeline/whatif.py`` to run, check, save and open; the result is drawn
by ``dashboards/whatif_results.py``; every id is in ``dashboards/whatif_ids.py``.
"""

from __future__ import annotations

import re
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboards import whatif_ids as ids
from dashboards.background import start_background
from dashboards.data import (
    db_path,
    open_reader,
    scenarios_folder,
    shared_state,
    whatif_samples,
)
from dashboards.liaison import liaison_safe
from dashboards.scenario_form import (
    CELLS,
    FORM,
    KIND_TITLES,
    MAX_ROWS,
    FormField,
    decode_doc,
    doc_to_form,
    form_to_doc,
    problem_text,
    rows_from_cells,
)
from dashboards.ui import page_user, role_note
from dashboards.values import one_text, texts
from dashboards.whatif_odds_view import render_odds, render_progress
from dashboards.whatif_results import render_result
from pipeline.whatif import (
    BASELINE,
    check_scenario,
    open_saved_scenario,
    run_whatif,
    save_scenario,
    saved_scenarios,
)
from pipeline.whatif_odds import whatif_odds
from store.defaults import WHATIF_SAMPLES
from store.errors import InputRejected

ROLES = ("viewer", "planner")
dash.register_page(
    __name__, path="/what-if", name="What-if", order=5, title="Arsenal - What-if", roles=ROLES
)

ODDS_JOB_KIND = "whatif_odds"
ODDS_POLL_MS = 750
NEW_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
# the id dropdowns that name a source: a new line typed in the form is offered in them too
SOURCE_CELLS = [
    (kind, f) for kind, f in CELLS if f.widget == "ids" and f.ids in ("source", "production_source")
]


STATE = [State(h, "value") for h in ids.HEAD] + [
    State(ids.cell(kind, f.key, ALL), "value") for kind, f in CELLS
]


# -- layout, part by part -----------------------------------------------------------------------


def layout(remedy: str | None = None, **_query: str) -> html.Div:
    """``remedy``: a scenario (``scenario_form.encode_doc``) the form opens filled with, as a
    Backlog remedy's link gives it; nothing runs until a planner presses Run."""
    user, allowed = page_user(ROLES)
    options: dict[str, list[str]] = {}
    saved: list[str] = []
    if allowed:
        with open_reader(user) as reader:
            options = reader.form_options()
        saved = saved_scenarios(scenarios_folder())
    planner = allowed and user is not None and user.can_run_whatif
    doc = decode_doc(remedy) if allowed else None
    changes = doc is not None and any(isinstance(doc.get(k), list) and doc[k] for k in FORM)
    rows, _ = doc_to_form(doc) if doc is not None and changes else (None, "")
    head = _head_values(doc) if rows is not None else None
    return html.Div(
        [
            html.H1("What-if"),
            html.Div(role_note(user), hidden=allowed),
            html.P(
                "Viewers can look at what-ifs; planners run and save them.",
                className="note",
                id=ids.ROLE_NOTE,
                hidden=planner or not allowed,
            ),
            dcc.Store(id=ids.RESULT_STORE, storage_type="session"),
            dcc.Store(id=ids.ODDS_JOB, storage_type="session"),
            dcc.Interval(id=ids.ODDS_POLL, interval=ODDS_POLL_MS, disabled=True),
            html.Div(
                [
                    html.Div(
                        [
                            _open_panel(saved),
                            _header_fields(saved, head),
                            html.P(
                                "Opened with the remedy's changes: press Run to see its effect.",
                                className="form-ok",
                                id=ids.PREFILLED,
                            )
                            if rows is not None
                            else None,
                            _actions(planner, whatif_samples() if allowed else WHATIF_SAMPLES),
                            html.Div(id=ids.FORM_ERRORS),
                            html.Div(id=ids.SAVE_MESSAGE),
                            _override_rows(options, rows),
                        ],
                        className="whatif-form",
                    ),
                    # the results beside the form (below it on a narrow screen), never
                    # a screen's height under it
                    html.Div(
                        [
                            html.Div(id=ids.ODDS_STATUS),
                            html.Div(id=ids.ODDS_RESULTS),
                            dcc.Loading(html.Div(id=ids.RESULTS), type="circle"),
                        ],
                        className="whatif-side",
                    ),
                ],
                className="whatif-layout",
                hidden=not allowed,
            ),
        ],
        id=ids.PAGE,
    )


def _labelled(label: str, control: Any) -> html.Div:
    return html.Div([html.Label(label), control])


def _open_panel(saved: list[str]) -> html.Div:
    return html.Div(
        [
            _labelled("Open a saved scenario", dcc.Dropdown(saved, None, id=ids.OPEN_DROPDOWN)),
            html.Button("Open", id=ids.OPEN_BUTTON, className="secondary"),
            html.Div(id=ids.OPEN_MESSAGE, className="note"),
        ],
        className="controls panel",
    )


def _head_values(doc: dict[str, Any]) -> dict[str, str]:
    return {
        "name": str(doc.get("name", "")),
        "description": str(doc.get("description", "")),
        "budget": _usd_text(doc.get("budget_usd")),
        "cost": _usd_text(doc.get("cost_usd")),
    }


def _header_fields(saved: list[str], head: dict[str, str] | None = None) -> html.Div:
    """The scenario's name, description, base and budget."""
    head = head or {}
    base = dcc.Dropdown([BASELINE, *saved], BASELINE, id=ids.BASE_DROPDOWN, clearable=False)
    budget = dcc.Input(id=ids.BUDGET, type="text", value=head.get("budget", ""), placeholder="none")
    return html.Div(
        [
            _labelled("Name", dcc.Input(id=ids.NAME, type="text", value=head.get("name", ""))),
            _labelled(
                "Description",
                dcc.Input(
                    id=ids.DESCRIPTION, type="text", value=head.get("description", ""), size="40"
                ),
            ),
            _labelled("Built on", base),
            _labelled("Budget for expansion options (USD)", budget),
            _labelled(
                "Cost of these measures (USD)",
                dcc.Input(id=ids.COST, type="text", value=head.get("cost", ""), placeholder="none"),
            ),
        ],
        className="controls panel",
    )


def _override_rows(
    options: dict[str, list[str]], filled: dict[str, list[dict[str, Any]]] | None = None
) -> html.Div:
    """One panel per override kind the form edits, its rows of cells (``filled``: the
    values to open with, as ``doc_to_form`` gives them; a kind shows its default number of
    rows, or as many as it has filled), each panel with its "Add a row" button."""
    return html.Div(_panels(options, filled), className="whatif-grid", id=ids.GRID)


def _panels(
    options: dict[str, list[str]], filled: dict[str, list[dict[str, Any]]] | None
) -> list[html.Div]:
    return [
        html.Div(
            [
                html.H2(KIND_TITLES[kind]),
                html.Div(
                    _rows(kind, options, (filled or {}).get(kind) or [{}] * rows),
                    id={"type": ids.ROWS, "index": kind},
                ),
                html.Button(
                    "Add a row",
                    id={"type": ids.ADD_ROW, "index": kind},
                    className="secondary add-row",
                ),
            ],
            className="panel",
        )
        for kind, (rows, _) in FORM.items()
    ]


def _rows(kind: str, options: dict[str, list[str]], values: list[dict[str, Any]]) -> list[Any]:
    fields = FORM[kind][1]
    return [
        html.Div(
            [_cell(kind, f, i, options, row.get(f.key)) for f in fields]
            + [
                html.Button(
                    "x",
                    id={"type": ids.REMOVE_ROW, "index": f"{kind}|{i}"},
                    className="secondary remove-row",
                    title="Remove this row",
                )
            ],
            className="whatif-row",
        )
        for i, row in enumerate(values)
    ]


def _cell(
    kind: str, f: FormField, index: int, options: dict[str, list[str]], value: Any = None
) -> html.Div:
    cid = ids.cell(kind, f.key, index)
    if f.widget in ("text", "number", "integer"):
        control = dcc.Input(
            id=cid,
            type="text",
            value="" if value is None else str(value),
            placeholder=f.label,
            # wide enough for its placeholder, so "promised YYYY-MM" is never cut
            style={"width": f"{max(8.5, 0.6 * len(f.label) + 1):.1f}rem"},
        )
    else:
        offered = (
            (["*"] if f.wildcard else []) + options.get(f.ids, [])
            if f.widget == "ids"
            else list(f.choices)
        )
        control = dcc.Dropdown(
            offered, value, id=cid, placeholder=f.label, style={"minWidth": "9rem"}
        )
    return html.Div(control, title=f.label)


def _actions(planner: bool, samples: int) -> html.Div:
    replace = {"label": " replace a saved one of that name", "value": "replace"}
    return html.Div(
        [
            html.Button("Run against the baseline", id=ids.RUN_BUTTON, disabled=not planner),
            html.Button(
                "Save as scenario",
                id=ids.SAVE_BUTTON,
                className="secondary",
                disabled=not planner,
            ),
            html.Button(
                f"Promise odds ({samples:,} futures)",
                id=ids.ODDS_BUTTON,
                className="secondary",
                disabled=not planner,
                title="Simulate the what-if over futures of supply slips and outages, "
                "beside the baseline over the same futures",
            ),
            dcc.Checklist([replace], [], id=ids.REPLACE_CHECK),
            html.Span(id=ids.STATUS, className="status-running"),
        ],
        className="controls panel",
    )


def _errors(messages: list[str]) -> html.Div:
    return html.Div([html.P(m, className="form-error") for m in messages], id=ids.FORM_ERRORS_LIST)


def _odds_errors(messages: list[str]) -> html.Div:
    return html.Div([html.P(m, className="form-error") for m in messages], id=ids.ODDS_ERRORS)


def _refused(user: Any, allowed: bool, what: str) -> html.Div | None:
    """The message for a user who may not ``what`` (run, save) what-ifs, else None."""
    if allowed and user.can_run_whatif:
        return None
    role = user.role if user else "anonymous"
    return _errors([f"Your role ({role}) cannot {what} what-ifs."])


# -- callbacks ----------------------------------------------------------------------------------


@callback(
    Output(ids.RESULT_STORE, "data"),
    Output(ids.FORM_ERRORS, "children"),
    Input(ids.RUN_BUTTON, "n_clicks"),
    Input(ids.BUDGET, "n_submit"),
    *STATE,
    prevent_initial_call=True,
    running=[
        (Output(ids.RUN_BUTTON, "disabled"), True, False),
        (Output(ids.STATUS, "children"), "Running the what-if...", ""),
    ],
)
def _run(
    _clicks: int | None,
    _budget_entered: int | None,
    name: Any,
    description: Any,
    base: Any,
    budget: Any,
    cost: Any,
    *cells: Any,
) -> Any:
    refused = _refused(*page_user(ROLES), "run")
    if refused is not None:
        return dash.no_update, refused
    doc, problems = form_to_doc(name, description, base, budget, rows_from_cells(cells), cost)
    if problems:
        return dash.no_update, _errors(problems)
    try:
        result = run_whatif(db_path(), doc, scenarios_folder())
    except InputRejected as exc:
        return dash.no_update, _errors([problem_text(p) for p in exc.problems])
    except Exception as exc:  # a reason on the page, not a traceback
        return dash.no_update, _errors([f"The what-if failed: {type(exc).__name__}: {exc}"])
    return result, ""


@callback(
    Output(ids.ODDS_JOB, "data"),
    Output(ids.ODDS_STATUS, "children"),
    Input(ids.ODDS_BUTTON, "n_clicks"),
    *STATE,
    prevent_initial_call=True,
)
def _start_odds(
    _clicks: int | None,
    name: Any,
    description: Any,
    base: Any,
    budget: Any,
    cost: Any,
    *cells: Any,
) -> Any:
    """Check the form's scenario now; simulate it in the background (one at a time)."""
    user, allowed = page_user(ROLES)
    if not allowed or not user.can_run_whatif:
        role = user.role if user else "anonymous"
        return dash.no_update, _odds_errors([f"Your role ({role}) cannot run what-ifs."])
    doc, problems = form_to_doc(name, description, base, budget, rows_from_cells(cells), cost)
    if problems:
        return dash.no_update, _odds_errors(problems)
    db, folder = db_path(), scenarios_folder()
    try:
        check_scenario(db, doc, folder)
    except InputRejected as exc:
        return dash.no_update, _odds_errors([problem_text(p) for p in exc.problems])
    samples = whatif_samples()
    job = start_background(
        shared_state(),
        ODDS_JOB_KIND,
        user.name,
        samples,
        lambda progress: whatif_odds(db, doc, folder, samples=samples, progress=progress),
        describe=lambda exc: "; ".join(problem_text(p) for p in exc.problems),
    )
    if job is None:
        return dash.no_update, _odds_errors(
            ["Another simulation is running on this server; try again when it has finished."]
        )
    return job, html.Span("Promise odds: starting...", className="status-running")


@callback(Output(ids.ODDS_POLL, "disabled"), Input(ids.ODDS_JOB, "data"))
@liaison_safe  # reads no data: whether the browser holds a job id
def _watch_odds(job_id: Any) -> bool:
    """Poll while the browser holds a job id (after a click, or a reload during a run)."""
    return not one_text(job_id)


@callback(
    Output(ids.ODDS_STATUS, "children", allow_duplicate=True),
    Output(ids.ODDS_RESULTS, "children"),
    Output(ids.ODDS_POLL, "disabled", allow_duplicate=True),
    Input(ids.ODDS_POLL, "n_intervals"),
    State(ids.ODDS_JOB, "data"),
    prevent_initial_call=True,
)
def _poll_odds(_ticks: int | None, job_id: Any) -> Any:
    """The job's progress while it runs; its result, or why it failed, when it ends. Only
    the user who started it sees it."""
    user, allowed = page_user(ROLES)
    job = shared_state().read_job(job_id) if allowed and one_text(job_id) else None
    if job is None or job.kind != ODDS_JOB_KIND or job.owner != user.name:
        return "", dash.no_update, True
    if not job.finished:
        return render_progress(job), dash.no_update, False
    if job.error is not None:
        return _odds_errors([f"The simulation failed: {job.error}"]), "", True
    with open_reader(user) as reader:
        names = {k: v for (_, k), v in reader.names().items()}
    try:
        return "", render_odds(job.result, names), True
    except (KeyError, TypeError, ValueError, AttributeError):  # not a what-if odds result
        return _odds_errors(["This result cannot be shown: run the simulation again."]), "", True


@callback(Output(ids.RESULTS, "children"), Input(ids.RESULT_STORE, "data"))
@liaison_safe  # reads no data: draws the result the browser holds (none for a liaison)
def _show(result: dict[str, Any] | None) -> Any:
    try:
        return render_result(result)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):  # not a run's result
        return html.P("This result cannot be shown: run the what-if again.", className="note")


@callback(
    Output(ids.SAVE_MESSAGE, "children"),
    Output(ids.OPEN_DROPDOWN, "options"),
    Output(ids.BASE_DROPDOWN, "options"),
    Input(ids.SAVE_BUTTON, "n_clicks"),
    State(ids.REPLACE_CHECK, "value"),
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
    cost: Any,
    *cells: Any,
) -> Any:
    refused = _refused(*page_user(ROLES), "save")
    if refused is not None:
        return refused, dash.no_update, dash.no_update
    folder = scenarios_folder()
    doc, problems = form_to_doc(name, description, base, budget, rows_from_cells(cells), cost)
    if not problems:
        try:
            replace_it = isinstance(replace, list) and "replace" in replace
            path = save_scenario(db_path(), doc, folder, replace=replace_it)
        except InputRejected as exc:
            problems = [problem_text(p) for p in exc.problems]
        except FileExistsError:
            problems = [
                f"Name: a scenario {doc['name']!r} is already saved; tick 'replace' or rename."
            ]
    if problems:
        return _errors(problems), dash.no_update, dash.no_update
    saved = saved_scenarios(folder)
    message = html.P(
        f"Saved {path.name}: the nightly run will include it.", className="form-ok", id=ids.SAVED
    )
    return message, saved, [BASELINE, *saved]


@callback(
    [Output(h, "value") for h in ids.HEAD]
    + [Output(ids.GRID, "children"), Output(ids.OPEN_MESSAGE, "children")],
    Input(ids.OPEN_BUTTON, "n_clicks"),
    State(ids.OPEN_DROPDOWN, "value"),
    prevent_initial_call=True,
)
def _open(_clicks: int | None, name: str | None) -> list[Any]:
    """A saved scenario opened into the form: its fields, and its overrides as rows (the
    panels drawn again, each with as many rows as the scenario has)."""
    user, allowed = page_user(ROLES)
    keep = [dash.no_update] * (len(ids.HEAD) + 1)
    if not allowed or not one_text(name):
        return [*keep, "Choose a saved scenario first."]
    if name not in saved_scenarios(scenarios_folder()):
        return [*keep, "No such saved scenario."]
    try:
        file, doc = open_saved_scenario(scenarios_folder(), name)
    except FileNotFoundError:
        return [*keep, "No such saved scenario."]
    except ValueError as exc:
        return [*keep, str(exc)]
    rows, why = doc_to_form(doc)
    if rows is None:
        head = [f"{name}-whatif", f"Built on {name}", name, "", ""]
        return [
            *head,
            _panels(_form_options(user, []), None),
            f"The form cannot show all of {name} ({why}); it is the base of a new what-if.",
        ]
    # the options arrive with the values: a dropdown drops a value it does not offer
    new_lines = [r["source"] for r in rows.get("new_line", []) if r.get("source")]
    head = [
        doc.get("name", name),
        doc.get("description", ""),
        doc.get("base", BASELINE),
        _usd_text(doc.get("budget_usd")),
        _usd_text(doc.get("cost_usd")),
    ]
    return [*head, _panels(_form_options(user, new_lines), rows), f"Opened {file}."]


@callback(
    Output({"type": ids.ROWS, "index": ALL}, "children"),
    Input({"type": ids.ADD_ROW, "index": ALL}, "n_clicks"),
    Input({"type": ids.REMOVE_ROW, "index": ALL}, "n_clicks"),
    *STATE[len(ids.HEAD) :],
    prevent_initial_call=True,
)
def _edit_rows(_add: Any, _remove: Any, *cells: Any) -> list[Any]:
    """A row added to a panel, or one removed: the panel's rows drawn again with the values
    typed so far (rows numbered afresh, so the form's row k is the scenario's entry k)."""
    outputs = dash.ctx.outputs_list if isinstance(dash.ctx.outputs_list, list) else []
    keep = [dash.no_update] * len(outputs)
    trigger = dash.ctx.triggered_id
    user, allowed = page_user(ROLES)
    if not allowed or not isinstance(trigger, dict):
        return keep
    if not any(t.get("value") for t in dash.ctx.triggered):
        return keep  # buttons drawn anew, not clicked
    index = str(trigger.get("index", ""))
    kind, _, row = index.partition("|")
    if kind not in FORM:
        return keep
    values = rows_from_cells(cells)[kind]
    if trigger.get("type") == ids.ADD_ROW:
        if len(values) >= MAX_ROWS:
            return keep
        values.append({})
    elif trigger.get("type") == ids.REMOVE_ROW and row.isdigit() and int(row) < len(values):
        del values[int(row)]
    else:
        return keep
    new_lines = [
        str(r.get("source") or "") for r in rows_from_cells(cells)["new_line"] if r.get("source")
    ]
    drawn = _rows(kind, _form_options(user, new_lines), values)
    return [
        drawn if isinstance(o, dict) and o.get("id", {}).get("index") == kind else dash.no_update
        for o in outputs
    ]


def _form_options(user: Any, new_sources: list[str]) -> dict[str, list[str]]:
    """The form's id options, with the new lines typed in the form offered as sources."""
    with open_reader(user) as reader:
        options = reader.form_options()
    typed = [t.strip() for t in new_sources if isinstance(t, str) and NEW_ID.match(t.strip())]
    for role in ("source", "production_source"):
        offered = options.setdefault(role, [])
        offered += [t for t in typed if t not in offered]
    return options


def _usd_text(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@callback(
    [
        Output(ids.cell(kind, f.key, ALL), "options", allow_duplicate=True)
        for kind, f in SOURCE_CELLS
    ],
    Input(ids.cell("new_line", "source", ALL), "value"),
    prevent_initial_call=True,
)
def _offer_new_lines(new_sources: Any) -> list[Any]:
    """Offer the new lines' ids wherever a source is chosen (a capacity change or a route
    for a line the same what-if adds)."""
    outputs = dash.ctx.outputs_list if isinstance(dash.ctx.outputs_list, list) else []
    user, allowed = page_user(ROLES)
    if not allowed:
        return [dash.no_update] * len(SOURCE_CELLS)
    options = _form_options(user, texts(new_sources))
    out = []
    for (_, f), shown in zip(SOURCE_CELLS, outputs, strict=False):
        offered = (["*"] if f.wildcard else []) + options.get(f.ids or "", [])
        out.append([offered] * (len(shown) if isinstance(shown, list) else 0))
    return out
