"""The pipeline: demand forecast -> plan -> stock projection, for the baseline or a scenario.

``compute`` does the work in memory and touches no database; ``write_pipeline`` stores one
result under a new run id. Callers wrap the writes (and, for the nightly run, the report)
in one transaction, so a run killed at any point leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from forecast.demand import DemandResult, forecast_demand
from forecast.projection import project_stocks
from pipeline.firmed import firmed_in_force
from pipeline.reference import stored_reference
from pipeline.scenarios import (
    BASELINE,
    Applied,
    apply_chain,
    apply_demand,
    read_scenarios,
    resolve_chain,
)
from pipeline.scenarios.hook import block_hook
from pipeline.stages import checked_plan, previous_baseline_forecast, write_plan
from pipeline.version import code_version
from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect, transaction
from store.defaults import (
    DEFAULT_HORIZON,
    DEFAULT_PATHS,
    DEFAULT_SEED,
    DEFAULT_US_TARGET_WEIGHT,
)
from store.months import month_text
from store.runs import finish_run, start_run, write_results
from store.status import last_content_hash

__all__ = [
    "PipelineResult",
    "PlanSettings",
    "checkpoint",
    "compute",
    "pipeline_result",
    "plan_stage",
    "project_stage",
    "content_hash",
    "load_applied",
    "run_pipeline",
    "write_pipeline",
]

log = logging.getLogger(__name__)
PAUSE_ENV, PAUSE_SECONDS_ENV = "ARSENAL_PAUSE_AT", "ARSENAL_PAUSE_SECONDS"


def checkpoint(name: str) -> None:
    """A stage boundary. With ``ARSENAL_PAUSE_AT`` listing ``name`` (comma-separated), say so
    on stderr and sleep ``ARSENAL_PAUSE_SECONDS`` (default 60): the kill tests use this to
    stop a run at a known point. Without the variable it costs nothing."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or name not in wanted.split(","):
        return
    print(f"arsenal: paused at {name}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


content_hash = last_content_hash


def load_applied(dataset: Dataset, scenario: str | None, folder: str | Path) -> Applied:
    """The baseline (``scenario`` None or 'baseline'), or the named scenario from ``folder``
    applied with its chain of bases; rejected input names file, override and field."""
    if scenario in (None, BASELINE):
        return Applied(dataset=dataset)
    library = read_scenarios(folder)
    return apply_chain(dataset, resolve_chain(scenario, library))


def _file_hashes(applied: Applied, folder: str | Path | None) -> dict[str, str]:
    if folder is None or not applied.chain:
        return {}
    library = read_scenarios(folder)
    return {
        name: hashlib.sha256(Path(library[name].path).read_bytes()).hexdigest()
        for name in applied.chain
        if name in library
    }


@dataclass(frozen=True)
class PipelineResult:
    """One pipeline run in memory: every result frame plus what the summary needs."""

    scenario: str
    start: date
    horizon: int
    applied: Applied
    models: pl.DataFrame
    forecast: pl.DataFrame
    plan: Any
    projection: pl.DataFrame
    outlook: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    scenario_files: dict[str, str] = field(default_factory=dict)
    reference_run_id: str | None = None
    """The stored plan the plan was kept close to (None: none, or one computed the same night)."""
    firmed: pl.DataFrame | None = None
    """The firmed rows the plan honoured (None: none)."""

    def summary(self) -> dict[str, Any]:
        """What ``runs.summary`` holds for a pipeline run."""
        model_counts = self.models.group_by("model").len().sort("model").rows()
        breached = self.outlook.filter(pl.col("floor_breach_p50").is_not_null()).height
        return {
            "scenario": {
                "name": self.scenario,
                "chain": list(self.applied.chain),
                "descriptions": dict(self.applied.descriptions),
                "budget_usd": self.applied.budget_usd,
                "cost_usd": self.applied.cost_usd,
                "files_sha256": self.scenario_files,
            },
            "forecast": {"series": self.models.height, "models": dict(model_counts)},
            "allocate": self.plan.summary() | {"reference_run_id": self.reference_run_id},
            "project": {"pools": self.outlook.height, "breach_p50_within_horizon": breached},
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "code_version": code_version(),
        }


def demand_multiplier(forecast: pl.DataFrame, changes: Any) -> pl.DataFrame:
    """The factor a scenario's demand changes put on each (holder, item, month) of the forecast,
    so the simulated consumption of the projection moves with the forecast the plan reads."""
    ones = forecast.select("holder_id", "item_id", "month", pl.lit(1.0).alias("mean"))
    scaled = apply_demand(ones, changes).rename({"mean": "multiplier"})
    return scaled.filter(pl.col("multiplier") != 1.0)


@dataclass(frozen=True)
class PlanSettings:
    """How a plan is solved: the same for the baseline and every scenario of a run."""

    solver: str = "highs"
    time_limit: float | None = None
    us_target_weight: float = DEFAULT_US_TARGET_WEIGHT
    firmed: pl.DataFrame | None = field(default=None, compare=False)
    """Firmed shipments and pinned completions (``pipeline.firmed``), honoured first."""


def plan_stage(
    applied: Applied,
    start: date,
    horizon: int,
    demand: Any,
    reference: pl.DataFrame | None,
    settings: PlanSettings = PlanSettings(),
) -> tuple[Any, float]:
    """The plan of ``applied`` on ``demand`` (its scenario's demand changes applied) and its
    seconds; ``reference``: the shipments to stay close to (None: no such stage)."""
    t0 = time.perf_counter()
    dataset, later_blocks = applied.for_start(start)
    log.info("%s: allocation plan", applied.name)
    plan = checked_plan(
        dataset,
        apply_demand(demand.forecast, applied.demand),
        start,
        horizon,
        label=applied.name,
        budget=applied.budget_usd,
        solver=settings.solver,
        time_limit=settings.time_limit,
        hook=block_hook(later_blocks),
        us_target_weight=settings.us_target_weight,
        reference=reference,
        firmed=settings.firmed,
    )
    return plan, time.perf_counter() - t0


def project_stage(
    applied: Applied, start: date, horizon: int, demand: Any, plan: Any, paths: int, seed: int
) -> tuple[Any, float]:
    """The stock projection of ``applied`` under ``plan`` and its seconds."""
    t0 = time.perf_counter()
    dataset, _ = applied.for_start(start)
    log.info("%s: stock projection (%d paths)", applied.name, paths)
    projected = project_stocks(
        dataset,
        DemandResult(demand.models, apply_demand(demand.forecast, applied.demand)),
        plan.shipments,
        start,
        horizon,
        paths,
        seed,
        demand_multiplier=demand_multiplier(demand.forecast, applied.demand),
        investments=plan.investments,
        production=plan.production,
    )
    return projected, time.perf_counter() - t0


def pipeline_result(
    applied: Applied,
    start: date,
    horizon: int,
    demand: Any,
    plan: Any,
    projected: Any,
    timings: dict[str, float],
    scenario_files: dict[str, str],
    firmed: pl.DataFrame | None = None,
) -> PipelineResult:
    """The stages' results as one run."""
    return PipelineResult(
        scenario=applied.name,
        start=start,
        horizon=horizon,
        applied=applied,
        models=demand.models,
        forecast=apply_demand(demand.forecast, applied.demand),
        plan=plan,
        projection=projected.projection,
        outlook=projected.outlook,
        timings=timings,
        scenario_files=scenario_files,
        firmed=firmed,
    )


def compute(
    applied: Applied,
    start: date,
    horizon: int = DEFAULT_HORIZON,
    *,
    demand: Any | None = None,
    previous_demand: Any | None = None,
    paths: int = DEFAULT_PATHS,
    seed: int = DEFAULT_SEED,
    solver: str = "highs",
    time_limit: float | None = None,
    workers: int | None = None,
    scenario_folder: str | Path | None = None,
    us_target_weight: float = DEFAULT_US_TARGET_WEIGHT,
    reference: pl.DataFrame | None = None,
    firmed: pl.DataFrame | None = None,
) -> PipelineResult:
    """Forecast, plan and project ``applied`` (a scenario applied, or the plain baseline).

    ``demand``: a forecast result (``.models``, ``.forecast``) of the same data to reuse; a
    scenario never changes consumption history, so the nightly run forecasts once. The
    scenario's demand changes are applied to the forecast frame the plan reads.
    ``reference``: the shipments of the plan to stay close to (None: no such stage).
    ``firmed``: firmed shipments and pinned completions the plan honours first.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if demand is None:
        log.info("%s: demand forecast from %s", applied.name, month_text(start))
        dataset, _ = applied.for_start(start)
        demand = forecast_demand(
            dataset, start, horizon, workers=workers, previous=previous_demand, progress=False
        )
    timings["forecast"] = time.perf_counter() - t0
    checkpoint("pipeline:forecast")
    settings = PlanSettings(solver, time_limit, us_target_weight, firmed)
    plan, timings["plan"] = plan_stage(applied, start, horizon, demand, reference, settings)
    checkpoint("pipeline:plan")
    projected, timings["project"] = project_stage(
        applied, start, horizon, demand, plan, paths, seed
    )
    checkpoint("pipeline:project")
    files = _file_hashes(applied, scenario_folder)
    return pipeline_result(applied, start, horizon, demand, plan, projected, timings, files, firmed)


def write_pipeline(con: Connection, result: PipelineResult, data_hash: str | None) -> str:
    """Store every result of ``result`` under a new pipeline run; returns its run id.

    Opens no transaction: the caller wraps this (and whatever must commit with it)."""
    run_id = start_run(
        con,
        "pipeline",
        start_month=result.start,
        horizon=result.horizon,
        scenario=result.scenario,
        content_hash=data_hash,
    )
    write_results(con, "demand_models", run_id, result.models)
    write_results(con, "demand_forecast", run_id, result.forecast)
    write_plan(con, run_id, result.plan)
    write_results(con, "stock_projection", run_id, result.projection)
    write_results(con, "stock_outlook", run_id, result.outlook)
    finish_run(con, run_id, status="ok", summary=result.summary())
    return run_id


def run_pipeline(
    db: str,
    scenario: str | None,
    folder: str | Path,
    *,
    start: date | None,
    horizon: int = DEFAULT_HORIZON,
    paths: int = DEFAULT_PATHS,
    seed: int = DEFAULT_SEED,
    us_target_weight: float = DEFAULT_US_TARGET_WEIGHT,
    reference: str | None = None,
) -> tuple[str, PipelineResult]:
    """``arsenal run``: forecast, plan and project the baseline or a scenario, and store the
    results under one pipeline run; returns its run id and the result. ``reference``: a run
    id, a scenario name or 'none' (default: the latest plan of the scenario's base; for the
    baseline, the previous baseline plan)."""
    con = connect(db)
    try:
        dataset = read_dataset(con)
        start = start or default_start(dataset)
        applied = load_applied(dataset, scenario, folder)
        reference_run, reference_plan = stored_reference(con, reference, applied)
        result = compute(
            applied,
            start,
            horizon,
            previous_demand=previous_baseline_forecast(con, start, horizon),
            paths=paths,
            seed=seed,
            scenario_folder=folder if applied.chain else None,
            us_target_weight=us_target_weight,
            reference=reference_plan,
            firmed=firmed_in_force(db),
        )
        result = replace(result, reference_run_id=reference_run)
        with transaction(con):
            run_id = write_pipeline(con, result, content_hash(con))
    finally:
        con.close()
    return run_id, result
