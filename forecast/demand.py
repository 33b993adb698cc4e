"""The demand stage: every (holder, item) consumption series -> chosen model and forecast.

The history of a series runs from its first month in ``consumption`` to the month
before ``start``. **A month inside that span with no row counts as 0 units**: the
consumption file records what was used, and a month with nothing used has nothing to
record (gaps are not treated as unknown). Months after the last row and before the
start are 0 for the same reason. Rows on or after ``start`` are ignored. A (holder, item)
with no rows before the start has no series and gets no rows in the result: later
stages treat a missing forecast as zero consumption.

Incremental runs: each series' ``data_hash`` covers its first month, its values, the
horizon and ``MODEL_VERSION``. Given the previous run's result, a series whose hash is
unchanged keeps its previous model row and forecast rows without any fitting; a changed
series is refitted, its previous parameters warm-starting the same model.

Intervals: each series' chosen model is backtested (``forecast.selection``); the
standardised errors of all series fitted in the run are pooled by group and step
(``forecast.calibration``), and every series' P10/P50/P90 come from its group's table,
which is stored with its parameters (``params.calibration``) for the projection's paths.
In an incremental run, a group with few refitted series uses the previous run's table.

Speed (``bench/forecast.py``): series go to worker processes in chunks; each worker (and
the in-process path) runs with one BLAS thread, since BLAS threads contending for the
cores made the small fits about three times slower.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from forecast.calibration import MIN_SERIES, Table, build_tables
from forecast.models.base import Forecast
from forecast.selection import classify, fit_series
from store.dataset import Dataset
from store.defaults import DEFAULT_HORIZON
from store.months import month_index, month_range, month_text

__all__ = [
    "FORECAST_SCHEMA",
    "MODEL_VERSION",
    "MODELS_SCHEMA",
    "DemandResult",
    "SeriesTask",
    "forecast_demand",
    "history_series",
]

log = logging.getLogger(__name__)

MODEL_VERSION = "demand-4"
MODELS_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "model": pl.String,
    "mase": pl.Float64,
    "coverage_80": pl.Float64,
    "data_hash": pl.String,
    "params": pl.String,
    "notes": pl.String,
}
FORECAST_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "month": pl.Date,
    "mean": pl.Float64,
    "p10": pl.Float64,
    "p50": pl.Float64,
    "p90": pl.Float64,
}


@dataclass(frozen=True)
class DemandResult:
    """``models``: demand_models' columns without run_id; ``forecast``: demand_forecast's."""

    models: pl.DataFrame
    forecast: pl.DataFrame


@dataclass(frozen=True)
class SeriesTask:
    holder_id: str
    item_id: str
    first: date
    y: np.ndarray
    data_hash: str
    warm: dict[str, Any] | None = None


def _hash(first: date, y: np.ndarray, horizon: int) -> str:
    h = hashlib.sha256(f"{MODEL_VERSION}|{month_text(first)}|{horizon}|".encode())
    h.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return h.hexdigest()[:20]


def history_series(
    consumption: pl.DataFrame, start: date
) -> Iterable[tuple[str, str, date, np.ndarray]]:
    """``(holder_id, item_id, first month, monthly units up to start - 1)``, gaps as 0."""
    hist = consumption.filter(pl.col("month") < start).sort("holder_id", "item_id", "month")
    for (holder, item), part in hist.group_by("holder_id", "item_id", maintain_order=True):
        months = part.get_column("month").to_list()
        first = date(months[0].year, months[0].month, 1)
        y = np.zeros(month_index(start, first))
        for m, units in zip(months, part.get_column("units").to_list(), strict=True):
            y[month_index(m, first)] += float(units)
        yield str(holder), str(item), first, y


@dataclass
class _Fitted:
    """What a worker sends back for one series (no model objects: they pickle heavily)."""

    row: dict[str, Any]
    params: dict[str, Any]
    forecast: Forecast
    analytic: Forecast | None
    errors: np.ndarray | None
    error_kind: str | None
    groups: tuple[str, ...]
    scale: float

    def finish(self, table: Table | None) -> tuple[dict[str, Any], np.ndarray]:
        """Calibrate with ``table`` (when there are backtest errors) and give the
        demand_models row and the ``(4, horizon)`` forecast block."""
        f = self.forecast
        if (
            table is not None
            and self.analytic is not None
            and self.errors is not None
            and table.kind == self.error_kind
        ):
            f = table.apply(self.analytic, self.scale)
            inside, total = table.covered(self.errors)
            self.row["coverage_80"] = inside / total if total else None
            self.params["calibration"] = table.to_json()
            self.params["scale"] = self.scale
        self.row["params"] = json.dumps(self.params, separators=(",", ":"))
        return self.row, np.stack([f.mean, f.lo, f.p50, f.hi]).astype(np.float64)


def _run_task(task: SeriesTask, horizon: int) -> _Fitted:
    fit = fit_series(task.y, horizon, task.warm, calibrate=False)
    params = fit.params()
    params.pop("calibration", None)  # the pooled one is set in the main process
    params.pop("scale", None)
    params["history_start"] = month_text(task.first)
    params["history_months"] = int(task.y.size)
    row = {
        "holder_id": task.holder_id,
        "item_id": task.item_id,
        "model": fit.alias,
        "mase": fit.mase,
        "coverage_80": fit.coverage_80,
        "data_hash": task.data_hash,
        "params": None,
        "notes": "; ".join(fit.notes) or None,
    }
    return _Fitted(
        row, params, fit.forecast, fit.analytic, fit.errors, fit.error_kind, fit.groups, fit.scale
    )


def _tables(
    fitted: list[_Fitted], previous: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Table]:
    """This run's pooled tables; for a group with fewer than ``MIN_SERIES`` series in this
    run (an incremental night), the previous run's table of that group when it pooled more."""
    tables = build_tables(
        (f.groups, f.error_kind, f.errors)
        for f in fitted
        if f.errors is not None and f.error_kind is not None
    )
    earlier: dict[str, Table] = {}
    for row in previous.values():
        p = json.loads(row["params"]) if row.get("params") else {}
        if p.get("calibration") and p.get("groups"):
            t = Table.from_json(p["calibration"])
            for key in p["groups"]:
                if key not in earlier or t.series > earlier[key].series:
                    earlier[key] = t
    for key, t in earlier.items():
        mine = tables.get(key)
        if mine is None or (mine.series < MIN_SERIES and t.series > mine.series):
            tables[key] = t
    return tables


