"""The nightly report, rendered from a night's committed results (``pipeline.nightly`` runs
and commits; this module only reads and writes files): ``report.html``, the extracts (CSV,
Parquet and one workbook), ``summary.json``, and ``report.pdf``.

Layout: page 1 is the executive summary (``reports.executive``); then the body - what
changed since last night and why, the scenarios against their own base (and what a budget
buys), the late promises, the stocks at risk, capacity value and flows; then the appendix
with every stock, each scenario's detail, data quality and the stamp. Tables people read
are rendered; every table in full is in the workbook.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.audit import scenario_versions
from pipeline.compare import compare_runs
from pipeline.diff import (
    REPLAN,
    describe_change,
    explain_changes,
    load_for_hash,
    plan_changes,
    plan_state,
)
from pipeline.nightly import Failure, Night
from pipeline.scenarios import BASELINE
from pipeline.summary import (
    Names,
    budget_options,
    compare_plans,
    plan_metrics,
    scenario_answer,
    usd,
)
from pipeline.version import code_version
from reports.executive import (
    budget_section,
    page_one,
    scenario_rows,
    scenarios_section,
    summary_html,
)
from reports.figures import allocation_sankey, capacity_ranking, stock_fan
from reports.html import Section, render_report, table
from reports.pdf import print_pdf
from reports.spreadsheet import write_csv
from reports.workbook import write_workbook
from store.db import Connection
from store.history import LoadDiff, LoadInfo, diff_loads, read_loads
from store.months import add_months, month_text
from store.reconcile import read_reconciliation
from store.sql import query

__all__ = [
    "EXTRACT_TABLES",
    "REPORT_TABLES",
    "WORKBOOK",
    "WORKBOOK_TABLES",
    "NightlyReport",
    "build_report",
    "write_extracts",
]

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
REPORT_TABLES = (
    "key_figures",
    "late_promises",
    "plan_changes",
    "input_changes",
    "scenario_comparison",
    "budget_options",
    "budget_curve",
    "data_quality_gaps",
)
"""The report's own tables, written as extracts beside the result tables."""
WORKBOOK_TABLES = (*REPORT_TABLES, "stock_outlook", "plan_investments")
"""The tables the workbook holds: the report's own and every stock's outlook (the plan's
and the forecast's full tables stay in CSV and Parquet)."""
WORKBOOK = "report.xlsx"
BODY_CHARTS = 6
BODY_ROWS = 25
APPENDIX_ROWS = 100


@dataclass(frozen=True)
class NightlyReport:
    """The report writer ``arsenal nightly`` hands to ``pipeline.nightly.run_nightly``."""

    def write(self, night: Night, folder: Path) -> dict[str, Any]:
        return build_report(night, folder)

    def write_pdf(self, folder: Path) -> None:
        t0 = time.perf_counter()
        print_pdf(folder / "report.html", folder / "report.pdf")
        _add_timing(folder, "pdf", time.perf_counter() - t0)


def _add_timing(folder: Path, name: str, seconds: float) -> None:
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    summary.setdefault("render_seconds", {})[name] = round(seconds, 3)
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")


def _write_table(frame: pl.DataFrame, folder: Path, name: str) -> int:
    frame = frame.with_columns(pl.col(pl.Object).cast(pl.String)) if frame.width else frame
    frame.write_parquet(folder / f"{name}.parquet")
    write_csv(frame, folder / f"{name}.csv")
    return frame.height


def write_extracts(
    con: Connection,
    folder: Path,
    run_ids: list[str],
    report_tables: dict[str, pl.DataFrame] | None = None,
) -> dict[str, int]:
    """CSV and Parquet of every result table for ``run_ids`` (with a ``scenario`` column)
    and of the report's own tables; the workbook ``report.xlsx`` holds WORKBOOK_TABLES."""
    folder.mkdir(parents=True, exist_ok=True)
    counts, frames = {}, {}
    for name in EXTRACT_TABLES:
        frames[name] = query(con, "result_rows_for_runs", table=name, run_ids=run_ids)
    frames |= report_tables or {}
    for name, frame in frames.items():
        counts[name] = _write_table(frame, folder, name)
    book = {n: frames[n] for n in WORKBOOK_TABLES if n in frames}
    write_workbook(book, folder / WORKBOOK)
    return counts


