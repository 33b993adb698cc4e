"""Demand models: hand-worked values, an independent interval check, never negative."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA as StatsmodelsARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast.backtest import guarded, plan_windows
from forecast.models import (
    ARIMA,
    ETS,
    SBA,
    TSB,
    Croston,
    Naive,
    SeasonalNaive,
    Zero,
    model_from_alias,
)
from forecast.models.intermittent import _croston_path
from forecast.selection import _final


def test_croston_by_hand() -> None:
    """y = 0,0,6,0,0,0,4 with alpha 0.1: first demand 6 after 3 months -> 6/3 = 2;
    then 4 after 4 months: z = 6 + 0.1(4 - 6) = 5.8, p = 3 + 0.1(4 - 3) = 3.1 -> 5.8/3.1."""
    f = _croston_path(np.array([0, 0, 6, 0, 0, 0, 4], dtype=float), 0.1)
    assert np.isnan(f[:3]).all()
    assert f[3:7] == pytest.approx([2.0] * 4)
    assert f[7] == pytest.approx(5.8 / 3.1)


def test_sba_is_croston_deflated_and_tsb_decays() -> None:
    y = np.array([0, 5, 0, 0, 7, 0, 6, 0, 0, 5, 0, 0] + [0] * 12, dtype=float)
    c, s = Croston(), SBA()
    c.set_params({"alpha": 0.2})
    s.set_params({"alpha": 0.2})
    assert s.refit(y).level == pytest.approx(0.9 * c.refit(y).level)
    t = TSB()
    t.set_params({"alpha": 0.2, "beta": 0.2})
    early = t.refit(y[:12]).level
    assert t.refit(y).level < 0.2 * early  # twelve empty months pull the demand probability down


@pytest.mark.parametrize("alias", list(ETS.ALIASES))
def test_ets_interval_matches_statsmodels_get_prediction(alias: str) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(72)
    y = 100 + 0.5 * t + 15 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, 72)
    m = model_from_alias(alias)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(y)
    ours = m.predict(24)
    ref = (
        ETSModel(
            pd.Series(y),
            error="add",
            trend=m.trend,
            damped_trend=m.damped,
            seasonal="add" if m.seasonal else None,
            seasonal_periods=12 if m.seasonal else None,
            initialization_method=m.init,
        )
        .smooth(m.params)
        .get_prediction(72, 95)
        .summary_frame(alpha=0.2)
    )
    assert ours.mean == pytest.approx(ref["mean"].to_numpy().clip(0), rel=1e-9)
    assert ours.hi == pytest.approx(ref["pi_upper"].to_numpy().clip(0), rel=1e-9)
    assert ours.lo == pytest.approx(ref["pi_lower"].to_numpy().clip(0), rel=1e-9, abs=1e-9)
    again = model_from_alias(alias)
    again.set_params(m.get_params())
    assert again.refit(y).predict(24).mean == pytest.approx(ours.mean, rel=1e-12)


def test_arima_matches_statsmodels() -> None:
    """Yule-Walker estimates close to statsmodels' ARIMA(1,0,0) fitted by Yule-Walker
    (iterated GLS for the mean), and, with the same parameters, the same forecast and
    80% interval as its Kalman-filter forecast."""
    rng = np.random.default_rng(4)
    e = rng.normal(0, 10, 120)
    y = np.empty(120)
    y[0] = 500.0
    for t in range(1, 120):
        y[t] = 500.0 + 0.7 * (y[t - 1] - 500.0) + e[t]
    ours = ARIMA().fit(y)
    ref = StatsmodelsARIMA(y, order=(1, 0, 0), trend="c")
    fitted = ref.fit(method="yule_walker").params
    assert ours.params == pytest.approx(fitted, rel=0.02)
    fc = ref.smooth(ours.params).get_forecast(18)
    f = ours.predict(18)
    assert f.mean == pytest.approx(fc.predicted_mean, rel=1e-9)
    ci = fc.conf_int(alpha=0.2)
    assert f.lo == pytest.approx(ci[:, 0].clip(0), rel=1e-9)
    assert f.hi == pytest.approx(ci[:, 1], rel=1e-9)
    assert guarded("ARIMA", lambda: ARIMA().fit(np.full(30, 7.0)), []) is None


def test_seasonal_naive_repeats_last_year() -> None:
    y = np.tile(np.arange(12, dtype=float), 3)
    f = SeasonalNaive().fit(y).predict(18)
    assert f.mean.tolist() == list(range(12)) + list(range(6))
    assert f.hi.tolist() == f.mean.tolist()  # no seasonal change in the history: no spread


series = st.lists(
    st.one_of(st.just(0.0), st.floats(0, 1e5, allow_nan=False)), min_size=13, max_size=40
)


@settings(max_examples=30, deadline=None)
@given(series)
def test_forecasts_and_paths_never_negative(values: list[float]) -> None:
    y = np.array(values)
    rng = np.random.default_rng(0)
    for make in (Naive, SeasonalNaive, Croston, SBA, TSB, Zero, ETS, ARIMA):
        m = guarded("m", lambda make=make: make().fit(y), [])
        if m is None:
            continue
        f = m.predict(12)
        assert (f.mean >= 0).all()
        assert (f.lo >= 0).all()
        assert (f.hi >= f.lo).all()
        assert (f.lo <= f.p50).all()
        assert (f.p50 <= f.hi).all()
        assert (m.simulate(12, 20, rng) >= 0).all()


def test_convergence_warning_rejects_and_is_recorded() -> None:
    notes: list[str] = []

    def warns() -> int:
        warnings.warn("optimizer gave up", ConvergenceWarning, stacklevel=1)
        return 1

    assert guarded("ETS(A,N,N)", warns, notes) is None
    assert notes == ["ETS(A,N,N): did not converge (optimizer gave up)"]
    assert guarded("x", lambda: 1 / 0, notes) is None
    assert "x: failed (ZeroDivisionError" in notes[-1]


class _FinalFitDoesNotConverge(ETS):
    """ETS whose fits on longer series than ``backtest_months`` finish, then warn."""

    def __init__(self, backtest_months: int) -> None:
        super().__init__()
        self.backtest_months = backtest_months

    def fit(self, y: np.ndarray, start_params: dict | None = None) -> _FinalFitDoesNotConverge:
        super().fit(y, start_params)
        if len(y) > self.backtest_months:
            warnings.warn("optimizer gave up", ConvergenceWarning, stacklevel=1)
        return self


def test_failed_final_fit_keeps_the_backtest_parameters() -> None:
    """The warning comes after ``fit`` has overwritten params and init (here estimated
    initial states at 18 months, the heuristic at 36): the fallback must restore them."""
    y = 50 + 10 * np.sin(np.arange(36) / 2.0) + np.random.default_rng(4).normal(0, 3, 36)
    model = _FinalFitDoesNotConverge(backtest_months=18).fit(y[:18])
    saved = model.get_params()
    assert saved["init"] == "estimated"
    notes: list[str] = []
    f = _final(model, y, 6, notes, None)
    assert f is not None
    assert model.get_params() == saved
    assert notes[-1] == "ETS(A,N,N): whole-history fit failed; kept its backtest parameters"
    expected = ETS()
    expected.set_params(saved)
    np.testing.assert_allclose(f.mean, expected.refit(y).predict(6).mean)


class _Counter(Naive):
    """A model with parameters whose whole-history fit mutates them and then warns."""

    alias = "counter"

    def fit(self, y: np.ndarray, start_params: dict | None = None) -> _Counter:
        self.params = np.array([-1.0]) if start_params else np.array([float(len(y))])
        super().fit(y)
        if start_params:
            warnings.warn("optimizer gave up", ConvergenceWarning, stacklevel=1)
        return self

    def refit(self, y: np.ndarray) -> _Counter:
        Naive.fit(self, y)
        return self

    def get_params(self) -> dict:
        return {"values": self.params.tolist()}

    def set_params(self, params: dict) -> None:
        self.params = np.asarray(params["values"], dtype=float)


def test_failed_final_fit_restores_params_with_a_warm_start() -> None:
    model = _Counter().fit(np.ones(10))
    notes: list[str] = []
    warm = {"alias": "counter", "fitted": {"values": [99.0]}}
    assert _final(model, np.arange(20.0), 3, notes, warm) is not None
    assert model.get_params() == {"values": [10.0]}
    assert "kept its backtest parameters" in notes[-1]


def test_windows() -> None:
    w = plan_windows(120, 36)
    assert w is not None
    assert w.horizon == 36
    assert w.origins == (60, 72, 84)
    w = plan_windows(24, 36)
    assert w is not None
    assert w.horizon == 8
    assert w.origins == (12, 14, 16)
    assert plan_windows(2, 36) is None
