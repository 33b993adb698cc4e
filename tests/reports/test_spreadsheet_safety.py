"""Every CSV the project writes is safe to open in a spreadsheet: a text cell that would run
as a formula is made inert; numbers, including negative ones, stay numbers."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from reports.spreadsheet import FORMULA_STARTS, csv_text, write_csv

RISKY = ['=HYPERLINK("http://x";"Click me")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rcmd"]


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe() -> None:
    frame = pl.DataFrame(
        {"name": [*RISKY, "155mm round", "a=b"], "units": [-5.0, 1, 2, 3, 4, 5, 6, -0.5]}
    )
    rows = _read(csv_text(frame))
    assert [r["name"] for r in rows] == ["'" + v for v in RISKY] + ["155mm round", "a=b"]
    assert [float(r["units"]) for r in rows] == frame.get_column("units").to_list()
    assert not any(r["name"].startswith(FORMULA_STARTS) for r in rows)


@pytest.mark.parametrize("value", RISKY)
def test_the_file_writer_neutralises_the_same_way(tmp_path, value: str) -> None:
    path = tmp_path / "x.csv"
    write_csv(pl.DataFrame({"id": [value], "n": [1]}), path)
    with open(path, newline="", encoding="utf-8") as fh:
        assert _read(fh.read())[0]["id"] == "'" + value


def test_the_workbook_neutralises_the_same_way_and_writes_values_never_formulas(tmp_path) -> None:
    from python_calamine import CalamineWorkbook

    from reports.workbook import write_workbook

    frame = pl.DataFrame({"name": [*RISKY, "155mm round"], "units": [-5.0, 1, 2, 3, 4, 5, 6.5]})
    path = tmp_path / "t.xlsx"
    assert write_workbook({"risky: [1]": frame}, path) == ["risky_ _1_"]
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("risky_ _1_").to_python()
    assert rows[0] == ["name", "units"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in RISKY] + ["155mm round"]
    assert [r[1] for r in rows[1:]] == frame.get_column("units").to_list()
    assert (
        "<f>" not in __import__("zipfile").ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    )
