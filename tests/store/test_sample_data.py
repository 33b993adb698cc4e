"""The embedded sample data set: it validates, loads, its status figures match the CSV files,
and it has the breadth the issue asks for."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from store_helpers import SAMPLE, assert_status_matches_csv, cli

from store.contract import FILES, REQUIRED_FILES, SOURCE_KINDS
from store.dataset import default_start, read_dataset
from store.db import connect
from store.validate import validate_path

pytestmark = pytest.mark.skipif(
    not (SAMPLE / "items.csv").exists(), reason="data/sample/items.csv is not written yet"
)


def _rows(name: str) -> list[dict[str, str]]:
    path = SAMPLE / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    assert cli("load", str(SAMPLE), "--db", str(db)) == 0
    return db


def test_every_required_file_is_there() -> None:
    missing = [n for n in REQUIRED_FILES if not (SAMPLE / f"{n}.csv").exists()]
    assert missing == []
    known = {f"{f.name}.csv" for f in FILES}
    assert sorted(p.name for p in SAMPLE.glob("*.csv") if p.name not in known) == []


def test_sample_validates() -> None:
    validated = validate_path(SAMPLE)
    assert validated.row_counts == {f.name: len(_rows(f.name)) for f in FILES}


def test_sample_status_matches_csv(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli("status", "--db", str(sample_db), "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert_status_matches_csv(status, SAMPLE)
    assert status["backlog"], "the sample should have an open backlog"
    assert cli("status", "--db", str(sample_db)) == 0


def test_history_ends_2026_10(sample_db: Path) -> None:
    con = connect(sample_db, read_only=True)
    try:
        assert default_start(read_dataset(con)) == date(2026, 11, 1)
    finally:
        con.close()


def test_breadth() -> None:
    items = _rows("items")
    sources = _rows("sources")
    partners = _rows("partners")
    assert len(items) >= 8
    assert len(sources) >= 8
    assert {s["kind"] for s in sources} == set(SOURCE_KINDS)
    assert len(partners) >= 6
    assert {"UKR", "TWN", "POL", "DEU", "NLD", "JPN"} <= {p["partner_id"] for p in partners}
    assert any(s["stock_holder"] for s in sources if s["kind"] == "us_production")
    assert {"155MM", "GMLRS", "JAVELIN", "STINGER"} <= {i["item_id"] for i in items}


def test_main_holders_have_36_months_of_history() -> None:
    months: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in _rows("consumption"):
        months[r["holder_id"]][r["item_id"]].add(r["month"])
    longest = {h: max(len(m) for m in series.values()) for h, series in months.items()}
    assert longest.get("UKR", 0) >= 36
    us_stock = {s["source_id"] for s in _rows("sources") if s["kind"] == "us_stock"}
    assert max((longest.get(h, 0) for h in us_stock), default=0) >= 36
    assert sum(1 for n in longest.values() if n >= 36) >= 2


def test_the_story_has_its_parts() -> None:
    capacity = defaultdict(list)
    for r in _rows("capacity"):
        capacity[r["source_id"], r["item_id"]].append((r["month"], float(r["units"])))
    ramps = [rows for rows in capacity.values() if len(rows) >= 2]
    assert ramps, "capacity ramps over time"
    assert any(r["allowed"] == "false" for r in _rows("eligibility")), "a route is denied"
    assert {r["priority"] for r in _rows("commitments")} >= {"1", "2"}
    assert _rows("deliveries"), "deliveries so far"
    assert _rows("absorption")
    assert _rows("expansion_options")


def test_sources_md_exists() -> None:
    text = (SAMPLE / "SOURCES.md").read_text(encoding="utf-8")
    assert len(text) > 1000
    assert "assum" in text.lower()
