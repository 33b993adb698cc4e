"""The What-if page in a real browser: runs on a copy, agrees with ``arsenal compare``, saves
scenario files that open again, refuses viewers, and says what is wrong with a bad form."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dashboard_helpers import PASSWORD, ROOT, HttpSession, cell, run_result, whatif_body

from dashboards.scenario_form import FORM
from pipeline.scenarios import read_scenario
from store.db import connect

pytestmark = pytest.mark.browser


def _number(text: str) -> float:
    text = text.strip().replace(",", "").replace("$", "")
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * float(text.lstrip("+-") or 0)


def _deltas(session) -> dict[str, list[str]]:
    rows = session.page.eval_on_selector_all(
        "#whatif-deltas-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    return {r[0]: r[1:] for r in rows}


def _most_valuable_line(db: Path) -> tuple[str, str, str]:
    """The (source, item) whose extra capacity the baseline plan values most, and its start."""
    con = connect(db, read_only=True)
    try:
        return con.execute(
            """
            SELECT v.source_id, v.item_id, strftime(r.start_month, '%Y-%m')
            FROM capacity_value v JOIN runs r USING (run_id)
            WHERE r.scenario = 'baseline' AND r.status = 'ok'
            GROUP BY ALL ORDER BY sum(v.value) DESC LIMIT 1
            """
        ).fetchone()
    finally:
        con.close()


def _arsenal(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "arsenal.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fill_capacity(session, source: str, item: str, factor: str, start: str, row: int = 0) -> None:
    session.choose(cell("capacity", "source", row), source)
    session.choose(cell("capacity", "item", row), item)
    session.page.fill(cell("capacity", "multiply", row), factor)
    session.page.fill(cell("capacity", "from", row), start)


def test_doubling_a_constrained_source_cuts_lateness_as_arsenal_compare_says(login, dash_env):
    source, item, start = _most_valuable_line(dash_env["db"])
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    session.page.fill("#whatif-name", "double-top-line")
    _fill_capacity(session, source, item, "2", start)
    session.page.click("#whatif-run-button")
    session.page.wait_for_selector("#whatif-deltas-table")
    session.page.wait_for_selector("#whatif-lateness-graph .main-svg")
    session.screenshot("whatif-result")
    shown = _deltas(session)
    base_w, scen_w, diff_w = (_number(v) for v in shown["Weighted late unit-months"])
    assert scen_w < base_w  # visibly less lateness than the baseline
    assert diff_w == scen_w - base_w

    session.page.click("#whatif-save-button")
    session.page.wait_for_selector("#whatif-saved")
    folder, db = dash_env["scenarios"], dash_env["db"]
    _arsenal("run", "--db", str(db), "--scenario", "double-top-line", "--scenarios", str(folder))
    compared = json.loads(
        _arsenal("compare", "baseline", "double-top-line", "--db", str(db), "--json")
    )
    w = compared["weighted_late_unit_months"]
    assert (base_w, scen_w, diff_w) == (round(w["a"]), round(w["b"]), round(w["difference"]))
    late = compared["late_unit_months"]
    assert [_number(v) for v in shown["Late unit-months"]] == [
        round(late["a"]),
        round(late["b"]),
        round(late["difference"]),
    ]
    counts = [_number(v) for v in shown["Late promises"][:2]]
    assert counts == [compared["a"]["late_commitments"], compared["b"]["late_commitments"]]
    on_time = session.page.inner_text("#whatif-became-on-time").split(": ", 1)[1]
    assert on_time == (", ".join(compared["promises"]["became_on_time"]) or "none")
    moved = {
        r["commitment_id"]: r["completion_month_b"] or "not within the horizon"
        for r in compared["commitments"]
        if r["completion_month_a"] != r["completion_month_b"]
    }
    rows = session.page.eval_on_selector_all(
        "#whatif-completion-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    assert {r[0]: r[4] for r in rows} == moved
    assert session.errors == []


def test_a_running_whatif_shows_that_it_is_running(login):
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    session.page.fill("#whatif-name", "slow-network")
    _fill_capacity(session, "BOEING_HARPOON", "HARPOON", "1.5", "2026-11")
    held = []

    def hold_run(route):
        if "whatif-run-button" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    session.page.route("**/_dash-update-component*", hold_run)
    session.page.click("#whatif-run-button")
    session.page.wait_for_selector("text=Running the what-if...")
    assert session.page.is_disabled("#whatif-run-button")
    # Dash shows the running state before it sends the request, so the held
    # request may reach the route handler a moment after the text appears.
    for _ in range(100):
        if held:
            break
        session.page.wait_for_timeout(50)
    assert len(held) == 1
    assert session.page.inner_text("#whatif-status") == "Running the what-if..."
    held[0].continue_()
    session.page.wait_for_selector("#whatif-deltas-table")
    session.page.wait_for_function("() => !document.querySelector('#whatif-run-button').disabled")
    assert session.page.inner_text("#whatif-status") == ""


def test_save_then_open_round_trips(login, dash_env):
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    page = session.page
    page.fill("#whatif-name", "round-trip")
    page.fill("#whatif-description", "Every kind of row the form has")
    page.fill("#whatif-budget", "750000000")
    _fill_capacity(session, "BOEING_HARPOON", "HARPOON", "1.5", "2026-11")
    _fill_capacity(session, "LM_GMLRS", "GMLRS", "0.5", "2027-01", row=1)
    page.fill(cell("capacity", "until", 1), "2027-06")
    session.choose(cell("outage", "source"), "BOEING_HARPOON")
    page.fill(cell("outage", "from"), "2027-03")
    page.fill(cell("outage", "until"), "2027-04")
    session.choose(cell("demand", "holder"), "UKR")
    session.choose(cell("demand", "item"), "155MM")
    page.fill(cell("demand", "multiply"), "1.3")
    page.fill(cell("demand", "from"), "2027-01")
    session.choose(cell("commitment", "action"), "change")
    page.fill(cell("commitment", "id"), "POL-FMS-GMLRS-2")
    page.fill(cell("commitment", "quantity"), "400")
    session.choose(cell("commitment", "priority"), "1")
    session.choose(cell("route", "source"), "*")
    session.choose(cell("route", "partner"), "TWN")
    session.choose(cell("route", "allowed"), "open")
    page.fill(cell("route", "lead-time-months"), "2")
    page.keyboard.press("Tab")
    page.click("#whatif-save-button")
    page.wait_for_selector("#whatif-saved")

    saved = read_scenario(dash_env["scenarios"] / "round-trip.toml")
    assert saved.budget_usd == 750_000_000
    by_kind = {(o.kind, o.index): dict(o.values) for o in saved.overrides}
    assert by_kind[("capacity", 2)]["multiply"] == 0.5
    assert str(by_kind[("capacity", 2)]["until"]) == "2027-06-01"
    assert by_kind[("commitment", 1)] == {
        "action": "change",
        "id": "POL-FMS-GMLRS-2",
        "quantity": 400.0,
        "priority": 1,
    }
    assert by_kind[("route", 1)] == {
        "source": "*",
        "partner": "TWN",
        "allowed": True,
        "lead_time_months": 2,
    }

    before = _form_values(page)
    fresh = _reopened(login, "round-trip")
    after = _form_values(fresh.page)
    keys = [k for k in before if k.startswith("{") or k in ("whatif-name", "whatif-budget")]
    assert {k: after[k] for k in keys} == {k: before[k] for k in keys}
    assert after["whatif-description"] == "Every kind of row the form has"


def _form_values(page) -> dict[str, str]:
    """Every form cell's value (inputs) or shown text (dropdowns), by id."""
    return page.evaluate(
        """() => Object.fromEntries(
            Array.from(document.querySelectorAll('#whatif-page [id]'))
              .filter(e => e.id.startsWith('{') || e.id.startsWith('whatif-'))
              .map(e => [e.id, e.tagName === 'INPUT' ? e.value : e.innerText]))"""
    )


