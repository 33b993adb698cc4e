"""The demand stage: defined behaviour for zero, constant, short and gappy series; reuse."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
import pytest

from forecast.candidates import CANDIDATES, MARGINS, SCORE_BY
from forecast.demand import forecast_demand, history_series
from forecast.selection import fit_series
from forecast.synthetic import generate_series

START = date(2026, 1, 1)


def test_gaps_inside_the_history_are_zero_and_later_rows_ignored(make_dataset, monthly) -> None:
    rows = monthly("A", "X", date(2025, 1, 1), [5, 7])  # 2025-01, 2025-02
    rows += monthly("A", "X", date(2025, 6, 1), [3])  # gap March-May, then nothing until start
    rows += monthly("A", "X", date(2026, 2, 1), [99])  # after the start: not history
    ds = make_dataset(consumption=rows)
    [(holder, item, first, y)] = list(history_series(ds.consumption, START))
    assert (holder, item, first) == ("A", "X", date(2025, 1, 1))
    assert y.tolist() == [5, 7, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]


def test_edge_cases(make_dataset, monthly) -> None:
    rows = (
        monthly("Z", "X", date(2024, 1, 1), [0] * 24)
        + monthly("C", "X", date(2024, 1, 1), [40] * 24)
        + monthly("S", "X", date(2025, 6, 1), [10, 12, 9, 11, 10, 13, 8])
        + monthly("NEW", "X", date(2026, 3, 1), [50])  # no history before the start
    )
    result = forecast_demand(make_dataset(consumption=rows), START, 6, workers=1)
    models = {r["holder_id"]: r for r in result.models.iter_rows(named=True)}
    assert set(models) == {"Z", "C", "S"}  # a holder with no history gets no rows
    assert models["Z"]["model"] == "zero"
    assert models["C"]["model"] == "naive"
    assert models["C"]["mase"] is None
    assert models["S"]["model"] == "naive"
    assert "short history" in models["S"]["notes"]
    fc = {h: result.forecast.filter(pl.col("holder_id") == h) for h in models}
    assert fc["Z"].select("mean", "p10", "p90").to_numpy().max() == 0
    assert (fc["C"].get_column("p10") == 40).all()
    assert (fc["C"].get_column("p90") == 40).all()
    assert fc["S"].height == 6
    assert (fc["S"].get_column("mean") == 8).all()
    assert fc["S"].get_column("month").to_list()[0] == START


def test_the_default_is_kept_unless_clearly_beaten() -> None:
    """The combination is chosen unless another candidate's backtest score is better by
    its role's margin: a baseline never wins on a near-tie."""
    role = {c.alias: c.role for c in CANDIDATES}
    for kind, y in generate_series(15, 96, seed=3):
        fit = fit_series(y, 24)
        default = next(a for a in fit.scores if role[a] == "default")
        metric = SCORE_BY[fit.kind]
        best = getattr(fit.scores[default], metric)
        assert fit.candidate is not None
        chosen = getattr(fit.scores[fit.candidate], metric)
        if fit.candidate != default:
            assert chosen < (1 - MARGINS[role[fit.candidate]]) * best, kind
        else:
            for a, s in fit.scores.items():
                assert getattr(s, metric) >= (1 - MARGINS[role[a]]) * best, (kind, a)


def _dataset_from(make_dataset, monthly, series):
    rows = []
    for i, (_, y) in enumerate(series):
        rows += monthly(f"H{i:02d}", "X", date(2018, 1, 1), y.tolist())
    return make_dataset(consumption=rows)


def test_reproducible_and_incremental(make_dataset, monthly) -> None:
    series = generate_series(10, 96, seed=5)
    ds = _dataset_from(make_dataset, monthly, series)
    start = date(2026, 1, 1)
    a = forecast_demand(ds, start, 12, workers=2)
    b = forecast_demand(ds, start, 12, workers=1)
    assert a.models.equals(b.models)
    assert a.forecast.equals(b.forecast)

    # one series changes: only it is refitted, the others are reused as they were
    changed = [(k, y.copy()) for k, y in series]
    changed[3][1][-1] += 500.0
    ds2 = _dataset_from(make_dataset, monthly, changed)
    c = forecast_demand(ds2, start, 12, workers=1, previous=a)
    fresh = forecast_demand(ds2, start, 12, workers=1)
    diff = a.models.join(c.models, on=["holder_id", "item_id"]).filter(
        pl.col("data_hash") != pl.col("data_hash_right")
    )
    assert diff.get_column("holder_id").to_list() == ["H03"]
    other = pl.col("holder_id") != "H03"
    assert c.forecast.filter(other).equals(a.forecast.filter(other))
    # a fresh run forecasts them alike; only its pooled calibration includes the change
    mean = ["holder_id", "item_id", "month", "mean"]
    assert c.forecast.filter(other).select(mean).equals(fresh.forecast.filter(other).select(mean))
    # the changed one's warm start ends where a cold fit ends (same model, close forecast)
    h3c = c.forecast.filter(~other).get_column("mean").to_numpy()
    h3f = fresh.forecast.filter(~other).get_column("mean").to_numpy()
    assert np.allclose(h3c, h3f, rtol=0.05, atol=1.0)
    params = json.loads(c.models.filter(~other).item(0, "params"))
    assert params["history_start"] == "2018-01"
    assert params["history_months"] == 96


def test_horizon_must_be_positive(make_dataset) -> None:
    with pytest.raises(ValueError, match="horizon"):
        forecast_demand(make_dataset(), START, 0)


def test_without_a_terminal_the_fits_report_progress_as_log_lines(
    make_dataset, monthly, caplog: pytest.LogCaptureFixture
) -> None:
    """A night run from cron has no terminal for a bar: it logs each tenth of the series."""
    rows = []
    for n in range(13):
        rows += monthly(f"H{n:02d}", "X", date(2024, 1, 1), [10 + n, 12, 9, 11] * 6)
    with caplog.at_level("INFO", logger="forecast.demand"):
        forecast_demand(make_dataset(consumption=rows), START, 6, workers=1, progress=False)
    done = [
        int(r.getMessage().split()[1])
        for r in caplog.records
        if r.getMessage().startswith("forecast: ") and "series fitted" in r.getMessage()
    ]
    # 13 series: one line each time a new tenth is reached (1/13 is under a tenth)
    expected = [k for k in range(1, 14) if k * 10 // 13 > (k - 1) * 10 // 13]
    assert done == expected
    assert done[-1] == 13
