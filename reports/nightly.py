"""The nightly report, rendered from a night's committed results (``pipeline.nightly`` runs
and commits; this module only reads and writes files): ``report.html``, the extracts,
``summary.json``, and ``report.pdf``."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.compare import compare_runs, render_comparison
from pipeline.nightly import Failure, Night
from pipeline.version import code_version
from reports.changes import baseline_state, diff_states, fingerprints
from reports.figures import allocation_sankey, backlog_timeline, capacity_ranking, stock_fan
from reports.html import Section, render_report, table
from reports.pdf import print_pdf
from reports.spreadsheet import write_csv
from store.db import Connection
from store.months import add_months, month_text
from store.reconcile import read_reconciliation
from store.sql import query

__all__ = ["EXTRACT_TABLES", "NightlyReport", "build_report", "write_extracts"]

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
class NightlyReport:
    """The report writer ``arsenal nightly`` hands to ``pipeline.nightly.run_nightly``."""

    def write(self, night: Night, folder: Path) -> dict[str, Any]:
        return build_report(night, folder)

    def write_pdf(self, folder: Path) -> None:
        print_pdf(folder / "report.html", folder / "report.pdf")


def write_extracts(con: Connection, folder: Path, run_ids: list[str]) -> dict[str, int]:
    """CSV and Parquet of every result table for ``run_ids`` (with a ``scenario`` column)."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in EXTRACT_TABLES:
        frame = query(con, "result_rows_for_runs", table=name, run_ids=run_ids)
        frame = frame.with_columns(pl.col(pl.Object).cast(pl.String)) if frame.width else frame
        frame.write_parquet(folder / f"{name}.parquet")
        write_csv(frame, folder / f"{name}.csv")
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


def _comparison_section(runs: list[dict[str, Any]], comparisons: list[dict[str, Any]]) -> Section:
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
    return s


def _changes_section(
    changes: list[dict[str, Any]] | None, previous: dict[str, Any] | None
) -> Section:
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
    return s


def _stocks_section(
    outlook: pl.DataFrame, projection: pl.DataFrame, history: pl.DataFrame, start: date
) -> tuple[Section, int]:
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
    return s, picked.height


def _backlog_section(commitments: pl.DataFrame, horizon_end: date) -> Section:
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
    return s


def _allocation_section(shipments: pl.DataFrame) -> Section:
    s = Section("Allocation: sources to partners", "allocation")
    s.figure(allocation_sankey(shipments, "Units planned from sources to partners"))
    return s


def _capacity_section(values: pl.DataFrame) -> Section:
    s = Section("Capacity value", "capacity")
    s.figure(capacity_ranking(values))
    return s


def _failures_section(failures: tuple[Failure, ...]) -> Section:
    s = Section("Scenarios that failed", "failed")
    s.text(
        table(
            ["scenario", "reason"],
            [[f.scenario, f.reason] for f in failures],
            empty="Every scenario ran.",
        )
    )
    return s


def _data_quality_section(check: dict[str, Any]) -> Section:
    """The reconciliation of the loaded data: every gap between successive stock counts that
    the recorded flows do not explain, and the assumption rows that carry the others."""
    s = Section("Data quality: do the recorded flows explain the stock counts?", "data-quality")
    s.text(
        f"<p class='note'>{check['periods_checked']} periods between successive stock counts "
        f"checked; {check['unexplained']} gap(s) the recorded flows do not explain, "
        f"{check['explained']} carried by named assumption rows (sources "
        f"{html.escape(check['assumption_prefix'])}..., documented with the data set). "
        f"Tolerance {check['tolerance']:.0%} of the units that passed through.</p>"
    )
    s.text(
        table(
            ["holder", "item", "from", "to", "gap (units)", "carried by", "residual", "status"],
            [
                [
                    g["holder_id"],
                    g["item_id"],
                    str(g["from"]),
                    str(g["to"]),
                    g["gap"],
                    ", ".join(f"{e['source_id']} {e['units']:,.0f}" for e in g["explained_by"])
                    or "-",
                    g["residual"],
                    g["status"],
                ]
                for g in check["gaps"]
            ],
            empty="Every stock count is explained by the recorded flows.",
        )
    )
    return s


