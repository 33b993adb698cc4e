"""One category of the 10x night's plan: time per stage of the staged solve.

The 10x night's data (``bench/load.py``'s generator: 600 items, 24 holders, 72 months,
20,000 commitments) is block-diagonal by item category, and the absorption limits are per
partner and category, so each of its 12 categories is one block of about 6e5 columns. This
takes the items of one category and every row that names them, loads them, fits the
forecast, and solves the plan in this process, printing each stage's seconds and simplex
iterations (the solver's own log lines) and the whole plan's time. The figures behind
``optimize.solve.PRIMAL_WARM``, ``PRESOLVE_COLUMNS`` and ``INTERIOR_COLUMNS`` at that size;
about 3 minutes on 2 cores. Measured on 2026-12-01 (cat0: 50 items, one block of 627,719
columns and 84 small ones): the plan 84 s, of which stage 1 17 s, readiness 1.2 s (89
iterations, warm), the fair shares 60 s afresh by the interior point (level 4: 6.5 s), least
drawn 6.8 s. With ``--simplex-only`` the plan took 335 s (fair shares 316 s, level 4 alone
205 s and 231,903 iterations); with ``--all-warm`` 381 s (fair shares 311 s, least drawn
51 s). The same stage optima every way.

    .venv/bin/python bench/plan_category.py                     # cat0 of the 10x data
    .venv/bin/python bench/plan_category.py --threads 1         # blocks one after another
    .venv/bin/python bench/plan_category.py --all-warm          # no stage solved afresh
    .venv/bin/python bench/plan_category.py --simplex-only      # afresh by the simplex too
    .venv/bin/python bench/plan_category.py --items 120         # a smaller data set
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def subset(source: Path, target: Path, category: str) -> int:
    """The items of ``category`` and every row that names them (or names no item); returns
    the number of items kept."""
    target.mkdir(parents=True, exist_ok=True)
    items = pl.read_csv(source / "items.csv", infer_schema_length=0)
    keep = items.filter(pl.col("category") == category).get_column("item_id").to_list()
    commitments = pl.read_csv(source / "commitments.csv", infer_schema_length=0)
    promised = (
        commitments.filter(pl.col("item_id").is_in(keep)).get_column("commitment_id").to_list()
    )
    for path in sorted(source.glob("*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0)
        if path.name == "items.csv":
            frame = frame.filter(pl.col("category") == category)
        elif "item_id" in frame.columns:
            frame = frame.filter(pl.col("item_id").is_in(keep) | (pl.col("item_id") == "*"))
        elif "category" in frame.columns:
            frame = frame.filter(pl.col("category").is_in([category, "*"]))
        elif "commitment_id" in frame.columns:
            frame = frame.filter(pl.col("commitment_id").is_in(promised))
        frame.write_csv(target / path.name)
    return len(keep)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=600, help="items of the whole data set")
    parser.add_argument("--holders", type=int, default=24)
    parser.add_argument("--months", type=int, default=72)
    parser.add_argument("--commitments", type=int, default=20_000)
    parser.add_argument("--category", default="cat0")
    parser.add_argument("--horizon", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="blocks side by side (default: the cores)"
    )
    parser.add_argument(
        "--all-warm",
        action="store_true",
        help="every stage from the last basis (PRESOLVE_COLUMNS above the model's size)",
    )
    parser.add_argument(
        "--simplex-only",
        action="store_true",
        help="stages solved afresh by the simplex too (INTERIOR_COLUMNS above the model's size)",
    )
    args = parser.parse_args()

    import load as bench_load
    import simulate as bench_simulate

    import optimize.blocks
    import optimize.solve
    from optimize.solve import solve

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("optimize.blocks").setLevel(logging.INFO)
    arsenal = str(ROOT / ".venv" / "bin" / "arsenal")
    with tempfile.TemporaryDirectory() as tmp:
        whole, part, db = Path(tmp) / "whole", Path(tmp) / "part", str(Path(tmp) / "c.duckdb")
        t0 = time.perf_counter()
        bench_load.build(
            whole,
            items=args.items,
            holders=args.holders,
            months=args.months,
            commitments=args.commitments,
            seed=args.seed,
        )
        kept = subset(whole, part, args.category)
        print(
            f"data: {kept} items of {args.category} in {time.perf_counter() - t0:.1f} s", flush=True
        )
        for step in (["load", str(part)], ["forecast"]):
            t0 = time.perf_counter()
            subprocess.run([arsenal, *step, "--db", db], check=True, capture_output=True)
            print(f"{step[0]}: {time.perf_counter() - t0:.1f} s", flush=True)
        model = bench_simulate.sample_model(db, args.horizon)
    optimize.blocks.PLAN_THREADS = args.threads
    if args.all_warm:
        optimize.solve.PRESOLVE_COLUMNS = model.lp.num_col + 1
    if args.simplex_only:
        optimize.solve.INTERIOR_COLUMNS = model.lp.num_col + 1
    print(f"model: {model.lp.num_col:,} columns, {model.lp.num_row:,} rows", flush=True)
    t0 = time.perf_counter()
    plan = solve(model)
    print(
        f"plan: {time.perf_counter() - t0:.1f} s (afresh from {optimize.solve.PRESOLVE_COLUMNS:,} "
        f"columns in the largest block, by the interior point from "
        f"{optimize.solve.INTERIOR_COLUMNS:,} in a block); stage optima {plan.stages}"
    )
    print("stage seconds:", ", ".join(f"{name} {s:.1f}" for name, s in plan.stage_seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
