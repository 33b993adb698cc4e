"""What the shared-state store holds, in planners' language, and the rules every backend checks.

The records are plain frozen dataclasses so that any backend (SQLite here, a server database
later) returns the same things, and the checks live here so that every backend refuses the
same inputs with the same messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "EXCEPTION_STATUSES",
    "FIRM_KINDS",
    "AuditEntry",
    "BackgroundJob",
    "ExceptionComment",
    "ExceptionState",
    "ExceptionStatus",
    "FirmKind",
    "FirmedRow",
    "LoginFailures",
    "SavedScenario",
    "Session",
    "check_firm",
    "check_month",
    "check_name",
    "check_sha256",
    "check_status",
    "check_units",
    "iso_utc",
    "parse_utc",
]

ExceptionStatus = Literal["open", "acknowledged", "resolved"]
FirmKind = Literal["shipment", "completion_pin"]
EXCEPTION_STATUSES: tuple[ExceptionStatus, ...] = ("open", "acknowledged", "resolved")
FIRM_KINDS: tuple[FirmKind, ...] = ("shipment", "completion_pin")

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    action: str
    subject_kind: str
    subject_id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class LoginFailures:
    """Failed logins that decide whether the next attempt is throttled."""

    user_failures: int
    """Since the user's last successful login."""
    user_last_failure: datetime | None
    address_failures: int
    """From the client address within the window asked for, whatever the user name."""


@dataclass(frozen=True)
class Session:
    """A live login session (the token itself is never stored, only its hash)."""

    token_hash: str
    user: str
    role: str
    partner: str | None
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class ExceptionState:
    """Where an exception of the worklist stands and who owns it."""

    exception_key: str
    status: ExceptionStatus
    owner: str | None
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class ExceptionComment:
    id: int
    exception_key: str
    who: str
    at: datetime
    text: str


@dataclass(frozen=True)
class FirmedRow:
    """A shipment a planner firmed, or a completion pinned to a month; in force until released."""

    id: int
    source_id: str
    commitment_id: str | None
    partner_id: str
    item_id: str
    month: str
    units: float
    kind: FirmKind
    who: str
    at: datetime
    released_at: datetime | None
    released_by: str | None


@dataclass(frozen=True)
class BackgroundJob:
    """Long work started from the dashboard: where it stands, then its result or its error."""

    job_id: str
    kind: str
    owner: str
    stage: str
    done: int
    total: int
    result: Any
    """The finished job's result (a JSON value), else None."""
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


@dataclass(frozen=True)
class SavedScenario:
    id: int
    name: str
    path: str
    sha256: str
    who: str
    at: datetime


# Times -------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """A moment as fixed-width UTC ISO text, so that text order is time order.

    A naive datetime is taken to be UTC already.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Checks --------------------------------------------------------------------------------


def check_name(value: object, what: str) -> str:
    """A non-empty string (user names, keys, ids)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_status(value: object) -> ExceptionStatus:
    if value not in EXCEPTION_STATUSES:
        raise ValueError(
            f"exception status must be one of {', '.join(EXCEPTION_STATUSES)}, got {value!r}"
        )
    return value  # type: ignore[return-value]


def check_month(value: object) -> str:
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise ValueError(f"month must be YYYY-MM (01 to 12), got {value!r}")
    return value


def check_units(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"units must be a number, got {value!r}")
    if not value >= 0 or value == float("inf"):  # also refuses NaN
        raise ValueError(f"units must be a finite number >= 0, got {value!r}")
    return float(value)


def check_sha256(value: object) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError(f"sha256 must be 64 lower-case hex digits, got {value!r}")
    return value


def check_firm(kind: object, commitment_id: str | None) -> FirmKind:
    """A known kind; a pinned completion names the commitment it completes."""
    if kind not in FIRM_KINDS:
        raise ValueError(f"firmed kind must be one of {', '.join(FIRM_KINDS)}, got {kind!r}")
    if commitment_id is not None:
        check_name(commitment_id, "commitment_id")
    elif kind == "completion_pin":
        raise ValueError("a pinned completion needs the commitment_id it completes")
    return kind  # type: ignore[return-value]
