"""Loading: repeatable, atomic, the same from CSV and from a workbook; the CLI's contract
(exit codes, --help, writing nothing on validate); status figures against the CSV files."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from store_helpers import (
    TINY,
    assert_status_matches_csv,
    cli,
    expected_status,
    snapshot,
    write_workbook,
)

import arsenal.commands
from store.contract import FILES
from store.db import connect
from store.load import load_validated
from store.validate import Validated, validate_path

IMPORTED = [f.name for f in FILES]


def _imported(db: Path) -> dict[str, list[tuple]]:
    state = snapshot(db)
    return {name: state[name] for name in IMPORTED}


def _loads(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT load_id, path, content_hash, row_counts FROM loads ORDER BY load_id"
        ).fetchall()
    finally:
        con.close()


def test_loading_twice_keeps_content_and_hash(tmp_path: Path) -> None:
    db = tmp_path / "twice.duckdb"
    assert cli("load", str(TINY), "--db", str(db)) == 0
    first = _imported(db)
    assert cli("load", str(TINY), "--db", str(db)) == 0
    assert _imported(db) == first
    loads = _loads(db)
    assert len(loads) == 2
    (id1, path1, hash1, counts1), (id2, path2, hash2, counts2) = loads
    assert id1 < id2
    assert path1 == path2 == str(TINY.resolve())
    assert hash1 == hash2 == validate_path(TINY).content_hash
    assert json.loads(counts1) == json.loads(counts2)
    assert json.loads(counts1) == expected_status(TINY)["row_counts"]
    assert {n: len(rows) for n, rows in first.items()} == json.loads(counts1)


def test_a_different_data_set_replaces_the_previous_one(tmp_path: Path, tiny: Path) -> None:
    db = tmp_path / "replace.duckdb"
    assert cli("load", str(TINY), "--db", str(db)) == 0
    (tiny / "deliveries.csv").unlink()
    lines = (tiny / "consumption.csv").read_text().splitlines()
    (tiny / "consumption.csv").write_text("\n".join(lines[:3]) + "\n")
    assert cli("load", str(tiny), "--db", str(db)) == 0
    state = _imported(db)
    assert state["deliveries"] == []
    assert len(state["consumption"]) == 2
    hashes = [row[2] for row in _loads(db)]
    assert hashes[0] != hashes[1]


@pytest.mark.parametrize("months_as_dates", [False, True], ids=["months_text", "months_dates"])
def test_workbook_loads_the_same_as_csv(tmp_path: Path, months_as_dates: bool) -> None:
    book = write_workbook(TINY, tmp_path / "tiny.xlsx", months_as_dates=months_as_dates)
    from_csv, from_book = tmp_path / "csv.duckdb", tmp_path / "book.duckdb"
    assert cli("load", str(TINY), "--db", str(from_csv)) == 0
    assert cli("load", str(book), "--db", str(from_book)) == 0
    assert _imported(from_book) == _imported(from_csv)
    assert _loads(from_book)[0][2] == _loads(from_csv)[0][2]


def _broken(name: str) -> Validated:
    """The tiny data set with one frame that the schema's constraints refuse."""
    good = validate_path(TINY)
    tables = good.dataset.tables()
    frame = tables[name]
    if name == "commitments":  # NOT NULL: a commitment without a partner
        frame = frame.with_columns(pl.lit(None, pl.String).alias("partner_id"))
    else:  # PRIMARY KEY: the first row twice
        frame = pl.concat([frame, frame.head(1)])
    return Validated(good.dataset.with_tables(**{name: frame}), "broken", good.row_counts)


@pytest.mark.parametrize("table", ["items", "commitments", "expansion_options"])
def test_a_load_failing_inside_the_transaction_changes_nothing(loaded_db: Path, table: str) -> None:
    """items fails on the first insert, expansion_options on the last: either way every table,
    including the ones already replaced inside the transaction, is as before."""
    before = snapshot(loaded_db)
    con = connect(loaded_db)
    try:
        with pytest.raises(duckdb.ConstraintException):
            load_validated(con, _broken(table), "broken")
        assert con.execute("SELECT count(*) FROM items").fetchone() == (2,)
    finally:
        con.close()
    assert snapshot(loaded_db) == before


def test_validate_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cli("validate", str(TINY), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "valid": True,
        "content_hash": validate_path(TINY).content_hash,
        "row_counts": expected_status(TINY)["row_counts"],
    }
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in TINY.iterdir()) == sorted(f"{f.name}.csv" for f in FILES)


