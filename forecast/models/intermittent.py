"""Croston, SBA, TSB, ADIDA and IMAPA for intermittent demand (many zero months: missile firings).

statsmodels has none of them, so they are written here. Each keeps a demand size ``z``
(smoothed over non-zero months) and either a smoothed interval between demands ``p``
(Croston: forecast ``z / p``; SBA: ``(1 - alpha / 2) * z / p``, Syntetos & Boylan's bias
correction) or a smoothed probability of demand ``d`` updated every month (TSB, Teunter,
Syntetos & Babai 2011: forecast ``d * z``, which decays when demand stops).

The smoothing constants are chosen from a small grid by the one-step-ahead squared error
over the history. The forecasts are flat. Their intervals are empirical: the P10 and P90 of
the one-step-ahead errors over the history, each forecast made only from the months before
it (a one-step rolling backtest), added to the forecast and cut at zero. Sample paths
bootstrap the same errors around the forecast, cut at zero. P50 is the forecast plus
the median error (often 0 for sparse series, below the mean).

ADIDA and IMAPA (temporal aggregation) smooth totals over buckets of several months
instead, which the zeros disturb less; see :class:`_Aggregated`. Every one of these
forecasts is positive for a history with any demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy.signal import lfilter

from forecast.models.base import Q_HI, Q_LO, DemandModel, Forecast

__all__ = ["ADIDA", "IMAPA", "SBA", "TSB", "Croston"]

ALPHAS = (0.05, 0.1, 0.2, 0.3)
BETAS = (0.05, 0.1, 0.2, 0.3)
TSB_ALPHA = TSB_BETA = SBA_ALPHA = 0.1
SES_GRID = (0.1, 0.15, 0.2, 0.25, 0.3)
MAX_LEVEL = 12
MIN_BUCKETS = 4


def _smooth(x: np.ndarray, alpha: float, start: float) -> np.ndarray:
    """``s_j = s_(j-1) + alpha (x_j - s_(j-1))`` from ``s_(-1) = start``, for each j."""
    if x.size == 0:
        return x.astype(float)
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * start])[0]


def _croston_path(y: np.ndarray, alpha: float) -> np.ndarray:
    """One-step forecasts ``f[t]`` of month t from the months before it (``f[n]``: the
    next month); NaN up to the first demand.

    The size ``z`` and the interval ``p`` are smoothed only at demand months, so they
    are two exponential smoothings over the demands alone (a filter each), started at the
    first demand (``z`` = its size, ``p`` = its month + 1), held between demands."""
    f = np.full(y.size + 1, np.nan)
    nz = np.flatnonzero(y > 0)
    if nz.size == 0:
        f[:] = 0.0
        return f
    z = _held(y, nz, _sizes(y, nz, alpha))
    gaps = np.diff(nz).astype(float)
    p = np.empty(nz.size)
    p[0] = nz[0] + 1.0
    p[1:] = _smooth(gaps, alpha, p[0])
    f[nz[0] + 1 :] = z / _held(y, nz, np.maximum(p, 1.0))
    return f


def _sizes(y: np.ndarray, nz: np.ndarray, alpha: float) -> np.ndarray:
    """Smoothed demand size after each demand (started at the first one's size)."""
    sizes = y[nz]
    z = np.empty(nz.size)
    z[0] = sizes[0]
    z[1:] = _smooth(sizes[1:], alpha, sizes[0])
    return z


def _held(y: np.ndarray, nz: np.ndarray, at_demands: np.ndarray) -> np.ndarray:
    """Values set at each demand month, held until the next: months first..n-1."""
    return np.repeat(at_demands, np.diff(nz, append=y.size))


def _tsb_path(y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """One-step forecasts like :func:`_croston_path`; the probability of demand ``d`` is
    smoothed every month (from ``1 / (first demand's month + 1)``), the size at demands."""
    f = np.full(y.size + 1, np.nan)
    nz = np.flatnonzero(y > 0)
    if nz.size == 0:
        f[:] = 0.0
        return f
    f[nz[0] + 1 :] = _probability(y, nz, beta) * _held(y, nz, _sizes(y, nz, alpha))
    return f


def _probability(y: np.ndarray, nz: np.ndarray, beta: float) -> np.ndarray:
    """TSB's smoothed probability of demand after each month from the first demand on."""
    first = int(nz[0])
    d = np.empty(y.size - first)
    d[0] = 1.0 / (first + 1)
    d[1:] = _smooth((y[first + 1 :] > 0).astype(float), beta, d[0])
    return d


def _quantiles(s: np.ndarray) -> tuple[float, float, float]:
    """P10, P50, P90 of sorted values (linear interpolation, as ``np.quantile``)."""
    pos = np.array([Q_LO, 0.5, Q_HI]) * (s.size - 1)
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, s.size - 1)
    v = s[low] + (pos - low) * (s[high] - s[low])
    return float(v[0]), float(v[1]), float(v[2])


class _Intermittent(DemandModel):
    def __init__(self) -> None:
        self.alpha = 0.1
        self.beta = 0.1
        self._fixed = False

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        raise NotImplementedError

    def _grid(self) -> list[tuple[float, float]]:
        return [(a, 0.0) for a in ALPHAS]

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        best = None
        for alpha, beta in self._grid():
            f = self._path(y, alpha, beta)
            err = y - f[:-1]
            score = float(np.nanmean(err**2)) if np.isfinite(err).any() else np.inf
            if best is None or score < best[0]:
                best = (score, alpha, beta)
        assert best is not None
        _, self.alpha, self.beta = best
        return self._apply(y)

    def _apply(self, y: np.ndarray) -> Self:
        f = self._path(y, self.alpha, self.beta)
        self.level = float(f[-1])
        errors = y - f[:-1]
        self.errors = errors[np.isfinite(errors)]
        if self.errors.size == 0:
            self.errors = np.zeros(1)
        self.q_lo, self.q_mid, self.q_hi = _quantiles(np.sort(self.errors))
        return self

    def backtest(self, y: np.ndarray, origins: Sequence[int], h: int) -> list[Forecast] | None:
        """With parameters that are not estimated (``_grid`` has one pair), the forecast
        from the months before an origin is the one-step path over the whole history at
        that origin (each step uses only the months before it): one pass for all origins."""
        if len(self._grid()) != 1:
            return None
        y = np.asarray(y, dtype=float)
        self.alpha, self.beta = self._grid()[0]
        f = self._path(y, self.alpha, self.beta)
        errors = y - f[:-1]
        out = []
        for o in origins:
            e = errors[:o]
            e = np.sort(e[np.isfinite(e)]) if np.isfinite(e).any() else np.zeros(1)
            lo, mid, hi = _quantiles(e)
            level = float(f[o]) if np.isfinite(f[o]) else 0.0
            mean = np.full(h, level)
            out.append(Forecast(mean, mean + lo, mean + hi, mean + mid).clipped())
        return out

    def refit(self, y: np.ndarray) -> Self:
        return self._apply(np.asarray(y, dtype=float))

    def predict(self, h: int) -> Forecast:
        mean = np.full(h, self.level)
        return Forecast(mean, mean + self.q_lo, mean + self.q_hi, mean + self.q_mid).clipped()

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.maximum(self.level + rng.choice(self.errors, size=(n, h)), 0.0)

    def get_params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta}

    def set_params(self, params: dict[str, Any]) -> None:
        self.alpha = float(params["alpha"])
        self.beta = float(params.get("beta", 0.0))


