"""The domain facts every stage shares, each computed in one place (DESIGN.md: the allocation
model): the capacity grid, which pool a production line feeds, pools' starting stocks, the
backlog, the priority weight, and the capacity-value ranking.

Everything here is a pure function of polars frames (a data set's tables or a run's result
rows), so a scenario's changed copy of the data gets the same answers as the baseline. The SQL
side has the matching staging views in ``sql/schema.sql`` (``backlog``, ``latest_stocks``);
``tests/store/test_facts.py`` checks that both give the same figures. The plan checker
(``optimize/checker.py``) and the tests keep their own independent copies on purpose.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date

import polars as pl

from store.contract import PRODUCTION_KINDS, STOCK_KINDS

__all__ = [
    "LOWEST_PRIORITY",
    "TOP_PRIORITY",
    "capacity_grid",
    "capacity_lines_worth_most",
    "capacity_value_per_dollar",
    "commitment_backlog",
    "line_holders",
    "priority_weight",
    "rank_capacity_value",
    "starting_stocks",
    "tier_weight",
]

log = logging.getLogger(__name__)

TOP_PRIORITY = 1
LOWEST_PRIORITY = 5

_KEY = ["source_id", "item_id"]
_GRID_SCHEMA = {
    "source_id": pl.String,
    "item_id": pl.String,
    "t": pl.Int64,
    "month": pl.Date,
    "units": pl.Float64,
}


def capacity_grid(
    capacity: pl.DataFrame, months: Sequence[date], keys: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The capacity step function on a grid of months.

    A ``capacity`` row's rate holds from its month until the next row for the same source and
    item; before the first row it is 0. Returns one row per (source, item) of ``keys`` (default:
    every pair in ``capacity``) and month of ``months``: ``source_id, item_id, t, month, units``
    where ``t`` is the month's position in ``months``; sorted by source, item, ``t``.
    """
    if keys is None:
        keys = capacity.select(_KEY).unique()
    grid = pl.DataFrame(
        {"t": range(len(months)), "month": list(months)},
        schema_overrides={"t": pl.Int64, "month": pl.Date},
    )
    cells = keys.select(_KEY).join(grid, how="cross").sort("month")
    if cells.height == 0:
        return pl.DataFrame(schema=_GRID_SCHEMA)
    rates = capacity.select(*_KEY, "month", pl.col("units").cast(pl.Float64)).sort("month")
    return (
        cells.join_asof(rates, on="month", by=_KEY, strategy="backward", check_sortedness=False)
        .with_columns(pl.col("units").fill_null(0.0))
        .select(list(_GRID_SCHEMA))
        .sort(*_KEY, "t")
    )


def line_holders(sources: pl.DataFrame) -> pl.DataFrame:
    """Which pool each production line feeds: ``source_id, holder_id``.

    A production source whose ``stock_holder`` names a stock source feeds that holder's pool
    (US plants feed the US depot); one without keeps its own pool (``holder_id`` is itself).
    """
    stock_ids = sources.filter(pl.col("kind").is_in(STOCK_KINDS)).get_column("source_id")
    return sources.filter(pl.col("kind").is_in(PRODUCTION_KINDS)).select(
        "source_id",
        holder_id=pl.when(pl.col("stock_holder").is_in(stock_ids.implode()))
        .then(pl.col("stock_holder"))
        .otherwise(pl.col("source_id")),
    )


def starting_stocks(
    stockpiles: pl.DataFrame, start: date, holders: Collection[str] | None = None
) -> pl.DataFrame:
    """Each counted (holder, item)'s stock at the start of month 1, its floor and target.

    The count with the latest ``as_of`` before ``start``; a pool counted only on or after the
    start uses its first count (logged), so it is never silently missing from the plan or the
    projection. ``holders``: only these holders (default: all). Returns ``holder_id, item_id,
    start_units, floor_units, target_units``, sorted by holder and item.
    """
    counts = stockpiles
    if holders is not None:
        counts = counts.filter(pl.col("holder_id").is_in(list(holders)))
    pool = ["holder_id", "item_id"]
    before = counts.filter(pl.col("as_of") < start)
    latest = before.sort("as_of").group_by(pool).last()
    after_only = counts.join(before.select(pool).unique(), on=pool, how="anti")
    first = after_only.sort("as_of").group_by(pool).first()
    if first.height:
        named = ", ".join(f"{h}/{i}" for h, i in first.select(pool).sort(pool).iter_rows())
        log.info("counted only on or after %s, starting from the first count: %s", start, named)
    return (
        pl.concat([latest, first])
        .select(
            *pool,
            pl.col("units").alias("start_units"),
            "floor_units",
            "target_units",
        )
        .sort(pool)
    )


