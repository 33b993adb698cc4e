"""Sample consumption paths from a stored demand model (the projection's uncertainty).

The forecast stage stores, per series, the chosen model and its fitted parameters
(``demand_models.params``: ``fitted``, ``history_start``, ``history_months``). Here the
model is rebuilt from those parameters over the same history (read from the data set),
without estimating anything, and simulated. A series with a calibrated interval
(``params.calibration``, ``forecast.calibration``) gets paths drawn from it around the
model's forecast, so each month's P10/P50/P90 over the paths are the forecast's; the
others (short histories) through the model's own ``simulate`` (statsmodels' for ETS and
ARIMA; bootstrapped one-step errors for the baselines and Croston-type models). Paths are
never negative. Each series draws from its own generator seeded by
``(seed, holder_id, item_id)``, so a path does not depend on which other series exist.
"""

from __future__ import annotations

import json
import zlib
from datetime import date
from typing import Any

import numpy as np

from forecast.calibration import Table
from forecast.models import model_from_alias
from store.months import month_index, parse_month

__all__ = ["series_rng", "simulate_series"]


def series_rng(seed: int, holder_id: str, item_id: str) -> np.random.Generator:
    key = zlib.crc32(f"{holder_id}\x1f{item_id}".encode())
    return np.random.default_rng([seed, key])


def simulate_series(
    history: np.ndarray,
    history_start: date,
    model: str,
    params: str | dict[str, Any] | None,
    start: date,
    horizon: int,
    paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``(paths, horizon)`` consumption from ``start`` on.

    ``history``: monthly units from ``history_start`` (gaps as 0) up to at least the
    month before the forecast's own start. When the projection starts later than the
    forecast did, the months in between are simulated too and dropped.
    """
    p = json.loads(params) if isinstance(params, str) else (params or {})
    n = int(p.get("history_months", history.size))
    if p.get("history_start"):
        offset = month_index(history_start, parse_month(p["history_start"]))
        if offset != 0:
            raise ValueError("history does not start where the model's history started")
    y = np.asarray(history[:n], dtype=float)
    forecast_start_index = n  # months from history_start to the forecast's start
    lead = month_index(start, history_start) - forecast_start_index
    if lead < 0:
        raise ValueError("the projection starts before the forecast it uses")
    m = model_from_alias(model)
    fitted = p.get("fitted") or {}
    if y.size == 0 or model == "zero":
        return np.zeros((paths, horizon))
    if fitted:
        m.set_params(fitted)
        m.refit(y)
    else:
        m.fit(y)
    if p.get("calibration"):
        table = Table.from_json(p["calibration"])
        scale = float(p.get("scale", 1.0))
        out = table.paths(m.predict(lead + horizon), scale, paths, rng)
    else:
        out = m.simulate(lead + horizon, paths, rng)
    return np.maximum(out[:, lead:], 0.0)
