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
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast.backtest import guarded, plan_windows
from forecast.candidates import CANDIDATES, Candidate
from forecast.models import (
    ADIDA,
    ARIMA,
    ETS,
    IMAPA,
    SBA,
    TSB,
    ARIMADrift,
    AutoETS,
    Combination,
    Croston,
    Naive,
    OptimizedTheta,
    SeasonalNaive,
    Theta,
    Zero,
    model_from_alias,
)
from forecast.models.intermittent import _croston_path
from forecast.selection import fit_series


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


CLASS_1 = [a for a, f in ETS.ALIASES.items() if f[0] == "add"]


def _ets_reference(m: ETS, y: np.ndarray) -> pd.DataFrame:
    return (
        ETSModel(
            pd.Series(y),
            error=m.error,
            trend=m.trend,
            damped_trend=m.damped,
            seasonal=m.seasonal,
            seasonal_periods=12 if m.seasonal else None,
            initialization_method=m.init,
        )
        .smooth(m.params)
        .get_prediction(72, 95)
        .summary_frame(alpha=0.2)
    )


def _trend_season(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(72)
    return 100 + 0.5 * t + 15 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, 72)


@pytest.mark.parametrize("alias", CLASS_1)
def test_ets_interval_matches_statsmodels_get_prediction(alias: str) -> None:
    """Additive-error forms: mean and 80% interval are statsmodels' analytic ones."""
    y = _trend_season()
    m = model_from_alias(alias)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(y)
    ours = m.predict(24)
    ref = _ets_reference(m, y)
    assert ours.mean == pytest.approx(ref["mean"].to_numpy().clip(0), rel=1e-9)
    assert ours.hi == pytest.approx(ref["pi_upper"].to_numpy().clip(0), rel=1e-9)
    assert ours.lo == pytest.approx(ref["pi_lower"].to_numpy().clip(0), rel=1e-9, abs=1e-9)
    again = model_from_alias(alias)
    again.set_params(m.get_params())
    assert again.refit(y).predict(24).mean == pytest.approx(ours.mean, rel=1e-9)


@pytest.mark.parametrize("alias", [a for a in ETS.ALIASES if a not in CLASS_1])
def test_ets_multiplicative_forms_forecast_like_statsmodels(alias: str) -> None:
    """Multiplicative forms: statsmodels simulates their intervals, so only the point
    forecast is compared; the spread grows with the horizon."""
    y = _trend_season()
    m = model_from_alias(alias)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(y)
    ours = m.predict(24)
    res = ETSModel(
        pd.Series(y),
        error=m.error,
        trend=m.trend,
        damped_trend=m.damped,
        seasonal=m.seasonal,
        seasonal_periods=12 if m.seasonal else None,
        initialization_method=m.init,
    ).smooth(m.params)
    assert ours.mean == pytest.approx(np.asarray(res.forecast(24)).clip(0), rel=1e-9)
    assert ours.sd is not None
    assert np.all(ours.sd > 0)
    assert ours.sd[-1] / ours.mean[-1] > ours.sd[0] / ours.mean[0]


def test_auto_ets_keeps_the_least_aicc() -> None:
    y = _trend_season(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = AutoETS().fit(y)
        damped = AutoETS(damped=True).fit(y)
    assert auto.alias == min(auto.tried, key=auto.tried.get)
    assert len(auto.tried) > 10  # both error types, with and without season and trend
    assert "d," in damped.alias
    assert auto.frozen().fit(y[:48]).alias == auto.alias  # the form, refitted


def test_theta_matches_statsmodels_theta_model() -> None:
    """Forecast: statsmodels' ThetaModel; interval: the SES-with-drift variance, which
    is statsmodels' ARIMA(0,1,1)-with-drift forecast variance for the same parameters."""
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(0.5, 3, 80)) + 100
    m = Theta()
    m.fixed_seasonal = False
    m.fit(x)
    ref = ThetaModel(x, period=12, deseasonalize=False).fit()
    f = m.predict(18)
    assert m.alpha == pytest.approx(float(ref.params["alpha"]), rel=1e-3)
    assert f.mean == pytest.approx(np.asarray(ref.forecast(18)), rel=1e-4)
    arima = SARIMAX(x, order=(0, 1, 1), trend="c").smooth([m.b0, m.alpha - 1.0, m.sigma2])
    assert f.sd**2 == pytest.approx(arima.get_forecast(18).var_pred_mean, rel=1e-6)


