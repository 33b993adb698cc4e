"""The exception worklist: exactly the exceptions the database holds (recomputed here in SQL,
independently of ``pipeline/exceptions.py``), ranked by USD at stake; a planner's status change
survives a restart and is in the audit trail; a viewer cannot change anything; a liaison sees
its own partner's rows only."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_helpers import (
    ROOT,
    TIMEOUT_MS,
    grid_row_ids,
    grid_rows,
    grids_text,
    open_session,
    served,
)

from arsenal.cli import main as arsenal_main
from dashboards.ui import fmt_usd
from pipeline.diff import plan_state
from pipeline.exceptions import (
    StoredPlan,
    exceptions_of,
    read_exceptions,
    read_stored_plan,
    worklist_status,
)
from store.db import connect
from store.runs import latest_run
from store.state import ExceptionState, open_state
from store.state.records import ExceptionStatus

GRID = "worklist-exceptions-table"
TABLE = f"#{GRID}"
SAMPLE = ROOT / "data" / "sample"
TIERS = {"frontline": 4.0, "most_capable": 2.0, "other": 1.0}  # an independent copy

# -- the exceptions, recomputed straight from the tables ---------------------------------------

LATE = """
WITH run AS (SELECT $run_id AS run_id, $start::DATE AS start),
due AS (
    SELECT p.commitment_id, p.partner_id, p.item_id, p.backlog_units,
           greatest(c.promised_month, (SELECT start FROM run)) AS due
    FROM plan_commitments p JOIN commitments c USING (commitment_id)
    WHERE p.run_id = $run_id AND p.late_unit_months > 1e-6
),
arrived AS (
    SELECT s.commitment_id, sum(s.units) AS units
    FROM plan_shipments s JOIN due d USING (commitment_id)
    WHERE s.run_id = $run_id AND s.arrival_month <= d.due
    GROUP BY ALL
)
SELECT d.commitment_id, d.partner_id, d.item_id,
       d.backlog_units - least(coalesce(a.units, 0), d.backlog_units) AS late_units,
       i.unit_cost_usd
FROM due d LEFT JOIN arrived a USING (commitment_id) JOIN items i USING (item_id)
"""

COUNT_BEFORE_START = """
SELECT holder_id, item_id, arg_max(units, as_of) AS units, arg_max(floor_units, as_of) AS floor,
       arg_max(target_units, as_of) AS target
FROM stockpiles WHERE as_of < $start GROUP BY ALL
"""


def _expected(db: Path) -> dict[str, float]:
    """exception key -> USD at stake, from the stored plan (no plan change: one run only)."""
    con = connect(db, read_only=True)
    try:
        run = latest_run(con, "allocate")
        start = run["start_month"]
        params = {"run_id": run["run_id"], "start": start}
        late = con.execute(LATE, params).fetchall()
        counts = {
            (h, i): (u, f, t)
            for h, i, u, f, t in con.execute(COUNT_BEFORE_START, {"start": start}).fetchall()
        }
        cost = dict(con.execute("SELECT item_id, unit_cost_usd FROM items").fetchall())
        tier = dict(con.execute("SELECT partner_id, tier FROM partners").fetchall())
        us = {
            r[0]
            for r in con.execute("SELECT source_id FROM sources WHERE kind = 'us_stock'").fetchall()
        }
        outlook = con.execute(
            "SELECT holder_id, item_id, floor_units, breach_probability_12 FROM stock_outlook "
            "WHERE run_id = $run_id",
            {"run_id": run["run_id"]},
        ).fetchall()
        short = dict(
            ((h, i), s)
            for h, i, s in con.execute(
                "SELECT holder_id, item_id, max(below_floor_units) FROM plan_readiness "
                "WHERE run_id = $run_id AND month < $start + INTERVAL 12 MONTH GROUP BY ALL",
                params,
            ).fetchall()
        )
        binding = con.execute(
            "SELECT source_id, item_id FROM capacity_value WHERE run_id = $run_id "
            "GROUP BY ALL HAVING sum(value) > 1e-6",
            {"run_id": run["run_id"]},
        ).fetchall()
        bom = con.execute("SELECT item_id, component_id FROM bom").fetchall()
        components = {
            r[0]
            for r in con.execute(
                "SELECT item_id FROM items WHERE category = 'component'"
            ).fetchall()
        }
    finally:
        con.close()
    out: dict[str, float] = {}
    late_value: dict[str, float] = {}
    for cid, _partner, item, units, unit_cost in late:
        out[f"late_promise|{cid}"] = units * unit_cost
        late_value[item] = late_value.get(item, 0.0) + units * unit_cost
    for holder, item, floor, p12 in outlook:
        if holder not in tier:
            continue
        now = counts.get((holder, item), (None,))[0]
        below_now = now is not None and now < floor
        if below_now or p12 >= 0.5:
            units = max(short.get((holder, item)) or 0.0, floor - now if below_now else 0.0)
            out[f"partner_below_floor|{holder}|{item}"] = units * cost[item] * TIERS[tier[holder]]
    for (holder, item), (units, _floor, target) in counts.items():
        if holder in us and target is not None and units < target:
            out[f"us_below_target|{holder}|{item}"] = (target - units) * cost[item]
    for source, item in binding:
        made = {i for i, c in bom if c == item} if item in components else {item}
        out[f"binding_line|{source}|{item}"] = sum(late_value.get(i, 0.0) for i in made)
    return out


def _rows(session) -> list[dict[str, Any]]:
    """The worklist as rendered: each row's exception key (its row id) and its cells."""
    keys = grid_row_ids(session.page, GRID)
    cells = grid_rows(session.page, GRID)
    return [{"key": k, "cells": c} for k, c in zip(keys, cells, strict=True)]


