"""The data grids (worklist, backlog, plan, pegging) in the browser: sorting by value, a column
filter, the id behind a display name in the tooltip, and the export of the rows as shown, each
checked against the stored plan."""

from __future__ import annotations

import csv
import io

import pytest
from dashboard_helpers import cut_grid_texts, grid_rows

from store.db import connect
from store.runs import latest_run

pytestmark = pytest.mark.browser

GRID = "allocation-plan-table"


def _plan(db) -> tuple[list[dict], dict[str, str]]:  # noqa: ANN001
    """The plan's deliveries against promises, and the partners' display names."""
    con = connect(db, read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        cursor = con.execute(
            "SELECT source_id, commitment_id, partner_id, item_id, units FROM plan_shipments"
            " WHERE run_id = ? AND commitment_id IS NOT NULL",
            [run_id],
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        names = dict(con.execute("SELECT partner_id, name FROM partners").fetchall())
    finally:
        con.close()
    return rows, names


def _units(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_plan_grid_sorts_filters_names_and_exports_its_rows(login, dash_env):
    plan, names = _plan(dash_env["db"])
    session = login("plan")
    session.goto("/allocation", f"#{GRID} .ag-body [role=row]")
    shown = grid_rows(session.page, GRID)
    assert len(shown) == len(plan)
    # the widths are estimated on the server from the longest text: none is cut in the browser
    assert cut_grid_texts(session.page) == []

    # Sorted by the number, not by its text ("1,000" < "200" as text).
    header = f"#{GRID} .ag-header-cell[col-id='units'] .ag-header-cell-label"
    session.page.click(header)
    session.page.click(header)  # the second click: largest first
    session.idle()
    units = [_units(r["units"]) for r in grid_rows(session.page, GRID)]
    assert units == sorted(units, reverse=True)
    assert units[0] == pytest.approx(max(r["units"] for r in plan), abs=0.5)

    # A partner's display name, its id in the tooltip.
    partner = max(
        {r["partner_id"] for r in plan}, key=lambda p: sum(r["partner_id"] == p for r in plan)
    )
    assert names[partner] != partner
    cell = session.page.locator(f"#{GRID} .ag-body [role=gridcell][col-id='partner_id']").first
    cell.hover()
    tooltip = session.page.wait_for_selector(".ag-tooltip")
    hovered = cell.inner_text()
    assert tooltip.inner_text() == next(p for p, n in names.items() if n == hovered)

    # The column filter, typed as a planner would: the partner's name.
    session.page.fill(
        f"#{GRID} .ag-floating-filter[aria-colindex='3'] input, "
        f"#{GRID} .ag-header-cell.ag-floating-filter[col-id='partner_id'] input",
        names[partner],
    )
    session.page.wait_for_function(
        "([id, n]) => window.dash_ag_grid.getApi(id).getDisplayedRowCount() === n",
        arg=[GRID, sum(r["partner_id"] == partner for r in plan)],
    )
    filtered = grid_rows(session.page, GRID)
    assert {r["partner"] for r in filtered} == {names[partner]}

    # The export: the rows as filtered and sorted, names as shown.
    with session.page.expect_download() as caught:
        session.page.click(f"button.grid-export[data-grid='{GRID}']")
    text = open(caught.value.path(), encoding="utf-8").read()  # noqa: PTH123, SIM115
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [r["partner"] for r in exported] == [names[partner]] * len(filtered)
    assert [float(r["units"]) for r in exported] == pytest.approx(
        [_units(r["units"]) for r in filtered], abs=0.5
    )
    want = sorted(r["units"] for r in plan if r["partner_id"] == partner)
    assert sorted(float(r["units"]) for r in exported) == pytest.approx(want, abs=1e-6)
    session.screenshot("allocation-grid-filtered")
    assert session.errors == []
