"""Demand models, all with the :class:`~forecast.models.base.DemandModel` interface."""

from forecast.models.arima import ARIMA, ARIMADrift
from forecast.models.base import DemandModel, Forecast
from forecast.models.baseline import Naive, SeasonalNaive, Zero
from forecast.models.combination import Combination
from forecast.models.ets import ETS, AutoETS
from forecast.models.intermittent import ADIDA, IMAPA, SBA, TSB, Croston
from forecast.models.theta import OptimizedTheta, Theta

__all__ = [
    "ADIDA",
    "ARIMA",
    "ETS",
    "IMAPA",
    "SBA",
    "TSB",
    "ARIMADrift",
    "AutoETS",
    "Combination",
    "Croston",
    "DemandModel",
    "Forecast",
    "Naive",
    "OptimizedTheta",
    "SeasonalNaive",
    "Theta",
    "Zero",
    "model_from_alias",
]

_SIMPLE = (Naive, SeasonalNaive, Zero, Croston, SBA, TSB, ADIDA, IMAPA, ARIMA, Theta)


def model_from_alias(alias: str) -> DemandModel:
    """A fresh, unfitted model for a stored ``demand_models.model`` name."""
    simple = {m.alias: m for m in (*_SIMPLE, OptimizedTheta, Combination)}
    if alias in simple:
        return simple[alias]()
    if alias in ETS.ALIASES:
        return ETS.of(ETS.ALIASES[alias])
    if alias in ARIMADrift.ALIASES:
        return ARIMADrift(ARIMADrift.ALIASES[alias])
    raise KeyError(f"unknown demand model {alias!r}")