class Croston(_Intermittent):
    alias = "croston"

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return _croston_path(y, alpha)


class SBA(_Intermittent):
    """SBA with the smoothing constant ``SBA_ALPHA`` = 0.1, not fitted (as TSB's)."""

    alias = "sba"

    def _grid(self) -> list[tuple[float, float]]:
        return [(SBA_ALPHA, 0.0)]

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return (1.0 - alpha / 2.0) * _croston_path(y, alpha)


class TSB(_Intermittent):
    """TSB with both smoothing constants at ``TSB_ALPHA`` = ``TSB_BETA`` = 0.1: not fitted,
    as the one-step squared error picks constants that forecast the cumulative demand
    worse (on the generated development series: 7.57 units a year off with fitted
    constants, 7.35 with 0.1 and 0.1), and the decay of the probability of demand
    should not follow the last few months' noise."""

    alias = "tsb"

    def _grid(self) -> list[tuple[float, float]]:
        return [(TSB_ALPHA, TSB_BETA)]

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return _tsb_path(y, alpha, beta)


def _ses_level(z: np.ndarray, alpha: float) -> np.ndarray:
    """SES levels after each value, started at the first value: ``l_t`` for t = 0..n-1."""
    return lfilter([alpha], [1.0, alpha - 1.0], z, zi=[(1.0 - alpha) * z[0]])[0]


