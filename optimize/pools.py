"""Pool balances (the source balance) and elastic readiness floors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_floors", "define_source_balance"]


def define_source_balance(model: Model) -> None:
    """``pool|h|i|t``: inv[t] - inv[t-1] + ships out in t = inflow[t] - consumption[t] (+ start stock at t=1).

    Its dual is the value of one more unit entering the pool in month t, which is
    what one more unit of capacity at a source feeding it is worth.
    """
    data, lp, H = model.data, model.lp, model.data.horizon
    P = data.num_pools
    if P == 0:
        return
    inv = lp.col_blocks["inv"]
    rhs = data.inflow - data.consumption
    rhs[:, 0] += data.pools.get_column("start_units").to_numpy()
    rows = lp.add_constraints("pool", inv.keys, lower=rhs.ravel(), upper=rhs.ravel())
    k = np.arange(P * H)
    prev = k[(k % H) != 0]
    ship = lp.col_blocks["ship"]
    lp.add_terms(
        np.concatenate(
            [rows.start + k, rows.start + prev, rows.start + model.ship_pool * H + model.ship_t]
        ),
        np.concatenate([inv.start + k, inv.start + prev - 1, ship.index]),
        np.concatenate([np.ones(k.size), -np.ones(prev.size), np.ones(ship.size)]),
    )


def define_floors(model: Model) -> None:
    """``floor|h|i|t``: inv + breach >= floor; the breach is priced so that it never pays."""
    data, lp, H = model.data, model.lp, model.data.horizon
    P = data.num_pools
    if P == 0:
        return
    inv, breach = lp.col_blocks["inv"], lp.col_blocks["breach"]
    floor = np.repeat(data.pools.get_column("floor_units").to_numpy(), H)
    rows = lp.add_constraints("floor", inv.keys, lower=floor)
    lp.add_terms(
        np.concatenate([rows.index, rows.index]),
        np.concatenate([inv.index, breach.index]),
        1.0,
    )
