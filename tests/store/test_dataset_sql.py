"""The imported tables' SQL is generated from the import contract and kept up to date."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from store.contract import FILES, Column, FileSpec
from store.dataset_sql import GENERATED_NOTE, dataset_sql, stale_dataset_sql, write_dataset_sql
from store.sql import SQL_DIR

RADARS = FileSpec(
    "radars",
    "A new import table, declared only in a contract.",
    (
        Column("radar_id", "id", "Radar."),
        Column("partner_id", "id", "Partner."),
        Column("range_km", "number", "Range.", minimum=0.0),
    ),
    key=("partner_id", "radar_id"),
    required=False,
)


def test_the_sql_files_are_up_to_date_with_the_contract() -> None:
    assert stale_dataset_sql() == [], (
        "sql/ is out of date with store/contract.py: run `.venv/bin/python -m store.dataset_sql`"
    )


def test_a_new_contract_entry_is_read_and_replaced_without_hand_written_sql() -> None:
    sql = dataset_sql((*FILES, RADARS))
    assert sql["dataset_radars"].splitlines()[-1] == (
        "SELECT * FROM radars ORDER BY partner_id, radar_id;"
    )
    replace_lines = sql["replace_dataset"].splitlines()
    assert "DELETE FROM radars;" in replace_lines
    assert replace_lines[-1] == "INSERT INTO radars BY NAME SELECT * FROM new_radars;"
    # every DELETE comes before every INSERT: the loader empties all tables, then fills them
    deletes = [i for i, line in enumerate(replace_lines) if line.startswith("DELETE")]
    inserts = [i for i, line in enumerate(replace_lines) if line.startswith("INSERT")]
    assert len(deletes) == len(inserts) == len(FILES) + 1
    assert max(deletes) < min(inserts)

    con = duckdb.connect()
    con.execute("CREATE TABLE radars (radar_id VARCHAR, partner_id VARCHAR, range_km DOUBLE)")
    con.execute("INSERT INTO radars VALUES ('r2', 'UKR', 40), ('r1', 'UKR', 80), ('r9', 'POL', 3)")
    assert con.execute(sql["dataset_radars"]).fetchall() == [
        ("r9", "POL", 3.0),
        ("r1", "UKR", 80.0),
        ("r2", "UKR", 40.0),
    ]


def test_a_table_without_a_key_is_read_in_the_order_of_all_its_columns() -> None:
    keyless = replace(RADARS, key=())
    assert dataset_sql((keyless,))["dataset_radars"].splitlines()[-1] == (
        "SELECT * FROM radars ORDER BY radar_id, partner_id, range_km;"
    )


def test_writing_brings_a_folder_up_to_date_and_removes_dropped_tables(tmp_path: Path) -> None:
    (tmp_path / "dataset_items.sql").write_text("-- hand-edited\nSELECT 1;\n", encoding="utf-8")
    (tmp_path / "dataset_retired.sql").write_text("SELECT 1;\n", encoding="utf-8")
    (tmp_path / "schema.sql").write_text("-- not generated\n", encoding="utf-8")
    changed = write_dataset_sql(tmp_path)
    assert "dataset_items" in changed
    assert "dataset_retired" in changed
    assert not (tmp_path / "dataset_retired.sql").exists()
    assert (tmp_path / "schema.sql").read_text(encoding="utf-8") == "-- not generated\n"
    for name, text in dataset_sql().items():
        assert (tmp_path / f"{name}.sql").read_text(encoding="utf-8") == text
        assert text.startswith(GENERATED_NOTE)
    assert write_dataset_sql(tmp_path) == []
    assert (tmp_path / "dataset_items.sql").read_text(encoding="utf-8") == (
        SQL_DIR / "dataset_items.sql"
    ).read_text(encoding="utf-8")
