"""The demand-model candidates, as a table the selection reads (``forecast.selection``).

Each row: the candidate's name, how to make the model, the kinds of series it applies to
(``regular``, ``intermittent``), a condition on the series, its role in the choice, and
for a combination the candidates it averages. Adding a model is adding a row; the
selection has no model names in it.

Roles: the ``default`` (a combination) is chosen unless another candidate's backtest
score is better by a clear margin, ``MARGINS[role]`` (a share of the default's score): a
near-tie keeps the default, the more robust choice on months the backtest has not seen
(on the M1 development series, choosing the best backtest score outright gave a held-out
sMAPE of 18.3 against the combination's 15.2). The ARIMAs (``extrapolating``: a drift or
a pull to the mean carried over the whole horizon) and the ``baseline`` rows (naive,
seasonal naive) need a larger margin than the smoothing models. A candidate whose
forecast reaches zero for a series with demand is not chosen (``forecast.selection``).
Regular series are scored by MASE, intermittent ones by the error of their cumulative
demand over the backtest horizon (``SCORE_BY``); MASE is still reported for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecast.models import (
    ADIDA,
    ARIMA,
    IMAPA,
    SBA,
    TSB,
    ARIMADrift,
    AutoETS,
    Combination,
    DemandModel,
    Naive,
    OptimizedTheta,
    SeasonalNaive,
    Theta,
)
from forecast.models.baseline import SEASON

__all__ = ["CANDIDATES", "MARGINS", "SCORE_BY", "Candidate", "SeriesInfo", "trend_signal"]

REGULAR, INTERMITTENT = frozenset({"regular"}), frozenset({"intermittent"})
MARGINS = {"default": 0.0, "candidate": 0.20, "extrapolating": 0.30, "baseline": 0.30}
SCORE_BY = {"regular": "mase", "intermittent": "cum_error"}


@dataclass(frozen=True)
class SeriesInfo:
    """What the candidates' conditions may ask about a series (its whole history)."""

    n: int
    kind: str
    positive: bool
    trend: bool
    adi: float


@dataclass(frozen=True)
class Candidate:
    alias: str
    make: Callable[[], DemandModel]
    kinds: frozenset[str]
    when: Callable[[SeriesInfo], bool] = lambda s: True
    role: str = "candidate"
    members: tuple[str, ...] = ()

    def applies(self, info: SeriesInfo) -> bool:
        return info.kind in self.kinds and self.when(info)


def trend_signal(y: np.ndarray, m: int = SEASON) -> bool:
    """Slope t-statistic above 2 in a least-squares fit of trend plus month-of-year means."""
    n = y.size
    t = np.arange(n, dtype=float)
    x = np.column_stack([t, np.eye(m)[np.arange(n) % m]])
    dof = n - np.linalg.matrix_rank(x)
    if dof <= 0:
        return False
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    se = float(np.sqrt(max(cov[0, 0], 0.0)))
    return bool(se > 0 and abs(coef[0]) / se > 2.0)


CANDIDATES: tuple[Candidate, ...] = (
    # regular series
    Candidate("comb", Combination, REGULAR, role="default", members=("ets", "theta", "damped")),
    Candidate("ets", AutoETS, REGULAR),
    Candidate("damped", lambda: AutoETS(damped=True), REGULAR),
    Candidate("theta", Theta, REGULAR),
    Candidate("dotm", OptimizedTheta, REGULAR),
    Candidate("arima_drift", ARIMADrift, REGULAR, when=lambda s: s.trend, role="extrapolating"),
    Candidate("ar1", ARIMA, REGULAR, when=lambda s: not s.trend, role="extrapolating"),
    Candidate("naive", Naive, REGULAR, role="baseline"),
    Candidate(
        "seasonal_naive", SeasonalNaive, REGULAR, when=lambda s: s.n >= 2 * SEASON, role="baseline"
    ),
    # intermittent series: never naive or zero (they would forecast the last month)
    Candidate(
        "intermittent_comb",
        Combination,
        INTERMITTENT,
        role="default",
        members=("tsb", "imapa", "adida"),
    ),
    Candidate("sba", SBA, INTERMITTENT),
    Candidate("tsb", TSB, INTERMITTENT),
    Candidate("adida", ADIDA, INTERMITTENT),
    Candidate("imapa", IMAPA, INTERMITTENT),
)
