"""The SQLite file behind the shared state: settings, migrations and write transactions.

- WAL mode: readers never block the writer nor the writer the readers; writers take turns.
- A bounded wait: a writer that finds the file locked waits (SQLite's busy handler) and
  retries with backoff until ``busy_timeout`` seconds have passed, then raises
  :class:`StateBusyError`; it never queues forever.
- ``BEGIN IMMEDIATE``: a write transaction takes the write lock when it starts, so two writers
  never both read and then collide on the upgrade; the whole transaction is retried on
  ``SQLITE_BUSY``.
- One connection per thread (and per process: a forked child opens its own); sqlite3
  connections are never shared.
- Schema versions in ``PRAGMA user_version``: ``sql/state_migrate_v<N>.sql`` takes a file from
  version N-1 to N, inside one transaction.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from store.sql import load_sql
from store.state.records import iso_utc

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "MIGRATIONS",
    "StateBusyError",
    "StateFile",
    "Transaction",
    "split_statements",
]

DEFAULT_BUSY_TIMEOUT = 10.0
"""Seconds a call waits for the write lock before it gives up."""

MIGRATIONS: tuple[str, ...] = ("state_migrate_v1", "state_migrate_v2", "state_migrate_v3")
"""Named scripts in order; after the Nth has run, ``user_version`` is N."""

T = TypeVar("T")
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class StateBusyError(TimeoutError):
    """Another writer held the shared-state file for longer than the bounded wait."""


def split_statements(script: str) -> list[str]:
    """The statements of a script, one each, trigger bodies kept whole.

    ``sqlite3.executescript`` would commit any open transaction first, so a migration runs
    its statements one by one inside the migrator's own transaction instead.
    """
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    leftover = [ln for ln in pending.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    if leftover:
        raise ValueError(f"unterminated statement at the end of the script: {leftover[0]!r}")
    return found


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY_CODES


class Transaction:
    """One write transaction: named statements and audit rows, all stamped with one time."""

    def __init__(self, con: sqlite3.Connection, at: datetime):
        self.con = con
        self.at = iso_utc(at)

    def run(self, statement: str, /, **params: Any) -> list[sqlite3.Row]:
        """Run the named statement with bound parameters; every row it returns."""
        return self.con.execute(load_sql(statement), params).fetchall()

    def audit(
        self,
        who: str,
        action: str,
        subject_kind: str,
        subject_id: str,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append an audit row in this transaction; its id."""
        rows = self.run(
            "state_record_audit",
            at=self.at,
            who=who,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            details=json.dumps(details or {}, sort_keys=True, default=str),
        )
        return int(rows[0]["id"])


class StateFile:
    """The SQLite shared-state file at ``path``, created and migrated on first open."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        if busy_timeout <= 0:
            raise ValueError(f"busy_timeout must be > 0 seconds, got {busy_timeout!r}")
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.clock = clock
        self._local = threading.local()
        self._migrate()

    # Connections -----------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (again after a fork)."""
        con = getattr(self._local, "con", None)
        if con is None or self._local.pid != os.getpid():
            con = self._open()
            self._local.con, self._local.pid = con, os.getpid()
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None and self._local.pid == os.getpid():
            con.close()
        self._local.con = None

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; this class says BEGIN and COMMIT.
        con = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=True
        )
        con.row_factory = sqlite3.Row
        mode = None
        for statement in split_statements(load_sql("state_open")):
            row = con.execute(statement).fetchone()
            mode = row[0] if row else mode
        if str(mode).lower() != "wal":
            con.close()
            raise RuntimeError(
                f"{self.path} cannot use WAL mode (journal mode {mode!r}); "
                "put the shared-state file on a local disk"
            )
        return con

    # Reading and writing ---------------------------------------------------------------

    def read(self, statement: str, /, **params: Any) -> list[sqlite3.Row]:
        """Every row of a named query (WAL: never waits for a writer)."""
        return self.connection().execute(load_sql(statement), params).fetchall()

    def write(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction; retried whole while busy.

        Gives up with :class:`StateBusyError` once ``busy_timeout`` has passed (a last attempt
        may wait up to one more ``busy_timeout`` inside SQLite's busy handler).
        """
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.005
        while True:
            con = self.connection()
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    result = work(Transaction(con, self.clock()))
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
                return result
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StateBusyError(
                        f"{self.path} stayed locked by another writer for more than "
                        f"{self.busy_timeout:g} s"
                    ) from exc
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.25)

    # Schema ----------------------------------------------------------------------------

    def schema_version(self) -> int:
        return int(self.read("state_schema_version")[0][0])

    def _migrate(self) -> None:
        if self.schema_version() == len(MIGRATIONS):
            return

        def upgrade(tx: Transaction) -> None:
            # re-read under the write lock: another process may have migrated meanwhile
            version = int(tx.run("state_schema_version")[0][0])
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} has state schema version {version}, newer than this "
                    f"program's {len(MIGRATIONS)}: upgrade arsenal"
                )
            for name in MIGRATIONS[version:]:
                for statement in split_statements(load_sql(name)):
                    tx.con.execute(statement)
            reached = int(tx.run("state_schema_version")[0][0])
            if reached != len(MIGRATIONS):
                raise RuntimeError(f"state migrations stopped at version {reached}")

        self.write(upgrade)
