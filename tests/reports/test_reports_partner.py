"""Partner extracts hold only rows releasable to the partner: a planted non-releasable
commitment and stock of another partner leave no id, quantity or derived figure behind."""

from __future__ import annotations

import io
import json
import re
import shutil

import duckdb
import polars as pl
import pytest
from reports_helpers import TINY, make_db

from arsenal.cli import main
from reports.releasability import is_releasable, releasable_rows

SECRET_ID, SECRET_QTY, SECRET_STOCK, SECRET_FLOOR = "SECRET-POL-77", 43210, 98765, 1234


def all_text(folder) -> str:
    """Every extract file as text (Parquet decoded to CSV, so compression hides nothing)."""
    parts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            buf = io.StringIO()
            pl.read_parquet(path).write_csv(buf)
            parts.append(buf.getvalue())
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
        f.write(f"{SECRET_ID},POL,155MM,{SECRET_QTY},2026-02,1,2025-12-01,\n")
    with open(data / "stockpiles.csv", "a") as f:
        f.write(f"POL,155MM,2025-12-31,{SECRET_STOCK},{SECRET_FLOOR},,\n")
    db = make_db(root / "a.duckdb", data)
    assert main(["run", "--db", str(db), "--horizon", "12", "--paths", "40"]) == 0
    out = root / "ukr"
    assert main(["export", "--for", "UKR", "--out", str(out), "--db", str(db)]) == 0
    return db, out


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
    shipped = [
        r[0]
        for r in con.sql(
            "SELECT units FROM plan_shipments WHERE run_id = ? AND commitment_id = ?",
            params=[run_id, SECRET_ID],
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