def _pick_pools(outlook: pl.DataFrame, n: int | None = None) -> pl.DataFrame:
    """The pools worth a chart (``n`` given: only those with a floor or a target), breaching
    their floor first, then the most at risk, then those furthest from their target."""
    if n is not None:
        outlook = outlook.filter((pl.col("floor_units") > 0) | pl.col("target_units").is_not_null())
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
        .head(n if n is not None else outlook.height)
        .drop("_no_breach", "_no_rebuild")
    )


def _fmt_month(d: date | None) -> str:
    return month_text(d) or "-"


# -- what changed since last night ------------------------------------------------------------


def _load_diff(
    con: Connection, night: Night
) -> tuple[LoadInfo | None, LoadInfo | None, LoadDiff | None, str]:
    """The load the night read, the load the previous report read, their diff, and a note."""
    loads = read_loads(con)
    now = load_for_hash(loads, night.data_hash, kept=False)
    previous = night.previous
    if previous is None:
        return now, None, None, "No earlier report to compare with."
    before = None
    prev_id = (previous.get("load") or {}).get("load_id")
    by_id = {info.load_id: info for info in loads}
    if prev_id in by_id and by_id[prev_id].tables_kept:
        before = by_id[prev_id]
    elif previous.get("content_hash") == night.data_hash:
        before = now
    else:
        before = load_for_hash(loads, previous.get("content_hash"))
    against = f"Against the report of {previous.get('night', '?')}"
    if now is None or before is None or not now.tables_kept:
        return (
            now,
            before,
            None,
            (
                f"{against}; the data it read is no longer kept (arsenal load --keep-loads), so "
                "plan changes cannot be traced to input changes."
            ),
        )
    if before.load_id == now.load_id:
        return now, before, None, f"{against}, on the same data (load {now.load_id})."
    diff = diff_loads(con, before.load_id, now.load_id)
    return (
        now,
        before,
        diff,
        (
            f"{against}: data of load {before.load_id} -> load {now.load_id} "
            f"({len(diff.changes)} input row(s) changed)."
        ),
    )


