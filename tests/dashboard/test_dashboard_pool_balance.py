"""The Stocks page's planned balance of a pool: every inflow and outflow named, summed against
the stored plan (computed here from the plan's tables by another route), and a balance that
closes month by month. A liaison is told it is not shown."""

from __future__ import annotations

from collections import defaultdict

import pytest
from dashboard_helpers import grid_rows

from store.db import connect
from store.runs import latest_run

pytestmark = pytest.mark.browser

GRID = "stocks-balance-table"
POOL = ("US_DEPOT", "155MM")


def _plan(db) -> dict:  # noqa: ANN001
    holder, item = POOL
    con = connect(db, read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        sources = con.execute("SELECT source_id, stock_holder FROM sources").fetchall()
        pool_of = {s: h or s for s, h in sources}
        made, shipped, partners = defaultdict(float), defaultdict(float), defaultdict(set)
        names = dict(con.execute("SELECT partner_id, name FROM partners").fetchall())
        for source, month, units in con.execute(
            "SELECT source_id, month, units FROM plan_production WHERE run_id = ? AND item_id = ?",
            [run_id, item],
        ).fetchall():
            if pool_of[source] == holder:
                made[f"{month:%Y-%m}"] += units
        for source, partner, month, units in con.execute(
            "SELECT source_id, partner_id, month, units FROM plan_shipments"
            " WHERE run_id = ? AND item_id = ?",
            [run_id, item],
        ).fetchall():
            if pool_of[source] == holder:
                shipped[f"{month:%Y-%m}"] += units
                if units > 0.5:
                    partners[f"{month:%Y-%m}"].add(names[partner])
        levels = {
            f"{m:%Y-%m}": v
            for m, v in con.execute(
                "SELECT month, inventory FROM plan_pools"
                " WHERE run_id = ? AND holder_id = ? AND item_id = ?",
                [run_id, holder, item],
            ).fetchall()
        }
        count = con.execute(
            "SELECT units FROM stockpiles WHERE holder_id = ? AND item_id = ?"
            " ORDER BY as_of DESC LIMIT 1",
            [holder, item],
        ).fetchone()[0]
    finally:
        con.close()
    return {
        "made": made,
        "shipped": shipped,
        "partners": partners,
        "levels": levels,
        "count": count,
    }


def _n(text: str) -> float:
    return float(text.replace(",", "") or 0)


def test_a_pools_balance_names_its_flows_and_closes_month_by_month(login, dash_env):
    plan = _plan(dash_env["db"])
    assert sum(plan["made"].values()) > 0
    assert sum(plan["shipped"].values()) > 0
    session = login("plan")
    holder, item = POOL
    session.goto(f"/stocks?holder={holder}&item={item}", "#stocks-fan-graph .main-svg")
    assert session.page.locator(f"#{GRID}").count() == 0  # drawn when opened
    session.page.click("#stocks-balance-summary")
    session.page.wait_for_selector(f"#{GRID} .ag-body [role=row]")
    rows = grid_rows(session.page, GRID)
    assert [r["month"] for r in rows] == sorted(plan["levels"])
    assert _n(rows[0]["opening"]) == pytest.approx(plan["count"], abs=0.5)
    for before, row in zip([None, *rows], rows, strict=False):
        month = row["month"]
        assert _n(row["in"]) == pytest.approx(plan["made"].get(month, 0.0), abs=0.5), month
        assert _n(row["out"]) == pytest.approx(plan["shipped"].get(month, 0.0), abs=0.5), month
        assert _n(row["closing"]) == pytest.approx(plan["levels"][month], abs=0.5), month
        if before is not None:
            assert row["opening"] == before["closing"]
        rest = _n(row["opening"]) + _n(row["in"]) - _n(row["out"]) - _n(row["closing"])
        assert _n(row["consumption and other draws"]) == pytest.approx(rest, abs=2.0), month
    # every flow named by its display name, with its units
    busy = next(r for r in rows if _n(r["out"]) > 0 and _n(r["in"]) > 0)
    assert "made by " in busy["in (units)"]
    assert "US_155_PLANTS" not in busy["in (units)"]
    for partner in plan["partners"][busy["month"]]:
        assert f"to {partner} (" in busy["out (units)"]
    session.screenshot("stocks-balance")
    assert session.errors == []


def test_a_liaison_is_not_shown_a_pools_balance(login):
    session = login("pol")
    session.goto("/stocks", "#stocks-balance-summary")
    session.page.click("#stocks-balance-summary")
    session.page.wait_for_selector("#stocks-balance .note")
    assert "Not shown to liaisons" in session.page.inner_text("#stocks-balance")
    assert session.page.locator(f"#{GRID}").count() == 0
    assert session.errors == []
