"""Firmed rows through the real commands: recorded by ``arsenal firm``, held by ``arsenal run``
and the nightly run, reported (never dropped) when the data can no longer keep them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from arsenal.cli import main
from pipeline.exceptions import read_exceptions
from pipeline.reference import plan_shipments
from store.db import connect
from store.runs import latest_run
from store.state import open_state

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"
PROMISE, SOURCE, PARTNER, ITEM = "POL-1", "LM_CAMDEN", "POL", "GMLRS"


def _plan(db: Path) -> tuple[dict, pl.DataFrame]:
    con = connect(db, read_only=True)
    try:
        run = latest_run(con, "allocate")
        return run, plan_shipments(con, run["run_id"])
    finally:
        con.close()


def _shipped(ships: pl.DataFrame, month: str) -> float:
    return float(
        ships.filter(
            (pl.col("commitment_id") == PROMISE)
            & (pl.col("source_id") == SOURCE)
            & (pl.col("month").dt.strftime("%Y-%m") == month)
        )
        .get_column("units")
        .sum()
    )


def _plan_summary(run: dict) -> dict:
    """The plan's part of a run's stored summary (a pipeline run nests it under 'allocate')."""
    raw = run["summary"]
    summary = json.loads(raw) if isinstance(raw, str) else raw
    return summary.get("allocate", summary)


def _worklist(db: Path, run: dict) -> tuple[list, pl.DataFrame]:
    """The firmed rows in force and the stored plan's exceptions (the worklist's rows)."""
    state = open_state(db)
    try:
        rows = state.read_firmed()
    finally:
        state.close()
    con = connect(db, read_only=True)
    try:
        return rows, read_exceptions(con, run, None, rows)
    finally:
        con.close()


def test_a_firmed_shipment_holds_in_every_later_plan_and_one_that_cannot_be_kept_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "tiny.duckdb"
    assert main(["load", str(TINY), "--db", str(db)]) == 0
    assert main(["run", "--db", str(db)]) == 0
    run, ships = _plan(db)
    start = run["start_month"]
    # the first month the free plan ships nothing from the line for the promise
    planned = {
        m.strftime("%Y-%m") for m in ships.filter(pl.col("commitment_id") == PROMISE)["month"]
    }
    months = [
        f"{start.year + (start.month - 1 + k) // 12}-{(start.month - 1 + k) % 12 + 1:02d}"
        for k in range(6)
    ]
    month = next(m for m in months if m not in planned)
    assert _shipped(ships, month) == 0.0
    firm = ["firm", "shipment", "--db", str(db), "--who", "alice", "--source", SOURCE]
    firm += ["--partner", PARTNER, "--item", ITEM, "--promise", PROMISE]
    assert main([*firm, "--month", month, "--units", "300"]) == 0

    # a re-plan keeps it
    assert main(["run", "--db", str(db)]) == 0
    run, ships = _plan(db)
    assert _shipped(ships, month) == pytest.approx(300, abs=1e-6)
    assert _plan_summary(run)["firmed"] == {"rows": 1, "not_honoured": 0, "missing_units": 0.0}

    # so does the nightly run's baseline
    out, none = tmp_path / "reports", tmp_path / "no-scenarios"
    none.mkdir()
    night = ["nightly", "--db", str(db), "--out", str(out), "--scenarios", str(none)]
    night += ["--no-pdf", "--workers", "0"]
    night += [
        "--horizon",
        "12",
        "--paths",
        "20",
        "--promise-samples",
        "0",
        "--tradeoff-points",
        "0",
    ]
    assert main(night) == 0
    run, ships = _plan(db)
    assert run["run_id"].startswith("pipeline")
    assert _shipped(ships, month) == pytest.approx(300, abs=1e-6)

    # more than the line can make and the promise is owed: the plan is still made, the first
    # row still holds, and the shortfall is on the worklist
    assert main([*firm, "--month", months[1], "--units", "100000"]) == 0
    capsys.readouterr()
    assert main(["run", "--db", str(db)]) == 0
    assert "1 not (" in capsys.readouterr().err
    run, ships = _plan(db)
    assert _shipped(ships, month) == pytest.approx(300, abs=1e-6)
    firmed = _plan_summary(run)["firmed"]
    assert (firmed["rows"], firmed["not_honoured"]) == (2, 1)
    rows, found = _worklist(db, run)
    state = open_state(db)
    try:
        big = next(r for r in rows if r.units == 100000)
        missing = found.filter(pl.col("exception_key") == f"firm_not_honoured|{big.id}")
        assert missing.height == 1
        assert missing.get_column("units").item() == pytest.approx(
            100000 - _shipped(ships, months[1]), abs=1e-3
        )
        assert firmed["missing_units"] == pytest.approx(
            missing.get_column("units").item(), abs=1e-3
        )
        trail = state.read_audit_trail("firmed", str(big.id))
        assert [(e.who, e.action) for e in trail] == [("alice", "firmed.shipment")]
    finally:
        state.close()

    # released rows bind no more
    for r in rows:
        assert main(["firm", "release", str(r.id), "--db", str(db), "--who", "bob"]) == 0
    assert main(["run", "--db", str(db)]) == 0
    run, _ = _plan(db)
    assert "firmed" not in _plan_summary(run)
    assert _plan_summary(run)["stages"][0]["name"] == "lateness"


def test_a_firmed_row_that_does_not_fit_the_data_is_refused_and_nothing_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "tiny.duckdb"
    assert main(["load", str(TINY), "--db", str(db)]) == 0
    capsys.readouterr()
    bad = ["firm", "shipment", "--db", str(db), "--source", "NOWHERE", "--partner", PARTNER]
    bad += ["--item", "155MM", "--promise", PROMISE, "--month", "2026-3", "--units", "5"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "column source_id: value 'NOWHERE': no such source in the data" in err
    assert "column month: value '2026-3': must be a month written YYYY-MM" in err
    assert "the promise is for item GMLRS, not 155MM" in err
    assert main(["firm", "pin", "--db", str(db), "--promise", "NOPE", "--month", "2026-05"]) == 2
    assert "no such promise in the data" in capsys.readouterr().err
    state = open_state(db)
    try:
        assert state.read_firmed(include_released=True) == []
    finally:
        state.close()


def test_a_completion_pinned_before_the_plan_counts_from_its_first_month_in_plan_and_worklist(
    tmp_path: Path,
) -> None:
    """Pinned to a month already past, a completion is due in the plan's first month (as a
    past due month is). With a route of no lead time and the depot's stock above its floor,
    the plan completes it then: the pin is kept, and the worklist agrees (it judged the pin by
    the past month itself, where nothing can have arrived, and listed it as broken)."""
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    with (data / "eligibility.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"*,{PARTNER},{ITEM},true,0,direct route\n")
    db = tmp_path / "tiny.duckdb"
    assert main(["load", str(data), "--db", str(db)]) == 0
    assert main(["firm", "pin", "--db", str(db), "--promise", PROMISE, "--month", "2020-01"]) == 0
    assert main(["run", "--db", str(db)]) == 0
    run, ships = _plan(db)
    first = run["start_month"]
    arrived = float(
        ships.filter((pl.col("commitment_id") == PROMISE) & (pl.col("arrival_month") <= first))
        .get_column("units")
        .sum()
    )
    _, found = _worklist(db, run)
    con = connect(db, read_only=True)
    try:
        backlog = con.execute(
            "SELECT backlog_units FROM plan_commitments WHERE run_id = ? AND commitment_id = ?",
            [run["run_id"], PROMISE],
        ).fetchone()[0]
    finally:
        con.close()
    assert arrived == pytest.approx(backlog)  # complete in the first month
    assert _plan_summary(run)["firmed"] == {"rows": 1, "not_honoured": 0, "missing_units": 0.0}
    assert found.filter(pl.col("kind") == "firm_not_honoured").height == 0
