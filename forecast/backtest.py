"""Rolling-origin backtest: each candidate's forecasts from several origins, and their scores.

Windows: with ``n`` months of history and the planners' horizon ``H``, the first origin
keeps at least half the history (``n // 2``, and ``MIN_TRAIN`` months) to learn from;
the backtest horizon is ``hb = min(H, n - n // 2)``; the last origin is ``hb`` months
before the end, and up to ``N_WINDOWS`` = 8 origins are spread evenly (at least a
month apart) between the first and the last. Every origin forecasts the ``hb`` months
after it from the months before it only.

At every origin the candidate is fitted afresh (a model whose parameters are not
estimated, like TSB's, may give all origins' forecasts from one pass, ``backtest``): its structure (the ETS form, the ARIMA
order, whether to adjust for seasons) is the one chosen on the whole history
(``DemandModel.frozen``), its parameters are estimated from the months before the
origin. The combination's forecast at an origin is the mean of its members'.

Scores per candidate (means over origins):

- ``mase``: mean absolute error over the test months divided by the mean absolute
  one-step change of the training months (when those never change, their mean level,
  or 1 for all zeros, so the score stays finite);
- ``cum_error``: the absolute error of the total over the test months, divided by the
  training months' mean (what a stock planner pays for: the shortfall or the excess
  over the horizon);
- ``coverage_80``: the share of test months inside the model's own 80% interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from forecast.models.base import DemandModel, Forecast

__all__ = [
    "MIN_TRAIN",
    "N_WINDOWS",
    "Score",
    "Trial",
    "Windows",
    "combine_trials",
    "guarded",
    "mase_scale",
    "plan_windows",
    "run_trial",
    "score",
]

MIN_TRAIN = 6
N_WINDOWS = 8
T = TypeVar("T")


@dataclass(frozen=True)
class Windows:
    horizon: int
    origins: tuple[int, ...]


@dataclass(frozen=True)
class Trial:
    """One candidate's backtest forecasts: ``(origins, horizon)`` arrays."""

    alias: str
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sd: np.ndarray | None


@dataclass(frozen=True)
class Score:
    alias: str
    mase: float
    coverage_80: float
    points: int
    cum_error: float = float("nan")


def plan_windows(n: int, horizon: int, n_windows: int = N_WINDOWS) -> Windows | None:
    """The backtest origins for a series of ``n`` months, or None when it is too short."""
    first = max(MIN_TRAIN, n // 2)
    hb = min(horizon, n - first)
    if hb < 1:
        return None
    last = n - hb
    step = max(1, math.ceil((last - first) / max(n_windows - 1, 1)))
    origins = tuple(sorted(range(last, first - 1, -step))[-n_windows:])
    return Windows(hb, origins)


def mase_scale(train: np.ndarray) -> float:
    if train.size > 1:
        scale = float(np.mean(np.abs(np.diff(train))))
        if scale > 0:
            return scale
    level = float(np.mean(np.abs(train))) if train.size else 0.0
    return level if level > 0 else 1.0


def level_scale(train: np.ndarray) -> float:
    level = float(np.mean(np.abs(train))) if train.size else 0.0
    return level if level > 0 else 1.0


class FitRejected(Exception):
    """A candidate failed to fit or did not converge; the reason goes to demand_models.notes."""


def guarded(alias: str, fn: Callable[[], T], notes: list[str]) -> T | None:
    """Run ``fn`` catching errors and statsmodels warnings.

    A failure or a ConvergenceWarning rejects the candidate (returns None); other
    warnings are recorded in ``notes`` and the result is kept.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as exc:
            notes.append(f"{alias}: failed ({type(exc).__name__}: {str(exc)[:80]})")
            return None
    seen: set[str] = set()
    for w in caught:
        text = str(w.message).splitlines()[0][:80]
        if issubclass(w.category, ConvergenceWarning):
            notes.append(f"{alias}: did not converge ({text})")
            return None
        if text not in seen:
            seen.add(text)
            notes.append(f"{alias}: warning ({w.category.__name__}: {text})")
    return value


def _check(f: Forecast) -> Forecast:
    if not (np.isfinite(f.mean).all() and np.isfinite(f.lo).all() and np.isfinite(f.hi).all()):
        raise FitRejected("non-finite forecast")
    return f


def run_trial(alias: str, make: Callable[[], DemandModel], y: np.ndarray, w: Windows) -> Trial:
    """Fit ``make()`` at every origin and forecast the next ``w.horizon`` months (raises
    when a fit fails)."""
    k = len(w.origins)
    mean, lo, hi = (np.full((k, w.horizon), np.nan) for _ in range(3))
    sd: np.ndarray | None = np.full((k, w.horizon), np.nan)
    quick = getattr(make(), "backtest", None)
    at = quick(y, w.origins, w.horizon) if quick is not None else None
    for i, origin in enumerate(w.origins):
        f = _check(at[i] if at is not None else make().fit(y[:origin]).predict(w.horizon))
        mean[i], lo[i], hi[i] = f.mean, f.lo, f.hi
        if f.sd is None:
            sd = None
        elif sd is not None:
            sd[i] = f.sd
    return Trial(alias, mean, lo, hi, sd)


def combine_trials(alias: str, trials: Sequence[Trial]) -> Trial:
    """The combination's backtest: the mean of its members' forecasts at each origin."""
    mean = np.mean([t.mean for t in trials], axis=0)
    if any(t.sd is None for t in trials):
        lo = np.min([t.lo for t in trials], axis=0)
        hi = np.max([t.hi for t in trials], axis=0)
        return Trial(alias, mean, lo, hi, None)
    sd = np.mean([t.sd for t in trials], axis=0)
    f = Forecast.normal(mean, sd)
    return Trial(alias, mean, f.lo, f.hi, sd)


def actuals(y: np.ndarray, w: Windows) -> np.ndarray:
    """``(origins, horizon)``: the months each origin forecasts."""
    return np.vstack([y[o : o + w.horizon] for o in w.origins])


def score(trial: Trial, y: np.ndarray, w: Windows) -> Score:
    test = actuals(y, w)
    mases, cums = [], []
    for i, origin in enumerate(w.origins):
        train = y[:origin]
        err = test[i] - np.maximum(trial.mean[i], 0.0)
        mases.append(float(np.mean(np.abs(err))) / mase_scale(train))
        cums.append(abs(float(np.sum(err))) / level_scale(train))
    inside = (test >= trial.lo - 1e-9) & (test <= trial.hi + 1e-9)
    return Score(
        trial.alias,
        float(np.mean(mases)),
        float(np.mean(inside)),
        int(test.size),
        float(np.mean(cums)),
    )
