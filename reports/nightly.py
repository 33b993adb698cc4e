"""The nightly run: baseline and every saved scenario, then the report in ``DIR/YYYY-MM-DD/``.

Safe under cron:

- all pipelines are computed in memory first; their results are written in ONE database
  transaction, and the report is built (from the database, through that transaction) in a
  hidden temporary folder next to the final one. Only when the report (and its PDF) is
  complete does the transaction commit and the folder get renamed into place. A run killed
  at any point before the commit leaves the database and the previous report as they were.
- a rerun of the same night with the same inputs (data hash, code version, scenario files,
  start, horizon, paths, seed) does nothing; with changed inputs it replaces the night's
  folder (and compares with the night before, not with the earlier attempt).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from arsenal.compare import compare_runs, render_comparison
from arsenal.pipeline import (
    DEFAULT_HORIZON,
    DEFAULT_PATHS,
    PipelineResult,
    checkpoint,
    code_version,
    compute,
    content_hash,
    write_pipeline,
)
from arsenal.scenarios import BASELINE, Applied, apply_chain, read_scenarios, resolve_chain
from dashboards.figures import allocation_sankey, backlog_timeline, capacity_ranking, stock_fan
from reports.changes import baseline_state, diff_states, fingerprints
from reports.html import Section, render_report, table
from reports.pdf import print_pdf
from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect, transaction
from store.months import add_months, month_text
from store.runs import latest_run
from store.sql import query

__all__ = ["EXTRACT_TABLES", "NightlyOptions", "build_report", "run_nightly", "write_extracts"]

log = logging.getLogger(__name__)

EXTRACT_TABLES = (
    "plan_commitments",
    "plan_shipments",
    "plan_pools",
    "plan_investments",
    "capacity_value",
    "demand_models",
    "demand_forecast",
    "stock_projection",
    "stock_outlook",
)
FAN_CHARTS = 12


@dataclass(frozen=True)
class NightlyOptions:
    db: str
    out: Path
    scenarios: Path | None = None
    night: date = field(default_factory=lambda: datetime.now(UTC).date())
    start: date | None = None
    horizon: int = DEFAULT_HORIZON
    paths: int = DEFAULT_PATHS
    seed: int = 0
    pdf: bool = True
    force: bool = False


def _inputs_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _previous_summary(out: Path, night: date) -> dict[str, Any] | None:
    """The summary of the latest complete report before ``night``."""
    found = []
    for folder in out.iterdir() if out.exists() else []:
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if day < night and (folder / "summary.json").is_file():
            found.append(day)
    if not found:
        return None
    return json.loads((out / max(found).isoformat() / "summary.json").read_text())


def _clean_partials(out: Path) -> None:
    for stale in out.glob(".*.partial-*"):
        log.info("removing %s left by an interrupted run", stale.name)
        shutil.rmtree(stale, ignore_errors=True)


def _scenario_files(folder: Path | None) -> tuple[dict[str, Applied], dict[str, str]]:
    if folder is None or not folder.is_dir():
        return {}, {}
    library = read_scenarios(folder)
    hashes = {
        name: hashlib.sha256(Path(s.path).read_bytes()).hexdigest() for name, s in library.items()
    }
    return library, hashes


def run_nightly(opts: NightlyOptions) -> Path:
    """Run the night; returns the report folder (already there when nothing changed)."""
    t_start = time.perf_counter()
    out = opts.out
    out.mkdir(parents=True, exist_ok=True)
    final = out / opts.night.isoformat()
    con = connect(opts.db)
    try:
        _clean_partials(out)
        dataset = read_dataset(con)
        data_hash = content_hash(con)
        start = opts.start or default_start(dataset)
        library, file_hashes = _scenario_files(opts.scenarios)
        key = _inputs_key(
            {
                "data": data_hash,
                "code": code_version(),
                "scenarios": file_hashes,
                "start": month_text(start),
                "horizon": opts.horizon,
                "paths": opts.paths,
                "seed": opts.seed,
                "pdf": opts.pdf,
            }
        )
        done = final / "summary.json"
        if (
            not opts.force
            and done.is_file()
            and json.loads(done.read_text()).get("inputs_key") == key
        ):
            log.info(
                "the report for %s is already written with the same inputs: nothing to do",
                opts.night,
            )
            return final
        applied = {BASELINE: Applied(dataset=dataset)}
        for name in sorted(library):
            applied[name] = apply_chain(dataset, resolve_chain(name, library))
        log.info(
            "night %s: baseline and %d scenario(s) from %s",
            opts.night,
            len(library),
            month_text(start),
        )

        results = _compute_all(con, applied, start, opts, file_hashes)
        checkpoint("nightly:computed")
        partial = out / f".{opts.night.isoformat()}.partial-{datetime.now(UTC):%H%M%S%f}"
        try:
            with transaction(con):
                run_ids = {r.scenario: write_pipeline(con, r, data_hash) for r in results}
                checkpoint("nightly:written")
                partial.mkdir()
                summary = build_report(
                    con,
                    partial,
                    dataset,
                    results,
                    run_ids,
                    night=opts.night,
                    data_hash=data_hash,
                    inputs_key=key,
                    previous=_previous_summary(out, opts.night),
                    elapsed=time.perf_counter() - t_start,
                )
                checkpoint("nightly:report")
                if opts.pdf:
                    print_pdf(partial / "report.html", partial / "report.pdf")
                    checkpoint("nightly:pdf")
            _move_into_place(partial, final)
        finally:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)
        log.info(
            "report for %s written to %s in %.1f s (baseline %s)",
            opts.night,
            final,
            time.perf_counter() - t_start,
            summary["runs"][0]["run_id"],
        )
        return final
    finally:
        con.close()


def _move_into_place(partial: Path, final: Path) -> None:
    if final.exists():
        old = final.with_name(f".{final.name}.old-{datetime.now(UTC):%H%M%S%f}")
        final.rename(old)
        partial.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(final)


def _compute_all(
    con: Connection,
    applied: dict[str, Applied],
    start: date,
    opts: NightlyOptions,
    file_hashes: dict[str, str],
) -> list[PipelineResult]:
    previous = None
    last = latest_run(con, "forecast", BASELINE)
    if last is not None and last["start_month"] == start and last["horizon"] == opts.horizon:
        from arsenal.commands.forecast import read_demand

        previous = read_demand(con, last["run_id"])
    results = []
    baseline = compute(
        applied[BASELINE],
        start,
        opts.horizon,
        previous_demand=previous,
        paths=opts.paths,
        seed=opts.seed,
    )
    results.append(baseline)
    demand = _Demand(baseline.models, baseline.forecast)
    for name, scenario in applied.items():
        if name == BASELINE:
            continue
        r = compute(scenario, start, opts.horizon, demand=demand, paths=opts.paths, seed=opts.seed)
        results.append(
            PipelineResult(
                **{**r.__dict__, "scenario_files": {n: file_hashes[n] for n in scenario.chain}}
            )
        )
    return results


@dataclass(frozen=True)
class _Demand:
    """The baseline's unscaled forecast, shared by every scenario of the night."""

    models: pl.DataFrame
    forecast: pl.DataFrame


