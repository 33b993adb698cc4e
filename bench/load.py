"""Benchmark: validate + load of a large synthetic data set, against DuckDB's own read_csv.

Builds a valid data set (default 300 items x 60 holders x 120 months of consumption, about
2.16M rows, plus 20k commitments and proportionate other files), then measures, each in a
fresh subprocess so that peak memory (ru_maxrss) belongs to that measurement alone:

  arsenal    store.load.load_dataset into a new DuckDB file (validate, then load)
  floor      for every file, CREATE TABLE AS SELECT * FROM read_csv(file) into a new DuckDB file

and prints seconds, peak memory and the ratio. Target: arsenal within 3x of the floor.

    .venv/bin/python bench/load.py                  # default size
    .venv/bin/python bench/load.py --months 24      # smaller
    .venv/bin/python bench/load.py --profile        # also cProfile validate_path in-process
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import product
from pathlib import Path
from string import ascii_uppercase

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench.load")


# The synthetic data set ------------------------------------------------------------------


def _month_texts(start_year: int, n: int) -> list[str]:
    return [f"{start_year + (m // 12):04d}-{m % 12 + 1:02d}" for m in range(n)]


def build(
    folder: Path, *, items: int, holders: int, months: int, commitments: int, seed: int
) -> dict[str, int]:
    """Write a valid data set to ``folder``; return its row counts."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    item_ids = [f"ITEM{n:05d}" for n in range(items)]
    categories = [f"cat{n % 12}" for n in range(items)]
    n_stock = max(1, holders // 3)
    n_partners = max(1, holders - n_stock)
    partner_ids = ["".join(t) for t in product(ascii_uppercase, repeat=3)][:n_partners]
    stock_ids = [f"STOCK{n:03d}" for n in range(n_stock)]
    n_prod = max(1, items // 3)
    prod_ids = [f"PLANT{n:04d}" for n in range(n_prod)]
    month_texts = _month_texts(2016, months)
    tables: dict[str, pl.DataFrame] = {}

    tables["items"] = pl.DataFrame(
        {
            "item_id": item_ids,
            "name": [f"Munition {n}, type {n % 7}" for n in range(items)],
            "category": categories,
            "unit_cost_usd": rng.integers(1_000, 5_000_000, items).astype(float),
        }
    )
    tables["partners"] = pl.DataFrame(
        {
            "partner_id": partner_ids,
            "name": [f"Partner {p}" for p in partner_ids],
            "tier": [("most_capable", "frontline", "other")[n % 3] for n in range(n_partners)],
        }
    )
    tables["sources"] = pl.DataFrame(
        {
            "source_id": stock_ids + prod_ids,
            "name": [f"Source {s}" for s in stock_ids + prod_ids],
            "kind": [("us_stock", "allied_stock")[n % 2] for n in range(n_stock)]
            + [
                ("us_production", "co_production", "allied_production")[n % 3]
                for n in range(n_prod)
            ],
            "country": ["USA"] * (n_stock + n_prod),
            "stock_holder": [None] * n_stock
            + [stock_ids[n % n_stock] if n % 2 == 0 else None for n in range(n_prod)],
        }
    )
    # capacity: each item made at 2 plants, a new rate every 12 months
    ramp_months = month_texts[::12]
    cap_rows = [
        (prod_ids[(i + k) % n_prod], item, m)
        for i, item in enumerate(item_ids)
        for k in (0, 1)
        for m in ramp_months
    ]
    cap = pl.DataFrame(cap_rows, schema=["source_id", "item_id", "month"], orient="row").unique(
        maintain_order=True
    )
    tables["capacity"] = cap.with_columns(
        units=pl.Series(rng.integers(0, 10_000, cap.height).astype(float))
    )
    # consumption: every holder x item x month
    holder_ids = stock_ids + partner_ids
    cons = (
        pl.DataFrame({"holder_id": holder_ids})
        .join(pl.DataFrame({"item_id": item_ids}), how="cross")
        .join(pl.DataFrame({"month": month_texts}), how="cross")
    )
    tables["consumption"] = cons.with_columns(
        units=pl.Series(np.round(rng.gamma(2.0, 50.0, cons.height), 1))
    )
    # stockpiles: every holder x item, counted at the end of 4 years
    counts = [f"{2016 + y}-12-31" for y in range(0, max(1, months // 12), max(1, months // 48))][:4]
    stocks = (
        pl.DataFrame({"holder_id": holder_ids})
        .join(pl.DataFrame({"item_id": item_ids}), how="cross")
        .join(pl.DataFrame({"as_of": counts}), how="cross")
    )
    units = rng.integers(0, 100_000, stocks.height).astype(float)
    tables["stockpiles"] = stocks.with_columns(
        units=pl.Series(units),
        floor_units=pl.Series(np.floor(units * 0.5)),
        target_units=pl.Series(
            np.where(rng.random(stocks.height) < 0.5, units * 1.5, np.nan)
        ).fill_nan(None),
        releasable_to=pl.when(pl.Series(rng.random(stocks.height)) < 0.2).then(pl.lit("ALL")),
    )
    # commitments and their deliveries (up to 2 each, never more than the quantity)
    quantity = rng.integers(1, 50_000, commitments).astype(float)
    cids = [f"C{n:06d}" for n in range(commitments)]
    tables["commitments"] = pl.DataFrame(
        {
            "commitment_id": cids,
            "partner_id": [partner_ids[n % n_partners] for n in range(commitments)],
            "item_id": [item_ids[(n * 7) % items] for n in range(commitments)],
            "quantity": quantity,
            "promised_month": [month_texts[n % months] for n in range(commitments)],
            "priority": rng.integers(1, 6, commitments),
            "announced": [f"{2016 + n % 8}-0{1 + n % 9}-1{n % 10}" for n in range(commitments)],
            "releasable_to": [
                None if n % 5 else f"{partner_ids[n % n_partners]};{partner_ids[0]}"
                for n in range(commitments)
            ],
        }
    )
    first = np.floor(quantity * rng.random(commitments) * 0.5)
    second = np.floor((quantity - first) * rng.random(commitments) * 0.5)
    all_sources = stock_ids + prod_ids
    tables["deliveries"] = pl.DataFrame(
        {
            "commitment_id": cids + cids,
            "source_id": [all_sources[n % len(all_sources)] for n in range(2 * commitments)],
            "month": [month_texts[n % months] for n in range(2 * commitments)],
            "units": np.concatenate([first, second]),
        }
    )
    rules = [("*", "*", "*", "true", 1, "default")]
    rules += [("*", p, "*", "true", 1 + n % 6, "shipping") for n, p in enumerate(partner_ids)]
    rules += [
        (s, p, "*", "false", 0, "export control") for s in stock_ids[:5] for p in partner_ids[:20]
    ]
    rules += [
        ("*", p, i, "false", 0, "not releasable") for p in partner_ids[:10] for i in item_ids[:50]
    ]
    tables["eligibility"] = pl.DataFrame(
        rules,
        schema=["source_id", "partner_id", "item_id", "allowed", "lead_time_months", "reason"],
        orient="row",
    )
    tables["absorption"] = (
        pl.DataFrame({"partner_id": partner_ids})
        .join(pl.DataFrame({"category": sorted(set(categories))}), how="cross")
        .with_columns(units_per_month=pl.lit(5000.0))
    )
    n_opt = max(1, items * 2)
    tables["expansion_options"] = pl.DataFrame(
        {
            "option_id": [f"OPT{n:05d}" for n in range(n_opt)],
            "source_id": [prod_ids[n % n_prod] for n in range(n_opt)],
            "item_id": [item_ids[n % items] for n in range(n_opt)],
            "added_units_per_month": rng.integers(10, 1_000, n_opt).astype(float),
            "lead_time_months": rng.integers(6, 36, n_opt),
            "cost_usd": rng.integers(1_000_000, 900_000_000, n_opt).astype(float),
        }
    )
    for name, frame in tables.items():
        frame.write_csv(folder / f"{name}.csv")
    return {name: frame.height for name, frame in tables.items()}


# Measurements (each runs in its own subprocess) ----------------------------------------------


def measure_arsenal(data: Path, db: Path) -> dict[str, float]:
    from store.db import connect
    from store.load import load_validated
    from store.validate import validate_path

    t0 = time.perf_counter()
    validated = validate_path(data)
    t1 = time.perf_counter()
    con = connect(db)
    try:
        load_validated(con, validated, str(data))
    finally:
        con.close()
    t2 = time.perf_counter()
    return {"validate_s": t1 - t0, "load_s": t2 - t1, "seconds": t2 - t0}


def measure_floor(data: Path, db: Path) -> dict[str, float]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    try:
        for path in sorted(data.glob("*.csv")):
            con.read_csv(str(path)).create(
                path.stem
            )  # CREATE TABLE stem AS SELECT * FROM read_csv(path)
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t0}


MEASURES = {"arsenal": measure_arsenal, "floor": measure_floor}


def run_child(kind: str, data: Path, db: Path) -> dict[str, float]:
    """Run one measurement in a fresh process; add its peak resident memory."""
    if db.exists():
        db.unlink()
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data), "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} measurement failed with exit code {proc.returncode}")
    result = json.loads(out)
    result["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    result["db_mb"] = db.stat().st_size / 1e6
    return result


def profile(data: Path) -> None:
    import cProfile
    import pstats

    from store.validate import validate_path

    prof = cProfile.Profile()
    prof.enable()
    validate_path(data)
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=300, help="items (default 300)")
    parser.add_argument(
        "--holders", type=int, default=60, help="holders: stock sources + partners (default 60)"
    )
    parser.add_argument(
        "--months", type=int, default=120, help="months of consumption history (default 120)"
    )
    parser.add_argument(
        "--commitments", type=int, default=20_000, help="commitments (default 20000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each measurement; the best is reported (default 3)",
    )
    parser.add_argument(
        "--keep", type=Path, help="write the data set here and keep it (default: a temp folder)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile validate_path in this process"
    )
    parser.add_argument("--child", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        logging.disable(logging.CRITICAL)
        print(json.dumps(MEASURES[args.child](args.data, args.db)))
        return 0

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="arsenal-bench-"))
    data = args.keep or tmp / "data"
    try:
        log.info(
            "building %d items x %d holders x %d months ...", args.items, args.holders, args.months
        )
        t0 = time.perf_counter()
        counts = build(
            data,
            items=args.items,
            holders=args.holders,
            months=args.months,
            commitments=args.commitments,
            seed=args.seed,
        )
        size_mb = sum(p.stat().st_size for p in data.glob("*.csv")) / 1e6
        log.info(
            "built in %.1f s: %d rows, %.0f MB of CSV",
            time.perf_counter() - t0,
            sum(counts.values()),
            size_mb,
        )
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"total {sum(counts.values()):,} rows, {size_mb:.0f} MB of CSV")
        best: dict[str, dict[str, float]] = {}
        for n in range(args.repeat):
            for kind in ("floor", "arsenal"):
                log.info("run %d/%d: %s", n + 1, args.repeat, kind)
                result = run_child(kind, data, tmp / f"{kind}.duckdb")
                log.info("  %s", json.dumps({k: round(v, 2) for k, v in result.items()}))
                if kind not in best or result["seconds"] < best[kind]["seconds"]:
                    best[kind] = result
        floor, ours = best["floor"], best["arsenal"]
        print(f"{'':26}{'seconds':>9}{'peak MB':>10}{'db MB':>8}")
        print(
            f"{'duckdb read_csv (floor)':26}{floor['seconds']:>9.2f}{floor['peak_mb']:>10.0f}{floor['db_mb']:>8.0f}"
        )
        print(
            f"{'arsenal validate+load':26}{ours['seconds']:>9.2f}{ours['peak_mb']:>10.0f}{ours['db_mb']:>8.0f}"
        )
        print(f"{'  of which validate':26}{ours['validate_s']:>9.2f}")
        print(f"{'  of which load':26}{ours['load_s']:>9.2f}")
        ratio = ours["seconds"] / floor["seconds"]
        print(
            f"ratio {ratio:.2f}x (target: within 3x); memory ratio {ours['peak_mb'] / floor['peak_mb']:.2f}x"
        )
        if args.profile:
            profile(data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
