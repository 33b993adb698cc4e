"""The three stages on their own (``arsenal forecast``, ``allocate``, ``project``), each
reading what the stage before it stored, and storing its own results under a run id."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from forecast.demand import DemandResult, forecast_demand
from forecast.projection import ProjectionResult, project_stocks
from optimize import Plan, SolveError, allocate, check_plan
from pipeline.firmed import firmed_in_force
from pipeline.reference import stored_reference
from pipeline.scenarios import Applied
from pipeline.stage_run import StageRun, stage_run
from store.dataset import Dataset
from store.db import Connection, transaction
from store.defaults import DEFAULT_SEED, DEFAULT_US_TARGET_WEIGHT
from store.months import month_text
from store.runs import latest_forecast_from, latest_run, write_results
from store.sql import query

__all__ = [
    "AllocateResult",
    "ProjectResult",
    "checked_plan",
    "forecast_stage",
    "previous_baseline_forecast",
    "project_stage",
    "read_demand",
    "run_allocate",
    "run_forecast",
    "write_plan",
]

log = logging.getLogger(__name__)


def read_demand(con: Connection, run_id: str) -> DemandResult:
    """A stored forecast run's results as a DemandResult."""
    return DemandResult(
        query(con, "demand_models_for_run", run_id=run_id, holder_id=None, item_id=None),
        query(con, "demand_forecast_for_run", run_id=run_id),
    )


def previous_baseline_forecast(con: Connection, start: date, horizon: int) -> DemandResult | None:
    """The latest baseline forecast from the same start and horizon: series whose history
    has not changed are reused from it (scenarios never change consumption history)."""
    last = latest_run(con, "forecast", "baseline")
    if last is None or last["start_month"] != start or last["horizon"] != horizon:
        return None
    return read_demand(con, last["run_id"])


def run_forecast(
    con: Connection,
    dataset: Dataset,
    start: date,
    horizon: int,
    *,
    workers: int | None = None,
    scenario: str = "baseline",
) -> tuple[str, DemandResult]:
    """Forecast and store under a new run; unchanged series are reused from the latest run."""
    last = latest_run(con, "forecast", scenario)
    previous = read_demand(con, last["run_id"]) if last is not None else None
    stage = StageRun(con, dataset, start, horizon, "forecast", scenario=scenario)
    run_id = stage.begin()
    try:
        result = forecast_demand(dataset, start, horizon, workers=workers, previous=previous)
        with transaction(con):
            write_results(con, "demand_models", run_id, result.models)
            write_results(con, "demand_forecast", run_id, result.forecast)
    except BaseException as exc:
        stage.finish({"status": "failed", "error": f"{type(exc).__name__}: {exc}"}, "failed")
        raise
    counts = result.models.group_by("model").len().sort("model").rows()
    stage.finish({"series": result.models.height, "models": dict(counts)})
    log.info("forecast run %s: %d series", run_id, result.models.height)
    return run_id, result


def forecast_stage(
    db: str, start: date | None, horizon: int, *, workers: int | None = None
) -> tuple[str, date, DemandResult]:
    """``arsenal forecast``: returns the run id, the start month and the forecast."""
    with stage_run(db, "forecast", start=start, horizon=horizon) as stage:
        run_id, result = run_forecast(
            stage.con, stage.dataset, stage.start, horizon, workers=workers
        )
        return run_id, stage.start, result


def write_plan(con: Connection, run_id: str, plan: Plan) -> None:
    """Store a plan's result tables (reasons as JSON lists); the caller holds the
    transaction."""
    commitments = plan.commitments.with_columns(
        pl.Series(
            "reasons",
            [json.dumps(r) for r in plan.commitments.get_column("reasons").to_list()],
            dtype=pl.String,
        )
    )
    write_results(con, "plan_commitments", run_id, commitments)
    write_results(con, "plan_shipments", run_id, plan.shipments)
    write_results(con, "capacity_value", run_id, plan.capacity_value)
    write_results(con, "plan_investments", run_id, plan.investments)
    write_results(con, "plan_pools", run_id, plan.pools)
    write_results(con, "plan_readiness", run_id, plan.readiness)
    write_results(con, "plan_production", run_id, plan.production)


