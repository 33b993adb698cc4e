"""Lines with a bill of materials: output as a decision, capacity rows, component draws.

A line whose item has rows in ``bom.csv`` makes ``make[s,i,t]`` units in month t, at most
its capacity (the ``line`` row, whose dual is what one more unit of that line's capacity is
worth) and at most what its components allow: each unit made draws ``units_per_item`` from
the component's pool ``lead_time`` months earlier. Draws for the first ``lead_time`` months
fall before the plan starts, so they can only come from the components in stock at the start
(the ``bom_start`` row); in the pool balance they are counted in month 1. Lines without a bill
of materials produce their capacity, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_component_draws", "define_make", "define_production_capacity"]


def define_make(model: Model) -> None:
    """``make[s,i,t] >= 0`` for each line with a bill of materials and each plan month."""
    data, H = model.data, model.data.horizon
    made = data.made
    if made.height == 0:
        return
    m = np.repeat(np.arange(made.height, dtype=np.int64), H)
    t = np.tile(np.arange(H, dtype=np.int64), made.height)
    model.make_m, model.make_t = m, t
    keys = pl.DataFrame(
        {
            "source_id": made.get_column("source_id").gather(m),
            "item_id": made.get_column("item_id").gather(m),
            "month": pl.Series("month", data.month_labels, dtype=pl.String).gather(t),
        }
    )
    model.lp.add_variables("make", keys)


def define_production_capacity(model: Model) -> None:
    """``line|s|i|t``: make <= the line's capacity that month; and ``-make`` in the balance
    of the pool the line feeds."""
    data, lp, H = model.data, model.lp, model.data.horizon
    make = lp.col_blocks.get("make")
    if make is None:
        return
    made = data.made
    cap = np.zeros((made.height, H))
    rates = data.capacity.join(
        made.select("m", "source_id", "item_id"), on=["source_id", "item_id"]
    )
    cap[rates.get_column("m").to_numpy(), rates.get_column("t").to_numpy()] = rates.get_column(
        "units"
    ).to_numpy()
    rows = lp.add_constraints("line", make.keys, upper=cap.ravel())
    lp.add_terms(rows.index, make.index, 1.0)
    pool = lp.row_blocks["pool"]
    out_pool = made.get_column("pool").to_numpy()[model.make_m]
    lp.add_terms(pool.start + out_pool * H + model.make_t, make.index, -1.0)


def define_component_draws(model: Model) -> None:
    """Each unit made in month t draws ``units_per_item`` of each component from its pool in
    month ``t - lead_time``; draws that fall before the start are counted in month 1 and capped
    by the start stock (``bom_start|component``)."""
    data, lp, H = model.data, model.lp, model.data.horizon
    make = lp.col_blocks.get("make")
    if make is None or data.bom.height == 0:
        return
    bom = data.bom
    b = np.repeat(np.arange(bom.height, dtype=np.int64), H)
    t = np.tile(np.arange(H, dtype=np.int64), bom.height)
    m = bom.get_column("m").to_numpy()[b]
    comp = bom.get_column("component_pool").to_numpy()[b]
    per = bom.get_column("units_per_item").to_numpy()[b]
    drawn_at = t - bom.get_column("lead_time").to_numpy()[b]
    col = make.start + m * H + t
    pool = lp.row_blocks["pool"]
    lp.add_terms(pool.start + comp * H + np.maximum(drawn_at, 0), col, per)
    early = drawn_at < 0
    if not early.any():
        return
    pools = np.unique(comp[early])
    start_units = data.pools.get_column("start_units").to_numpy()[pools]
    keys = pl.DataFrame({"component": data.pools.get_column("item_id").gather(pools)})
    rows = lp.add_constraints("bom_start", keys, upper=start_units)
    lp.add_terms(rows.start + np.searchsorted(pools, comp[early]), col[early], per[early])
