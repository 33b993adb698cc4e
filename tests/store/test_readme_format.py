"""One declaration of the import format: the README, `arsenal format` and the DuckDB schema
all agree with ``store.contract``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from store_helpers import ROOT, cli

from store.contract import FILES, format_markdown
from store.db import connect

START, END = "<!-- format:start -->", "<!-- format:end -->"

DUCKDB_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "id_list": "VARCHAR",
    "number": "DOUBLE",
    "integer": "INTEGER",
    "month": "DATE",
    "date": "DATE",
    "bool": "BOOLEAN",
}


def test_readme_holds_the_generated_format() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(START) == 1, f"README.md needs one {START} marker"
    assert readme.count(END) == 1, f"README.md needs one {END} marker"
    between = readme.split(START, 1)[1].split(END, 1)[0]
    assert between.strip() == format_markdown().strip(), (
        "README.md's format section is stale: paste the output of `arsenal format` "
        f"between {START} and {END}"
    )


def test_format_command_prints_the_declaration(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("format") == 0
    out = capsys.readouterr().out
    assert out.strip() == format_markdown().strip()
    for spec in FILES:
        assert f"`{spec.name}.csv`" in out
        for column in spec.columns:
            assert f"| `{column.name}` |" in out


@pytest.fixture(scope="module")
def schema_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    db: Path = tmp_path_factory.mktemp("schema") / "schema.duckdb"
    connect(db).close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple]] = {}
    for table, column, data_type, nullable in rows:
        out.setdefault(table, []).append((column, data_type, nullable == "YES"))
    return out


@pytest.mark.parametrize("spec", FILES, ids=[f.name for f in FILES])
def test_schema_matches_contract(spec, schema_columns: dict[str, list[tuple]]) -> None:
    """Same columns in the same order, the matching type, NULL allowed exactly where the
    contract lets a cell be empty."""
    assert schema_columns[spec.name] == [
        (c.name, DUCKDB_TYPES[c.type], c.nullable) for c in spec.columns
    ]
