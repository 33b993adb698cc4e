"""Opening the database and keeping its schema current."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from store.sql import execute, query

__all__ = ["DEFAULT_DB", "Connection", "connect", "database_path", "transaction"]

DEFAULT_DB = "arsenal.duckdb"
Connection = duckdb.DuckDBPyConnection


def _open(path: str, read_only: bool, wait_seconds: float) -> Connection:
    """Open, waiting while another process holds the file's lock (a dashboard reading, a
    nightly run writing) instead of failing at once."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def connect(
    path: str | Path = DEFAULT_DB, *, read_only: bool = False, wait_seconds: float = 60.0
) -> Connection:
    """Open (and create, unless read-only) the database at ``path`` with the current schema.

    ``":memory:"`` gives a private in-memory database.
    """
    path = str(path)
    if read_only:
        if path != ":memory:" and not Path(path).exists():
            raise FileNotFoundError(f"no database at {path}; run 'arsenal load' first")
        return _open(path, True, wait_seconds)
    con = _open(path, False, wait_seconds)
    execute(con, "schema")
    execute(con, "dataset_history_schema")
    return con


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    """All statements inside commit together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def database_path(con: Connection) -> Path | None:
    """The file ``con`` has open (None for an in-memory database)."""
    rows = query(con, "database_path")
    path = rows.item(0, "path") if rows.height else None
    return Path(path) if path else None
