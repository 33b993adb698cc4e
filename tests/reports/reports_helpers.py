"""Shared pieces of the report tests (imported by name: every test folder has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