def _reopened(login, name: str):
    """A fresh planner session with the saved scenario ``name`` opened in the form."""
    fresh = login("plan")
    fresh.goto("/what-if", "#whatif-open-dropdown")
    fresh.choose("whatif-open-dropdown", name)
    fresh.page.click("#whatif-open-button")
    fresh.page.wait_for_selector(f"text=Opened {name}.toml.")
    fresh.idle()
    return fresh


def _captured_run(session) -> tuple[str, str]:
    """Fill and run a what-if in the browser; the callback request it sent (url, JSON body)."""
    sent = []
    session.page.on(
        "request",
        lambda r: (
            sent.append((r.url, r.post_data))
            if "whatif-run-button" in (r.post_data or "")
            else None
        ),
    )
    session.page.click("#whatif-run-button")
    session.page.wait_for_selector("#whatif-deltas-table")
    assert len(sent) == 1
    return sent[0]


def test_a_viewer_cannot_run_or_save_a_whatif(login, dash_env):
    viewer = login("view")
    viewer.goto("/what-if", "#whatif-run-button")
    assert viewer.page.is_disabled("#whatif-run-button")
    assert viewer.page.is_disabled("#whatif-save-button")
    assert viewer.page.is_disabled("#whatif-odds-button")
    viewer.screenshot("whatif-view")
    # The server refuses too: replay a planner's run request with the viewer's login.
    planner = login("plan")
    planner.goto("/what-if", "#whatif-run-button")
    planner.page.fill("#whatif-name", "viewer-try")
    _fill_capacity(planner, "BOEING_HARPOON", "HARPOON", "2", "2026-11")
    url, body = _captured_run(planner)
    as_planner = planner.context.request.post(
        url, data=body, headers={"Content-Type": "application/json"}
    )
    assert "whatif-result-store" in as_planner.text()
    as_viewer = viewer.context.request.post(
        url, data=body, headers={"Content-Type": "application/json"}
    )
    assert as_viewer.ok
    reply = as_viewer.json()["response"]
    assert "whatif-result-store" not in reply
    assert "Your role (viewer) cannot run what-ifs." in json.dumps(reply["whatif-form-errors"])
    planner.page.fill("#whatif-name", "saved-by-planner")
    sent = []
    planner.page.on(
        "request",
        lambda r: (
            sent.append((r.url, r.post_data))
            if "whatif-save-button" in (r.post_data or "")
            else None
        ),
    )
    planner.page.click("#whatif-save-button")
    planner.page.wait_for_selector("#whatif-saved")
    save_url, save_body = sent[0]
    as_viewer = viewer.context.request.post(
        save_url,
        data=save_body.replace("saved-by-planner", "viewer-try"),
        headers={"Content-Type": "application/json"},
    )
    assert "Your role (viewer) cannot save what-ifs." in as_viewer.text()
    anonymous = login(None)
    refused = anonymous.context.request.post(
        url, data=body, headers={"Content-Type": "application/json"}
    )
    assert refused.status == 401
    assert not (dash_env["scenarios"] / "viewer-try.toml").exists()


