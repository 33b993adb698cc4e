"""``arsenal simulate`` through the real CLI, a real DuckDB file and a local Dask cluster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from arsenal.cli import main
from store.db import connect
from store.sql import query

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"

RULES = """target,item_id,kind,distribution,low,mode,high
US_PLANT,155MM,capacity_factor,triangular,0.3,0.8,1.0
*,*,lead_time_extra_months,uniform_int,0,,2
LM_CAMDEN,GMLRS,outage_probability,fixed,0.2,,
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("tiny")
    for f in TINY.iterdir():
        shutil.copy(f, folder / f.name)
    (folder / "uncertainty.csv").write_text(RULES)
    path = str(folder / "arsenal.duckdb")
    assert main(["load", str(folder), "--db", path]) == 0
    assert main(["run", "--db", path, "--paths", "50"]) == 0
    return path


def test_simulate_json_is_what_is_stored(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["simulate", "--db", db, "--samples", "60", "--seed", "4", "--workers", "2", "--json"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "run_id",
        "samples",
        "seed",
        "mode",
        "wall_seconds",
        "commitments",
        "pools",
        "lines",
    }
    assert (out["samples"], out["seed"], out["mode"]) == (60, 4, "replan")
    com = out["commitments"]
    assert {c["commitment_id"] for c in com} <= {"UKR-1", "UKR-2", "POL-1", "TWN-1"}
    for c in com:
        assert set(c) == {
            "commitment_id",
            "partner_id",
            "item_id",
            "promised_month",
            "p_on_time",
            "p_on_time_se",
            "completion_p10",
            "completion_p50",
            "completion_p90",
            "expected_late_unit_months",
        }
        assert 0.0 <= c["p_on_time"] <= 1.0
        p = c["p_on_time"]
        assert c["p_on_time_se"] == pytest.approx((p * (1 - p) / 60) ** 0.5)
    for pool in out["pools"]:
        assert set(pool["breach_probability"]) == {"3", "6", "12"}
    con = connect(db, read_only=True)
    try:
        stored = query(con, "simulation_commitments_for_run", run_id=out["run_id"])
        lines = query(con, "simulation_lines_for_run", run_id=out["run_id"])
    finally:
        con.close()
    by_id = {c["commitment_id"]: c for c in com}
    assert stored.height == len(com)
    for row in stored.iter_rows(named=True):
        assert row["p_on_time"] == by_id[row["commitment_id"]]["p_on_time"]
    assert set(lines.get_column("source_id")) <= {"US_PLANT", "LM_CAMDEN"}
    assert lines.filter(pl.col("source_id") == "US_PLANT").height == 1


def test_same_seed_same_answer_and_fixed_mode_runs(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = []
    for mode, workers in (("replan", "1"), ("replan", "2"), ("fixed", "2")):
        args = ["simulate", "--db", db, "--samples", "30", "--mode", mode, "--seed", "9"]
        assert main([*args, "--criticality-samples", "0", "--workers", workers, "--json"]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["commitments"] == runs[1]["commitments"]
    assert runs[0]["pools"] == runs[1]["pools"]
    assert runs[2]["mode"] == "fixed"
    assert {c["commitment_id"] for c in runs[2]["commitments"]} == {
        c["commitment_id"] for c in runs[0]["commitments"]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "0"], "must be at least 1"),
        (["--scheduler", "localhost:8786"], "give a Dask scheduler address"),
        (["--tolerance", "0.7"], "below 0.5"),
        (["--mode", "sometimes"], "invalid choice"),
    ],
)
def test_bad_arguments_say_why(
    db: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--db", db, *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--samples", "--mode", "--tolerance", "--scheduler", "--workers"):
        assert flag in text


def test_demand_paths_depend_only_on_seed_and_index(db: str) -> None:
    from forecast.projection import PATH_CHUNK, consumption_paths
    from store.dataset import read_dataset
    from store.runs import latest_run

    con = connect(db, read_only=True)
    try:
        dataset = read_dataset(con)
        run = latest_run(con, "forecast")
        models = query(
            con, "demand_models_for_run", run_id=run["run_id"], holder_id=None, item_id=None
        )
    finally:
        con.close()
    start, horizon = run["start_month"], 12
    few = consumption_paths(dataset, models, start, horizon, 30, seed=5)
    many = consumption_paths(dataset, models, start, horizon, PATH_CHUNK + 40, seed=5)
    other = consumption_paths(dataset, models, start, horizon, 30, seed=6)
    assert few
    assert set(few) == set(many)
    for key, paths in few.items():
        assert paths.shape == (30, horizon)
        assert (paths == many[key][:30]).all()
        assert (paths >= 0).all()
    assert any((few[k] != other[k]).any() for k in few)


def test_sampler_takes_each_future_consumption_from_its_path() -> None:
    import numpy as np
    from optimize_helpers import make_dataset
    from test_optimize_resolve import H, demand, model_of, tables

    from pipeline.simulation import sampler_for

    model = model_of(make_dataset(**tables()), demand())
    rng = np.random.default_rng(0)
    paths = {
        ("DEPOT", "SHELL"): rng.uniform(0, 50, (8, H)),
        ("UKR", "SHELL"): rng.uniform(0, 9, (8, H)),
    }
    rules = pl.DataFrame(
        {"target": ["UKR"], "item_id": ["*"], "kind": ["demand_factor"], "distribution": ["fixed"],
         "low": [2.0], "mode": [None], "high": [None]},
        schema_overrides={"mode": pl.Float64, "high": pl.Float64},
    )  # fmt: skip
    sampler = sampler_for(model, rules, 1, paths)
    depot = model.data.pools.filter(pl.col("holder_id") == "DEPOT").get_column("pool").item()
    ukr = model.data.partner_pools.filter(pl.col("holder_id") == "UKR").get_column("q").item()
    for i in (0, 5, 7):
        future = sampler.draw(i).future
        assert (future.consumption[depot] == paths[("DEPOT", "SHELL")][i]).all()
        assert np.allclose(future.partner_consumption[ukr], 2.0 * paths[("UKR", "SHELL")][i])
