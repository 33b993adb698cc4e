"""The pure entry points other stages call: data in, plan out."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from optimize.model import Hook, build_model
from optimize.results import Plan, build_plan
from optimize.sets import build_model_data
from optimize.solve import solve
from store.dataset import Dataset
from store.defaults import DEFAULT_HORIZON, DEFAULT_US_TARGET_WEIGHT
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
    us_target_weight: float = DEFAULT_US_TARGET_WEIGHT,
    reference: pl.DataFrame | None = None,
    firmed: pl.DataFrame | None = None,
) -> Plan:
    """Solve the allocation model and return the plan.

    ``demand`` is a forecast frame with ``holder_id, item_id, month, mean`` (None: no
    consumption). ``hook(model, data)`` may add rows before solving.
    ``us_target_weight``: W, the weight of US stock pools below target against partner
    stocks below floor in the readiness stage. ``reference``: a plan's shipments (``source_id,
    commitment_id, partner_id, item_id, month, units``) the last stage keeps close to (None:
    no such stage). ``firmed``: firmed shipments and pinned completions
    (``optimize.firmed.FIRMED_SCHEMA``), honoured before lateness as far as they can be.
    Raises ``SolveError`` when no trustworthy optimal plan is found.
    """
    t0 = time.perf_counter()
    data = build_model_data(
        dataset,
        demand,
        start,
        horizon,
        budget=budget,
        us_target_weight=us_target_weight,
        reference=reference,
        firmed=firmed,
    )
    model = build_model(data, hook)
    log.info(
        "model built in %.2f s: %d columns, %d rows",
        time.perf_counter() - t0,
        model.lp.num_col,
        model.lp.num_row,
    )
    sol = solve(model, solver, time_limit)
    plan = build_plan(model, sol)
    return replace(plan, unit_costs=dataset.items.select("item_id", "unit_cost_usd"))


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    dates = [n for n, t in frame.schema.items() if t == pl.Date]
    rows = frame.to_dicts()
    for row in rows:
        for n in dates:
            row[n] = month_text(row[n])
    return rows


def plan_to_json(
    plan: Plan,
    run_id: str | None,
    start: date,
    horizon: int,
    outlook: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """The ``arsenal allocate --json`` object (a stable contract for budget-office scripts);
    ``outlook``: a projection's, whose probabilities the metrics then carry (``run``)."""
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
                "purpose",
            )
        ),
        "readiness": _records(
            plan.readiness.select(
                "holder_id",
                "item_id",
                "month",
                "level",
                "floor_units",
                "target_units",
                "below_floor_units",
                "below_target_units",
            )
        ),
        "stages": [{"name": n, "objective": v} for n, v in plan.stages],
        "metrics": plan.metrics(outlook),
        "capacity_value": _records(
            plan.capacity_value.select("source_id", "item_id", "month", "value")
        ),
        "investments": _records(plan.investments.select("option_id", "chosen", "cost_usd")),
        "production": _records(
            plan.production.select("source_id", "item_id", "month", "units", "capacity")
        ),
    }
