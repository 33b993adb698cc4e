"""How likely each promise is to be kept: many sampled futures, solved on Dask.

The model is built once, on the client, from the data and the forecast; it and the
uncertainty rules go to each worker once (``Client.scatter``, broadcast). A task solves a
batch of sample indices: the worker keeps one ``SampleSolver`` per model (built on its first
task) and answers each future by changing the numbers of the model it holds
(``optimize.resolve``). ``replan`` re-plans each future with the full staged solve;
``fixed`` executes the baseline plan in it (``optimize.resolve.execute_plan``).

Batches are read back in index order, whichever finishes first, so ``--tolerance`` stops at
the same sample for any number of workers: after each batch, if every promise's standard
error of P(on time) is below the tolerance, the rest is cancelled. The stopping rule uses
``(k + 1) / (n + 2)`` for the share so that a promise seen always (or never) on time in the
first batch does not stop the run at once; the reported standard error is the plain
``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from optimize.model import Model
from optimize.resolve import SampleSolver, line_capacity, neutral_future
from pipeline.dask_engine import DaskEngine
from pipeline.futures import LINE_KINDS, FutureSampler

__all__ = [
    "MODES",
    "SampleRecord",
    "Simulation",
    "SimulationResult",
    "run_simulation",
    "solve_batch",
]

log = logging.getLogger(__name__)

MODES = ("replan", "fixed")
BREACH_WINDOWS = (3, 6, 12)
MIN_SAMPLES_BEFORE_STOP = 30
CRITICAL_TOP = 10
"""Lines whose lateness saved is measured (by re-solving), the most critical first."""


@dataclass(frozen=True)
class Simulation:
    """What each worker needs, sent once: the built model, the rules and the settings."""

    model: Model
    rules: pl.DataFrame
    seed: int
    mode: str
    demand_paths: dict[tuple[str, str], np.ndarray] | None = None
    """Per (holder, item), the consumption path of each sample (None: the forecast mean)."""
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class SampleRecord:
    index: int
    objective: float
    """Stage 1 of this future: weighted late unit-months plus the floor-breach penalty."""
    weighted_late: float
    late: np.ndarray
    """(commitments,) unit-months late."""
    completion: np.ndarray
    """(commitments,) 0-based month the promise is complete, inf: not within the horizon."""
    values: np.ndarray
    """The value drawn for each uncertain thing."""
    breach: np.ndarray
    """(watched pools,) first 0-based month below floor, inf: none."""
    target: np.ndarray
    """(watched pools,) first month at or above target, inf: none."""


# -- the worker's side -----------------------------------------------------------------------

_PREPARED: dict[str, tuple[SampleSolver, FutureSampler, dict[str, np.ndarray]]] = {}


def _watched_pools(model: Model) -> pl.DataFrame:
    """Pools whose stock is watched: US/allied stock pools and partner stocks with a floor or
    a target (``family``, ``index``, holder, item, floor, target)."""
    data = model.data
    us = data.pools.filter(
        pl.col("is_stock") & ((pl.col("floor_units") > 0) | (pl.col("target_units") > 0))
    )
    partner = data.partner_pools.filter(
        (pl.col("floor_units") > 0) | (pl.col("target_units").fill_null(0) > 0)
    )
    levels = ("holder_id", "item_id", "start_units", "floor_units", "target_units")
    return pl.concat(
        [
            us.select(pl.lit("pool").alias("family"), pl.col("pool").alias("index"), *levels),
            partner.select(
                pl.lit("partner_pool").alias("family"), pl.col("q").alias("index"), *levels
            ),
        ]
    ).with_columns(pl.col("start_units", "floor_units", "target_units").cast(pl.Float64))


def _route_keys(model: Model) -> pl.DataFrame:
    data = model.data
    com = data.commitments.select("c", "partner_id", "item_id")
    ship = (
        data.routes.join(com, on="c")
        .select("source_id", "partner_id", "item_id", pl.col("r").alias("k"))
        .with_columns(family=pl.lit("ship"))
    )
    pp = data.partner_pools.select("q", pl.col("holder_id").alias("partner_id"), "item_id")
    sus = (
        data.sustain_routes.join(pp, on="q")
        .select("source_id", "partner_id", "item_id", pl.col("r").alias("k"))
        .with_columns(family=pl.lit("sustain"))
    )
    return pl.concat([ship, sus])


def _pool_keys(model: Model) -> pl.DataFrame:
    data = model.data
    return pl.concat(
        [
            data.pools.select(
                "holder_id",
                "item_id",
                pl.lit("pool").alias("family"),
                pl.col("pool").alias("index"),
            ),
            data.partner_pools.select(
                "holder_id",
                "item_id",
                pl.lit("partner_pool").alias("family"),
                pl.col("q").alias("index"),
            ),
        ]
    )


def sampler_for(
    model: Model,
    rules: pl.DataFrame,
    seed: int,
    demand_paths: dict[tuple[str, str], np.ndarray] | None = None,
) -> FutureSampler:
    lines, _ = line_capacity(model)
    return FutureSampler(
        rules,
        lines,
        _route_keys(model),
        _pool_keys(model),
        neutral_future(model),
        seed,
        demand_paths,
    )


def _prepare(sim: Simulation) -> tuple[SampleSolver, FutureSampler, dict[str, np.ndarray]]:
    if sim.token not in _PREPARED:
        _PREPARED.clear()
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        solver = SampleSolver(sim.model)
        watched = _watched_pools(sim.model)
        static = {
            "backlog": sim.model.data.commitments.get_column("backlog").to_numpy(),
            "weight": sim.model.data.commitments.get_column("weight").to_numpy(),
            "family": watched.get_column("family").to_numpy(),
            "index": watched.get_column("index").to_numpy(),
            "floor": watched.get_column("floor_units").to_numpy(),
            "target": watched.get_column("target_units").fill_null(np.inf).to_numpy(),
        }
        sampler = sampler_for(sim.model, sim.rules, sim.seed, sim.demand_paths)
        _PREPARED[sim.token] = (solver, sampler, static)
    return _PREPARED[sim.token]


def _watched_levels(outcome: Any, family: np.ndarray, index: np.ndarray, H: int) -> np.ndarray:
    levels = np.zeros((family.size, H))
    us = family == "pool"
    levels[us] = outcome.stock[index[us]]
    levels[~us] = outcome.partner_stock[index[~us]]
    return levels


def _ready(sim: Simulation) -> int:
    _prepare(sim)
    return os.getpid()


def _first(hit: np.ndarray) -> np.ndarray:
    any_hit = hit.any(axis=1)
    idx = hit.argmax(axis=1).astype(float)
    idx[~any_hit] = np.inf
    return idx


def solve_batch(
    sim: Simulation, indices: Sequence[int], neutral: frozenset[int] = frozenset()
) -> list[SampleRecord]:
    """Solve the futures ``indices`` (the things in ``neutral`` held at their neutral value)."""
    solver, sampler, st = _prepare(sim)
    out = []
    for i in indices:
        draw = sampler.draw(int(i), neutral)
        outcome = solver.solve(draw.future) if sim.mode == "replan" else solver.execute(draw.future)
        backlog = st["backlog"]
        done = outcome.arrived >= (backlog - 1e-6 * np.maximum(backlog, 1.0))[:, None]
        pools = _watched_levels(outcome, st["family"], st["index"], solver.H)
        out.append(
            SampleRecord(
                index=int(i),
                objective=outcome.objective,
                weighted_late=float(st["weight"] @ outcome.late),
                late=outcome.late,
                completion=_first(done),
                values=draw.values,
                breach=_first(pools < st["floor"][:, None] - 1e-6),
                target=_first(pools >= st["target"][:, None] - 1e-6),
            )
        )
    return out


# -- the client's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    commitments: pl.DataFrame
    pools: pl.DataFrame
    lines: pl.DataFrame
    records: list[SampleRecord]
    samples: int
    seed: int
    mode: str
    seconds: float
    startup_seconds: float
    workers: int
    worker_memory_mb: float = 0.0
    setup_seconds: float = 0.0
    """Sending the model to the workers and building each worker's solver."""
    demand: str = "mean"
    """``paths``: each future consumed a simulated path of the demand models; ``mean``: the
    forecast mean."""


