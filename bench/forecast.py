"""Benchmark: the nightly demand forecast against Nixtla statsforecast as the anchor.

    .venv/bin/python bench/forecast.py --series 1000 10000 --workers 2

For each size: synthetic monthly series (120 months, 20% intermittent, seeded), then

- ``ours``: ``forecast.demand.forecast_demand`` (selection by rolling-origin backtest,
  forecast, 80% intervals), horizon 36, on ``--workers`` processes;
- ``incremental``: the same, again, after 10% of the series changed their last month
  (unchanged series reused, changed ones warm-started);
- ``anchor``: statsforecast ``AutoETS(season_length=12)`` on the regular series plus
  ``CrostonOptimized`` on the intermittent ones, 80% level, ``n_jobs = --workers``,
  after a small warm-up so numba compilation is not counted;
- ``same work``: statsforecast doing what the demand stage does: ``AutoETS`` and
  ``AutoTheta`` on the regular series, ``IMAPA``, ``ADIDA`` and ``TSB`` on the
  intermittent ones, each with ``cross_validation`` over the demand stage's own backtest
  origins (``bench/forecast_accuracy.py``) plus the forecast.

Each part runs in its own process, so its peak resident memory (ru_maxrss of the part
and of its worker processes) is its own. Prints series/second, peak memory and ratios.
Needs the ``bench`` extra (``uv sync --extra dev --extra bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = date(2026, 1, 1)
HORIZON = 36
MONTHS = 120


def _series(n: int):
    from forecast.synthetic import generate_series

    return generate_series(n, MONTHS, intermittent_share=0.2, seed=2026)


def _dataset(series):
    import numpy as np
    import polars as pl

    from store.dataset import read_dataset
    from store.db import connect
    from store.months import add_months

    first = add_months(START, -MONTHS)
    months = [add_months(first, i) for i in range(MONTHS)]
    n = len(series)
    frame = pl.DataFrame(
        {
            "holder_id": np.repeat([f"H{i:05d}" for i in range(n)], MONTHS),
            "item_id": np.full(n * MONTHS, "X"),
            "month": pl.Series(months * n, dtype=pl.Date),
            "units": np.concatenate([y for _, y in series]).astype(float),
        }
    )
    con = connect(":memory:")
    empty = read_dataset(con)
    con.close()
    return empty.with_tables(consumption=frame.cast(empty.consumption.schema))


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def part_ours(n: int, workers: int) -> dict:
    from forecast.demand import forecast_demand

    series = _series(n)
    ds = _dataset(series)
    t = time.perf_counter()
    first = forecast_demand(ds, START, HORIZON, workers=workers, progress=False)
    full = time.perf_counter() - t
    changed = [(k, y.copy()) for k, y in series]
    for i in range(0, n, 10):
        changed[i][1][-1] += 1.0
    ds2 = _dataset(changed)
    t = time.perf_counter()
    forecast_demand(ds2, START, HORIZON, workers=workers, previous=first, progress=False)
    incremental = time.perf_counter() - t
    counts = first.models.group_by("model").len().sort("len", descending=True).rows()
    return {
        "seconds": full,
        "incremental_seconds": incremental,
        "peak_mb": _peak_mb(),
        "models": dict(counts),
    }


def part_anchor(n: int, workers: int) -> dict:
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, CrostonOptimized

    series = _series(n)
    ds = pd.date_range("2016-01-01", periods=MONTHS, freq="MS")

    def frame(items):
        return pd.DataFrame(
            {
                "unique_id": np.repeat([f"S{i}" for i, _ in items], MONTHS),
                "ds": np.tile(ds, len(items)),
                "y": np.concatenate([y for _, y in items]) if items else [],
            }
        )

    regular = [(i, y) for i, (k, y) in enumerate(series) if k != "intermittent"]
    sparse = [(i, y) for i, (k, y) in enumerate(series) if k == "intermittent"]
    ets = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=workers)
    cro = StatsForecast(models=[CrostonOptimized()], freq="MS", n_jobs=workers)
    ets.forecast(df=frame(regular[:4]), h=HORIZON, level=[80])  # numba warm-up
    cro.forecast(df=frame(sparse[:4]), h=HORIZON)
    t = time.perf_counter()
    ets.forecast(df=frame(regular), h=HORIZON, level=[80])
    cro.forecast(df=frame(sparse), h=HORIZON)
    return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb()}


def part_same_work(n: int, workers: int) -> dict:
    import warnings

    from statsforecast.models import ADIDA, IMAPA, TSB, AutoETS, AutoTheta

    sys.path.insert(0, str(ROOT / "bench"))
    import forecast_accuracy as fa

    from forecast.selection import classify

    warnings.filterwarnings("ignore")
    # split as the demand stage splits them (its classification, not the generator's kind)
    kinds = [(f"S{i}", y, y[:0], classify(y)) for i, (_, y) in enumerate(_series(n))]
    regular = [(s, y, e) for s, y, e, k in kinds if k == "regular"]
    sparse = [(s, y, e) for s, y, e, k in kinds if k == "intermittent"]
    seconds = 0.0
    if regular:
        timed = [AutoETS(season_length=12), AutoTheta(season_length=12)]
        _, wall, _ = fa.run_statsforecast(regular, HORIZON, [], timed, workers, False)
        seconds += wall
    if sparse:
        timed = [IMAPA(), ADIDA(), TSB(alpha_d=0.1, alpha_p=0.1)]
        _, wall, _ = fa.run_statsforecast(sparse, HORIZON, [], timed, workers, False)
        seconds += wall
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def _run_part(part: str, n: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--part", part, "--series", str(n), "--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, nargs="+", default=[1000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--part", choices=["ours", "anchor", "same"], help=argparse.SUPPRESS)
    parser.add_argument("--no-anchor", action="store_true", help="skip statsforecast")
    args = parser.parse_args()
    if args.part:
        fn = {"ours": part_ours, "anchor": part_anchor, "same": part_same_work}[args.part]
        print(json.dumps(fn(args.series[0], args.workers)))
        return
    for n in args.series:
        print(
            f"== {n} series x {MONTHS} months (20% intermittent), horizon {HORIZON}, "
            f"{args.workers} workers",
            flush=True,
        )
        ours = _run_part("ours", n, args.workers)
        print(
            f"ours:        {ours['seconds']:8.1f} s  {n / ours['seconds']:8.1f} series/s  "
            f"peak {ours['peak_mb']:.0f} MB",
            flush=True,
        )
        print(
            f"incremental: {ours['incremental_seconds']:8.1f} s  (10% of series changed)",
            flush=True,
        )
        print(f"models chosen: {ours['models']}", flush=True)
        if args.no_anchor:
            continue
        anchor = _run_part("anchor", n, args.workers)
        print(
            f"anchor:      {anchor['seconds']:8.1f} s  {n / anchor['seconds']:8.1f} series/s  "
            f"peak {anchor['peak_mb']:.0f} MB  (statsforecast AutoETS + CrostonOptimized)"
        )
        print(
            f"ratio ours / anchor: {ours['seconds'] / anchor['seconds']:.2f}x (target <= 1.5x); "
            f"incremental {ours['incremental_seconds']:.0f} s (target < 60 s)",
            flush=True,
        )
        same = _run_part("same", n, args.workers)
        print(
            f"same work:   {same['seconds']:8.1f} s  (statsforecast AutoETS + AutoTheta, IMAPA + "
            f"ADIDA + TSB, cross_validation over the same origins + forecast); "
            f"ours / same work: {ours['seconds'] / same['seconds']:.2f}x (target <= 1x)",
            flush=True,
        )


if __name__ == "__main__":
    main()
