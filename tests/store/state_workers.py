"""Process bodies for the concurrent-writer tests (a module of its own so that spawned
processes can import them), and the writes each one is expected to have made."""

from __future__ import annotations

import time
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

import duckdb

from store.state import EXCEPTION_STATUSES, open_state

KINDS = ("audit", "comment", "status", "firm")
ACTIONS = {
    "audit": "report.export",
    "comment": "exception.comment",
    "status": "exception.status",
    "firm": "firmed.shipment",
}


def kind_of(i: int) -> str:
    return KINDS[i % len(KINDS)]


def status_key(writer: int, i: int) -> str:
    return f"late|w{writer}-{i % 3}"


def status_of(i: int) -> str:
    return EXCEPTION_STATUSES[(i // 4) % 3]


def month_of(i: int) -> str:
    return f"2026-{i % 12 + 1:02d}"


def mixed_writer(db: str, writer: int, writes: int, start: Barrier, results: Queue) -> None:
    """Make ``writes`` state changes of mixed kinds, all writers starting together; report
    the slowest one, or the error."""
    slowest = 0.0
    try:
        state = open_state(db)
        start.wait(60)
        first = time.time()
        who = f"w{writer}"
        for i in range(writes):
            began = time.monotonic()
            kind = kind_of(i)
            if kind == "audit":
                state.record_audit(who, "report.export", "report", f"{who}-{i}", {"i": i})
            elif kind == "comment":
                state.add_exception_comment(f"late|{who}", who, f"comment {i}")
            elif kind == "status":
                state.set_exception_status(status_key(writer, i), status_of(i), who)  # type: ignore[arg-type]
            else:
                state.firm(
                    "shipment",
                    source_id=f"S{writer}",
                    partner_id="UKR",
                    item_id="GMLRS",
                    month=month_of(i),
                    units=float(i),
                    who=who,
                )
            slowest = max(slowest, time.monotonic() - began)
        done = time.time()
        results.put(
            {"writer": writer, "slowest": slowest, "error": None, "first": first, "done": done}
        )
    except BaseException:
        results.put({"writer": writer, "slowest": slowest, "error": traceback.format_exc()})


def duckdb_holder(db: str, rows: int, holding: Event, writers_done: Event, results: Queue) -> None:
    """Hold one DuckDB write transaction on ``db`` until the writers are done (at least 1 s)."""
    try:
        con = duckdb.connect(db)
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO bulk SELECT range AS n FROM range($rows)", {"rows": rows})
        began = time.time()
        holding.set()
        time.sleep(1.0)
        writers_done.wait(30)
        committed_before = time.time()
        con.execute("COMMIT")
        con.close()
        results.put({"began": began, "committing": committed_before, "error": None})
    except BaseException:
        holding.set()
        results.put({"error": traceback.format_exc()})


def same_status_writer(path: str, who: str, updates: int, start: Event, results: Queue) -> None:
    """Set one exception's status ``updates`` times, cycling through the statuses."""
    try:
        state = open_state(path)
        start.wait(30)
        for i in range(updates):
            state.set_exception_status("late|shared", EXCEPTION_STATUSES[i % 3], who)
        results.put({"who": who, "error": None})
    except BaseException:
        results.put({"who": who, "error": traceback.format_exc()})


def expected_actions(writer: int, writes: int) -> list[tuple[str, str, str]]:
    """(action, subject_kind, subject_id) of each audit row writer ``writer`` should leave,
    in order (firmed ids are not known in advance, so their subject is left blank)."""
    who = f"w{writer}"
    subjects: dict[str, Any] = {
        "audit": lambda i: ("report", f"{who}-{i}"),
        "comment": lambda i: ("exception", f"late|{who}"),
        "status": lambda i: ("exception", status_key(writer, i)),
        "firm": lambda i: ("firmed", ""),
    }
    return [(ACTIONS[kind_of(i)], *subjects[kind_of(i)](i)) for i in range(writes)]


def db_path(folder: Path) -> str:
    return str(folder / "arsenal.duckdb")