def _batches(samples: int, size: int) -> list[range]:
    return [range(a, min(a + size, samples)) for a in range(0, samples, size)]


def run_simulation(
    model: Model,
    rules: pl.DataFrame,
    *,
    samples: int,
    seed: int,
    mode: str = "replan",
    tolerance: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    criticality_samples: int = 50,
    progress: Callable[[int, int], None] | None = None,
    demand_paths: dict[tuple[str, str], np.ndarray] | None = None,
    engine: DaskEngine | None = None,
) -> SimulationResult:
    """Simulate ``samples`` futures (see the module docstring) and summarise them.
    ``demand_paths``: per (holder, item), at least ``samples`` consumption paths (None: every
    future consumes the forecast mean). ``engine``: an open engine to use (and leave open);
    else one is started from ``scheduler`` and ``workers`` and closed at the end."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if samples < 1:
        raise ValueError("--samples must be at least 1")
    workers = workers or os.cpu_count() or 1
    sim = Simulation(model, rules, seed, mode, demand_paths)
    owned = engine is None
    engine = engine or DaskEngine(scheduler, workers)
    t0 = time.perf_counter()
    try:
        size = batch_size or max(5, min(50, math.ceil(samples / (4 * engine.workers))))
        shared = engine.client.scatter(sim, broadcast=True, hash=False)
        # each worker builds its solver once, before the clock of the samples starts
        engine.client.gather(
            [
                engine.client.submit(
                    _ready, shared, workers=[w], allow_other_workers=False, pure=False
                )
                for w in engine.client.scheduler_info()["workers"]
            ]
        )
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        due = model.data.commitments.get_column("due").to_numpy()
        records = _gather(
            engine, shared, _batches(samples, size), tolerance, progress, samples, due
        )
        sampler = sampler_for(model, rules, seed, demand_paths)
        lines = _criticality(engine, shared, sampler, records, criticality_samples, size, due)
        memory = engine.worker_memory_mb()
    finally:
        if owned:
            engine.close()
    seconds = time.perf_counter() - t0
    return SimulationResult(
        commitments=_commitments(model, records),
        pools=_pools(model, records),
        lines=lines,
        records=records,
        samples=len(records),
        seed=seed,
        mode=mode,
        seconds=seconds,
        startup_seconds=engine.startup,
        workers=engine.workers,
        worker_memory_mb=memory,
        setup_seconds=setup,
        demand="paths" if demand_paths else "mean",
    )


def _gather(
    engine: DaskEngine,
    shared: Any,
    batches: list[range],
    tolerance: float | None,
    progress: Callable[[int, int], None] | None,
    total: int,
    due: np.ndarray,
    neutral: frozenset[int] = frozenset(),
) -> list[SampleRecord]:
    futures = [
        engine.client.submit(solve_batch, shared, list(b), neutral, pure=False) for b in batches
    ]
    records: list[SampleRecord] = []
    try:
        for k, f in enumerate(futures):
            records.extend(engine.result(f, f"the batch of sampled futures {k + 1}"))
            if progress is not None:
                progress(len(records), total)
            if (
                tolerance is not None
                and len(records) >= MIN_SAMPLES_BEFORE_STOP
                and _worst_se(records, due) < tolerance
            ):
                log.info(
                    "every promise's standard error below %g after %d samples",
                    tolerance,
                    len(records),
                )
                engine.client.cancel(futures[k + 1 :])
                break
    finally:
        engine.client.cancel([f for f in futures if not f.done()])
    return records


def _on_time(model: Model, records: list[SampleRecord]) -> np.ndarray:
    due = model.data.commitments.get_column("due").to_numpy()
    done = np.array([r.completion for r in records]).reshape(len(records), -1)
    return done <= due[None, :]


def _worst_se(records: list[SampleRecord], due: np.ndarray) -> float:
    """The largest standard error of P(on time) over the promises, with (k+1)/(n+2)."""
    if due.size == 0:
        return 0.0
    n = len(records)
    k = (np.array([r.completion for r in records]).reshape(n, -1) <= due[None, :]).sum(axis=0)
    p = (k + 1) / (n + 2)
    return float(np.sqrt(p * (1 - p) / n).max())


def _commitments(model: Model, records: list[SampleRecord]) -> pl.DataFrame:
    data = model.data
    com = data.commitments
    n = len(records)
    on_time = _on_time(model, records)
    p = on_time.mean(axis=0) if n else np.zeros(com.height)
    se = np.sqrt(p * (1 - p) / n) if n else np.zeros(com.height)
    completion = np.array([r.completion for r in records]).reshape(n, -1)
    late = np.array([r.late for r in records]).reshape(n, -1)
    from forecast.projection import event_month_quantiles

    quantiles = [event_month_quantiles(completion[:, c]) for c in range(com.height)]
    months = data.months

    def month(i: int | None) -> Any:
        return months[i] if i is not None else None

    return com.select(
        "commitment_id", "partner_id", "item_id", "priority", "promised_month"
    ).with_columns(
        p_on_time=pl.Series(p, dtype=pl.Float64),
        p_on_time_se=pl.Series(se, dtype=pl.Float64),
        completion_p10=pl.Series([month(q[0]) for q in quantiles], dtype=pl.Date),
        completion_p50=pl.Series([month(q[1]) for q in quantiles], dtype=pl.Date),
        completion_p90=pl.Series([month(q[2]) for q in quantiles], dtype=pl.Date),
        expected_late_unit_months=pl.Series(late.mean(axis=0) if n else np.zeros(com.height)),
    )


def _pools(model: Model, records: list[SampleRecord]) -> pl.DataFrame:
    from forecast.projection import OUTLOOK_SCHEMA, event_month_quantiles

    watched = _watched_pools(model)
    n = len(records)
    breach = np.array([r.breach for r in records]).reshape(n, -1)
    target = np.array([r.target for r in records]).reshape(n, -1)
    months = model.data.months
    rows = []
    for k, row in enumerate(watched.iter_rows(named=True)):
        b = event_month_quantiles(breach[:, k])
        starts_below = row["target_units"] is not None and row["start_units"] < row["target_units"]
        tq = event_month_quantiles(target[:, k]) if starts_below else [None, None, None]
        rows.append(
            {
                "holder_id": row["holder_id"],
                "item_id": row["item_id"],
                "floor_units": row["floor_units"],
                "target_units": row["target_units"],
                **{
                    f"floor_breach_p{q}": months[i] if i is not None else None
                    for q, i in zip((10, 50, 90), b, strict=True)
                },
                **{
                    f"target_reached_p{q}": months[i] if i is not None else None
                    for q, i in zip((10, 50, 90), tq, strict=True)
                },
                **{
                    f"breach_probability_{w}": float((breach[:, k] < w).mean()) if n else 0.0
                    for w in BREACH_WINDOWS
                },
            }
        )
    return pl.DataFrame(rows, schema=OUTLOOK_SCHEMA)


def _criticality(
    engine: DaskEngine,
    shared: Any,
    sampler: FutureSampler,
    records: list[SampleRecord],
    samples: int,
    size: int,
    due: np.ndarray,
) -> pl.DataFrame:
    """Per uncertain line (and kind): the rank correlation of its drawn value with total
    weighted lateness, and the expected weighted lateness saved when it is held neutral (the
    first ``samples`` futures re-solved with that line's draw at its neutral value), for the
    ``CRITICAL_TOP`` most critical."""
    from scipy.stats import spearmanr

    frame = sampler.uncertain.frame
    schema = {
        "source_id": pl.String,
        "item_id": pl.String,
        "kind": pl.String,
        "criticality": pl.Float64,
        "lateness_saved": pl.Float64,
    }
    if frame.height == 0 or not records:
        return pl.DataFrame(schema=schema)
    things = frame.filter(pl.col("kind").is_in(LINE_KINDS))
    total = np.array([r.weighted_late for r in records])
    values = np.array([r.values for r in records])
    rho: dict[int, float | None] = {}
    for u in things.get_column("u").to_list():
        v = values[:, u]
        rho[u] = (
            float(spearmanr(v, total).statistic) if np.ptp(v) > 0 and np.ptp(total) > 0 else None
        )
    ranked = sorted((u for u in rho if rho[u] is not None), key=lambda u: -abs(rho[u] or 0.0))
    top = ranked[:CRITICAL_TOP]
    m = min(samples, len(records))
    saved: dict[int, float] = {}
    if m > 0 and top:
        # every held-neutral re-run at once; each is read back in index order
        runs = {
            u: [
                engine.client.submit(solve_batch, shared, list(b), frozenset([u]), pure=False)
                for b in _batches(m, size)
            ]
            for u in top
        }
        for u, futures in runs.items():
            held = [r for f in futures for r in engine.result(f, "a criticality batch")]
            saved[u] = float(total[:m].mean() - np.mean([r.weighted_late for r in held]))
    rows = [
        {
            "source_id": row["target"],
            "item_id": row["item_id"],
            "kind": row["kind"],
            "criticality": rho[row["u"]],
            "lateness_saved": saved.get(row["u"]),
        }
        for row in things.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=schema).sort(
        pl.col("criticality").abs(), descending=True, nulls_last=True
    )
