"""The Theta method (statsmodels' ``ThetaModel``) and its dynamic optimised variant.

Both work on the seasonally adjusted series (``forecast.models.seasonal``).

**Theta** (Assimakopoulos & Nikolopoulos 2000), as statsmodels' ``ThetaModel``
(``theta = 2``, its default two-step estimate) computes it: simple exponential smoothing
(SES, level started at the first month, constant with the least one-step squared error)
plus half the slope ``b0`` of a least-squares line through the series, which Hyndman &
Billah (2003) showed is SES with drift: ``l_n + b0 / 2 (h - 1 + 1/a - (1 - a)^n / a)``.
The SES constant is found here by a bounded scalar search on the squared error, which
gives statsmodels' forecast (tested) some 50 times faster: ``ThetaModel.fit`` estimates a
state-space model each time, and the backtest fits Theta at every origin. Its 80%
interval uses the SES-with-drift (ARIMA(0,1,1) with drift, MA coefficient ``a - 1``)
variance ``sigma^2 (1 + (h - 1) a^2)``, ``sigma^2`` the mean square of the in-sample
one-step errors (statsmodels' ``prediction_intervals`` fits an ARIMA for sigma^2).

**Dynamic optimised Theta** (``dotm``, after Fiorucci, Pellegrini, Louzada, Petropoulos
& Koehler 2016): the weight of the trend line is estimated instead of fixed at 1/2, and
the line is re-estimated at each month from the months before it only. In their state
space form the one-step forecast of month ``t`` (1-based) is

    mu_t = l_{t-1} + w [ (1 - a)^(t-1) A_{t-1} + B_{t-1} (1 - (1 - a)^t) / a ]

with ``l`` the SES level (smoothing ``a``, initial level ``l0``), ``A_t, B_t`` the
least-squares intercept and slope of months ``1..t`` and ``w = 1 - 1/theta``. Written
with the zero-started SES ``S_t``, ``l_{t-1} = S_{t-1} + (1 - a)^(t-1) l0``, so for a
given ``a`` the one-step forecasts are *linear* in ``(l0, w)``: their least-squares
values come in closed form (two columns), and only ``a`` is searched (bounded scalar
minimisation of the profiled squared error). ``w`` is kept in ``[0, 1]`` (``theta >= 1``).
The h-step forecast is ``l_n + w [(1 - a)^n A_n + B_n ((1 - (1 - a)^(n+1)) / a + h - 1)]``
and its variance that of SES with drift, ``sigma^2 (1 + (h - 1) a^2)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

from forecast.models.seasonal import SeasonallyAdjusted

__all__ = ["OptimizedTheta", "Theta"]

ALPHA_BOUNDS = (0.01, 0.99)
SES_BOUNDS = (1e-4, 1.0 - 1e-4)


def _ses_levels(x: np.ndarray, alpha: float) -> np.ndarray:
    """SES levels after each month, the level before the first month being ``x[0]``."""
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])[0]


def _ses_errors(x: np.ndarray, alpha: float) -> np.ndarray:
    return x[1:] - _ses_levels(x, alpha)[:-1]


def _ses_variance(sigma2: float, alpha: float, h: int) -> np.ndarray:
    return sigma2 * (1.0 + np.arange(h) * alpha**2)


class Theta(SeasonallyAdjusted):
    """The standard Theta method, as statsmodels' ``ThetaModel`` computes it (see the
    module doc); the SES constant is found here directly (below)."""

    alias = "theta"
    THETA = 2.0

    def _fit(self, x: np.ndarray, start_params: dict[str, Any] | None) -> None:
        if x.size < 4:
            raise ValueError(f"Theta needs at least 4 months, got {x.size}")
        self.alpha = float(
            minimize_scalar(
                lambda a: float(np.sum(_ses_errors(x, a) ** 2)),
                bounds=SES_BOUNDS,
                method="bounded",
                options={"xatol": 1e-7},
            ).x
        )
        t = np.arange(x.size, dtype=float)
        self.b0 = float(np.polyfit(t, x, 1)[0])
        self._refit(x)

    def _refit(self, x: np.ndarray) -> None:
        a, w = self.alpha, 1.0 - 1.0 / self.THETA
        level = _ses_levels(x, a)
        self.one_step = float(level[-1])
        self.size = x.size
        # in-sample one-step forecasts: the SES level after t months plus the drift term
        # of ThetaModelResults.forecast_components with nobs = t
        t = np.arange(1, x.size, dtype=float)
        errors = x[1:] - (level[:-1] + w * self.b0 * (1.0 - (1.0 - a) ** t) / a)
        self.sigma2 = float(np.mean(errors**2)) if errors.size else 0.0

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        a, w = self.alpha, 1.0 - 1.0 / self.THETA
        k = np.arange(h, dtype=float) + 1.0 / a - (1.0 - a) ** self.size / a
        mean = self.one_step + w * self.b0 * k
        return mean, np.sqrt(_ses_variance(self.sigma2, a, h))

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "b0": self.b0}

    def _set_params(self, params: dict[str, Any]) -> None:
        self.alpha = float(params["alpha"])
        self.b0 = float(params["b0"])


class OptimizedTheta(SeasonallyAdjusted):
    """Dynamic optimised Theta (see the module doc)."""

    alias = "dotm"

    def __init__(self) -> None:
        super().__init__()
        self.alpha = 0.5
        self.w = 0.5
        self.l0 = 0.0

    @staticmethod
    def _lines(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A_t, B_t``: least-squares intercept and slope of months ``1..t`` (t = 1..n)."""
        k = np.arange(1, x.size + 1, dtype=float)
        sy, sty = np.cumsum(x), np.cumsum(k * x)
        st, stt = k * (k + 1) / 2, k * (k + 1) * (2 * k + 1) / 6
        den = k * stt - st**2
        slope = np.divide(k * sty - st * sy, den, out=np.zeros_like(den), where=den > 0)
        return (sy - slope * st) / k, slope

    def _design(self, x: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``S_{t-1}``, ``g_t = (1-a)^(t-1)`` and ``D_t`` for months t = 1..n."""
        n = x.size
        t = np.arange(1, n + 1, dtype=float)
        s = lfilter([a], [1.0, a - 1.0], x)
        s_prev = np.r_[0.0, s[:-1]]
        g = (1.0 - a) ** (t - 1)
        a_prev = np.r_[0.0, self._a[:-1]]
        b_prev = np.r_[0.0, self._b[:-1]]
        d = a_prev * g + b_prev * (1.0 - (1.0 - a) ** t) / a
        d[0] = 0.0  # nothing before the first month
        return s_prev, g, d

    def _solve(self, x: np.ndarray, a: float) -> tuple[float, float, float]:
        """Least-squares ``(sse, l0, w)`` for smoothing ``a``, ``w`` kept in [0, 1]."""
        s_prev, g, d = self._design(x, a)
        r = x - s_prev
        gg, gd, dd = float(g @ g), float(g @ d), float(d @ d)
        gr, dr = float(g @ r), float(d @ r)
        det = gg * dd - gd * gd
        w = (gg * dr - gd * gr) / det if det > 1e-12 * gg * max(dd, 1e-300) else 0.0
        w = min(max(w, 0.0), 1.0)
        l0 = (gr - w * gd) / gg
        e = r - l0 * g - w * d
        return float(e @ e), l0, w

    def _fit(self, x: np.ndarray, start_params: dict[str, Any] | None) -> None:
        if x.size < 4:
            raise ValueError(f"optimised Theta needs at least 4 months, got {x.size}")
        self._a, self._b = self._lines(x)
        res = minimize_scalar(
            lambda a: self._solve(x, a)[0],
            bounds=ALPHA_BOUNDS,
            method="bounded",
            options={"xatol": 1e-4},
        )
        self.alpha = float(res.x)
        _, self.l0, self.w = self._solve(x, self.alpha)
        self._filter(x)

    def _refit(self, x: np.ndarray) -> None:
        self._a, self._b = self._lines(x)
        self._filter(x)

    def _filter(self, x: np.ndarray) -> None:
        a = self.alpha
        s_prev, g, d = self._design(x, a)
        e = x - s_prev - self.l0 * g - self.w * d
        self.sigma2 = float(np.mean(e**2))
        s = lfilter([a], [1.0, a - 1.0], x)
        self.level = float(s[-1] + (1.0 - a) ** x.size * self.l0)
        self.size = x.size

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        a, n = self.alpha, self.size
        k = np.arange(1, h + 1, dtype=float)
        trend = (1.0 - a) ** n * self._a[-1] + self._b[-1] * (
            (1.0 - (1.0 - a) ** (n + 1)) / a + k - 1.0
        )
        mean = self.level + self.w * trend
        return mean, np.sqrt(_ses_variance(self.sigma2, a, h))

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "w": self.w, "l0": self.l0}

    def _set_params(self, params: dict[str, Any]) -> None:
        self.alpha = float(params["alpha"])
        self.w = float(params["w"])
        self.l0 = float(params["l0"])

    @property
    def theta(self) -> float:
        return float("inf") if self.w >= 1.0 else 1.0 / (1.0 - self.w)
