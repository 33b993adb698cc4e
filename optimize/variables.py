"""Columns of the allocation model: shipments, pool levels, floor breaches, arrivals, lateness."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from optimize.lp import INF

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = [
    "define_arrivals",
    "define_inventory",
    "define_late",
    "define_partner_stocks",
    "define_readiness_gaps",
    "define_shipments",
    "define_sustainment",
]


def _labels(model: Model, t: np.ndarray) -> pl.Series:
    return pl.Series("month", model.data.month_labels, dtype=pl.String).gather(t)


def _pool_months(model: Model, pools: pl.DataFrame, idx: np.ndarray) -> pl.DataFrame:
    """Keys ``holder_id, item_id, month`` for each pool of ``idx`` (rows of ``pools``) and
    each plan month, pool by pool."""
    H = model.data.horizon
    p, t = np.repeat(idx, H), np.tile(np.arange(H), idx.size)
    return pl.DataFrame(
        {
            "holder_id": pools.get_column("holder_id").gather(p),
            "item_id": pools.get_column("item_id").gather(p),
            "month": _labels(model, t),
        }
    )


def _route_months(model: Model, routes: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each route and each month whose arrival ``t + L`` is in the horizon: the route,
    the shipping month and the arrival month."""
    H = model.data.horizon
    lead = routes.get_column("lead_time").to_numpy().astype(np.int64)
    count = H - lead
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if count.size else np.zeros(0, np.int64)
    r = np.repeat(np.arange(routes.height, dtype=np.int64), count)
    t = np.arange(r.size, dtype=np.int64) - np.repeat(first, count)
    return r, t, t + lead[r]


def define_shipments(model: Model) -> None:
    """``ship[s,c,t] >= 0`` on eligible routes, only for months whose arrival ``t + L`` is in the horizon."""
    data = model.data
    routes = data.routes
    r, t, arrival = _route_months(model, routes)
    model.ship_route, model.ship_t, model.ship_arrival = r, t, arrival
    model.ship_pool = routes.get_column("pool").to_numpy()[r]
    model.ship_c = routes.get_column("c").to_numpy()[r]
    cids = data.commitments.get_column("commitment_id")
    keys = pl.DataFrame(
        {
            "source_id": routes.get_column("source_id").gather(r),
            "commitment_id": cids.gather(model.ship_c),
            "month": _labels(model, t),
        }
    )
    model.lp.add_variables("ship", keys)


def define_inventory(model: Model) -> None:
    """``inv[h,i,t]`` (free: a forecast may outrun the stock) and ``breach[h,i,t] >= 0``."""
    data = model.data
    if data.num_pools == 0:
        return
    keys = _pool_months(model, data.pools, np.arange(data.num_pools))
    model.lp.add_variables("inv", keys, lower=-INF)
    model.lp.add_variables("breach", keys, cost=data.breach_penalty)


def define_arrivals(model: Model) -> None:
    """Cumulative arrivals ``A[c,t]`` (units arrived by month t), at most the backlog."""
    data, H = model.data, model.data.horizon
    n = data.commitments.height
    if n == 0:
        return
    c = np.repeat(np.arange(n), H)
    t = np.tile(np.arange(H), n)
    keys = pl.DataFrame(
        {
            "commitment_id": data.commitments.get_column("commitment_id").gather(c),
            "month": _labels(model, t),
        }
    )
    backlog = data.commitments.get_column("backlog").to_numpy()
    model.lp.add_variables("arrived", keys, upper=backlog[c])


def define_late(model: Model) -> None:
    """``late[c,t] >= 0`` for t from the due month to H, costing the weight ``2^(5-priority)``."""
    data, H = model.data, model.data.horizon
    com = data.commitments
    due = com.get_column("due").to_numpy()
    count = np.clip(H - due, 0, None)
    if count.sum() == 0:
        model.late_c = np.zeros(0, np.int64)
        model.late_t = np.zeros(0, np.int64)
        return
    c = np.repeat(np.arange(com.height), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    t = np.arange(c.size) - np.repeat(first, count) + due[c]
    model.late_c, model.late_t = c, t
    keys = pl.DataFrame(
        {"commitment_id": com.get_column("commitment_id").gather(c), "month": _labels(model, t)}
    )
    model.lp.add_variables("late", keys, cost=com.get_column("weight").to_numpy()[c])


def define_sustainment(model: Model) -> None:
    """``sustain[s,p,i,t] >= 0``: units proposed beyond the backlog from source s to partner
    stock (p, i), on eligible routes, only for months whose arrival is in the horizon."""
    data = model.data
    routes = data.sustain_routes
    if routes.height == 0:
        return
    r, t, arrival = _route_months(model, routes)
    model.sus_route, model.sus_t, model.sus_arrival = r, t, arrival
    model.sus_pool = routes.get_column("pool").to_numpy()[r]
    model.sus_q = routes.get_column("q").to_numpy()[r]
    pp = data.partner_pools
    keys = pl.DataFrame(
        {
            "source_id": routes.get_column("source_id").gather(r),
            "partner_id": pp.get_column("holder_id").gather(model.sus_q),
            "item_id": pp.get_column("item_id").gather(model.sus_q),
            "month": _labels(model, t),
        }
    )
    model.lp.add_variables("sustain", keys)


def define_partner_stocks(model: Model) -> None:
    """``partner_stock[p,i,t]``: a partner's stock at the end of month t (free: a negative
    level is consumption the stock could not cover, still owed to its floor)."""
    pp = model.data.partner_pools
    if pp.height == 0:
        return
    model.lp.add_variables(
        "partner_stock", _pool_months(model, pp, np.arange(pp.height)), lower=-INF
    )


def define_readiness_gaps(model: Model) -> None:
    """``below_floor[p,i,t] >= 0`` for partner stocks with a floor and ``below_target[h,i,t]
    >= 0`` for US stock pools (kind ``us_stock``) with a target: the units missing that
    month (priced in the readiness stage only)."""
    data = model.data
    pp = data.partner_pools
    q = np.nonzero(pp.get_column("floor_units").to_numpy() > 0)[0]
    if q.size:
        model.gap_q = q
        model.lp.add_variables("below_floor", _pool_months(model, pp, q))
    pools = data.pools
    target = pools.get_column("target_units").fill_null(0.0).to_numpy()
    is_us = (pools.get_column("kind") == "us_stock").fill_null(False).to_numpy()
    p = np.nonzero(is_us & (target > 0))[0]
    if p.size:
        model.gap_pool = p
        model.lp.add_variables("below_target", _pool_months(model, pools, p))
