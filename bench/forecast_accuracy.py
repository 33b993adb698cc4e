"""Forecast accuracy: Arsenal's demand stage next to statsforecast on the development data.

    .venv/bin/python bench/forecast_accuracy.py            # the whole development set
    .venv/bin/python bench/forecast_accuracy.py --series 150 --intermittent 150  # a subset

Data:

- **regular**: the 617 monthly series of the M1 competition, train part and 18-month
  test part (``--data``, default ``../shared/reference/data/m1_monthly.csv`` from the
  repository; long format ``series_id, t, part, value, horizon``);
- **intermittent**: generated monthly demand (seeded, ``--seed``) from three known
  processes in equal shares, 36 to 96 months of history and a 12-month test:
  Bernoulli-Poisson (demand in a month with probability p, sizes 1 + Poisson), negative
  binomial (many zeros, lumpy sizes), and TSB-type obsolescence (the probability of
  demand falls, gradually or at once, part-way through the history).

Arsenal: ``forecast.demand.forecast_demand`` on the history (the product's own path:
candidates, backtest, choice, intervals calibrated on the run's pooled backtest errors).
statsforecast, in the same process: AutoETS, AutoTheta, Theta, DynamicOptimizedTheta and
SeasonalNaive (season 12) on the regular series; IMAPA, ADIDA, TSB (0.1, 0.1) and
CrostonSBA on the intermittent ones; and the zero forecast.

Scores: sMAPE (mean over series of ``200 |y - f| / (|y| + |f|)``, 0 when both are 0),
MASE (mean absolute error over the in-sample mean absolute change: lag 12 for the
regular series as in the M competitions, lag 1 for the intermittent ones), the error of
cumulative demand over the test months (mean absolute, units per series), and the
coverage of the 80% interval, overall and by horizon step.

Runtime ("the same work"): Arsenal's whole stage (every candidate fitted on the whole
history and at each backtest origin, the choice, the calibration) against statsforecast's
``cross_validation`` over the same origins (series grouped by their backtest plan:
horizon, step, number of windows) plus its ``forecast``: AutoETS and AutoTheta on the
regular series, IMAPA, ADIDA and TSB on the intermittent ones; both on ``--workers``
processes with one BLAS thread each. Wall seconds and CPU seconds (own + worker
processes) are printed; the machine is shared, so compare the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

START = date(2030, 1, 1)
REGULAR_H = 18
INTERMITTENT_H = 12


# --- data ---------------------------------------------------------------------------
def load_m1(path: Path, limit: int | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    import polars as pl

    d = pl.read_csv(path).sort("series_id", "t")
    out = []
    for (sid,), g in d.group_by("series_id", maintain_order=True):
        train = g.filter(pl.col("part") == "train").get_column("value").to_numpy()
        test = g.filter(pl.col("part") == "test").get_column("value").to_numpy()
        out.append((str(sid), train.astype(float), test.astype(float)))
    if limit and limit < len(out):
        picks = np.linspace(0, len(out) - 1, limit).round().astype(int)
        out = [out[i] for i in picks]
    return out


def generate_intermittent(n: int, seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Seeded intermittent series from three processes (see the module doc)."""
    rng = np.random.default_rng(seed)
    out = []
    kinds = ("bernoulli_poisson", "negative_binomial", "obsolescence")
    for i in range(n):
        kind = kinds[i % 3]
        months = int(rng.integers(36, 97)) + INTERMITTENT_H
        if kind == "bernoulli_poisson":
            p = rng.uniform(0.05, 0.5)
            y = (rng.random(months) < p) * (1 + rng.poisson(rng.uniform(0.5, 8.0), months))
        elif kind == "negative_binomial":
            mean, k = rng.uniform(0.2, 2.5), rng.uniform(0.15, 1.5)
            y = rng.negative_binomial(k, k / (k + mean), months)
        else:
            p0 = rng.uniform(0.2, 0.6)
            at = int(rng.integers(months // 3, months))
            if rng.random() < 0.5:  # a gradual fall from ``at`` on
                p = np.where(np.arange(months) < at, p0, p0 * 0.93 ** (np.arange(months) - at))
            else:  # a sudden drop to a trickle
                p = np.where(np.arange(months) < at, p0, p0 * rng.uniform(0.0, 0.2))
            y = (rng.random(months) < p) * (1 + rng.poisson(rng.uniform(0.5, 6.0), months))
        y = y.astype(float)
        train, test = y[:-INTERMITTENT_H], y[-INTERMITTENT_H:]
        if not np.any(train > 0):
            train[rng.integers(train.size)] = 1.0
        out.append((f"{kind}-{i:04d}", train, test))
    return out


# --- Arsenal --------------------------------------------------------------------------
def _dataset(series: list[tuple[str, np.ndarray, np.ndarray]]):
    import polars as pl

    from store.dataset import read_dataset
    from store.db import connect
    from store.months import add_months

    ids, months, units = [], [], []
    for sid, train, _ in series:
        first = add_months(START, -train.size)
        ids += [sid] * train.size
        months += [add_months(first, i) for i in range(train.size)]
        units.append(train)
    frame = pl.DataFrame(
        {
            "holder_id": ids,
            "item_id": ["X"] * len(ids),
            "month": pl.Series(months, dtype=pl.Date),
            "units": np.concatenate(units),
        }
    )
    con = connect(":memory:")
    empty = read_dataset(con)
    con.close()
    return empty.with_tables(consumption=frame.cast(empty.consumption.schema))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_arsenal(series, horizon: int, workers: int) -> tuple[dict, dict, float, float, dict]:
    import polars as pl

    from forecast.demand import forecast_demand

    ds = _dataset(series)
    wall, cpu = time.perf_counter(), _cpu()
    result = forecast_demand(ds, START, horizon, workers=workers, progress=False)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    fc = result.forecast.sort("holder_id", "month")
    out: dict[str, dict[str, np.ndarray]] = {}
    for (sid,), g in fc.group_by("holder_id", maintain_order=True):
        out[str(sid)] = {c: g.get_column(c).to_numpy() for c in ("mean", "p10", "p50", "p90")}
    chosen = dict(result.models.group_by("model").len().sort("len", descending=True).rows())
    cand = defaultdict(int)
    import json

    for p in result.models.get_column("params").to_list():
        cand[json.loads(p).get("candidate") or "-"] += 1
    models = {"model": chosen, "candidate": dict(cand)}
    _ = pl
    return out, models, wall, cpu, {}


# --- statsforecast ------------------------------------------------------------------------
def _frame(series, which: str):
    import pandas as pd

    rows_id, rows_ds, rows_y = [], [], []
    for sid, train, test in series:
        y = train if which == "train" else test
        n0 = 0 if which == "train" else train.size
        first = pd.Period("2000-01", freq="M") - train.size
        rows_id += [sid] * y.size
        rows_ds += [(first + n0 + i).to_timestamp() for i in range(y.size)]
        rows_y.append(y)
    return pd.DataFrame({"unique_id": rows_id, "ds": rows_ds, "y": np.concatenate(rows_y)})


def _plans(series, horizon: int) -> dict[tuple[int, int, int], list[str]]:
    """Series grouped by Arsenal's backtest plan (horizon, step, windows)."""
    from forecast.backtest import plan_windows

    groups: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    for sid, train, _ in series:
        w = plan_windows(train.size, horizon)
        if w is None:
            continue
        step = w.origins[1] - w.origins[0] if len(w.origins) > 1 else 1
        groups[(w.horizon, step, len(w.origins))].append(sid)
    return groups


def run_statsforecast(series, horizon: int, models, timed, workers: int, intervals: bool):
    """Forecasts of ``models`` (with 80% intervals where they have them), and the time of
    ``timed``'s cross-validation over Arsenal's origins plus forecast."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    train = _frame(series, "train")
    # warm-up: numba compilation is not counted
    warm_ids = train["unique_id"].unique()[:2]
    StatsForecast(models=timed, freq="MS", n_jobs=1).forecast(
        df=train[train.unique_id.isin(warm_ids)], h=horizon
    )
    wall, cpu = time.perf_counter(), _cpu()
    sf = StatsForecast(models=timed, freq="MS", n_jobs=workers, fallback_model=Naive())
    for (hb, step, k), ids in _plans(series, horizon).items():
        part = train[train.unique_id.isin(ids)]
        sf.cross_validation(df=part, h=hb, n_windows=k, step_size=step)
    sf.forecast(df=train, h=horizon)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if not models:
        return {}, wall, cpu

    sf = StatsForecast(models=models, freq="MS", n_jobs=workers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=train, h=horizon, level=[80] if intervals else None)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    out: dict[str, dict[str, dict[str, np.ndarray]]] = defaultdict(dict)
    for sid, g in fc.groupby("unique_id", sort=False):
        g = g.sort_values("ds")
        for m in models:
            name = repr(m) if not hasattr(m, "alias") else m.alias
            d = {"mean": g[name].to_numpy(dtype=float)}
            if f"{name}-lo-80" in g:
                d["p10"] = g[f"{name}-lo-80"].to_numpy(dtype=float)
                d["p90"] = g[f"{name}-hi-80"].to_numpy(dtype=float)
            out[name][str(sid)] = d
    return dict(out), wall, cpu


# --- scores ----------------------------------------------------------------------------
def scores(series, forecasts: dict[str, dict[str, np.ndarray]], lag: int) -> dict:
    smape, mase, cum, cover = [], [], [], []
    for sid, train, test in series:
        f = forecasts.get(sid)
        if f is None:
            continue
        mean = np.maximum(np.nan_to_num(f["mean"][: test.size]), 0.0)
        denom = np.abs(test) + np.abs(mean)
        ratio = np.divide(np.abs(test - mean), denom, out=np.zeros_like(denom), where=denom > 0)
        smape.append(200 * float(np.mean(ratio)))
        d = np.abs(train[lag:] - train[:-lag]) if train.size > lag else np.abs(np.diff(train))
        scale = float(np.mean(d)) if d.size and np.mean(d) > 0 else 1.0
        mase.append(float(np.mean(np.abs(test - mean))) / scale)
        cum.append(abs(float(np.sum(test) - np.sum(mean))))
        if "p10" in f:
            lo, hi = f["p10"][: test.size], f["p90"][: test.size]
            cover.append((test >= lo - 1e-9) & (test <= hi + 1e-9))
    out = {
        "series": len(smape),
        "smape": float(np.mean(smape)),
        "mase": float(np.mean(mase)),
        "cum": float(np.mean(cum)),
    }
    if cover:
        c = np.vstack(cover)
        out["coverage"] = float(c.mean())
        out["by_step"] = c.mean(axis=0)
    return out


def _row(name: str, s: dict) -> str:
    cov = f"{s['coverage']:.1%}" if "coverage" in s else ""
    lo = f"{s['by_step'].min():.1%}-{s['by_step'].max():.1%}" if "by_step" in s else ""
    return f"| {name} | {s['smape']:.2f} | {s['mase']:.3f} | {s['cum']:.2f} | {cov} | {lo} |"


def report(title: str, results: dict[str, dict]) -> None:
    print(f"\n### {title}\n")
    print("| method | sMAPE | MASE | cumulative-demand error | 80% coverage | by step (min-max) |")
    print("|---|---|---|---|---|---|")
    for name, s in results.items():
        print(_row(name, s))
    steps = [(n, s["by_step"]) for n, s in results.items() if "by_step" in s]
    if steps:
        h = max(v.size for _, v in steps)
        print("\n80% coverage by horizon step:\n")
        print("| method | " + " | ".join(str(i + 1) for i in range(h)) + " |")
        print("|---|" + "---|" * h)
        for n, v in steps:
            print(f"| {n} | " + " | ".join(f"{x:.0%}" for x in v) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT / "../shared/reference/data/m1_monthly.csv"
    )
    parser.add_argument("--series", type=int, default=None, help="regular series (default all)")
    parser.add_argument("--intermittent", type=int, default=600, help="generated series")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-statsforecast", action="store_true")
    parser.add_argument("--only", choices=["regular", "intermittent"], default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    sets = []
    if args.only in (None, "regular"):
        sets.append(("regular", load_m1(args.data.resolve(), args.series), REGULAR_H, 12))
    if args.only in (None, "intermittent"):
        sets.append(
            ("intermittent", generate_intermittent(args.intermittent, args.seed), INTERMITTENT_H, 1)
        )
    for name, series, h, lag in sets:
        ours, models, wall, cpu, _ = run_arsenal(series, h, args.workers)
        results = {"**Arsenal**": scores(series, ours, lag)}
        timing = [f"Arsenal: {wall:.1f} s wall, {cpu:.1f} s CPU"]
        if not args.no_statsforecast:
            from statsforecast.models import (
                ADIDA,
                IMAPA,
                TSB,
                AutoETS,
                AutoTheta,
                CrostonSBA,
                DynamicOptimizedTheta,
                SeasonalNaive,
                Theta,
            )

            if name == "regular":
                models_sf = [
                    AutoETS(season_length=12),
                    AutoTheta(season_length=12),
                    Theta(season_length=12),
                    DynamicOptimizedTheta(season_length=12),
                    SeasonalNaive(season_length=12),
                ]
                timed = [AutoETS(season_length=12), AutoTheta(season_length=12)]
            else:
                models_sf = [IMAPA(), ADIDA(), TSB(alpha_d=0.1, alpha_p=0.1), CrostonSBA()]
                timed = [IMAPA(), ADIDA(), TSB(alpha_d=0.1, alpha_p=0.1)]
            sf, sf_wall, sf_cpu = run_statsforecast(
                series, h, models_sf, timed, args.workers, name == "regular"
            )
            for m, f in sf.items():
                results[f"statsforecast {m}"] = scores(series, f, lag)
            timing.append(
                f"statsforecast ({', '.join(repr(m) for m in timed)}; cross_validation over "
                f"the same origins + forecast): {sf_wall:.1f} s wall, {sf_cpu:.1f} s CPU; "
                f"Arsenal / statsforecast: {wall / sf_wall:.2f}x wall, {cpu / sf_cpu:.2f}x CPU"
            )
        if name == "intermittent":
            zero = {sid: {"mean": np.zeros(t.size)} for sid, _, t in series}
            results["zero forecast"] = scores(series, zero, lag)
        report(f"{name}: {len(series)} series, horizon {h}", results)
        print()
        for t in timing:
            print(t)
        print(f"Arsenal's choices: {models['candidate']}")


if __name__ == "__main__":
    main()
