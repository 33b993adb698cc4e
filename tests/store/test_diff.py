"""Each load keeps its rows; two loads compare row by row (``arsenal diff``); the loads
table and the audit trail say who loaded what; old loads' rows are dropped past --keep-loads."""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from store_helpers import TINY, append_line, cli, read_rows, set_cell, write_rows

from store.state import open_state


def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(TINY, folder)
    return folder


@pytest.fixture
def two_loads(tmp_path: Path) -> Path:
    """Load the tiny data (by alice), then an edited copy (by bob): one capacity rate and
    one promise changed, a capacity row and a delivery added, a stock count and an
    eligibility rule removed."""
    db = tmp_path / "d.duckdb"
    assert cli("load", str(TINY), "--db", str(db), "--by", "alice") == 0
    b = _copy(tmp_path, "b")
    set_cell(b, "capacity", 3, "units", "30000")  # US_PLANT 155MM 2026-01: 40000 -> 30000
    append_line(b, "capacity", "US_PLANT,155MM,2026-07,45000")
    set_cell(b, "commitments", 5, "quantity", "9000")  # TWN-1: 200 -> 9000
    set_cell(b, "commitments", 5, "promised_month", "2026-09")
    append_line(b, "deliveries", "POL-1,LM_CAMDEN,2026-01,100")
    stock = read_rows(b, "stockpiles")
    write_rows(b, "stockpiles", [r for r in stock if r[0] != "EU_STOCK"])
    rules = read_rows(b, "eligibility")
    write_rows(b, "eligibility", [r for r in rules if r[0] != "EU_STOCK"])
    assert cli("load", str(b), "--db", str(db), "--by", "bob") == 0
    return db


def test_diff_of_two_hand_built_loads_gives_the_exact_row_changes(two_loads: Path, capsys):
    capsys.readouterr()
    assert cli("diff", "--db", str(two_loads), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["a"]["load_id"], out["b"]["load_id"]) == (1, 2)
    assert (out["a"]["loaded_by"], out["b"]["loaded_by"]) == ("alice", "bob")
    assert out["counts"] == {
        "capacity": {"added": 1, "removed": 0, "changed": 1},
        "stockpiles": {"added": 0, "removed": 1, "changed": 0},
        "commitments": {"added": 0, "removed": 0, "changed": 1},
        "deliveries": {"added": 1, "removed": 0, "changed": 0},
        "eligibility": {"added": 0, "removed": 1, "changed": 0},
    }
    t = out["tables"]
    assert t["capacity"]["changed"] == [
        {
            "key": {"source_id": "US_PLANT", "item_id": "155MM", "month": "2026-01-01"},
            "fields": {"units": {"before": 40000.0, "after": 30000.0}},
        }
    ]
    assert t["capacity"]["added"] == [
        {"source_id": "US_PLANT", "item_id": "155MM", "month": "2026-07-01", "units": 45000.0}
    ]
    assert t["commitments"]["changed"] == [
        {
            "key": {"commitment_id": "TWN-1"},
            "fields": {
                "quantity": {"before": 200.0, "after": 9000.0},
                "promised_month": {"before": "2026-06-01", "after": "2026-09-01"},
            },
        }
    ]
    assert t["deliveries"]["added"] == [
        {"commitment_id": "POL-1", "source_id": "LM_CAMDEN", "month": "2026-01-01", "units": 100.0}
    ]
    assert [r["holder_id"] for r in t["stockpiles"]["removed"]] == ["EU_STOCK"]
    assert t["eligibility"]["removed"] == [
        {
            "source_id": "EU_STOCK",
            "partner_id": "TWN",
            "item_id": "*",
            "allowed": False,
            "lead_time_months": 0,
            "reason": "export control: not releasable",
        }
    ]
    assert t["items"] == {"added": [], "removed": [], "changed": []}
    # the same two loads named explicitly, and in text
    assert cli("diff", "1", "2", "--db", str(two_loads), "--json") == 0
    assert json.loads(capsys.readouterr().out) == out
    assert cli("diff", "--db", str(two_loads)) == 0
    text = capsys.readouterr().out
    assert "US_PLANT capacity of 155MM from 2026-01: 40,000 -> 30,000" in text
    assert "promise TWN-1: quantity 200 -> 9,000; promised month 2026-06 -> 2026-09" in text
    # backwards: what was added is removed
    assert cli("diff", "2", "1", "--db", str(two_loads), "--json") == 0
    back = json.loads(capsys.readouterr().out)
    assert back["tables"]["capacity"]["removed"] == t["capacity"]["added"]


def test_a_load_of_the_same_data_differs_in_nothing_and_repeated_rows_pair_up(
    tmp_path: Path, capsys
):
    db = tmp_path / "same.duckdb"
    a = _copy(tmp_path, "a")
    append_line(a, "deliveries", "POL-1,LM_CAMDEN,2025-12,100")  # the same delivery twice
    assert cli("load", str(a), "--db", str(db)) == 0
    assert cli("load", str(a), "--db", str(db)) == 0
    capsys.readouterr()
    assert cli("diff", "--db", str(db), "--json") == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True
    append_line(a, "deliveries", "POL-1,LM_CAMDEN,2025-12,100")  # a third copy
    assert cli("load", str(a), "--db", str(db)) == 0
    assert cli("diff", "--db", str(db), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"deliveries": {"added": 1, "removed": 0, "changed": 0}}


def test_loads_record_who_ran_them_in_the_loads_table_and_the_audit_trail(two_loads: Path):
    assert cli("load", str(TINY), "--db", str(two_loads)) == 0  # no --by: the OS user
    con = duckdb.connect(str(two_loads), read_only=True)
    rows = con.execute("SELECT load_id, loaded_by FROM loads ORDER BY load_id").fetchall()
    con.close()
    assert rows == [(1, "alice"), (2, "bob"), (3, getpass.getuser())]
    state = open_state(two_loads)
    try:
        audit = [e for e in state.read_audit_trail("load") if e.action == "data.load"]
    finally:
        state.close()
    assert [(e.who, e.subject_id) for e in audit] == [
        ("alice", "1"),
        ("bob", "2"),
        (getpass.getuser(), "3"),
    ]
    assert audit[1].details["path"] == str((two_loads.parent / "b").resolve())


def test_keep_loads_drops_the_rows_of_older_loads(tmp_path: Path, capsys):
    db = tmp_path / "k.duckdb"
    for _ in range(4):
        assert cli("load", str(TINY), "--db", str(db), "--keep-loads", "2") == 0
    con = duckdb.connect(str(db), read_only=True)
    kept = con.execute("SELECT DISTINCT load_id FROM items_history ORDER BY 1").fetchall()
    loads = con.execute("SELECT count(*) FROM loads").fetchall()
    con.close()
    assert kept == [(3,), (4,)]
    assert loads == [(4,)]  # the bookkeeping of every load stays
    capsys.readouterr()
    assert cli("diff", "3", "4", "--db", str(db)) == 0
    assert cli("diff", "1", "4", "--db", str(db)) == 2
    assert "not kept" in capsys.readouterr().err
    assert cli("diff", "1", "9", "--db", str(db)) == 2
    assert cli("diff", "3", "--db", str(db)) == 2


def test_a_failed_load_keeps_no_history(tmp_path: Path):
    db = tmp_path / "f.duckdb"
    assert cli("load", str(TINY), "--db", str(db)) == 0
    bad = _copy(tmp_path, "bad")
    set_cell(bad, "capacity", 2, "units", "-5")
    assert cli("load", str(bad), "--db", str(db)) == 2
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT DISTINCT load_id FROM capacity_history").fetchall() == [(1,)]
    con.close()