def _stamp_section(runs: list[dict[str, Any]], inputs_key: str, data_hash: str | None) -> Section:
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
    return s


def _run_rows(results: list[Any], run_ids: dict[str, str]) -> list[dict[str, Any]]:
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


def _comparison_summary(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario": c["b"]["scenario"],
        "run_id": c["b"]["run_id"],
        "weighted_late_unit_months": c["weighted_late_unit_months"],
        "promises": c["promises"],
        "cost_usd": c["b"]["cost_usd"],
        "weighted_late_unit_months_saved_per_million_usd": c[
            "weighted_late_unit_months_saved_per_million_usd"
        ],
    }


def build_report(night: Night, folder: Path) -> dict[str, Any]:
    """Write report.html, the extracts and summary.json into ``folder`` from the database rows
    of the night's runs (the first result is the baseline); returns the summary."""
    con = night.con
    base = night.results[0]
    base_id = night.run_ids[base.scenario]
    start, horizon = base.start, base.horizon
    commitments = query(con, "plan_commitments_for_run", run_id=base_id)
    outlook = query(con, "stock_outlook_for_run", run_id=base_id)
    comparisons = [compare_runs(con, base_id, night.run_ids[r.scenario]) for r in night.results[1:]]
    forecast = query(con, "demand_forecast_for_run", run_id=base_id)
    state = {
        "baseline": baseline_state(commitments, outlook),
        "fingerprints": fingerprints(night.dataset, forecast, start),
    }
    changes = diff_states(night.previous, state) if night.previous else None
    runs = _run_rows(night.results, night.run_ids)
    version = code_version()
    stamp = (
        f"Night {night.night.isoformat()} · plan from {month_text(start)} for {horizon} months · "
        f"data {html.escape((night.data_hash or 'not loaded')[:12])} · code {html.escape(version)} · "
        f"solver: {html.escape(', '.join(sorted({r['solver_status'] for r in runs})))} · "
        f"pipelines computed in {night.elapsed:.1f} s"
    )
    quality = read_reconciliation(con)
    stocks, fans = _stocks_section(
        outlook,
        query(con, "stock_projection_for_run", run_id=base_id, holder_id=None, item_id=None),
        query(con, "stock_counts", holder_id=None, item_id=None),
        start,
    )
    sections = [
        *([_failures_section(night.failures)] if night.failures else []),
        _comparison_section(runs, comparisons),
        _changes_section(changes, night.previous),
        stocks,
        _backlog_section(commitments, add_months(start, horizon - 1)),
        _allocation_section(query(con, "plan_shipments_for_run", run_id=base_id)),
        _capacity_section(query(con, "capacity_value_for_run", run_id=base_id)),
        _data_quality_section(quality),
        _stamp_section(runs, night.inputs_key, night.data_hash),
    ]
    page = render_report(f"Arsenal nightly report {night.night.isoformat()}", stamp, sections)
    (folder / "report.html").write_text(page, encoding="utf-8")
    counts = write_extracts(con, folder / "extracts", list(night.run_ids.values()))
    summary = {
        "night": night.night.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs_key": night.inputs_key,
        "content_hash": night.data_hash,
        "code_version": version,
        "start": month_text(start),
        "horizon": horizon,
        "runs": runs,
        "comparison": [_comparison_summary(c) for c in comparisons],
        "failed_scenarios": [f.as_dict() for f in night.failures],
        "data_quality": {
            k: quality[k] for k in ("periods_checked", "explained", "unexplained", "tolerance")
        },
        "changes": changes,
        "extract_rows": counts,
        "charts": {"stock_fans": fans, "backlog": 1, "sankey": 1, "capacity": 1},
        **state,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
