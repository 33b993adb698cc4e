"""Regression test: 80% coverage by horizon step on a fixed subset of the development set.

``data/m1_subset.csv``: 40 of the M1 competition's monthly series (evenly spread over
the 617, train part and 18-month test part), embedded so nothing is downloaded. The demand
stage forecasts them as the product does (pooled calibration over the run); the share
of test months inside the 80% interval must stay in band: overall, per block of six
steps, and at every step (40 points a step: a wide band).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from forecast.demand import forecast_demand
from store.months import add_months

DATA = Path(__file__).parent / "data" / "m1_subset.csv"
START = date(2030, 1, 1)
H = 18


def test_coverage_by_horizon_step_stays_in_band(make_dataset) -> None:
    d = pl.read_csv(DATA).sort("series_id", "t")
    rows, tests = [], {}
    for (sid,), g in d.group_by("series_id", maintain_order=True):
        train = g.filter(pl.col("part") == "train").get_column("value").to_list()
        tests[sid] = g.filter(pl.col("part") == "test").get_column("value").to_numpy()
        first = add_months(START, -len(train))
        rows += [
            {"holder_id": sid, "item_id": "X", "month": add_months(first, i), "units": v}
            for i, v in enumerate(train)
        ]
    result = forecast_demand(make_dataset(consumption=rows), START, H, workers=2, progress=False)
    inside = []
    for (sid,), g in result.forecast.sort("holder_id", "month").group_by(
        "holder_id", maintain_order=True
    ):
        y = tests[sid]
        inside.append((y >= g.get_column("p10").to_numpy()) & (y <= g.get_column("p90").to_numpy()))
    by_step = np.vstack(inside).mean(axis=0)
    print("\ncoverage by step:", " ".join(f"{c:.0%}" for c in by_step))
    assert len(inside) == 40
    assert 0.75 <= by_step.mean() <= 0.86
    for block in by_step.reshape(3, 6):
        assert 0.70 <= block.mean() <= 0.90
    assert by_step.min() >= 0.58
    assert by_step.max() <= 0.98