def _source_ids(db: Path) -> set[str]:
    con = connect(db, read_only=True)
    try:
        return {
            r[0] for r in con.execute("SELECT source_id FROM sources WHERE name <> ''").fetchall()
        }
    finally:
        con.close()


@pytest.mark.browser
def test_the_worklist_lists_exactly_the_exceptions_the_database_holds(login, dash_env):
    expected = _expected(dash_env["db"])
    assert any(k.startswith("late_promise|") for k in expected)
    assert any(k.startswith("partner_below_floor|") for k in expected)
    assert any(k.startswith("us_below_target|") for k in expected)
    assert any(k.startswith("binding_line|") for k in expected)
    session = login("plan")
    session.goto("/worklist", TABLE)
    rows = _rows(session)
    assert {r["key"] for r in rows} == set(expected)
    assert len(rows) == len(expected)
    for r in rows:
        assert r["cells"]["USD at stake"] == fmt_usd(expected[r["key"]]), r["key"]
    ranked = [expected[r["key"]] for r in rows]
    assert ranked == sorted(ranked, reverse=True)
    # the column sorts by the amount, not by its text ("$9.0M" is less than "$1.20B")
    header = f"{TABLE} .ag-header-cell[col-id='usd_at_stake'] .ag-header-cell-label"
    session.page.click(header)
    session.idle()
    ascending = [expected[r["key"]] for r in _rows(session)]
    assert ascending == sorted(ascending)
    assert len({fmt_usd(v)[-1] for v in ascending}) > 1  # amounts of more than one scale
    session.page.click(header)
    session.page.click(header)  # back to the ranking
    session.idle()
    # Display names, never a raw source id.
    text = session.page.inner_text("#worklist-page") + grids_text(session.page)
    assert not [s for s in _source_ids(dash_env["db"]) if s in text]
    session.screenshot("worklist-plan")
    # The Overview's top: the five largest open exceptions, and a link to the whole list.
    session.goto("/", "#overview-exceptions-table")
    top = session.page.locator("#overview-exceptions-table tbody tr").all_inner_texts()
    assert len(top) == 5
    for shown, row in zip(top, rows[:5], strict=True):
        assert shown.split("\t")[0] == row["cells"]["what"]
    session.page.click("#overview-worklist-link")
    session.page.wait_for_selector(TABLE)
    assert session.errors == []


@pytest.mark.browser
def test_a_viewer_reads_the_worklist_and_a_liaison_sees_only_its_partners_rows(login, dash_env):
    expected = _expected(dash_env["db"])
    viewer = login("view")
    viewer.goto("/worklist", TABLE)
    assert {r["key"] for r in _rows(viewer)} == set(expected)
    assert not viewer.page.is_visible("#worklist-acknowledge-button")
    assert viewer.page.is_disabled("#worklist-acknowledge-button")
    viewer.page.click(f"{TABLE} .ag-body [role=row][row-index='0'] [role=gridcell] >> nth=0")
    viewer.page.wait_for_selector("#worklist-detail-title")
    viewer.screenshot("worklist-view")

    con = connect(dash_env["db"], read_only=True)
    try:
        others = con.execute(
            "SELECT partner_id, name FROM partners WHERE partner_id <> 'POL'"
        ).fetchall()
        pol_late = {
            cid
            for (cid,) in con.execute(
                "SELECT commitment_id FROM commitments WHERE partner_id = 'POL' "
                "AND (releasable_to IS NULL OR trim(releasable_to) = '' "
                "OR releasable_to LIKE '%POL%' OR releasable_to LIKE '%ALL%')"
            ).fetchall()
        }
    finally:
        con.close()
    liaison = login("pol")
    liaison.goto("/worklist", TABLE)
    keys = {r["key"] for r in _rows(liaison)}
    mine = {k for k in expected if k.startswith("late_promise|") and k.split("|")[1] in pol_late}
    assert mine
    assert keys == mine | {k for k in expected if k.split("|")[1:2] == ["POL"]}
    text = liaison.page.content() + grids_text(liaison.page)
    for partner, name in others:
        assert name not in text, partner
    assert not [s for s in _source_ids(dash_env["db"]) if s in text]
    assert not liaison.page.is_visible("#worklist-actions")
    liaison.page.click(f"{TABLE} .ag-body [role=row][row-index='0'] [role=gridcell] >> nth=0")
    liaison.page.wait_for_selector("#worklist-detail-title")
    assert not liaison.page.is_visible("#worklist-comments")
    liaison.screenshot("worklist-pol")
    assert viewer.errors == []
    assert liaison.errors == []


