"""``arsenal remedies`` on the tiny data: each remedy's effect is what the what-if gives for
its scenario, and the lead-time remedy for a promise late only by its route's month is exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arsenal.cli import main
from pipeline.whatif import run_whatif

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"


def test_remedies_json_effects_are_the_whatifs_and_an_unknown_promise_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "tiny.duckdb"
    folder = tmp_path / "scenarios"
    folder.mkdir()
    assert main(["load", str(TINY), "--db", str(db)]) == 0
    assert main(["run", "--db", str(db)]) == 0
    capsys.readouterr()
    args = ["remedies", "UKR-1", "--db", str(db), "--scenarios", str(folder), "--json"]
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)
    assert {r["kind"] for r in found} >= {"lead_time"}
    for r in found:
        result = run_whatif(str(db), r["doc"], folder)
        mine = next(c for c in result["commitments"] if c["commitment_id"] == "UKR-1")
        assert (r["late_before"], r["late_after"]) == (
            mine["late_unit_months_a"],
            mine["late_unit_months_b"],
        ), r["what"]
        assert r["became_late"] == result["became_late"]
    # UKR-1 is due in the first month and every route to Ukraine takes a month: with no lead
    # time, its 45,000 owed arrive at once (a hand check of the first remedy)
    first = found[0]
    assert first["kind"] == "lead_time"
    assert first["doc"]["route"][0]["lead_time_months"] == 0
    assert first["late_after"] == pytest.approx(0.0, abs=1e-6)
    assert first["late_before"] > 0

    assert main(["remedies", "NOPE", "--db", str(db), "--scenarios", str(folder)]) == 2
    assert "no promise 'NOPE' in the baseline plan" in capsys.readouterr().err
