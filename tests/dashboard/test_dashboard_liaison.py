"""A partner liaison's pages, as rendered in the browser, hold no row of another partner."""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pytest
from dashboard_helpers import ROOT, grid_rows, grids_text

pytestmark = pytest.mark.browser

PARTNER = "POL"
SAMPLE = ROOT / "data" / "sample"


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _names() -> dict[str, str]:
    """Display names by id, read from the sample's files."""
    return {
        r[key]: r["name"]
        for name, key in (
            ("partners", "partner_id"),
            ("sources", "source_id"),
            ("items", "item_id"),
        )
        for r in _rows(name)
        if r["name"]
    }


def _may_see(releasable_to: str, owner: str) -> bool:
    """The releasability rule, restated from DESIGN.md independently of the app's filter."""
    listed = [t.strip() for t in releasable_to.split(";") if t.strip()]
    return owner == PARTNER if not listed else ("ALL" in listed or PARTNER in listed)


def _expected() -> dict[str, object]:
    delivered: dict[str, float] = defaultdict(float)
    for d in _rows("deliveries"):
        delivered[d["commitment_id"]] += float(d["units"])
    visible, hidden, backlog = set(), set(), {}
    for c in _rows("commitments"):
        if _may_see(c["releasable_to"], c["partner_id"]):
            visible.add(c["commitment_id"])
            backlog[c["commitment_id"]] = max(
                float(c["quantity"]) - delivered[c["commitment_id"]], 0
            )
        else:
            hidden.add(c["commitment_id"])
    latest: dict[tuple[str, str], dict[str, str]] = {}
    for s in sorted(_rows("stockpiles"), key=lambda r: r["as_of"]):
        latest[(s["holder_id"], s["item_id"])] = s
    pools = {k for k, s in latest.items() if _may_see(s["releasable_to"], s["holder_id"])}
    return {"visible": visible, "hidden": hidden, "backlog": backlog, "pools": pools}


def _text_of(session) -> str:
    """The rendered page: DOM (with chart SVG text) and every grid's rows, after every
    dropdown was opened."""
    page = session.page
    html = page.content() + grids_text(page)
    for dropdown in page.query_selector_all(".dash-dropdown"):
        if not dropdown.is_visible():
            continue
        dropdown.click()
        page.wait_for_selector("[role=option], .dash-dropdown-content", state="attached")
        html += " ".join(page.locator("[role=option]").all_inner_texts())
        page.keyboard.press("Escape")
    return html


def test_a_liaison_sees_only_rows_releasable_to_its_partner(login):
    expected = _expected()
    assert expected["visible"]
    assert expected["hidden"]
    session = login("pol")
    rendered = {}
    for path, ready in [
        ("/", "#overview-late-count"),
        ("/worklist", "#worklist-exceptions-table"),
        ("/stocks", "#stocks-fan-graph .main-svg"),
        ("/backlog", "#backlog-commitments-table"),
        ("/allocation", "#allocation-plan-table"),
        ("/capacity", "#capacity-page"),
        ("/what-if", "#whatif-page"),
        ("/stocks?holder=US_DEPOT&item=155MM", "#stocks-fan-graph .main-svg"),
    ]:
        session.goto(path, ready)
        rendered[path] = _text_of(session)
        session.screenshot("liaison" + path.replace("/", "-").split("?")[0].rstrip("-"))
        for cid in expected["hidden"]:
            assert not re.search(rf"\b{re.escape(cid)}\b", rendered[path]), (path, cid)
        for partner in ("TWN", "JPN"):  # partners with no row releasable to POL
            assert not re.search(rf"\b{partner}\b", rendered[path]), (path, partner)

    # Not vacuous: the releasable rows are there, with the figures computed from them alone.
    open_visible = {c for c, units in expected["backlog"].items() if units > 0}
    session.goto("/backlog", "#backlog-commitments-table")
    shown = {r["commitment"] for r in grid_rows(session.page, "backlog-commitments-table")}
    assert shown == open_visible
    session.goto("/", "#overview-backlog-units")
    units = float(session.page.inner_text("#overview-backlog-units").replace(",", ""))
    assert units == pytest.approx(sum(expected["backlog"].values()), abs=0.5)
    session.goto("/stocks", "#stocks-fan-graph .main-svg")
    session.page.click("#stocks-holder-dropdown")
    session.page.wait_for_selector("[role=option]")
    holders = set(session.page.locator("[role=option]").all_inner_texts())
    session.page.keyboard.press("Escape")
    names = _names()
    assert holders == {names.get(h, h) for h, _ in expected["pools"]}
    title = rendered["/stocks?holder=US_DEPOT&item=155MM"]
    assert f"{names['US_DEPOT']}: {names['155MM']}" not in title
    assert session.errors == []
