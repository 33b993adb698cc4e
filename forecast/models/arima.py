"""A small ARIMA: AR(1) with a mean, ``y_t - mu = phi (y_{t-1} - mu) + e_t``.

Consumption often swings around a level for a while (an exercise cycle, a campaign);
AR(1) with a mean is the smallest model that reverts to a level at an estimated pace,
which the ETS variants do not do. The parameters are the textbook Yule-Walker estimates
(statsmodels' ``yule_walker``, ``method="mle"``, on the series less its mean): closed
form, so nothing to fail to converge, always stationary (``|phi| < 1``), and some 80
times faster than ``ARIMA.fit(method="yule_walker")``, whose iterated GLS mean they
match to a fraction of a percent. The forecast and its 80% interval are the state-space
ones for a fully observed AR(1), in closed form: mean ``mu + phi^h (y_n - mu)``, variance
``sigma^2 (1 + phi^2 + ... + phi^(2(h-1)))``. Sample paths come from statsmodels'
``ARIMA(1,0,0)`` with these parameters (``ARIMAResults.simulate``). Its parameters are
estimated from the data alone, so it has no use for a warm start.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from statsmodels.regression.linear_model import yule_walker
from statsmodels.tsa.arima.model import ARIMA as StatsmodelsARIMA

from forecast.models.base import Z80, DemandModel, Forecast

__all__ = ["ARIMA"]

PARAM_NAMES = ["const", "ar.L1", "sigma2"]


class ARIMA(DemandModel):
    alias = "ARIMA(1,0,0)"

    def __init__(self) -> None:
        self.params: np.ndarray | None = None

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        if y.size < 3:
            raise ValueError(f"AR(1) needs at least 3 months, got {y.size}")
        mu = float(y.mean())
        if not np.any(y != y[0]):
            raise ValueError("AR(1) cannot be estimated on a constant series")
        yw = yule_walker(y - mu, order=1, method="mle", demean=False, result_object=True)
        phi, sigma = float(yw.rho[0]), float(yw.sigma)
        if not (np.isfinite(phi) and np.isfinite(sigma)):
            raise ValueError("Yule-Walker estimates are not finite (a constant series?)")
        self.params = np.array([mu, phi, sigma**2])
        return self.refit(y)

    def refit(self, y: np.ndarray) -> Self:
        assert self.params is not None
        self.y = np.asarray(y, dtype=float)
        return self

    def predict(self, h: int) -> Forecast:
        assert self.params is not None
        mu, phi, sigma2 = (float(v) for v in self.params)
        powers = phi ** np.arange(h + 1)
        mean = mu + powers[1:] * (self.y[-1] - mu)
        var = sigma2 * np.cumsum(powers[:-1] ** 2)
        spread = Z80 * np.sqrt(var)
        return Forecast(mean, mean - spread, mean + spread).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        assert self.params is not None
        model = StatsmodelsARIMA(self.y, order=(1, 0, 0), trend="c")
        result = model.smooth(self.params)
        paths = np.asarray(result.simulate(h, anchor="end", repetitions=n, rng=rng))
        return np.maximum(paths.reshape(h, n).T, 0.0)

    def get_params(self) -> dict[str, Any]:
        assert self.params is not None
        return {"names": PARAM_NAMES, "values": self.params.tolist()}

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = np.asarray(params["values"], dtype=float)