def _pick(tables: dict[str, Table], groups: tuple[str, ...]) -> Table | None:
    return next((tables[k] for k in groups if k in tables), None)


SPAWN_SECONDS = 3.0
"""CPU seconds a worker process takes to start (its imports): a run with less work than
twice that per worker runs in this process."""


def _cost(task: SeriesTask) -> float:
    """Rough CPU seconds to fit a series (regular: ~0.3 s; intermittent: ~0.02 s)."""
    kind = classify(task.y)
    return 0.3 if kind == "regular" else (0.02 if kind == "intermittent" else 0.001)


def _init_worker() -> None:
    """One BLAS thread per worker: the fits are tiny, and BLAS threads spinning on two
    cores next to another worker's made the nightly run about three times slower."""
    threadpool_limits(1, user_api="blas")


def _run_chunk(tasks: list[SeriesTask], horizon: int) -> list[_Fitted]:
    return [_run_task(t, horizon) for t in tasks]


def _fit_chunks(
    pool: Executor, tasks: list[SeriesTask], horizon: int, workers: int, bar: _Progress
) -> list[_Fitted]:
    """Fit ``tasks`` on ``pool`` in chunks (several per worker, so that the slow ones spread),
    in the order given."""
    size = max(1, min(50, len(tasks) // (workers * 8)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    fitted: list[_Fitted] = []
    for chunk, out in zip(
        chunks, pool.map(_run_chunk, chunks, [horizon] * len(chunks)), strict=True
    ):
        fitted.extend(out)
        bar.update(len(chunk))
    return fitted


class _Progress:
    """Series fitted so far: a bar on a terminal; otherwise (a nightly run from cron, a log
    file) an INFO line at every tenth, with the seconds since the fits began."""

    def __init__(self, total: int, show: bool):
        self.bar = tqdm(total=total, desc="forecast", unit="series", disable=not show or None)
        self.total, self.done, self.tenths = total, 0, 0
        self.t0 = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        self.done += n
        tenths = self.done * 10 // max(self.total, 1)
        if self.bar.disable and tenths > self.tenths:
            self.tenths = tenths
            log.info(
                "forecast: %d of %d series fitted in %.0f s",
                self.done,
                self.total,
                time.perf_counter() - self.t0,
            )

    def close(self) -> None:
        self.bar.close()


def _forecast_frame(
    results: list[tuple[dict[str, Any], np.ndarray]], start: date, horizon: int
) -> pl.DataFrame:
    """One frame for all fitted series: ``(4, horizon)`` arrays stacked, not a frame each."""
    values = np.concatenate([fc for _, fc in results], axis=1)
    n = len(results)
    return pl.DataFrame(
        {
            "holder_id": np.repeat([r["holder_id"] for r, _ in results], horizon),
            "item_id": np.repeat([r["item_id"] for r, _ in results], horizon),
            "month": pl.Series(month_range(start, horizon) * n, dtype=pl.Date),
            "mean": values[0],
            "p10": values[1],
            "p50": values[2],
            "p90": values[3],
        },
        schema=FORECAST_SCHEMA,
    )


def _previous_index(previous: DemandResult | None) -> dict[tuple[str, str], dict[str, Any]]:
    if previous is None or previous.models.height == 0:
        return {}
    return {(r["holder_id"], r["item_id"]): r for r in previous.models.iter_rows(named=True)}


def forecast_demand(
    dataset: Dataset,
    start: date,
    horizon: int = DEFAULT_HORIZON,
    *,
    workers: int | None = None,
    previous: DemandResult | None = None,
    progress: bool = True,
    executor: Executor | None = None,
) -> DemandResult:
    """Fit, choose and forecast every (holder, item) series with history before ``start``.

    ``workers``: processes (default: all cores; 1 runs in this process). ``previous``: an
    earlier result to reuse unchanged series from and warm-start changed ones. ``executor``:
    run the fits there (the nightly's Dask engine) instead of in a pool of its own.
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    prev = _previous_index(previous)
    tasks: list[SeriesTask] = []
    kept_rows: list[dict[str, Any]] = []
    kept_keys: set[tuple[str, str]] = set()
    for holder, item, first, y in history_series(dataset.consumption, start):
        data_hash = _hash(first, y, horizon)
        old = prev.get((holder, item))
        if old is not None and old["data_hash"] == data_hash:
            kept_rows.append(old)
            kept_keys.add((holder, item))
            continue
        warm = None
        if old is not None and old.get("params"):
            p = json.loads(old["params"])
            warm = {"candidate": p.get("candidate"), "fitted": p.get("fitted")}
        tasks.append(SeriesTask(holder, item, first, y, data_hash, warm))
    log.info(
        "demand: %d series to fit, %d unchanged since the previous run",
        len(tasks),
        len(kept_rows),
    )

    workers = workers or os.cpu_count() or 1
    fitted: list[_Fitted] = []
    bar = _Progress(len(tasks), progress)
    cost = sum(_cost(t) for t in tasks)
    if executor is not None and cost >= SPAWN_SECONDS:
        fitted = _fit_chunks(executor, tasks, horizon, workers, bar)
    elif workers <= 1 or cost < SPAWN_SECONDS * workers * 2:
        with threadpool_limits(1, user_api="blas"):
            for t in tasks:
                fitted.append(_run_task(t, horizon))
                bar.update()
    else:
        # spawn, not fork: forking a process whose polars/BLAS thread pools are running
        # can deadlock, and a worker's start-up (~2 s of imports) is small next to a night.
        with ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_init_worker
        ) as pool:
            fitted = _fit_chunks(pool, tasks, horizon, workers, bar)
    bar.close()
    tables = _tables(fitted, prev)
    results = [f.finish(_pick(tables, f.groups)) for f in fitted]

    model_rows = [r for r, _ in results] + kept_rows
    models = (
        pl.DataFrame(model_rows, schema=MODELS_SCHEMA)
        if model_rows
        else pl.DataFrame(schema=MODELS_SCHEMA)
    )
    parts = [_forecast_frame(results, start, horizon)] if results else []
    if kept_keys and previous is not None:
        keys = pl.DataFrame(
            {"holder_id": [k[0] for k in kept_keys], "item_id": [k[1] for k in kept_keys]},
            schema={"holder_id": pl.String, "item_id": pl.String},
        )
        parts.append(
            previous.forecast.join(keys, on=["holder_id", "item_id"]).select(list(FORECAST_SCHEMA))
        )
    forecast = pl.concat(parts) if parts else pl.DataFrame(schema=FORECAST_SCHEMA)
    models = models.select(list(MODELS_SCHEMA)).sort("holder_id", "item_id")
    forecast = forecast.cast(FORECAST_SCHEMA).sort("holder_id", "item_id", "month")
    return DemandResult(models, forecast)
