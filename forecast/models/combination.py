"""The combination: the mean of several fitted models' forecasts.

The classic robust benchmark of the forecasting competitions (Makridakis & Hibon 2000,
"Comb S-H-D"; and the combinations that beat every single method in M3 and M4): the
mean of ETS, Theta and a damped trend. Averaging models whose errors differ cancels part
of each one's error; it rarely wins a backtest by much, and rarely loses one badly.

The mean is the mean of the members' means; the standard deviation the mean of their
standard deviations (the members' errors are strongly correlated, so this is close to
the combination's own; the calibration corrects the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from forecast.models.base import DemandModel, Forecast

__all__ = ["Combination", "combine"]


def combine(forecasts: Sequence[Forecast]) -> Forecast:
    mean = np.mean([f.mean for f in forecasts], axis=0)
    sds = [f.sd for f in forecasts]
    if any(s is None for s in sds):
        return Forecast(
            mean,
            np.min([f.lo for f in forecasts], axis=0),
            np.max([f.hi for f in forecasts], axis=0),
        )
    return Forecast.normal(mean, np.mean(sds, axis=0))


class Combination(DemandModel):
    alias = "comb"

    def __init__(self, members: Sequence[DemandModel] = ()) -> None:
        self.members = list(members)

    def fit(self, y: np.ndarray, start_params: dict[str, Any] | None = None) -> Self:
        for m in self.members:
            m.fit(y)
        return self

    def refit(self, y: np.ndarray) -> Self:
        for m in self.members:
            m.refit(y)
        return self

    def frozen(self) -> DemandModel:
        return Combination([m.frozen() for m in self.members])

    def predict(self, h: int) -> Forecast:
        return combine([m.predict(h) for m in self.members])

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """The members' paths averaged path by path (the product simulates from the
        calibrated distribution instead)."""
        return np.mean([m.simulate(h, n, rng) for m in self.members], axis=0)

    def get_params(self) -> dict[str, Any]:
        return {"members": [{"model": m.alias, "fitted": m.get_params()} for m in self.members]}

    def set_params(self, params: dict[str, Any]) -> None:
        from forecast.models import model_from_alias

        self.members = []
        for spec in params["members"]:
            m = model_from_alias(spec["model"])
            m.set_params(spec["fitted"])
            self.members.append(m)
