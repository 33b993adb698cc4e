"""A partner's extract: its commitments, planned deliveries and projected stocks, holding only
rows releasable to it, and aggregates computed only from those rows.

What is withheld, and why, is decided by the one releasability filter
(``reports/releasability.py``), which the dashboard's liaison role uses too:

- commitments of other partners, and the partner's own commitments not releasable to it;
- planned deliveries of withheld commitments;
- a stock's counts unless every stock row of the pool is releasable to the partner, and its
  projection unless, besides, no planned shipment into or out of it serves a withheld
  commitment (a shared depot's projection is shaped by every shipment through it);
- a late reason that is not understood, or names anything the partner may not see.

Each frame is written as CSV and Parquet, and all of them as the sheets of one workbook
(``extract.xlsx``, by the one workbook writer of ``reports.workbook``, formula-like text
neutralised as in the CSV files), all from the same filtered frames. No ``releasable_to``
column is written: it names other partners. The extract is written into a temporary folder
beside ``--out`` and renamed into place once complete, so a full disk or a kill leaves the
earlier extract as it was and never a partial one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from reports.folders import written_atomically
from reports.releasability import partner_scope
from reports.spreadsheet import write_csv
from reports.workbook import write_workbook
from store.db import Connection, connect
from store.errors import InputRejected, Problem
from store.months import month_text
from store.runs import latest_run
from store.sql import query

__all__ = [
    "EXTRACT_FILES",
    "FRAMES",
    "WORKBOOK",
    "export_partner",
    "partner_view",
    "write_partner_extract",
]

FRAMES = (
    "commitments",
    "planned_deliveries",
    "stock_history",
    "projected_stocks",
    "stock_outlook",
)
WORKBOOK = "extract.xlsx"
"""The workbook of the extract: one sheet per frame, named as its CSV file."""
EXTRACT_FILES = frozenset(
    {f"{name}.{ext}" for name in FRAMES for ext in ("csv", "parquet")} | {WORKBOOK, "summary.json"}
)
"""Every file an extract folder holds."""


def partner_view(con: Connection, run_id: str, partner: str) -> dict[str, pl.DataFrame]:
    """The frames of ``partner``'s extract for ``run_id`` (see the module doc for the rules)."""
    scope = partner_scope(con, partner, [run_id])
    commitments = scope.commitment_rows(query(con, "plan_commitments_for_run", run_id=run_id))
    shipments = scope.commitment_rows(query(con, "plan_shipments_for_run", run_id=run_id))
    history = scope.pool_rows(query(con, "stock_counts", holder_id=None, item_id=None))
    view = {
        "commitments": scope.reasons_column(commitments).drop("releasable_to"),
        "planned_deliveries": shipments.select(
            "commitment_id", "item_id", "source_id", "month", "arrival_month", "units"
        ).sort("commitment_id", "month", "source_id"),
        "stock_history": history.drop("releasable_to").sort("holder_id", "item_id", "as_of"),
        "projected_stocks": scope.projected_rows(
            query(con, "stock_projection_for_run", run_id=run_id, holder_id=None, item_id=None)
        ),
        "stock_outlook": scope.projected_rows(query(con, "stock_outlook_for_run", run_id=run_id)),
    }
    return view


def _earlier_extract(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but extract files (so it may be replaced)."""
    return all(p.is_file() and p.name in EXTRACT_FILES for p in folder.iterdir())


def write_partner_extract(
    con: Connection, run: dict[str, Any], partner: str, folder: Path
) -> dict[str, Any]:
    """Write the extract (CSV + Parquet per frame, the workbook, summary.json) as ``folder``,
    at once or not at all. An existing ``folder`` is replaced only when it holds nothing but
    extract files; else ``InputRejected`` names ``--out``."""
    view = partner_view(con, run["run_id"], partner)
    summary = _summary(view, run, partner)
    try:
        with written_atomically(folder, _earlier_extract) as tmp:
            for name, frame in view.items():
                write_csv(frame, tmp / f"{name}.csv")
                frame.write_parquet(tmp / f"{name}.parquet")
            write_workbook(view, tmp / WORKBOOK)
            text = json.dumps(summary, indent=2, default=str) + "\n"
            (tmp / "summary.json").write_text(text, encoding="utf-8")
    except FileExistsError:
        reason = "exists and holds more than an extract; choose a new or empty folder"
        raise InputRejected([Problem("arguments", None, "--out", str(folder), reason)]) from None
    return summary


def _summary(view: dict[str, pl.DataFrame], run: dict[str, Any], partner: str) -> dict[str, Any]:
    """The extract's figures, computed from its own frames only."""
    c, d = view["commitments"], view["planned_deliveries"]
    by_month = (
        d.group_by("arrival_month").agg(pl.col("units").sum()).sort("arrival_month")
        if d.height
        else d
    )
    outlook = view["stock_outlook"]
    return {
        "partner_id": partner,
        "run_id": run["run_id"],
        "scenario": run["scenario"],
        "start": month_text(run["start_month"]),
        "horizon": run["horizon"],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commitments": c.height,
        "backlog_units": float(c.get_column("backlog_units").sum()),
        "planned_units": float(c.get_column("planned_units").sum()),
        "late_commitments": c.filter(pl.col("late_unit_months") > 1e-6).height,
        "late_unit_months": float(c.get_column("late_unit_months").sum()),
        "arrivals_by_month": {
            month_text(m): u for m, u in by_month.select("arrival_month", "units").iter_rows()
        },
        "stocks": outlook.height,
        "stocks_breaching_floor_p50": outlook.filter(
            pl.col("floor_breach_p50").is_not_null()
        ).height,
        "files": sorted(
            [f"{name}.{ext}" for name in view for ext in ("csv", "parquet")] + [WORKBOOK]
        ),
    }


def export_partner(
    db: str | Path, partner: str, out: Path, run: str | None = None, scenario: str = "baseline"
) -> dict[str, Any]:
    """Write ``partner``'s extract of run ``run`` (default: the latest run of ``scenario`` with
    a plan and a projection) into ``out``; its summary (``run_id`` included). Raises
    ``InputRejected`` for an unknown partner or run, or a scenario not run yet."""
    con = connect(db, read_only=True)
    try:
        partners = set(query(con, "dataset_partners").get_column("partner_id"))
        if partner not in partners:
            raise InputRejected([Problem("arguments", None, "--for", partner, "unknown partner")])
        if run:
            found = query(con, "run_by_id", run_id=run)
            if not found.height:
                raise InputRejected([Problem("arguments", None, "--run", run, "no such run")])
            chosen = found.row(0, named=True)
        else:
            chosen = latest_run(con, "project", scenario)
            if chosen is None:
                raise InputRejected(
                    [
                        Problem(
                            "arguments",
                            None,
                            "--scenario",
                            scenario,
                            "no run with a plan and a projection; run 'arsenal run' first",
                        )
                    ]
                )
        return write_partner_extract(con, chosen, partner, out)
    finally:
        con.close()
