"""A what-if's promise odds (``pipeline.whatif_odds``) on the tiny data set, a real DuckDB file
and a local Dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arsenal.cli import main
from pipeline.whatif_odds import whatif_odds

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"
RULES = """target,item_id,kind,distribution,low,mode,high
US_PLANT,155MM,capacity_factor,triangular,0.3,0.8,1.0
*,*,lead_time_extra_months,uniform_int,0,,2
"""


def _db(folder: Path, rules: str | None) -> str:
    data = folder / "data"
    shutil.copytree(TINY, data)
    if rules is not None:
        (data / "uncertainty.csv").write_text(rules)
    path = str(folder / "arsenal.duckdb")
    assert main(["load", str(data), "--db", path]) == 0
    assert main(["run", "--db", path, "--paths", "50"]) == 0
    return path


def test_a_whatif_that_changes_nothing_changes_no_promises_odds(tmp_path: Path) -> None:
    """With no stored simulation the baseline is simulated too, with the same seed: future i
    of both is the same future, so a what-if without changes moves no probability at all."""
    db = _db(tmp_path, RULES)
    seen: list[tuple[str, int, int]] = []
    doc = {"name": "nothing", "description": "no change", "base": "baseline"}
    result = whatif_odds(
        db, doc, tmp_path, samples=12, workers=1, progress=lambda *a: seen.append(a)
    )
    assert result["baseline_run"] is None
    assert (result["samples"], result["seed"], result["mode"]) == (12, 0, "replan")
    rows = result["commitments"]
    assert rows
    assert [r["p_on_time_a"] for r in rows] == [r["p_on_time_b"] for r in rows]
    assert {r["difference"] for r in rows} == {0.0}
    assert result["changed"] == 0
    assert result["expected_on_time_a"] == result["expected_on_time_b"]
    # progress counts up over both simulations and ends at the total
    done = [d for _, d, _ in seen]
    assert done == sorted(done)
    assert seen[-1][1:] == (24, 24)
    assert {t for _, _, t in seen} == {24}
    assert any(stage.startswith("simulating nothing") for stage, _, _ in seen)


def test_data_without_uncertainty_rules_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path, None)
    doc = {"name": "x", "description": "x", "base": "baseline"}
    with pytest.raises(ValueError, match="no uncertainty rules"):
        whatif_odds(db, doc, tmp_path, samples=5, workers=1)
