"""Named SQL: every statement lives in ``sql/<name>.sql`` and runs with bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the SQLite state store loads its SQL here too, cheaply
    import duckdb
    import polars as pl

__all__ = ["SQL_DIR", "execute", "insert_frame", "load_sql", "query"]

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def load_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no named query {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run a named query and return its rows as a polars frame."""
    return con.sql(load_sql(name), params=params or None).pl()


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run a named statement (or a script of statements when there are no parameters)."""
    text = load_sql(name)
    if params:
        con.execute(text, params)
    else:
        con.execute(text)


def insert_frame(
    con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, **params: Any
) -> None:
    """Run a named statement that reads the relation ``frame`` (the given polars frame)."""
    con.register("frame", frame.to_arrow())
    try:
        con.execute(load_sql(name), params or None)
    finally:
        con.unregister("frame")