def test_bad_values_get_inline_messages(login):
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    page = session.page
    page.fill("#whatif-name", "bad one")
    _fill_capacity(session, "BOEING_HARPOON", "HARPOON", "twice", "2026-11")
    page.fill("#whatif-budget", "lots")
    page.keyboard.press("Tab")
    page.click("#whatif-run-button")
    page.wait_for_selector("#whatif-form-errors-list")
    text = page.inner_text("#whatif-form-errors")
    assert "Name: 'bad one' must be letters" in text
    assert "Capacity changes (one of x, + or =), row 1: x capacity 'twice' is not a number." in text
    assert "Budget: 'lots' is not a number of USD." in text
    # Values the form accepts but the scenario reader refuses: named by row and field.
    page.fill("#whatif-name", "bad-month")
    page.fill("#whatif-budget", "")
    page.fill(cell("capacity", "multiply"), "2")
    page.fill(cell("capacity", "from"), "2026-13")
    page.fill(cell("commitment", "id"), "NO-SUCH-PROMISE")
    session.choose(cell("commitment", "action"), "change")
    page.fill(cell("commitment", "quantity"), "10")
    page.keyboard.press("Tab")
    page.click("#whatif-run-button")
    page.wait_for_selector("text=Capacity changes (one of x, + or =), row 1, from")
    text = page.inner_text("#whatif-form-errors")
    assert "'2026-13'" in text
    assert "Traceback" not in page.content()
    page.fill(cell("capacity", "from"), "2026-11")
    page.keyboard.press("Tab")
    page.click("#whatif-run-button")
    page.wait_for_selector("text=NO-SUCH-PROMISE")
    assert "Add or change a commitment, row 1" in page.inner_text("#whatif-form-errors")
    assert page.query_selector("#whatif-deltas-table") is None
    assert session.errors == []