def _change_subject(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    if c["kind"] in ("floor breach moved", "rebuild moved"):
        holder, item = c["subject"].split(" ", 1)
        return names.stock(holder, item)
    partner = partners.get(c["subject"])
    who = f"{names.partner(partner)}'s " if partner else ""
    return f"{who}{names.item(c['item_id'])} promise {c['subject']}"


def _change_text(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    """A plan change in words: ``Taiwan's Guided MLRS rocket promise TWN-1: promise
    became late (2026-06 -> 2027-01)``."""
    before, after = c.get("before"), c.get("after")
    moved = f" ({before or 'none'} -> {after or 'none'})" if before or after else ""
    return f"{_change_subject(c, names, partners)}: {c['kind']}{moved}"


def _change_line(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    """The plan change and what explains it, one line (the first page's list)."""
    why = "; ".join(c["explained_by"])
    label = "cause" if c["explained_by"] == [REPLAN] else "explained by"
    return f"{_change_text(c, names, partners)}; {label}: {why}"


def _changes_section(
    changes: list[dict[str, Any]] | None,
    names: Names,
    partners: dict[str, str],
    note: str,
    inputs: list[str],
) -> Section:
    s = Section("What changed since last night, and why", "changes")
    s.text(f"<p class='note'>{html.escape(note)}</p>")
    if changes is not None:
        s.text(
            table(
                ["change in the plan", "explained by (input change, or re-plan)"],
                [
                    [_change_text(c, names, partners), "; ".join(c["explained_by"])]
                    for c in changes[: BODY_ROWS * 2]
                ],
                empty="Nothing in the plan changed.",
                widths=[50, 50],
            )
        )
        if len(changes) > BODY_ROWS * 2:
            s.text(
                f"<p class='note'>and {len(changes) - BODY_ROWS * 2} more in the workbook "
                "(plan_changes).</p>"
            )
    if inputs:
        shown = inputs[:BODY_ROWS]
        s.text("<h3>Input changes</h3>")
        s.text("<ul class='note'>" + "".join(f"<li>{html.escape(i)}</li>" for i in shown) + "</ul>")
        if len(inputs) > len(shown):
            s.text(
                f"<p class='note'>and {len(inputs) - len(shown)} more in the workbook "
                "(input_changes).</p>"
            )
    return s


# -- body sections ------------------------------------------------------------------------------


WHY_CHARS = 170


def _brief_why(reasons: list[str]) -> str:
    """The first reason, cut to WHY_CHARS (every reason is in the workbook)."""
    if not reasons:
        return "-"
    first = reasons[0]
    more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return (first if len(first) <= WHY_CHARS else first[: WHY_CHARS - 3].rstrip() + "...") + more


def _late_section(m: dict[str, Any], names: Names, reasons: dict[str, list[str]]) -> Section:
    s = Section("Late promises, worst first", "late", wide=True)
    late = m["late_promises"]
    shown = late[:BODY_ROWS]
    s.text(
        "<p class='note'>Late units: backlog not arrived by the due month (a promise already "
        "past is due in the first plan month); value late: late units x unit cost; months "
        "late: planned completion minus due month.</p>"
    )
    s.text(
        table(
            [
                "partner",
                "item",
                "promise",
                "backlog",
                "due",
                "completion",
                "months late",
                "late units",
                "value late",
                "why",
            ],
            [
                [
                    names.partner(r["partner_id"]),
                    names.item(r["item_id"]),
                    r["commitment_id"],
                    r["backlog_units"],
                    r["due_month"],
                    r["completion_month"] or "not within the horizon",
                    r["months_late"],
                    r["late_units"],
                    usd(r["value_late_usd"]),
                    _brief_why(reasons.get(r["commitment_id"], [])),
                ]
                for r in shown
            ],
            empty="No promise is late.",
            widths=[8, 11, 12, 6, 6, 9, 5, 6, 6, 31],
        )
    )
    if len(late) > len(shown):
        s.text(
            f"<p class='note'>{len(late) - len(shown)} more late promises in the workbook (late_promises).</p>"
        )
    return s


def _outlook_rows(outlook: pl.DataFrame, names: Names) -> list[list[Any]]:
    return [
        [
            names.holder(r["holder_id"]),
            names.item(r["item_id"]),
            r["floor_units"],
            r["target_units"],
            _fmt_month(r["floor_breach_p10"]),
            _fmt_month(r["floor_breach_p50"]),
            _fmt_month(r["floor_breach_p90"]),
            _fmt_month(r["target_reached_p50"]),
            f"{r['breach_probability_12']:.0%}",
        ]
        for r in outlook.iter_rows(named=True)
    ]


OUTLOOK_HEADERS = [
    "holder",
    "item",
    "floor",
    "target",
    "breach P10",
    "breach P50",
    "breach P90",
    "rebuild P50",
    "P(breach) 12 months",
]


def _chart_note(r: dict[str, Any], units_now: float | None) -> str:
    """A stock chart's third title line: floor breach and rebuild, in words."""
    breach, p12 = r["floor_breach_p50"], r["breach_probability_12"]
    parts = [
        f"floor breach {_fmt_month(breach)} (P50), {p12:.0%} within 12 mo"
        if breach is not None
        else f"no floor breach (P50), {p12:.0%} within 12 mo"
    ]
    target = r["target_units"]
    if target is not None:
        done = r["target_reached_p50"]
        if units_now is not None and units_now >= target:
            parts.append("at or above target")
        else:
            parts.append(f"target {_fmt_month(done)} (P50)" if done else "target not reached")
    return "; ".join(parts)


def _stocks_section(
    outlook: pl.DataFrame,
    projection: pl.DataFrame,
    history: pl.DataFrame,
    start: date,
    names: Names,
) -> tuple[Section, int]:
    s = Section("Stocks with a floor or a target: P10-P90 projections", "stocks")
    picked = _pick_pools(outlook, BODY_CHARTS)
    s.text(
        "<p class='note'>Only stocks with a floor or a target, those breaking their floor "
        "first, then the most at risk (every stock is in appendix A). Band: P10 to P90 of the "
        "simulated stock; solid line: P50; line with dots: counted; dashes: the floor; dots: "
        "the target.</p>"
    )
    figs = []
    for r in picked.iter_rows(named=True):
        key = (pl.col("holder_id") == r["holder_id"]) & (pl.col("item_id") == r["item_id"])
        counted = history.filter(key & (pl.col("as_of") < start)).sort("as_of")
        units_now = counted.item(-1, "units") if counted.height else None
        title = (
            f"<b>{html.escape(names.item(r['item_id']))}</b><br>"
            f"{html.escape(names.holder(r['holder_id']))}<br>{_chart_note(r, units_now)}"
        )
        fig = stock_fan(
            history.filter(key & (pl.col("as_of") >= add_months(start, -24))).select(
                "as_of", "units"
            ),
            projection.filter(key),
            r["floor_units"],
            r["target_units"],
            title,
        )
        fig.update_layout(
            height=255,
            showlegend=False,
            margin={"l": 50, "r": 8, "t": 56, "b": 24},
            title={"font": {"size": 10}, "x": 0.01},
        )
        figs.append(fig)
    s.figures(figs)
    return s, picked.height


def _flows_section(values: pl.DataFrame, shipments: pl.DataFrame) -> Section:
    s = Section("Capacity value and where output goes", "capacity")
    fig = capacity_ranking(values)
    fig.update_layout(height=min(fig.layout.height or 300, 330))
    s.figure(fig)
    sankey = allocation_sankey(shipments, "Units planned from sources to partners")
    sankey.update_layout(height=min(sankey.layout.height or 400, 520))
    s.figure(sankey)
    return s


def _failures_section(failures: tuple[Failure, ...]) -> Section:
    s = Section("Scenarios that failed", "failed")
    s.text(
        table(
            ["scenario", "reason"],
            [[f.scenario, f.reason] for f in failures],
            empty="Every scenario ran.",
            widths=[20, 80],
        )
    )
    return s


# -- appendix ---------------------------------------------------------------------------------


def _every_stock_section(outlook: pl.DataFrame, names: Names) -> Section:
    s = Section("Every stock, the most at risk first", "every-stock", appendix=True)
    shown = _pick_pools(outlook).head(APPENDIX_ROWS)
    s.text(table(OUTLOOK_HEADERS, _outlook_rows(shown, names)))
    if outlook.height > shown.height:
        s.text(
            f"<p class='note'>{outlook.height - shown.height} more stocks in the workbook (stock_outlook).</p>"
        )
    return s


def _scenario_detail_section(
    con: Connection, night: Night, bases: dict[str, str], names: Names
) -> Section:
    s = Section("Each scenario's detail", "scenario-detail", appendix=True, wide=True)
    for r in night.results[1:]:
        base = bases[r.scenario]
        c = compare_runs(con, night.run_ids[base], night.run_ids[r.scenario])
        s.text(
            f"<h3>{html.escape(r.scenario)} against {html.escape(base)}</h3>"
            f"<p class='note'>{html.escape(r.applied.descriptions.get(r.scenario, ''))}</p>"
        )
        moved = [
            x
            for x in c["commitments"]
            if x["completion_month_a"] != x["completion_month_b"]
            or (x["late_unit_months_a"] or 0) != (x["late_unit_months_b"] or 0)
        ]
        s.text(
            table(
                [
                    "promise",
                    "partner",
                    "item",
                    f"completion in {base}",
                    f"completion in {r.scenario}",
                    "shift (months)",
                    "late unit-months before",
                    "after",
                ],
                [
                    [
                        x["commitment_id"],
                        names.partner(x["partner_id"]),
                        names.item(x["item_id"]),
                        x["completion_month_a"]
                        or ("not within the horizon" if x["in_a"] else "not in the plan"),
                        x["completion_month_b"]
                        or ("not within the horizon" if x["in_b"] else "not in the plan"),
                        x["completion_shift_months"],
                        x["late_unit_months_a"],
                        x["late_unit_months_b"],
                    ]
                    for x in moved
                ][:APPENDIX_ROWS],
                empty="No promise moves.",
            )
        )
        pools = [
            p
            for p in c["pools"]
            if (p["floor_breach_p50_a"], p["rebuild_p50_a"])
            != (p["floor_breach_p50_b"], p["rebuild_p50_b"])
        ]
        if pools:
            s.text(
                table(
                    ["stock", "floor breach P50", "rebuild P50"],
                    [
                        [
                            names.stock(p["holder_id"], p["item_id"]),
                            f"{p['floor_breach_p50_a'] or '-'} -> {p['floor_breach_p50_b'] or '-'}",
                            f"{p['rebuild_p50_a'] or '-'} -> {p['rebuild_p50_b'] or '-'}",
                        ]
                        for p in pools
                    ][:APPENDIX_ROWS],
                )
            )
    return s


def _data_quality_section(check: dict[str, Any]) -> Section:
    """The reconciliation of the loaded data: every gap between successive stock counts that
    the recorded flows do not explain, and the assumption rows that carry the others."""
    s = Section(
        "Data quality: do the recorded flows explain the stock counts?",
        "data-quality",
        appendix=True,
    )
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
            ][:APPENDIX_ROWS],
            empty="Every stock count is explained by the recorded flows.",
        )
    )
    if len(check["gaps"]) > APPENDIX_ROWS:
        s.text(
            f"<p class='note'>{len(check['gaps']) - APPENDIX_ROWS} more gaps in the workbook "
            "(data_quality_gaps).</p>"
        )
    return s


