"""The lexicographic objective.

Stage 1 is the cost already on the columns: ``weight * late`` plus the floor
breach penalty. Stage 2, among plans within a hair of the stage-1 optimum,
draws least from stock pools: it minimises the units shipped out of pools held
by stock sources (a depot, including what plants feeding it put in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_draw_objective", "stage2_cost"]


def define_draw_objective(model: Model) -> None:
    if "ship" not in model.lp.col_blocks:
        model.draw_cost = np.zeros(0)
        return
    is_stock = model.data.pools.get_column("is_stock").to_numpy()
    model.draw_cost = is_stock[model.ship_pool].astype(np.float64)


def stage2_cost(model: Model) -> np.ndarray:
    cost = np.zeros(model.lp.num_col)
    if "ship" in model.lp.col_blocks and model.draw_cost.size:
        ship = model.lp.col_blocks["ship"]
        cost[ship.start : ship.stop] = model.draw_cost
    return cost