# -- the report ------------------------------------------------------------------------------


def write_extracts(con: Connection, folder: Path, run_ids: list[str]) -> dict[str, int]:
    """CSV and Parquet of every result table for ``run_ids`` (with a ``scenario`` column)."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in EXTRACT_TABLES:
        frame = query(con, f"export_{name}", run_ids=run_ids)
        frame = frame.with_columns(pl.col(pl.Object).cast(pl.String)) if frame.width else frame
        frame.write_parquet(folder / f"{name}.parquet")
        frame.write_csv(folder / f"{name}.csv")
        counts[name] = frame.height
    return counts


def _pick_pools(outlook: pl.DataFrame, n: int) -> pl.DataFrame:
    """The pools most worth a chart: those breaching their floor first, then the most at risk,
    then those furthest from their target."""
    return (
        outlook.with_columns(
            pl.col("floor_breach_p50").is_null().alias("_no_breach"),
            pl.col("target_reached_p50").is_null().alias("_no_rebuild"),
        )
        .sort(
            [
                "_no_breach",
                "breach_probability_12",
                "floor_breach_p50",
                "_no_rebuild",
                "holder_id",
                "item_id",
            ],
            descending=[False, True, False, True, False, False],
            nulls_last=True,
        )
        .head(n)
        .drop("_no_breach", "_no_rebuild")
    )


def _fmt_month(d: date | None) -> str:
    return month_text(d) or "-"


def build_report(
    con: Connection,
    folder: Path,
    dataset: Dataset,
    results: list[PipelineResult],
    run_ids: dict[str, str],
    *,
    night: date,
    data_hash: str | None,
    inputs_key: str,
    previous: dict[str, Any] | None,
    elapsed: float,
) -> dict[str, Any]:
    """Write report.html, the extracts and summary.json into ``folder`` from the database rows
    of ``run_ids`` (the first result is the baseline); returns the summary."""
    base = results[0]
    base_id = run_ids[base.scenario]
    start, horizon = base.start, base.horizon
    horizon_end = add_months(start, horizon - 1)
    commitments = query(con, "compare_commitments", run_id=base_id)
    shipments = query(con, "plan_shipments_for_run", run_id=base_id)
    values = query(con, "report_capacity_value", run_id=base_id)
    projection = query(con, "report_projection", run_id=base_id)
    outlook = query(con, "compare_outlook", run_id=base_id)
    history = query(con, "report_stock_history")
    comparisons = [compare_runs(con, base_id, run_ids[r.scenario]) for r in results[1:]]

    forecast = query(con, "report_demand_forecast", run_id=base_id)
    state = {
        "baseline": baseline_state(commitments, outlook),
        "fingerprints": fingerprints(dataset, forecast, start),
    }
    changes = diff_states(previous, state) if previous else None

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
    version = code_version()
    stamp = (
        f"Night {night.isoformat()} · plan from {month_text(start)} for {horizon} months · "
        f"data {html.escape((data_hash or 'not loaded')[:12])} · code {html.escape(version)} · "
        f"solver: {html.escape(', '.join(sorted({r['solver_status'] for r in runs})))} · "
        f"pipelines computed in {elapsed:.1f} s"
    )

    sections = []
    s = Section("Scenario comparison", "comparison")
    s.text(
        "<p class='note'>Each scenario against the baseline. Weighted late unit-months: units "
        "late times months late, weighted 16/8/4/2/1 by priority. Saved per million USD: the "
        "baseline's weighted late unit-months minus the scenario's, over what the scenario "
        "costs (its own measures plus the expansion options it buys).</p>"
    )
    rows: list[list[Any]] = [
        [
            "baseline",
            runs[0]["solver_status"],
            runs[0]["weighted_late_unit_months"],
            0.0,
            runs[0]["late_commitments"],
            None,
            None,
            0.0,
            None,
        ]
    ]
    for c in comparisons:
        rows.append(
            [
                c["b"]["scenario"],
                c["b"]["status"]
                and next(r["solver_status"] for r in runs if r["run_id"] == c["b"]["run_id"]),
                c["weighted_late_unit_months"]["b"],
                c["weighted_late_unit_months"]["difference"],
                c["b"]["late_commitments"],
                len(c["promises"]["became_late"]) + len(c["promises"]["late_only_in_b"]),
                len(c["promises"]["became_on_time"]),
                c["b"]["cost_usd"],
                c["weighted_late_unit_months_saved_per_million_usd"],
            ]
        )
    s.text(
        table(
            [
                "scenario",
                "solver",
                "weighted late unit-months",
                "difference",
                "late promises",
                "become late",
                "become on time",
                "cost USD",
                "saved per million USD",
            ],
            rows,
        )
    )
    for c, r in zip(comparisons, runs[1:], strict=True):
        s.text(
            f"<h3>{html.escape(r['scenario'])}</h3><p class='note'>{html.escape(r['description'])}</p>"
        )
        s.text(
            f"<pre style='font-size:11px;white-space:pre-wrap'>{html.escape(render_comparison(c))}</pre>"
        )
    sections.append(s)

    s = Section("What changed since the last run", "changes")
    if changes is None:
        s.text("<p class='note'>No earlier report in this folder to compare with.</p>")
    else:
        s.text(
            f"<p class='note'>Against the report of {html.escape(previous.get('night', '?'))} "
            f"(baseline run {html.escape(previous.get('runs', [{}])[0].get('run_id', '?'))}).</p>"
        )
        s.text(
            table(
                ["change", "subject", "before", "after", "months", "cause"],
                [
                    [
                        c["kind"],
                        c["subject"],
                        c.get("before"),
                        c.get("after"),
                        c.get("months"),
                        ", ".join(c["causes"]),
                    ]
                    for c in changes
                ],
                empty="Nothing changed.",
            )
        )
    sections.append(s)

    s = Section("Stocks: P10-P90 projections", "stocks")
    picked = _pick_pools(outlook, FAN_CHARTS)
    s.text(
        table(
            [
                "holder",
                "item",
                "floor",
                "target",
                "breach P10",
                "breach P50",
                "breach P90",
                "rebuild P50",
                "P(breach) 12 months",
            ],
            [
                [
                    r["holder_id"],
                    r["item_id"],
                    r["floor_units"],
                    r["target_units"],
                    _fmt_month(r["floor_breach_p10"]),
                    _fmt_month(r["floor_breach_p50"]),
                    _fmt_month(r["floor_breach_p90"]),
                    _fmt_month(r["target_reached_p50"]),
                    r["breach_probability_12"],
                ]
                for r in outlook.iter_rows(named=True)
            ],
        )
    )
    for r in picked.iter_rows(named=True):
        key = (pl.col("holder_id") == r["holder_id"]) & (pl.col("item_id") == r["item_id"])
        title = (
            f"{r['holder_id']} {r['item_id']}: floor breach P50 {_fmt_month(r['floor_breach_p50'])}, "
            f"rebuild P50 {_fmt_month(r['target_reached_p50'])}"
        )
        s.figure(
            stock_fan(
                history.filter(key & (pl.col("as_of") >= add_months(start, -24))).select(
                    "as_of", "units"
                ),
                projection.filter(key),
                r["floor_units"],
                r["target_units"],
                title,
            )
        )
    sections.append(s)

    s = Section("Backlog: promised against planned completion", "backlog")
    s.figure(backlog_timeline(commitments, horizon_end))
    late = commitments.filter(pl.col("late_unit_months") > 1e-6).sort(
        "late_unit_months", descending=True
    )
    s.text(
        table(
            [
                "commitment",
                "partner",
                "item",
                "backlog",
                "planned",
                "promised",
                "completion",
                "late unit-months",
                "why",
            ],
            [
                [
                    r["commitment_id"],
                    r["partner_id"],
                    r["item_id"],
                    r["backlog_units"],
                    r["planned_units"],
                    _fmt_month(r["promised_month"]),
                    _fmt_month(r["completion_month"]),
                    r["late_unit_months"],
                    "; ".join(json.loads(r["reasons"] or "[]")),
                ]
                for r in late.iter_rows(named=True)
            ],
            empty="No promise is late.",
        )
    )
    sections.append(s)

    s = Section("Allocation: sources to partners", "allocation")
    s.figure(allocation_sankey(shipments, "Units planned from sources to partners"))
    sections.append(s)

    s = Section("Capacity value", "capacity")
    s.figure(capacity_ranking(values))
    sections.append(s)

    s = Section("Stamp", "stamp")
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
    s.text(
        f"<p class='note'>Inputs key {inputs_key[:16]}; data content hash {html.escape(data_hash or '-')}.</p>"
    )
    sections.append(s)

    page = render_report(f"Arsenal nightly report {night.isoformat()}", stamp, sections)
    (folder / "report.html").write_text(page, encoding="utf-8")
    counts = write_extracts(con, folder / "extracts", list(run_ids.values()))
    summary = {
        "night": night.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs_key": inputs_key,
        "content_hash": data_hash,
        "code_version": version,
        "start": month_text(start),
        "horizon": horizon,
        "runs": runs,
        "comparison": [
            {
                "scenario": c["b"]["scenario"],
                "run_id": c["b"]["run_id"],
                "weighted_late_unit_months": c["weighted_late_unit_months"],
                "promises": c["promises"],
                "cost_usd": c["b"]["cost_usd"],
                "weighted_late_unit_months_saved_per_million_usd": c[
                    "weighted_late_unit_months_saved_per_million_usd"
                ],
            }
            for c in comparisons
        ],
        "changes": changes,
        "extract_rows": counts,
        "charts": {"stock_fans": picked.height, "backlog": 1, "sankey": 1, "capacity": 1},
        **state,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