def test_enter_in_the_budget_box_runs_the_whatif(login):
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    page = session.page
    page.fill("#whatif-name", "budget-on-enter")
    posted: list[str] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data or "") if "_dash-update-component" in r.url else None,
    )
    page.fill("#whatif-budget", "500000000")
    page.press("#whatif-budget", "Enter")
    page.wait_for_selector("#whatif-deltas-table", timeout=90_000)
    run = [p for p in posted if "whatif-run-button" in p and "whatif-budget.n_submit" in p]
    assert run
    assert "500000000" in run[0]
    assert session.errors == []


def test_planners_running_whatifs_at_once_never_see_each_others_results(login, dash_url):
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    session.page.fill("#whatif-name", "template")
    _fill_capacity(session, "BOEING_HARPOON", "HARPOON", "2", "2026-11")
    url, body = _captured_run(session)
    factors = [1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
    bodies = {f"planner-{i}": whatif_body(body, f"planner-{i}", f) for i, f in enumerate(factors)}
    alone = HttpSession(dash_url, "plan", PASSWORD)
    expected = {n: run_result(alone.post_json(url, b))["measures"] for n, b in bodies.items()}
    assert len({json.dumps(m) for m in expected.values()}) > 1  # the factors make a difference

    def one(name: str) -> tuple[str, dict]:
        return name, run_result(
            HttpSession(dash_url, "plan", PASSWORD).post_json(url, bodies[name])
        )

    with ThreadPoolExecutor(len(bodies)) as pool:
        results = dict(pool.map(one, list(bodies) * 2))
    for name, result in results.items():
        assert result["name"] == name
        assert result["measures"] == expected[name]


def test_coproduction_in_poland_is_built_in_the_form_saved_reopened_and_run(login, dash_env):
    """The sample's coproduction-poland scenario, typed into the form: a new line, a capacity
    step set on it, two routes (one with a reason) and a cost. Saved, it has the same
    overrides and cost as the hand-written file; reopened, every cell is as typed; run, it
    gives a result."""
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    page = session.page
    page.fill("#whatif-name", "pgz-form")
    page.fill("#whatif-cost", "900000000")
    page.fill(cell("new_line", "source"), "PGZ_155_COPROD")
    page.fill(cell("new_line", "name"), "155mm co-production line, Poland (hypothetical)")
    session.choose(cell("new_line", "kind"), "co_production")
    page.fill(cell("new_line", "country"), "POL")
    session.choose(cell("new_line", "item"), "155MM")
    page.fill(cell("new_line", "from"), "2028-01")
    page.fill(cell("new_line", "units"), "15000")
    page.keyboard.press("Tab")
    session.idle()
    session.choose(cell("capacity", "source"), "PGZ_155_COPROD")
    session.choose(cell("capacity", "item"), "155MM")
    page.fill(cell("capacity", "set"), "25000")
    page.fill(cell("capacity", "from"), "2028-07")
    session.choose(cell("route", "source"), "PGZ_155_COPROD")
    session.choose(cell("route", "allowed"), "open")
    page.fill(cell("route", "lead-time-months"), "1")
    page.fill(cell("route", "reason"), "route: rail within Europe and to Ukraine")
    session.choose(cell("route", "source", 1), "PGZ_155_COPROD")
    session.choose(cell("route", "partner", 1), "TWN")
    session.choose(cell("route", "allowed", 1), "close")
    page.fill(cell("route", "reason", 1), "releasability: licence limited to Europe and Ukraine")
    page.keyboard.press("Tab")
    page.click("#whatif-save-button")
    page.wait_for_selector("#whatif-saved")

    def overrides(path) -> list[tuple[str, dict]]:
        scenario = read_scenario(path)
        return sorted((o.kind, sorted(o.values.items())) for o in scenario.overrides)

    saved = dash_env["scenarios"] / "pgz-form.toml"
    assert overrides(saved) == overrides(ROOT / "scenarios" / "coproduction-poland.toml")
    assert read_scenario(saved).cost_usd == 9e8

    before = _form_values(page)
    fresh = _reopened(login, "pgz-form")
    after = _form_values(fresh.page)
    keys = [k for k in before if k.startswith("{") or k in ("whatif-name", "whatif-cost")]
    assert {k: after[k] for k in keys} == {k: before[k] for k in keys}
    assert (
        "PGZ_155_COPROD"
        in after[json.dumps({"index": 0, "type": "whatif-capacity-source"}, separators=(",", ":"))]
    )
    fresh.page.click("#whatif-run-button")
    fresh.page.wait_for_selector("#whatif-deltas-table, #whatif-form-errors li", timeout=120_000)
    fresh.screenshot("whatif-coproduction-poland")
    assert fresh.page.query_selector("#whatif-form-errors li") is None, fresh.page.inner_text(
        "#whatif-form-errors"
    )
    assert session.errors == []
    assert fresh.errors == []


def _rows_in(page, kind: str) -> int:
    return page.evaluate(_ROWS_JS, kind)


_ROWS_JS = """kind => document.getElementById(
    JSON.stringify({index: kind, type: 'whatif-rows'})).querySelectorAll('.whatif-row').length"""


def _wait_rows(page, kind: str, n: int) -> None:
    page.wait_for_function(f"k => ({_ROWS_JS})(k) === {n}", arg=kind)


def test_rows_are_added_and_removed_freely_and_a_scenario_reopens_with_all_its_rows(
    login, dash_env
):
    """Five capacity changes where the form shows three: rows are added, one typed in the
    wrong row is removed (the rows below move up with their values), the scenario saved with
    exactly the rows left, and reopened with as many rows as it has."""
    session = login("plan")
    session.goto("/what-if", "#whatif-run-button")
    page = session.page
    shown = _rows_in(page, "capacity")
    assert shown == FORM["capacity"][0]
    add = '[id=\'{"index":"capacity","type":"whatif-add-row"}\']'
    for k in range(3):
        page.click(add)
        _wait_rows(page, "capacity", shown + k + 1)
        session.idle()
    assert _rows_in(page, "capacity") == shown + 3
    page.fill("#whatif-name", "many-rows")
    factors = ["1.1", "1.2", "9.9", "1.3", "1.4", "1.5"]
    for row, factor in enumerate(factors):
        _fill_capacity(session, "BOEING_HARPOON", "HARPOON", factor, f"2027-0{row + 1}", row=row)
    # the row with 9.9 was a mistake: remove it
    page.click('[id=\'{"index":"capacity|2","type":"whatif-remove-row"}\']')
    _wait_rows(page, "capacity", 5)
    session.idle()
    typed = [page.input_value(cell("capacity", "multiply", r)) for r in range(5)]
    assert typed == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert page.input_value(cell("capacity", "from", 2)) == "2027-04"
    session.screenshot("whatif-rows-added")
    page.click("#whatif-save-button")
    page.wait_for_selector("#whatif-saved")
    saved = read_scenario(dash_env["scenarios"] / "many-rows.toml")
    got = [(o.values["multiply"], str(o.values["from"])[:7]) for o in saved.overrides]
    assert got == [
        (1.1, "2027-01"),
        (1.2, "2027-02"),
        (1.3, "2027-04"),
        (1.4, "2027-05"),
        (1.5, "2027-06"),
    ]

    fresh = _reopened(login, "many-rows")
    assert _rows_in(fresh.page, "capacity") == 5
    again = [fresh.page.input_value(cell("capacity", "multiply", r)) for r in range(5)]
    assert again == typed
    assert session.errors == []
    assert fresh.errors == []
