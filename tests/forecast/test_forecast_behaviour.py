"""Behaviour the planners rely on: trends are carried on, intermittent demand is never
forecast away, paths agree with the intervals."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
import pytest

from forecast.demand import forecast_demand
from forecast.selection import fit_series
from forecast.simulate import simulate_series

START = date(2026, 1, 1)


def _noise(n: int, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sd, n)


@pytest.mark.parametrize("slope", [4.0, -4.0])
def test_a_clearly_trending_series_gets_a_trending_forecast(slope: float) -> None:
    t = np.arange(72)
    y = 1000 + slope * t + _noise(72, 8, 1)
    f = fit_series(y, 18).forecast.mean
    assert np.sign(f[-1] - f[0]) == np.sign(slope)
    assert abs(f[-1] - f[0]) > 0.5 * abs(slope) * 17
    assert abs(f[0] - (1000 + slope * 72)) < 40  # starts where the series is


def test_a_series_that_was_flat_then_rose_keeps_rising() -> None:
    """The issue's case: flat for years, then a smooth rise over the last two years,
    which the window before the first backtest origin does not show."""
    y = np.r_[np.full(48, 500.0), 500 + 12.0 * np.arange(1, 25)] + _noise(72, 4, 2)
    f = fit_series(y, 18).forecast.mean
    assert f[0] > y[-3:].mean() - 10
    assert f[-1] > f[0] + 40


def test_a_seasonal_trending_series_keeps_season_and_trend() -> None:
    t = np.arange(96)
    y = (300 + 3 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12)) + _noise(96, 6, 3)
    f = fit_series(y, 24).forecast.mean
    assert f[12:].mean() > f[:12].mean() + 0.5 * 3 * 12  # a year later, higher
    peak, trough = int(np.argmax(f[:12])), int(np.argmin(f[:12]))
    assert (96 + peak) % 12 == 3  # sin peaks at month 3 of the cycle
    assert (96 + trough) % 12 == 9


INTERMITTENT = {
    # demand early on, then two years without any
    "stopped": np.r_[np.tile([0, 0, 3, 0, 0, 1], 6), np.zeros(24)],
    # ends on a zero month
    "last_zero": np.tile([0, 2, 0, 0, 5, 0, 0, 0], 8).astype(float),
    # ends on a spike
    "last_spike": np.r_[np.tile([0, 1, 0, 0, 2, 0], 8), [0, 0, 0, 10]],
}


@pytest.mark.parametrize("name", list(INTERMITTENT))
def test_an_intermittent_series_with_demand_is_never_forecast_zero(name: str) -> None:
    y = np.asarray(INTERMITTENT[name], dtype=float)
    fit = fit_series(y, 12)
    assert fit.kind == "intermittent"
    assert fit.alias not in ("naive", "zero", "seasonal_naive")
    assert np.all(fit.forecast.mean > 0)
    # and never the last month carried on: not the spike, not the zero
    assert fit.forecast.mean[0] < 0.5 * y.max()


def test_paths_agree_with_the_calibrated_interval(make_dataset, monthly) -> None:
    """The projection's paths have the forecast's P10 and P90 month by month."""
    rows = []
    for i in range(24):
        t = np.arange(60)
        y = 200 + (i - 15) * t / 10 + 30 * np.sin(2 * np.pi * t / 12) + _noise(60, 15, 10 + i)
        rows += monthly(f"H{i:02d}", "X", date(2021, 1, 1), np.maximum(y, 0).round(1).tolist())
    ds = make_dataset(consumption=rows)
    result = forecast_demand(ds, START, 12, workers=1, progress=False)
    row = result.models.filter(pl.col("holder_id") == "H07").row(0, named=True)
    params = json.loads(row["params"])
    assert "calibration" in params
    fc = result.forecast.filter(pl.col("holder_id") == "H07").sort("month")
    history = ds.consumption.filter(pl.col("holder_id") == "H07").sort("month")
    y = history.get_column("units").to_numpy()
    paths = simulate_series(
        y, date(2021, 1, 1), row["model"], params, START, 12, 3000, np.random.default_rng(0)
    )
    p10, p90 = np.quantile(paths, [0.1, 0.9], axis=0)
    spread = (fc.get_column("p90") - fc.get_column("p10")).to_numpy()
    assert p10 == pytest.approx(fc.get_column("p10").to_numpy(), abs=0.06 * spread.max())
    assert p90 == pytest.approx(fc.get_column("p90").to_numpy(), abs=0.06 * spread.max())
    inside = (paths >= fc.get_column("p10").to_numpy()) & (paths <= fc.get_column("p90").to_numpy())
    assert 0.76 <= inside.mean() <= 0.84
