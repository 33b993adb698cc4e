"""Pool balances (the source balance) and elastic readiness floors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = [
    "define_floors",
    "define_partner_balance",
    "define_readiness_rows",
    "define_source_balance",
]


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
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        lp.add_terms(rows.start + model.sus_pool * H + model.sus_t, sus.index, 1.0)


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


def define_partner_balance(model: Model) -> None:
    """``partner_pool|p|i|t``: stock[t] - stock[t-1] - arrivals at (p, i) in t (promises and
    sustainment) = - consumption[t] (+ the latest count at t=1)."""
    data, lp, H = model.data, model.lp, model.data.horizon
    Q = data.partner_pools.height
    if Q == 0:
        return
    level = lp.col_blocks["partner_stock"]
    rhs = -data.partner_consumption.copy()
    rhs[:, 0] += data.partner_pools.get_column("start_units").to_numpy()
    rows = lp.add_constraints("partner_pool", level.keys, lower=rhs.ravel(), upper=rhs.ravel())
    k = np.arange(Q * H)
    prev = k[(k % H) != 0]
    lp.add_terms(
        np.concatenate([rows.start + k, rows.start + prev]),
        np.concatenate([level.start + k, level.start + prev - 1]),
        np.concatenate([np.ones(k.size), -np.ones(prev.size)]),
    )
    ship = lp.col_blocks["ship"]
    q_of_c = data.commitments.get_column("partner_pool").to_numpy()
    if model.ship_c.size:
        ship_q = q_of_c[model.ship_c]
        into = np.nonzero(ship_q >= 0)[0]
        lp.add_terms(
            rows.start + ship_q[into] * H + model.ship_arrival[into], ship.start + into, -1.0
        )
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        lp.add_terms(rows.start + model.sus_q * H + model.sus_arrival, sus.index, -1.0)


def _gap_rows(
    model: Model, family: str, level_family: str, idx: np.ndarray, goal: np.ndarray
) -> None:
    """``family|h|i|t``: gap + level >= goal, for the pools ``idx`` of the level columns."""
    lp, H = model.lp, model.data.horizon
    gap, level = lp.col_blocks[family], lp.col_blocks[level_family]
    rows = lp.add_constraints(family, gap.keys, lower=np.repeat(goal, H))
    at = (idx[:, None] * H + np.arange(H)[None, :]).ravel()
    lp.add_terms(
        np.concatenate([rows.index, rows.index]),
        np.concatenate([gap.index, level.start + at]),
        1.0,
    )


def define_readiness_rows(model: Model) -> None:
    """``below_floor|p|i|t``: gap + partner stock >= floor (partner stocks with a floor);
    ``below_target|h|i|t``: gap + level >= target (US stock pools with a target)."""
    data, lp = model.data, model.lp
    if "below_floor" in lp.col_blocks:
        floor = data.partner_pools.get_column("floor_units").to_numpy()[model.gap_q]
        _gap_rows(model, "below_floor", "partner_stock", model.gap_q, floor)
    if "below_target" in lp.col_blocks:
        target = data.pools.get_column("target_units").to_numpy()[model.gap_pool]
        _gap_rows(model, "below_target", "inv", model.gap_pool, target)
