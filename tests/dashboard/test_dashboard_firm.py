"""Firming from the Backlog page: a planner firms a promise's planned shipments, pins its
completion and releases them again, each written with who and when and audited; a viewer gets
no controls."""

from __future__ import annotations

import json

import polars as pl
import pytest
from dashboard_helpers import click_grid_row, grid_row_ids

from pipeline.reference import plan_shipments
from store.db import connect
from store.runs import latest_run
from store.state import open_state


def _promise_with_shipments(db) -> tuple[str, pl.DataFrame]:  # noqa: ANN001
    con = connect(db, read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        ships = plan_shipments(con, run_id).filter(pl.col("commitment_id").is_not_null())
    finally:
        con.close()
    counts = ships.group_by("commitment_id").len().sort(["len", "commitment_id"])
    cid = counts.filter(pl.col("len") >= 2).get_column("commitment_id")[0]
    return cid, ships.filter(pl.col("commitment_id") == cid)


def _open(session, cid: str) -> None:  # noqa: ANN001
    session.goto("/backlog", "#backlog-timeline-graph .main-svg")
    click_grid_row(session.page, "backlog-commitments-table", cid)
    session.page.wait_for_selector("#backlog-pegging")
    session.idle()


def test_a_planner_firms_pins_and_releases_a_promise_from_the_backlog(login, dash_env):
    cid, ships = _promise_with_shipments(dash_env["db"])
    session = login("plan")
    _open(session, cid)
    button = json.dumps({"index": cid, "type": "backlog-firm-shipments"}, separators=(",", ":"))
    session.page.click(f"[id='{button}']")
    session.page.wait_for_selector("#backlog-firmed-list li")
    session.idle()
    assert f"Firmed {ships.height} shipment(s)." in session.page.inner_text("#backlog-firm")
    state = open_state(dash_env["db"])
    try:
        mine = [r for r in state.read_firmed() if r.commitment_id == cid]
        # exactly the plan's rows of that promise, by planner 'plan'
        got = sorted((r.source_id, r.month, round(r.units, 6)) for r in mine)
        want = sorted(
            (s, m.strftime("%Y-%m"), round(u, 6))
            for s, m, u in ships.select("source_id", "month", "units").iter_rows()
        )
        assert got == want
        assert {(r.kind, r.who, r.partner_id, r.item_id) for r in mine} == {
            ("shipment", "plan", ships["partner_id"][0], ships["item_id"][0])
        }
        assert session.page.locator("#backlog-firmed-list li").count() == len(mine)
        # a second click firms nothing twice
        session.page.click(f"[id='{button}']")
        session.page.wait_for_selector(f"text={ships.height} were firmed already.")
        session.idle()
        assert len([r for r in state.read_firmed() if r.commitment_id == cid]) == len(mine)

        pin_month = ships["arrival_month"].max().strftime("%Y-%m")
        dropdown = json.dumps(
            {"index": cid, "type": "backlog-firm-pin-month"}, separators=(",", ":")
        )
        session.choose(f"[id='{dropdown}']", pin_month)
        pin = json.dumps({"index": cid, "type": "backlog-firm-pin"}, separators=(",", ":"))
        session.page.click(f"[id='{pin}']")
        session.page.wait_for_selector(f"text=Completion pinned to {pin_month}")
        session.idle()
        pins = [
            r for r in state.read_firmed() if r.commitment_id == cid and r.kind == "completion_pin"
        ]
        assert [(p.month, p.who) for p in pins] == [(pin_month, "plan")]
        session.screenshot("backlog-firmed")

        # release every row with its button; each release is audited
        for r in [r for r in state.read_firmed() if r.commitment_id == cid]:
            release = json.dumps(
                {"index": f"{cid}|{r.id}", "type": "backlog-firm-release"}, separators=(",", ":")
            )
            session.page.click(f"[id='{release}']")
            session.page.wait_for_selector(f"text=Released firmed row {r.id}.")
            session.idle()
            trail = [e.action for e in state.read_audit_trail("firmed", str(r.id))]
            assert trail[-1] == "firmed.release"
            assert trail[0] in ("firmed.shipment", "firmed.completion_pin")
        assert [r for r in state.read_firmed() if r.commitment_id == cid] == []
        assert "Nothing firmed" in session.page.inner_text("#backlog-firm")
    finally:
        for r in state.read_firmed():
            if r.commitment_id == cid:
                state.release_firmed(r.id, "test-cleanup")
        state.close()
    assert session.errors == []


@pytest.mark.parametrize("user", ["view", "pol"])
def test_only_planners_get_the_firming_controls(login, dash_env, user):
    cid, _ = _promise_with_shipments(dash_env["db"])
    session = login(user)
    session.goto("/backlog", "#backlog-timeline-graph .main-svg")
    if grid_row_ids(session.page, "backlog-commitments-table"):
        click_grid_row(session.page, "backlog-commitments-table")
        session.idle()
    assert session.page.locator("#backlog-firm").count() == 0
    assert session.page.locator("[id*='backlog-firm-shipments']").count() == 0
    assert session.errors == []
