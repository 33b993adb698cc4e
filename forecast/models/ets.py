"""Exponential smoothing (ETS) through statsmodels' ``ETSModel``, additive errors only.

Additive errors because consumption series have zero months, which multiplicative
errors cannot take. Variants: ``ETS(A,N,N)`` (level), ``ETS(A,A,N)`` (trend),
``ETS(A,Ad,N)`` (damped trend), and with additive seasonality (period 12)
``ETS(A,N,A)`` and ``ETS(A,Ad,A)``.

The 80% interval uses the analytic forecast variance of these (class 1) models,
``sigma^2 * (1 + sum_{j<h} c_j^2)`` with ``c_j = alpha + beta * phi_j + gamma * [j % m == 0]``
(Hyndman et al. 2008, ch. 6), and the mean is ``l_n + phi_h b_n + s_(n+h-m)`` from the
last filtered states: what ``ETSResults.get_prediction`` computes, without building the
results object (its numerical Hessian alone costs more than the filter) or pandas. Sample
paths come from ``ETSResults.simulate``, the results built only then.

Initial states: with at least ``HEURISTIC_MIN`` = 24 months, statsmodels' heuristic
(a classical decomposition of the first years, Hyndman et al. 2008, 2.6.1) sets them and
only the smoothing parameters are estimated: about ten times faster for the seasonal
models than estimating 12 seasonal states too, and steadier on short windows. Shorter
series estimate the initial states. The choice is stored with the parameters, so a
``refit`` over a longer history uses the same method.

The optimiser (L-BFGS-B, statsmodels' choice) stops when the log-likelihood changes by
less than ``FACTR`` times machine precision, relatively: 1e11 is about 2e-5, i.e. some
0.01 log-likelihood units on ten years of months, far below what tells models apart,
and a third fewer likelihood evaluations than scipy's default (1e7). On the synthetic
suites the held-out MASE and coverage did not change.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults

from forecast.models.base import Z80, DemandModel, Forecast

__all__ = ["ETS"]

HEURISTIC_MIN = 24
FACTR = 1e11


class ETS(DemandModel):
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
        params = model.fit(disp=False, start_params=start, return_params=True, factr=FACTR)
        self.params = np.asarray(params, dtype=float)
        return self._smooth(model)

    def refit(self, y: np.ndarray) -> Self:
        assert self.params is not None
        return self._smooth(self._model(y))

    def _smooth(self, model: ETSModel) -> Self:
        """Run the filter with ``self.params``; keep what ``predict`` needs.

        ``smooth(return_raw=True)`` skips building ``ETSResults`` (whose numerical
        Hessian costs more than the filter); the full results are built only to simulate.
        """
        yhat, states = model.smooth(self.params, return_raw=True)
        self._model_obj = model
        self._result = None
        self.names = list(model.param_names)
        self.mse = float(np.mean((model.endog - np.asarray(yhat)) ** 2))
        self.states = np.asarray(states, dtype=float)
        return self

    @property
    def result(self) -> ETSResults:
        if self._result is None:
            self._result = self._model_obj.smooth(self.params)
        return self._result

    def _smoothing(self) -> tuple[float, float, float, float]:
        """alpha, beta, gamma, phi from the parameter vector (0 / 1 when absent)."""
        p = dict(zip(self.names, self.params, strict=True))
        return (
            float(p["smoothing_level"]),
            float(p.get("smoothing_trend", 0.0)),
            float(p.get("smoothing_seasonal", 0.0)),
            float(p.get("damping_trend", 1.0)),
        )

    def predict(self, h: int) -> Forecast:
        """Mean from the last states (``l + phi_h b + s``), which is what
        ``ETSResults.forecast`` computes for these linear models."""
        alpha, beta, gamma, phi = self._smoothing()
        last = self.states[-1]
        k = np.arange(1, h + 1)
        mean = np.full(h, last[0])
        if self.trend is not None:
            if self.damped and phi < 1:
                phi_h = phi * (1 - phi**k) / (1 - phi)
            else:
                phi_h = k.astype(float)
            mean = mean + phi_h * last[1]
        if self.seasonal:
            m = self.period
            season = self.states[-m:, -1]
            mean = mean + season[(k - 1) % m]
        j = np.arange(1, h)
        c = np.full(h - 1, alpha)
        if self.trend is not None:
            if self.damped and phi < 1:
                phi_j = phi * (1 - phi**j) / (1 - phi)
            else:
                phi_j = j.astype(float)
            c = c + beta * phi_j
        if self.seasonal:
            c = c + gamma * (j % self.period == 0)
        var = self.mse * (1.0 + np.concatenate([[0.0], np.cumsum(c**2)]))
        spread = Z80 * np.sqrt(var)
        return Forecast(mean, mean - spread, mean + spread).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        paths = np.asarray(self.result.simulate(h, anchor="end", repetitions=n, rng=rng))
        return np.maximum(paths.reshape(h, n).T, 0.0)

    def get_params(self) -> dict[str, Any]:
        assert self.params is not None
        return {
            "init": self.init,
            "names": list(self.names),
            "values": self.params.tolist(),
        }

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = np.asarray(params["values"], dtype=float)
        self.init = params.get("init", "estimated")
