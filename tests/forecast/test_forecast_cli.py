"""The sample data set through the CLI: load, forecast, project; the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arsenal.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "arsenal.duckdb")
    assert main(["load", str(SAMPLE), "--db", path]) == 0
    return path


def test_forecast_json_shape(db: str, capsys) -> None:
    assert main(["forecast", "--db", db, "--horizon", "12", "--json", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"run_id", "start", "horizon", "series"}
    assert out["start"] == "2026-11"
    assert out["horizon"] == 12
    assert out["series"]
    for s in out["series"]:
        assert set(s) == {"holder_id", "item_id", "model", "backtest", "forecast"}
        assert set(s["backtest"]) == {"mase", "coverage_80"}
        assert len(s["forecast"]) == 12
        assert s["forecast"][0]["month"] == "2026-11"
        for f in s["forecast"]:
            assert set(f) == {"month", "mean", "p10", "p50", "p90"}
            assert 0 <= f["p10"] <= f["p50"] <= f["p90"]
            assert f["mean"] >= 0

    # a second night on unchanged data reuses every series and gives the same numbers
    assert main(["forecast", "--db", db, "--horizon", "12", "--json", "--workers", "1"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["run_id"] != out["run_id"]
    assert again["series"] == out["series"]


def test_project_json_shape(db: str, capsys) -> None:
    args = ["project", "--db", db, "--horizon", "12", "--paths", "200", "--seed", "5", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"run_id", "start", "horizon", "stocks"}
    assert out["start"] == "2026-11"
    assert out["stocks"]
    for s in out["stocks"]:
        assert set(s) == {
            "holder_id",
            "item_id",
            "floor_breach_month",
            "target_reached_month",
            "breach_probability",
            "path",
        }
        assert (
            set(s["floor_breach_month"]) == set(s["target_reached_month"]) == {"p10", "p50", "p90"}
        )
        assert set(s["breach_probability"]) == {"3", "6", "12"}
        p = s["breach_probability"]
        assert 0 <= p["3"] <= p["6"] <= p["12"] <= 1
        assert len(s["path"]) == 12
        assert all(0 <= m["p10"] <= m["p50"] <= m["p90"] for m in s["path"])
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["stocks"] == out["stocks"]  # same seed, same result


def test_project_without_forecast_runs_it_first(tmp_path, capsys) -> None:
    path = str(tmp_path / "a.duckdb")
    assert main(["load", str(SAMPLE), "--db", path]) == 0
    assert (
        main(
            [
                "project",
                "--db",
                path,
                "--start",
                "2026-06",
                "--horizon",
                "6",
                "--paths",
                "50",
                "--workers",
                "1",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["start"] == "2026-06"
    assert len(out["stocks"][0]["path"]) == 6
