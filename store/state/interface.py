"""The shared-state interface every backend implements.

The dashboard and the CLI talk to :class:`StateStore` only. The SQLite backend
(``store.state.sqlite``) is the embedded default; a server database for a multi-user
deployment is another class with these methods (see ``store.state`` for how it plugs in).

Every method that changes state writes one audit row in the same transaction as the change,
or neither lands. A method that finds nothing to change (revoking a revoked session) writes
nothing and says so in its return value. A background job's progress is not an action and
is not audited; its start and its end are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

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
)

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    """State that many dashboard users write at once: sessions, worklist, firmed rows, audit."""

    # The audit trail ---------------------------------------------------------------------

    def record_audit(
        self,
        who: str,
        action: str,
        subject_kind: str,
        subject_id: str,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append an action that changes nothing else here (an export, a failed login)."""
        ...

    def read_audit_trail(
        self, subject_kind: str | None = None, subject_id: str | None = None
    ) -> list[AuditEntry]:
        """Audit rows oldest first, optionally for one subject."""
        ...

    # Login sessions ---------------------------------------------------------------------

    def record_login(self, user: str, address: str, ok: bool) -> None:
        """Audit a login attempt (``login.ok`` or ``login.failed``) with the client address."""
        ...

    def read_login_failures(self, user: str, address: str, since: datetime) -> LoginFailures:
        """The user's failed logins since its last good one, and the address's since ``since``."""
        ...

    def create_session(self, user: str, role: str, partner: str | None = None) -> str:
        """A new session; returns its token, which is never stored (only its hash is)."""
        ...

    def read_valid_session(self, token: str) -> Session | None:
        """The session if it exists, is not revoked and has not been idle too long."""
        ...

    def touch_session(self, token: str) -> bool:
        """Mark the session seen now; False when it is unknown, revoked, expired (never
        revived) or seen too recently to be worth a write."""
        ...

    def revoke_session(self, token: str, who: str) -> bool:
        """End one session (logout); False when there was no live session to end."""
        ...

    def revoke_user_sessions(self, user: str, who: str) -> int:
        """End every live session of ``user``; returns how many."""
        ...

    # The worklist of exceptions -----------------------------------------------------------

    def set_exception_status(
        self, exception_key: str, status: ExceptionStatus, who: str
    ) -> None: ...

    def assign_exception(self, exception_key: str, owner: str | None, who: str) -> None:
        """Give the exception an owner (None: nobody)."""
        ...

    def read_exception_state(self, exception_key: str) -> ExceptionState | None:
        """None for an exception nobody has touched (it is open and unowned)."""
        ...

    def read_exception_states(self) -> list[ExceptionState]: ...

    def add_exception_comment(self, exception_key: str, who: str, text: str) -> int: ...

    def read_exception_comments(self, exception_key: str) -> list[ExceptionComment]: ...

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
        """Firm a shipment or pin a completion; returns its id."""
        ...

    def release_firmed(self, firm_id: int, who: str) -> bool:
        """Release a firmed row; False when it is unknown or already released."""
        ...

    def read_firmed(self, *, include_released: bool = False) -> list[FirmedRow]: ...

    # Saved what-if scenarios -------------------------------------------------------------

    def record_saved_scenario(self, name: str, path: str, sha256: str, who: str) -> int: ...

    def read_saved_scenarios(self, name: str | None = None) -> list[SavedScenario]: ...

    # Background jobs --------------------------------------------------------------------

    def start_job(self, kind: str, owner: str, stage: str, total: int, *, limit: int) -> str | None:
        """Record a new job of ``kind`` and return its id; None (nothing recorded) when
        ``limit`` jobs of that kind are already running."""
        ...

    def update_job(self, job_id: str, stage: str, done: int, total: int) -> bool:
        """A running job's progress; False when it is unknown or finished."""
        ...

    def finish_job(
        self, job_id: str, *, result: Any = None, error: str | None = None, stage: str = "done"
    ) -> bool:
        """End a job with its result (a JSON value) or its error; False when it had ended."""
        ...

    def read_job(self, job_id: str) -> BackgroundJob | None: ...

    def close(self) -> None:
        """Release this thread's connection (others close when their thread ends)."""
        ...
