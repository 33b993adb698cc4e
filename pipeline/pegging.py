"""Pegging: which supply covers a promise, month by month, and what is still owed.

A plain function of a plan's stored rows (``plan_shipments`` of one commitment), so the
dashboard and any script read the same answer.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = ["PEGGING_SCHEMA", "promise_pegging"]

PEGGING_SCHEMA = {
    "arrival_month": pl.Date,
    "sources": pl.String,
    "units": pl.Float64,
    "cumulative": pl.Float64,
    "owed": pl.Float64,
    "late": pl.Boolean,
}


def promise_pegging(shipments: pl.DataFrame, backlog: float, due: date) -> pl.DataFrame:
    """Per arrival month of one promise: the sources whose shipments arrive then (``name
    (units, shipped YYYY-MM)``; ``source_name`` is used when the frame has it), the units,
    the cumulative units and what is still owed after them, ``late`` where the month is at
    or after the due month and something is still owed. ``shipments``: that promise's rows of
    ``plan_shipments`` (``source_id, month, arrival_month, units``)."""
    if shipments.height == 0:
        return pl.DataFrame(schema=PEGGING_SCHEMA)
    name = (
        pl.col("source_name").fill_null(pl.col("source_id"))
        if "source_name" in shipments.columns
        else pl.col("source_id")
    )
    labelled = shipments.with_columns(
        label=pl.format(
            "{} ({}, shipped {})",
            name,
            pl.col("units").round(0).cast(pl.Int64).cast(pl.String),
            pl.col("month").dt.strftime("%Y-%m"),
        )
    )
    return (
        labelled.sort("arrival_month", "source_id", "month")
        .group_by("arrival_month", maintain_order=True)
        .agg(pl.col("label").str.join("; ").alias("sources"), pl.col("units").sum())
        .with_columns(cumulative=pl.col("units").cum_sum())
        .with_columns(owed=(pl.lit(backlog) - pl.col("cumulative")).clip(lower_bound=0.0))
        .with_columns(late=(pl.col("arrival_month") >= pl.lit(due)) & (pl.col("owed") > 1e-6))
        .select(list(PEGGING_SCHEMA))
        .cast(PEGGING_SCHEMA)
    )
