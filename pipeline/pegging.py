"""Pegging: which supply covers a promise, month by month, and what is still owed; and a
pool's planned balance with every inflow and outflow named.

Plain functions of a plan's stored rows, so the dashboard and any script read the same answer.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = ["BALANCE_SCHEMA", "PEGGING_SCHEMA", "pool_balance", "promise_pegging"]

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


BALANCE_SCHEMA = {
    "month": pl.Date,
    "opening": pl.Float64,
    "inflows": pl.String,
    "in_units": pl.Float64,
    "outflows": pl.String,
    "out_units": pl.Float64,
    "other_units": pl.Float64,
    "closing": pl.Float64,
}

_FLOW_WORDS = {"made": "made by", "arrived": "from", "shipped": "to"}


def pool_balance(
    levels: pl.DataFrame,
    flows: pl.DataFrame,
    opening: float,
    names: dict[str, str] | None = None,
) -> pl.DataFrame:
    """A pool's planned balance per month: the opening level, what comes in (made by each line,
    or arrived from each source: ``name units``), what goes out (shipped to each partner), the
    rest (consumption and any other draw: what makes the balance close) and the closing level.

    ``levels``: ``month, level`` (the plan's end-of-month level); ``flows``: ``flow`` (made,
    arrived, shipped), ``counterpart`` (an id), ``month``, ``units``; ``opening``: the level
    before the first month (the count the plan starts from). Opening plus in, less out and the
    rest, is the closing level, which is the next month's opening."""
    if levels.height == 0:
        return pl.DataFrame(schema=BALANCE_SCHEMA)
    names = names or {}
    moved = flows.with_columns(
        into=pl.col("flow").is_in(["made", "arrived"]),
        label=pl.format(
            "{} {} ({})",
            pl.col("flow").replace_strict(_FLOW_WORDS, default=pl.col("flow")),
            pl.col("counterpart").replace_strict(names, default=pl.col("counterpart")),
            pl.col("units").map_elements(lambda u: f"{u:,.0f}", return_dtype=pl.String),
        ),
    )

    def side(into: bool, text: str, units: str) -> pl.DataFrame:
        return (
            moved.filter(pl.col("into") == into)
            .sort("month", "units", descending=[False, True])
            .group_by("month", maintain_order=True)
            .agg(
                # a flow under half a unit counts in the total but is not worth a name
                pl.col("label").filter(pl.col("units").abs() > 0.5).str.join("; ").alias(text),
                pl.col("units").sum().alias(units),
            )
        )

    frame = (
        levels.sort("month")
        .rename({"level": "closing"})
        .join(side(True, "inflows", "in_units"), on="month", how="left")
        .join(side(False, "outflows", "out_units"), on="month", how="left")
        .with_columns(
            pl.col("in_units", "out_units").fill_null(0.0),
            pl.col("inflows", "outflows").fill_null(""),
            opening=pl.col("closing").shift(1).fill_null(pl.lit(float(opening))),
        )
        .with_columns(
            other_units=pl.col("opening")
            + pl.col("in_units")
            - pl.col("out_units")
            - pl.col("closing")
        )
    )
    return frame.select(list(BALANCE_SCHEMA)).cast(BALANCE_SCHEMA)
