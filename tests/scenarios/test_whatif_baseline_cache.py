"""The what-if reads what the baseline was computed from once per version of the database
file: the same file gives the same inputs, and any write (a run, a load) is seen at once."""

from __future__ import annotations

import shutil
from pathlib import Path

from arsenal.cli import main
from pipeline.whatif import read_baseline_inputs, run_whatif

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"
DOC = {"name": "half", "description": "a line at half", "base": "baseline"}


def test_a_run_or_a_load_is_seen_by_the_next_whatif(tmp_path: Path) -> None:
    db = str(tmp_path / "a.duckdb")
    assert main(["load", str(TINY), "--db", db, "--by", "t"]) == 0
    assert main(["run", "--db", db, "--paths", "50"]) == 0
    first = read_baseline_inputs(db)
    assert read_baseline_inputs(db) is first  # unchanged file: read once
    before = run_whatif(db, DOC, tmp_path)
    assert before["baseline_run"] == first.allocate_run["run_id"]

    assert main(["run", "--db", db, "--paths", "50"]) == 0
    after_run = read_baseline_inputs(db)
    assert after_run is not first
    assert after_run.allocate_run["run_id"] != first.allocate_run["run_id"]
    assert run_whatif(db, DOC, tmp_path)["baseline_run"] == after_run.allocate_run["run_id"]

    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    capacity = (data / "capacity.csv").read_text().splitlines()
    header, rows = capacity[0], capacity[1:]
    (data / "capacity.csv").write_text("\n".join([header, *rows[:-1]]) + "\n")
    assert main(["load", str(data), "--db", db, "--by", "t"]) == 0
    after_load = read_baseline_inputs(db)
    assert after_load.dataset.capacity.height == first.dataset.capacity.height - 1