def test_exit_codes(tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "codes.duckdb"
    assert cli("status", "--db", str(db)) == 1  # no database yet: a failure, not a rejection
    assert "no database at" in capsys.readouterr().err
    assert not db.exists()
    assert cli("load", str(TINY), "--db", str(db)) == 0
    (tiny / "items.csv").unlink()
    assert cli("load", str(tiny), "--db", str(db)) == 2
    assert cli("validate", str(tiny)) == 2
    assert cli("status", "--db", str(db)) == 0
    with pytest.raises(SystemExit) as usage:
        cli("load", "--no-such-option")
    assert usage.value.code == 2


COMMANDS = sorted(
    importlib.import_module(f"arsenal.commands.{m.name}").NAME
    for m in pkgutil.iter_modules(arsenal.commands.__path__)
)


@pytest.mark.parametrize("command", [*COMMANDS, None])
def test_help(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as done:
        cli(*argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: arsenal" if command is None else f"usage: arsenal {command}")


def test_foundation_commands_exist() -> None:
    assert {"validate", "load", "status", "format"} <= set(COMMANDS)


def _status_json(db: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert cli("status", "--db", str(db), "--json") == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)


def test_status_json_matches_csv(loaded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = _status_json(loaded_db, capsys)
    assert_status_matches_csv(status, TINY)


def test_status_of_tiny_by_hand(loaded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hand-worked: UKR 155mm 75000 - 30000 + 23000 = 68000 units at $8000; POL GMLRS
    1500 - 100 = 1400 and TWN 200 at $160000; UKR's stock 50000 is below its 100000 target."""
    status = _status_json(loaded_db, capsys)
    backlog = {(b["partner_id"], b["item_id"]): b for b in status["backlog"]}
    assert backlog["UKR", "155MM"]["backlog_units"] == 68_000
    assert backlog["UKR", "155MM"]["open_commitments"] == 2
    assert backlog["POL", "GMLRS"]["backlog_usd"] == 1_400 * 160_000
    assert status["backlog_total"] == {"units": 69_600, "usd": 68_000 * 8_000 + 1_600 * 160_000}
    stocks = {(s["holder_id"], s["item_id"]): s["status"] for s in status["stocks"]}
    assert stocks == {
        ("EU_STOCK", "155MM"): "ok",
        ("UKR", "155MM"): "below target",
        ("US_DEPOT", "155MM"): "below target",
        ("US_DEPOT", "GMLRS"): "ok",
    }


def test_status_takes_the_latest_count_and_flags_a_floor_breach(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open(tiny / "stockpiles.csv", "a", encoding="utf-8") as f:
        f.write("US_DEPOT,GMLRS,2026-03-31,14000,15000,,\n")  # later, below the floor
        f.write("EU_STOCK,155MM,2024-06-30,10,150000,,\n")  # earlier: ignored
    # a delivery that closes POL-1 removes it from the backlog
    with open(tiny / "deliveries.csv", "a", encoding="utf-8") as f:
        f.write("POL-1,LM_CAMDEN,2026-01,1400\n")
    db = tmp_path / "latest.duckdb"
    assert cli("load", str(tiny), "--db", str(db)) == 0
    status = _status_json(db, capsys)
    assert_status_matches_csv(status, tiny)
    stocks = {(s["holder_id"], s["item_id"]): s for s in status["stocks"]}
    assert stocks["US_DEPOT", "GMLRS"]["status"] == "below floor"
    assert stocks["US_DEPOT", "GMLRS"]["above_floor_units"] == -1000
    assert stocks["EU_STOCK", "155MM"]["units"] == 200_000
    assert ("POL", "GMLRS") not in {(b["partner_id"], b["item_id"]) for b in status["backlog"]}


def test_status_before_any_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    status = _status_json(db, capsys)
    assert status == {
        "load": None,
        "overdue": [],
        "backlog": [],
        "backlog_total": {"units": 0, "usd": 0},
        "stocks": [],
    }
    assert cli("status", "--db", str(db)) == 0
    assert "nothing loaded yet" in capsys.readouterr().out


def test_status_text(loaded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli("status", "--db", str(loaded_db)) == 0
    out = capsys.readouterr().out
    assert "Backlog: 69,600 units, $800.0M" in out
    assert "below target" in out
