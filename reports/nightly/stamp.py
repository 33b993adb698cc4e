"""The stamp: what the report used - the runs, the loads (who loaded them, when, from
where), the scenario files' versions and the code - as the first page's line and the
appendix's section."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from pipeline.nightly import Night
from pipeline.version import code_version
from reports.html import Section, table
from store.history import LoadInfo
from store.months import month_text

__all__ = ["run_rows", "stamp_line", "stamp_section"]


def stamp_section(
    runs: list[dict[str, Any]],
    night: Night,
    load: LoadInfo | None,
    before: LoadInfo | None,
    versions: list[dict[str, Any]],
) -> Section:
    s = Section("Stamp: what this report used", "stamp", appendix=True)
    s.text(
        table(
            ["scenario", "run id", "solver", "forecast s", "plan s", "projection s"],
            [
                [
                    r["scenario"],
                    r["run_id"],
                    r["solver_status"],
                    r["timings"].get("forecast"),
                    r["timings"].get("plan"),
                    r["timings"].get("project"),
                ]
                for r in runs
            ],
        )
    )
    loads = [x for x in (load, before) if x is not None]
    s.text("<h3>Loads</h3>")
    s.text(
        table(
            ["load", "role", "loaded at (UTC)", "by", "from", "content hash"],
            [
                [
                    str(x.load_id),
                    "tonight's data" if x is load else "last night's data",
                    x.loaded_at.isoformat(sep=" ", timespec="seconds"),
                    x.loaded_by or "-",
                    x.path,
                    x.content_hash[:16],
                ]
                for x in dict.fromkeys(loads)
            ],
            empty="No recorded load matches the data (loaded before loads were kept).",
            widths=[6, 12, 16, 10, 40, 16],
        )
    )
    s.text("<h3>Scenario versions</h3>")
    s.text(
        table(
            ["scenario file", "sha256", "saved from the dashboard by", "at (UTC)"],
            [
                [v["scenario"], v["sha256"], v["saved_by"] or "-", v["saved_at"] or "-"]
                for v in versions
            ],
            empty="No scenario file was read.",
            widths=[20, 50, 15, 15],
        )
    )
    s.text(
        f"<p class='note'>Inputs key {night.inputs_key[:16]}; data content hash "
        f"{html.escape(night.data_hash or '-')}; code {html.escape(code_version())}.</p>"
    )
    return s


def run_rows(results: list[Any], run_ids: dict[str, str]) -> list[dict[str, Any]]:
    runs = []
    for r in results:
        s = r.summary()
        runs.append(
            {
                "scenario": r.scenario,
                "run_id": run_ids[r.scenario],
                "solver_status": s["allocate"]["status"],
                "weighted_late_unit_months": s["allocate"]["weighted_late_unit_months"],
                "late_commitments": s["allocate"]["late_commitments"],
                "breach_p50_within_horizon": s["project"]["breach_p50_within_horizon"],
                "timings": s["timings"],
                "description": r.applied.descriptions.get(r.scenario, ""),
            }
        )
    return runs


def stamp_line(
    night: Night, start: date, horizon: int, load: LoadInfo | None, runs: list[dict[str, Any]]
) -> str:
    """The stamp under the title (HTML): night, plan window, load, code, solver, time."""
    return (
        f"Night {night.night.isoformat()} · plan from {month_text(start)} for {horizon} months · "
        f"data: load {load.load_id if load else '?'} by {html.escape((load.loaded_by if load else None) or '?')} "
        f"({html.escape((night.data_hash or 'not loaded')[:12])}) · code {html.escape(code_version())} · "
        f"solver: {html.escape(', '.join(sorted({r['solver_status'] for r in runs})))} · "
        f"pipelines computed in {night.elapsed:.1f} s"
    )
