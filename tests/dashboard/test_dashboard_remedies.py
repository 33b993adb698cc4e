"""Remedies for a late promise on the Backlog page: each shown effect is what the what-if gives
for the remedy's scenario, and one click opens that scenario in the what-if form, ready to run."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_helpers import click_grid_row

from dashboards.scenario_form import decode_doc, encode_doc
from pipeline.whatif import run_whatif
from store.db import connect
from store.runs import latest_run


def _number(text: str) -> float:
    text = text.strip().replace(",", "")
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * float(text.lstrip("+-") or 0)


def _latest_late_promise(db) -> str:  # noqa: ANN001
    con = connect(db, read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        return con.execute(
            """
            SELECT commitment_id FROM plan_commitments
            WHERE run_id = ? AND late_unit_months > 0 AND planned_units > 0
            ORDER BY late_unit_months DESC, commitment_id LIMIT 1
            """,
            [run_id],
        ).fetchone()[0]
    finally:
        con.close()


def test_each_remedy_shown_gives_that_effect_when_run_as_a_whatif(login, dash_env):
    cid = _latest_late_promise(dash_env["db"])
    session = login("plan")
    session.goto("/backlog", "#backlog-timeline-graph .main-svg")
    click_grid_row(session.page, "backlog-commitments-table", cid)
    button = json.dumps({"index": cid, "type": "backlog-remedies-button"}, separators=(",", ":"))
    session.page.wait_for_selector(f"[id='{button}']")
    session.page.click(f"[id='{button}']")
    session.page.wait_for_selector("#backlog-remedies-table tbody tr", timeout=120_000)
    session.idle()
    session.screenshot("backlog-remedies")
    rows = session.page.eval_on_selector_all(
        "#backlog-remedies-table tbody tr",
        "rows => rows.map(r => [...Array.from(r.cells).map(c => c.innerText),"
        " r.querySelector('a').getAttribute('href')])",
    )
    assert rows, "the sample's most late promise has at least one remedy that helps"
    for what, late, complete, total, _link, href in rows:
        doc = decode_doc(parse_qs(urlparse(href).query)["remedy"][0])
        assert doc is not None, href
        result = run_whatif(str(dash_env["db"]), doc, dash_env["scenarios"])
        mine = next(c for c in result["commitments"] if c["commitment_id"] == cid)
        before, after = (_number(x) for x in late.split("->"))
        assert (before, after) == (
            round(mine["late_unit_months_a"]),
            round(mine["late_unit_months_b"]),
        ), what
        assert after < before, what
        shown_a, shown_b = (x.strip() for x in complete.split("->"))
        assert shown_b == (mine["completion_month_b"] or "not within the horizon"), what
        weighted = next(
            m for m in result["measures"] if m["measure"] == "Weighted late unit-months"
        )
        assert _number(total.split(";")[0]) == pytest.approx(weighted["difference"], abs=0.51)

    # one click: the first remedy opens in the form, filled; Run gives the same total
    session.page.click("#backlog-remedies-table tbody tr a")
    session.page.wait_for_selector("#whatif-prefilled")
    session.idle()
    session.screenshot("whatif-remedy-opened")
    session.page.click("#whatif-run-button")
    session.page.wait_for_selector("#whatif-deltas-table", timeout=120_000)
    deltas = session.page.eval_on_selector_all(
        "#whatif-deltas-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    shown = {r[0]: r[1:] for r in deltas}
    diff = _number(shown["Weighted late unit-months"][2])
    assert diff == pytest.approx(_number(rows[0][3].split(";")[0]), abs=1.0)
    assert session.errors == []


def test_a_remedy_link_that_is_not_a_scenario_opens_an_empty_form(login):
    session = login("plan")
    for junk in ("not-base64!", encode_doc({"x": 1})[:5], "e30"):
        session.goto(f"/what-if?remedy={junk}", "#whatif-run-button")
        assert session.page.locator("#whatif-prefilled").count() == 0
        assert session.page.input_value("#whatif-name") == ""
    assert session.errors == []


def test_a_remedy_is_only_for_planners(login):
    session = login("view")
    session.goto("/backlog", "#backlog-timeline-graph .main-svg")
    click_grid_row(session.page, "backlog-commitments-table")
    session.idle()
    assert session.page.locator("[id*='backlog-remedies-button']").count() == 0
    assert session.errors == []
