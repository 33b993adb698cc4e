"""Shared pieces of the report tests (imported by name: every test folder has a conftest)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from store.db import connect
from store.load import load_dataset

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny"
NIGHT_DATE = "2026-01-15"
# the tiny nights run on a worker thread in the night's own process: with worker processes,
# their start-up and imports are most of a tiny night (27 s against 11 s measured); the
# sample nights (test_reports_sample*) keep the worker processes
NIGHT_ARGS = ["--horizon", "12", "--paths", "40", "--workers", "0", "--date", NIGHT_DATE]

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


def nightly_args(night: Night, *extra: str, day: str = NIGHT_DATE) -> list[str]:
    """The arguments of ``arsenal nightly`` over ``night``'s database, folder and scenarios,
    for the night of ``day`` (the fixture's night by default), with ``extra`` options."""
    args = [day if a == NIGHT_DATE else a for a in NIGHT_ARGS]
    return [
        "nightly",
        "--db",
        str(night.db),
        "--out",
        str(night.out),
        "--scenarios",
        str(night.scenarios),
        *extra,
        *args,
    ]


def nightly_command(night: Night, *extra: str, day: str = NIGHT_DATE) -> list[str]:
    """``arsenal nightly`` as a child process's command line (see ``nightly_args``)."""
    return [sys.executable, "-m", "arsenal.cli", *nightly_args(night, *extra, day=day)]


def run_nightly(night: Night, *extra: str, day: str = NIGHT_DATE) -> subprocess.CompletedProcess:
    """Run ``arsenal nightly`` in a child process to its end; asserts it exits 0."""
    done = subprocess.run(
        nightly_command(night, *extra, day=day),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def db_rows(db: Path) -> dict[str, list]:
    """The rows of the tables a night writes, in a comparable order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = ["runs", "plan_commitments", "plan_shipments", "stock_outlook", "demand_forecast"]
        return {t: sorted(con.sql(f"SELECT * FROM {t}").fetchall(), key=str) for t in tables}
    finally:
        con.close()


def _cell_equal(book_value: object, text: str) -> bool:
    if book_value == "" or book_value is None:
        return text == ""
    if isinstance(book_value, bool):
        return text == str(book_value).lower()
    if isinstance(book_value, int | float):
        return text != "" and float(text) == pytest.approx(float(book_value), rel=1e-12, abs=1e-12)
    return str(book_value) == text


def workbook_rows(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of the workbook at ``path`` as read by python-calamine (header first)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
    }


def assert_workbook_equals_csv(path: Path, folder: Path, sheets: Iterable[str]) -> None:
    """The workbook at ``path`` opens, holds exactly ``sheets`` in order, and each sheet equals
    ``folder/<sheet>.csv`` cell by cell (numbers as numbers, empty cells as empty text)."""
    book = workbook_rows(path)
    assert list(book) == list(sheets)
    for name, sheet in book.items():
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert sheet[0] == rows[0], name
        assert len(sheet) == len(rows), name
        for got, want in zip(sheet[1:], rows[1:], strict=True):
            got = list(got) + [""] * (len(want) - len(got))
            assert all(_cell_equal(g, w) for g, w in zip(got, want, strict=True)), (name, got, want)