def test_seasonal_theta_matches_statsmodels_deseasonalised() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(96)
    y = (200 + 2 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 5, 96)
    m = Theta().fit(y)
    ref = ThetaModel(y, period=12, method="multiplicative").fit()
    assert m.seasonal
    assert m.predict(18).mean == pytest.approx(np.asarray(ref.forecast(18)), rel=2e-3)


def test_optimised_theta_fits_the_trend_weight() -> None:
    """A straight line plus noise: the weight of the trend line goes up (theta > 2) and
    the forecast keeps rising; a level with noise gets little trend."""
    rng = np.random.default_rng(6)
    t = np.arange(60)
    up = OptimizedTheta()
    up.fixed_seasonal = False
    up.fit(50 + 3 * t + rng.normal(0, 2, 60))
    f = up.predict(12).mean
    assert up.theta > 2
    assert np.all(np.diff(f) > 2)
    assert f[0] == pytest.approx(50 + 3 * 60, rel=0.05)
    flat = OptimizedTheta()
    flat.fixed_seasonal = False
    flat.fit(50 + rng.normal(0, 2, 60))
    assert abs(flat.predict(12).mean[-1] - 50) < 3


@pytest.mark.parametrize("p", [0, 1, 2])
def test_arima_drift_matches_statsmodels(p: int) -> None:
    rng = np.random.default_rng(7 + p)
    d = np.empty(120)
    d[:2] = 1.0
    for t in range(2, 120):
        d[t] = 1.0 + 0.5 * (d[t - 1] - 1.0) - 0.2 * (d[t - 2] - 1.0) + rng.normal(0, 2)
    x = 100 + np.cumsum(d)
    m = ARIMADrift(p)
    m.fixed_seasonal = False
    m.fit(x)
    assert m.alias == f"ARIMA({p},1,0) drift"
    ref = StatsmodelsARIMA(x, order=(p, 1, 0), trend="t")
    fc = ref.smooth([m.mu, *m.phi, m.sigma2]).get_forecast(18)
    f = m.predict(18)
    assert f.mean == pytest.approx(fc.predicted_mean, rel=1e-9)
    ci = fc.conf_int(alpha=0.2)
    assert f.lo == pytest.approx(ci[:, 0].clip(0), rel=1e-9)
    assert f.hi == pytest.approx(ci[:, 1], rel=1e-9)


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
    makes = (Naive, SeasonalNaive, Croston, SBA, TSB, ADIDA, IMAPA, Zero, ETS, ARIMA)
    makes += (ARIMADrift, Theta, OptimizedTheta)
    for make in makes:
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


class _NeverConverges(Naive):
    alias = "never"

    def fit(self, y: np.ndarray, start_params: dict | None = None) -> _NeverConverges:
        warnings.warn("optimizer gave up", ConvergenceWarning, stacklevel=1)
        return super().fit(y)


def test_the_selection_reads_the_candidate_table() -> None:
    """A table with a row that never converges and one plain model: the first is dropped
    and noted, the second chosen; the default table's rows are all tried."""
    y = 100 + np.random.default_rng(8).normal(0, 5, 60)
    table = (
        Candidate("broken", _NeverConverges, frozenset({"regular"}), role="default"),
        Candidate("plain", Naive, frozenset({"regular"})),
    )
    fit = fit_series(y, 12, candidates=table)
    assert fit.candidate == "plain"
    assert "broken: did not converge (optimizer gave up)" in fit.notes
    assert set(fit.scores) == {"plain"}
    full = fit_series(y, 12)
    expected = {c.alias for c in CANDIDATES if "regular" in c.kinds}
    assert set(full.scores) == expected - {"arima_drift"}  # no trend in this series
    assert isinstance(full.model, Combination) or full.candidate != "comb"


def test_windows() -> None:
    w = plan_windows(120, 36)
    assert w is not None
    assert w.horizon == 36
    assert w.origins == (60, 64, 68, 72, 76, 80, 84)
    w = plan_windows(66, 18)
    assert w is not None
    assert w.horizon == 18
    assert w.origins == (33, 36, 39, 42, 45, 48)
    w = plan_windows(24, 36)
    assert w is not None
    assert (w.horizon, w.origins) == (12, (12,))
    assert plan_windows(2, 36) is None
