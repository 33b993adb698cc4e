"""The nightly report: its files, its figures against the database, reruns, changes, failures."""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import replace

import duckdb
import polars as pl
import pytest
from reports_helpers import (
    TINY,
    Night,
    assert_workbook_equals_csv,
    db_rows,
    make_db,
    nightly_args,
    tree,
    write_scenarios,
)

from arsenal.cli import main


def test_the_night_folder_holds_every_part(night: Night):
    names = {p.name for p in night.folder.iterdir()}
    assert {"report.html", "report.pdf", "summary.json", "extracts"} <= names
    summary = json.loads((night.folder / "summary.json").read_text())
    assert [r["scenario"] for r in summary["runs"]] == ["baseline", "surge", "twn-cut"]
    assert summary["content_hash"]
    assert summary["code_version"]
    assert all(r["solver_status"] == "optimal" for r in summary["runs"])
    assert (night.out / "nightly.log").read_text().count("written to") == 1
    pdf = (night.folder / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2


def test_extracts_hold_every_result_row_of_the_night(night: Night):
    summary = json.loads((night.folder / "summary.json").read_text())
    run_ids = [r["run_id"] for r in summary["runs"]]
    con = duckdb.connect(str(night.db), read_only=True)
    for table in ("plan_commitments", "plan_shipments", "stock_projection", "demand_forecast"):
        expected = con.sql(
            f"SELECT count(*) FROM {table} WHERE run_id IN (SELECT unnest(?))", params=[run_ids]
        ).fetchall()[0][0]
        assert expected > 0
        assert pl.read_parquet(night.folder / "extracts" / f"{table}.parquet").height == expected
        assert pl.read_csv(night.folder / "extracts" / f"{table}.csv").height == expected
    con.close()


def test_report_figures_match_the_database(night: Night):
    """Rebuild each chart's numbers with SQL and find them in the page's figure JSON."""
    summary = json.loads((night.folder / "summary.json").read_text())
    base = summary["runs"][0]["run_id"]
    page = (night.folder / "report.html").read_text()
    con = duckdb.connect(str(night.db), read_only=True)
    # the nodes carry display names (the tiny data's are short: never cut, no parenthetical)
    flows = con.sql(
        "SELECT s.name, p.name, sum(f.units) FROM plan_shipments f "
        "JOIN sources s USING (source_id) JOIN partners p USING (partner_id) "
        "WHERE f.run_id = ? GROUP BY ALL HAVING sum(f.units) > 0 ORDER BY 1, 2",
        params=[base],
    ).fetchall()
    assert all(len(a) < 36 and len(b) < 36 and "(" not in a + b for a, b, _ in flows)
    decoder = json.JSONDecoder()
    figures = [
        decoder.raw_decode(chunk.split(",", 1)[1].lstrip())[0]
        for chunk in page.split("Plotly.newPlot(")[1:]
    ]
    sankeys = [d[0] for d in figures if d and d[0].get("type") == "sankey"]
    assert len(sankeys) == 1
    sk = sankeys[0]
    labels = sk["node"]["label"]
    found = sorted(
        (labels[s], labels[t], v)
        for s, t, v in zip(
            sk["link"]["source"], sk["link"]["target"], sk["link"]["value"], strict=True
        )
    )
    assert [(a, b) for a, b, _ in found] == [(a, b) for a, b, _ in flows]
    for (_, _, v), (_, _, w) in zip(found, flows, strict=True):
        assert v == pytest.approx(w)

    fans = [d for d in figures if any(t.get("name") == "P50" for t in d)]
    assert fans
    for traces in fans:
        p50 = next(t for t in traces if t.get("name") == "P50")
        months = [m[:7] for m in p50["x"]]
        holder_item = con.sql(
            "SELECT holder_id, item_id FROM stock_projection WHERE run_id = ? "
            "GROUP BY ALL HAVING list(p50 ORDER BY month) = ?::DOUBLE[]",
            params=[base, p50["y"]],
        ).fetchall()
        assert holder_item, "a fan chart's P50 is not a stored projection"
        assert len(months) == 12

    bars = [d[0] for d in figures if d and d[0].get("type") == "bar"]
    ranked = con.sql(
        "SELECT source_id || ' ' || item_id, sum(value) FROM capacity_value WHERE run_id = ? "
        "GROUP BY ALL HAVING sum(value) > 0 ORDER BY 2 DESC, 1",
        params=[base],
    ).fetchall()
    valued = con.sql(
        "SELECT count(*) FROM capacity_value WHERE run_id = ?", params=[base]
    ).fetchall()[0][0]
    if ranked:
        assert list(reversed(bars[0]["y"])) == [r[0] for r in ranked[:15]]
        assert list(reversed(bars[0]["x"])) == pytest.approx([r[1] for r in ranked[:15]])
    else:
        # No line's extra capacity saves lateness (the tiny data's case): the chart says so.
        assert not any(b.get("orientation") == "h" for b in bars)
        assert valued > 0
        assert "No extra capacity would reduce lateness" in page
    wlum = con.sql(
        "SELECT summary->>'$.allocate.weighted_late_unit_months' FROM runs WHERE run_id = ?",
        params=[base],
    ).fetchall()[0][0]
    assert summary["runs"][0]["weighted_late_unit_months"] == pytest.approx(float(wlum))
    con.close()


def test_a_rerun_of_the_same_night_changes_nothing(night_copy: Night):
    before_tree, before_db = tree(night_copy.folder), db_rows(night_copy.db)
    code = main(nightly_args(night_copy))
    assert code == 0
    assert tree(night_copy.folder) == before_tree
    assert db_rows(night_copy.db) == before_db


def test_the_next_night_says_what_changed_and_why(night_copy: Night, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(make_db.__defaults__[0], data)
    pledges = data / "commitments.csv"
    pledges.write_text(pledges.read_text().replace("TWN-1,TWN,GMLRS,200,", "TWN-1,TWN,GMLRS,9000,"))
    summary = _next_night(night_copy, data)
    changes = summary["changes"]
    assert any(c["kind"] == "promise became late" and c["subject"] == "TWN-1" for c in changes)
    assert all(c["item_id"] == "GMLRS" for c in changes)
    assert all("promise TWN-1: quantity 200 -> 9,000" in c["explained_by"] for c in changes)
    page = (night_copy.out / "2026-01-16" / "report.html").read_text()
    assert "What changed since last night" in page
    assert changes[0]["subject"] in page
    assert (night_copy.folder / "summary.json").is_file()


def test_a_failure_exits_non_zero_with_the_reason_in_the_log_and_keeps_the_old_report(
    night_copy: Night, monkeypatch, capsys
):
    before_tree, before_db = tree(night_copy.folder), db_rows(night_copy.db)
    monkeypatch.setenv("CHROMIUM", "/bin/false")
    monkeypatch.setenv("PATH", "/nonexistent")
    code = main(nightly_args(night_copy, "--force"))
    assert code == 1
    assert "Chromium" in capsys.readouterr().err
    assert "nightly run failed" in (night_copy.out / "nightly.log").read_text()
    assert tree(night_copy.folder) == before_tree
    assert db_rows(night_copy.db) == before_db
    assert not list(night_copy.out.glob(".*"))


def test_a_bad_scenario_costs_only_itself_and_those_built_on_it(
    night_copy: Night, tmp_path, capsys
):
    """One unknown id, one factor beyond its bound, one scenario built on a bad one: the night
    still writes the baseline and the good scenario, names each failure in the report,
    summary.json and the log, and exits 3 (partial)."""
    folder = tmp_path / "mixed"
    write_scenarios(folder)
    (folder / "unknown-id.toml").write_text(
        'name = "unknown-id"\ndescription = "d"\n[[capacity]]\nsource = "NOPE"\n'
        'item = "155MM"\nfrom = "2026-01"\nset = 1\n'
    )
    (folder / "huge.toml").write_text(
        'name = "huge"\ndescription = "d"\n[[capacity]]\nsource = "US_PLANT"\n'
        'item = "155MM"\nfrom = "2026-01"\nmultiply = 1e308\n'
    )
    (folder / "on-huge.toml").write_text('name = "on-huge"\ndescription = "d"\nbase = "huge"\n')
    (folder / "broken.toml").write_text("name = \n")
    code = main(nightly_args(replace(night_copy, scenarios=folder), "--force"))
    assert code == 3
    err = capsys.readouterr().err
    summary = json.loads((night_copy.folder / "summary.json").read_text())
    assert [r["scenario"] for r in summary["runs"]] == ["baseline", "surge", "twn-cut"]
    failed = {f["scenario"]: f["reason"] for f in summary["failed_scenarios"]}
    assert set(failed) == {"unknown-id", "huge", "on-huge", "broken"}
    assert "capacity.source" in failed["unknown-id"]
    assert failed["on-huge"] == "skipped: its base 'huge' failed"
    # refused when read, as the what-if page refuses it when saved: never sent to the solver
    assert "multiply" in failed["huge"]
    assert "must be from 0 to 1,000" in failed["huge"]
    page = (night_copy.folder / "report.html").read_text()
    log = (night_copy.out / "nightly.log").read_text()
    for name in failed:
        assert f"scenario {name} failed" in err
        assert f"scenario {name} failed" in log
        assert f"<td>{name}</td>" in page


def test_the_data_quality_section_is_the_reconciliation_of_the_loaded_data(night: Night):
    from store.reconcile import read_reconciliation

    con = duckdb.connect(str(night.db), read_only=True)
    try:
        check = read_reconciliation(con)
    finally:
        con.close()
    summary = json.loads((night.folder / "summary.json").read_text())
    assert summary["data_quality"] == {
        k: check[k] for k in ("periods_checked", "explained", "unexplained", "tolerance")
    }
    page = (night.folder / "report.html").read_text()
    assert "Data quality: do the recorded flows explain the stock counts?" in page
    assert f"{check['periods_checked']} periods between successive stock counts" in page
    for gap in check["gaps"]:
        assert f"<td>{gap['holder_id']}</td><td>{gap['item_id']}</td>" in page


def _next_night(night_copy: Night, data) -> dict:
    make_db(night_copy.db, data)
    code = main(nightly_args(night_copy, "--no-pdf", day="2026-01-16"))
    assert code == 0
    return json.loads((night_copy.out / "2026-01-16" / "summary.json").read_text())


def test_a_second_night_after_a_capacity_change_names_that_change(night_copy: Night, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    capacity = data / "capacity.csv"
    capacity.write_text(
        capacity.read_text().replace(
            "US_PLANT,155MM,2026-01,40000", "US_PLANT,155MM,2026-01,200000"
        )
    )
    summary = _next_night(night_copy, data)
    named = "US_PLANT capacity of 155MM from 2026-01: 40,000 -> 200,000"
    changes = summary["changes"]
    assert any(c["item_id"] == "155MM" for c in changes)
    for c in changes:
        if c["item_id"] == "155MM":
            assert named in c["explained_by"], c
        else:
            assert c["explained_by"] == ["re-plan"], c
    assert summary["previous_load"]["load_id"] < summary["load"]["load_id"]
    page = (night_copy.out / "2026-01-16" / "report.html").read_text()
    first_page = page[: page.index('id="contents"')]
    assert html.escape(named) in first_page
    inputs = pl.read_csv(night_copy.out / "2026-01-16" / "extracts" / "input_changes.csv")
    assert inputs.rows() == [("capacity", "changed", named)]


def test_the_same_data_again_names_no_input_change(night_copy: Night):
    summary = _next_night(night_copy, TINY)
    assert all(c["explained_by"] == ["re-plan"] for c in summary["changes"])
    assert "on the same data" in summary["changes_note"] or "0 input row" in summary["changes_note"]


def test_the_workbook_opens_and_equals_the_csv_extracts(night: Night):
    from reports.nightly import WORKBOOK, WORKBOOK_TABLES

    extracts = night.folder / "extracts"
    assert_workbook_equals_csv(extracts / WORKBOOK, extracts, WORKBOOK_TABLES)


def test_a_trade_off_curve_that_fails_costs_only_the_curve(
    night_copy: Night, monkeypatch: pytest.MonkeyPatch
):
    """The curve is a task beside the plans; when it fails, the night is still written with
    every run, and the report, summary.json and the log say why."""
    import pipeline.nightly

    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the solver ran out of road")

    monkeypatch.setattr(pipeline.nightly, "tradeoff", broken)
    code = main(nightly_args(night_copy, "--force", "--no-pdf", "--tradeoff-points", "3"))
    assert code == 0
    summary = json.loads((night_copy.folder / "summary.json").read_text())
    assert [r["scenario"] for r in summary["runs"]] == ["baseline", "surge", "twn-cut"]
    assert summary["tradeoff"] == {"error": "RuntimeError: the solver ran out of road"}
    page = (night_copy.folder / "report.html").read_text()
    assert "The trade-off curve could not be computed: RuntimeError: the solver ran out" in page
    log = (night_copy.out / "nightly.log").read_text()
    assert "the trade-off curve failed: RuntimeError: the solver ran out of road" in log


def test_each_run_s_data_goes_to_the_workers_once_not_with_every_task(night_copy: Night):
    """A run's data set and the stored reference plan are scattered once and named by the
    tasks that need them: embedded, they went with every task (the 10x night sent a 51 MiB
    task graph per plan, and Dask warned about it in the night's log). Dask's own warning,
    with its threshold below the size of this data set (15 kB pickled), stays silent."""
    import warnings

    import dask

    with (
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "10kB"}),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        assert main(nightly_args(night_copy, "--force")) == 0
    large = [str(w.message) for w in caught if "large graph" in str(w.message)]
    assert large == []
