"""80% intervals calibrated per horizon step on backtest errors (split conformal), and
sample paths that agree with them.

A model's own interval assumes the model is right; on real series it is too narrow far
ahead (the issue measured 69% coverage 18 months ahead). Here the interval of step ``h``
comes from the errors the chosen model actually made ``h`` months ahead in the
rolling-origin backtest (``forecast.backtest``), as in split conformal prediction:

- **Standardised errors.** Regular series: ``u = (actual - forecast) / (s sqrt(h))``,
  with ``s`` the mean absolute monthly change of the months before the origin (MASE's
  scale) and ``h`` the step, so series of any size and noise can be pooled.
  Standardising by the model's own standard deviation instead made intervals too wide
  on the held-out months of the development series (85% against 81% for the
  combination): a model's in-sample spread carries over from the backtest origins to
  the whole history less well than the series' own variability. Intermittent series:
  ``u = actual / forecast`` (at least 0; many zeros), since their spread goes with the
  demand rate.
- **Pooled over similar series.** One series has at most 8 origins: too few errors per
  step for a 10% quantile. The quantiles of step ``h`` come from all series of the same
  group (``regular``, or ``intermittent`` by band of the average interval between
  demands) in the run; a group with fewer than ``MIN_SERIES`` series borrows from the
  broader one (``regular`` / ``intermittent``). When a step has fewer than
  ``MIN_POINTS`` errors, the neighbouring steps' are pooled in (one either side, and so
  on), so a lone series gets its own errors pooled over all steps.
- **The interval.** ``[Q(0.1), Q(0.8 + P(u < Q(0.1)))]`` of the pooled ``u`` at that
  step, put back on the forecast's scale (``forecast + s sqrt(h) u``, ``s`` of the whole
  history, or ``forecast * u``) and cut at zero. For continuous errors that is ``[Q(0.1), Q(0.9)]``; for intermittent
  ones, whose lower end is 0 with more than 10% of the months at 0, the 20% outside the
  interval all lies above it (else the interval would cover 90% of the months). P50 is
  the pooled median. Steps past the longest backtest horizon use its quantiles (with
  ``sqrt(h)`` still growing).
- **Paths.** For the projection, each step's value is the pooled quantile function of
  that step applied to a normal score, ``z_h = sqrt(rho) L + sqrt(1 - rho) e_h``: ``L``
  shared by all steps of a path (a forecast that is too high tends to stay too high),
  ``e_h`` independent. ``rho`` is estimated from the same backtest: the average
  correlation of the normal scores of one origin's errors across steps. So the paths'
  P10..P90 at each step are the interval above, and their totals over several months
  have the spread the backtest showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from forecast.backtest import Trial, Windows, actuals, mase_scale
from forecast.models.base import Forecast

__all__ = [
    "LEVEL",
    "TAUS",
    "Table",
    "build_table",
    "group_keys",
    "standardised_errors",
]

LEVEL = 0.8
TAUS = np.array([0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99])
MIN_POINTS = 60
MIN_SERIES = 20
SCALED, RATIO = "scaled", "ratio"


def standardised_errors(trial: Trial, y: np.ndarray, w: Windows, kind: str) -> np.ndarray:
    """``(origins, horizon)`` standardised errors of a backtest (see the module doc)."""
    test = actuals(y, w)
    mean = np.maximum(trial.mean, 0.0)
    if kind == SCALED:
        scales = np.array([mase_scale(y[:o]) for o in w.origins])[:, None]
        return (test - mean) / (scales * _growth(w.horizon))
    return test / np.maximum(mean, 1e-9)


def _growth(h: int) -> np.ndarray:
    return np.sqrt(np.arange(1, h + 1, dtype=float))


def group_keys(kind: str, adi: float | None = None) -> tuple[str, ...]:
    """The calibration groups of a series, most specific first."""
    if kind != "intermittent" or adi is None:
        return (kind,)
    band = "adi<2" if adi < 2 else ("adi<4" if adi < 4 else "adi>=4")
    return (f"intermittent/{band}", "intermittent")


@dataclass
class Table:
    """Pooled per-step quantiles of standardised errors (one group)."""

    kind: str
    band: np.ndarray
    """``(steps, 3)``: the interval's lower end, median and upper end, per step."""
    q: np.ndarray
    """``(steps, len(TAUS))``: quantiles at ``TAUS``, per step (for the paths)."""
    rho: float
    series: int = 0
    _json: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def _rows(self, h: int) -> np.ndarray:
        return np.minimum(np.arange(h), self.band.shape[0] - 1)

    def apply(self, f: Forecast, scale: float) -> Forecast:
        """The calibrated interval and median around ``f.mean`` (``f.mean`` unchanged);
        ``scale``: the series' ``s`` (regular series)."""
        h = f.mean.size
        b = self.band[self._rows(h)]
        if self.kind == SCALED:
            spread = scale * _growth(h)
            lo, mid, hi = (f.mean + spread * b[:, i] for i in range(3))
        else:
            lo, mid, hi = (f.mean * b[:, i] for i in range(3))
        lo, hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
        mid = np.clip(mid, lo, hi)
        return Forecast(f.mean, lo, hi, mid, f.sd)

    def covered(self, errors: np.ndarray) -> tuple[int, int]:
        """(inside, total) of one series' standardised backtest errors."""
        b = self.band[self._rows(errors.shape[1])]
        ok = np.isfinite(errors)
        inside = (errors >= b[:, 0] - 1e-9) & (errors <= b[:, 2] + 1e-9) & ok
        return int(inside.sum()), int(ok.sum())

    def paths(self, f: Forecast, scale: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, h)`` sample paths whose per-step quantiles are this table's."""
        h = f.mean.size
        shared = rng.standard_normal((n, 1))
        own = rng.standard_normal((n, h))
        u = ndtr(np.sqrt(self.rho) * shared + np.sqrt(1.0 - self.rho) * own)
        q = self.q[self._rows(h)]
        e = np.empty((n, h))
        for j in range(h):
            e[:, j] = np.interp(u[:, j], TAUS, q[j])
        if self.kind == SCALED:
            out = f.mean + scale * _growth(h) * e
        else:
            out = f.mean * e
        return np.maximum(out, 0.0)

    def to_json(self) -> dict[str, Any]:
        """Plain lists, five significant digits (computed once per table)."""
        if self._json is not None:
            return self._json

        def r(a: np.ndarray) -> list:
            digits = 4 - np.floor(np.log10(np.maximum(np.abs(a), 1e-300)))
            scale = 10.0 ** np.clip(digits, -300, 300)
            return (np.round(a * scale) / scale).tolist()

        self._json = {
            "kind": self.kind,
            "rho": round(self.rho, 4),
            "series": self.series,
            "band": r(self.band),
            "q": r(self.q),
        }
        return self._json

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Table:
        return cls(
            d["kind"],
            np.asarray(d["band"], dtype=float),
            np.asarray(d["q"], dtype=float),
            float(d["rho"]),
            int(d.get("series", 0)),
        )


