"""Exponential smoothing (ETS) through statsmodels' ``ETSModel``, and the family chosen by AICc.

One ETS form is ``ETS(error, trend, season)``: error ``A`` (additive) or ``M``
(multiplicative), trend ``N``, ``A`` or ``Ad`` (damped), season ``N``, ``A`` or ``M``
(period 12). :class:`AutoETS` fits the family that R's ``ets`` and statsforecast's
``AutoETS`` consider by default and keeps the form with the least AICc on the whole
history: additive error with no or additive season (6 forms); multiplicative error, only
when every month is positive, with any season (9 forms); the seasonal forms when there
are two full years. ``AutoETS(damped=True)`` keeps the best damped-trend form (the damped
trend is always a candidate of its own and a member of the combination). The fits of
one history are remembered, so the two share them.

**Forecast and own interval.** The mean is the point forecast from the last filtered
states, ``(l_n + phi_h b_n) (+ or x) s_(n+h-m)``: what ``ETSResults.forecast`` computes,
without building the results object (its numerical Hessian alone costs more than the
filter) or pandas. The standard deviation is Hyndman et al. (2008, ch. 6)'s:

- class 1 (additive error and season): ``sigma^2 (1 + sum_{j<h} c_j^2)`` with
  ``c_j = alpha + beta phi_j + gamma [j % m == 0]``: exactly ``get_prediction``'s;
- class 2 (multiplicative error, no or additive season): ``(1 + sigma^2) theta_h - mu_h^2``
  with ``theta_h = mu_h^2 + sigma^2 sum_{j<h} c_j^2 theta_(h-j)``;
- class 3 (multiplicative season): the class-2 variance of the deseasonalised forecast
  times the squared seasonal index, ignoring the seasonal smoothing's share (an
  approximation; statsmodels simulates these).

The interval the product reports is calibrated on backtest errors
(``forecast.calibration``); this one sets the scale of each step.

**Initial states.** With at least ``HEURISTIC_MIN`` = 24 months, statsmodels' heuristic
(a classical decomposition of the first years, Hyndman et al. 2008, 2.6.1) sets them and
only the smoothing parameters are estimated: about ten times faster for the seasonal
forms than estimating 12 seasonal states too, and steadier on short windows. Shorter
series estimate the initial states. The choice is stored with the parameters, so a
``refit`` over a longer history uses the same method.

The optimiser (L-BFGS-B, statsmodels' choice) stops when the log-likelihood changes by
less than ``FACTR`` times machine precision, relatively: 1e11 is about 2e-5, i.e. some
0.01 log-likelihood units on ten years of months, far below what tells models apart.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from typing import Any, ClassVar, Self

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults
from statsmodels.tsa.exponential_smoothing.initialization import _initialization_heuristic

from forecast.models.base import Z80, DemandModel, Forecast
from forecast.models.baseline import SEASON

__all__ = ["ETS", "AutoETS", "ets_family"]

HEURISTIC_MIN = 24
FACTR = 1e11

Form = tuple[str, str | None, bool, str | None]
"""(error, trend, damped, season) in statsmodels' words: ("add", "add", True, "mul")."""


def _letter(kind: str | None) -> str:
    return {None: "N", "add": "A", "mul": "M"}[kind]


def form_alias(form: Form) -> str:
    error, trend, damped, season = form
    t = "N" if trend is None else ("Ad" if damped else "A")
    return f"ETS({_letter(error)},{t},{_letter(season)})"


def _all_forms() -> list[Form]:
    forms: list[Form] = []
    for error in ("add", "mul"):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for season in (None, "add", "mul"):
                if error == "add" and season == "mul":
                    continue  # R's restricted set: infinite-variance forms left out
                forms.append((error, trend, damped, season))
    return forms


FORMS: dict[str, Form] = {form_alias(f): f for f in _all_forms()}


def ets_family(y: np.ndarray, period: int = SEASON, damped_only: bool = False) -> list[Form]:
    """The forms AutoETS tries on ``y`` (see the module doc)."""
    positive = bool(np.all(y > 0))
    seasonal = y.size >= 2 * period
    return [
        f
        for f in FORMS.values()
        if (positive or f[0] == "add")
        and (seasonal or f[3] is None)
        and (positive or f[3] != "mul")
        and (f[2] or not damped_only)
    ]


_HEURISTICS: OrderedDict[tuple[bytes, str | None, str | None], tuple] = OrderedDict()


