"""The plan as files a planner takes away: a CSV of the shipments and an ``.xlsx`` workbook
(plan, promises, pools, capacity value), both stamped with the run id, the plan's start, the
data hash and the date, in their names and first lines; months as ``YYYY-MM``, whole units as
integers."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from dashboards.data import Reader
from reports.spreadsheet import csv_text
from reports.workbook import write_workbook

__all__ = ["PLAN_COLUMNS", "plan_csv", "plan_stamp", "plan_workbook", "tidy"]

PLAN_COLUMNS = [
    "source_id",
    "commitment_id",
    "partner_id",
    "item_id",
    "month",
    "arrival_month",
    "units",
    "purpose",
]


def tidy(frame: pl.DataFrame, as_text: bool = False) -> pl.DataFrame:
    """Months (date columns) as ``YYYY-MM``; float columns holding only whole numbers as
    integers. ``as_text`` (for CSV): every float written without a trailing ``.0`` when it is
    whole, else to at most 6 decimals."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m"))
        elif dtype.is_float() and as_text:
            whole = col.round(0).cast(pl.Int64, strict=False).cast(pl.String)
            out.append(
                pl.when(col == col.round(0))
                .then(whole)
                .otherwise(col.round(6).cast(pl.String))
                .alias(name)
            )
        elif dtype.is_float():
            values = frame.get_column(name).drop_nulls().drop_nans()
            whole = values.len() > 0 and bool((values == values.round(0)).all())
            out.append(col.round(0).cast(pl.Int64) if whole else col)
        else:
            out.append(col)
    return frame.select(out)


def plan_stamp(reader: Reader, today: date | None = None) -> dict[str, str]:
    """What the files say they are: run id, plan start, data hash (empty for a liaison, whose
    reader withholds it) and the date written."""
    load = reader.last_load() or {}
    start = reader.runs.start_month
    return {
        "run_id": reader.runs.run_id("allocate") or "",
        "start": start.strftime("%Y-%m") if start else "",
        "data_hash": str(load.get("content_hash") or "")[:12],
        "written": (today or datetime.now(UTC).date()).isoformat(),
    }


def _name(stamp: dict[str, str], item: str | None, suffix: str) -> str:
    parts = ["plan", stamp["run_id"], stamp["start"]]
    if item:
        parts.append(item)
    if stamp["data_hash"]:
        parts.append(stamp["data_hash"])
    parts.append(stamp["written"])
    return "-".join(p for p in parts if p) + suffix


def _shipments(reader: Reader, item: str | None, as_text: bool = False) -> pl.DataFrame:
    frame = reader.shipments()
    if item:
        frame = frame.filter(pl.col("item_id") == item)
    return tidy(frame.select([c for c in PLAN_COLUMNS if c in frame.columns]), as_text)


def plan_csv(reader: Reader, item: str | None = None) -> dict[str, Any]:
    """``dcc.Download`` data: the shipments as CSV after ``#`` lines with the stamp."""
    stamp = plan_stamp(reader)
    head = "".join(f"# {k}: {v}\n" for k, v in stamp.items())
    return {
        "content": head + csv_text(_shipments(reader, item, as_text=True)),
        "filename": _name(stamp, item, ".csv"),
        "type": "text/csv",
    }


def plan_workbook(reader: Reader, item: str | None = None) -> tuple[bytes, str]:
    """The workbook's bytes and file name: an ``about`` sheet with the stamp, then the plan,
    the promises, the pools and the capacity value."""
    stamp = plan_stamp(reader)
    promises = reader.commitments()
    pools = reader.pools()
    values = reader.capacity_value()
    if item:
        promises = promises.filter(pl.col("item_id") == item)
        pools = pools.filter(pl.col("item_id") == item)
        values = values.filter(pl.col("item_id") == item)
    tables = {
        "about": pl.DataFrame({"field": list(stamp), "value": list(stamp.values())}),
        "plan": _shipments(reader, item),
        "promises": tidy(promises.drop([c for c in ("reasons",) if c in promises.columns])),
        "pools": tidy(pools),
        "capacity value": tidy(values),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xlsx"
        write_workbook(tables, path)
        return path.read_bytes(), _name(stamp, item, ".xlsx")