def _column_pool(matrices: Sequence[np.ndarray], steps: int) -> list[np.ndarray]:
    cols: list[list[np.ndarray]] = [[] for _ in range(steps)]
    for m in matrices:
        for j in range(min(steps, m.shape[1])):
            v = m[:, j]
            cols[j].append(v[np.isfinite(v)])
    return [np.concatenate(c) if c else np.zeros(0) for c in cols]


def _window(cols: list[np.ndarray], j: int) -> np.ndarray:
    """Step ``j``'s errors, with neighbouring steps' pooled in until ``MIN_POINTS``."""
    w = 0
    while True:
        part = np.concatenate(cols[max(0, j - w) : j + w + 1])
        if part.size >= MIN_POINTS or (j - w <= 0 and j + w >= len(cols) - 1):
            return part
        w += 1


def _band(v: np.ndarray) -> tuple[float, float, float]:
    lo = float(np.quantile(v, (1 - LEVEL) / 2))
    below = float(np.mean(v < lo - 1e-12))
    hi = float(np.quantile(v, min(1.0, LEVEL + below)))
    return lo, float(np.quantile(v, 0.5)), hi


def _normal_scores(v: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Mid-rank probability of each ``v`` in the sorted ``pool``, as a normal score."""
    left = np.searchsorted(pool, v, side="left")
    right = np.searchsorted(pool, v, side="right")
    return ndtri((left + right + 1.0) / (2.0 * (pool.size + 1.0)))


def build_table(kind: str, matrices: Sequence[np.ndarray]) -> Table | None:
    """Pool the standardised backtest errors of a group of series (None when empty)."""
    matrices = [m for m in matrices if m.size and np.isfinite(m).any()]
    if not matrices:
        return None
    steps = max(m.shape[1] for m in matrices)
    cols = _column_pool(matrices, steps)
    pooled = [np.sort(_window(cols, j)) for j in range(steps)]
    band = np.array([_band(v) for v in pooled])
    q = np.array([np.quantile(v, TAUS) for v in pooled])
    num = den = 0.0
    for m in matrices:
        h = min(m.shape[1], steps)
        z = np.full(m[:, :h].shape, np.nan)
        for j in range(h):
            z[:, j] = _normal_scores(m[:, j], pooled[j])
        for row in z:
            row = row[np.isfinite(row)]
            if row.size >= 2:
                num += float(row.sum() ** 2 - row.size)
                den += float(row.size * (row.size - 1))
    rho = float(np.clip(num / den, 0.0, 0.98)) if den > 0 else 0.5
    return Table(kind, band, q, rho, len(matrices))


def build_tables(
    samples: Iterable[tuple[tuple[str, ...], str, np.ndarray]],
) -> dict[str, Table]:
    """Tables for every group key with enough series (``samples``: keys, kind, errors).

    The most general key of each series (its last) always gets a table; a more specific
    one only with at least ``MIN_SERIES`` series.
    """
    by_key: dict[str, tuple[str, list[np.ndarray]]] = {}
    general: set[str] = set()
    for keys, kind, errors in samples:
        general.add(keys[-1])
        for key in keys:
            by_key.setdefault(key, (kind, []))[1].append(errors)
    tables: dict[str, Table] = {}
    for key, (kind, mats) in by_key.items():
        if key in general or len(mats) >= MIN_SERIES:
            table = build_table(kind, mats)
            if table is not None:
                tables[key] = table
    return tables