def _stamp_section(
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


# -- the report ---------------------------------------------------------------------------------


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


def _bases(night: Night) -> dict[str, str]:
    """Each scenario's base: the scenario it is built on (the baseline by default)."""
    out = {}
    for r in night.results[1:]:
        chain = r.applied.chain
        base = chain[-2] if len(chain) > 1 else BASELINE
        out[r.scenario] = base if base in night.run_ids else BASELINE
    return out


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame({c: [] for c in columns}, schema={c: pl.String for c in columns})
    return pl.DataFrame(rows, infer_schema_length=None).select(columns)


def build_report(night: Night, folder: Path) -> dict[str, Any]:
    """Write report.html, the extracts and summary.json into ``folder`` from the database rows
    of the night's runs (the first result is the baseline); returns the summary."""
    t0 = time.perf_counter()
    con = night.con
    base = night.results[0]
    base_id = night.run_ids[base.scenario]
    start, horizon = base.start, base.horizon
    names = Names.of(night.dataset)
    metrics = {
        r.scenario: plan_metrics(con, night.run_ids[r.scenario], r.applied.dataset, start, horizon)
        for r in night.results
    }
    m = metrics[BASELINE]
    bases = _bases(night)
    comparisons = []
    for r in night.results[1:]:
        own = bases[r.scenario]
        comparisons.append(
            {
                "scenario": r.scenario,
                "base": own,
                "own": True,
                "delta": compare_plans(metrics[own], metrics[r.scenario]),
            }
        )
        if own != BASELINE:
            comparisons.append(
                {
                    "scenario": r.scenario,
                    "base": BASELINE,
                    "own": False,
                    "delta": compare_plans(metrics[BASELINE], metrics[r.scenario]),
                }
            )
    answers = {
        c["scenario"]: f"{c['scenario']} against {c['base']}: {scenario_answer(c['delta'], names)}."
        for c in comparisons
        if c["own"]
    }

    commitments = query(con, "plan_commitments_for_run", run_id=base_id)
    outlook = query(con, "stock_outlook_for_run", run_id=base_id)
    state = plan_state(commitments, outlook, start)
    load, before, diff, note = _load_diff(con, night)
    changes = None
    if night.previous:
        changes = explain_changes(
            plan_changes(night.previous, state),
            diff,
            night.dataset,
            start_before=night.previous.get("start"),
            start_after=state["start"],
        )
    partners = dict(night.dataset.commitments.select("commitment_id", "partner_id").iter_rows())
    change_lines = [_change_line(c, names, partners) for c in changes or []]
    inputs = [describe_change(c) for c in diff.changes] if diff else []

    sentences = page_one(m, names)
    page1 = summary_html(
        m,
        sentences,
        change_lines,
        note,
        list(answers.values()),
        [f"{f.scenario} ({f.reason})" for f in night.failures],
    )
    runs = _run_rows(night.results, night.run_ids)
    files = {n: h for r in night.results for n, h in r.scenario_files.items()}
    versions = scenario_versions(con, files)
    version = code_version()
    stamp = (
        f"Night {night.night.isoformat()} · plan from {month_text(start)} for {horizon} months · "
        f"data: load {load.load_id if load else '?'} by {html.escape((load.loaded_by if load else None) or '?')} "
        f"({html.escape((night.data_hash or 'not loaded')[:12])}) · code {html.escape(version)} · "
        f"solver: {html.escape(', '.join(sorted({r['solver_status'] for r in runs})))} · "
        f"pipelines computed in {night.elapsed:.1f} s"
    )

    reasons = {
        r["commitment_id"]: json.loads(r["reasons"] or "[]")
        for r in commitments.iter_rows(named=True)
    }
    rows = scenario_rows(comparisons, names)
    options = {
        r.scenario: budget_options(
            con, night.run_ids[r.scenario], r.applied.dataset, start, horizon
        )
        for r in night.results[1:]
        if r.applied.budget_usd is not None
    }
    stocks, fans = _stocks_section(
        outlook,
        query(con, "stock_projection_for_run", run_id=base_id, holder_id=None, item_id=None),
        query(con, "stock_counts", holder_id=None, item_id=None),
        start,
        names,
    )
    t_quality = time.perf_counter()
    quality = read_reconciliation(con)
    t_quality = time.perf_counter() - t_quality
    sections = [
        *([_failures_section(night.failures)] if night.failures else []),
        _changes_section(changes, names, partners, note, inputs),
        *([scenarios_section(rows)] if comparisons else []),
        *(
            budget_section(
                name, metrics[name]["budget_usd"], opts, night.budget_curves.get(name, []), names
            )
            for name, opts in options.items()
        ),
        _late_section(m, names, reasons),
        stocks,
        _flows_section(
            query(con, "capacity_value_for_run", run_id=base_id),
            query(con, "plan_shipments_for_run", run_id=base_id),
        ),
        _every_stock_section(outlook, names),
        *([_scenario_detail_section(con, night, bases, names)] if comparisons else []),
        _data_quality_section(quality),
        _stamp_section(runs, night, load, before, versions),
    ]
    page = render_report(
        f"Arsenal nightly report {night.night.isoformat()}", stamp, sections, page1
    )
    (folder / "report.html").write_text(page, encoding="utf-8")

    report_tables = {
        "data_quality_gaps": _frame(
            [
                {
                    "holder_id": g["holder_id"],
                    "item_id": g["item_id"],
                    "from": str(g["from"]),
                    "to": str(g["to"]),
                    "gap_units": g["gap"],
                    "carried_by": ", ".join(
                        f"{e['source_id']} {e['units']:,.0f}" for e in g["explained_by"]
                    ),
                    "residual_units": g["residual"],
                    "status": g["status"],
                }
                for g in quality["gaps"]
            ],
            [
                "holder_id",
                "item_id",
                "from",
                "to",
                "gap_units",
                "carried_by",
                "residual_units",
                "status",
            ],
        ),
        "key_figures": _frame(
            [{"figure": k, "sentence": v} for k, v in sentences.items()], ["figure", "sentence"]
        ),
        "late_promises": _frame(
            [
                {**r, "why": "; ".join(reasons.get(r["commitment_id"], []))}
                for r in m["late_promises"]
            ],
            [
                "commitment_id",
                "partner_id",
                "item_id",
                "priority",
                "backlog_units",
                "due_month",
                "completion_month",
                "months_late",
                "late_units",
                "value_late_usd",
                "late_unit_months",
                "why",
            ],
        ),
        "plan_changes": _frame(
            [
                {
                    "kind": c["kind"],
                    "subject": c["subject"],
                    "item_id": c["item_id"],
                    "before": c.get("before"),
                    "after": c.get("after"),
                    "explained_by": "; ".join(c["explained_by"]),
                }
                for c in changes or []
            ],
            ["kind", "subject", "item_id", "before", "after", "explained_by"],
        ),
        "input_changes": _frame(
            [
                {"table": c.table, "change": c.kind, "description": d}
                for c, d in zip(diff.changes if diff else [], inputs, strict=True)
            ],
            ["table", "change", "description"],
        ),
        "scenario_comparison": _frame(rows, list(rows[0]) if rows else ["scenario"]),
        "budget_options": _frame(
            [{"scenario": n, **o} for n, opts in options.items() for o in opts],
            [
                "scenario",
                "option_id",
                "source_id",
                "item_id",
                "added_units_per_month",
                "cost_usd",
                "first_output",
                "chosen",
                "reason",
            ],
        ),
        "budget_curve": _frame(
            [
                {
                    "scenario": n,
                    **{k: v for k, v in p.items() if k != "options"},
                    "options": ", ".join(p["options"]),
                }
                for n, pts in night.budget_curves.items()
                for p in pts
            ],
            [
                "scenario",
                "budget_usd",
                "spent_usd",
                "options",
                "promises_on_time",
                "value_late_usd",
                "months_late_total",
                "weighted_late_unit_months",
            ],
        ),
    }
    t_html = time.perf_counter() - t0
    counts = write_extracts(con, folder / "extracts", list(night.run_ids.values()), report_tables)
    summary = {
        "night": night.night.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs_key": night.inputs_key,
        "content_hash": night.data_hash,
        "code_version": version,
        "start": month_text(start),
        "horizon": horizon,
        "load": load.as_dict() if load else None,
        "previous_load": before.as_dict() if before else None,
        "scenario_files": files,
        "scenario_versions": versions,
        "runs": runs,
        "page_one": sentences,
        "metrics": {
            **{k: v for k, v in m.items() if k not in ("pools", "late_promises")},
            "late_promises": m["late_promises"][:BODY_ROWS],
        },
        "scenario_answers": answers,
        "comparison": rows,
        "budgets": {
            n: {"options": o, "curve": night.budget_curves.get(n, [])} for n, o in options.items()
        },
        "failed_scenarios": [f.as_dict() for f in night.failures],
        "data_quality": {
            k: quality[k] for k in ("periods_checked", "explained", "unexplained", "tolerance")
        },
        "changes": changes,
        "changes_note": note,
        "extract_rows": counts,
        "charts": {"stock_fans": fans, "sankey": 1, "capacity": 1},
        "render_seconds": {
            "html": round(t_html, 3),
            "data_quality": round(t_quality, 3),
            "extracts": round(time.perf_counter() - t0 - t_html, 3),
        },
        **state,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
