"""``summary.json``: the night's figures for programs (the stamp, page one's sentences, the
scenario answers and comparison, budgets, changes, data quality, extract row counts and the
render timings)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.simulation import SimulationResult
from pipeline.version import code_version
from reports.nightly.facts import Facts
from reports.nightly.limits import BODY_ROWS
from reports.nightly.odds import odds_summary
from store.months import month_text

__all__ = ["add_timing", "night_summary", "write_summary"]


def night_summary(
    f: Facts, counts: dict[str, int], fans: int, render_seconds: dict[str, float]
) -> dict[str, Any]:
    """The summary of the night ``f`` describes; ``counts``: extract rows per table; ``fans``:
    stock charts in the body."""
    night, m = f.night, f.baseline
    return {
        "night": night.night.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs_key": night.inputs_key,
        "content_hash": night.data_hash,
        "code_version": code_version(),
        "start": month_text(f.start),
        "horizon": f.horizon,
        "load": f.load.as_dict() if f.load else None,
        "previous_load": f.before.as_dict() if f.before else None,
        "scenario_files": f.files,
        "scenario_versions": f.versions,
        "runs": f.runs,
        "page_one": f.sentences,
        "metrics": {
            **{k: v for k, v in m.items() if k not in ("pools", "late_promises")},
            "late_promises": m["late_promises"][:BODY_ROWS],
        },
        "scenario_answers": f.answers,
        "comparison": f.scenario_rows,
        "budgets": {
            n: {"options": o, "curve": night.budget_curves.get(n, [])} for n, o in f.options.items()
        },
        "tradeoff": night.tradeoff,
        "promise_odds": odds_summary(night.promise_odds, night.promise_odds_run_id),
        "failed_scenarios": [x.as_dict() for x in night.failures],
        "data_quality": {
            k: f.quality[k] for k in ("periods_checked", "explained", "unexplained", "tolerance")
        },
        "changes": f.changes,
        "changes_note": f.note,
        "extract_rows": counts,
        "charts": {
            "stock_fans": fans,
            "sankey": 1,
            "capacity": 1,
            "tradeoff": int(bool(night.tradeoff) and "error" not in night.tradeoff),
            "criticality": int(
                isinstance(night.promise_odds, SimulationResult)
                and night.promise_odds.lines.filter(pl.col("criticality").is_not_null()).height > 0
            ),
        },
        "render_seconds": {k: round(v, 3) for k, v in render_seconds.items()},
        **f.state,
    }


def write_summary(summary: dict[str, Any], folder: Path) -> None:
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")


def add_timing(folder: Path, name: str, seconds: float) -> None:
    """Record one more render time (the PDF's, printed after the rest) in summary.json."""
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    summary.setdefault("render_seconds", {})[name] = round(seconds, 3)
    write_summary(summary, folder)
