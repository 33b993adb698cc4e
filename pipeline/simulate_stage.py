"""``arsenal simulate``: read the data and forecast, simulate on Dask, store under a run id.

The database is read, then closed while the futures are solved (a long simulation does not
hold DuckDB's writer lock), then opened again to store the results in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from forecast.projection import consumption_paths
from optimize.model import Model, build_model
from optimize.sets import build_model_data
from pipeline.compute import demand_multiplier, load_applied
from pipeline.firmed import firmed_in_force
from pipeline.scenarios.apply import Applied, apply_demand
from pipeline.scenarios.hook import block_hook
from pipeline.simulation import SimulationResult, run_simulation
from pipeline.tradeoff import stored_forecast
from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect, transaction
from store.months import month_index, month_text
from store.runs import finish_run, latest_forecast_from, start_run
from store.sql import insert_frame, query
from store.status import last_content_hash

__all__ = [
    "SimulateResult",
    "SimulationInputs",
    "read_simulation_inputs",
    "simulate_applied",
    "render_simulation",
    "run_simulate",
    "simulate_json",
    "demand_paths",
    "simulation_model",
    "write_simulation",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulateResult:
    run_id: str
    scenario: str
    start: date
    horizon: int
    result: SimulationResult
    wall_seconds: float


@dataclass(frozen=True)
class SimulationInputs:
    """What a simulation reads from the database: the data, the start, the stored forecast and
    demand models (None when there is no forecast from that start)."""

    dataset: Dataset
    start: date
    horizon: int
    forecast: pl.DataFrame | None
    models: pl.DataFrame | None
    firmed: pl.DataFrame | None = None
    """The firmed rows every future's plan honours first (as the published plan does)."""


def read_simulation_inputs(
    con: Connection, start: date | None, horizon: int, firmed: pl.DataFrame | None = None
) -> SimulationInputs:
    dataset = read_dataset(con)
    start = start or default_start(dataset)
    forecast = stored_forecast(con, start, horizon)
    run = latest_forecast_from(con, start, horizon)
    models = (
        query(con, "demand_models_for_run", run_id=run, holder_id=None, item_id=None)
        if run is not None
        else None
    )
    return SimulationInputs(dataset, start, horizon, forecast, models, firmed)


def simulate_applied(
    applied: Applied,
    inputs: SimulationInputs,
    *,
    samples: int,
    seed: int,
    mode: str = "replan",
    tolerance: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    criticality_samples: int = 50,
    progress: Callable[[int, int], None] | None = None,
    demand: str = "paths",
) -> SimulationResult:
    """The futures of the scenario ``applied`` (see :func:`run_simulate`), not stored."""
    start, horizon, forecast = inputs.start, inputs.horizon, inputs.forecast
    scaled = apply_demand(forecast, applied.demand) if forecast is not None else None
    model, rules = simulation_model(applied, scaled, start, horizon, inputs.firmed)
    paths = None
    if demand == "paths" and inputs.models is not None and forecast is not None:
        paths = demand_paths(applied, inputs.models, forecast, start, horizon, samples, seed)
    log.info(
        "%s: %d samples (%s) from %s over %d months, %d uncertainty rules",
        applied.name,
        samples,
        mode,
        month_text(start),
        horizon,
        rules.height,
    )
    return run_simulation(
        model,
        rules,
        samples=samples,
        seed=seed,
        mode=mode,
        tolerance=tolerance,
        scheduler=scheduler,
        workers=workers,
        criticality_samples=criticality_samples,
        progress=progress,
        demand_paths=paths,
    )


def run_simulate(
    db: str,
    *,
    scenario: str | None = None,
    scenarios: str | Path = "scenarios",
    start: date | None = None,
    horizon: int,
    samples: int,
    seed: int,
    mode: str = "replan",
    tolerance: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    criticality_samples: int = 50,
    progress: Callable[[int, int], None] | None = None,
    demand: str = "paths",
) -> SimulateResult:
    """``demand``: ``paths`` (each future consumes a simulated path of the stored demand
    models) or ``mean`` (the forecast mean, times any ``demand_factor``)."""
    t0 = time.perf_counter()
    con = connect(db, read_only=True)
    try:
        inputs = read_simulation_inputs(con, start, horizon, firmed_in_force(db))
    finally:
        con.close()
    applied = load_applied(inputs.dataset, scenario, scenarios)
    result = simulate_applied(
        applied,
        inputs,
        samples=samples,
        seed=seed,
        mode=mode,
        tolerance=tolerance,
        scheduler=scheduler,
        workers=workers,
        criticality_samples=criticality_samples,
        progress=progress,
        demand=demand,
    )
    wall = time.perf_counter() - t0
    con = connect(db)
    try:
        with transaction(con):
            run_id = write_simulation(
                con, result, inputs.start, horizon, applied.name, last_content_hash(con), wall
            )
    finally:
        con.close()
    return SimulateResult(run_id, applied.name, inputs.start, horizon, result, wall)


def simulation_model(
    applied: Applied,
    forecast: pl.DataFrame | None,
    start: date,
    horizon: int,
    firmed: pl.DataFrame | None = None,
) -> tuple[Model, pl.DataFrame]:
    """The model a scenario's futures are drawn around (as its plan builds it: budget, route
    blocks, the forecast with the scenario's demand changes, the firmed rows) and its
    uncertainty rules."""
    data_now, blocks = applied.for_start(start)
    data = build_model_data(
        data_now, forecast, start, horizon, budget=applied.budget_usd, firmed=firmed
    )
    model = build_model(data, block_hook(blocks))
    return model, data_now.uncertainty


