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
    "define_shipments",
]


def _labels(model: Model, t: np.ndarray) -> pl.Series:
    return pl.Series("month", model.data.month_labels, dtype=pl.String).gather(t)


def define_shipments(model: Model) -> None:
    """``ship[s,c,t] >= 0`` on eligible routes, only for months whose arrival ``t + L`` is in the horizon."""
    data, H = model.data, model.data.horizon
    routes = data.routes
    lead = routes.get_column("lead_time").to_numpy().astype(np.int64)
    count = H - lead
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if count.size else np.zeros(0, np.int64)
    r = np.repeat(np.arange(routes.height, dtype=np.int64), count)
    t = np.arange(r.size, dtype=np.int64) - np.repeat(first, count)
    model.ship_route = r
    model.ship_t = t
    model.ship_pool = routes.get_column("pool").to_numpy()[r]
    model.ship_c = routes.get_column("c").to_numpy()[r]
    model.ship_arrival = t + lead[r]
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
    data, H = model.data, model.data.horizon
    P = data.num_pools
    if P == 0:
        return
    p = np.repeat(np.arange(P), H)
    t = np.tile(np.arange(H), P)
    keys = pl.DataFrame(
        {
            "holder_id": data.pools.get_column("holder_id").gather(p),
            "item_id": data.pools.get_column("item_id").gather(p),
            "month": _labels(model, t),
        }
    )
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
