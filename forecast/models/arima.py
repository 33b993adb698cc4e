"""A small ARIMA: AR(1) with a constant, through statsmodels' state-space ``ARIMA``.

Consumption often swings around a level for a while (an exercise cycle, a campaign);
AR(1) with a mean is the smallest model that reverts to a level at an estimated pace,
which the ETS variants do not do. The parameters are estimated by Yule-Walker (closed
form: no optimiser, so nothing to fail to converge, and some 20 times faster than
maximum likelihood); intervals come from the state-space forecast variance, paths from
``ARIMAResults.simulate``. Its parameters are estimated from the data alone, so it has
no use for a warm start.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from statsmodels.tsa.arima.model import ARIMA as StatsmodelsARIMA

from forecast.models.base import DemandModel, Forecast

__all__ = ["ARIMA"]


class ARIMA(DemandModel):
    alias = "ARIMA(1,0,0)"
    native_simulation = True

    def __init__(self) -> None:
        self.params: np.ndarray | None = None

    @staticmethod
    def _model(y: np.ndarray) -> StatsmodelsARIMA:
        return StatsmodelsARIMA(np.asarray(y, dtype=float), order=(1, 0, 0), trend="c")

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        self.result = self._model(y).fit(method="yule_walker")
        self.params = np.asarray(self.result.params, dtype=float)
        return self

    def refit(self, y: np.ndarray) -> Self:
        assert self.params is not None
        self.result = self._model(y).smooth(self.params)
        return self

    def predict(self, h: int) -> Forecast:
        fc = self.result.get_forecast(h)
        mean = np.asarray(fc.predicted_mean, dtype=float)
        ci = np.asarray(fc.conf_int(alpha=0.2), dtype=float)
        return Forecast(mean, ci[:, 0], ci[:, 1]).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        paths = np.asarray(self.result.simulate(h, anchor="end", repetitions=n, rng=rng))
        return np.maximum(paths.reshape(h, n).T, 0.0)

    def get_params(self) -> dict[str, Any]:
        assert self.params is not None
        return {"names": list(self.result.model.param_names), "values": self.params.tolist()}

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = np.asarray(params["values"], dtype=float)
