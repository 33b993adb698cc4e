"""The trade-off between US rebuild and partner readiness (epsilon-constraint).

Over the plans with least lateness (stage 1), two objectives in units:

* US: unit-months of US stock pools (kind ``us_stock``) below their targets;
* partners: tier-weighted unit-months of partner stocks below their floors (frontline 4,
  most_capable 2, other 1).

The ends are the two single-objective optima (each with the other objective least among
them). In between, for a cap ``e`` on the US unit-months spread evenly from the first end to
the second, the partners' unit-months are minimised under the cap, then the US unit-months
under the partners' optimum (so every point is on the frontier). Raising the cap never
raises the partners' optimum, so the curve is monotone: US up, partners down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from optimize.metrics import partner_stocks, us_pools_below_target
from optimize.model import build_model
from optimize.results import readiness_frame
from optimize.sets import build_model_data
from optimize.solve import lateness_face
from store.dataset import Dataset

__all__ = ["Tradeoff", "tradeoff"]

REL, ABS = 1e-9, 1e-9


@dataclass(frozen=True)
class Tradeoff:
    start: date
    horizon: int
    lateness: float
    """The stage-1 optimum every point keeps (weighted lateness plus floor-breach penalty)."""
    us_optimum: float
    """Least US unit-months below target (the first end)."""
    partner_optimum: float
    """Least tier-weighted partner unit-months below floor (the second end)."""
    points: list[dict[str, Any]]


def _objectives(model: Any) -> tuple[np.ndarray, np.ndarray]:
    lp, data = model.lp, model.data
    us = np.zeros(lp.num_col)
    partners = np.zeros(lp.num_col)
    gap = lp.col_blocks.get("below_target")
    if gap is not None:
        us[gap.index] = 1.0
    gap = lp.col_blocks.get("below_floor")
    if gap is not None:
        w = data.partner_pools.get_column("tier_weight").to_numpy()[model.gap_q]
        partners[gap.index] = np.repeat(w, data.horizon)
    return us, partners


def _point(model: Any, x: np.ndarray, us: np.ndarray, partners: np.ndarray) -> dict[str, Any]:
    """A frontier point: both objectives, the US pools' rebuild months and the partner
    stocks' first months below floor."""
    readiness = readiness_frame(model, x)
    return {
        "us_unit_months_below_target": round(float(us @ x), 6) + 0.0,
        "partner_weighted_unit_months_below_floor": round(float(partners @ x), 6) + 0.0,
        "us_pools": [
            {k: r[k] for k in ("holder_id", "item_id", "first_month_below_target", "rebuild_month")}
            for r in us_pools_below_target(readiness, None)
        ],
        "partner_stocks": [
            {k: r[k] for k in ("holder_id", "item_id", "first_month_below_floor")}
            for r in partner_stocks(readiness, None)["partner_stocks"]
        ],
    }


def tradeoff(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int,
    points: int = 11,
    *,
    time_limit: float | None = None,
) -> Tradeoff:
    """The frontier between US unit-months below target and tier-weighted partner
    unit-months below floor, ``points`` points from the US optimum to the partners' (HiGHS)."""
    if points < 2:
        raise ValueError("the trade-off curve needs at least 2 points")
    model = build_model(build_model_data(dataset, demand, start, horizon))
    us, partners = _objectives(model)
    face = lateness_face(model, time_limit)

    def bound(v: float) -> float:
        return v + REL * abs(v) + ABS

    # the two ends: each objective alone, then the other among its optima
    _, us_min = face.minimise(us, "US below target")
    _, p_min = face.minimise(partners, "partners below floor")
    face.cap("partners", partners, bound(p_min))
    _, us_at_p_min = face.minimise(us, "US below target, partners at their optimum")
    face.uncap("partners")
    out = []
    for e in np.linspace(us_min, max(us_at_p_min, us_min), points):
        face.cap("us", us, bound(float(e)))
        _, p = face.minimise(partners, f"partners below floor, US at most {e:.6g}")
        face.cap("partners", partners, bound(p))
        x, _ = face.minimise(us, "US below target among those")
        face.uncap("partners")
        out.append(_point(model, x, us, partners))
    return Tradeoff(start, horizon, face.lateness, us_min, p_min, out)
