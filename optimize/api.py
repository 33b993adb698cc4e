"""The pure entry points other stages call: data in, plan out."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import polars as pl

from optimize.model import Hook, build_model
from optimize.results import Plan, build_plan
from optimize.sets import build_model_data
from optimize.solve import solve
from store.dataset import Dataset
from store.defaults import DEFAULT_HORIZON
from store.months import month_text

__all__ = ["allocate", "plan_to_json"]

log = logging.getLogger(__name__)


def allocate(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int = DEFAULT_HORIZON,
    *,
    budget: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    hook: Hook | None = None,
) -> Plan:
    """Solve the allocation model and return the plan.

    ``demand`` is a forecast frame with ``holder_id, item_id, month, mean`` (None: no
    consumption). ``hook(model, data)`` may add rows before solving. Raises
    ``SolveError`` when no trustworthy optimal plan is found.
    """
    t0 = time.perf_counter()
    data = build_model_data(dataset, demand, start, horizon, budget=budget)
    model = build_model(data, hook)
    log.info(
        "model built in %.2f s: %d columns, %d rows",
        time.perf_counter() - t0,
        model.lp.num_col,
        model.lp.num_row,
    )
    sol = solve(model, solver, time_limit)
    return build_plan(model, sol)


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    dates = [n for n, t in frame.schema.items() if t == pl.Date]
    rows = frame.to_dicts()
    for row in rows:
        for n in dates:
            row[n] = month_text(row[n])
    return rows


def plan_to_json(plan: Plan, run_id: str | None, start: date, horizon: int) -> dict[str, Any]:
    """The ``arsenal allocate --json`` object (a stable contract for budget-office scripts)."""
    return {
        "run_id": run_id,
        "start": month_text(start),
        "horizon": horizon,
        "status": plan.status,
        "weighted_late_unit_months": plan.weighted_late_unit_months,
        "commitments": _records(
            plan.commitments.select(
                "commitment_id",
                "partner_id",
                "item_id",
                "backlog_units",
                "planned_units",
                "completion_month",
                "late_unit_months",
                "reasons",
            )
        ),
        "shipments": _records(
            plan.shipments.select(
                "source_id",
                "commitment_id",
                "item_id",
                "partner_id",
                "month",
                "arrival_month",
                "units",
            )
        ),
        "capacity_value": _records(
            plan.capacity_value.select("source_id", "item_id", "month", "value")
        ),
        "investments": _records(plan.investments.select("option_id", "chosen", "cost_usd")),
    }
