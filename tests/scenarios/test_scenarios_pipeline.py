"""`arsenal run`: the three stages under one run id, all results in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from arsenal.cli import main
from store.db import connect
from store.load import load_dataset
from store.runs import RESULT_TABLES

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "a.duckdb"
    con = connect(path)
    load_dataset(con, TINY)
    con.close()
    folder = path.parent / "scenarios"
    folder.mkdir()
    (folder / "cut.toml").write_text(
        'name = "cut"\ndescription = "TWN gets nothing from 2026-05"\n'
        '[[partner_stop]]\npartner = "TWN"\nfrom = "2026-05"\n'
    )
    return path, folder


def test_run_stores_every_stage_under_one_id_and_prints_the_stage_shapes(db, capsys):
    path, _ = db
    assert main(["run", "--db", str(path), "--horizon", "12", "--paths", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"run_id", "forecast", "allocate", "project"} <= set(out)
    assert set(out["forecast"]) == {"run_id", "start", "horizon", "series"}
    assert {"status", "weighted_late_unit_months", "commitments", "shipments"} <= set(
        out["allocate"]
    )
    assert set(out["project"]) == {"run_id", "start", "horizon", "stocks"}
    run_id = out["run_id"]
    assert (
        out["forecast"]["run_id"] == out["allocate"]["run_id"] == out["project"]["run_id"] == run_id
    )
    con = duckdb.connect(str(path), read_only=True)
    ((kind, scenario, status),) = con.sql(
        "SELECT kind, scenario, status FROM runs WHERE run_id = ?", params=[run_id]
    ).fetchall()
    assert (kind, scenario, status) == ("pipeline", "baseline", "ok")
    for table in set(RESULT_TABLES) - {"plan_investments"}:
        n = con.sql(f"SELECT count(*) FROM {table} WHERE run_id = ?", params=[run_id]).fetchall()[
            0
        ][0]
        assert n > 0, table
    con.close()


def test_a_later_partner_stop_holds_arrivals_from_that_month(db, capsys):
    path, folder = db
    assert main(["run", "--db", str(path), "--horizon", "12", "--paths", "30", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "run",
                "--db",
                str(path),
                "--horizon",
                "12",
                "--paths",
                "30",
                "--json",
                "--scenario",
                "cut",
                "--scenarios",
                str(folder),
            ]
        )
        == 0
    )
    cut = json.loads(capsys.readouterr().out)

    def twn_arrivals(out):
        return [
            s["arrival_month"] for s in out["allocate"]["shipments"] if s["partner_id"] == "TWN"
        ]

    assert any(m >= "2026-05" for m in twn_arrivals(base)), "the test needs TWN arrivals to cut"
    assert all(m < "2026-05" for m in twn_arrivals(cut))
    late = {c["commitment_id"]: c["late_unit_months"] for c in cut["allocate"]["commitments"]}
    assert late["TWN-1"] > 0
    assert cut["scenario"] == "cut"


def test_a_rejected_scenario_writes_nothing(db, tmp_path, capsys):
    path, _ = db
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.toml").write_text(
        'name = "x"\ndescription = "d"\n[[demand]]\nholder = "ZZZ"\nitem = "155MM"\nfrom = "2026-01"\nmultiply = 2\n'
    )
    con = duckdb.connect(str(path), read_only=True)
    before = con.sql("SELECT count(*) FROM runs").fetchall()
    con.close()
    assert main(["run", "--db", str(path), "--scenario", "x", "--scenarios", str(bad)]) == 2
    assert "demand.holder" in capsys.readouterr().err
    con = duckdb.connect(str(path), read_only=True)
    assert con.sql("SELECT count(*) FROM runs").fetchall() == before
    con.close()
