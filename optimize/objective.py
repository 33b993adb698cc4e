"""The lexicographic objective, stage by stage (DESIGN.md: the allocation model).

1. ``lateness``: the cost already on the columns, ``weight * late`` plus the floor-breach
   penalty at stock sources (so heavy that drawing below a floor never pays).
2. ``readiness``: tier-weighted partner shortfall below floor (frontline 4, most_capable 2,
   other 1) plus ``W`` times the shortfall of US stock pools below target, each month's
   shortfall as the missing fraction of that floor or target.
3. ``fair_shares``: within a group of promises, the missing fraction of backlog equalised
   month by month (progressive filling, see ``fairness.py``); its objective is the largest
   missing fraction.
4. ``least_drawn``: units shipped out of stock pools plus units proposed as sustainment.
5. ``reference``: the sum of absolute differences of shipments to a reference plan (only
   with a reference).
6. ``spare_capacity``: capacity (before any expansion) left unused on lines with a bill of
   materials, so such a line makes all its components allow once nothing above is at stake,
   as a line without one does (only with a bill of materials).

Each stage is solved over the optimal face of the stages before (``solve.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["STAGE_NAMES", "Stage", "define_stages", "stage_cost"]

STAGE_NAMES = (
    "lateness",
    "readiness",
    "fair_shares",
    "least_drawn",
    "reference",
    "spare_capacity",
)


@dataclass(frozen=True)
class Stage:
    name: str
    cols: np.ndarray
    """Columns with a cost in this stage (global indices)."""
    costs: np.ndarray
    constant: float = 0.0
    minimax: bool = False
    """Progressive filling over the ``fair`` rows instead of a linear cost."""
    active: bool = True
    """False: nothing applies (no columns, or no reference given); the stage is skipped."""


def _empty(name: str, active: bool = True) -> Stage:
    return Stage(name, np.zeros(0, np.int64), np.zeros(0), active=active)


def _readiness(model: Model) -> Stage:
    data, lp = model.data, model.lp
    cols, costs = [], []
    gap = lp.col_blocks.get("below_floor")
    if gap is not None:
        pp = data.partner_pools
        w = (pp.get_column("tier_weight") / pp.get_column("floor_units")).to_numpy()[model.gap_q]
        cols.append(gap.index)
        costs.append(np.repeat(w, data.horizon))
    gap = lp.col_blocks.get("below_target")
    if gap is not None and data.us_target_weight > 0:
        target = data.pools.get_column("target_units").to_numpy()[model.gap_pool]
        cols.append(gap.index)
        costs.append(np.repeat(data.us_target_weight / target, data.horizon))
    if not cols:
        return _empty("readiness")
    return Stage("readiness", np.concatenate(cols), np.concatenate(costs))


def _least_drawn(model: Model) -> Stage:
    lp, pools = model.lp, model.data.pools
    is_stock = pools.get_column("is_stock").to_numpy().astype(np.float64)
    ship = lp.col_blocks["ship"]
    cols, costs = [ship.index], [is_stock[model.ship_pool] if model.ship_pool.size else np.zeros(0)]
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        cols.append(sus.index)
        costs.append(1.0 + is_stock[model.sus_pool])
    cols_a, costs_a = np.concatenate(cols), np.concatenate(costs)
    keep = costs_a != 0
    return Stage("least_drawn", cols_a[keep], costs_a[keep])


def _reference(model: Model) -> Stage:
    lp = model.lp
    if model.data.reference is None:
        return _empty("reference", active=False)
    cols = [lp.col_blocks["ship"].index]
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        cols.append(sus.index)
    shipped = np.concatenate(cols)
    costs = np.ones(shipped.size)
    # a column with a positive reference is priced through its deviation column instead
    costs[np.isin(shipped, model.reference_cols)] = 0.0
    dev = lp.col_blocks.get("deviation")
    if dev is not None:
        shipped = np.concatenate([shipped, dev.index])
        costs = np.concatenate([costs, np.ones(dev.size)])
    keep = costs != 0
    return Stage("reference", shipped[keep], costs[keep], constant=model.reference_constant)


def _spare_capacity(model: Model) -> list[Stage]:
    """The stage only exists with a bill of materials, so plans without one keep their list."""
    lp = model.lp
    make = lp.col_blocks.get("make")
    if make is None:
        return []
    line = lp.row_blocks["line"]
    capacity = float(lp.row_upper[line.start : line.stop].sum())
    return [Stage("spare_capacity", make.index, -np.ones(make.size), constant=capacity)]


def define_stages(model: Model) -> None:
    """The stages after the first (whose cost is on the columns), in order."""
    fair = model.lp.row_blocks.get("fair")
    model.stages = [
        _readiness(model),
        Stage(
            "fair_shares", np.zeros(0, np.int64), np.zeros(0), minimax=True, active=fair is not None
        ),
        _least_drawn(model),
        _reference(model),
        *_spare_capacity(model),
    ]


def stage_cost(model: Model, stage: Stage) -> np.ndarray:
    """A stage's cost as a dense vector over every column of the problem."""
    cost = np.zeros(model.lp.num_col)
    np.add.at(cost, stage.cols, stage.costs)
    return cost
