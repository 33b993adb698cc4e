"""The night's extracts: CSV and Parquet of every result table of the night's runs and of the
report's own tables, and the workbook ``report.xlsx`` (through the one workbook writer,
``reports.workbook``) holding the tables people open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.spreadsheet import write_csv
from reports.workbook import write_workbook
from store.db import Connection
from store.sql import query

__all__ = ["EXTRACT_TABLES", "REPORT_TABLES", "WORKBOOK", "WORKBOOK_TABLES", "write_extracts"]

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
