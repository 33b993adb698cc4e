"""No page shows a raw source id where the data has a display name: every page's text, as a
planner reads it, with a late promise's detail and an exception's detail open."""

from __future__ import annotations

import re

import pytest
from dashboard_helpers import click_grid_row, cut_grid_texts, grid_row_ids, grids_text

from store.db import connect

pytestmark = pytest.mark.browser

PAGES = [
    ("/", "#overview-late-count"),
    ("/worklist", "#worklist-exceptions-table"),
    ("/stocks", "#stocks-fan-graph .main-svg"),
    ("/backlog", "#backlog-timeline-graph .main-svg"),
    ("/allocation", "#allocation-sankey-graph .main-svg"),
    ("/capacity", "#capacity-ranking-graph .main-svg"),
    ("/what-if", "#whatif-page"),
]


def _named_sources(db) -> set[str]:  # noqa: ANN001
    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT source_id, name FROM sources").fetchall()
    finally:
        con.close()
    return {s for s, name in rows if name and name != s}


def _raw_ids(text: str, ids: set[str]) -> list[str]:
    """The ids standing as a whole word in ``text`` (an id inside a longer id does not count:
    ``_`` and ``-`` join words here)."""
    return sorted(i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))


def test_no_page_shows_a_raw_source_id_where_a_name_exists(login, dash_env):
    sources = _named_sources(dash_env["db"])
    assert len(sources) > 10
    session = login("plan")
    seen, cut = {}, []
    for path, ready in PAGES:
        session.goto(path, ready)
        seen[path] = session.page.inner_text("body") + grids_text(session.page)
        cut += cut_grid_texts(session.page)
        if path == "/stocks":  # the pool's balance, drawn when opened
            session.page.click("#stocks-balance-summary")
            session.page.wait_for_selector("#stocks-balance-table .ag-body [role=row]")
            seen[path] += grids_text(session.page)
            cut += cut_grid_texts(session.page)
    session.goto("/backlog", "#backlog-commitments-table .ag-body [role=row]")
    late = grid_row_ids(session.page, "backlog-commitments-table", late=True)
    assert late
    for cid in late[:4]:
        click_grid_row(session.page, "backlog-commitments-table", cid)
        session.page.wait_for_selector("#backlog-pegging")
        session.idle()
        seen[f"/backlog {cid}"] = session.page.inner_text("#backlog-reasons")
        if cid == late[0]:
            session.screenshot("backlog-reasons-named")
            cut += cut_grid_texts(session.page)  # the promise's pegging grid
    # a name shown cut off is not read either: every grid column is as wide as its text
    assert cut == []
    session.goto("/worklist", "#worklist-exceptions-table .ag-body [role=row]")
    for key in grid_row_ids(session.page, "worklist-exceptions-table")[:4]:
        click_grid_row(session.page, "worklist-exceptions-table", key)
        session.page.wait_for_selector("#worklist-detail-title")
        session.idle()
        seen[f"/worklist {key}"] = session.page.inner_text("#worklist-detail")
    shown = {where: _raw_ids(text, sources) for where, text in seen.items()}
    assert {where: ids for where, ids in shown.items() if ids} == {}
    # not vacuous: the names are there instead
    assert any(name_of in seen["/allocation"] for name_of in ("line", "plant", "depot"))
    assert session.errors == []