def priority_weight(priority: int | pl.Expr) -> float | pl.Expr:
    """The weight of a promise's late unit-months: 2^(5 - priority), so 16, 8, 4, 2, 1 for
    priority 1 (highest) to 5. Takes a number or a polars expression. (The SQL view
    ``backlog`` has the same formula as its ``weight`` column; a test checks they agree.)"""
    return 2.0 ** (LOWEST_PRIORITY - priority)


TIER_WEIGHTS = {"frontline": 4.0, "most_capable": 2.0, "other": 1.0}


def tier_weight(tier: str | pl.Expr) -> float | pl.Expr:
    """The weight of a partner's shortfall below its floor in the readiness stage: frontline 4,
    most_capable 2, other 1 (an unknown tier weighs 1). Takes a tier or a polars expression."""
    if isinstance(tier, pl.Expr):
        return tier.replace_strict(TIER_WEIGHTS, default=1.0, return_dtype=pl.Float64)
    return TIER_WEIGHTS.get(tier, 1.0)


def commitment_backlog(commitments: pl.DataFrame, deliveries: pl.DataFrame) -> pl.DataFrame:
    """The commitments with ``delivered`` (units delivered so far, null when none) and
    ``backlog`` (quantity minus deliveries, never below 0). The SQL view ``backlog`` is the
    same fact for queries."""
    delivered = deliveries.group_by("commitment_id").agg(pl.col("units").sum().alias("delivered"))
    return commitments.join(delivered, on="commitment_id", how="left").with_columns(
        backlog=(pl.col("quantity") - pl.col("delivered").fill_null(0.0)).clip(lower_bound=0.0)
    )


def rank_capacity_value(values: pl.DataFrame) -> pl.DataFrame:
    """Production lines ranked by what one more unit of capacity is worth.

    ``values``: a plan's capacity value (``source_id, item_id, month, value``, one row per line
    and month). Returns one row per line: ``value`` (summed over months), ``best`` (the best
    month's value), ``first_month``, ``last_month`` and ``months`` (the months where it helps,
    i.e. value > 0; null and 0 when none) and ``rank`` (1 for the largest sum; equal sums share
    a rank). Ordered by sum descending, then best month descending, then source and item, so
    every reader (the CLI summary, the report, the Capacity page's chart and table, the
    comparison) lists ties the same way.
    """
    helps = pl.col("value") > 0
    return (
        values.group_by(_KEY)
        .agg(
            pl.col("value").sum(),
            pl.col("value").max().alias("best"),
            pl.col("month").filter(helps).min().alias("first_month"),
            pl.col("month").filter(helps).max().alias("last_month"),
            helps.sum().cast(pl.Int64).alias("months"),
        )
        .sort(["value", "best", *_KEY], descending=[True, True, False, False])
        .with_columns(rank=pl.col("value").rank("min", descending=True).cast(pl.Int64))
    )


def capacity_lines_worth_most(values: pl.DataFrame, top: int) -> pl.DataFrame:
    """The first ``top`` lines of :func:`rank_capacity_value` whose extra capacity would reduce
    lateness (summed value > 0): what the CLI summary, the report's chart and the Capacity
    page's chart and table list, ties in the same order."""
    return rank_capacity_value(values).filter(pl.col("value") > 0).head(top)


def capacity_value_per_dollar(values: pl.DataFrame, options: pl.DataFrame) -> pl.DataFrame:
    """Per line with an expansion option: the capacity value its cheapest option would buy
    per million USD, to first order (the duals hold only within their range; the investment
    model re-solves): ``added_units_per_month`` times the value summed over the months from
    the plan's first month plus the option's lead time, divided by its cost. ``values``: as
    :func:`rank_capacity_value`; ``options``: ``option_id, source_id, item_id,
    added_units_per_month, lead_time_months, cost_usd``. Returns ``source_id, item_id,
    option_id, per_million_usd``."""
    schema = {
        "source_id": pl.String,
        "item_id": pl.String,
        "option_id": pl.String,
        "per_million_usd": pl.Float64,
    }
    if values.height == 0 or options.height == 0:
        return pl.DataFrame(schema=schema)
    first = values.get_column("month").min()
    cheapest = (
        options.filter(pl.col("cost_usd") > 0)
        .sort("cost_usd", "option_id")
        .unique(_KEY, keep="first", maintain_order=True)
    )
    ranked = values.with_columns(
        k=(pl.col("month").dt.year() - first.year) * 12 + pl.col("month").dt.month() - first.month  # type: ignore[union-attr]
    )
    return (
        ranked.join(cheapest, on=_KEY)
        .filter(pl.col("k") >= pl.col("lead_time_months"))
        .group_by(*_KEY, "option_id", "added_units_per_month", "cost_usd")
        .agg(pl.col("value").sum())
        .select(
            *_KEY,
            "option_id",
            per_million_usd=pl.col("value")
            * pl.col("added_units_per_month")
            / pl.col("cost_usd")
            * 1e6,
        )
        .sort(_KEY)
        .cast(schema)
    )
