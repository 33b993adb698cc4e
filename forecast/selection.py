"""Choosing a demand model for one series, and forecasting with it.

What each kind of history gets (the README repeats this):

- **all zeros**: the ``zero`` model: forecast, interval and paths are 0. No backtest.
- **constant** (every month the same, non-zero): ``naive``; the interval is that value
  (nothing in the history says otherwise). No backtest (the MASE scale would be 0).
- **short** (fewer than ``SHORT_MONTHS`` = 12 months): no backtest; ``naive`` for a
  series with demand in most months, ``sba`` for an intermittent one.
- **intermittent** (average interval between demands ``ADI >= 1.32``, Syntetos & Boylan's
  cut-off): candidates Croston, SBA, TSB against the baselines. ETS and ARIMA are not
  tried: they cannot win on series that are mostly zeros.
- **regular**: ETS(A,N,N), ARIMA(1,0,0); ETS(A,A,N) and ETS(A,Ad,N) when the training
  months before the first origin show a trend (a least-squares fit of a linear trend
  plus month-of-year means finds a slope with |t| > 2); seasonal ETS(A,N,A) when the
  first backtest origin has at least 30 months and those months pass a lag-12
  autocorrelation test; ETS(A,Ad,A) when both tests pass. The screens skip fits that
  cannot be expected to win (the trend models on a flat series: on the synthetic suites
  the damped trend, tried everywhere, won flat series only by a hair over ETS(A,N,N),
  and leaving it out there did not worsen the held-out MASE).
- Series under 2 years get no seasonal candidates (the rules above imply it).

Every candidate is scored by the rolling-origin backtest (``forecast.backtest``). The
baselines, ``naive`` and ``seasonal_naive`` (the latter with at least 12 months before the
first origin), are scored the same way; a candidate is chosen only if its MASE is below
the better baseline's, else that baseline is. A candidate that fails to fit or does not
converge is recorded in the notes and skipped. The winner is then fitted on the whole
history (warm-started from its backtest parameters); if that fit fails, its backtest
parameters are run over the whole history instead (noted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.backtest import Score, Windows, backtest, guarded, plan_windows
from forecast.models import (
    ARIMA,
    ETS,
    SBA,
    TSB,
    Croston,
    DemandModel,
    Forecast,
    Naive,
    SeasonalNaive,
    Zero,
)
from forecast.models.baseline import SEASON

__all__ = ["SHORT_MONTHS", "SeriesFit", "classify", "fit_series"]

SHORT_MONTHS = 12
ADI_CUTOFF = 1.32
SEASONAL_MIN_TRAIN = 30
BASELINES = ("naive", "seasonal_naive")


@dataclass
class SeriesFit:
    """The chosen model for one series and its forecast."""

    model: DemandModel
    kind: str
    forecast: Forecast
    mase: float | None = None
    coverage_80: float | None = None
    scores: dict[str, Score] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def alias(self) -> str:
        return self.model.alias

    def params(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "fitted": self.model.get_params(),
            "scores": {
                a: [round(s.mase, 6), round(s.coverage_80, 6)] for a, s in self.scores.items()
            },
        }


def classify(y: np.ndarray) -> str:
    """``zero``, ``constant``, ``short``, ``intermittent`` or ``regular``."""
    if not np.any(y > 0):
        return "zero"
    if np.all(y == y[0]):
        return "constant"
    if y.size < SHORT_MONTHS:
        return "short"
    return "intermittent" if _adi(y) >= ADI_CUTOFF else "regular"


def _adi(y: np.ndarray) -> float:
    """Average interval between demands, counted from the first demand (needs one)."""
    nz = np.flatnonzero(y > 0)
    return (y.size - nz[0]) / nz.size


def _seasonal_signal(train: np.ndarray, m: int = SEASON) -> bool:
    """Lag-m autocorrelation of the detrended series beyond its 90% bound (Bartlett)."""
    n = train.size
    if n < 2 * m + 6:
        return False
    t = np.arange(n)
    x = train - np.polyval(np.polyfit(t, train, 1), t)
    denom = float(np.dot(x, x))
    if denom <= 0:
        return False
    acf = np.array([np.dot(x[: n - k], x[k:]) / denom for k in range(1, m + 1)])
    bound = 1.645 * np.sqrt((1 + 2 * np.sum(acf[: m - 1] ** 2)) / n)
    return bool(acf[m - 1] > bound)


def _trend_signal(train: np.ndarray, m: int = SEASON) -> bool:
    """Slope t-statistic above 2 in a least-squares fit of trend plus month-of-year means."""
    n = train.size
    t = np.arange(n, dtype=float)
    x = np.column_stack([t, np.eye(m)[np.arange(n) % m]])
    coef, *_ = np.linalg.lstsq(x, train, rcond=None)
    resid = train - x @ coef
    dof = n - x.shape[1]
    if dof <= 0:
        return False
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    se = float(np.sqrt(max(cov[0, 0], 0.0)))
    return bool(se > 0 and abs(coef[0]) / se > 2.0)


def _warm_start(warm: dict[str, Any] | None, alias: str) -> dict[str, Any] | None:
    """The previous run's fitted parameters when it chose the same model, else None."""
    return warm.get("fitted") if warm and warm.get("alias") == alias else None


