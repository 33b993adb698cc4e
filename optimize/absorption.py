"""What a partner can receive and put to use per month, by item category."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_absorption"]


def define_absorption(model: Model) -> None:
    """``absorption|p|k|t``: arrivals at partner p of category k in month t <= units_per_month."""
    data, lp, H = model.data, model.lp, model.data.horizon
    if data.absorption.height == 0 or "ship" not in lp.col_blocks:
        return
    limits = data.absorption.with_row_index("a").with_columns(pl.col("a").cast(pl.Int64))
    com = data.commitments.select("c", "partner_id", "category")
    com_a = com.join(
        limits.select("a", "partner_id", "category"), on=["partner_id", "category"], how="left"
    )
    a_of_c = com_a.sort("c").get_column("a").fill_null(-1).to_numpy()
    ship_a = a_of_c[model.ship_c] if model.ship_c.size else np.zeros(0, np.int64)
    pp = data.partner_pools.select("q", pl.col("holder_id").alias("partner_id"), "category").join(
        limits.select("a", "partner_id", "category"), on=["partner_id", "category"], how="left"
    )
    a_of_q = pp.sort("q").get_column("a").fill_null(-1).to_numpy()
    sus_a = a_of_q[model.sus_q] if model.sus_q.size else np.zeros(0, np.int64)
    used = np.unique(np.concatenate([ship_a[ship_a >= 0], sus_a[sus_a >= 0]]))
    if used.size == 0:
        return
    compact = np.full(limits.height, -1, dtype=np.int64)
    compact[used] = np.arange(used.size)
    a = np.repeat(used, H)
    t = np.tile(np.arange(H), used.size)
    keys = pl.DataFrame(
        {
            "partner_id": limits.get_column("partner_id").gather(a),
            "category": limits.get_column("category").gather(a),
            "month": pl.Series(data.month_labels).gather(t),
        }
    )
    cap = limits.get_column("units_per_month").to_numpy()[a]
    rows = lp.add_constraints("absorption", keys, upper=cap)
    model.absorption_limit = a
    for family, limit, arrival in (
        ("ship", ship_a, model.ship_arrival),
        ("sustain", sus_a, model.sus_arrival),
    ):
        idx = np.nonzero(limit >= 0)[0]
        if idx.size:
            block = lp.col_blocks[family]
            lp.add_terms(
                rows.start + compact[limit[idx]] * H + arrival[idx], block.start + idx, 1.0
            )
