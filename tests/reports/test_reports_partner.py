"""Partner extracts hold only rows releasable to the partner: a planted non-releasable
commitment and stock of another partner leave no id, quantity or derived figure behind in any
file, the workbook included (the commitment's id holds a dot, a space and a non-ASCII letter,
which a filter splitting text into ``[A-Za-z0-9_-]`` tokens would let through in a reason
sentence); the workbook equals the CSV files; the extract is written whole or not at all."""

from __future__ import annotations

import io
import json
import re
import shutil

import duckdb
import polars as pl
import pytest
from reports_helpers import TINY, assert_workbook_equals_csv, make_db, workbook_rows

import reports.partner
from arsenal.cli import main
from reports.partner import EXTRACT_FILES, FRAMES, WORKBOOK
from reports.reasons import Vocabulary, read_reason
from reports.releasability import is_releasable, partner_scope, releasable_rows
from store.db import connect

SECRET_ID, SECRET_QTY, SECRET_STOCK, SECRET_FLOOR = "SECRET.Ünit 7", 432109, 98765, 1234


def all_text(folder) -> str:
    """Every extract file as text (Parquet decoded to CSV and the workbook's cells read with
    python-calamine, so compression hides nothing)."""
    parts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            buf = io.StringIO()
            pl.read_parquet(path).write_csv(buf)
            parts.append(buf.getvalue())
        elif path.suffix == ".xlsx":
            for name, rows in workbook_rows(path).items():
                parts.append(name)
                parts.extend(",".join(str(cell) for cell in row) for row in rows)
        else:
            parts.append(path.read_text())
    return "\n".join(parts)


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", text)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("leak")
    data = root / "data"
    shutil.copytree(TINY, data)
    with open(data / "commitments.csv", "a") as f:
        f.write(f"{SECRET_ID},POL,155MM,{SECRET_QTY},2026-02,1,2025-10-01,\n")
    with open(data / "stockpiles.csv", "a") as f:
        f.write(f"POL,155MM,2025-12-31,{SECRET_STOCK},{SECRET_FLOOR},,\n")
    db = make_db(root / "a.duckdb", data)
    assert main(["run", "--db", str(db), "--horizon", "12", "--paths", "40"]) == 0
    out = root / "ukr"
    assert main(["export", "--for", "UKR", "--out", str(out), "--db", str(db)]) == 0
    return db, out


def _reasons_naming_the_secret(db) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.sql(
        "SELECT reasons FROM plan_commitments c JOIN commitments USING (commitment_id) "
        "WHERE c.partner_id = 'UKR'"
    ).fetchall()
    con.close()
    return [s for (r,) in rows for s in json.loads(r) if SECRET_ID in s]


def test_the_planted_commitment_is_named_in_a_reason_of_the_partner(planted):
    """Not vacuous: the plan explains a UKR promise's lateness by the planted one."""
    assert _reasons_naming_the_secret(planted[0])


def test_every_reason_the_plan_writes_is_understood(planted):
    db, _ = planted
    con = connect(db, read_only=True)
    try:
        vocabulary = partner_scope(con, "UKR").vocabulary
        rows = con.sql("SELECT item_id, reasons FROM plan_commitments").fetchall()
    finally:
        con.close()
    sentences = [(item, s) for item, r in rows for s in json.loads(r)]
    assert sentences
    for item, sentence in sentences:
        assert read_reason(sentence, item, vocabulary).kind is not None, sentence


def test_nothing_of_the_planted_rows_appears(planted):
    db, out = planted
    con = duckdb.connect(str(db), read_only=True)
    run_id = con.sql("SELECT run_id FROM runs").fetchall()[0][0]
    secret = con.sql(
        "SELECT planned_units, late_unit_months, backlog_units FROM plan_commitments "
        "WHERE run_id = ? AND commitment_id = ?",
        params=[run_id, SECRET_ID],
    ).fetchall()[0]
    assert secret[0] > 0, "the planted commitment must draw on the plan for the test to bite"
    # the planted commitment's shipments, but for sizes UKR's own rows have too (a line's
    # monthly capacity ships to both; 50,000 above a floor is also UKR's own count)
    shipped = [
        r[0]
        for r in con.sql(
            "SELECT units FROM plan_shipments WHERE run_id = ? AND commitment_id = ? "
            "AND units NOT IN (SELECT units FROM plan_shipments WHERE run_id = ? "
            "AND partner_id = 'UKR') "
            "AND units NOT IN (SELECT units FROM stockpiles WHERE holder_id = 'UKR')",
            params=[run_id, SECRET_ID, run_id],
        ).fetchall()
    ]
    pol_stock = [
        v
        for r in con.sql(
            "SELECT p10, p50, p90 FROM stock_projection WHERE run_id = ? AND holder_id = 'POL'",
            params=[run_id],
        ).fetchall()
        for v in r
    ]
    totals = con.sql(
        "SELECT sum(planned_units), sum(late_unit_months), sum(backlog_units) "
        "FROM plan_commitments WHERE run_id = ?",
        params=[run_id],
    ).fetchall()[0]
    con.close()

    text = all_text(out)
    assert SECRET_ID not in text
    assert "SECRET" not in text
    assert not re.search(r"\bPOL\b", text), "another partner's id leaked"
    found = numbers(text)
    # a total depends on the planted row only where the planted row adds to it
    derived_totals = [t for t, part in zip(totals, secret, strict=True) if part > 0]
    forbidden = [
        SECRET_QTY,
        SECRET_STOCK,
        SECRET_FLOOR,
        *secret,
        *shipped,
        *pol_stock,
        *derived_totals,
    ]
    for value in {v for v in forbidden if v and v > 1}:
        assert not any(abs(f - value) < 1e-6 for f in found), value


