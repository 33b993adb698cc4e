"""Rolling-origin backtest: MASE and 80% interval coverage of a model on one series.

Windows: with ``n`` months of history and the planners' horizon ``H``, the backtest
horizon is ``hb = min(H, n // 3)`` (a third of the history at most, so the first origin
still has two thirds to learn from) and there are up to three origins, ``step = max(1,
hb // 3)`` apart, the last one ``hb`` months before the end: ``n - hb - 2*step``,
``n - hb - step``, ``n - hb``. Each origin forecasts the next ``hb`` months (cut at the end
of the history) from the months before it only. Origins with fewer than ``MIN_TRAIN``
months before them are dropped.

Speed without peeking: a model's parameters are estimated once, at the first origin;
at the later origins the same parameters are run over the longer history (``refit``, a
filter pass, no optimisation). Nothing the model sees at an origin comes from after it.

MASE at an origin is the mean absolute error over the test months divided by the mean
absolute one-step change of the training months (the in-sample naive error); the
series' score is the mean over origins. When the training months never change, the
scale is their mean level (or 1 for all zeros) so the score stays finite.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from forecast.models.base import DemandModel, Forecast

__all__ = [
    "MIN_TRAIN",
    "N_WINDOWS",
    "Score",
    "Windows",
    "backtest",
    "guarded",
    "plan_windows",
]

MIN_TRAIN = 6
N_WINDOWS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Windows:
    horizon: int
    origins: tuple[int, ...]


@dataclass(frozen=True)
class Score:
    alias: str
    mase: float
    coverage_80: float
    points: int


def plan_windows(n: int, horizon: int, n_windows: int = N_WINDOWS) -> Windows | None:
    """The backtest origins for a series of ``n`` months, or None when it is too short."""
    hb = min(horizon, n // 3)
    if hb < 1:
        return None
    step = max(1, hb // 3)
    origins = tuple(
        o for o in (n - hb - step * k for k in range(n_windows - 1, -1, -1)) if o >= MIN_TRAIN
    )
    return Windows(hb, origins) if origins else None


def mase_scale(train: np.ndarray) -> float:
    if train.size > 1:
        scale = float(np.mean(np.abs(np.diff(train))))
        if scale > 0:
            return scale
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


def backtest(
    model: DemandModel,
    y: np.ndarray,
    windows: Windows,
    start_params: dict[str, Any] | None = None,
) -> Score:
    """Score ``model`` on ``y`` over the windows (raises when a fit fails)."""
    mases: list[float] = []
    covered = points = 0
    for k, origin in enumerate(windows.origins):
        train = y[:origin]
        test = y[origin : origin + windows.horizon]
        if k == 0:
            model.fit(train, start_params=start_params)
        else:
            model.refit(train)
        f = _check(model.predict(test.size))
        mases.append(float(np.mean(np.abs(test - f.mean))) / mase_scale(train))
        covered += int(np.sum((test >= f.lo - 1e-9) & (test <= f.hi + 1e-9)))
        points += test.size
    return Score(model.alias, float(np.mean(mases)), covered / points, points)
