from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reports_helpers import NIGHT_ARGS, Night, make_db, write_scenarios

from arsenal.cli import main


@pytest.fixture(scope="session")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """One nightly run on the tiny data set (baseline and two scenarios), PDF included."""
    root = tmp_path_factory.mktemp("night")
    db = make_db(root / "a.duckdb")
    scenarios = write_scenarios(root / "scenarios")
    out = root / "reports"
    code = main(
        ["nightly", "--db", str(db), "--out", str(out), "--scenarios", str(scenarios), *NIGHT_ARGS]
    )
    assert code == 0
    return Night(db, out, scenarios, out / "2026-01-15")


@pytest.fixture
def night_copy(night: Night, tmp_path: Path) -> Night:
    """A private copy of the night (database and reports) a test may change."""
    db = tmp_path / "a.duckdb"
    shutil.copy(night.db, db)
    out = tmp_path / "reports"
    shutil.copytree(night.out, out)
    return Night(db, out, night.scenarios, out / night.folder.name)