def test_the_leak_check_reads_the_workbook(planted):
    """Not vacuous: the workbook is in the extract and its cells are in the text checked."""
    _, out = planted
    assert (out / WORKBOOK).is_file()
    text = all_text(out)
    commitment = pl.read_csv(out / "commitments.csv").row(0, named=True)
    in_book = "\n".join(
        ",".join(str(c) for c in row) for row in workbook_rows(out / WORKBOOK)["commitments"]
    )
    assert commitment["commitment_id"] in in_book
    assert in_book in text


def test_the_workbook_holds_every_extract_table_equal_to_its_csv(planted):
    _, out = planted
    assert_workbook_equals_csv(out / WORKBOOK, out, FRAMES)
    assert WORKBOOK in json.loads((out / "summary.json").read_text())["files"]


def test_the_partner_sees_its_own_rows_and_aggregates_from_them(planted):
    db, out = planted
    summary = json.loads((out / "summary.json").read_text())
    commitments = pl.read_csv(out / "commitments.csv")
    assert set(commitments["partner_id"]) == {"UKR"}
    assert summary["planned_units"] == pytest.approx(commitments["planned_units"].sum())
    deliveries = pl.read_csv(out / "planned_deliveries.csv")
    assert set(deliveries["commitment_id"]) <= set(commitments["commitment_id"])
    assert sum(summary["arrivals_by_month"].values()) == pytest.approx(deliveries["units"].sum())
    stocks = set(pl.read_csv(out / "stock_outlook.csv")["holder_id"])
    assert "UKR" in stocks
    assert "US_DEPOT" not in stocks


def test_the_rule_row_by_row():
    assert is_releasable(None, "UKR", "UKR")
    assert not is_releasable(None, "UKR", "POL")
    assert is_releasable("", "UKR", "UKR")
    assert is_releasable("ALL", "UKR", "TWN")
    assert is_releasable("UKR; POL", "UKR", "POL")
    assert not is_releasable("UKR;POL", "UKR", "TWN")
    frame = pl.DataFrame(
        {
            "holder_id": ["UKR", "UKR", "POL", "EU", "EU"],
            "releasable_to": [None, "POL", None, "ALL", "UKR;TWN"],
        }
    )
    for partner in ("UKR", "POL", "TWN"):
        kept = releasable_rows(frame, partner, "holder_id").rows()
        expected = [r for r in frame.rows() if is_releasable(r[1], r[0], partner)]
        assert kept == expected


def test_reasons_are_read_whole_ids_not_tokens():
    vocabulary = Vocabulary(
        commitments=frozenset({"A-1", "SECRET.Ünit 7", "B 2"}),
        partners=frozenset({"UKR", "POL"}),
        items=frozenset({"155MM"}),
        categories=frozenset({"artillery"}),
        pool_of_source={"US_DEPOT": "US_DEPOT", "PLANT": "US_DEPOT"},
    )
    reason = read_reason(
        "higher-priority promises take units from US_DEPOT: A-1 (priority 1), "
        "SECRET.Ünit 7 (priority 1) and 2 more",
        "155MM",
        vocabulary,
    )
    assert reason.kind == "higher_priority"
    assert reason.commitments == {"A-1", "SECRET.Ünit 7"}
    assert reason.pools == {("US_DEPOT", "155MM")}
    capacity = read_reason(
        "capacity of PLANT for 155MM is fully used in 2026-01 to 2026-03, 2026-05",
        "155MM",
        vocabulary,
    )
    assert capacity.kind == "capacity_used"
    assert capacity.pools == {("US_DEPOT", "155MM")}
    # A sentence naming an id the data does not hold, or of no known shape, is not understood.
    assert (
        read_reason(
            "promises of the same priority share US_DEPOT: SECRET", "155MM", vocabulary
        ).kind
        is None
    )
    assert read_reason("anything else", "155MM", vocabulary).kind is None


def _failing_after(n: int):
    """A CSV writer that writes ``n`` files, then fails as a full disk would."""
    written = []
    real = reports.partner.write_csv

    def write(frame, path):
        if len(written) >= n:
            raise OSError(28, "No space left on device")
        written.append(path)
        real(frame, path)

    return write


def test_a_failed_write_leaves_no_partial_extract_and_the_earlier_one_intact(
    planted, tmp_path, monkeypatch, capsys
):
    db, _ = planted
    out = tmp_path / "ukr"
    assert main(["export", "--for", "UKR", "--out", str(out), "--db", str(db)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == EXTRACT_FILES
    monkeypatch.setattr(reports.partner, "write_csv", _failing_after(1))
    assert main(["export", "--for", "UKR", "--out", str(out), "--db", str(db)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["ukr"]  # no temporary folder left
    fresh = tmp_path / "fresh"
    assert main(["export", "--for", "UKR", "--out", str(fresh), "--db", str(db)]) == 1
    assert not fresh.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ukr"]


def test_export_replaces_an_earlier_extract_but_never_another_folder(planted, tmp_path, capsys):
    db, _ = planted
    out = tmp_path / "ukr"
    for _ in range(2):
        assert main(["export", "--for", "UKR", "--out", str(out), "--db", str(db)]) == 0
    assert {p.name for p in out.iterdir()} == EXTRACT_FILES
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    assert main(["export", "--for", "UKR", "--out", str(tmp_path / "home"), "--db", str(db)]) == 2
    assert "--out" in capsys.readouterr().err
    assert (tmp_path / "home" / "notes.txt").read_text() == "mine"
