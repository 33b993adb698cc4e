"""compare on a hand-built pair of runs whose difference is known."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from arsenal.cli import main
from forecast.projection import OUTLOOK_SCHEMA
from pipeline.compare import compare_runs
from store.db import connect
from store.runs import finish_run, start_run, write_results

M = date(2026, 1, 1)


def plan(rows):
    return pl.DataFrame(
        rows,
        schema={
            "commitment_id": pl.String,
            "partner_id": pl.String,
            "item_id": pl.String,
            "backlog_units": pl.Float64,
            "planned_units": pl.Float64,
            "completion_month": pl.Date,
            "late_unit_months": pl.Float64,
            "reasons": pl.String,
        },
        orient="row",
    )


def outlook(breach, rebuild):
    return pl.DataFrame(
        [("DEPOT", "155MM", 10.0, 50.0, None, breach, None, None, rebuild, None, 0.0, 0.0, 0.5)],
        schema=OUTLOOK_SCHEMA,
        orient="row",
    )


def values(rows):
    return pl.DataFrame(
        rows,
        schema={
            "source_id": pl.String,
            "item_id": pl.String,
            "month": pl.Date,
            "value": pl.Float64,
        },
        orient="row",
    )


def invest(rows):
    return pl.DataFrame(
        rows,
        schema={"option_id": pl.String, "chosen": pl.Boolean, "cost_usd": pl.Float64},
        orient="row",
    )


def store(con, scenario, wlum, commitments, out, cap, inv, cost=0.0):
    run_id = start_run(con, "pipeline", start_month=M, horizon=12, scenario=scenario)
    write_results(con, "plan_commitments", run_id, commitments)
    write_results(con, "stock_outlook", run_id, out)
    write_results(con, "capacity_value", run_id, cap)
    write_results(con, "plan_investments", run_id, inv)
    finish_run(
        con,
        run_id,
        "ok",
        {"allocate": {"weighted_late_unit_months": wlum}, "scenario": {"cost_usd": cost}},
    )
    return run_id


@pytest.fixture
def pair(tmp_path):
    db = tmp_path / "c.duckdb"
    con = connect(db)
    # A: C1 (priority 1, weight 16) 10 unit-months late; C2 (weight 2) on time -> 160.
    a = store(
        con,
        "baseline",
        160.0,
        plan(
            [
                ("C1", "UKR", "155MM", 100.0, 100.0, date(2026, 5, 1), 10.0, "[]"),
                ("C2", "POL", "GMLRS", 50.0, 50.0, date(2026, 3, 1), 0.0, "[]"),
            ]
        ),
        outlook(date(2026, 6, 1), date(2026, 11, 1)),
        values(
            [
                ("L1", "155MM", M, 3.0),
                ("L1", "155MM", date(2026, 2, 1), 1.0),
                ("L2", "GMLRS", M, 2.0),
            ]
        ),
        invest([("OPT", False, 2e6)]),
    )
    # B buys OPT (2 million USD) plus 1 million of its own measures: C1 on time, C2 16 late -> 32.
    b = store(
        con,
        "buy",
        32.0,
        plan(
            [
                ("C1", "UKR", "155MM", 100.0, 100.0, date(2026, 2, 1), 0.0, "[]"),
                ("C2", "POL", "GMLRS", 50.0, 50.0, date(2026, 7, 1), 16.0, "[]"),
            ]
        ),
        outlook(None, date(2026, 8, 1)),
        values([("L1", "155MM", M, 0.5), ("L2", "GMLRS", M, 6.0)]),
        invest([("OPT", True, 2e6)]),
        cost=1e6,
    )
    con.close()
    return db, a, b


def test_the_known_difference(pair):
    db, a, b = pair
    con = connect(db, read_only=True)
    c = compare_runs(con, a, b)
    con.close()
    assert c["weighted_late_unit_months"] == {"a": 160.0, "b": 32.0, "difference": -128.0}
    assert c["late_unit_months"]["difference"] == pytest.approx(6.0)
    assert c["promises"] == {"became_late": ["C2"], "became_on_time": ["C1"], "late_only_in_b": []}
    shifts = {r["commitment_id"]: r["completion_shift_months"] for r in c["commitments"]}
    assert shifts == {"C1": -3, "C2": 4}
    (pool,) = c["pools"]
    assert (pool["floor_breach_p50_a"], pool["floor_breach_p50_b"]) == ("2026-06", None)
    assert (pool["rebuild_p50_a"], pool["rebuild_p50_b"], pool["rebuild_shift_months"]) == (
        "2026-11",
        "2026-08",
        -3,
    )
    ranks = {(r["source_id"], r["rank_a"], r["rank_b"]) for r in c["capacity_value"]}
    assert ranks == {("L1", 1, 2), ("L2", 2, 1)}
    assert c["investments"]["b"] == ["OPT"]
    assert c["investments"]["extra_cost_usd"] == 3e6
    assert c["weighted_late_unit_months_saved_per_million_usd"] == pytest.approx(128 / 3)
    assert c["late_unit_months_saved_per_million_usd"] == pytest.approx(-6 / 3)


def test_the_command_takes_scenario_names(pair, capsys):
    db, a, b = pair
    assert main(["compare", "baseline", "buy", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["a"]["run_id"], out["b"]["run_id"]) == (a, b)
    assert main(["compare", a, "buy", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "become late: C2" in text
    assert "on time: C1" in text
    assert main(["compare", "nothing", "buy", "--db", str(db)]) == 2
