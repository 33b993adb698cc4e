"""The shipped sample data and scenarios, end to end: nightly, compare, a partner extract."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from reports_helpers import make_db

from arsenal.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_sample_night_compare_and_export(tmp_path, capsys):
    db = make_db(tmp_path / "s.duckdb", ROOT / "data" / "sample")
    out = tmp_path / "reports"
    args = ["--db", str(db), "--out", str(out), "--scenarios", str(ROOT / "scenarios")]
    assert (
        main(
            [
                "nightly",
                *args,
                "--horizon",
                "24",
                "--paths",
                "50",
                "--no-pdf",
                "--promise-samples",
                "30",
                "--date",
                "2026-11-20",
            ]
        )
        == 0
    )
    summary = json.loads((out / "2026-11-20" / "summary.json").read_text())
    # the baseline's promises, each with its odds over 30 futures of supply, stored and shown
    odds = summary["promise_odds"]
    assert odds["samples"] == 30
    ids = {p["commitment_id"] for p in odds["commitments"]}
    assert len(ids) == len(odds["commitments"]) == summary["metrics"]["promises_total"]
    late = {p["commitment_id"] for p in summary["metrics"]["late_promises"]}
    for p in odds["commitments"]:
        assert 0.0 <= p["p_on_time"] <= 1.0
        if p["commitment_id"] in late:
            assert p["p_on_time"] <= 0.5  # a promise late in the plan is rarely on time
    page = (out / "2026-11-20" / "report.html").read_text()
    assert "How likely each promise is to be kept when supply slips" in page
    assert summary["charts"]["criticality"] == 1
    names = {r["scenario"] for r in summary["runs"]}
    assert names >= {
        "baseline",
        "us-155-ramp-slips",
        "ukr-surge",
        "export-reform",
        "coproduction-poland",
    }
    capsys.readouterr()
    assert main(["compare", "baseline", "ukr-surge", "--db", str(db), "--json"]) == 0
    c = json.loads(capsys.readouterr().out)
    assert "UKR-US-155-SURGE-2027" in {r["commitment_id"] for r in c["commitments"]}
    assert c["weighted_late_unit_months"]["b"] >= c["weighted_late_unit_months"]["a"] - 1e-6
    assert main(["export", "--for", "TWN", "--out", str(tmp_path / "twn"), "--db", str(db)]) == 0
    twn = pl.read_csv(tmp_path / "twn" / "commitments.csv")
    assert set(twn["partner_id"]) == {"TWN"}
