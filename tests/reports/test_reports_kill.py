"""A nightly run killed (SIGKILL) at any stage leaves the database and the last report as
they were; the next run then completes normally."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from reports_helpers import NIGHT_ARGS, Night
from test_reports_nightly import db_rows, tree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(night: Night, pause_at: str, pdf: bool) -> subprocess.Popen:
    args = [a if a != "2026-01-15" else "2026-01-16" for a in NIGHT_ARGS]
    cmd = [
        sys.executable,
        "-m",
        "arsenal.cli",
        "nightly",
        "--db",
        str(night.db),
        "--out",
        str(night.out),
        "--scenarios",
        str(night.scenarios),
        *args,
    ]
    if not pdf:
        cmd.append("--no-pdf")
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

    args = [a if a != "2026-01-15" else "2026-01-16" for a in NIGHT_ARGS]
    done = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "arsenal.cli",
                "nightly",
                "--db",
                str(night_copy.db),
                "--out",
                str(night_copy.out),
                "--scenarios",
                str(night_copy.scenarios),
                "--no-pdf",
                *args,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if pause_at == "nightly:written"
        else None
    )
    if done is not None:
        assert done.returncode == 0, done.stderr[-2000:]
        assert (night_copy.out / "2026-01-16" / "report.html").is_file()
        assert not list(night_copy.out.glob(".*partial*"))
