"""``arsenal allocate`` on the sample data set, through the real CLI and a real DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from arsenal.cli import main
from optimize import allocate, check_plan
from optimize.sets import resolve_eligibility
from store.dataset import default_start, read_dataset
from store.db import connect
from store.load import load_dataset
from store.runs import latest_run
from store.sql import query

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
KEYS = {
    "top": {
        "run_id",
        "start",
        "horizon",
        "status",
        "weighted_late_unit_months",
        "commitments",
        "shipments",
        "capacity_value",
        "investments",
        "readiness",
        "stages",
        "metrics",
        "production",
    },
    "commitments": {
        "commitment_id",
        "partner_id",
        "item_id",
        "backlog_units",
        "planned_units",
        "completion_month",
        "late_unit_months",
        "reasons",
    },
    "shipments": {
        "source_id",
        "commitment_id",
        "item_id",
        "partner_id",
        "month",
        "arrival_month",
        "units",
        "purpose",
    },
    "capacity_value": {"source_id", "item_id", "month", "value"},
    "investments": {"option_id", "chosen", "cost_usd"},
    "readiness": {
        "holder_id",
        "item_id",
        "month",
        "level",
        "floor_units",
        "target_units",
        "below_floor_units",
        "below_target_units",
    },
    "stages": {"name", "objective"},
    "production": {"source_id", "item_id", "month", "units", "capacity"},
}
METRICS = {
    "promises_on_time",
    "promises_total",
    "on_time_pct",
    "backlog_units_on_time_pct",
    "value_late_usd",
    "months_late",
    "partner_stocks_below_floor",
    "partner_stocks",
    "us_pools_below_target",
    "sustainment_units",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alloc") / "arsenal.duckdb"
    con = connect(path)
    load_dataset(con, SAMPLE)
    con.close()
    return path


def _run(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict | None, str]:
    code = main(["allocate", "--db", str(db), "--horizon", "24", *extra])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if "--json" in extra and code == 0 else None), out.err


def test_sample_plan_keeps_the_rules(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, plan, err = _run(db, capsys, "--json")
    assert code == 0, err
    assert set(plan) == KEYS["top"]
    for part in (
        "commitments",
        "shipments",
        "capacity_value",
        "investments",
        "readiness",
        "stages",
        "production",
    ):
        for row in plan[part]:
            assert set(row) == KEYS[part]
    assert plan["status"] == "optimal"
    assert [s["name"] for s in plan["stages"]] == [
        "lateness",
        "readiness",
        "fair_shares",
        "least_drawn",
        "reference",
        "spare_capacity",
    ]
    for row in plan["shipments"]:
        assert (row["purpose"] == "sustainment") == (row["commitment_id"] is None)
    m = plan["metrics"]
    assert set(m) == METRICS
    assert set(m["partner_stocks_below_floor"]) == {"now", "within_6", "within_12"}
    assert set(m["months_late"]) == {c["commitment_id"] for c in plan["commitments"]}
    assert m["promises_total"] == len(plan["commitments"])
    on_time = sum(1 for c in plan["commitments"] if c["late_unit_months"] == 0)
    assert m["promises_on_time"] == on_time
    assert plan["horizon"] == 24
    assert plan["start"] == "2026-11"

    con = connect(db, read_only=True)
    ds = read_dataset(con)
    # no promise ships on a denied route (rules resolved again, from the stored data)
    shipped = pl.DataFrame(plan["shipments"]).select("source_id", "partner_id", "item_id").unique()
    verdict = resolve_eligibility(ds.eligibility, shipped)
    assert verdict.get_column("allowed").all()
    late = [c for c in plan["commitments"] if c["late_unit_months"] > 0]
    assert late, "the sample data has late promises"
    assert all(c["reasons"] and all(isinstance(r, str) and r for r in c["reasons"]) for c in late)

    # what was stored is what was printed, and it passes the independent checker
    run = latest_run(con, "allocate")
    assert run is not None
    assert run["run_id"] == plan["run_id"]
    assert (
        json.loads(run["summary"])["weighted_late_unit_months"] == plan["weighted_late_unit_months"]
    )
    stored = query(con, "plan_shipments_for_run", run_id=plan["run_id"])
    assert stored.height == len(plan["shipments"])
    con.close()


def test_budget_and_readable_summary(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["allocate", "--db", str(db), "--horizon", "24", "--budget", "2e9"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.index("Late promises") < out.index("On time")
    assert "Investment:" in out
    assert "->" in out


def test_failure_keeps_previous_plan(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, first, err = _run(db, capsys, "--json")
    assert code == 0, err
    code, _, err = _run(db, capsys, "--json", "--time-limit", "0.000001")
    assert code == 1
    assert "time limit" in err
    assert "previous plan is kept" in err
    con = connect(db, read_only=True)
    assert latest_run(con, "allocate")["run_id"] == first["run_id"]
    con.close()


def test_tradeoff_on_the_sample(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tradeoff", "--db", str(db), "--horizon", "24", "--points", "5", "--json"])
    assert code == 0
    curve = json.loads(capsys.readouterr().out)
    us = [p["us_unit_months_below_target"] for p in curve["points"]]
    partners = [p["partner_weighted_unit_months_below_floor"] for p in curve["points"]]
    assert len(us) == 5
    assert us[0] == pytest.approx(curve["us_optimum"], abs=1e-3)
    assert partners[-1] == pytest.approx(curve["partner_optimum"], abs=1e-3)
    assert all(x <= y + 1e-6 for x, y in zip(us, us[1:], strict=False))
    assert all(x >= y - 1e-6 for x, y in zip(partners, partners[1:], strict=False))


def test_plan_checker_on_sample(db: Path) -> None:

    con = connect(db, read_only=True)
    ds = read_dataset(con)
    con.close()
    start = default_start(ds)
    plan = allocate(ds, None, start, 12)
    assert check_plan(ds, None, start, 12, plan) == []


def test_a_motor_plant_stand_down_binds_the_sub_tier(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample's camden-motor-shortfall scenario: the motor plant makes nothing in its
    outage, no line makes more than its capacity, missile promises go late naming a motor,
    and the budget buys a motor expansion."""
    scenarios = SAMPLE.parents[1] / "scenarios"
    code = main(
        ["run", "--db", str(db), "--scenarios", str(scenarios)]
        + ["--scenario", "camden-motor-shortfall", "--paths", "20", "--json"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    plan = json.loads(out.out)["allocate"]
    camden = [r for r in plan["production"] if r["source_id"] == "AR_CAMDEN"]
    assert camden
    assert all(r["units"] == 0 for r in camden if "2026-12" <= r["month"] <= "2027-11")
    assert all(r["units"] <= r["capacity"] + 1e-6 for r in plan["production"])
    reasons = [r for c in plan["commitments"] for r in c["reasons"]]
    assert any(r.startswith("MOTOR_") and "from AR_CAMDEN fully used" in r for r in reasons)
    bought = {o["option_id"] for o in plan["investments"] if o["chosen"]}
    assert any("MOTOR" in o for o in bought), bought
    assert "spare_capacity" in [s["name"] for s in plan["stages"]]
