"""Exponential smoothing (ETS) through statsmodels' ``ETSModel``, additive errors only.

Additive errors because consumption series have zero months, which multiplicative
errors cannot take. Variants: ``ETS(A,N,N)`` (level), ``ETS(A,A,N)`` (trend),
``ETS(A,Ad,N)`` (damped trend), and with additive seasonality (period 12)
``ETS(A,N,A)`` and ``ETS(A,Ad,A)``.

The 80% interval uses the analytic forecast variance of these (class 1) models,
``sigma^2 * (1 + sum_{j<h} c_j^2)`` with ``c_j = alpha + beta * phi_j + gamma * [j % m == 0]``
(Hyndman et al. 2008, ch. 6), which is what ``ETSResults.get_prediction`` computes, without
its pandas overhead. Sample paths come from ``ETSResults.simulate``.

Initial states: with at least ``HEURISTIC_MIN`` = 24 months, statsmodels' heuristic
(a classical decomposition of the first years, Hyndman et al. 2008, 2.6.1) sets them and
only the smoothing parameters are estimated: about ten times faster for the seasonal
models than estimating 12 seasonal states too, and steadier on short windows. Shorter
series estimate the initial states. The choice is stored with the parameters, so a
``refit`` over a longer history uses the same method.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast.models.base import Z80, DemandModel, Forecast

__all__ = ["ETS"]

HEURISTIC_MIN = 24


class ETS(DemandModel):
    native_simulation = True
    ALIASES: ClassVar[dict[str, tuple[str | None, bool, bool]]] = {
        "ETS(A,N,N)": (None, False, False),
        "ETS(A,A,N)": ("add", False, False),
        "ETS(A,Ad,N)": ("add", True, False),
        "ETS(A,N,A)": (None, False, True),
        "ETS(A,Ad,A)": ("add", True, True),
    }

    def __init__(
        self,
        trend: str | None = None,
        damped: bool = False,
        seasonal: bool = False,
        period: int = 12,
    ):
        self.trend = trend
        self.damped = damped and trend is not None
        self.seasonal = seasonal
        self.period = period
        self.alias = "ETS(A,{},{})".format(
            "N" if trend is None else ("Ad" if self.damped else "A"), "A" if seasonal else "N"
        )
        self.params: np.ndarray | None = None
        self.init = "heuristic"

    def _model(self, y: np.ndarray) -> ETSModel:
        return ETSModel(
            np.asarray(y, dtype=float),
            error="add",
            trend=self.trend,
            damped_trend=self.damped,
            seasonal="add" if self.seasonal else None,
            seasonal_periods=self.period if self.seasonal else None,
            initialization_method=self.init,
        )

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        self.init = "heuristic" if len(y) >= HEURISTIC_MIN else "estimated"
        model = self._model(y)
        start = None
        if start_params and len(start_params.get("values", ())) == len(model.param_names):
            start = np.asarray(start_params["values"], dtype=float)
        self.result = model.fit(disp=False, start_params=start)
        self.params = np.asarray(self.result.params, dtype=float)
        return self

    def refit(self, y: np.ndarray) -> Self:
        assert self.params is not None
        self.result = self._model(y).smooth(self.params)
        return self

    def predict(self, h: int) -> Forecast:
        r = self.result
        mean = np.asarray(r.forecast(h), dtype=float)
        j = np.arange(1, h)
        c = np.full(h - 1, float(r.smoothing_level))
        if self.trend is not None:
            beta = float(r.smoothing_trend)
            if self.damped:
                phi = float(r.damping_trend)
                phi_j = phi * (1 - phi**j) / (1 - phi) if phi < 1 else j.astype(float)
            else:
                phi_j = j.astype(float)
            c = c + beta * phi_j
        if self.seasonal:
            c = c + float(r.smoothing_seasonal) * (j % self.period == 0)
        var = float(r.mse) * (1.0 + np.concatenate([[0.0], np.cumsum(c**2)]))
        spread = Z80 * np.sqrt(var)
        return Forecast(mean, mean - spread, mean + spread).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        paths = np.asarray(self.result.simulate(h, anchor="end", repetitions=n, rng=rng))
        return np.maximum(paths.reshape(h, n).T, 0.0)

    def get_params(self) -> dict[str, Any]:
        assert self.params is not None
        return {
            "init": self.init,
            "names": list(self.result.model.param_names),
            "values": self.params.tolist(),
        }

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = np.asarray(params["values"], dtype=float)
        self.init = params.get("init", "estimated")
