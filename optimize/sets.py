"""Index sets of the allocation model, built from the data set: pools, routes, commitments.

Everything here is plain data (polars frames and numpy arrays) that the
``define_*`` functions turn into columns and rows. Month ``t`` is 0-based here
(plan month 1 is ``t = 0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from store.contract import PRODUCTION_KINDS, STOCK_KINDS
from store.dataset import Dataset
from store.months import month_range, month_text

__all__ = [
    "WILDCARD",
    "ModelData",
    "breach_penalty",
    "build_model_data",
    "resolve_eligibility",
]

WILDCARD = "*"
MAX_WEIGHT = 16.0


def breach_penalty(horizon: int) -> float:
    """Per unit-month below a floor: more than the largest weight times H, so it never pays."""
    return MAX_WEIGHT * horizon + 1.0


@dataclass(frozen=True)
class ModelData:
    start: date
    horizon: int
    months: list[date]
    month_labels: list[str]
    pools: pl.DataFrame
    """pool, holder_id, item_id, start_units, floor_units, target_units, is_stock."""
    inflow: np.ndarray
    """(pools, H): committed production flowing into each pool."""
    consumption: np.ndarray
    """(pools, H): forecast consumption drawn from each pool."""
    capacity: pl.DataFrame
    """source_id, item_id, pool, t, units: each production line's step-function rate."""
    commitments: pl.DataFrame
    """c, commitment_id, partner_id, item_id, category, backlog, due, weight, priority."""
    candidates: pl.DataFrame
    """Every (source, commitment) a supplier of the item could serve, with the rule outcome:
    source_id, c, pool, allowed, lead_time, rule, rule_reason."""
    routes: pl.DataFrame
    """r, source_id, c, pool, lead_time: allowed candidates whose arrivals can fall in the horizon."""
    absorption: pl.DataFrame
    """partner_id, category, units_per_month."""
    options: pl.DataFrame
    """option_id, source_id, item_id, pool, added_units_per_month, lead_time_months, cost_usd."""
    budget: float | None

    @property
    def num_pools(self) -> int:
        return self.pools.height

    @property
    def breach_penalty(self) -> float:
        return breach_penalty(self.horizon)


def _month_t(col: str, start: date) -> pl.Expr:
    return (pl.col(col).dt.year() - start.year) * 12 + (pl.col(col).dt.month() - start.month)


def resolve_eligibility(eligibility: pl.DataFrame, triples: pl.DataFrame) -> pl.DataFrame:
    """Resolve rules for (source_id, partner_id, item_id) triples.

    The most specific matching rule (most non-``*`` fields) wins; among equally
    specific rules a deny wins; tied allows take the longest lead time. With no
    matching rule a route is allowed with lead time 0. Returns the triples with
    ``allowed``, ``lead_time``, ``rule`` (e.g. ``(US_PLANTS, *, 155MM)``, null when no
    rule matched) and ``rule_reason``.
    """
    keys = ["source_id", "partner_id", "item_id"]
    triples = triples.select(keys).unique()
    rules = eligibility.with_columns(
        rule=pl.format("({}, {}, {})", *[pl.col(k) for k in keys]),
        specificity=pl.sum_horizontal([(pl.col(k) != WILDCARD).cast(pl.Int32) for k in keys]),
    )
    matches = []
    for pattern in range(8):
        fixed = [k for bit, k in enumerate(keys) if pattern >> bit & 1]
        wild = [k for k in keys if k not in fixed]
        part = rules.filter(
            pl.all_horizontal(
                [pl.col(k) != WILDCARD for k in fixed] + [pl.col(k) == WILDCARD for k in wild]
            )
        )
        if part.height == 0:
            continue
        cols = ["allowed", "lead_time_months", "reason", "rule", "specificity"]
        if fixed:
            m = triples.join(part.select(*fixed, *cols), on=fixed, how="inner")
        else:
            m = triples.join(part.select(cols), how="cross")
        matches.append(m.select(*keys, *cols))
    if matches:
        best = (
            pl.concat(matches)
            .filter(pl.col("specificity") == pl.col("specificity").max().over(keys))
            .with_columns(denied=(~pl.col("allowed")).any().over(keys))
            .filter(pl.col("allowed") != pl.col("denied"))
            .sort(
                [*keys, "lead_time_months", "rule"], descending=[False, False, False, True, False]
            )
            .group_by(keys, maintain_order=True)
            .agg(
                pl.col("allowed").first(),
                pl.col("lead_time_months").first().alias("lead_time"),
                pl.col("rule").first(),
                pl.col("reason").first().alias("rule_reason"),
            )
        )
    else:
        best = pl.DataFrame(
            schema={
                **dict.fromkeys(keys, pl.String),
                "allowed": pl.Boolean,
                "lead_time": pl.Int64,
                "rule": pl.String,
                "rule_reason": pl.String,
            }
        )
    return triples.join(best, on=keys, how="left").with_columns(
        pl.col("allowed").fill_null(True),
        pl.col("lead_time").fill_null(0).cast(pl.Int64),
    )