def _ses_alpha(z: np.ndarray) -> float:
    """The smoothing constant of ``SES_GRID`` with the least one-step squared error.

    All constants at once: with ``q = 1 - a`` and the level started at ``z_0``,
    ``l_t = q^t (z_0 + a sum_{s=1..t} z_s q^(-s))``, sums of non-negative terms (no
    cancellation); ``q^(-t)`` stays far from overflow for the series lengths here."""
    if z.size < 3:
        return 0.1
    a = np.asarray(SES_GRID)[:, None]
    q = 1.0 - a
    t = np.arange(z.size)
    if z.size > 400:  # q^(-t) would grow too large: one filter per constant
        return min(SES_GRID, key=lambda v: float(np.sum((z[1:] - _ses_level(z, v)[:-1]) ** 2)))
    sums = np.cumsum(z * q ** (-t), axis=1)
    level = q**t * (z[0] + a * (sums - z[0]))
    sse = np.sum((z[1:] - level[:, :-1]) ** 2, axis=1)
    return float(SES_GRID[int(np.argmin(sse))])


def _buckets(y: np.ndarray, k: int) -> np.ndarray:
    """Totals of non-overlapping ``k``-month buckets, aligned to end at the last month."""
    m = y.size // k
    return y[y.size - m * k :].reshape(m, k).sum(axis=1)


class _Aggregated(_Intermittent):
    """Temporal aggregation (ADIDA, IMAPA): SES on ``k``-month totals, divided by ``k``.

    The aggregation levels come from the average interval between demands at ``fit``:
    the mean of the intervals that end in a demand, counted from the start of the
    history (``(last demand's month + 1) / demands``, as the published methods and
    statsforecast count it; months after the last demand do not set the level), rounded,
    at most ``MAX_LEVEL`` and leaving at least ``MIN_BUCKETS`` buckets. Each level's SES
    constant is the one of ``SES_GRID`` with the least one-step squared error: 0.1 to
    0.3, the range recommended for intermittent demand and statsforecast's bounds (with
    constants down to 0.01 allowed, the one-step error picked near-constant levels that
    forecast the cumulative demand worse). ``refit`` keeps levels and constants. The in-sample path (for the empirical interval) gives
    each month the forecast made at the end of the previous bucket.
    """

    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = [1]
        self.alphas: list[float] = [0.1]

    def _candidate_levels(self, k: int) -> list[int]:
        raise NotImplementedError

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        y = np.asarray(y, dtype=float)
        nz = np.flatnonzero(y > 0)
        adi = (nz[-1] + 1) / nz.size if nz.size else 1.0
        k_max = max(1, min(MAX_LEVEL, round(adi), y.size // MIN_BUCKETS))
        self.levels = self._candidate_levels(k_max)
        self.alphas = [_ses_alpha(_buckets(y, k)) for k in self.levels]
        return self._apply(y)

    def _path(self, y: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        paths = []
        for k, a in zip(self.levels, self.alphas, strict=True):
            z = _buckets(y, k)
            f = np.full(y.size + 1, np.nan)
            if z.size:
                # the months of bucket j + 1 get the level after bucket j (per month)
                first = y.size - z.size * k + k
                f[first:] = np.repeat(_ses_level(z, a) / k, k)[: y.size + 1 - first]
            paths.append(f)
        return np.mean(paths, axis=0)  # NaN where any level has no forecast yet

    def get_params(self) -> dict[str, Any]:
        return {"levels": list(self.levels), "alphas": list(self.alphas)}

    def set_params(self, params: dict[str, Any]) -> None:
        self.levels = [int(k) for k in params["levels"]]
        self.alphas = [float(a) for a in params["alphas"]]


class ADIDA(_Aggregated):
    """Aggregate-disaggregate intermittent demand approach (Nikolopoulos et al. 2011): one
    level, the average interval between demands."""

    alias = "adida"

    def _candidate_levels(self, k: int) -> list[int]:
        return [k]


class IMAPA(_Aggregated):
    """Intermittent multiple aggregation prediction algorithm (Petropoulos & Kourentzes
    2015): every level from 1 month to the average interval between demands, the
    forecasts averaged."""

    alias = "imapa"

    def _candidate_levels(self, k: int) -> list[int]:
        return list(range(1, k + 1))
