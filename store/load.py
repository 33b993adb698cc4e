"""Load a validated data set into the database, atomically."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.db import Connection, transaction
from store.sql import execute
from store.validate import Validated, validate_path

__all__ = ["LoadReport", "load_dataset", "load_validated"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    path: str
    content_hash: str
    row_counts: dict[str, int]
    loaded_at: datetime


def load_validated(con: Connection, validated: Validated, path: str) -> LoadReport:
    """Replace the imported tables with ``validated`` in one transaction."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
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
            )
    finally:
        # outside the transaction: an aborted transaction refuses even unregister,
        # which would hide the real error
        for name in tables:
            con.unregister(f"new_{name}")
    return LoadReport(path, validated.content_hash, validated.row_counts, loaded_at)


def load_dataset(con: Connection, path: str | Path) -> LoadReport:
    """Validate the data set at ``path``, then load it; on any problem nothing changes."""
    log.info("validating %s", path)
    validated = validate_path(path)
    log.info("loading %d rows", sum(validated.row_counts.values()))
    report = load_validated(con, validated, str(Path(path).resolve()))
    log.info("loaded; content hash %s", report.content_hash[:12])
    return report
