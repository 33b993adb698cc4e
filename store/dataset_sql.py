"""The imported tables' SQL, generated from the import contract (``store.contract``).

``sql/replace_dataset.sql``, ``sql/dataset_<table>.sql`` and the load history's statements
(``sql/dataset_history_*.sql``: one ``<table>_history`` table per imported table holding every
kept load's rows under its load id, and the rows that differ between two loads) are written by
this module, so a new import table needs only its contract entry (plus its ``CREATE TABLE`` in
``sql/schema.sql``, which the schema test checks against the contract). After changing the
contract, run::

    .venv/bin/python -m store.dataset_sql

``tests/store/test_dataset_sql.py`` fails while the files are out of date. The ``dataset_``
prefix is reserved for these files: one the contract does not declare is removed. Table and
column names come from the contract, which is constant code, never input.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from store.contract import FILES, FileSpec
from store.sql import SQL_DIR

__all__ = ["GENERATED_NOTE", "dataset_sql", "stale_dataset_sql", "write_dataset_sql"]

GENERATED_NOTE = (
    "-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit."
)


def _read_table(spec: FileSpec) -> str:
    # a file without a key (deliveries) is ordered by all its columns, so reads are repeatable
    order = spec.key or spec.column_names
    how = "in key order" if spec.key else "ordered by every column (it has no key)"
    return (
        f"{GENERATED_NOTE}\n"
        f"-- The imported {spec.name} table, {how}.\n"
        f"SELECT * FROM {spec.name} ORDER BY {', '.join(order)};\n"
    )


def _replace_dataset(specs: Iterable[FileSpec]) -> str:
    names = [spec.name for spec in specs]
    lines = [
        GENERATED_NOTE,
        "-- Replace every imported table with the registered relations new_<table>.",
        "-- Runs inside the loader's transaction: all tables change together or none does.",
        *(f"DELETE FROM {name};" for name in names),
        *(f"INSERT INTO {name} BY NAME SELECT * FROM new_{name};" for name in names),
    ]
    return "\n".join(lines) + "\n"


def _per_table(specs: Iterable[FileSpec], comment: str, statement: str) -> str:
    """A generated script: ``comment`` lines, then ``statement`` (``{t}``: the table name)
    for every imported table."""
    lines = [GENERATED_NOTE, *(f"-- {c}" for c in comment.splitlines())]
    lines += [statement.format(t=spec.name) for spec in specs]
    return "\n".join(lines) + "\n"


HISTORY_SCRIPTS = {
    "dataset_history_schema": (
        "One <table>_history table per imported table: the rows of every kept load under its\n"
        "load id (the columns of the table itself, so they follow it).",
        "CREATE TABLE IF NOT EXISTS {t}_history AS "
        "SELECT CAST(0 AS BIGINT) AS load_id, * FROM {t} LIMIT 0;",
    ),
    "dataset_history_keep": (
        "Keep the rows being loaded (the registered relations new_<table>) under the load id\n"
        "just recorded. Runs inside the loader's transaction, after record_load.",
        "INSERT INTO {t}_history BY NAME "
        "SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_{t};",
    ),
    "dataset_history_prune": (
        "Drop the history rows of every load whose tables are no longer kept\n"
        "(forget_old_loads marks them).",
        "DELETE FROM {t}_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);",
    ),
}


def _json_object(columns: Iterable[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {c}" for c in columns) + ")::VARCHAR"


def _history_changes(specs: Iterable[FileSpec]) -> str:
    selects = []
    for s in specs:
        key = s.key or s.column_names
        selects.append(
            f"    SELECT '{s.name}' AS table_name, load_id,\n"
            f"           {_json_object(key)} AS key,\n"
            f"           {_json_object(s.column_names)} AS row\n"
            f"    FROM {s.name}_history WHERE load_id IN ($load_a, $load_b)"
        )
    union = "\n    UNION ALL\n".join(selects)
    return (
        f"{GENERATED_NOTE}\n"
        "-- The rows that differ between loads $load_a and $load_b, every imported table.\n"
        "-- one row per table and key whose row differs: before (in load a) and after (in load b)\n"
        "-- as JSON objects, NULL where the load has no row of that key. A table without a key\n"
        "-- is keyed by the whole row; repeated equal rows pair up one by one.\n"
        "WITH loaded AS (\n"
        f"{union}\n"
        "),\n"
        "numbered AS (\n"
        "    SELECT *, row_number() OVER (PARTITION BY table_name, load_id, key ORDER BY row) AS copy\n"
        "    FROM loaded\n"
        "),\n"
        "a AS (SELECT * FROM numbered WHERE load_id = $load_a),\n"
        "b AS (SELECT * FROM numbered WHERE load_id = $load_b)\n"
        "SELECT coalesce(a.table_name, b.table_name) AS table_name,\n"
        "       coalesce(a.key, b.key) AS key,\n"
        "       a.row AS before,\n"
        "       b.row AS after\n"
        "FROM a\n"
        "FULL JOIN b ON a.table_name = b.table_name AND a.key = b.key AND a.copy = b.copy\n"
        "WHERE a.row IS DISTINCT FROM b.row\n"
        "ORDER BY table_name, key, coalesce(a.copy, b.copy);\n"
    )


def dataset_sql(files: tuple[FileSpec, ...] = FILES) -> dict[str, str]:
    """Statement name -> text for every generated file (``replace_dataset``, ``dataset_*``)."""
    out = {"replace_dataset": _replace_dataset(files)}
    out.update({name: _per_table(files, *parts) for name, parts in HISTORY_SCRIPTS.items()})
    out["dataset_history_changes"] = _history_changes(files)
    out.update({f"dataset_{spec.name}": _read_table(spec) for spec in files})
    return out


def stale_dataset_sql(folder: Path = SQL_DIR, files: tuple[FileSpec, ...] = FILES) -> list[str]:
    """Names of generated files that are missing or differ from the contract, and
    ``dataset_*`` files the contract no longer declares."""
    wanted = dataset_sql(files)
    stale = [
        name
        for name, text in wanted.items()
        if not (folder / f"{name}.sql").is_file()
        or (folder / f"{name}.sql").read_text(encoding="utf-8") != text
    ]
    orphans = [p.stem for p in sorted(folder.glob("dataset_*.sql")) if p.stem not in wanted]
    return stale + orphans


def write_dataset_sql(folder: Path = SQL_DIR, files: tuple[FileSpec, ...] = FILES) -> list[str]:
    """Bring the generated files in ``folder`` up to date; the names written or removed."""
    changed = stale_dataset_sql(folder, files)
    wanted = dataset_sql(files)
    for name in changed:
        path = folder / f"{name}.sql"
        if name in wanted:
            path.write_text(wanted[name], encoding="utf-8")
        else:
            path.unlink()
    return changed


if __name__ == "__main__":
    written = write_dataset_sql()
    print("\n".join(f"sql/{name}.sql" for name in written) or "up to date")
