"""The embedded shared-state backend: a SQLite file in WAL mode beside the DuckDB file."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from store.state.records import (
    AuditEntry,
    BackgroundJob,
    ExceptionComment,
    ExceptionState,
    ExceptionStatus,
    FirmedRow,
    FirmKind,
    LoginFailures,
    SavedScenario,
    Session,
    check_firm,
    check_month,
    check_name,
    check_sha256,
    check_status,
    check_units,
    iso_utc,
    parse_utc,
)
from store.state.sqlite_file import DEFAULT_BUSY_TIMEOUT, StateFile, Transaction

__all__ = [
    "DEFAULT_SESSION_IDLE",
    "DEFAULT_TOUCH_EVERY",
    "JOB_SILENCE",
    "SqliteState",
    "token_hash",
]

DEFAULT_SESSION_IDLE = timedelta(minutes=30)
"""A session unused for this long is no longer valid."""
DEFAULT_TOUCH_EVERY = timedelta(minutes=1)
"""A session's last-seen time is written at most this often (one write, one audit row)."""
JOB_SILENCE = timedelta(minutes=5)
"""A running job not heard from for this long has died with its server process."""


def token_hash(token: str) -> str:
    """What is stored for a session token: its SHA-256, so a copy of the file logs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session_subject(hashed: str) -> str:
    """How the audit trail names a session: a prefix of its hash, never the token."""
    return hashed[:16]


_TIMES = (
    "at",
    "created_at",
    "last_seen_at",
    "updated_at",
    "released_at",
    "started_at",
    "finished_at",
)
R = TypeVar("R")


def _record(kind: type[R], row: sqlite3.Row) -> R:
    """A record from a row whose columns are its fields; times parsed, details decoded."""
    values = dict(zip(row.keys(), row, strict=True))
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = parse_utc(values[name])
    if "details" in values:
        values["details"] = json.loads(values["details"])
    return kind(**values)


class SqliteState:
    """:class:`store.state.StateStore` on a SQLite file; safe from many threads and processes.

    Each thread (and process) uses its own connection; every write is one short
    ``BEGIN IMMEDIATE`` transaction holding the change and its audit row.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        session_idle: timedelta = DEFAULT_SESSION_IDLE,
        touch_every: timedelta = DEFAULT_TOUCH_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.file = StateFile(path, busy_timeout=busy_timeout, clock=clock)
        self.session_idle = session_idle
        self.touch_every = touch_every
        self.clock = clock

    @property
    def path(self) -> Path:
        return self.file.path

    def close(self) -> None:
        self.file.close()

    # The audit trail ---------------------------------------------------------------------

    def record_audit(
        self,
        who: str,
        action: str,
        subject_kind: str,
        subject_id: str,
        details: dict[str, Any] | None = None,
    ) -> int:
        check_name(who, "who")
        check_name(action, "action")
        check_name(subject_kind, "subject_kind")
        check_name(subject_id, "subject_id")
        if details is not None and not isinstance(details, dict):
            raise ValueError(f"audit details must be a dict, got {type(details).__name__}")
        return self.file.write(lambda tx: tx.audit(who, action, subject_kind, subject_id, details))

    def read_audit_trail(
        self, subject_kind: str | None = None, subject_id: str | None = None
    ) -> list[AuditEntry]:
        rows = self.file.read("state_audit_trail", subject_kind=subject_kind, subject_id=subject_id)
        return [_record(AuditEntry, r) for r in rows]

    # Login sessions ---------------------------------------------------------------------

    def record_login(self, user: str, address: str, ok: bool) -> None:
        check_name(user, "user")
        action = "login.ok" if ok else "login.failed"
        self.file.write(lambda tx: tx.audit(user, action, "user", user, {"address": address}))

    def read_login_failures(self, user: str, address: str, since: datetime) -> LoginFailures:
        row = self.file.read(
            "state_login_failures", user=user, address=address, since=iso_utc(since)
        )[0]
        last = row["user_last_failure"]
        return LoginFailures(
            int(row["user_failures"]),
            None if last is None else parse_utc(last),
            int(row["address_failures"]),
        )

    def create_session(self, user: str, role: str, partner: str | None = None) -> str:
        check_name(user, "user")
        check_name(role, "role")
        if partner is not None:
            check_name(partner, "partner")
        token = secrets.token_urlsafe(32)
        hashed = token_hash(token)

        def work(tx: Transaction) -> None:
            tx.run(
                "state_create_session",
                token_hash=hashed,
                user=user,
                role=role,
                partner=partner,
                at=tx.at,
            )
            tx.audit(
                user,
                "session.create",
                "session",
                _session_subject(hashed),
                {"role": role, "partner": partner},
            )

        self.file.write(work)
        return token

    def read_valid_session(self, token: str) -> Session | None:
        cutoff = iso_utc(self.clock() - self.session_idle)
        rows = self.file.read("state_valid_session", token_hash=token_hash(token), cutoff=cutoff)
        if not rows:
            return None
        return _record(Session, rows[0])

    def touch_session(self, token: str) -> bool:
        hashed = token_hash(token)

        def work(tx: Transaction) -> bool:
            now = parse_utc(tx.at)
            rows = tx.run(
                "state_touch_session",
                token_hash=hashed,
                at=tx.at,
                cutoff=iso_utc(now - self.session_idle),
                stale_before=iso_utc(now - self.touch_every),
            )
            if not rows:
                return False
            tx.audit(rows[0]["user"], "session.touch", "session", _session_subject(hashed))
            return True

        return self.file.write(work)

    def revoke_session(self, token: str, who: str) -> bool:
        check_name(who, "who")
        hashed = token_hash(token)

        def work(tx: Transaction) -> bool:
            rows = tx.run("state_revoke_session", token_hash=hashed, at=tx.at)
            if not rows:
                return False
            tx.audit(
                who,
                "session.revoke",
                "session",
                _session_subject(hashed),
                {"user": rows[0]["user"]},
            )
            return True

        return self.file.write(work)

    def revoke_user_sessions(self, user: str, who: str) -> int:
        check_name(user, "user")
        check_name(who, "who")

        def work(tx: Transaction) -> int:
            rows = tx.run("state_revoke_user_sessions", user=user, at=tx.at)
            if rows:
                ended = sorted(_session_subject(r["token_hash"]) for r in rows)
                tx.audit(who, "session.revoke_all", "user", user, {"sessions": ended})
            return len(rows)

        return self.file.write(work)

    # The worklist of exceptions -----------------------------------------------------------

    def set_exception_status(self, exception_key: str, status: ExceptionStatus, who: str) -> None:
        check_name(exception_key, "exception_key")
        check_status(status)
        check_name(who, "who")

        def work(tx: Transaction) -> None:
            before = tx.run("state_exception_status", exception_key=exception_key)
            previous = before[0]["status"] if before else None
            tx.run(
                "state_set_exception_status",
                exception_key=exception_key,
                status=status,
                who=who,
                at=tx.at,
            )
            details = {"status": status, "previous": previous}
            tx.audit(who, "exception.status", "exception", exception_key, details)

        self.file.write(work)

    def assign_exception(self, exception_key: str, owner: str | None, who: str) -> None:
        check_name(exception_key, "exception_key")
        if owner is not None:
            check_name(owner, "owner")
        check_name(who, "who")

        def work(tx: Transaction) -> None:
            before = tx.run("state_exception_status", exception_key=exception_key)
            previous = before[0]["owner"] if before else None
            tx.run(
                "state_assign_exception",
                exception_key=exception_key,
                owner=owner,
                who=who,
                at=tx.at,
            )
            details = {"owner": owner, "previous": previous}
            tx.audit(who, "exception.assign", "exception", exception_key, details)

        self.file.write(work)

    def read_exception_state(self, exception_key: str) -> ExceptionState | None:
        rows = self.file.read("state_exception_status", exception_key=exception_key)
        return _record(ExceptionState, rows[0]) if rows else None

    def read_exception_states(self) -> list[ExceptionState]:
        return [_record(ExceptionState, r) for r in self.file.read("state_exception_statuses")]

    def add_exception_comment(self, exception_key: str, who: str, text: str) -> int:
        check_name(exception_key, "exception_key")
        check_name(who, "who")
        check_name(text, "comment text")

        def work(tx: Transaction) -> int:
            rows = tx.run(
                "state_add_exception_comment",
                exception_key=exception_key,
                who=who,
                at=tx.at,
                text=text,
            )
            comment_id = int(rows[0]["id"])
            tx.audit(who, "exception.comment", "exception", exception_key, {"comment": comment_id})
            return comment_id

        return self.file.write(work)

    def read_exception_comments(self, exception_key: str) -> list[ExceptionComment]:
        rows = self.file.read("state_exception_comments", exception_key=exception_key)
        return [_record(ExceptionComment, r) for r in rows]

    # Firmed shipments and pinned completions ----------------------------------------------

    def firm(
        self,
        kind: FirmKind,
        *,
        source_id: str,
        partner_id: str,
        item_id: str,
        month: str,
        units: float,
        who: str,
        commitment_id: str | None = None,
    ) -> int:
        check_firm(kind, commitment_id)
        for value, what in (
            (source_id, "source_id"),
            (partner_id, "partner_id"),
            (item_id, "item_id"),
            (who, "who"),
        ):
            check_name(value, what)
        check_month(month)
        amount = check_units(units)
        row = {
            "source_id": source_id,
            "commitment_id": commitment_id,
            "partner_id": partner_id,
            "item_id": item_id,
            "month": month,
            "units": amount,
            "kind": kind,
        }

        def work(tx: Transaction) -> int:
            firm_id = int(tx.run("state_firm", **row, who=who, at=tx.at)[0]["id"])
            tx.audit(who, f"firmed.{kind}", "firmed", str(firm_id), row)
            return firm_id

        return self.file.write(work)

    def release_firmed(self, firm_id: int, who: str) -> bool:
        if isinstance(firm_id, bool) or not isinstance(firm_id, int):
            raise ValueError(f"firm_id must be an integer, got {firm_id!r}")
        check_name(who, "who")

        def work(tx: Transaction) -> bool:
            if not tx.run("state_release_firmed", id=firm_id, who=who, at=tx.at):
                return False
            tx.audit(who, "firmed.release", "firmed", str(firm_id))
            return True

        return self.file.write(work)

    def read_firmed(self, *, include_released: bool = False) -> list[FirmedRow]:
        rows = self.file.read("state_firmed", include_released=bool(include_released))
        return [_record(FirmedRow, r) for r in rows]

    # Saved what-if scenarios -------------------------------------------------------------

    def record_saved_scenario(self, name: str, path: str, sha256: str, who: str) -> int:
        check_name(name, "scenario name")
        check_name(path, "path")
        check_sha256(sha256)
        check_name(who, "who")

        def work(tx: Transaction) -> int:
            rows = tx.run(
                "state_save_scenario", name=name, path=path, sha256=sha256, who=who, at=tx.at
            )
            record_id = int(rows[0]["id"])
            tx.audit(who, "scenario.save", "scenario", name, {"path": path, "sha256": sha256})
            return record_id

        return self.file.write(work)

    def read_saved_scenarios(self, name: str | None = None) -> list[SavedScenario]:
        rows = self.file.read("state_saved_scenarios", name=name)
        return [_record(SavedScenario, r) for r in rows]

    # Background jobs --------------------------------------------------------------------

    def start_job(self, kind: str, owner: str, stage: str, total: int, *, limit: int) -> str | None:
        check_name(kind, "kind")
        check_name(owner, "owner")
        check_name(stage, "stage")
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"total must be a whole number of 0 or more, got {total!r}")
        job_id = secrets.token_urlsafe(16)

        def work(tx: Transaction) -> str | None:
            since = iso_utc(self.clock() - JOB_SILENCE)
            if len(tx.run("state_running_jobs", kind=kind, since=since)) >= limit:
                return None
            tx.run(
                "state_start_job",
                job_id=job_id,
                kind=kind,
                owner=owner,
                stage=stage,
                total=total,
                at=tx.at,
            )
            tx.audit(owner, f"job.start.{kind}", "job", job_id, {"total": total})
            return job_id

        return self.file.write(work)

    def update_job(self, job_id: str, stage: str, done: int, total: int) -> bool:
        check_name(stage, "stage")
        return self.file.write(
            lambda tx: bool(
                tx.run(
                    "state_update_job",
                    job_id=job_id,
                    stage=stage,
                    done=max(0, int(done)),
                    total=max(0, int(total)),
                    at=tx.at,
                )
            )
        )

    def finish_job(
        self, job_id: str, *, result: Any = None, error: str | None = None, stage: str = "done"
    ) -> bool:
        if result is not None and error is not None:
            raise ValueError("a job ends with a result or an error, not both")
        text = None if result is None else json.dumps(result, default=str)

        def work(tx: Transaction) -> bool:
            rows = tx.run(
                "state_finish_job", job_id=job_id, stage=stage, result=text, error=error, at=tx.at
            )
            if not rows:
                return False
            job = tx.run("state_job", job_id=job_id)[0]
            outcome = {"error": error} if error is not None else {}
            tx.audit(job["owner"], f"job.finish.{job['kind']}", "job", job_id, outcome)
            return True

        return self.file.write(work)

    def read_job(self, job_id: str) -> BackgroundJob | None:
        rows = self.file.read("state_job", job_id=job_id)
        if not rows:
            return None
        values = dict(rows[0])
        values["result"] = json.loads(values["result"]) if values["result"] else None
        for name in ("started_at", "updated_at", "finished_at"):
            if values[name] is not None:
                values[name] = parse_utc(values[name])
        if values["finished_at"] is None and self.clock() - values["updated_at"] > JOB_SILENCE:
            minutes = int(JOB_SILENCE.total_seconds() // 60)
            values["error"] = (
                f"the server process running it stopped (no word for more than {minutes} minutes)"
            )
            values["finished_at"] = values["updated_at"]
        return BackgroundJob(**values)
