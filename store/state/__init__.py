"""Shared state that many dashboard users write at once: sessions, worklist, firmed rows, audit.

DuckDB allows one writing process per file, so this state lives apart from the analytical
store: by default in a SQLite file in WAL mode beside the DuckDB file
(``arsenal.duckdb`` -> ``arsenal.duckdb.state.sqlite``), where concurrent writers from many
processes take short turns with a bounded wait, never behind a nightly run or a long load.

Callers depend on :class:`StateStore` only. A server database plugs in as another class
with the same methods (say ``PostgresState`` in ``store/state/postgres.py``, with its own
``sql/state_pg_*.sql`` files): it keeps the rules of :mod:`store.state.records` (the same
checks, the change and its audit row in one transaction, an append-only audit table) and
:func:`open_state` returns it when given that database's URL instead of a DuckDB path.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from store.state.interface import StateStore
from store.state.records import (
    EXCEPTION_STATUSES,
    FIRM_KINDS,
    AuditEntry,
    BackgroundJob,
    ExceptionComment,
    ExceptionState,
    FirmedRow,
    LoginFailures,
    SavedScenario,
    Session,
)
from store.state.sqlite import DEFAULT_SESSION_IDLE, SqliteState
from store.state.sqlite_file import DEFAULT_BUSY_TIMEOUT, StateBusyError

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_SESSION_IDLE",
    "EXCEPTION_STATUSES",
    "FIRM_KINDS",
    "STATE_SUFFIX",
    "AuditEntry",
    "BackgroundJob",
    "ExceptionComment",
    "ExceptionState",
    "FirmedRow",
    "LoginFailures",
    "SavedScenario",
    "Session",
    "SqliteState",
    "StateBusyError",
    "StateStore",
    "open_state",
    "state_path_for",
]

STATE_SUFFIX = ".state.sqlite"


def state_path_for(db_path: str | Path) -> Path:
    """Where the shared state of the DuckDB file ``db_path`` lives: beside it."""
    if str(db_path) == ":memory:":
        raise ValueError("an in-memory DuckDB database has no file to keep shared state beside")
    return Path(f"{db_path}{STATE_SUFFIX}")


def open_state(
    db_path: str | Path,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    session_idle: timedelta = DEFAULT_SESSION_IDLE,
) -> StateStore:
    """The shared state of the DuckDB file ``db_path``, created and migrated if needed;
    sessions idle for longer than ``session_idle`` end."""
    return SqliteState(
        state_path_for(db_path), busy_timeout=busy_timeout, session_idle=session_idle
    )
