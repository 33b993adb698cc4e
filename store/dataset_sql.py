"""The imported tables' SQL, generated from the import contract (``store.contract``).

``sql/replace_dataset.sql`` and ``sql/dataset_<table>.sql`` are written by this module, so a
new import table needs only its contract entry (plus its ``CREATE TABLE`` in
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


def dataset_sql(files: tuple[FileSpec, ...] = FILES) -> dict[str, str]:
    """Statement name -> text for every generated file (``replace_dataset``, ``dataset_*``)."""
    out = {"replace_dataset": _replace_dataset(files)}
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
