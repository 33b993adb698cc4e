"""Small ARIMAs: AR(1) with a mean, and ARIMA(p,1,0) with drift for trending series.

AR(1) with a mean, ``y_t - mu = phi (y_{t-1} - mu) + e_t``.

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

from typing import Any, ClassVar, Self

import numpy as np
from statsmodels.regression.linear_model import yule_walker
from statsmodels.tsa.arima.model import ARIMA as StatsmodelsARIMA

from forecast.models.base import Z80, DemandModel, Forecast
from forecast.models.seasonal import SeasonallyAdjusted

__all__ = ["ARIMA", "ARIMADrift"]

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
        sd = np.sqrt(var)
        return Forecast(mean, mean - Z80 * sd, mean + Z80 * sd, sd=sd).clipped()

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


class ARIMADrift(SeasonallyAdjusted):
    """ARIMA(p,1,0) with drift on the seasonally adjusted series, p in 0..2 by AICc.

    For a series with a trend, in place of AR(1) with a mean (which pulls a rising series
    back to its past average): the monthly changes ``d_t = x_t - x_{t-1}`` follow an AR(p)
    around a mean ``mu`` (the drift), ``d_t - mu = sum_j phi_j (d_{t-j} - mu) + e_t``.
    Estimated by least squares on the changes (closed form; the orders are compared on
    the same months), keeping only stationary fits. The forecast adds the forecast
    changes to the last month; its variance is ``sigma^2 sum_{j<h} Psi_j^2`` with ``Psi``
    the cumulated AR psi-weights: statsmodels' ``ARIMA(order=(p,1,0), trend="t")`` with
    the same parameters gives the same mean and interval.
    """

    MAX_P = 2
    ALIASES: ClassVar[dict[str, int]] = {f"ARIMA({p},1,0) drift": p for p in range(MAX_P + 1)}

    def __init__(self, p: int | None = None) -> None:
        super().__init__()
        self.p = p  # None: chosen by AICc at fit
        self.mu = 0.0
        self.phi = np.zeros(0)
        self.sigma2 = 0.0
        self._name()

    def _fresh(self) -> ARIMADrift:
        return ARIMADrift(self.p)

    def _name(self) -> None:
        self.alias = f"ARIMA({self.p if self.p is not None else 'p'},1,0) drift"

    @staticmethod
    def _stationary(phi: np.ndarray) -> bool:
        if phi.size == 0:
            return True
        roots = np.roots(np.r_[-phi[::-1], 1.0])
        return bool(np.all(np.abs(roots) > 1.0 + 1e-6))

    def _ols(self, d: np.ndarray, p: int, first: int) -> tuple[float, np.ndarray, float]:
        target = d[first:]
        cols = [np.ones(target.size)] + [d[first - j : d.size - j] for j in range(1, p + 1)]
        x = np.column_stack(cols)
        coef, *_ = np.linalg.lstsq(x, target, rcond=None)
        resid = target - x @ coef
        phi = coef[1:]
        mu = float(coef[0] / (1.0 - phi.sum())) if phi.size else float(coef[0])
        return mu, phi, float(resid @ resid) / target.size

    def _fit(self, x: np.ndarray, start_params: dict[str, Any] | None) -> None:
        d = np.diff(x)
        if d.size < self.MAX_P + 4:
            raise ValueError(f"ARIMA with drift needs at least {self.MAX_P + 5} months")
        orders = [self.p] if self.p is not None else list(range(self.MAX_P + 1))
        best: tuple[float, int, float, np.ndarray, float] | None = None
        m = d.size - self.MAX_P
        for p in orders:
            mu, phi, s2 = self._ols(d, p, self.MAX_P)
            if not self._stationary(phi) or not np.isfinite(s2):
                continue
            k = p + 2
            aicc = m * np.log(max(s2, 1e-300)) + 2 * k + 2 * k * (k + 1) / max(m - k - 1, 1)
            if best is None or aicc < best[0]:
                best = (aicc, p, mu, phi, s2)
        if best is None:
            raise ValueError("no stationary AR fit to the monthly changes")
        _, self.p, self.mu, self.phi, self.sigma2 = best
        self._name()
        self._refit(x)

    def _refit(self, x: np.ndarray) -> None:
        self.last = float(x[-1])
        d = np.diff(x)
        self.recent = d[d.size - self.phi.size :] if self.phi.size else np.zeros(0)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        p = self.phi.size
        hist = list(self.recent - self.mu)
        changes = np.empty(h)
        for k in range(h):
            v = sum(self.phi[j] * hist[-1 - j] for j in range(p)) if p else 0.0
            hist.append(v)
            changes[k] = self.mu + v
        psi = np.zeros(h)
        psi[0] = 1.0
        for j in range(1, h):
            psi[j] = sum(self.phi[i] * psi[j - 1 - i] for i in range(min(p, j)))
        big_psi = np.cumsum(psi)
        var = self.sigma2 * np.cumsum(big_psi**2)
        return self.last + np.cumsum(changes), np.sqrt(var)

    def _params(self) -> dict[str, Any]:
        return {"p": self.p, "mu": self.mu, "phi": self.phi.tolist(), "sigma2": self.sigma2}

    def _set_params(self, params: dict[str, Any]) -> None:
        self.p = int(params["p"])
        self.mu = float(params["mu"])
        self.phi = np.asarray(params["phi"], dtype=float)
        self.sigma2 = float(params["sigma2"])
        self._name()
