"""Helpers for the store tests: CSV edits, table snapshots, workbooks, and the status
figures computed independently from the CSV files (a second formulation of the SQL)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from arsenal.cli import main
from store.contract import FILES, FileSpec
from store.validate import validate_path

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny"
SAMPLE = ROOT / "data" / "sample"


# Data set copies and edits ---------------------------------------------------------


def read_rows(folder: Path, name: str) -> list[list[str]]:
    """All rows of ``name``.csv, header first."""
    with open(folder / f"{name}.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def write_rows(folder: Path, name: str, rows: list[list[str]]) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, name: str, line: int, column: str, value: str) -> None:
    """Set one cell; ``line`` counts from 1 (the header), as in the problem reports."""
    rows = read_rows(folder, name)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(folder, name, rows)


def append_line(folder: Path, name: str, text: str) -> int:
    """Append one raw line to ``name``.csv; return its line number."""
    path = folder / f"{name}.csv"
    body = path.read_text(encoding="utf-8")
    if not body.endswith("\n"):
        body += "\n"
    path.write_text(body + text + "\n", encoding="utf-8")
    return body.count("\n") + 1


def drop_column(folder: Path, name: str, column: str) -> None:
    rows = read_rows(folder, name)
    i = rows[0].index(column)
    write_rows(folder, name, [r[:i] + r[i + 1 :] for r in rows])


def add_column(folder: Path, name: str, column: str, value: str = "") -> None:
    rows = read_rows(folder, name)
    write_rows(folder, name, [rows[0] + [column]] + [r + [value] for r in rows[1:]])


# Database ------------------------------------------------------------------------------


def cli(*argv: str) -> int:
    return main(list(argv))


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table of the database (catalog order, rows sorted): the whole visible state."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        return {n: sorted(con.table(n).fetchall(), key=repr) for n in names}
    finally:
        con.close()


# Workbooks ------------------------------------------------------------------------------

FILES_BY_NAME: dict[str, FileSpec] = defaultdict(lambda: FileSpec("other", "", (), ()))
FILES_BY_NAME.update({f.name: f for f in FILES})


def _is_float(text: str) -> bool:
    """A finite number (a spreadsheet holds no NaN or infinity: those stay text)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _is_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def write_workbook(
    folder: Path,
    path: Path,
    *,
    months_as_dates: bool = False,
    formulas: dict[tuple[str, int, str], str] | None = None,
) -> Path:
    """The CSV data set at ``folder`` as an .xlsx workbook, one sheet per file, cells typed
    as a spreadsheet user would type them (numbers as numbers, dates as dates). ``formulas``:
    (sheet, line, column) -> a formula written in that cell instead (with no cached value,
    as tools that write workbooks do)."""
    formulas = formulas or {}
    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for csv_path in sorted(folder.glob("*.csv")):
        rows = read_rows(folder, csv_path.stem)
        sheet = book.add_worksheet(csv_path.stem)
        header = rows[0]
        types = {c.name: c.type for c in FILES_BY_NAME[csv_path.stem].columns}
        for c, name in enumerate(header):
            sheet.write_string(0, c, name)
        for r, row in enumerate(rows[1:], start=1):
            for c, (name, cell) in enumerate(zip(header, row, strict=True)):
                kind = types.get(name, "text")
                if (csv_path.stem, r + 1, name) in formulas:
                    sheet.write_formula(r, c, "=" + formulas[(csv_path.stem, r + 1, name)])
                elif cell == "":
                    continue
                elif kind in ("number", "integer") and _is_float(cell):
                    sheet.write_number(r, c, float(cell))
                elif kind == "bool":
                    sheet.write_boolean(r, c, cell == "true")
                elif kind == "date" and _is_date(cell):
                    sheet.write_datetime(r, c, datetime.fromisoformat(cell), day)
                elif kind == "month" and months_as_dates and _is_date(cell + "-01"):
                    y, m = map(int, cell.split("-"))
                    sheet.write_datetime(r, c, datetime(y, m, 1), day)
                else:
                    sheet.write_string(r, c, cell)
    book.close()
    return path


# Status figures computed from the CSV files alone -------------------------------------------


def _dicts(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]


