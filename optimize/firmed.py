"""Stage 0: firmed shipments and pinned completions, honoured as elastic goals.

A planner firms a shipment (at least ``units`` from a source to a partner's item, shipped in a
month, for one promise or for any promise and sustainment) or pins a promise's completion to a
month (its whole backlog arrived by then). Each firmed row is a row of the model with its own
shortfall column:

- ``firm|<id>``: the matching ``ship`` (and, without a promise, ``sustain``) columns plus
  ``firm_short|<id>`` at least ``units``;
- ``firm|<id>`` of a pinned completion: ``arrived[c, month]`` plus ``firm_short|<id>`` at
  least the backlog.

The stage minimises the missing fraction summed over firmed rows (each row counts alike,
whatever its item's unit), before lateness. A shortfall column keeps the model feasible when
a capacity cut or an outage makes a firmed row impossible: the plan then keeps what it can and
the shortfall is reported, never dropped.

A firmed shipment dated before the plan's start is history and takes no part. A pinned month
before the start counts as the first month (as a past due month does); one past the horizon
cannot be checked within it and takes no part either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from optimize.objective import Stage

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["FIRMED_SCHEMA", "define_firmed", "empty_firmed", "firmed_in_plan"]

FIRMED_SCHEMA = {
    "firm_id": pl.Int64,
    "kind": pl.Utf8,
    "source_id": pl.Utf8,
    "commitment_id": pl.Utf8,
    "partner_id": pl.Utf8,
    "item_id": pl.Utf8,
    "month": pl.Utf8,
    "units": pl.Float64,
}
"""A firmed row: ``kind`` is 'shipment' or 'completion_pin'; ``month`` is ``YYYY-MM``."""


def empty_firmed() -> pl.DataFrame:
    return pl.DataFrame(schema=FIRMED_SCHEMA)


def firmed_in_plan(firmed: pl.DataFrame, month_labels: list[str]) -> pl.DataFrame:
    """The firmed rows that take part in a plan of these months, with ``t`` (the month index):
    shipments within the horizon, completions pinned before its end (a past month is month 0)."""
    if firmed.height == 0:
        return firmed.with_columns(pl.lit(0, pl.Int64).alias("t"))
    first, last = month_labels[0], month_labels[-1]
    index = {m: t for t, m in enumerate(month_labels)}
    rows = firmed.filter(
        pl.when(pl.col("kind") == "shipment")
        .then(pl.col("month").is_between(pl.lit(first), pl.lit(last)))
        .otherwise(pl.col("month") <= pl.lit(last))
    )
    return rows.with_columns(
        pl.col("month").replace_strict(index, default=0, return_dtype=pl.Int64).alias("t")
    )


def _shipment_terms(model: Model, rows: pl.DataFrame) -> pl.DataFrame:
    """``f, col``: the shipment and sustainment columns each firmed shipment counts."""
    lp, data = model.lp, model.data
    out = [pl.DataFrame(schema={"f": pl.Int64, "col": pl.Int64})]
    ship = lp.col_blocks.get("ship")
    if ship is not None and ship.size:
        com = data.commitments.select("commitment_id", "partner_id", "item_id")
        cols = (
            ship.keys.with_row_index("col")
            .with_columns(pl.col("col").cast(pl.Int64) + ship.start)
            .join(com, on="commitment_id", how="left")
        )
        by_promise = rows.filter(pl.col("commitment_id").is_not_null())
        out.append(
            by_promise.join(cols, on=["source_id", "commitment_id", "month"]).select("f", "col")
        )
        any_promise = rows.filter(pl.col("commitment_id").is_null())
        out.append(
            any_promise.drop("commitment_id")
            .join(cols, on=["source_id", "partner_id", "item_id", "month"])
            .select("f", "col")
        )
    sus = lp.col_blocks.get("sustain")
    if sus is not None and sus.size:
        cols = sus.keys.with_row_index("col").with_columns(pl.col("col").cast(pl.Int64) + sus.start)
        out.append(
            rows.filter(pl.col("commitment_id").is_null())
            .join(cols, on=["source_id", "partner_id", "item_id", "month"])
            .select("f", "col")
        )
    return pl.concat(out)


def define_firmed(model: Model) -> None:
    """The ``firm`` rows and ``firm_short`` columns, and ``model.firm_stage`` (None without
    firmed rows that take part)."""
    data, lp, H = model.data, model.lp, model.data.horizon
    rows = firmed_in_plan(data.firmed, data.month_labels)
    if rows.height == 0:
        return
    backlog = data.commitments.select("c", "commitment_id", "backlog")
    rows = (
        rows.join(backlog, on="commitment_id", how="left")
        .with_columns(
            pl.when(pl.col("kind") == "completion_pin")
            .then(pl.col("backlog").fill_null(0.0))
            .otherwise(pl.col("units"))
            .alias("goal")
        )
        .filter(pl.col("goal") > 0)
        .sort("firm_id")
        .with_row_index("f")
        .with_columns(pl.col("f").cast(pl.Int64))
    )
    if rows.height == 0:
        return
    keys = rows.select(pl.col("firm_id").cast(pl.Utf8))
    short = lp.add_variables("firm_short", keys)
    goal = rows.get_column("goal").to_numpy()
    firm = lp.add_constraints("firm", keys, lower=goal)
    ship_terms = _shipment_terms(model, rows.filter(pl.col("kind") == "shipment"))
    pinned = rows.filter((pl.col("kind") == "completion_pin") & pl.col("c").is_not_null())
    arrived = lp.col_blocks.get("arrived")
    pin_f = pinned.get_column("f").to_numpy()
    pin_col = (
        arrived.start + pinned.get_column("c").to_numpy() * H + pinned.get_column("t").to_numpy()
        if arrived is not None
        else np.zeros(0, np.int64)
    )
    f = np.concatenate([np.arange(rows.height), ship_terms.get_column("f").to_numpy(), pin_f])
    cols = np.concatenate(
        [short.index, ship_terms.get_column("col").to_numpy(), pin_col.astype(np.int64)]
    )
    lp.add_terms(firm.start + f, cols, 1.0)
    model.firm_stage = Stage("firmed", short.index, 1.0 / goal)
    model.firm_goal = goal
