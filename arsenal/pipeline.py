"""The pipeline: demand forecast -> plan -> stock projection, for the baseline or a scenario.

``compute`` does the work in memory and touches no database; ``write_pipeline`` stores one
result under a new run id. Callers wrap the writes (and, for the nightly run, the report)
in one transaction, so a run killed at any point leaves the database as it was.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from arsenal import __version__
from arsenal.scenarios import BASELINE, Applied, apply_chain, apply_demand, resolve_chain
from arsenal.scenarios.apply import read_scenarios
from arsenal.scenarios.hook import block_hook
from store.dataset import DEFAULT_HORIZON, Dataset
from store.db import Connection
from store.months import month_text
from store.runs import finish_run, start_run, write_results
from store.status import last_content_hash

__all__ = [
    "DEFAULT_HORIZON",
    "PipelineResult",
    "checkpoint",
    "code_version",
    "compute",
    "content_hash",
    "load_applied",
    "pipeline_json",
    "write_pipeline",
]

log = logging.getLogger(__name__)
DEFAULT_PATHS = 500
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


@functools.cache
def code_version() -> str:
    """``arsenal <version>`` plus the git commit when the code runs from a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


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
            "allocate": self.plan.summary(),
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


def compute(
    applied: Applied,
    start: date,
    horizon: int = DEFAULT_HORIZON,
    *,
    demand: Any | None = None,
    previous_demand: Any | None = None,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    solver: str = "highs",
    time_limit: float | None = None,
    workers: int | None = None,
    scenario_folder: str | Path | None = None,
) -> PipelineResult:
    """Forecast, plan and project ``applied`` (a scenario applied, or the plain baseline).

    ``demand``: a forecast result (``.models``, ``.forecast``) of the same data to reuse; a
    scenario never changes consumption history, so the nightly run forecasts once. The
    scenario's demand changes are applied to the forecast frame the plan reads.
    """
    from forecast.demand import DemandResult, forecast_demand
    from forecast.projection import project_stocks
    from optimize import SolveError, allocate, check_plan

    timings: dict[str, float] = {}
    dataset, later_blocks = applied.for_start(start)
    name = applied.name
    t0 = time.perf_counter()
    if demand is None:
        log.info("%s: demand forecast from %s", name, month_text(start))
        demand = forecast_demand(
            dataset, start, horizon, workers=workers, previous=previous_demand, progress=False
        )
    timings["forecast"] = time.perf_counter() - t0
    forecast = apply_demand(demand.forecast, applied.demand)
    checkpoint("pipeline:forecast")

    t0 = time.perf_counter()
    log.info("%s: allocation plan", name)
    plan = allocate(
        dataset,
        forecast,
        start,
        horizon,
        budget=applied.budget_usd,
        solver=solver,
        time_limit=time_limit,
        hook=block_hook(later_blocks),
    )
    problems = check_plan(dataset, forecast, start, horizon, plan)
    if problems:
        raise SolveError(
            f"numerically doubtful plan for {name}: {len(problems)} broken rule(s), "
            f"first: {problems[0]}"
        )
    timings["plan"] = time.perf_counter() - t0
    checkpoint("pipeline:plan")

    t0 = time.perf_counter()
    log.info("%s: stock projection (%d paths)", name, paths)
    projected = project_stocks(
        dataset,
        DemandResult(demand.models, forecast),
        plan.shipments,
        start,
        horizon,
        paths,
        seed,
        demand_multiplier=demand_multiplier(demand.forecast, applied.demand),
        investments=plan.investments,
    )
    timings["project"] = time.perf_counter() - t0
    checkpoint("pipeline:project")
    return PipelineResult(
        scenario=name,
        start=start,
        horizon=horizon,
        applied=applied,
        models=demand.models,
        forecast=forecast,
        plan=plan,
        projection=projected.projection,
        outlook=projected.outlook,
        timings=timings,
        scenario_files=_file_hashes(applied, scenario_folder),
    )


def write_plan(con: Connection, run_id: str, plan: Any) -> None:
    """Store a plan's five result tables (reasons as JSON lists); the caller holds the
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


def pipeline_json(run_id: str, result: PipelineResult) -> dict[str, Any]:
    """``arsenal run --json``: the three stages in the shapes of ``arsenal forecast``,
    ``arsenal allocate`` and ``arsenal project`` (each with the pipeline's run id)."""
    from arsenal.commands.forecast import forecast_json
    from arsenal.commands.project import project_json
    from forecast.demand import DemandResult
    from forecast.projection import ProjectionResult
    from optimize import plan_to_json

    start, horizon = result.start, result.horizon
    return {
        "run_id": run_id,
        "scenario": result.scenario,
        "start": month_text(start),
        "horizon": horizon,
        "status": result.plan.status,
        "forecast": forecast_json(
            run_id, start, horizon, DemandResult(result.models, result.forecast)
        ),
        "allocate": plan_to_json(result.plan, run_id, start, horizon),
        "project": project_json(
            run_id, start, horizon, ProjectionResult(result.projection, result.outlook)
        ),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }
