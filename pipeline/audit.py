"""What a night's report used, for its stamp: each scenario file's version (SHA-256) and, when
the file was saved from the dashboard, who saved that version and when (from the shared
state's record of saved scenarios; the audit trail holds the same)."""

from __future__ import annotations

from typing import Any

from store.db import Connection, database_path
from store.state import open_state, state_path_for

__all__ = ["scenario_versions"]


def scenario_versions(con: Connection, files: dict[str, str]) -> list[dict[str, Any]]:
    """One row per scenario file (name -> sha256): its hash, and who saved that version and
    when if the dashboard saved it (None otherwise, e.g. a file written by hand)."""
    saved: dict[str, Any] = {}
    db = database_path(con)
    if db is not None and state_path_for(db).is_file():
        state = open_state(db)
        try:
            for record in state.read_saved_scenarios():
                saved[record.sha256] = record  # the latest record of a version wins
        finally:
            state.close()
    rows = []
    for name, digest in sorted(files.items()):
        record = saved.get(digest)
        rows.append(
            {
                "scenario": name,
                "sha256": digest,
                "saved_by": record.who if record else None,
                "saved_at": record.at.isoformat(timespec="seconds") if record else None,
            }
        )
    return rows
