"""The simulation on the dashboard: P(on time) and the completion fan on Backlog, breach odds
with supply uncertainty on Stocks, the tornado on Capacity, a what-if's promise odds run in the
background; each figure read back from the rendered page and compared with the rows
``arsenal simulate`` stored."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dashboard_helpers import PASSWORD, ROOT, grid_rows, served

from arsenal.cli import main as arsenal_main
from conftest import USERS, build_sample_db, open_session
from dashboards.auth import add_user
from store.db import connect
from store.sql import query

pytestmark = pytest.mark.browser
SAMPLES = 40
SCENARIO = "camden-motor-shortfall"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from dashboards.app import create_app

    base = tmp_path_factory.mktemp("simulated")
    db = base / "arsenal.duckdb"
    build_sample_db(db)
    args = ["simulate", "--db", str(db), "--samples", str(SAMPLES), "--criticality-samples", "6"]
    assert arsenal_main([*args, "--workers", "2"]) == 0
    users = base / "users.toml"
    for name, (role, partner) in USERS.items():
        add_user(users, name, role, PASSWORD, partner=partner)
    (base / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / f"{SCENARIO}.toml", base / "scenarios")
    con = connect(str(db), read_only=True)
    try:
        run_id = query(con, "latest_run", kind="simulate", scenario="baseline").item(0, "run_id")
        rows = {
            "commitments": query(con, "simulation_commitments_for_run", run_id=run_id),
            "pools": query(con, "simulation_pools_for_run", run_id=run_id),
            "lines": query(con, "simulation_lines_for_run", run_id=run_id),
        }
    finally:
        con.close()
    app = create_app(db, users, base / "scenarios", secret_key="simulated", whatif_samples=SAMPLES)
    with served(app) as url:
        yield {"url": url, "run_id": run_id, "db": db, "scenarios": base / "scenarios", **rows}


def _table(page, table_id: str) -> list[dict[str, str]]:  # noqa: ANN001
    if table_id == "backlog-commitments-table":  # a data grid
        return grid_rows(page, table_id)
    headers = page.locator(f"#{table_id} thead th").all_inner_texts()
    out = []
    for row in page.locator(f"#{table_id} tbody tr").all():
        out.append(dict(zip(headers, row.locator("td").all_inner_texts(), strict=True)))
    return out


def _pct(p: float, se: float) -> str:
    return f"{round(p * 100)}% ± {round(se * 100)}%"


def test_backlog_shows_each_promise_odds_and_the_fan(browser, simulated) -> None:  # noqa: ANN001
    s = open_session(browser, simulated["url"], "plan")
    try:
        s.goto("/backlog", "#backlog-odds-graph")
        rows = _table(s.page, "backlog-commitments-table")
        stored = {r["commitment_id"]: r for r in simulated["commitments"].iter_rows(named=True)}
        shown = 0
        for row in rows:
            want = stored.get(row["commitment"])
            if want is None:
                continue
            shown += 1
            assert row["P(on time) if supply slips"] == _pct(
                want["p_on_time"], want["p_on_time_se"]
            )
            p50 = want["completion_p50"]
            assert row["complete P50"] == (f"{p50:%Y-%m}" if p50 else "not within the horizon")
        assert shown == len(rows) > 0
        assert simulated["run_id"] in s.page.inner_text("#backlog-odds-note")
        # one P10-P90 bar per promise that completes in some future, a due tick for each
        bars = s.page.evaluate(
            "() => document.querySelector('#backlog-odds-graph .js-plotly-plot').data"
            ".filter(t => t.mode === 'lines').length"
        )
        complete = simulated["commitments"].filter(pl.col("completion_p10").is_not_null()).height
        assert bars == complete
        s.screenshot("backlog-simulation-plan")
        assert s.errors == []
    finally:
        s.context.close()


def test_capacity_tornado_ranks_the_stored_lines(browser, simulated) -> None:  # noqa: ANN001
    s = open_session(browser, simulated["url"], "view")
    try:
        s.goto("/capacity", "#capacity-tornado-graph")
        bars = s.page.evaluate(
            "() => document.querySelector('#capacity-tornado-graph .js-plotly-plot').data[0].x"
        )
        lines = simulated["lines"].filter(pl.col("criticality").is_not_null())
        expected = (
            lines.sort(pl.col("criticality").abs(), descending=True)
            .head(10)
            .get_column("criticality")
            .to_list()
        )
        assert bars[::-1] == pytest.approx(expected)
        s.screenshot("capacity-tornado-view")
        assert s.errors == []
    finally:
        s.context.close()


def test_stocks_show_breach_odds_with_supply_uncertainty(browser, simulated) -> None:  # noqa: ANN001
    pools = simulated["pools"]
    pool = pools.sort("breach_probability_12", descending=True).row(0, named=True)
    s = open_session(browser, simulated["url"], "plan")
    try:
        s.goto(f"/stocks?holder={pool['holder_id']}&item={pool['item_id']}", "#stocks-odds-table")
        rows = s.page.locator("#stocks-odds-table tbody tr").all()
        assert len(rows) == 2
        cells = rows[1].locator("td").all_inner_texts()
        assert cells[1:] == [f"{pool[f'breach_probability_{k}']:.0%}" for k in (3, 6, 12)]
        s.screenshot("stocks-simulation-plan")
    finally:
        s.context.close()


def test_liaison_sees_only_its_own_promise_odds(browser, simulated) -> None:  # noqa: ANN001
    s = open_session(browser, simulated["url"], "pol")
    try:
        s.goto("/backlog", "#backlog-odds-graph")
        rows = _table(s.page, "backlog-commitments-table")
        assert rows
        assert {r["partner"] for r in rows} <= {"POL", "Poland"}
        text = s.page.inner_text("body")
        others = simulated["commitments"].filter(pl.col("partner_id") != "POL")
        for cid in others.get_column("commitment_id").to_list():
            assert cid not in text
    finally:
        s.context.close()


def test_no_simulation_says_so(browser, dash_url: str) -> None:  # noqa: ANN001
    s = open_session(browser, dash_url, "plan")
    try:
        s.goto("/backlog", "#backlog-odds-graph")
        assert "No simulation of this plan's supply yet" in s.page.inner_text("#backlog-odds-note")
        assert "P(on time)" not in s.page.inner_text("#backlog-table")
    finally:
        s.context.close()


def _simulated_scenario(simulated: dict, folder: Path) -> dict[str, dict]:
    """``arsenal simulate`` of the saved scenario file, on a copy of the database."""
    copy = folder / "copy.duckdb"
    shutil.copy(simulated["db"], copy)
    args = ["simulate", "--db", str(copy), "--scenario", SCENARIO]
    args += ["--scenarios", str(simulated["scenarios"]), "--samples", str(SAMPLES)]
    assert arsenal_main([*args, "--criticality-samples", "0", "--workers", "2"]) == 0
    con = connect(str(copy), read_only=True)
    try:
        run_id = query(con, "latest_run", kind="simulate", scenario=SCENARIO).item(0, "run_id")
        rows = query(con, "simulation_commitments_for_run", run_id=run_id)
    finally:
        con.close()
    return {r["commitment_id"]: r for r in rows.iter_rows(named=True)}


def test_a_whatifs_promise_odds_run_in_the_background_as_arsenal_simulate_draws_them(
    browser,  # noqa: ANN001
    simulated,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    """The page shows the job running, then each promise's odds: the baseline column is the
    stored simulation, the what-if column is what ``arsenal simulate`` draws for the saved
    scenario with the same seed and futures."""
    s = open_session(browser, simulated["url"], "plan")
    try:
        s.goto("/what-if", "#whatif-open-dropdown")
        s.choose("whatif-open-dropdown", SCENARIO)
        s.page.click("#whatif-open-button")
        s.page.wait_for_selector("#whatif-open-message:has-text('Opened')")
        assert s.page.inner_text("#whatif-odds-button") == f"Promise odds ({SAMPLES} futures)"
        s.page.click("#whatif-odds-button")
        s.page.wait_for_selector("#whatif-odds-progress", timeout=60_000)
        assert "Promise odds:" in s.page.inner_text("#whatif-odds-progress")
        s.screenshot("whatif-odds-running")
        s.page.wait_for_selector("#whatif-odds-table", timeout=300_000)
        s.page.click("#whatif-odds-same summary")
        moved_rows = _table(s.page, "whatif-odds-table")
        rows = moved_rows + _table(s.page, "whatif-odds-same-table")
        summary = s.page.inner_text("#whatif-odds-summary")
        assert s.page.locator("#whatif-odds-progress").count() == 0
        s.screenshot("whatif-odds-plan")
        assert s.errors == []
    finally:
        s.context.close()
    assert simulated["run_id"] in summary
    baseline = {r["commitment_id"]: r for r in simulated["commitments"].iter_rows(named=True)}
    scenario = _simulated_scenario(simulated, tmp_path)
    assert {r["promise"] for r in rows} == set(baseline) | set(scenario)

    def pct(p: float) -> str:
        return f"{100 * p:.0f}%"

    moved = 0
    for row in rows:
        a, b = baseline[row["promise"]], scenario[row["promise"]]
        assert row["baseline"] == pct(a["p_on_time"])
        assert row[SCENARIO] == pct(b["p_on_time"])
        difference = b["p_on_time"] - a["p_on_time"]
        noise = 2 * math.hypot(a["p_on_time_se"], b["p_on_time_se"])
        if abs(difference) > noise and abs(difference) > 1e-9:
            moved += 1
            assert row["change"] == f"{100 * difference:+.0f} points"
        else:
            assert row["change"] == "noise"
    assert moved == len(moved_rows) > 0  # the motor plant's stop moves some promises
    assert all(r["change"] != "noise" for r in moved_rows)
    assert f"{moved} promise(s) change beyond sampling noise" in summary