def _heuristic(y: np.ndarray, trend: str | None, season: str | None, period: int) -> tuple:
    """statsmodels' heuristic initial states (what ``initialization_method="heuristic"``
    computes), remembered by history, trend and season: they do not depend on the error
    type or the damping, so the 15 forms of a history need at most 6 of them."""
    digest = hashlib.blake2b(y.tobytes(), digest_size=16).digest()
    key = (digest, trend, season)
    if key not in _HEURISTICS:
        _HEURISTICS[key] = _initialization_heuristic(
            y, trend=trend, seasonal=season, seasonal_periods=period if season else None
        )
        if len(_HEURISTICS) > 64:
            _HEURISTICS.popitem(last=False)
    return _HEURISTICS[key]


class ETS(DemandModel):
    """One ETS form (see the module doc)."""

    ALIASES: ClassVar[dict[str, Form]] = FORMS

    def __init__(
        self,
        trend: str | None = None,
        damped: bool = False,
        seasonal: str | bool | None = None,
        period: int = SEASON,
        error: str = "add",
    ):
        if seasonal is True:
            seasonal = "add"
        self.error = error
        self.trend = trend
        self.damped = damped and trend is not None
        self.seasonal: str | None = seasonal or None
        self.period = period
        self.alias = form_alias(self.form)
        self.params: np.ndarray | None = None
        self.init = "heuristic"
        self.aicc = np.inf

    @classmethod
    def of(cls, form: Form, period: int = SEASON) -> ETS:
        error, trend, damped, season = form
        return cls(trend, damped, season, period, error)

    @property
    def form(self) -> Form:
        return (self.error, self.trend, self.damped, self.seasonal)

    def _model(self, y: np.ndarray) -> ETSModel:
        y = np.asarray(y, dtype=float)
        kwargs: dict[str, Any] = {"initialization_method": self.init}
        if self.init == "heuristic":
            level, trend, season = _heuristic(y, self.trend, self.seasonal, self.period)
            kwargs = {
                "initialization_method": "known",
                "initial_level": level,
                "initial_trend": trend,
                "initial_seasonal": season,
            }
        return ETSModel(
            y,
            error=self.error,
            trend=self.trend,
            damped_trend=self.damped,
            seasonal=self.seasonal,
            seasonal_periods=self.period if self.seasonal else None,
            **kwargs,
        )

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        if self.seasonal and y.size < 2 * self.period:
            raise ValueError(f"{self.alias} needs two full years, got {y.size} months")
        if (self.error == "mul" or self.seasonal == "mul") and not np.all(y > 0):
            raise ValueError(f"{self.alias} needs positive data")
        self.init = "heuristic" if len(y) >= HEURISTIC_MIN else "estimated"
        model = self._model(y)
        start = None
        if start_params and len(start_params.get("values", ())) == len(model.param_names):
            start = np.asarray(start_params["values"], dtype=float)
        params = model.fit(disp=False, start_params=start, return_params=True, factr=FACTR)
        self.params = np.asarray(params, dtype=float)
        llf = float(model.loglike(self.params))
        k = self.params.size + 1
        n = y.size
        self.aicc = -2 * llf + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1)
        if not np.isfinite(self.aicc):
            raise ValueError(f"{self.alias}: non-finite likelihood")
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
        yhat = np.asarray(yhat, dtype=float)
        resid = model.endog - yhat
        if self.error == "mul":
            resid = resid / np.where(yhat == 0, 1.0, yhat)
        self.mse = float(np.mean(resid**2))
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
        """Point forecast from the last states and the class 1/2/3 standard deviation."""
        alpha, beta, gamma, phi = self._smoothing()
        last = self.states[-1]
        k = np.arange(1, h + 1)

        def phi_sum(j: np.ndarray) -> np.ndarray:
            if self.damped and phi < 1:
                return phi * (1 - phi**j) / (1 - phi)
            return j.astype(float)

        level = np.full(h, last[0])
        if self.trend is not None:
            level = level + phi_sum(k) * last[1]
        season = np.zeros(h) if self.seasonal != "mul" else np.ones(h)
        if self.seasonal:
            season = self.states[-self.period :, -1][(k - 1) % self.period]
        mean = level * season if self.seasonal == "mul" else level + season
        j = np.arange(1, h)
        c = np.full(h - 1, alpha)
        if self.trend is not None:
            c = c + beta * phi_sum(j)
        if self.seasonal == "add":
            c = c + gamma * (j % self.period == 0)
        if self.error == "add":
            var = self.mse * (1.0 + np.concatenate([[0.0], np.cumsum(c**2)]))
        else:
            base = level if self.seasonal == "mul" else mean
            theta = np.empty(h)
            for i in range(h):
                theta[i] = base[i] ** 2 + self.mse * float(np.sum(c[:i] ** 2 * theta[:i][::-1]))
            var = np.maximum((1.0 + self.mse) * theta - base**2, 0.0)
            if self.seasonal == "mul":
                var = var * season**2
        sd = np.sqrt(var)
        return Forecast(mean, mean - Z80 * sd, mean + Z80 * sd, sd=sd).clipped()

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

    def frozen(self) -> DemandModel:
        return ETS.of(self.form, self.period)

    def clone(self) -> ETS:
        """A copy sharing the fitted state (each copy can be refitted on its own)."""
        other = ETS.of(self.form, self.period)
        other.params, other.init, other.aicc = self.params.copy(), self.init, self.aicc
        other._model_obj, other._result, other.names = self._model_obj, None, self.names
        other.mse, other.states = self.mse, self.states
        return other