def _stock_pools(dataset: Dataset, start: date) -> pl.DataFrame:
    stock_sources = dataset.sources.filter(pl.col("kind").is_in(STOCK_KINDS)).get_column(
        "source_id"
    )
    counts = dataset.stockpiles.filter(pl.col("holder_id").is_in(stock_sources.implode()))
    before = counts.filter(pl.col("as_of") < start)
    # the latest count before the start; a pool counted only after the start uses its first count
    after_only = counts.join(
        before.select("holder_id", "item_id").unique(), on=["holder_id", "item_id"], how="anti"
    )
    latest = before.sort("as_of").group_by("holder_id", "item_id").last()
    first = after_only.sort("as_of").group_by("holder_id", "item_id").first()
    return pl.concat([latest, first]).select(
        "holder_id",
        "item_id",
        pl.col("units").alias("start_units"),
        "floor_units",
        "target_units",
        pl.lit(True).alias("is_stock"),
    )


def build_model_data(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int,
    *,
    budget: float | None = None,
) -> ModelData:
    if horizon < 1:
        raise ValueError("the horizon must be at least one month")
    H = horizon
    months = month_range(start, H)
    labels = [month_text(m) or "" for m in months]
    sources = dataset.sources
    prod = sources.filter(pl.col("kind").is_in(PRODUCTION_KINDS)).select(
        "source_id", "stock_holder"
    )
    stock_ids = sources.filter(pl.col("kind").is_in(STOCK_KINDS)).get_column("source_id")

    options = dataset.expansion_options if budget is not None else dataset.expansion_options.clear()
    prod_items = (
        pl.concat(
            [
                dataset.capacity.select("source_id", "item_id"),
                options.select("source_id", "item_id"),
            ]
        )
        .unique()
        .join(prod, on="source_id", how="inner")
        .with_columns(
            holder_id=pl.when(pl.col("stock_holder").is_in(stock_ids.implode()))
            .then(pl.col("stock_holder"))
            .otherwise(pl.col("source_id")),
        )
    )

    stock = _stock_pools(dataset, start)
    fed = (
        prod_items.select("holder_id", "item_id")
        .unique()
        .join(stock.select("holder_id", "item_id"), on=["holder_id", "item_id"], how="anti")
        .with_columns(
            start_units=pl.lit(0.0),
            floor_units=pl.lit(0.0),
            target_units=pl.lit(None, dtype=pl.Float64),
            is_stock=pl.col("holder_id").is_in(stock_ids.implode()),
        )
    )
    pools = (
        pl.concat([stock, fed], how="vertical_relaxed")
        .sort("holder_id", "item_id")
        .with_row_index("pool")
        .with_columns(pl.col("pool").cast(pl.Int64))
    )
    pool_key = pools.select("holder_id", "item_id", "pool")

    # capacity: step function per (source, item), rate from its month until the next row
    cap_rows = (
        dataset.capacity.join(prod_items, on=["source_id", "item_id"], how="inner")
        .join(pool_key, on=["holder_id", "item_id"], how="inner")
        .with_columns(t=_month_t("month", start))
        .sort("source_id", "item_id", "t")
    )
    cap_frames = []
    inflow = np.zeros((pools.height, H))
    t_grid = np.arange(H)
    for (sid, iid, pool), grp in cap_rows.group_by(
        ["source_id", "item_id", "pool"], maintain_order=True
    ):
        ts = grp.get_column("t").to_numpy()
        units = grp.get_column("units").to_numpy()
        k = np.searchsorted(ts, t_grid, side="right") - 1
        rate = np.where(k >= 0, units[np.clip(k, 0, None)], 0.0)
        inflow[pool] += rate
        cap_frames.append(
            pl.DataFrame(
                {
                    "source_id": [sid] * H,
                    "item_id": [iid] * H,
                    "pool": [pool] * H,
                    "t": t_grid,
                    "units": rate,
                }
            )
        )
    capacity = (
        pl.concat(cap_frames)
        if cap_frames
        else pl.DataFrame(
            schema={
                "source_id": pl.String,
                "item_id": pl.String,
                "pool": pl.Int64,
                "t": pl.Int64,
                "units": pl.Float64,
            }
        )
    )

    consumption = np.zeros((pools.height, H))
    if demand is not None and demand.height:
        d = (
            demand.with_columns(t=_month_t("month", start))
            .filter((pl.col("t") >= 0) & (pl.col("t") < H))
            .join(pool_key, on=["holder_id", "item_id"], how="inner")
            .group_by("pool", "t")
            .agg(pl.col("mean").clip(lower_bound=0.0).sum())
        )
        np.add.at(
            consumption,
            (d.get_column("pool").to_numpy(), d.get_column("t").to_numpy()),
            d.get_column("mean").to_numpy(),
        )

    supply = pl.concat(
        [
            prod_items.join(pool_key, on=["holder_id", "item_id"]).select(
                "source_id", "item_id", "pool", pl.lit("production").alias("kind")
            ),
            pools.filter(pl.col("holder_id").is_in(stock_ids.implode())).select(
                pl.col("holder_id").alias("source_id"),
                "item_id",
                "pool",
                pl.lit("stock").alias("kind"),
            ),
        ]
    ).unique(["source_id", "item_id"], keep="first", maintain_order=True)

    delivered = dataset.deliveries.group_by("commitment_id").agg(
        pl.col("units").sum().alias("delivered")
    )
    commitments = (
        dataset.commitments.join(delivered, on="commitment_id", how="left")
        .join(dataset.items.select("item_id", "category"), on="item_id", how="left")
        .with_columns(
            backlog=(pl.col("quantity") - pl.col("delivered").fill_null(0.0)).clip(lower_bound=0.0),
            due=_month_t("promised_month", start).clip(lower_bound=0).cast(pl.Int64),
            weight=(2.0 ** (5 - pl.col("priority"))).cast(pl.Float64),
        )
        .filter(pl.col("backlog") > 1e-9)
        .sort("commitment_id")
        .with_row_index("c")
        .with_columns(pl.col("c").cast(pl.Int64))
        .select(
            "c",
            "commitment_id",
            "partner_id",
            "item_id",
            "category",
            "backlog",
            "due",
            "weight",
            "priority",
            "promised_month",
        )
    )

    pairs = commitments.select("c", "partner_id", "item_id").join(
        supply.select("source_id", "item_id", "pool"), on="item_id", how="inner"
    )
    verdict = resolve_eligibility(dataset.eligibility, pairs)
    candidates = pairs.join(verdict, on=["source_id", "partner_id", "item_id"], how="left").select(
        "source_id", "c", "pool", "allowed", "lead_time", "rule", "rule_reason"
    )
    candidates = candidates.sort("c", "source_id")
    routes = (
        candidates.filter(pl.col("allowed") & (pl.col("lead_time") < H))
        .select("source_id", "c", "pool", "lead_time")
        .with_row_index("r")
        .with_columns(pl.col("r").cast(pl.Int64))
    )

    opts = (
        options.join(
            prod_items.select("source_id", "item_id", "holder_id"), on=["source_id", "item_id"]
        )
        .join(pool_key, on=["holder_id", "item_id"])
        .select(
            "option_id",
            "source_id",
            "item_id",
            "pool",
            "added_units_per_month",
            "lead_time_months",
            "cost_usd",
        )
        .sort("option_id")
    )

    return ModelData(
        start=start,
        horizon=H,
        months=months,
        month_labels=labels,
        pools=pools,
        inflow=inflow,
        consumption=consumption,
        capacity=capacity,
        commitments=commitments,
        candidates=candidates,
        routes=routes,
        absorption=dataset.absorption.select("partner_id", "category", "units_per_month"),
        options=opts,
        budget=budget,
    )
