"""Choosing a demand model for one series, and forecasting with it.

What each kind of history gets (the README repeats this):

- **all zeros**: the ``zero`` model: forecast, interval and paths are 0. No backtest.
- **constant** (every month the same, non-zero): ``naive``; the interval is that value
  (nothing in the history says otherwise). No backtest (the MASE scale would be 0).
- **short** (fewer than ``SHORT_MONTHS`` = 12 months): no backtest; ``naive`` for a
  series with demand in most months, ``sba`` for an intermittent one.
- **intermittent** (average interval between demands ``ADI >= 1.32``, Syntetos & Boylan's
  cut-off) and **regular**: the candidates of ``forecast.candidates.CANDIDATES`` that
  apply to the kind and the series.

Steps for the last two kinds:

1. Every candidate is fitted on the **whole history**, which also fixes its structure:
   the ETS form with the least AICc, the ARIMA order, whether to adjust for seasons. A
   candidate that fails or warns of non-convergence is recorded in the notes and
   dropped. A combination is built from its fitted members.
2. The **rolling-origin backtest** (``forecast.backtest``) fits each candidate's
   structure again at every origin, on the months before it only, and scores it.
3. The **choice** (the table's roles and margins): the default unless another candidate
   is clearly better; the chosen model's whole-history fit forecasts. A forecast that
   reaches zero is passed over (the history has demand), for the next in the order.
4. Its backtest errors, standardised, give the calibrated 80% interval per horizon step
   (``forecast.calibration``): here from the series' own errors; ``forecast.demand``
   pools them over similar series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.backtest import (
    Score,
    Trial,
    Windows,
    combine_trials,
    guarded,
    mase_scale,
    plan_windows,
    run_trial,
    score,
)
from forecast.calibration import RATIO, SCALED, Table, build_table, group_keys, standardised_errors
from forecast.candidates import CANDIDATES, MARGINS, SCORE_BY, Candidate, SeriesInfo, trend_signal
from forecast.models import SBA, Combination, DemandModel, Forecast, Naive, Zero

__all__ = ["SHORT_MONTHS", "SeriesFit", "classify", "fit_series"]

SHORT_MONTHS = 12
ADI_CUTOFF = 1.32


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
    candidate: str | None = None
    errors: np.ndarray | None = None
    """Standardised backtest errors of the chosen model, ``(origins, horizon)``."""
    error_kind: str | None = None
    groups: tuple[str, ...] = ()
    analytic: Forecast | None = None
    """The chosen model's own forecast and interval, before calibration."""
    calibration: Table | None = None
    scale: float = 1.0
    """The series' mean absolute monthly change (the calibration's scale)."""

    @property
    def alias(self) -> str:
        return self.model.alias

    def calibrate(self, table: Table | None) -> None:
        """Put the interval of ``table`` around the model's own forecast."""
        if table is None or self.analytic is None or self.errors is None:
            return
        if table.kind != self.error_kind:
            return
        self.calibration = table
        self.forecast = table.apply(self.analytic, self.scale)
        inside, total = table.covered(self.errors)
        self.coverage_80 = inside / total if total else None

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "candidate": self.candidate,
            "fitted": self.model.get_params(),
            "scores": {
                a: [round(s.mase, 6), round(s.coverage_80, 6), round(s.cum_error, 6)]
                for a, s in self.scores.items()
            },
        }
        if self.groups:
            out["groups"] = list(self.groups)
        if self.calibration is not None:
            out["calibration"] = self.calibration.to_json()
            out["scale"] = self.scale
        return out


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


def describe(y: np.ndarray, kind: str) -> SeriesInfo:
    return SeriesInfo(
        n=int(y.size),
        kind=kind,
        positive=bool(np.all(y > 0)),
        trend=kind == "regular" and trend_signal(y),
        adi=_adi(y),
    )


def _warm_starts(
    warm: dict[str, Any] | None, rows: Sequence[Candidate]
) -> dict[str, dict[str, Any]]:
    """The previous run's fitted parameters by candidate: its choice's, or its members'
    when it chose a combination."""
    if not warm or not warm.get("candidate") or not warm.get("fitted"):
        return {}
    out = {warm["candidate"]: warm["fitted"]}
    for c in rows:
        if c.alias == warm["candidate"] and c.members:
            for alias, spec in zip(c.members, warm["fitted"].get("members", ()), strict=False):
                out[alias] = spec.get("fitted")
    return out


