"""Monte Carlo speed: warm re-solves on Dask against a cold floor, and per-sample cost at scale.

Prints (nothing is asserted; the machines are shared):

1. sample data, ``--samples`` replan futures on a local cluster with 1 and 2 workers: seconds
   excluding cluster start-up (reported apart), the 1 -> 2 worker speed-up, worker memory;
2. the floor: the same futures in a plain ``multiprocessing`` pool (2 processes), each
   future's model rebuilt from arrays and solved cold (``SampleSolver.rebuilt`` + ``solve``);
   the ratio warm / floor;
3. one process, warm against afresh: the same futures with the stages after readiness solved
   from the last basis and without it (``PRESOLVE_COLUMNS``: why the sample stays warm); and
   by blocks against whole, futures and plan (``BLOCK_COLUMNS``: why the sample is split);
   the later stages by the primal simplex against the dual (``PRIMAL_WARM``);
4. the 1.2e5-column instance of ``bench/allocate.py``: ``--large-samples`` futures re-solved
   warm in one process, time per future against one cold solve of the same instance on one
   thread, as a future runs (its time with the blocks side by side on every core is shown
   too).

The uncertainty rules are the bench's own (every line: ramp delay 0-6 months, capacity factor
triangular 0.8/1.0/1.05; every route 0-2 extra months), stated in the output.

    .venv/bin/python bench/simulate.py --samples 1000 --large-samples 100
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

RULES = pl.DataFrame(
    {
        "target": ["*", "*", "*"],
        "item_id": ["*", "*", "*"],
        "kind": ["ramp_delay_months", "capacity_factor", "lead_time_extra_months"],
        "distribution": ["uniform_int", "triangular", "uniform_int"],
        "low": [0.0, 0.8, 0.0],
        "mode": [None, 1.0, None],
        "high": [6.0, 1.05, 2.0],
    }
)


def sample_model(db: str, horizon: int):  # noqa: ANN201
    from optimize.model import build_model
    from optimize.sets import build_model_data
    from store.dataset import default_start, read_dataset
    from store.db import connect
    from store.runs import latest_forecast_from
    from store.sql import query

    con = connect(db, read_only=True)
    try:
        ds = read_dataset(con)
        start = default_start(ds)
        run = latest_forecast_from(con, start, horizon)
        demand = query(con, "demand_forecast_for_run", run_id=run) if run else None
    finally:
        con.close()
    return build_model(build_model_data(ds, demand, start, horizon))


_FLOOR: dict = {}


def _floor_init(model, seed: int) -> None:  # noqa: ANN001
    from threadpoolctl import threadpool_limits

    import optimize.blocks
    from optimize.resolve import SampleSolver
    from pipeline.simulation import sampler_for

    threadpool_limits(1)
    optimize.blocks.PLAN_THREADS = 1  # one process per core, as the engine's workers
    _FLOOR["solver"] = SampleSolver(model)
    _FLOOR["sampler"] = sampler_for(model, RULES, seed)


def _floor_solve(i: int) -> float:
    from optimize.solve import solve

    future = _FLOOR["sampler"].draw(i).future
    sol = solve(_FLOOR["solver"].rebuilt(future))
    return float(sol.stages[0][1])


def floor(model, samples: int, seed: int) -> tuple[float, float]:  # noqa: ANN001
    """(seconds for the futures, seconds to start the pool and build its solvers)."""
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ctx.Pool(2, initializer=_floor_init, initargs=(model, seed)) as pool:
        pool.map(_floor_solve, range(2), chunksize=1)  # the workers are ready
        ready = time.perf_counter() - t0
        t1 = time.perf_counter()
        pool.map(_floor_solve, range(samples), chunksize=max(1, samples // 40))
        return time.perf_counter() - t1, ready


def dask_run(model, samples: int, workers: int, seed: int):  # noqa: ANN001, ANN201
    from pipeline.simulation import run_simulation

    return run_simulation(
        model, RULES, samples=samples, seed=seed, workers=workers, criticality_samples=0
    )


def warm_against_afresh(model, samples: int, seed: int) -> None:  # noqa: ANN001
    """The same futures in one process, the stages after readiness solved from the last basis
    (warm, the sample's size) and afresh (``optimize.solve.PRESOLVE_COLUMNS`` forced to 0)."""
    import optimize.solve
    from optimize.resolve import SampleSolver
    from pipeline.simulation import sampler_for

    threshold = optimize.solve.PRESOLVE_COLUMNS
    sampler = sampler_for(model, RULES, seed)
    futures = [sampler.draw(i).future for i in range(samples)]
    per_future = {}
    try:
        for label, columns in (("warm", threshold), ("afresh", 0)):
            optimize.solve.PRESOLVE_COLUMNS = columns
            solver = SampleSolver(model)
            t0 = time.perf_counter()
            for future in futures:
                solver.solve(future)
            per_future[label] = (time.perf_counter() - t0) / samples * 1000
    finally:
        optimize.solve.PRESOLVE_COLUMNS = threshold
    print(
        f"  one process, {samples} futures: later stages warm {per_future['warm']:.0f} ms, "
        f"afresh {per_future['afresh']:.0f} ms per future ({model.lp.num_col:,} columns; "
        f"afresh from {threshold:,})"
    )


def primal_against_dual(model, samples: int, seed: int) -> None:  # noqa: ANN001
    """The same futures in one process, the stages after stage 1 started from the last
    optimum by the primal simplex (as shipped, ``optimize.solve.PRIMAL_WARM``) and by the dual
    simplex, in turns (the machines are noisy), and the plan's stage optima both ways: the
    figures behind ``PRIMAL_WARM``."""
    import optimize.solve
    from optimize.resolve import SampleSolver
    from optimize.solve import solve
    from pipeline.simulation import sampler_for

    shipped = optimize.solve.PRIMAL_WARM
    sampler = sampler_for(model, RULES, seed)
    futures = [sampler.draw(i).future for i in range(samples)]
    per_future: dict[bool, list[float]] = {True: [], False: []}
    stages = {}
    try:
        for _ in range(3):
            for primal in (True, False):
                optimize.solve.PRIMAL_WARM = primal
                solver = SampleSolver(model)
                t0 = time.perf_counter()
                for future in futures:
                    solver.solve(future)
                per_future[primal].append((time.perf_counter() - t0) / samples * 1000)
        for primal in (True, False):
            optimize.solve.PRIMAL_WARM = primal
            stages[primal] = solve(model).stages
    finally:
        optimize.solve.PRIMAL_WARM = shipped
    same = all(
        (a is None and b is None) or abs(a - b) <= 1e-9 * max(1.0, abs(a))
        for (_, a), (_, b) in zip(stages[True], stages[False], strict=True)
    )
    print(
        f"  one process, {samples} futures, three turns each: later stages by the primal "
        f"simplex {np.median(per_future[True]):.0f} ms per future, by the dual "
        f"{np.median(per_future[False]):.0f} ms (medians); the plan's stage optima equal to "
        f"1e-9: {same}"
    )


def whole_against_blocks(model, samples: int, seed: int) -> None:  # noqa: ANN001
    """The same futures in one process, and the plan, with the model solved by its
    independent blocks (``optimize.blocks``, as shipped) and whole (``BLOCK_COLUMNS`` above
    the model's size): the figures behind ``BLOCK_COLUMNS``."""
    import optimize.blocks
    from optimize.resolve import SampleSolver
    from optimize.solve import solve
    from pipeline.simulation import sampler_for

    shipped = optimize.blocks.BLOCK_COLUMNS
    sampler = sampler_for(model, RULES, seed)
    futures = [sampler.draw(i).future for i in range(samples)]
    figures = {}
    try:
        for label, columns in (("blocks", shipped), ("whole", model.lp.num_col + 1)):
            optimize.blocks.BLOCK_COLUMNS = columns
            plan_s = np.inf
            for _ in range(3):  # the best of three: the first run also warms the imports
                t0 = time.perf_counter()
                plan = solve(model)
                plan_s = min(plan_s, time.perf_counter() - t0)
            solver = SampleSolver(model)
            t0 = time.perf_counter()
            for future in futures:
                solver.solve(future)
            count = solver.blocks.count if solver.blocks else 1
            figures[label] = ((time.perf_counter() - t0) / samples * 1000, plan_s, count, plan)
    finally:
        optimize.blocks.BLOCK_COLUMNS = shipped
    same = all(
        (a is None and b is None) or abs(a - b) <= 1e-9 * max(1.0, abs(a))
        for (_, a), (_, b) in zip(
            figures["blocks"][3].stages, figures["whole"][3].stages, strict=True
        )
    )
    print(
        "  one process, {n} futures: by {b[2]} blocks {b[0]:.0f} ms per future (plan "
        "{b[1]:.2f} s), whole {w[0]:.0f} ms (plan {w[1]:.2f} s); stage optima equal to 1e-9: "
        "{same}".format(n=samples, b=figures["blocks"], w=figures["whole"], same=same)
    )


def large(samples: int, seed: int) -> None:
    import allocate as bench_allocate

    import optimize.blocks
    from optimize.model import build_model
    from optimize.resolve import SampleSolver
    from optimize.sets import build_model_data
    from optimize.solve import solve
    from pipeline.simulation import sampler_for

    raw = bench_allocate.instance(1.2e5, seed)
    dataset, demand = bench_allocate.to_dataset(raw)
    model = build_model(build_model_data(dataset, demand, bench_allocate.START, bench_allocate.H))
    print(f"large instance: {model.lp.num_col:,} columns, {model.lp.num_row:,} rows")
    cold_on = {}
    for threads in (None, 1):
        optimize.blocks.PLAN_THREADS = threads
        t0 = time.perf_counter()
        solve(model)
        cold_on[threads] = time.perf_counter() - t0
    optimize.blocks.PLAN_THREADS = None
    # a sampled future runs on one thread (the workers fill the cores): against a cold
    # solve on one thread too
    cold = cold_on[1]
    t0 = time.perf_counter()
    solver = SampleSolver(model)
    ready = time.perf_counter() - t0
    sampler = sampler_for(model, RULES, seed)
    times = []
    for i in range(samples):
        future = sampler.draw(i).future
        t0 = time.perf_counter()
        solver.solve(future)
        times.append(time.perf_counter() - t0)
    t = np.array(times)
    print(
        f"  cold staged solve {cold:.2f} s on one thread ({cold_on[None]:.2f} s with its "
        f"blocks side by side on every core); warm solver ready in {ready:.2f} s; "
        f"{samples} warm re-solves: median {np.median(t):.2f} s, mean {t.mean():.2f} s, "
        f"p90 {np.quantile(t, 0.9):.2f} s per future = {np.median(t) / cold:.2f}x a cold solve "
        "(median)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=1000, help="futures on the sample data")
    parser.add_argument("--large-samples", type=int, default=100, help="futures at 1.2e5 columns")
    parser.add_argument("--horizon", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print("rules:", RULES.to_dicts())
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sample.duckdb")
        arsenal = str(ROOT / ".venv" / "bin" / "arsenal")
        subprocess.run(
            [arsenal, "load", str(ROOT / "data" / "sample"), "--db", db],
            check=True,
            capture_output=True,
        )
        subprocess.run([arsenal, "forecast", "--db", db], check=True, capture_output=True)
        model = sample_model(db, args.horizon)
    print(f"sample data: {model.lp.num_col:,} columns, {model.lp.num_row:,} rows, {date.today()}")
    results = {}
    for workers in (1, 2):
        r = dask_run(model, args.samples, workers, args.seed)
        results[workers] = r
        print(
            f"  dask, {workers} worker(s): {r.samples} replan futures in {r.seconds:.1f} s "
            f"({r.seconds / r.samples * 1000:.0f} ms each), cluster start {r.startup_seconds:.1f} s, model to workers {r.setup_seconds:.1f} s, "
            f"largest worker {r.worker_memory_mb:.0f} MB"
        )
    same = all(
        a.objective == b.objective and np.array_equal(a.completion, b.completion)
        for a, b in zip(results[1].records, results[2].records, strict=True)
    )
    print(
        f"  1 -> 2 workers speed-up {results[1].seconds / results[2].seconds:.2f}x; "
        f"identical results: {same}"
    )
    warm_against_afresh(model, min(args.samples, 60), args.seed)
    whole_against_blocks(model, min(args.samples, 60), args.seed)
    primal_against_dual(model, min(args.samples, 60), args.seed)
    if not args.skip_floor:
        seconds, ready = floor(model, args.samples, args.seed)
        print(
            f"  floor (multiprocessing, 2 processes, rebuilt + cold per future): {seconds:.1f} s "
            f"(pool start {ready:.1f} s); dask warm / floor = {results[2].seconds / seconds:.2f}x"
        )
    if not args.skip_large:
        large(args.large_samples, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
