"""One workbook writer: tables (polars frames) as the sheets of one ``.xlsx`` file.

Used for the nightly report's tables and (by the dashboard's downloads and the partner
extracts) for any set of tables a planner opens in a spreadsheet. Text cells that a
spreadsheet would run as a formula are neutralised exactly as in the CSV files
(``reports.spreadsheet``), and every cell is written as a value, never as a formula, so
the workbook reads back equal to the CSV extracts of the same tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from reports.spreadsheet import neutralise

__all__ = ["MAX_ROWS", "sheet_name", "write_workbook"]

MAX_ROWS = 1_048_575
"""Rows a sheet holds below its header."""
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique sheet name for ``name`` (at most 31 characters, none of ``[]:*?/\\``)."""
    base = _BAD.sub("_", name)[:31] or "sheet"
    out, n = base, 2
    while taken is not None and out.lower() in {t.lower() for t in taken}:
        suffix = f"~{n}"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    return out


def _text(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_workbook(tables: Mapping[str, pl.DataFrame], path: str | Path) -> list[str]:
    """Write each frame as a sheet (in order) with a bold, frozen header row; dates as ISO
    text (as in the CSV files), numbers as numbers, nulls as empty cells. A frame longer
    than a sheet is refused. Returns the sheet names."""
    names: list[str] = []
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        bold = book.add_format({"bold": True})
        for name, frame in tables.items():
            if frame.height > MAX_ROWS:
                raise ValueError(
                    f"table {name!r} has {frame.height:,} rows: more than a sheet holds"
                )
            sheet_id = sheet_name(name, set(names))
            names.append(sheet_id)
            sheet = book.add_worksheet(sheet_id)
            sheet.freeze_panes(1, 0)
            safe = neutralise(frame.with_columns(pl.col(pl.Object).cast(pl.String)))
            sheet.write_row(0, 0, safe.columns, bold)
            for i, row in enumerate(safe.iter_rows(), start=1):
                for j, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(i, j, value)
                    elif isinstance(value, bool):
                        sheet.write_boolean(i, j, value)
                    elif isinstance(value, int | float):
                        if value == value and abs(value) != float("inf"):
                            sheet.write_number(i, j, value)
                    else:
                        sheet.write_string(i, j, str(_text(value)))
    finally:
        book.close()
    return names
