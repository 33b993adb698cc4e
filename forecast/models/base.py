"""The one interface every demand model has (after Nixtla statsforecast's models).

A model works on one series ``y`` (a float array of monthly consumption, oldest first):

- ``fit(y, start_params=None)`` estimates its parameters (``start_params``: a warm start);
- ``refit(y)`` keeps the estimated parameters and only runs the filter over new data
  (the cheap step the backtest uses at its later origins);
- ``predict(h)`` gives a :class:`Forecast` (mean and the model's own 80% interval, never
  negative; the interval the product reports is calibrated later, ``forecast.calibration``);
- ``simulate(h, n, rng)`` gives ``n`` sample paths (an ``(n, h)`` array, never negative);
- ``frozen()`` gives an unfitted copy keeping the structure chosen on the whole history;
- ``get_params()`` returns plain JSON-able parameters, and ``set_params(params)`` followed
  by ``refit(y)`` rebuilds the fitted model from them (the projection stage simulates
  from these).

``alias`` is the model's name, stored in ``demand_models.model``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

__all__ = ["Z80", "DemandModel", "Forecast", "empirical_quantiles"]

Z80 = 1.2815515655446004  # standard normal 90th percentile: the 80% two-sided interval
Q_LO, Q_HI = 0.1, 0.9


@dataclass(frozen=True)
class Forecast:
    """Point forecast and the central 80% interval (P10..P90), each of length h, all >= 0."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    median: np.ndarray | None = None
    """P50; the mean when the predictive distribution is symmetric (None)."""
    sd: np.ndarray | None = None
    """The model's own (analytic) forecast standard deviation per step, before any cut at
    zero; None for the models whose interval is empirical (the intermittent ones). The
    calibration scales its per-step error quantiles by it."""

    @property
    def p50(self) -> np.ndarray:
        return self.mean if self.median is None else self.median

    def clipped(self) -> Forecast:
        """Cut at zero (consumption is never negative) and keep lo <= p50 <= hi."""

        def cut(a: np.ndarray) -> np.ndarray:
            return np.fmax(np.asarray(a, dtype=float), 0.0)  # NaN -> 0 too

        mean, lo, hi = cut(self.mean), cut(self.lo), cut(self.hi)
        median = None if self.median is None else np.clip(cut(self.median), lo, hi)
        return Forecast(mean, lo, hi, median, self.sd)

    @classmethod
    def normal(cls, mean: np.ndarray, sd: np.ndarray) -> Forecast:
        """Mean and the normal 80% interval ``mean +- Z80 * sd``, cut at zero."""
        mean = np.asarray(mean, dtype=float)
        sd = np.asarray(sd, dtype=float)
        return cls(mean, mean - Z80 * sd, mean + Z80 * sd, sd=sd).clipped()


class DemandModel(ABC):
    alias: ClassVar[str]

    @abstractmethod
    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self: ...

    def refit(self, y: np.ndarray) -> Self:
        """Apply the fitted parameters to ``y`` without estimating again (default: fit)."""
        return self.fit(y)

    @abstractmethod
    def predict(self, h: int) -> Forecast: ...

    @abstractmethod
    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray: ...

    @abstractmethod
    def get_params(self) -> dict[str, Any]: ...

    def set_params(self, params: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Adopt stored parameters before ``refit`` (models without parameters ignore them)."""

    def frozen(self) -> DemandModel:
        """An unfitted model with the structure this one chose at ``fit`` (an ETS form, an
        ARIMA order, whether to adjust for seasons), whose parameters the backtest
        estimates again at each origin. By default a fresh instance."""
        return type(self)()


def empirical_quantiles(errors: np.ndarray) -> tuple[float, float]:
    """P10 and P90 of forecast errors (0, 0 when there are none)."""
    errors = errors[np.isfinite(errors)]
    if errors.size == 0:
        return 0.0, 0.0
    lo, hi = np.quantile(errors, [Q_LO, Q_HI])
    return float(lo), float(hi)
