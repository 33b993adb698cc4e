"""What changed between two loads: rows added, removed and changed in every imported table.

Each load keeps its rows in the ``<table>_history`` tables (``store.load``); comparing two
loads is one named query (``sql/dataset_history_changes.sql``, generated from the contract)
that returns every row whose content differs, keyed by the table's key from the contract.
This is the one data diff: ``arsenal diff``, the nightly report's "what changed" and the
dashboard's worklist all read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from store.contract import FILES
from store.db import Connection
from store.errors import InputRejected, Problem
from store.sql import query

__all__ = ["LoadDiff", "LoadInfo", "RowChange", "diff_loads", "read_loads"]

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class LoadInfo:
    load_id: int
    loaded_at: datetime
    loaded_by: str | None
    path: str
    content_hash: str
    tables_kept: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "loaded_by": self.loaded_by,
            "path": self.path,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class RowChange:
    """One row of ``table`` that a load added, removed or changed. ``before``/``after`` are
    the whole rows (None where the load has none); ``fields`` the columns that differ."""

    table: str
    kind: ChangeKind
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadDiff:
    a: LoadInfo
    b: LoadInfo
    changes: list[RowChange] = field(default_factory=list)

    def in_table(self, table: str) -> list[RowChange]:
        return [c for c in self.changes if c.table == table]

    def as_dict(self) -> dict[str, Any]:
        """The ``arsenal diff --json`` object: per imported table (contract order) the rows
        added and removed (whole rows) and changed (key and each changed field's values)."""
        tables: dict[str, Any] = {}
        for spec in FILES:
            rows = self.in_table(spec.name)
            tables[spec.name] = {
                "added": [c.after for c in rows if c.kind == "added"],
                "removed": [c.before for c in rows if c.kind == "removed"],
                "changed": [
                    {
                        "key": c.key,
                        "fields": {
                            f: {"before": (c.before or {}).get(f), "after": (c.after or {}).get(f)}
                            for f in c.fields
                        },
                    }
                    for c in rows
                    if c.kind == "changed"
                ],
            }
        return {
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "identical": not self.changes,
            "counts": {
                name: {k: len(v) for k, v in t.items()}
                for name, t in tables.items()
                if any(t.values())
            },
            "tables": tables,
        }


def read_loads(con: Connection) -> list[LoadInfo]:
    """Every recorded load, newest first."""
    return [
        LoadInfo(
            r["load_id"],
            r["loaded_at"],
            r["loaded_by"],
            r["path"],
            r["content_hash"],
            bool(r["tables_kept"]),
        )
        for r in query(con, "loads").iter_rows(named=True)
    ]


def _reject(message: str, value: Any = None) -> InputRejected:
    return InputRejected(
        [Problem("arguments", None, "load", None if value is None else str(value), message)]
    )


def _pick(
    loads: list[LoadInfo], load_a: int | None, load_b: int | None
) -> tuple[LoadInfo, LoadInfo]:
    by_id = {info.load_id: info for info in loads}
    if load_a is None and load_b is None:
        if len(loads) < 2:
            raise _reject(f"there are {len(loads)} load(s): nothing to compare yet")
        return loads[1], loads[0]
    if load_a is None or load_b is None:
        raise _reject("give two loads, or none for the last two")
    for wanted in (load_a, load_b):
        if wanted not in by_id:
            known = ", ".join(str(i) for i in sorted(by_id)) or "none"
            raise _reject(f"no load {wanted} (loads recorded: {known})", wanted)
    return by_id[load_a], by_id[load_b]


def diff_loads(con: Connection, load_a: int | None = None, load_b: int | None = None) -> LoadDiff:
    """The rows that differ from load ``load_a`` to load ``load_b`` (default: the last two
    loads). Raises ``InputRejected`` for an unknown load or one whose tables were not kept."""
    a, b = _pick(read_loads(con), load_a, load_b)
    for info in (a, b):
        if not info.tables_kept:
            raise _reject(
                f"the tables of load {info.load_id} are not kept (loaded before the load "
                "history, or older than the loads 'arsenal load --keep-loads' keeps)",
                info.load_id,
            )
    keys = {spec.name: spec.key or spec.column_names for spec in FILES}
    changes = []
    rows = query(con, "dataset_history_changes", load_a=a.load_id, load_b=b.load_id)
    for r in rows.iter_rows(named=True):
        before = json.loads(r["before"]) if r["before"] is not None else None
        after = json.loads(r["after"]) if r["after"] is not None else None
        key = json.loads(r["key"])
        if before is None:
            changes.append(RowChange(r["table_name"], "added", key, None, after))
        elif after is None:
            changes.append(RowChange(r["table_name"], "removed", key, before, None))
        else:
            fields = tuple(
                c for c in before if c not in keys[r["table_name"]] and before[c] != after.get(c)
            )
            changes.append(RowChange(r["table_name"], "changed", key, before, after, fields))
    order = {spec.name: i for i, spec in enumerate(FILES)}
    changes.sort(key=lambda c: order[c.table])  # stable: keeps the query's key order within
    return LoadDiff(a, b, changes)
