"""Fuzzing the loader as an unlucky user would: any generated defect in the CSV files or the
workbook (odd bytes and encodings, line endings, huge and tiny numbers, broken quoting,
control characters) ends in exit 0 with the data loaded, or exit 2 with a located message and
the database unchanged; never exit 1."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from store_helpers import TINY, cli, read_rows, snapshot, write_rows, write_workbook

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FILES = sorted(p.stem for p in TINY.glob("*.csv"))
LOCATED = re.compile(r"^  \S.*: ", re.M)

odd_numbers = st.sampled_from(
    ["1e308", "1e-320", "-0", "0x10", "1_000", "١٢٣", "+5", " 7 ", "1e400", "NaN", "-inf", "1,5"]
)
odd_text = st.one_of(
    odd_numbers,
    st.text(min_size=0, max_size=12),
    st.sampled_from(["\u202eXYZ", "=1+1", "@A1", "a\x00b", '"', '""', "\r", "\n", "\t", "💥"]),
)


@st.composite
def cell_defects(draw) -> list[tuple[str, int, int, str]]:
    """Up to three cells set to odd values: (file, row, column, value)."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FILES))
        rows = read_rows(TINY, name)
        row = draw(st.integers(1, max(1, len(rows) - 1)))
        col = draw(st.integers(0, len(rows[0]) - 1))
        out.append((name, row, col, draw(odd_text)))
    return out


def _apply_cells(folder: Path, defects: list[tuple[str, int, int, str]]) -> None:
    for name, row, col, value in defects:
        rows = read_rows(folder, name)
        # an earlier defect (a lone CR written bare) may have split or emptied the row
        if row < len(rows) and col < len(rows[row]):
            rows[row][col] = value
            write_rows(folder, name, rows)


@st.composite
def byte_defects(draw) -> tuple[str, str, bytes]:
    """One file rewritten: re-encoded, its line endings changed, or raw bytes spliced in."""
    name = draw(st.sampled_from(FILES))
    how = draw(st.sampled_from(["latin-1", "utf-16", "cr", "mixed", "splice", "truncate"]))
    return name, how, draw(st.binary(min_size=1, max_size=8))


def _apply_bytes(folder: Path, defect: tuple[str, str, bytes]) -> None:
    name, how, junk = defect
    path = folder / f"{name}.csv"
    data = path.read_bytes()
    text = data.decode("utf-8")
    if how == "latin-1":
        data = (text + "\nÉ,é,ü\n").encode("latin-1", errors="replace")
    elif how == "utf-16":
        data = text.encode("utf-16")
    elif how == "cr":
        data = text.replace("\n", "\r").encode()
    elif how == "mixed":
        data = text.replace("\n", "\r\n", 1).replace("\n", "\r", 2).encode()
    elif how == "splice":
        data = data[: len(data) // 2] + junk + data[len(data) // 2 :]
    else:
        data = data[: len(data) // 2]
    path.write_bytes(data)


def _check(folder_or_book: Path, db: Path, capsys) -> None:
    before = snapshot(db)
    capsys.readouterr()
    code = cli("load", str(folder_or_book), "--db", str(db))
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert "input rejected; nothing was changed" in err
        assert LOCATED.search(err), err
        assert snapshot(db) == before
    else:  # it loaded: put the clean data back for the next example
        assert cli("load", str(TINY), "--db", str(db)) == 0


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fuzz") / "loaded.duckdb"
    assert cli("load", str(TINY), "--db", str(db)) == 0
    return db


@SETTINGS
@given(defects=cell_defects())
# found by CI: both files that name production lines unreadable left no line to check
# the bill of materials against, and the check crashed instead of rejecting
@example(defects=[("capacity", 1, 0, "\r"), ("expansion_options", 1, 0, "\r")])
def test_odd_cells_end_in_a_load_or_a_located_rejection(loaded, defects, capsys) -> None:
    db = loaded
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "d"
        shutil.copytree(TINY, folder)
        _apply_cells(folder, defects)
        _check(folder, db, capsys)


@SETTINGS
@given(defect=byte_defects())
def test_odd_bytes_and_line_endings_end_in_a_load_or_a_located_rejection(
    loaded, defect, capsys
) -> None:
    db = loaded
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "d"
        shutil.copytree(TINY, folder)
        _apply_bytes(folder, defect)
        _check(folder, db, capsys)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(defects=cell_defects())
def test_odd_cells_in_a_workbook_end_in_a_load_or_a_located_rejection(
    loaded, defects, capsys
) -> None:
    db = loaded
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "d"
        shutil.copytree(TINY, folder)
        # a workbook cell holds any text; the CSV round trip the helper uses does not
        _apply_cells(folder, [d for d in defects if not set(d[3]) & set("\x00\r\n")])
        book = write_workbook(folder, Path(tmp) / "d.xlsx")
        _check(book, db, capsys)