# -- acting on an exception, on a copy of the database (its own shared state) -------------------


@pytest.fixture
def own_copy(dash_env, tmp_path: Path) -> dict[str, Path]:
    db = tmp_path / "arsenal.duckdb"
    shutil.copy(dash_env["db"], db)
    users = tmp_path / "users.toml"
    shutil.copy(dash_env["users"], users)
    (tmp_path / "scenarios").mkdir()
    return {"db": db, "users": users, "scenarios": tmp_path / "scenarios"}


def _serve(env: dict[str, Path]):
    from dashboards.app import create_app

    return served(create_app(env["db"], env["users"], env["scenarios"], secret_key="worklist"))


@pytest.mark.browser
def test_a_status_change_survives_a_restart_and_is_in_the_audit_trail(browser, own_copy):
    db = own_copy["db"]
    con = connect(db, read_only=True)
    try:
        run = latest_run(con, "allocate")
        month = run["start_month"]
        planned = con.execute(
            "SELECT coalesce(sum(units), 0) FROM plan_shipments WHERE run_id = $run_id "
            "AND commitment_id = 'POL-FMS-GMLRS-2' AND source_id = 'LM_GMLRS_FMS' AND month = $m",
            {"run_id": run["run_id"], "m": month},
        ).fetchone()[0]
        gmlrs = con.execute("SELECT unit_cost_usd FROM items WHERE item_id = 'GMLRS'").fetchone()[0]
    finally:
        con.close()
    # A firmed shipment the plan does not keep: 40 units more than it ships.
    state = open_state(db)
    firm_id = state.firm(
        "shipment",
        source_id="LM_GMLRS_FMS",
        partner_id="POL",
        item_id="GMLRS",
        month=f"{month:%Y-%m}",
        units=planned + 40,
        who="plan",
        commitment_id="POL-FMS-GMLRS-2",
    )
    state.close()
    firm_key = f"firm_not_honoured|{firm_id}"

    with _serve(own_copy) as url:
        planner = open_session(browser, url, "plan")
        planner.goto("/worklist", TABLE)
        rows = {r["key"]: r["cells"] for r in _rows(planner)}
        assert rows[firm_key]["USD at stake"] == fmt_usd(40 * gmlrs)
        key = _rows(planner)[0]["key"]
        planner.page.click(f"{TABLE} .ag-body [role=row][row-index='0'] [role=gridcell] >> nth=0")
        planner.page.wait_for_selector("#worklist-detail-title")
        with planner.page.expect_request(
            lambda r: (
                "_dash-update-component" in r.url and "worklist-version" in (r.post_data or "")
            )
        ) as acknowledged:
            planner.page.click("#worklist-acknowledge-button")
        planner.page.wait_for_selector("#worklist-message-text")
        planner.idle()
        planner.page.fill("#worklist-comment-text", "Asked the line for two extra shifts.")
        planner.page.click("#worklist-comment-button")
        planner.page.wait_for_function(
            "() => document.querySelector('#worklist-comments')?.innerText.includes('two extra')",
            timeout=TIMEOUT_MS,
        )
        assert "acknowledged" in planner.page.inner_text("#worklist-detail-status")
        body = acknowledged.value.post_data
        planner.context.close()

    with _serve(own_copy) as url:  # a new server: nothing kept in memory
        planner = open_session(browser, url, "plan")
        planner.goto("/worklist", TABLE)
        after = {r["key"]: r["cells"] for r in _rows(planner)}
        assert after[key]["status"] == "acknowledged"
        assert after[key]["comments"] == "1"
        planner.page.click(f"{TABLE} .ag-body [role=row][row-index='0'] [role=gridcell] >> nth=0")
        planner.page.wait_for_selector("#worklist-history")
        assert "open -> acknowledged" in planner.page.inner_text("#worklist-history")
        planner.screenshot("worklist-plan-acknowledged")
        assert planner.errors == []

        # A viewer's request to change the worklist is refused by the server.
        viewer = open_session(browser, url, "view")
        refused = viewer.context.request.post(
            url + "/_dash-update-component",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert refused.ok
        assert "Your role (viewer) cannot change the worklist." in refused.text()
        liaison = open_session(browser, url, "pol")
        as_liaison = liaison.context.request.post(
            url + "/_dash-update-component",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert as_liaison.status == 403

    state = open_state(db)
    try:
        trail = state.read_audit_trail("exception", key)
        assert [(a.who, a.action) for a in trail] == [
            ("plan", "exception.status"),
            ("plan", "exception.comment"),
        ]
        assert trail[0].details == {"status": "acknowledged", "previous": None}
        assert state.read_exception_state(key).status == "acknowledged"
    finally:
        state.close()


# -- the rules, on the stored plan ------------------------------------------------------------


@pytest.fixture(scope="module")
def stored_plan(dash_env) -> StoredPlan:
    con = connect(dash_env["db"], read_only=True)
    try:
        run, project = latest_run(con, "allocate"), latest_run(con, "project")
        return read_stored_plan(con, run, project["run_id"])
    finally:
        con.close()


def test_a_plan_change_since_the_last_plan_carries_the_usd_of_its_promise(stored_plan):
    tonight = exceptions_of(stored_plan)
    late = tonight.filter(tonight["kind"] == "late_promise").row(0, named=True)
    cid = late["commitment_id"]
    # Last night the same plan, except that this promise was on time.
    before = plan_state(stored_plan.commitments, stored_plan.outlook, stored_plan.start)
    before["baseline"]["commitments"][cid]["late_unit_months"] = 0.0
    changed = exceptions_of(replace(stored_plan, previous=before, previous_start=stored_plan.start))
    change = changed.filter(changed["kind"] == "plan_change").to_dicts()
    assert [c["exception_key"] for c in change] == [f"plan_change|promise_became_late|{cid}"]
    assert change[0]["usd_at_stake"] == pytest.approx(late["usd_at_stake"])
    assert change[0]["partner_id"] == late["partner_id"]
    assert change[0]["explained_by"] == "re-plan"
    assert set(changed["exception_key"]) - set(tonight["exception_key"]) == {
        change[0]["exception_key"]
    }


def test_a_resolved_exception_still_wrong_in_a_later_plan_reopens(stored_plan):
    frame = exceptions_of(stored_plan)
    keys = frame["exception_key"].to_list()
    planned = datetime(2026, 11, 30, tzinfo=UTC)

    def state(key: str, status: ExceptionStatus, at: datetime) -> ExceptionState:
        return ExceptionState(key, status, "plan", "plan", at)

    shown = worklist_status(
        frame,
        [
            state(keys[0], "resolved", planned - timedelta(days=1)),  # before the plan
            state(keys[1], "resolved", planned + timedelta(hours=1)),  # after it
            state(keys[2], "acknowledged", planned - timedelta(days=9)),
        ],
        planned.replace(tzinfo=None),  # runs record naive UTC times
    )
    status = dict(zip(shown["exception_key"], shown["status"], strict=True))
    reopened = dict(zip(shown["exception_key"], shown["reopened"], strict=True))
    assert [status[k] for k in keys[:3]] == ["open", "resolved", "acknowledged"]
    assert [reopened[k] for k in keys[:3]] == [True, False, False]
    assert {status[k] for k in keys[3:]} == {"open"}


def test_the_next_plan_lists_what_changed_and_the_input_change_that_explains_it(own_copy):
    """A new promise loaded and planned: the worklist says so, with the load's diff as its
    cause and the USD of the late promise it is."""
    data = own_copy["db"].parent / "data"
    shutil.copytree(SAMPLE, data)
    with (data / "commitments.csv").open("a", encoding="utf-8") as fh:
        fh.write("POL-NEW-1,POL,GMLRS,5000,2027-01,1,2026-10-01,\n")
    for argv in (["load", str(data)], ["run"]):
        assert arsenal_main([*argv, "--db", str(own_copy["db"])]) == 0, argv
    con = connect(own_copy["db"], read_only=True)
    try:
        frame = read_exceptions(
            con, latest_run(con, "allocate"), latest_run(con, "project")["run_id"]
        )
    finally:
        con.close()
    rows = {r["exception_key"]: r for r in frame.iter_rows(named=True)}
    added = rows["plan_change|promise_added|POL-NEW-1"]
    assert added["partner_id"] == "POL"
    assert added["explained_by"].startswith("promise POL-NEW-1: new")
    assert added["usd_at_stake"] == pytest.approx(rows["late_promise|POL-NEW-1"]["usd_at_stake"])
    assert added["usd_at_stake"] > 0