def expected_status(folder: Path) -> dict[str, object]:
    """Backlog per partner and item and latest stocks, from the CSV files with the csv module.

    A second formulation of ``sql/backlog_by_partner_item.sql`` and
    ``sql/latest_stocks_against_floors.sql`` (and the staging views they read).
    """
    cost = {r["item_id"]: float(r["unit_cost_usd"]) for r in _dicts(folder, "items")}
    delivered: dict[str, float] = defaultdict(float)
    for r in _dicts(folder, "deliveries"):
        delivered[r["commitment_id"]] += float(r["units"])
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    last_month = max(r["month"] for r in _dicts(folder, "consumption"))
    overdue = []
    for r in _dicts(folder, "commitments"):
        left = max(float(r["quantity"]) - delivered[r["commitment_id"]], 0.0)
        if left > 0:
            groups[r["partner_id"], r["item_id"]].append(left)
        if left > 0 and r["promised_month"] <= last_month:
            (py, pm), (ly, lm) = (
                map(int, r["promised_month"].split("-")),
                map(int, last_month.split("-")),
            )
            overdue.append(
                {
                    "commitment_id": r["commitment_id"],
                    "partner_id": r["partner_id"],
                    "item_id": r["item_id"],
                    "priority": int(r["priority"]),
                    "promised_month": r["promised_month"],
                    "backlog_units": left,
                    "backlog_usd": left * cost[r["item_id"]],
                    "months_overdue": (ly - py) * 12 + (lm - pm),
                }
            )
    overdue.sort(key=lambda o: (-o["months_overdue"], -o["backlog_usd"], o["commitment_id"]))
    backlog = [
        {
            "partner_id": p,
            "item_id": i,
            "open_commitments": len(units),
            "backlog_units": sum(units),
            "backlog_usd": sum(units) * cost[i],
        }
        for (p, i), units in sorted(groups.items())
    ]
    latest: dict[tuple[str, str], dict[str, str]] = {}
    for r in _dicts(folder, "stockpiles"):
        key = (r["holder_id"], r["item_id"])
        if key not in latest or r["as_of"] > latest[key]["as_of"]:
            latest[key] = r
    stocks = []
    for (h, i), r in sorted(latest.items()):
        units, floor = float(r["units"]), float(r["floor_units"])
        target = float(r["target_units"]) if r.get("target_units") else None
        if units < floor:
            status = "below floor"
        elif target is not None and units < target:
            status = "below target"
        else:
            status = "ok"
        stocks.append(
            {
                "holder_id": h,
                "item_id": i,
                "as_of": date.fromisoformat(r["as_of"]).isoformat(),
                "units": units,
                "floor_units": floor,
                "target_units": target,
                "above_floor_units": units - floor,
                "status": status,
            }
        )
    row_counts = {spec.name: len(_dicts(folder, spec.name)) for spec in FILES}
    return {
        "backlog": backlog,
        "overdue": overdue,
        "backlog_total": {
            "units": sum(b["backlog_units"] for b in backlog),
            "usd": sum(b["backlog_usd"] for b in backlog),
        },
        "stocks": stocks,
        "row_counts": row_counts,
    }


def assert_status_matches_csv(status: dict, folder: Path) -> None:
    """``arsenal status --json`` against the figures computed from the CSV files."""
    expected = expected_status(folder)
    assert status["load"]["row_counts"] == expected["row_counts"]
    assert status["load"]["content_hash"] == validate_path(folder).content_hash
    assert [(b["partner_id"], b["item_id"]) for b in status["backlog"]] == [
        (b["partner_id"], b["item_id"]) for b in expected["backlog"]
    ]
    for got, want in zip(status["backlog"], expected["backlog"], strict=True):
        assert got["open_commitments"] == want["open_commitments"]
        assert got["backlog_units"] == pytest.approx(want["backlog_units"])
        assert got["backlog_usd"] == pytest.approx(want["backlog_usd"])
    assert status["backlog_total"]["units"] == pytest.approx(expected["backlog_total"]["units"])
    assert status["backlog_total"]["usd"] == pytest.approx(expected["backlog_total"]["usd"])
    assert status["overdue"] == [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in o.items()}
        for o in expected["overdue"]
    ]
    assert status["stocks"] == [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in s.items()}
        for s in expected["stocks"]
    ]
