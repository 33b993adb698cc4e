"""``arsenal tradeoff``: the frontier between US rebuild and partner readiness, from the stored
data and the latest baseline forecast (nothing is written)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import polars as pl

from optimize.tradeoff import Tradeoff, tradeoff
from store.dataset import default_start, read_dataset
from store.db import Connection, connect
from store.months import month_text
from store.runs import latest_forecast_from
from store.sql import query

__all__ = ["render_tradeoff", "run_tradeoff", "stored_forecast", "tradeoff_json"]

log = logging.getLogger(__name__)


def stored_forecast(con: Connection, start: date, horizon: int) -> pl.DataFrame | None:
    """The latest stored baseline forecast from ``start`` covering ``horizon`` months (None,
    with a warning: no consumption)."""
    forecast_run = latest_forecast_from(con, start, horizon)
    if forecast_run is not None:
        return query(con, "demand_forecast_for_run", run_id=forecast_run)
    log.warning(
        "no stored demand forecast from %s covering %d months: stocks see no consumption "
        "(run 'arsenal run' first)",
        month_text(start),
        horizon,
    )
    return None


def run_tradeoff(db: str, start: date | None, horizon: int, points: int = 11) -> Tradeoff:
    """The trade-off curve of the loaded data, with the stored baseline forecast from the same
    start (none: no consumption, as ``arsenal allocate``)."""
    con = connect(db, read_only=True)
    try:
        dataset = read_dataset(con)
        start = start or default_start(dataset)
        demand = stored_forecast(con, start, horizon)
    finally:
        con.close()
    return tradeoff(dataset, demand, start, horizon, points)


def tradeoff_json(t: Tradeoff) -> dict[str, Any]:
    """The ``arsenal tradeoff --json`` object."""
    return {
        "start": month_text(t.start),
        "horizon": t.horizon,
        "lateness_objective": t.lateness,
        "us_optimum": t.us_optimum,
        "partner_optimum": t.partner_optimum,
        "points": t.points,
    }


def render_tradeoff(t: Tradeoff) -> str:
    """The curve as a table: what each month of faster US rebuild costs partners."""
    lines = [
        f"Trade-off from {month_text(t.start)} over {t.horizon} months (lateness kept at its "
        f"optimum {t.lateness:,.0f}):",
        f"{'US unit-months below target':>28} {'partner unit-months below floor':>32}  "
        "US rebuilt / partners below floor from",
    ]
    for p in t.points:
        rebuilt = ", ".join(
            f"{r['holder_id']} {r['item_id']} {r['rebuild_month']}"
            for r in p["us_pools"]
            if r["rebuild_month"]
        )
        below = ", ".join(
            f"{r['holder_id']} {r['item_id']} {r['first_month_below_floor']}"
            for r in p["partner_stocks"]
            if r["first_month_below_floor"]
        )
        lines.append(
            f"{p['us_unit_months_below_target']:>28,.0f} "
            f"{p['partner_weighted_unit_months_below_floor']:>32,.0f}  "
            f"{rebuilt or 'none rebuilt'} / {below or 'none'}"
        )
    return "\n".join(lines)
