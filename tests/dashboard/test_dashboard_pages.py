"""Every page in a real browser: logins, no console errors, charts that follow the selection."""

from __future__ import annotations

import csv
import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from dashboard_helpers import click_grid_row, grid_rows

from dashboards.ui import fmt_usd
from store.db import connect
from store.runs import latest_run

pytestmark = pytest.mark.browser

PAGES = [
    ("overview", "/", "#overview-late-count"),
    ("worklist", "/worklist", "#worklist-exceptions-table"),
    ("stocks", "/stocks", "#stocks-fan-graph .main-svg"),
    ("backlog", "/backlog", "#backlog-timeline-graph .main-svg"),
    ("allocation", "/allocation", "#allocation-sankey-graph .main-svg"),
    ("capacity", "/capacity", "#capacity-ranking-graph .main-svg"),
    ("whatif", "/what-if", "#whatif-page"),
]


def _plot_data(session, graph_id: str) -> list[dict]:
    return session.page.evaluate(
        "id => document.querySelector(`#${id} .js-plotly-plot`).data"
        ".map(t => ({name: t.name, x: t.x, y: t.y}))",
        graph_id,
    )


def test_login_is_required(login, dash_url):
    session = login(None)
    session.page.goto(dash_url + "/stocks")
    session.page.wait_for_selector("#login-name")
    assert "/login" in session.page.url
    # The callback endpoint refuses without a session, whatever the page does.
    request = urllib.request.Request(
        dash_url + "/_dash-update-component",
        data=json.dumps({"output": "x.children", "inputs": []}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    session.page.fill("#login-name", "plan")
    session.page.fill("#login-password", "not the password")
    session.page.click("#login-submit")
    assert session.page.inner_text("#login-error") == "Unknown user or wrong password."
    session.screenshot("login")


@pytest.mark.parametrize("user", ["plan", "view", "pol"])
def test_every_page_loads_without_console_errors(login, user):
    session = login(user)
    nav = session.page.inner_text("#app-nav-links")
    for name, path, ready in PAGES:
        if user == "pol" and name in ("capacity", "whatif"):
            assert name.capitalize() not in nav
            assert "What-if" not in nav
            session.goto(path, f"#{name}-page")
            assert "not available to the liaison role" in session.page.inner_text(f"#{name}-page")
            continue
        session.goto(path, ready)
        session.screenshot(f"{name}-{user}")
    assert session.errors == []
    # Works offline: every script, style sheet and font comes from the app itself.
    foreign = [u for u in session.requests if not u.startswith((session.base, "data:", "blob:"))]
    assert foreign == []


def test_overview_figures_match_the_database(login, dash_env):
    con = connect(dash_env["db"], read_only=True)
    try:
        # pow(2, 5 - priority): an independent copy of the weight, on purpose
        late, wlum, units = con.execute(
            """
            SELECT count(*) FILTER (WHERE p.late_unit_months > 1e-9),
                   sum(p.late_unit_months * pow(2, 5 - c.priority)),
                   sum(p.backlog_units)
            FROM plan_commitments p JOIN commitments c USING (commitment_id)
            WHERE p.run_id = $run_id
            """,
            {"run_id": latest_run(con, "allocate")["run_id"]},
        ).fetchone()
    finally:
        con.close()
    session = login("plan")
    session.goto("/", "#overview-late-count")
    assert int(session.page.inner_text("#overview-late-count")) == late
    shown = float(session.page.inner_text("#overview-weighted-late").replace(",", ""))
    assert shown == pytest.approx(wlum, abs=0.5)
    shown_units = float(session.page.inner_text("#overview-backlog-units").replace(",", ""))
    assert shown_units == pytest.approx(units, abs=0.5)
    assert len(session.page.query_selector_all("#overview-exceptions-table tbody tr")) == 5


def test_stock_chart_follows_the_selection(login, dash_env):
    con = connect(dash_env["db"], read_only=True)
    try:
        projection = {
            (h, i): [p50 for p50 in values]
            for h, i, values in con.execute(
                """
                SELECT holder_id, item_id, list(p50 ORDER BY month)
                FROM stock_projection
                WHERE run_id = $run_id
                GROUP BY ALL
                """,
                {"run_id": latest_run(con, "project")["run_id"]},
            ).fetchall()
        }
        counted = set(con.execute("SELECT holder_id, item_id FROM stockpiles").fetchall())
        names = dict(
            con.execute(
                "SELECT partner_id, name FROM partners UNION ALL SELECT source_id, name "
                "FROM sources UNION ALL SELECT item_id, name FROM items"
            ).fetchall()
        )
        consumption: dict[tuple[str, str], list] = defaultdict(list)
        for h, i, m, u in con.execute(
            "SELECT holder_id, item_id, month, units FROM consumption ORDER BY month"
        ).fetchall():
            consumption[(h, i)].append((m, u))
        forecast: dict[tuple[str, str], list] = defaultdict(list)
        for h, i, mean in con.execute(
            "SELECT holder_id, item_id, mean FROM demand_forecast WHERE run_id = $run_id "
            "ORDER BY month",
            {"run_id": latest_run(con, "forecast")["run_id"]},
        ).fetchall():
            forecast[(h, i)].append(mean)
    finally:
        con.close()
    # a US missile pool as well: the first one the data counts (the stocks page lists counted pools)
    missile = min(k for k in projection if k[0] == "US_DEPOT" and k[1] != "155MM" and k in counted)
    session = login("plan")
    session.goto("/stocks", "#stocks-fan-graph .main-svg")
    for holder, item in [("US_DEPOT", "155MM"), ("UKR", "155MM"), missile]:
        session.choose("stocks-holder-dropdown", names[holder])
        session.choose("stocks-item-dropdown", names[item])
        title = f"{names[holder]}: {names[item]}"
        session.page.wait_for_function(
            "t => document.querySelector('#stocks-fan-graph .gtitle')?.textContent === t",
            arg=title,
        )
        p50 = next(t for t in _plot_data(session, "stocks-fan-graph") if t["name"] == "P50")
        assert p50["y"] == pytest.approx(projection[(holder, item)])
        # recorded consumption as bars, the forecast's mean as a line: as the database holds
        session.page.wait_for_function(
            "t => document.querySelector('#stocks-consumption-graph .gtitle')?.textContent === t",
            arg=f"Consumption: {title}",
        )
        traces = {t.get("name"): t for t in _plot_data(session, "stocks-consumption-graph")}
        used, mean = consumption[(holder, item)], forecast[(holder, item)]
        if used:
            assert [m[:7] for m in traces["consumed"]["x"]] == [f"{m:%Y-%m}" for m, _ in used]
            assert traces["consumed"]["y"] == pytest.approx([u for _, u in used])
        if mean:
            assert traces["forecast mean"]["y"] == pytest.approx(mean)
        assert (
            used
            or mean
            or "No consumption recorded" in session.page.inner_text("#stocks-consumption-graph")
        )
    assert session.errors == []


def test_budget_slider_shows_what_a_budget_buys(login, dash_env):
    con = connect(dash_env["db"], read_only=True)
    try:
        costs = dict(con.execute("SELECT option_id, cost_usd FROM expansion_options").fetchall())
        baseline = latest_run(con, "allocate")
        assert baseline is not None
        stored = json.loads(baseline["summary"])
        baseline_late = float(stored.get("allocate", stored)["weighted_late_unit_months"])
    finally:
        con.close()
    # $1B is more than the cheapest option costs, and the baseline has late promises for
    # capacity to reduce, so the plan must buy something and lateness must fall.
    assert min(costs.values()) <= 1e9
    assert baseline_late > 0
    session = login("plan")
    session.goto("/capacity", "#capacity-ranking-graph .main-svg")
    assert len(session.page.query_selector_all("#capacity-ranking-table tbody tr")) > 0
    budget = session.page.locator("#capacity-budget-slider input[type=number]")
    budget.fill("1000000000")
    budget.press("Tab")
    session.page.wait_for_selector("#capacity-investment-summary")
    session.idle()
    summary = session.page.inner_text("#capacity-investment-summary")
    rows = session.page.eval_on_selector_all(
        "#capacity-options-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    assert {r[0] for r in rows} == set(costs)
    bought = [r[0] for r in rows if r[5] == "buy"]
    assert "With $" in summary
    assert summary.startswith("With $1.00B: buy ")
    assert bought, "a $1B budget buys no expansion option"
    assert sum(costs[b] for b in bought) <= 1e9
    for option in bought:
        assert option in summary
    assert f" for {fmt_usd(sum(costs[b] for b in bought))};" in summary
    numbers, saves = summary.split("weighted late unit-months ", 1)[1].split(" (saves ")
    before, after = (float(n.replace(",", "")) for n in numbers.split(" -> "))
    saved = float(saves.split(")")[0].replace(",", ""))
    # Before investment is the stored baseline plan's lateness; buying must strictly lower it.
    assert before == pytest.approx(baseline_late, abs=1)
    assert after < before
    assert saved == pytest.approx(before - after, abs=1)
    assert saved > 0
    session.screenshot("capacity-budget")
    assert session.errors == []


def test_the_tradeoff_curve_is_the_frontier_and_a_click_shows_that_plan(login, dash_env):
    from pipeline.tradeoff import run_tradeoff, tradeoff_json

    curve = tradeoff_json(run_tradeoff(str(dash_env["db"]), None, 36))["points"]
    session = login("plan")
    session.goto("/capacity", "#capacity-ranking-graph .main-svg")
    session.page.click("#capacity-tradeoff-button")
    session.page.wait_for_selector("#capacity-tradeoff-graph .scatterlayer .point", timeout=60_000)
    session.idle()
    (line,) = _plot_data(session, "capacity-tradeoff-graph")
    us = [p["us_unit_months_below_target"] for p in curve]
    partners = [p["partner_weighted_unit_months_below_floor"] for p in curve]
    assert line["x"] == pytest.approx(us)
    assert line["y"] == pytest.approx(partners)
    # a frontier: US unit-months rise as partner unit-months fall, point by point
    assert all(a <= b + 1e-6 for a, b in zip(us, us[1:], strict=False))
    assert all(a >= b - 1e-6 for a, b in zip(partners, partners[1:], strict=False))
    last = session.page.locator("#capacity-tradeoff-graph .scatterlayer .point").last
    last.scroll_into_view_if_needed()
    # plotly takes a click on the point it hovers: move onto it, then press (again if the
    # first press came before plotly had picked the point up)
    for _attempt in range(3):
        box = last.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        session.page.mouse.move(x - 8, y - 8)
        session.page.mouse.move(x, y, steps=8)
        session.page.wait_for_selector("#capacity-tradeoff-graph .hovertext", timeout=20_000)
        session.page.mouse.down()
        session.page.mouse.up()
        try:
            session.page.wait_for_selector("#capacity-tradeoff-summary", timeout=7_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: press again
            continue
    session.page.wait_for_selector("#capacity-tradeoff-summary", timeout=20_000)
    summary = session.page.inner_text("#capacity-tradeoff-summary")
    assert summary.startswith(f"Point {len(curve)}: US ")
    assert f"{curve[-1]['us_unit_months_below_target']:,.0f}" in summary
    cells = session.page.eval_on_selector_all(
        "#capacity-tradeoff-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    expected = [
        ["partner", f"{r['holder_id']} {r['item_id']}", r["first_month_below_floor"] or "never"]
        for r in curve[-1]["partner_stocks"]
    ]
    assert [[c[0], c[1], c[3]] for c in cells if c[0] == "partner"] == expected
    assert session.errors == []


def test_the_capacity_page_shows_the_component_tier(login, dash_env):
    """The component table lists every component with what its lines make over the horizon
    and the months its pool is used up (both recounted here in SQL from the stored plan), and
    the load map has a row per line, the component lines marked."""
    con = connect(dash_env["db"], read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        made = dict(
            con.execute(
                """
                SELECT i.name, sum(p.units) FROM plan_production AS p JOIN items AS i USING (item_id)
                WHERE p.run_id = ? AND i.category = 'component' GROUP BY ALL
                """,
                [run_id],
            ).fetchall()
        )
        used_up = dict(
            con.execute(
                """
                SELECT i.name, count(*) FROM plan_pools AS p JOIN items AS i USING (item_id)
                WHERE p.run_id = ? AND i.category = 'component' AND p.holder_id = p.item_id
                  AND p.inventory <= 1e-6
                GROUP BY ALL
                """,
                [run_id],
            ).fetchall()
        )
        lines, part_lines = con.execute(
            """
            SELECT count(DISTINCT (p.source_id, p.item_id)),
                   count(DISTINCT (p.source_id, p.item_id)) FILTER (WHERE i.category = 'component')
            FROM plan_production AS p JOIN items AS i USING (item_id) WHERE p.run_id = ?
            """,
            [run_id],
        ).fetchone()
    finally:
        con.close()
    assert made, "the sample has component lines"
    session = login("plan")
    session.goto("/capacity", "#capacity-load-graph .main-svg")
    rows = session.page.eval_on_selector_all(
        "#capacity-component-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    assert {r[0]: float(r[2].replace(",", "")) for r in rows} == pytest.approx(made, abs=0.5)
    assert {r[0]: r[3].split(" (")[0] for r in rows} == {
        name: str(used_up[name]) if name in used_up else "none" for name in made
    }
    (heat,) = session.page.evaluate(
        "() => document.querySelector('#capacity-load-graph .js-plotly-plot').data"
        ".map(t => ({y: t.y}))"
    )
    assert len(heat["y"]) == lines
    assert sum(label.startswith("component: ") for label in heat["y"]) == part_lines
    # the ranking names its lines by their display names, the id on hover
    con = connect(dash_env["db"], read_only=True)
    try:
        source_names = dict(con.execute("SELECT source_id, name FROM sources").fetchall())
    finally:
        con.close()
    ranked = session.page.eval_on_selector_all(
        "#capacity-ranking-table tbody tr td:first-child span",
        "spans => spans.map(s => [s.title, s.innerText])",
    )
    assert ranked
    assert all(source_names[key] == text for key, text in ranked)
    session.screenshot("capacity-components")
    assert session.errors == []


def test_the_plan_downloads_say_which_plan_they_are(login, dash_env):
    """The CSV and the workbook are named and headed with the run id, the plan's start, the
    data hash and the date; the CSV holds every shipment of the stored plan with months as
    YYYY-MM and whole units as integers (the deliveries against promises, as the page's
    table); the workbook has the plan, promises, pools and
    capacity value."""
    from python_calamine import CalamineWorkbook

    con = connect(dash_env["db"], read_only=True)
    try:
        run = latest_run(con, "allocate")
        shipped = con.execute(
            "SELECT count(*), sum(units) FROM plan_shipments"
            " WHERE run_id = ? AND commitment_id IS NOT NULL",
            [run["run_id"]],
        ).fetchone()
        content_hash = con.execute(
            "SELECT content_hash FROM loads ORDER BY load_id DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()
    start = run["start_month"].strftime("%Y-%m")
    session = login("plan")
    session.goto("/allocation", "#allocation-sankey-graph .main-svg")
    with session.page.expect_download() as caught:
        session.page.click("#allocation-download-button")
    csv_file = caught.value
    name = csv_file.suggested_filename
    assert name.startswith(f"plan-{run['run_id']}-{start}-{content_hash[:12]}-")
    assert name.endswith(".csv")
    lines = Path(csv_file.path()).read_text(encoding="utf-8").splitlines()
    assert lines[:3] == [
        f"# run_id: {run['run_id']}",
        f"# start: {start}",
        f"# data_hash: {content_hash[:12]}",
    ]
    assert lines[3].startswith("# written: ")
    rows = list(csv.DictReader(lines[4:]))
    assert len(rows) == shipped[0]
    assert sum(float(r["units"]) for r in rows) == pytest.approx(shipped[1], abs=1e-3 * len(rows))
    assert all(re.fullmatch(r"\d{4}-\d{2}", r["month"]) for r in rows)
    assert all(not r["units"].endswith(".0") for r in rows)
    with session.page.expect_download() as caught:
        session.page.click("#allocation-workbook-button")
    book = caught.value
    assert book.suggested_filename == name[: -len(".csv")] + ".xlsx"
    workbook = CalamineWorkbook.from_path(book.path())
    assert workbook.sheet_names == ["about", "plan", "promises", "pools", "capacity value"]
    about = dict(workbook.get_sheet_by_name("about").to_python()[1:])
    assert about["run_id"] == run["run_id"]
    assert about["start"] == start
    assert len(workbook.get_sheet_by_name("plan").to_python()) == shipped[0] + 1
    assert session.errors == []


def test_pegging_shows_where_a_late_promise_comes_from(login, dash_env):
    """Click a late promise: the pegging table's units per arrival month equal the plan's
    shipments of that promise arriving then (summed here in SQL), and what is still owed at
    the end is the backlog minus all of them."""
    con = connect(dash_env["db"], read_only=True)
    try:
        run_id = latest_run(con, "allocate")["run_id"]
        cid, backlog = con.execute(
            """
            SELECT commitment_id, backlog_units FROM plan_commitments
            WHERE run_id = ? AND late_unit_months > 0 AND planned_units > 0
            ORDER BY late_unit_months DESC LIMIT 1
            """,
            [run_id],
        ).fetchone()
        arrivals = {
            m.strftime("%Y-%m"): u
            for m, u in con.execute(
                """
                SELECT arrival_month, sum(units) FROM plan_shipments
                WHERE run_id = ? AND commitment_id = ? GROUP BY ALL
                """,
                [run_id, cid],
            ).fetchall()
        }
    finally:
        con.close()
    session = login("plan")
    session.goto("/backlog", "#backlog-timeline-graph .main-svg")
    click_grid_row(session.page, "backlog-commitments-table", cid)
    session.page.wait_for_selector("#backlog-pegging-table .ag-body [role=row]")
    session.idle()
    rows = grid_rows(session.page, "backlog-pegging-table")

    def number(text: str) -> float:
        return float(text.replace(",", ""))

    shown = {r["arrives"]: number(r["units"]) for r in rows}
    assert shown == pytest.approx(arrivals, abs=0.5)
    assert number(rows[-1]["still owed"]) == pytest.approx(
        max(backlog - sum(arrivals.values()), 0), abs=0.5
    )
    session.screenshot("backlog-pegging")
    assert session.errors == []


def test_allocation_never_adds_different_items_in_one_unit(login, dash_env):
    """(all items): the bars are USD (units x unit cost) per source and month, recomputed from
    the stored plan; one item: its units. Each source keeps its colour and shows its name."""
    import polars as pl

    from store.sql import query

    con = connect(dash_env["db"], read_only=True)
    try:
        run = latest_run(con, "allocate")["run_id"]
        ships = query(con, "plan_shipments_for_run", run_id=run)
        items = query(con, "dataset_items").select("item_id", "unit_cost_usd", "name")
        sources = dict(query(con, "dataset_sources").select("source_id", "name").iter_rows())
        promised = query(con, "dataset_commitments").select("commitment_id")
    finally:
        con.close()
    # the page plans promises: sustainment shipments are not on it
    ships = (
        ships.join(promised, on="commitment_id")
        .join(items, on="item_id")
        .with_columns(usd=pl.col("units") * pl.col("unit_cost_usd"))
    )
    session = login("plan")
    session.goto("/allocation", "#allocation-shipments-graph .main-svg")
    layout = session.page.evaluate(
        "() => document.querySelector('#allocation-shipments-graph .js-plotly-plot').layout"
    )
    assert "USD" in layout["yaxis"]["title"]["text"]
    traces = _plot_data(session, "allocation-shipments-graph")
    colours = session.page.evaluate(
        "() => Object.fromEntries(document.querySelector('#allocation-shipments-graph "
        ".js-plotly-plot').data.map(t => [t.name, t.marker.color]))"
    )
    assert len(set(colours.values())) == len(colours)  # no two sources share a colour
    totals = ships.group_by("source_id").agg(pl.col("usd").sum())
    for source, usd in totals.iter_rows():
        name = sources.get(source, source)
        trace = next(t for t in traces if t["name"] == name)
        assert sum(trace["y"]) == pytest.approx(usd, rel=1e-9)
    assert not any(t["name"] in sources for t in traces)  # names, never raw ids
    item = ships.group_by("item_id").agg(pl.col("units").sum()).sort("units").row(-1)[0]
    session.choose("allocation-item-dropdown", item)
    layout = session.page.evaluate(
        "() => document.querySelector('#allocation-shipments-graph .js-plotly-plot').layout"
    )
    assert layout["yaxis"]["title"]["text"] == "units"
    one = ships.filter(pl.col("item_id") == item).group_by("source_id").agg(pl.col("units").sum())
    for source, units in one.iter_rows():
        trace = next(
            t
            for t in _plot_data(session, "allocation-shipments-graph")
            if t["name"] == sources.get(source, source)
        )
        assert sum(trace["y"]) == pytest.approx(units, rel=1e-9)
    again = session.page.evaluate(
        "() => Object.fromEntries(document.querySelector('#allocation-shipments-graph "
        ".js-plotly-plot').data.map(t => [t.name, t.marker.color]))"
    )
    assert all(colours[n] == c for n, c in again.items() if n in colours)
    session.screenshot("allocation-one-item-plan")
    assert session.errors == []
