"""Capacity expansion: on/off options under a budget (a MILP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_investment"]


def define_investment(model: Model) -> None:
    """``build[o]`` in {0,1}; bought at the start, it adds its units to the source's pool
    from month ``1 + lead_time``; ``budget``: sum cost * build <= budget."""
    data, lp, H = model.data, model.lp, model.data.horizon
    opts = data.options
    if data.budget is None or opts.height == 0:
        return
    build = lp.add_variables("build", opts.select("option_id"), lower=0.0, upper=1.0, integer=True)
    pool = lp.row_blocks["pool"]
    lead = opts.get_column("lead_time_months").to_numpy().astype(np.int64)
    count = np.clip(H - lead, 0, None)
    o = np.repeat(np.arange(opts.height), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    t = np.arange(o.size) - np.repeat(first, count) + lead[o]
    added = opts.get_column("added_units_per_month").to_numpy()
    # on a line with a bill of materials the option raises the line's capacity row; elsewhere
    # the added output flows into the pool
    m = (
        opts.join(data.made, on=["source_id", "item_id"], how="left", maintain_order="left")
        .get_column("m")
        .fill_null(-1)
        .to_numpy()
    )
    into_pool = m[o] < 0
    lp.add_terms(
        pool.start + opts.get_column("pool").to_numpy()[o[into_pool]] * H + t[into_pool],
        build.start + o[into_pool],
        -added[o[into_pool]],
    )
    if (~into_pool).any():
        line = lp.row_blocks["line"]
        k = ~into_pool
        lp.add_terms(line.start + m[o[k]] * H + t[k], build.start + o[k], -added[o[k]])
    rows = lp.add_constraints(
        "budget", pl.DataFrame({"scope": ["total"]}), upper=float(data.budget)
    )
    lp.add_terms(
        np.full(opts.height, rows.start), build.index, opts.get_column("cost_usd").to_numpy()
    )
