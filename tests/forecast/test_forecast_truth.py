"""Truth check on a seeded synthetic suite with known generating processes.

Each series: 96 months of history, the next 12 held out. The stage chooses a model on
the history alone; the held-out year then scores it. The chosen models must beat
seasonal naive on average MASE (both scaled by the history's mean absolute one-step
change), and the 80% intervals must cover between 70% and 90% of the held-out points.
"""

from __future__ import annotations

import numpy as np

from forecast.backtest import mase_scale
from forecast.models import SeasonalNaive
from forecast.selection import fit_series
from forecast.synthetic import KINDS, generate_series

HISTORY, HELD_OUT = 96, 12


def test_chosen_models_beat_seasonal_naive_and_cover_80() -> None:
    suite = generate_series(60, HISTORY + HELD_OUT, intermittent_share=0.2, seed=42)
    per_kind: dict[str, list[tuple[float, float, float]]] = {k: [] for k in KINDS}
    for kind, y in suite:
        train, test = y[:HISTORY], y[HISTORY:]
        scale = mase_scale(train)
        fit = fit_series(train, HELD_OUT)
        f = fit.forecast
        snaive = SeasonalNaive().fit(train).predict(HELD_OUT).mean
        per_kind[kind].append(
            (
                float(np.mean(np.abs(test - f.mean))) / scale,
                float(np.mean(np.abs(test - snaive))) / scale,
                float(np.mean((test >= f.lo) & (test <= f.hi))),
            )
        )
    rows = [r for rs in per_kind.values() for r in rs]
    chosen, snaive, coverage = (float(np.mean(c)) for c in zip(*rows, strict=True))
    print(f"\n{'kind':<13} {'n':>3} {'MASE chosen':>12} {'MASE snaive':>12} {'cover80':>8}")
    for kind, rs in per_kind.items():
        c, s, v = (float(np.mean(x)) for x in zip(*rs, strict=True))
        print(f"{kind:<13} {len(rs):>3} {c:>12.3f} {s:>12.3f} {v:>8.1%}")
    print(f"{'all':<13} {len(rows):>3} {chosen:>12.3f} {snaive:>12.3f} {coverage:>8.1%}")
    assert chosen < snaive
    assert 0.70 <= coverage <= 0.90