class _FitMemo:
    """Recent ETS fits by (history, form): AutoETS and its damped sibling fit the same
    forms of the same history, at the whole history and at every backtest origin.

    A fit that failed or warned of non-convergence is remembered as None."""

    SIZE = 64

    def __init__(self) -> None:
        self.fits: OrderedDict[tuple[bytes, str], ETS | None] = OrderedDict()

    def get(self, y: np.ndarray, form: Form, start: dict[str, Any] | None) -> ETS | None:
        digest = hashlib.blake2b(np.ascontiguousarray(y, dtype=np.float64).tobytes()).digest()
        key = (digest, form_alias(form))
        if key not in self.fits:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fitted: ETS | None = ETS.of(form).fit(y, start_params=start)
                except Exception:
                    fitted = None
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                fitted = None
            self.fits[key] = fitted
            if len(self.fits) > self.SIZE:
                self.fits.popitem(last=False)
        found = self.fits[key]
        return None if found is None else found.clone()


_MEMO = _FitMemo()


class AutoETS(DemandModel):
    """The ETS form with the least AICc on the history (see the module doc).

    After ``fit`` it behaves as the chosen :class:`ETS` and takes its alias, so the stored
    model is that form; ``frozen()`` gives that form unfitted, which the backtest
    re-estimates at each origin.
    """

    def __init__(
        self, damped: bool = False, period: int = SEASON, forms: tuple[Form, ...] | None = None
    ) -> None:
        self.damped_only = damped
        self.period = period
        self.forms = forms
        self.alias = "damped" if damped else "ets"
        self.chosen: ETS | None = None
        self.tried: dict[str, float] = {}

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        best: ETS | None = None
        self.tried = {}
        forms = self.forms or ets_family(y, self.period, self.damped_only)
        for form in forms:
            warm = start_params and start_params.get("form") == list(form)
            m = _MEMO.get(y, form, start_params if warm else None)
            if m is None:
                continue
            self.tried[m.alias] = m.aicc
            if best is None or m.aicc < best.aicc:
                best = m
        if best is None and self.forms and any(f[3] for f in self.forms):
            # a seasonal form frozen on the whole history, at an origin with under two
            # years before it: the same form without the season
            return AutoETS(
                period=self.period, forms=tuple((e, t, d, None) for e, t, d, _ in self.forms)
            ).fit(y)
        if best is None:
            raise ValueError("no ETS form could be fitted")
        self.chosen = best
        self.alias = best.alias
        return self

    def refit(self, y: np.ndarray) -> Self:
        assert self.chosen is not None
        self.chosen.refit(y)
        return self

    def frozen(self) -> DemandModel:
        assert self.chosen is not None
        return AutoETS(period=self.period, forms=(self.chosen.form,))

    def predict(self, h: int) -> Forecast:
        assert self.chosen is not None
        return self.chosen.predict(h)

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        assert self.chosen is not None
        return self.chosen.simulate(h, n, rng)

    def get_params(self) -> dict[str, Any]:
        assert self.chosen is not None
        return {**self.chosen.get_params(), "form": list(self.chosen.form)}

    def set_params(self, params: dict[str, Any]) -> None:
        form = tuple(params["form"])
        self.chosen = ETS.of(form, self.period)  # type: ignore[arg-type]
        self.chosen.set_params(params)
        self.alias = self.chosen.alias