def demand_paths(
    applied: Applied,
    models: pl.DataFrame,
    forecast: pl.DataFrame,
    start: date,
    horizon: int,
    samples: int,
    seed: int,
) -> dict[tuple[str, str], np.ndarray]:
    """Each modelled series' consumption path per sample (``forecast.projection``'s paths,
    path k depending only on (seed, k)), scaled by the scenario's demand changes."""
    data_now, _ = applied.for_start(start)
    paths = consumption_paths(data_now, models, start, horizon, samples, seed)
    scale = demand_multiplier(forecast, applied.demand)
    for h, i, m, k in scale.select("holder_id", "item_id", "month", "multiplier").iter_rows():
        t = month_index(m, start)
        if (h, i) in paths and 0 <= t < horizon:
            paths[(h, i)][:, t] *= k
    return paths


def write_simulation(
    con: Connection,
    result: SimulationResult,
    start: date,
    horizon: int,
    scenario: str,
    data_hash: str | None,
    wall: float,
) -> str:
    """Store a simulation under a new run id (inside the caller's transaction)."""
    run_id = start_run(
        con,
        "simulate",
        start_month=start,
        horizon=horizon,
        scenario=scenario,
        content_hash=data_hash,
    )
    insert_frame(con, "insert_simulation_commitments", _stored(result.commitments), run_id=run_id)
    insert_frame(con, "insert_simulation_pools", result.pools, run_id=run_id)
    insert_frame(con, "insert_simulation_lines", result.lines, run_id=run_id)
    finish_run(con, run_id, "ok", _summary(result, wall))
    return run_id


def _stored(commitments: pl.DataFrame) -> pl.DataFrame:
    return commitments.drop("priority", "promised_month")


def _summary(r: SimulationResult, wall: float) -> dict[str, Any]:
    return {
        "samples": r.samples,
        "seed": r.seed,
        "mode": r.mode,
        "demand": r.demand,
        "workers": r.workers,
        "wall_seconds": round(wall, 3),
        "simulation_seconds": round(r.seconds, 3),
        "cluster_start_seconds": round(r.startup_seconds, 3),
    }


def _month(value: Any) -> str | None:
    return month_text(value) if value is not None else None


def simulate_json(s: SimulateResult) -> dict[str, Any]:
    """The ``arsenal simulate --json`` object."""
    r = s.result
    commitments = [
        {
            "commitment_id": row["commitment_id"],
            "partner_id": row["partner_id"],
            "item_id": row["item_id"],
            "promised_month": _month(row["promised_month"]),
            "p_on_time": row["p_on_time"],
            "p_on_time_se": row["p_on_time_se"],
            "completion_p10": _month(row["completion_p10"]),
            "completion_p50": _month(row["completion_p50"]),
            "completion_p90": _month(row["completion_p90"]),
            "expected_late_unit_months": row["expected_late_unit_months"],
        }
        for row in r.commitments.iter_rows(named=True)
    ]
    pools = []
    for row in r.pools.iter_rows(named=True):
        pools.append(
            {
                "holder_id": row["holder_id"],
                "item_id": row["item_id"],
                "floor_units": row["floor_units"],
                "target_units": row["target_units"],
                "breach_probability": {str(k): row[f"breach_probability_{k}"] for k in (3, 6, 12)},
                **{f"floor_breach_p{q}": _month(row[f"floor_breach_p{q}"]) for q in (10, 50, 90)},
                **{
                    f"target_reached_p{q}": _month(row[f"target_reached_p{q}"])
                    for q in (10, 50, 90)
                },
            }
        )
    return {
        "run_id": s.run_id,
        "scenario": s.scenario,
        "start": month_text(s.start),
        "horizon": s.horizon,
        "samples": r.samples,
        "seed": r.seed,
        "mode": r.mode,
        "demand": r.demand,
        "workers": r.workers,
        "wall_seconds": round(s.wall_seconds, 3),
        "cluster_start_seconds": round(r.startup_seconds, 3),
        "commitments": commitments,
        "pools": pools,
        "lines": r.lines.to_dicts(),
    }


def render_simulation(s: SimulateResult, top: int = 15) -> str:
    """Text output: the promises least likely to be kept, then the most critical lines."""
    r = s.result
    out = [
        f"simulation {s.run_id} ({s.scenario}, {r.mode}) from {month_text(s.start)} over "
        f"{s.horizon} months: {r.samples} samples, seed {r.seed}, {r.workers} worker(s), "
        f"{s.wall_seconds:.1f} s (cluster start {r.startup_seconds:.1f} s)",
        "",
        "Promises least likely to be kept:",
    ]
    for row in r.commitments.sort("p_on_time", "commitment_id").head(top).iter_rows(named=True):
        p50 = row["completion_p50"]
        when = (
            f"complete by {month_text(p50)} (P50)"
            if p50 is not None
            else "not complete within the horizon (P50)"
        )
        out.append(
            f"  {row['commitment_id']}: P(on time) {row['p_on_time']:.0%} "
            f"(± {row['p_on_time_se']:.1%}), due {month_text(row['promised_month'])}, {when}"
        )
    if r.lines.height:
        out += ["", "Most critical lines (rank correlation with weighted lateness):"]
        for row in r.lines.head(top).iter_rows(named=True):
            rho = "n/a" if row["criticality"] is None else f"{row['criticality']:+.2f}"
            saved = (
                ""
                if row["lateness_saved"] is None
                else f", removing it saves {row['lateness_saved']:,.0f} weighted late unit-months"
            )
            out.append(f"  {row['source_id']} {row['item_id']} ({row['kind']}): {rho}{saved}")
    return "\n".join(out)
