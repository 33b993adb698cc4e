"""The nightly report, rendered from a night's committed results (``pipeline.nightly`` runs
and commits; this package only reads and writes files): ``report.html``, the extracts (CSV,
Parquet and one workbook), ``summary.json``, and ``report.pdf``.

Layout: page 1 is the executive summary (``reports.executive``); then the body - what
changed since last night and why, the scenarios against their own base (and what a budget
buys), the late promises, the stocks at risk, capacity value and flows; then the appendix
with every stock, each scenario's detail, data quality and the stamp. Tables people read
are rendered; every table in full is in the workbook.

Modules: ``facts`` reads the night once; ``changes``, ``promises``, ``stocks``, ``flows``,
``scenarios``, ``quality`` and ``stamp`` each render their sections; ``tables`` builds the
report's own tables; ``extracts`` writes them with the result tables and the workbook;
``summary`` writes summary.json; ``report`` puts them together.
"""

from __future__ import annotations

from reports.nightly.extracts import (
    EXTRACT_TABLES,
    REPORT_TABLES,
    WORKBOOK,
    WORKBOOK_TABLES,
    write_extracts,
)
from reports.nightly.report import NightlyReport, build_report

__all__ = [
    "EXTRACT_TABLES",
    "REPORT_TABLES",
    "WORKBOOK",
    "WORKBOOK_TABLES",
    "NightlyReport",
    "build_report",
    "write_extracts",
]
