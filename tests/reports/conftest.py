from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from arsenal.cli import main
from store.db import connect
from store.load import load_dataset

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"
NIGHT_ARGS = ["--horizon", "12", "--paths", "40", "--date", "2026-01-15"]

SCENARIOS = {
    "surge.toml": """name = "surge"
description = "UKR pledge and a GMLRS line outage"
[[commitment]]
action = "add"
id = "UKR-3"
partner = "UKR"
item = "155MM"
quantity = 60000
promised = "2026-04"
priority = 1
[[outage]]
source = "LM_CAMDEN"
from = "2026-03"
until = "2026-08"
""",
    "twn-cut.toml": """name = "twn-cut"
description = "Taiwan receives nothing from 2026-05; budget for options"
budget_usd = 2e9
[[partner_stop]]
partner = "TWN"
from = "2026-05"
""",
}


@dataclass(frozen=True)
class Night:
    db: Path
    out: Path
    scenarios: Path
    folder: Path


def make_db(path: Path, data: Path = TINY) -> Path:
    con = connect(path)
    load_dataset(con, data)
    con.close()
    return path


def write_scenarios(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SCENARIOS.items():
        (folder / name).write_text(text)
    return folder


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
