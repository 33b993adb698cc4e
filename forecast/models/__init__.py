"""Demand models, all with the :class:`~forecast.models.base.DemandModel` interface."""

from forecast.models.arima import ARIMA
from forecast.models.base import DemandModel, Forecast
from forecast.models.baseline import Naive, SeasonalNaive, Zero
from forecast.models.ets import ETS
from forecast.models.intermittent import SBA, TSB, Croston

__all__ = [
    "ARIMA",
    "ETS",
    "SBA",
    "TSB",
    "Croston",
    "DemandModel",
    "Forecast",
    "Naive",
    "SeasonalNaive",
    "Zero",
    "model_from_alias",
]


def model_from_alias(alias: str) -> DemandModel:
    """A fresh, unfitted model for a stored ``demand_models.model`` name."""
    simple = {m.alias: m for m in (Naive, SeasonalNaive, Zero, Croston, SBA, TSB, ARIMA)}
    if alias in simple:
        return simple[alias]()
    if alias in ETS.ALIASES:
        return ETS(*ETS.ALIASES[alias])
    raise KeyError(f"unknown demand model {alias!r}")