def checked_plan(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int,
    *,
    label: str = "",
    **options: Any,
) -> Plan:
    """Solve the allocation model and check the plan against every rule independently; a plan
    the checker finds broken is a ``SolveError``, never a result."""
    plan = allocate(dataset, demand, start, horizon, **options)
    problems = check_plan(
        dataset, demand, start, horizon, plan, options.get("reference"), options.get("firmed")
    )
    if problems:
        where = f" for {label}" if label else ""
        raise SolveError(
            f"numerically doubtful plan{where}: the checker found {len(problems)} broken "
            f"rule(s), first: {problems[0]}"
        )
    return plan


@dataclass(frozen=True)
class AllocateResult:
    run_id: str
    start: date
    horizon: int
    plan: Plan


def run_allocate(
    db: str,
    start: date | None,
    horizon: int,
    *,
    budget: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    us_target_weight: float = DEFAULT_US_TARGET_WEIGHT,
    reference: str | None = None,
) -> AllocateResult:
    """``arsenal allocate``: plan against the stored baseline forecast and store the plan.
    ``reference``: a run id, a scenario name or 'none' (default: the previous baseline plan).
    A ``SolveError`` leaves the run marked failed and the previous plan in place."""
    with stage_run(db, "allocate", start=start, horizon=horizon) as stage:
        reference_run, reference_plan = stored_reference(
            stage.con, reference, Applied(dataset=stage.dataset)
        )
        demand = None
        forecast_run = latest_forecast_from(stage.con, stage.start, horizon)
        if forecast_run is not None:
            log.info("consumption from forecast run %s", forecast_run)
            demand = query(stage.con, "demand_forecast_for_run", run_id=forecast_run)
        else:
            log.warning(
                "no stored demand forecast from %s covering %d months: pools see no consumption "
                "(run 'arsenal forecast' or 'arsenal run' first)",
                month_text(stage.start),
                horizon,
            )
        run_id = stage.begin()
        plan = checked_plan(
            stage.dataset,
            demand,
            stage.start,
            horizon,
            budget=budget,
            solver=solver,
            time_limit=time_limit,
            us_target_weight=us_target_weight,
            reference=reference_plan,
            firmed=firmed_in_force(db),
        )
        with transaction(stage.con):
            write_plan(stage.con, run_id, plan)
            stage.finish(plan.summary() | {"reference_run_id": reference_run})
        return AllocateResult(run_id, stage.start, horizon, plan)


@dataclass(frozen=True)
class ProjectResult:
    run_id: str
    start: date
    horizon: int
    projection: ProjectionResult
    breached: int


def project_stage(
    db: str,
    start: date | None,
    horizon: int,
    *,
    paths: int,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
) -> ProjectResult:
    """``arsenal project``: project every stock with the latest forecast from the same start
    (forecasting first when there is none) and the latest plan's shipments."""
    with stage_run(db, "project", start=start, horizon=horizon) as stage:
        con = stage.con
        forecast_run = latest_forecast_from(con, stage.start)
        if forecast_run is not None:
            demand = read_demand(con, forecast_run)
            log.info("using demand forecast run %s", forecast_run)
        else:
            log.info(
                "no demand forecast from %s yet: running the forecast first",
                month_text(stage.start),
            )
            _, demand = run_forecast(con, stage.dataset, stage.start, horizon, workers=workers)
        plan = latest_run(con, "allocate")
        if plan is None:
            log.info("no allocation plan yet: projecting without shipments")
            shipments = investments = production = None
        else:
            shipments = query(con, "plan_shipments_for_run", run_id=plan["run_id"])
            investments = query(con, "plan_investments_for_run", run_id=plan["run_id"])
            production = query(con, "plan_production_for_run", run_id=plan["run_id"])
            # a plan stored before production was kept: the capacity step function instead
            production = production if production.height else None
            log.info("using plan %s (%d shipments)", plan["run_id"], shipments.height)
        run_id = stage.begin()
        result = project_stocks(
            stage.dataset,
            demand,
            shipments,
            stage.start,
            horizon,
            paths,
            seed,
            investments=investments,
            production=production,
        )
        with transaction(con):
            write_results(con, "stock_projection", run_id, result.projection)
            write_results(con, "stock_outlook", run_id, result.outlook)
        breached = result.outlook.filter(pl.col("floor_breach_p50").is_not_null()).height
        stage.summary = {
            "pools": result.outlook.height,
            "breach_p50_within_horizon": breached,
            "paths": paths,
            "seed": seed,
            "plan_run_id": None if plan is None else plan["run_id"],
        }
        return ProjectResult(run_id, stage.start, horizon, result, breached)
