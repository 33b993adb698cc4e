"""The shared-state store, one method at a time: what it keeps, what it refuses, what it audits."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.state import (
    SqliteState,
    StateBusyError,
    StateStore,
    open_state,
    state_path_for,
)
from store.state.sqlite_file import MIGRATIONS, split_statements

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(tmp_path: Path, clock: Clock) -> SqliteState:
    return SqliteState(
        state_path_for(tmp_path / "arsenal.duckdb"),
        session_idle=timedelta(minutes=30),
        touch_every=timedelta(minutes=1),
        clock=clock,
    )


def raw(state: SqliteState) -> sqlite3.Connection:
    """A separate plain connection to the same file, as another program would open it."""
    return sqlite3.connect(state.path, isolation_level=None)


def actions(state: SqliteState) -> list[tuple[str, str, str, str]]:
    return [(a.who, a.action, a.subject_kind, a.subject_id) for a in state.read_audit_trail()]


# The file ----------------------------------------------------------------------------------


def test_the_state_file_sits_beside_the_duckdb_file_in_wal_mode(tmp_path: Path) -> None:
    store = open_state(tmp_path / "arsenal.duckdb")
    assert isinstance(store, StateStore)
    assert store.path == tmp_path / "arsenal.duckdb.state.sqlite"
    con = raw(store)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert con.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    with pytest.raises(ValueError, match="in-memory"):
        state_path_for(":memory:")


def test_reopening_keeps_the_data_and_does_not_migrate_again(state: SqliteState) -> None:
    state.add_exception_comment("late|C1", "ann", "first")
    again = SqliteState(state.path)
    assert [c.text for c in again.read_exception_comments("late|C1")] == ["first"]
    assert again.file.schema_version() == len(MIGRATIONS)


def test_a_file_from_a_newer_program_is_refused(state: SqliteState) -> None:
    raw(state).execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer than this program"):
        SqliteState(state.path)


def test_a_script_splits_into_statements_with_trigger_bodies_whole() -> None:
    script = (
        "-- header; with a semicolon\nCREATE TABLE t (x);\n"
        "CREATE TRIGGER k BEFORE DELETE ON t\nBEGIN\n  SELECT RAISE(ABORT, 'no');\nEND;\n"
        "PRAGMA user_version = 3;\n-- trailing comment\n"
    )
    parts = split_statements(script)
    assert len(parts) == 3
    assert parts[1].startswith("CREATE TRIGGER")
    assert parts[1].endswith("END;")
    with pytest.raises(ValueError, match="unterminated"):
        split_statements("SELECT 1;\nSELECT 2")


def test_a_failed_transaction_leaves_nothing_behind(state: SqliteState) -> None:
    def half_done(tx):  # type: ignore[no-untyped-def]
        tx.run("state_add_exception_comment", exception_key="k", who="ann", at=tx.at, text="x")
        tx.audit("ann", "exception.comment", "exception", "k")
        raise RuntimeError("the second half failed")

    with pytest.raises(RuntimeError, match="second half"):
        state.file.write(half_done)
    assert state.read_exception_comments("k") == []
    assert state.read_audit_trail() == []
    state.add_exception_comment("k", "ann", "after")  # the connection is usable again
    assert len(state.read_audit_trail()) == 1


# The audit trail ---------------------------------------------------------------------------


def test_audit_rows_keep_who_what_and_details_in_order(state: SqliteState, clock: Clock) -> None:
    first = state.record_audit("ann", "report.export", "report", "nightly", {"format": "pdf"})
    clock.advance(seconds=5)
    second = state.record_audit("bob", "login.failed", "user", "bob")
    trail = state.read_audit_trail()
    assert [a.id for a in trail] == [first, second]
    assert trail[0].details == {"format": "pdf"}
    assert trail[0].at == T0
    assert trail[1].at == T0 + timedelta(seconds=5)
    assert trail[1].details == {}
    assert [a.id for a in state.read_audit_trail("user", "bob")] == [second]
    with pytest.raises(ValueError, match="who"):
        state.record_audit(" ", "x", "y", "z")


def test_audit_rows_can_be_neither_updated_nor_deleted(state: SqliteState) -> None:
    state.record_audit("ann", "report.export", "report", "nightly")
    state.record_audit("bob", "report.export", "report", "nightly")
    con = raw(state)
    with pytest.raises(sqlite3.IntegrityError, match="never updated"):
        con.execute("UPDATE audit SET who = 'mallory' WHERE who = 'ann'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        con.execute("DELETE FROM audit WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        con.execute("DELETE FROM audit")
    assert [a.who for a in state.read_audit_trail()] == ["ann", "bob"]


# Sessions ----------------------------------------------------------------------------------


def test_a_session_is_stored_by_the_hash_of_its_token_only(state: SqliteState) -> None:
    token = state.create_session("ann", "liaison", partner="GBR")
    session = state.read_valid_session(token)
    assert session is not None
    assert (session.user, session.role, session.partner) == ("ann", "liaison", "GBR")
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dump = "\n".join(raw(state).iterdump())
    assert token not in dump
    assert state.read_valid_session(token + "x") is None
    assert actions(state) == [("ann", "session.create", "session", session.token_hash[:16])]


def test_a_session_expires_when_idle_and_touching_keeps_it_alive(
    state: SqliteState, clock: Clock
) -> None:
    token = state.create_session("ann", "planner")
    clock.advance(seconds=30)
    assert state.touch_session(token) is False  # seen less than a minute ago: nothing written
    clock.advance(minutes=20)
    assert state.touch_session(token) is True
    clock.advance(minutes=29)
    assert state.read_valid_session(token) is not None
    clock.advance(minutes=2)  # 31 minutes since the last touch
    assert state.read_valid_session(token) is None
    assert state.touch_session(token) is False  # an expired session is never revived
    assert state.read_valid_session(token) is None
    assert [a[1] for a in actions(state)] == ["session.create", "session.touch"]


def test_revoking_ends_one_session_or_all_of_a_users(state: SqliteState) -> None:
    a1 = state.create_session("ann", "planner")
    a2 = state.create_session("ann", "planner")
    b1 = state.create_session("bob", "viewer")
    assert state.revoke_session(a1, "ann") is True
    assert state.revoke_session(a1, "ann") is False
    assert state.touch_session(a1) is False
    assert state.read_valid_session(a1) is None
    assert state.revoke_user_sessions("ann", "admin") == 1
    assert state.revoke_user_sessions("ann", "admin") == 0
    assert state.read_valid_session(a2) is None
    assert state.read_valid_session(b1) is not None
    trail = state.read_audit_trail()
    assert [a.action for a in trail] == ["session.create"] * 3 + [
        "session.revoke",
        "session.revoke_all",
    ]
    assert trail[3].details == {"user": "ann"}
    assert trail[4].details == {"sessions": [hashlib.sha256(a2.encode()).hexdigest()[:16]]}


# The worklist ------------------------------------------------------------------------------


def test_status_and_owner_are_kept_apart_and_audited_with_the_previous_value(
    state: SqliteState,
) -> None:
    assert state.read_exception_state("late|C1") is None
    state.assign_exception("late|C1", "bob", "ann")
    state.set_exception_status("late|C1", "acknowledged", "bob")
    state.set_exception_status("late|C1", "resolved", "bob")
    state.assign_exception("late|C1", None, "ann")
    now = state.read_exception_state("late|C1")
    assert now is not None
    assert (now.status, now.owner, now.updated_by) == ("resolved", None, "ann")
    assert [a.details for a in state.read_audit_trail("exception", "late|C1")] == [
        {"owner": "bob", "previous": None},
        {"status": "acknowledged", "previous": "open"},
        {"status": "resolved", "previous": "acknowledged"},
        {"owner": None, "previous": "bob"},
    ]
    state.set_exception_status("late|C0", "acknowledged", "ann")
    assert [e.exception_key for e in state.read_exception_states()] == ["late|C0", "late|C1"]


def test_an_unknown_status_is_refused_and_nothing_is_written(state: SqliteState) -> None:
    with pytest.raises(ValueError, match="open, acknowledged, resolved"):
        state.set_exception_status("late|C1", "done", "ann")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exception_key"):
        state.set_exception_status("", "open", "ann")
    assert state.read_exception_states() == []
    assert state.read_audit_trail() == []


def test_comments_come_back_in_the_order_they_were_written(state: SqliteState) -> None:
    first = state.add_exception_comment("late|C1", "ann", "supplier confirms March")
    state.add_exception_comment("late|C2", "bob", "elsewhere")
    second = state.add_exception_comment("late|C1", "bob", "slipped to April")
    comments = state.read_exception_comments("late|C1")
    assert [(c.id, c.who, c.text) for c in comments] == [
        (first, "ann", "supplier confirms March"),
        (second, "bob", "slipped to April"),
    ]
    assert [a.details for a in state.read_audit_trail("exception", "late|C1")] == [
        {"comment": first},
        {"comment": second},
    ]
    with pytest.raises(ValueError, match="comment text"):
        state.add_exception_comment("late|C1", "ann", "   ")


# Firmed shipments and pinned completions ----------------------------------------------------


def test_firmed_rows_stay_in_force_until_released(state: SqliteState, clock: Clock) -> None:
    ship = state.firm(
        "shipment",
        source_id="US-DEPOT",
        partner_id="UKR",
        item_id="GMLRS",
        month="2026-04",
        units=120,
        who="ann",
    )
    pin = state.firm(
        "completion_pin",
        source_id="LM-CAMDEN",
        partner_id="POL",
        item_id="GMLRS",
        month="2026-09",
        units=0,
        who="bob",
        commitment_id="FMS-PL-7",
    )
    clock.advance(hours=1)
    assert state.release_firmed(ship, "bob") is True
    assert state.release_firmed(ship, "bob") is False
    assert state.release_firmed(999, "bob") is False
    assert [r.id for r in state.read_firmed()] == [pin]
    rows = state.read_firmed(include_released=True)
    assert [(r.id, r.kind, r.units, r.released_by) for r in rows] == [
        (ship, "shipment", 120.0, "bob"),
        (pin, "completion_pin", 0.0, None),
    ]
    assert rows[0].released_at == T0 + timedelta(hours=1)
    assert rows[1].commitment_id == "FMS-PL-7"
    assert [a.action for a in state.read_audit_trail("firmed")] == [
        "firmed.shipment",
        "firmed.completion_pin",
        "firmed.release",
    ]
    assert state.read_audit_trail("firmed", str(ship))[0].details["units"] == 120.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"month": "2026-13"}, "YYYY-MM"),
        ({"month": "2026-4"}, "YYYY-MM"),
        ({"month": "2026-04-01"}, "YYYY-MM"),
        ({"units": -1}, ">= 0"),
        ({"units": float("nan")}, ">= 0"),
        ({"units": "5"}, "a number"),
        ({"kind": "forecast"}, "shipment, completion_pin"),
        ({"kind": "completion_pin"}, "commitment_id"),
        ({"partner_id": ""}, "partner_id"),
    ],
)
def test_a_bad_firmed_row_is_refused_with_a_clear_reason(
    state: SqliteState, change: dict[str, object], message: str
) -> None:
    row: dict[str, object] = {
        "kind": "shipment",
        "source_id": "US-DEPOT",
        "partner_id": "UKR",
        "item_id": "GMLRS",
        "month": "2026-04",
        "units": 10,
        "who": "ann",
    } | change
    with pytest.raises(ValueError, match=message):
        state.firm(**row)  # type: ignore[arg-type]
    assert state.read_firmed(include_released=True) == []
    assert state.read_audit_trail() == []


# Saved scenarios ---------------------------------------------------------------------------


def test_saved_scenarios_are_recorded_with_their_hash(state: SqliteState) -> None:
    digest = hashlib.sha256(b"capacity x1.5").hexdigest()
    first = state.record_saved_scenario("surge", "scenarios/surge.toml", digest, "ann")
    state.record_saved_scenario("cut", "scenarios/cut.toml", digest, "bob")
    assert [(s.id, s.path, s.sha256) for s in state.read_saved_scenarios("surge")] == [
        (first, "scenarios/surge.toml", digest)
    ]
    assert len(state.read_saved_scenarios()) == 2
    assert actions(state)[0] == ("ann", "scenario.save", "scenario", "surge")
    with pytest.raises(ValueError, match="sha256"):
        state.record_saved_scenario("x", "x.toml", "ABC", "ann")


# Waiting for the write lock -----------------------------------------------------------------


def test_a_writer_gives_up_after_the_bounded_wait_and_writes_nothing(tmp_path: Path) -> None:
    store = SqliteState(tmp_path / "s.sqlite", busy_timeout=0.3)
    holder = raw(store)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(StateBusyError, match="more than 0.3 s"):
        store.set_exception_status("late|C1", "acknowledged", "ann")
    waited = time.monotonic() - started
    holder.execute("ROLLBACK")
    assert 0.3 <= waited < 2.0
    assert store.read_audit_trail() == []


def test_a_writer_waits_for_a_short_lock_and_then_lands(tmp_path: Path) -> None:
    store = SqliteState(tmp_path / "s.sqlite", busy_timeout=5)
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    store.set_exception_status("late|C1", "acknowledged", "ann")
    waited = time.monotonic() - started
    release.join()
    assert 0.25 <= waited < 5
    assert holder.in_transaction is False  # the lock was really held until the timer fired
    assert store.read_exception_state("late|C1") is not None
    assert len(store.read_audit_trail()) == 1


def test_threads_sharing_one_store_each_use_their_own_connection(state: SqliteState) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(40):
                state.add_exception_comment(f"late|T{n}", f"t{n}", f"c{i}")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n in range(4):
        assert [c.text for c in state.read_exception_comments(f"late|T{n}")] == [
            f"c{i}" for i in range(40)
        ]
    assert len(state.read_audit_trail()) == 160


def test_a_background_job_reports_progress_then_its_result_once(
    state: SqliteState, clock: Clock
) -> None:
    job = state.start_job("whatif_odds", "ann", "starting", 200, limit=1)
    assert job is not None
    assert state.start_job("whatif_odds", "bob", "starting", 200, limit=1) is None  # one at a time
    other = state.start_job("other_kind", "bob", "starting", 5, limit=1)
    assert other is not None
    clock.advance(seconds=3)
    assert state.update_job(job, "simulating", 40, 200)
    seen = state.read_job(job)
    assert seen is not None
    assert not seen.finished
    assert (seen.owner, seen.stage, seen.done, seen.total) == ("ann", "simulating", 40, 200)
    assert seen.updated_at == clock.now
    assert seen.started_at == T0
    assert state.finish_job(job, result={"p": [0.5, 1.0]})
    assert not state.finish_job(job, error="late")  # it ended already
    assert not state.update_job(job, "simulating", 50, 200)
    done = state.read_job(job)
    assert done is not None
    assert done.finished
    assert (done.result, done.error, done.stage, done.done) == ({"p": [0.5, 1.0]}, None, "done", 40)
    assert state.read_job("no-such-job") is None
    assert state.start_job("whatif_odds", "bob", "starting", 200, limit=1) is not None
    assert actions(state)[:3] == [
        ("ann", "job.start.whatif_odds", "job", job),
        ("bob", "job.start.other_kind", "job", other),
        ("ann", "job.finish.whatif_odds", "job", job),
    ]


def test_a_job_its_process_stopped_reads_as_failed_and_frees_its_place(
    state: SqliteState, clock: Clock
) -> None:
    job = state.start_job("whatif_odds", "ann", "starting", 10, limit=1)
    assert job is not None
    clock.advance(minutes=4)
    seen = state.read_job(job)
    assert seen is not None
    assert seen.error is None
    assert not seen.finished
    clock.advance(minutes=2)  # nothing heard for six minutes
    dead = state.read_job(job)
    assert dead is not None
    assert dead.finished
    assert "stopped" in (dead.error or "")
    assert state.start_job("whatif_odds", "bob", "starting", 10, limit=1) is not None


def test_a_job_ends_with_a_result_or_an_error_not_both(state: SqliteState) -> None:
    job = state.start_job("whatif_odds", "ann", "starting", 10, limit=2)
    assert job is not None
    with pytest.raises(ValueError, match="not both"):
        state.finish_job(job, result=[1], error="x")
    with pytest.raises(ValueError, match="total"):
        state.start_job("whatif_odds", "ann", "starting", -1, limit=2)
    assert state.finish_job(job, error="the what-if failed")
    ended = state.read_job(job)
    assert ended is not None
    assert (ended.error, ended.result) == ("the what-if failed", None)
