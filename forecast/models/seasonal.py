"""Seasonal adjustment shared by the Theta, optimised-Theta and ARIMA-with-drift models.

The classical approach of the Theta method and the M-competition benchmarks:

- **Test.** The lag-12 autocorrelation of the history beyond its 90% limit,
  ``1.645 * sqrt((1 + 2 * sum_{k<12} r_k^2) / n)`` (Bartlett), with at least three full
  years of history. Without them the series is treated as non-seasonal.
- **Indices.** Classical decomposition: a centred 2x12 moving average is the trend; the
  ratio of the series to it (multiplicative, when every month is positive) or the
  difference (additive, otherwise) averaged by month of year, normalised to mean 1
  (or 0), gives twelve seasonal indices.
- The model is fitted to the adjusted series (divided by, or less, the indices) and its
  forecast and interval are put back on the original scale with the indices of the
  forecast months.

Whether a series is seasonal is decided at ``fit``; ``refit`` over a longer history keeps
that decision and recomputes the indices from the history it is given (a deterministic
step, no estimation).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Self

import numpy as np

from forecast.models.base import DemandModel, Forecast
from forecast.models.baseline import SEASON

__all__ = ["SEASON", "SeasonallyAdjusted", "seasonal_indices", "seasonal_test"]

Z90 = 1.6448536269514722  # one-sided 95%, i.e. the two-sided 90% limit


def seasonal_test(y: np.ndarray, m: int = SEASON) -> bool:
    """Lag-``m`` autocorrelation of ``y`` beyond its 90% limit (needs ``3 m`` months)."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < 3 * m:
        return False
    x = y - y.mean()
    denom = float(x @ x)
    if denom <= 0:
        return False
    acf = np.array([float(x[: n - k] @ x[k:]) / denom for k in range(1, m + 1)])
    limit = Z90 * np.sqrt((1.0 + 2.0 * float(np.sum(acf[: m - 1] ** 2))) / n)
    return bool(abs(acf[m - 1]) > limit)


def seasonal_indices(y: np.ndarray, multiplicative: bool, m: int = SEASON) -> np.ndarray:
    """Classical-decomposition indices: ``out[i]`` applies to months ``t`` with ``t % m == i``."""
    y = np.asarray(y, dtype=float)
    if y.size < 2 * m + 1:
        raise ValueError(f"seasonal indices need at least {2 * m + 1} months, got {y.size}")
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    first = (weights.size - 1) // 2
    part = y[first : first + trend.size]
    detrended = part / trend if multiplicative else part - trend
    position = (np.arange(trend.size) + first) % m
    raw = np.array([detrended[position == i].mean() for i in range(m)])
    return raw / raw.mean() if multiplicative else raw - raw.mean()


class SeasonallyAdjusted(DemandModel):
    """A model fitted to the seasonally adjusted series (see the module doc).

    Subclasses implement ``_fit``, ``_refit``, ``_predict`` (on the adjusted scale) and
    ``_params`` / ``_set_params`` for their own parameters.
    """

    period = SEASON

    def __init__(self) -> None:
        self.seasonal: bool | None = None  # decided at fit
        self.fixed_seasonal: bool | None = None  # decided on the whole history (frozen)
        self.multiplicative = True
        self.indices: np.ndarray | None = None
        self.n = 0

    # --- the adjusted-scale model --------------------------------------------------
    @abstractmethod
    def _fit(self, x: np.ndarray, start_params: dict[str, Any] | None) -> None: ...

    def _refit(self, x: np.ndarray) -> None:
        self._fit(x, None)

    @abstractmethod
    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation per step on the adjusted scale."""

    @abstractmethod
    def _params(self) -> dict[str, Any]: ...

    def _set_params(self, params: dict[str, Any]) -> None:  # noqa: B027 - optional
        """Adopt stored parameters (models estimated afresh by ``_refit`` ignore them)."""

    # --- DemandModel -----------------------------------------------------------------
    def _adjust(self, y: np.ndarray) -> np.ndarray:
        self.n = y.size
        self.indices = None
        if self.seasonal:
            self.multiplicative = bool(np.all(y > 0))
            self.indices = seasonal_indices(y, self.multiplicative, self.period)
            s = self.indices[np.arange(y.size) % self.period]
            return y / s if self.multiplicative else y - s
        return y

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        if self.fixed_seasonal is None:
            self.seasonal = seasonal_test(y, self.period)
        else:
            self.seasonal = self.fixed_seasonal and y.size >= 2 * self.period + 1
        self._fit(self._adjust(y), start_params)
        return self

    def frozen(self) -> DemandModel:
        other = self._fresh()
        other.fixed_seasonal = bool(self.seasonal)
        return other

    def _fresh(self) -> SeasonallyAdjusted:
        return type(self)()

    def refit(self, y: np.ndarray) -> Self:
        y = np.asarray(y, dtype=float)
        if self.seasonal is None:
            return self.fit(y)
        if self.seasonal and y.size < 2 * self.period + 1:
            self.seasonal = False
        self._refit(self._adjust(y))
        return self

    def predict(self, h: int) -> Forecast:
        mean, sd = self._predict(h)
        if self.indices is not None:
            s = self.indices[np.arange(self.n, self.n + h) % self.period]
            if self.multiplicative:
                mean, sd = mean * s, sd * s
            else:
                mean = mean + s
        return Forecast.normal(mean, sd)

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Normal paths with the model's own per-step spread and fully persistent errors
        (the product simulates from the calibrated distribution instead)."""
        f = self.predict(h)
        assert f.sd is not None
        z = rng.standard_normal((n, 1))
        return np.maximum(f.mean + z * f.sd, 0.0)

    def get_params(self) -> dict[str, Any]:
        return {"seasonal": bool(self.seasonal), **self._params()}

    def set_params(self, params: dict[str, Any]) -> None:
        self.seasonal = bool(params.get("seasonal", False))
        self._set_params(params)
