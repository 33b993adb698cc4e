"""Load a validated data set into the database, atomically, keeping each load's rows.

Every load replaces the imported tables and, in the same transaction, keeps a copy of its
rows in the ``<table>_history`` tables under its load id (the last ``keep_loads`` loads are
kept), so that any two kept loads can be compared (``store.history.diff_loads``). The load
records who ran it; ``load_path`` also writes that to the shared audit trail.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.db import Connection, connect, transaction
from store.sql import execute, query
from store.state import open_state
from store.validate import Validated, validate_path

__all__ = [
    "DEFAULT_KEEP_LOADS",
    "LoadReport",
    "current_user",
    "load_dataset",
    "load_path",
    "load_validated",
]

log = logging.getLogger(__name__)

DEFAULT_KEEP_LOADS = 30
"""Loads whose tables are kept for comparison (``arsenal load --keep-loads``)."""


@dataclass(frozen=True)
class LoadReport:
    path: str
    content_hash: str
    row_counts: dict[str, int]
    loaded_at: datetime
    load_id: int | None = None
    loaded_by: str | None = None


def current_user() -> str:
    """The OS user running this process (the default ``--by``)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's bare uid)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def load_validated(
    con: Connection,
    validated: Validated,
    path: str,
    *,
    by: str | None = None,
    keep_loads: int = DEFAULT_KEEP_LOADS,
) -> LoadReport:
    """Replace the imported tables with ``validated`` in one transaction, keep its rows in
    the history tables, and drop the history of all but the last ``keep_loads`` loads."""
    if keep_loads < 1:
        raise ValueError("keep_loads must be at least 1 (the load itself)")
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    by = by or current_user()
    tables = validated.dataset.tables()
    for name, frame in tables.items():
        con.register(f"new_{name}", frame.to_arrow())
    try:
        with transaction(con):
            execute(con, "replace_dataset")
            execute(
                con,
                "record_load",
                loaded_at=loaded_at,
                path=path,
                content_hash=validated.content_hash,
                row_counts=json.dumps(validated.row_counts),
                loaded_by=by,
            )
            execute(con, "dataset_history_keep")
            execute(con, "forget_old_loads", keep=keep_loads)
            execute(con, "dataset_history_prune")
            load_id = int(query(con, "loads").item(0, "load_id"))
    finally:
        # outside the transaction: an aborted transaction refuses even unregister,
        # which would hide the real error
        for name in tables:
            con.unregister(f"new_{name}")
    return LoadReport(
        path, validated.content_hash, validated.row_counts, loaded_at, load_id, loaded_by=by
    )


def load_dataset(
    con: Connection,
    path: str | Path,
    *,
    by: str | None = None,
    keep_loads: int = DEFAULT_KEEP_LOADS,
) -> LoadReport:
    """Validate the data set at ``path``, then load it; on any problem nothing changes."""
    log.info("validating %s", path)
    validated = validate_path(path)
    log.info("loading %d rows", sum(validated.row_counts.values()))
    report = load_validated(con, validated, str(Path(path).resolve()), by=by, keep_loads=keep_loads)
    log.info("loaded as load %s; content hash %s", report.load_id, report.content_hash[:12])
    return report


def load_path(
    db: str | Path,
    path: str | Path,
    *,
    by: str | None = None,
    keep_loads: int = DEFAULT_KEEP_LOADS,
) -> LoadReport:
    """``arsenal load``: load ``path`` into the database file ``db`` and record who did it
    in the shared audit trail (after the load commits: a failed load records nothing)."""
    con = connect(db)
    try:
        report = load_dataset(con, path, by=by, keep_loads=keep_loads)
    finally:
        con.close()
    if str(db) != ":memory:":
        state = open_state(db)
        try:
            state.record_audit(
                report.loaded_by or current_user(),
                "data.load",
                "load",
                str(report.load_id),
                {
                    "path": report.path,
                    "content_hash": report.content_hash,
                    "rows": sum(report.row_counts.values()),
                },
            )
        finally:
            state.close()
    return report