def _choose(scores: dict[str, Score], table: Sequence[Candidate], metric: str) -> list[str]:
    """Candidates in the order to try: the choice first (see ``forecast.candidates``)."""
    value = {a: getattr(s, metric) for a, s in scores.items() if np.isfinite(getattr(s, metric))}
    if not value:
        return []
    ranked = sorted(value, key=lambda a: value[a])
    role = {c.alias: c.role for c in table}
    default = next((a for a in ranked if role.get(a) == "default"), None)
    if default is None:
        return ranked
    clear = [a for a in ranked if value[a] < (1.0 - MARGINS[role[a]]) * value[default]]
    return [*clear[:1], default, *(a for a in ranked if a != default and a not in clear[:1])]


def fit_series(
    y: np.ndarray,
    horizon: int,
    warm: dict[str, Any] | None = None,
    candidates: Sequence[Candidate] = CANDIDATES,
    calibrate: bool = True,
) -> SeriesFit:
    """Classify, fit and backtest the candidates, choose, forecast ``horizon`` months.

    ``warm``: the previous run's choice for this series, ``{"candidate", "fitted"}``; its
    parameters start the optimiser when the same candidate is fitted again.
    ``calibrate``: put the interval calibrated on the series' own backtest errors on the
    forecast (``forecast.demand`` calibrates on the run's pooled errors instead).
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

    info = describe(y, kind)
    rows = [c for c in candidates if c.applies(info)]
    fitted = _fit_whole(y, rows, notes, warm)
    trials = _backtest(y, windows, rows, fitted, notes)
    scores = {a: score(t, y, windows) for a, t in trials.items()}
    order = _choose(scores, rows, SCORE_BY[kind])
    forecasts: dict[str, Forecast] = {}
    for alias in order:
        f = guarded(alias, lambda alias=alias: fitted[alias].predict(horizon), notes)
        if f is None:
            continue
        forecasts[alias] = f
        if np.min(f.mean) <= 0:  # the history has demand (kind is not "zero")
            notes.append(f"{alias}: forecast reaches zero; not chosen")
            continue
        fit = _chosen(fitted[alias], alias, f, kind, info, scores, trials, y, windows, notes)
        if calibrate:
            fit.calibrate(build_table(fit.error_kind, [fit.errors]))
        return fit
    if forecasts:  # every forecast reaches zero: the first in the order after all
        alias = next(a for a in order if a in forecasts)
        fit = _chosen(
            fitted[alias], alias, forecasts[alias], kind, info, scores, trials, y, windows, notes
        )
        if calibrate:
            fit.calibrate(build_table(fit.error_kind, [fit.errors]))
        return fit
    fallback = SBA().fit(y) if kind == "intermittent" else Naive().fit(y)
    notes.append(f"every candidate failed: {fallback.alias}")
    return SeriesFit(fallback, kind, fallback.predict(horizon), notes=notes, scores=scores)


def _chosen(
    model: DemandModel,
    alias: str,
    f: Forecast,
    kind: str,
    info: SeriesInfo,
    scores: dict[str, Score],
    trials: dict[str, Trial],
    y: np.ndarray,
    windows: Windows,
    notes: list[str],
) -> SeriesFit:
    error_kind = SCALED if kind == "regular" else RATIO
    errors = standardised_errors(trials[alias], y, windows, error_kind)
    s = scores[alias]
    fit = SeriesFit(
        model,
        kind,
        f,
        s.mase,
        s.coverage_80,
        scores,
        notes,
        candidate=alias,
        errors=errors,
        error_kind=error_kind,
        groups=group_keys(kind, info.adi),
        analytic=f,
        scale=mase_scale(y),
    )
    return fit


def _fit_whole(
    y: np.ndarray, rows: Sequence[Candidate], notes: list[str], warm: dict[str, Any] | None
) -> dict[str, DemandModel]:
    fitted: dict[str, DemandModel] = {}
    starts = _warm_starts(warm, rows)
    for c in rows:
        if c.members:
            continue
        start = starts.get(c.alias)
        m = guarded(c.alias, lambda c=c, start=start: c.make().fit(y, start_params=start), notes)
        if m is not None:
            fitted[c.alias] = m
    for c in rows:
        if c.members and all(a in fitted for a in c.members):
            fitted[c.alias] = Combination([fitted[a] for a in c.members])
    return fitted


def _backtest(
    y: np.ndarray,
    windows: Windows,
    rows: Sequence[Candidate],
    fitted: dict[str, DemandModel],
    notes: list[str],
) -> dict[str, Trial]:
    trials: dict[str, Trial] = {}
    for c in rows:
        if c.members or c.alias not in fitted:
            continue
        model = fitted[c.alias]
        t = guarded(c.alias, lambda c=c, m=model: run_trial(c.alias, m.frozen, y, windows), notes)
        if t is not None:
            trials[c.alias] = t
    for c in rows:
        if c.members and c.alias in fitted and all(a in trials for a in c.members):
            trials[c.alias] = combine_trials(c.alias, [trials[a] for a in c.members])
    return trials