def _score(
    model: DemandModel,
    y: np.ndarray,
    windows: Windows,
    notes: list[str],
    warm: dict[str, Any] | None,
) -> Score | None:
    start = _warm_start(warm, model.alias)
    return guarded(model.alias, lambda: backtest(model, y, windows, start), notes)


def _final(
    model: DemandModel, y: np.ndarray, horizon: int, notes: list[str], warm: dict[str, Any] | None
) -> Forecast | None:
    # The backtest parameters, saved before the whole-history fit: a ConvergenceWarning is
    # seen only after ``fit`` has returned, by when it has overwritten them.
    saved = model.get_params() if getattr(model, "params", None) is not None else None
    start = _warm_start(warm, model.alias)
    if start is None:
        start = saved
    if guarded(model.alias, lambda: model.fit(y, start_params=start), notes) is None:
        if start is None:
            return None
        if saved is not None:
            model.set_params(saved)
        if guarded(model.alias, lambda: model.refit(y), notes) is None:
            return None
        notes.append(f"{model.alias}: whole-history fit failed; kept its backtest parameters")
    return guarded(model.alias, lambda: model.predict(horizon), notes)


def fit_series(y: np.ndarray, horizon: int, warm: dict[str, Any] | None = None) -> SeriesFit:
    """Classify, backtest the candidates, choose, and forecast ``horizon`` months.

    ``warm``: the previous run's choice for this series, ``{"alias", "fitted"}``; its
    parameters start the optimiser when the same model is fitted again.
    """
    y = np.asarray(y, dtype=float)
    kind = classify(y)
    notes: list[str] = []
    if kind == "zero":
        return SeriesFit(Zero().fit(y), kind, Zero().predict(horizon))
    if kind == "constant":
        m = Naive().fit(y)
        return SeriesFit(m, kind, m.predict(horizon))
    windows = plan_windows(y.size, horizon)
    if kind == "short" or windows is None:
        m = SBA().fit(y) if _adi(y) >= ADI_CUTOFF else Naive().fit(y)
        notes.append(f"short history ({y.size} months): no backtest")
        return SeriesFit(m, "short", m.predict(horizon), notes=notes)

    scores: dict[str, Score] = {}
    fitted: dict[str, DemandModel] = {}

    def run(model: DemandModel) -> Score | None:
        s = _score(model, y, windows, notes, warm)
        if s is not None:
            scores[model.alias] = s
            fitted[model.alias] = model
        return s

    run(Naive())
    if windows.origins[0] >= SEASON:
        run(SeasonalNaive())
    if kind == "intermittent":
        for model in (Croston(), SBA(), TSB()):
            run(model)
    else:
        first = windows.origins[0]
        trend = _trend_signal(y[:first])
        run(ETS())
        if trend:
            run(ETS("add"))
            run(ETS("add", damped=True))
        run(ARIMA())
        if first >= SEASONAL_MIN_TRAIN and _seasonal_signal(y[:first]):
            run(ETS(seasonal=True))
            if trend:
                run(ETS("add", damped=True, seasonal=True))

    baseline = min((scores[a] for a in BASELINES if a in scores), key=lambda s: s.mase)
    ranked = sorted(
        (s for a, s in scores.items() if a not in BASELINES and s.mase < baseline.mase),
        key=lambda s: s.mase,
    )
    for s in [*ranked, baseline]:
        model = fitted[s.alias]
        f = _final(model, y, horizon, notes, warm)
        if f is not None:
            return SeriesFit(model, kind, f, s.mase, s.coverage_80, scores, notes)
    m = Naive().fit(y)  # every candidate failed at the final fit: the plain baseline
    notes.append("all candidates failed the whole-history fit: naive")
    return SeriesFit(m, kind, m.predict(horizon), notes=notes, scores=scores)
