from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reports_helpers import NIGHT_DATE, Night, make_db, nightly_args, write_scenarios

from arsenal.cli import main


@pytest.fixture(scope="session")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """One nightly run on the tiny data set (baseline and two scenarios), PDF included."""
    root = tmp_path_factory.mktemp("night")
    db = make_db(root / "a.duckdb")
    scenarios = write_scenarios(root / "scenarios")
    out = root / "reports"
    night = Night(db, out, scenarios, out / NIGHT_DATE)
    assert main(nightly_args(night)) == 0
    return night


@pytest.fixture
def night_copy(night: Night, tmp_path: Path) -> Night:
    """A private copy of the night (database and reports) a test may change."""
    db = tmp_path / "a.duckdb"
    shutil.copy(night.db, db)
    out = tmp_path / "reports"
    shutil.copytree(night.out, out)
    return Night(db, out, night.scenarios, out / night.folder.name)
