"""Baselines every other model must beat: naive and seasonal naive; and the all-zero model.

Intervals follow the textbook random-walk forms (Hyndman & Athanasopoulos, FPP3 5.5):
naive ``y_n +- z * sigma * sqrt(h)``, seasonal naive ``+- z * sigma_m * sqrt(ceil(h / m))``,
with sigma the root mean square of the one-step (or one-season) differences. Sample paths
are random walks of bootstrapped, centred differences, so their spread grows the same way.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from forecast.models.base import DemandModel, Forecast

__all__ = ["SEASON", "Naive", "SeasonalNaive", "Zero"]

SEASON = 12


class Naive(DemandModel):
    alias = "naive"

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        self.last = float(y[-1])
        diffs = np.diff(y)
        self.diffs = diffs - diffs.mean() if diffs.size else np.zeros(1)
        self.sigma = float(np.sqrt(np.mean(self.diffs**2)))
        return self

    def predict(self, h: int) -> Forecast:
        mean = np.full(h, self.last)
        return Forecast.normal(mean, self.sigma * np.sqrt(np.arange(1, h + 1)))

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        steps = rng.choice(self.diffs, size=(n, h))
        return np.maximum(self.last + np.cumsum(steps, axis=1), 0.0)

    def get_params(self) -> dict[str, Any]:
        return {"sigma": self.sigma}


class SeasonalNaive(DemandModel):
    alias = "seasonal_naive"

    def __init__(self, season: int = SEASON):
        self.season = season

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        m = self.season
        if y.size < m:
            raise ValueError(f"seasonal naive needs at least {m} months, got {y.size}")
        self.tail = y[-m:].astype(float)
        diffs = y[m:] - y[:-m]
        self.diffs = diffs - diffs.mean() if diffs.size else np.zeros(1)
        self.sigma = float(np.sqrt(np.mean(self.diffs**2)))
        return self

    def predict(self, h: int) -> Forecast:
        m = self.season
        k = np.arange(h)
        mean = self.tail[k % m]
        return Forecast.normal(mean, self.sigma * np.sqrt(k // m + 1))

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        m = self.season
        out = np.empty((n, h))
        steps = rng.choice(self.diffs, size=(n, h))
        for t in range(h):
            prev = self.tail[t] if t < m else out[:, t - m]
            out[:, t] = prev + steps[:, t]
        return np.maximum(out, 0.0)

    def get_params(self) -> dict[str, Any]:
        return {"season": self.season, "sigma": self.sigma}

    def set_params(self, params: dict[str, Any]) -> None:
        self.season = int(params.get("season", SEASON))

    def frozen(self) -> DemandModel:
        return SeasonalNaive(self.season)


class Zero(DemandModel):
    """For a history that is all zeros: nothing was used, nothing is forecast."""

    alias = "zero"

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        return self

    def predict(self, h: int) -> Forecast:
        z = np.zeros(h)
        return Forecast(z, z, z)

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((n, h))

    def get_params(self) -> dict[str, Any]:
        return {}
