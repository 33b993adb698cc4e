"""Cumulative arrivals per commitment and unit-months late."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_cumulative_arrivals", "define_lateness"]


def define_cumulative_arrivals(model: Model) -> None:
    """``arrived|c|t``: A[c,t] - A[c,t-1] - arrivals for c in month t = 0.

    The helper A keeps the lateness rows short (two entries each) instead of
    summing every earlier shipment, so the matrix grows linearly with H.
    """
    data, lp, H = model.data, model.lp, model.data.horizon
    n = data.commitments.height
    if n == 0:
        return
    arrived = lp.col_blocks["arrived"]
    rows = lp.add_constraints("arrived", arrived.keys, lower=0.0, upper=0.0)
    k = np.arange(n * H)
    prev = k[(k % H) != 0]
    ship = lp.col_blocks["ship"]
    lp.add_terms(
        np.concatenate(
            [rows.start + k, rows.start + prev, rows.start + model.ship_c * H + model.ship_arrival]
        ),
        np.concatenate([arrived.start + k, arrived.start + prev - 1, ship.index]),
        np.concatenate([np.ones(k.size), -np.ones(prev.size), -np.ones(ship.size)]),
    )


def define_lateness(model: Model) -> None:
    """``late|c|t``: late[c,t] + A[c,t] >= backlog for t from the due month to H."""
    data, lp, H = model.data, model.lp, model.data.horizon
    if "late" not in lp.col_blocks:
        return
    late = lp.col_blocks["late"]
    backlog = data.commitments.get_column("backlog").to_numpy()
    rows = lp.add_constraints("late", late.keys, lower=backlog[model.late_c])
    arrived = lp.col_blocks["arrived"]
    lp.add_terms(
        np.concatenate([rows.index, rows.index]),
        np.concatenate([late.index, arrived.start + model.late_c * H + model.late_t]),
        1.0,
    )
