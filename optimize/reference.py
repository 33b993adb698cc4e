"""Closeness to a reference plan: the sum of absolute differences of shipments.

A shipment column whose reference is 0 costs its units (it can only move away from 0); one
with a positive reference ``r`` gets a ``deviation`` column with ``deviation >= x - r`` and
``deviation >= r - x`` (rows ``deviation_up`` and ``deviation_down``). Reference shipments
with no column in this model (a promise no longer open, a route now closed) are a constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_reference"]


def _matched(keys: pl.DataFrame, start: int, ref: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Reference rows matched to the columns of a block: ``col, units``."""
    if keys.height == 0 or ref.height == 0:
        return pl.DataFrame(schema={"col": pl.Int64, "units": pl.Float64})
    idx = keys.with_row_index("col").with_columns(pl.col("col").cast(pl.Int64) + start)
    return idx.join(ref.group_by(on).agg(pl.col("units").sum()), on=on, how="inner").select(
        "col", "units"
    )


def define_reference(model: Model) -> None:
    data, lp = model.data, model.lp
    ref = data.reference
    if ref is None:
        return
    ref = ref.filter(pl.col("units") > 0).with_columns(pl.col("month").dt.strftime("%Y-%m"))
    promise = ref.filter(pl.col("commitment_id").is_not_null())
    sustain = ref.filter(pl.col("commitment_id").is_null())
    ship = lp.col_blocks["ship"]
    parts = [_matched(ship.keys, ship.start, promise, ["source_id", "commitment_id", "month"])]
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        parts.append(
            _matched(sus.keys, sus.start, sustain, ["source_id", "partner_id", "item_id", "month"])
        )
    matched = pl.concat(parts)
    model.reference_constant = float(ref.get_column("units").sum()) - float(
        matched.get_column("units").sum()
    )
    cols = matched.get_column("col").to_numpy()
    units = matched.get_column("units").to_numpy()
    model.reference_cols, model.reference_units = cols, units
    if cols.size == 0:
        return
    names = pl.DataFrame({"column": [lp.col_name(int(j)) for j in cols]})
    dev = lp.add_variables("deviation", names)
    up = lp.add_constraints("deviation_up", names, lower=-units)
    down = lp.add_constraints("deviation_down", names, lower=units)
    lp.add_terms(
        np.concatenate([up.index, up.index, down.index, down.index]),
        np.concatenate([dev.index, cols, dev.index, cols]),
        np.concatenate([np.ones(cols.size), -np.ones(cols.size), np.ones(cols.size * 2)]),
    )
