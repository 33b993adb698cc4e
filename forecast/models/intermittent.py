"""Croston, SBA and TSB for intermittent demand (many zero months: missile firings).

statsmodels has none of them, so they are written here. Each keeps a demand size ``z``
(smoothed over non-zero months) and either a smoothed interval between demands ``p``
(Croston: forecast ``z / p``; SBA: ``(1 - alpha / 2) * z / p``, Syntetos & Boylan's bias
correction) or a smoothed probability of demand ``d`` updated every month (TSB, Teunter,
Syntetos & Babai 2011: forecast ``d * z``, which decays when demand stops).

The smoothing constants are chosen from a small grid by the one-step-ahead squared error
over the history. The forecasts are flat. Their intervals are empirical: the P10 and P90 of
the one-step-ahead errors over the history, each forecast made only from the months before
it (a one-step rolling backtest), added to the forecast and cut at zero. Sample paths
bootstrap the same errors around the forecast, cut at zero. P50 is the forecast plus
the median error (often 0 for sparse series, below the mean).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from forecast.models.base import DemandModel, Forecast, empirical_quantiles

__all__ = ["SBA", "TSB", "Croston"]

ALPHAS = (0.05, 0.1, 0.2, 0.3)
BETAS = (0.05, 0.1, 0.2, 0.3)


def _croston_path(y: np.ndarray, alpha: float) -> np.ndarray:
    f = np.full(y.size + 1, np.nan)
    nz = np.flatnonzero(y > 0)
    if nz.size == 0:
        f[:] = 0.0
        return f
    first = int(nz[0])
    z, p = float(y[first]), float(first + 1)
    since = 0
    f[first + 1] = z / p
    for t in range(first + 1, y.size):
        since += 1
        if y[t] > 0:
            z += alpha * (y[t] - z)
            p += alpha * (since - p)
            since = 0
        f[t + 1] = z / max(p, 1.0)
    return f


def _tsb_path(y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    f = np.full(y.size + 1, np.nan)
    nz = np.flatnonzero(y > 0)
    if nz.size == 0:
        f[:] = 0.0
        return f
    first = int(nz[0])
    z, d = float(y[first]), 1.0 / (first + 1)
    for t in range(first + 1, y.size):
        f[t] = d * z
        if y[t] > 0:
            z += alpha * (y[t] - z)
            d += beta * (1.0 - d)
        else:
            d -= beta * d
    f[y.size] = d * z
    return f


class _Intermittent(DemandModel):
    def __init__(self) -> None:
        self.alpha = 0.1
        self.beta = 0.1
        self._fixed = False

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        raise NotImplementedError

    def _grid(self) -> list[tuple[float, float]]:
        return [(a, 0.0) for a in ALPHAS]

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        best = None
        for alpha, beta in self._grid():
            f = self._path(y, alpha, beta)
            err = y - f[:-1]
            score = float(np.nanmean(err**2)) if np.isfinite(err).any() else np.inf
            if best is None or score < best[0]:
                best = (score, alpha, beta)
        assert best is not None
        _, self.alpha, self.beta = best
        return self._apply(y)

    def _apply(self, y: np.ndarray) -> Self:
        f = self._path(y, self.alpha, self.beta)
        self.level = float(f[-1])
        errors = y - f[:-1]
        self.errors = errors[np.isfinite(errors)]
        if self.errors.size == 0:
            self.errors = np.zeros(1)
        self.q_lo, self.q_hi = empirical_quantiles(self.errors)
        self.q_mid = float(np.median(self.errors))
        return self

    def refit(self, y: np.ndarray) -> Self:
        return self._apply(np.asarray(y, dtype=float))

    def predict(self, h: int) -> Forecast:
        mean = np.full(h, self.level)
        return Forecast(mean, mean + self.q_lo, mean + self.q_hi, mean + self.q_mid).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.maximum(self.level + rng.choice(self.errors, size=(n, h)), 0.0)

    def get_params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta}

    def set_params(self, params: dict[str, Any]) -> None:
        self.alpha = float(params["alpha"])
        self.beta = float(params.get("beta", 0.0))


class Croston(_Intermittent):
    alias = "croston"

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return _croston_path(y, alpha)


class SBA(_Intermittent):
    alias = "sba"

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return (1.0 - alpha / 2.0) * _croston_path(y, alpha)


class TSB(_Intermittent):
    alias = "tsb"

    def _grid(self) -> list[tuple[float, float]]:
        return [(a, b) for a in ALPHAS for b in BETAS]

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return _tsb_path(y, alpha, beta)
