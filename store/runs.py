"""Run bookkeeping: every stage's results carry the id of the run that made them."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from store.db import Connection
from store.sql import execute, insert_frame, query

__all__ = [
    "RESULT_TABLES",
    "finish_run",
    "latest_forecast_from",
    "latest_run",
    "simulation_of_plan",
    "start_run",
    "write_results",
]

RESULT_TABLES = (
    "demand_models",
    "demand_forecast",
    "plan_commitments",
    "plan_shipments",
    "capacity_value",
    "plan_investments",
    "plan_pools",
    "plan_readiness",
    "plan_production",
    "stock_projection",
    "stock_outlook",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(
    con: Connection,
    kind: str,
    *,
    start_month: date,
    horizon: int,
    scenario: str = "baseline",
    content_hash: str | None = None,
) -> str:
    """Record a new run and return its id (``<kind>-<UTC time>-<random>``)."""
    started = _now()
    run_id = f"{kind}-{started:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    execute(
        con,
        "start_run",
        run_id=run_id,
        kind=kind,
        scenario=scenario,
        started_at=started,
        start_month=start_month,
        horizon=horizon,
        content_hash=content_hash,
    )
    return run_id


def finish_run(
    con: Connection, run_id: str, status: str = "ok", summary: dict[str, Any] | None = None
) -> None:
    execute(
        con,
        "finish_run",
        run_id=run_id,
        finished_at=_now(),
        status=status,
        summary=json.dumps(summary or {}, default=str),
    )


def write_results(con: Connection, table: str, run_id: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` (the table's columns without ``run_id``) to a result table."""
    if table not in RESULT_TABLES:
        raise KeyError(f"{table!r} is not a result table")
    insert_frame(con, f"insert_{table}", frame, run_id=run_id)


def latest_run(con: Connection, kind: str, scenario: str = "baseline") -> dict[str, Any] | None:
    """The newest successful run with results of ``kind`` (forecast, allocate, project)."""
    rows = query(con, "latest_run", kind=kind, scenario=scenario)
    return rows.row(0, named=True) if rows.height else None


def simulation_of_plan(
    con: Connection, plan: dict[str, Any] | None, scenario: str = "baseline"
) -> dict[str, Any] | None:
    """The newest simulation of ``scenario`` drawn around the same data, start and horizon as
    the plan run ``plan`` (None when there is none: any other would describe another plan)."""
    simulation = latest_run(con, "simulate", scenario)
    if simulation is None or plan is None:
        return None
    same = all(simulation[k] == plan[k] for k in ("start_month", "horizon", "content_hash"))
    return simulation if same else None


def latest_forecast_from(con: Connection, start: date, horizon: int = 0) -> str | None:
    """The newest baseline forecast run from ``start`` covering ``horizon`` months."""
    found = query(con, "forecast_run_for_start", scenario="baseline", start_month=start)
    if found.height and found.item(0, "horizon") >= horizon:
        return found.item(0, "run_id")
    return None
