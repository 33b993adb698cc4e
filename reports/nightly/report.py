"""The report writer ``arsenal nightly`` hands to ``pipeline.nightly.run_nightly``: gathers
the night's facts once, then writes the page (``report.html``), the extracts and workbook,
``summary.json`` and, on its own step, ``report.pdf``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.nightly import Night
from reports.executive import (
    budget_options_section,
    budget_section,
    scenarios_section,
    summary_html,
)
from reports.html import Section, render_report
from reports.nightly.changes import changes_section
from reports.nightly.extracts import write_extracts
from reports.nightly.facts import Facts, gather_facts
from reports.nightly.flows import flows_section
from reports.nightly.odds import odds_section
from reports.nightly.promises import late_section
from reports.nightly.quality import data_quality_section
from reports.nightly.scenarios import failures_section, scenario_detail_section
from reports.nightly.stamp import stamp_line, stamp_section
from reports.nightly.stocks import every_stock_section, stocks_section
from reports.nightly.summary import add_timing, night_summary, write_summary
from reports.nightly.tables import report_tables
from reports.nightly.tradeoff import tradeoff_section
from reports.pdf import print_pdf
from store.sql import query

__all__ = ["NightlyReport", "build_report"]


@dataclass(frozen=True)
class NightlyReport:
    """The report writer ``arsenal nightly`` hands to ``pipeline.nightly.run_nightly``."""

    def write(self, night: Night, folder: Path) -> dict[str, Any]:
        return build_report(night, folder)

    def write_pdf(self, folder: Path) -> None:
        t0 = time.perf_counter()
        print_pdf(folder / "report.html", folder / "report.pdf")
        add_timing(folder, "pdf", time.perf_counter() - t0)


def _sections(f: Facts) -> tuple[list[Section], int]:
    """The body's and the appendix's sections in order, and how many stock charts."""
    con, night = f.night.con, f.night
    stocks, fans = stocks_section(
        f.outlook,
        query(con, "stock_projection_for_run", run_id=f.base_id, holder_id=None, item_id=None),
        query(con, "stock_counts", holder_id=None, item_id=None),
        f.start,
        f.names,
    )
    sections = [
        *([failures_section(night.failures)] if night.failures else []),
        changes_section(f.changes, f.names, f.partners, f.note, f.inputs),
        *([scenarios_section(f.scenario_rows)] if f.comparisons else []),
        *(
            budget_section(
                name,
                f.metrics[name]["budget_usd"],
                opts,
                night.budget_curves.get(name, []),
                f.names,
            )
            for name, opts in f.options.items()
        ),
        late_section(f.baseline, f.names, f.reasons),
        *(
            [odds_section(night.promise_odds, f.names, _late_ids(f.baseline))]
            if night.promise_odds is not None
            else []
        ),
        stocks,
        flows_section(
            query(con, "capacity_value_for_run", run_id=f.base_id),
            query(con, "plan_shipments_for_run", run_id=f.base_id),
            f.names,
        ),
        *([tradeoff_section(night.tradeoff, f.names)] if night.tradeoff else []),
        every_stock_section(f.outlook, f.names),
        *([scenario_detail_section(con, night, f.bases, f.names)] if f.comparisons else []),
        data_quality_section(f.quality),
        *(budget_options_section(name, opts, f.names) for name, opts in f.options.items()),
        stamp_section(f.runs, night, f.load, f.before, f.versions),
    ]
    return sections, fans


def _late_ids(metrics: dict[str, Any]) -> set[str]:
    return {p["commitment_id"] for p in metrics["late_promises"]}


def build_report(night: Night, folder: Path) -> dict[str, Any]:
    """Write report.html, the extracts and summary.json into ``folder`` from the database rows
    of the night's runs (the first result is the baseline); returns the summary."""
    t0 = time.perf_counter()
    f = gather_facts(night)
    page1 = summary_html(
        f.baseline,
        f.sentences,
        f.change_lines,
        f.note,
        list(f.answers.values()),
        [f"{x.scenario} ({x.reason})" for x in night.failures],
    )
    sections, fans = _sections(f)
    title = f"Arsenal nightly report {night.night.isoformat()}"
    stamp = stamp_line(night, f.start, f.horizon, f.load, f.runs)
    page = render_report(title, stamp, sections, page1)
    (folder / "report.html").write_text(page, encoding="utf-8")
    tables = report_tables(f)
    t_html = time.perf_counter() - t0
    run_ids = list(night.run_ids.values())
    counts = write_extracts(night.con, folder / "extracts", run_ids, tables)
    seconds = {
        "html": t_html,
        "data_quality": f.quality_seconds,
        "extracts": time.perf_counter() - t0 - t_html,
    }
    summary = night_summary(f, counts, fans, seconds)
    write_summary(summary, folder)
    return summary
