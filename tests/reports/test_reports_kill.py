"""A nightly run killed (SIGKILL) at any stage leaves the database and the last report as
they were; the next run then completes normally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from reports_helpers import ROOT, Night, db_rows, nightly_command, run_nightly, tree

NEXT = "2026-01-16"


def start(night: Night, pause_at: str, pdf: bool) -> subprocess.Popen:
    cmd = nightly_command(night, *([] if pdf else ["--no-pdf"]), day=NEXT)
    env = dict(os.environ, ARSENAL_PAUSE_AT=pause_at, ARSENAL_PAUSE_SECONDS="120")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(
    ("pause_at", "pdf"),
    [
        ("pipeline:forecast", False),
        ("nightly:computed", False),
        ("nightly:written", False),
        ("nightly:report", False),
        ("nightly:pdf", True),
    ],
)
def test_killed_mid_run_changes_nothing(night_copy: Night, pause_at: str, pdf: bool):
    before_tree, before_db = tree(night_copy.folder), db_rows(night_copy.db)
    proc = start(night_copy, pause_at, pdf)
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if f"paused at {pause_at}" in line:
            break
    assert any(f"paused at {pause_at}" in s for s in seen), "".join(seen[-20:])
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert db_rows(night_copy.db) == before_db
    assert tree(night_copy.folder) == before_tree
    assert not (night_copy.out / "2026-01-16").exists()

    if pause_at == "nightly:written":
        run_nightly(night_copy, "--no-pdf", day=NEXT)
        assert (night_copy.out / NEXT / "report.html").is_file()
        assert not list(night_copy.out.glob(".*partial*"))


def _runs(db) -> list:
    return db_rows(db)["runs"]


def test_killed_between_the_commit_and_the_rename_the_next_start_puts_the_report_in_place(
    night_copy: Night,
):
    """The results are committed but the report folder is still hidden: the next start sees
    its runs in the database and moves it into place instead of computing the night again."""
    before = _runs(night_copy.db)
    proc = start(night_copy, "nightly:committed", pdf=False)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line or "paused at nightly:committed" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    committed = _runs(night_copy.db)
    assert len(committed) > len(before)
    assert not (night_copy.out / "2026-01-16").exists()
    hidden = list(night_copy.out.glob(".2026-01-16.partial-*"))
    assert len(hidden) == 1

    done = run_nightly(night_copy, "--no-pdf", day=NEXT)
    assert "recovering the report of 2026-01-16" in done.stderr
    assert _runs(night_copy.db) == committed  # nothing computed twice
    summary = json.loads((night_copy.out / "2026-01-16" / "summary.json").read_text())
    ids = {r[0] for r in committed}
    assert all(r["run_id"] in ids for r in summary["runs"])
    assert not list(night_copy.out.glob(".*partial*"))


def test_a_forced_rerun_keeps_the_earlier_report_beside_the_new_one(night_copy: Night):
    before = tree(night_copy.folder)
    run_nightly(night_copy, "--no-pdf", "--force")
    kept = night_copy.out / f"{night_copy.folder.name}.v1"
    assert tree(kept) == before
    assert (kept / "report.pdf").is_file()  # a rebuild without a PDF keeps the earlier PDF
    assert (night_copy.folder / "report.html").is_file()
    assert tree(night_copy.folder) != before
    # with no earlier night, the rebuild says what changed against the report it replaces
    rebuilt = json.loads((night_copy.folder / "summary.json").read_text())
    assert rebuilt["changes"] is not None
    assert rebuilt["changes_note"].startswith("Against the report of 2026-01-15")
