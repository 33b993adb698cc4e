"""Index sets of the allocation model, built from the data set: pools, routes, commitments.

Everything here is plain data (polars frames and numpy arrays) that the
``define_*`` functions turn into columns and rows. Month ``t`` is 0-based here
(plan month 1 is ``t = 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from optimize.firmed import FIRMED_SCHEMA, empty_firmed
from store.contract import COMPONENT, STOCK_KINDS
from store.dataset import Dataset
from store.facts import (
    TOP_PRIORITY,
    capacity_grid,
    commitment_backlog,
    line_holders,
    priority_weight,
    starting_stocks,
    tier_weight,
)
from store.months import month_index_expr, month_range, month_text

__all__ = [
    "WILDCARD",
    "ModelData",
    "breach_penalty",
    "build_model_data",
    "resolve_eligibility",
]

WILDCARD = "*"
MAX_WEIGHT = float(priority_weight(TOP_PRIORITY))


_PARTNER_POOLS_SCHEMA = {
    "q": pl.Int64,
    "holder_id": pl.String,
    "item_id": pl.String,
    "category": pl.String,
    "start_units": pl.Float64,
    "floor_units": pl.Float64,
    "target_units": pl.Float64,
    "tier_weight": pl.Float64,
}
_SUSTAIN_SCHEMA = {
    "r": pl.Int64,
    "source_id": pl.String,
    "q": pl.Int64,
    "pool": pl.Int64,
    "lead_time": pl.Int64,
}


_MADE_SCHEMA = {"m": pl.Int64, "source_id": pl.String, "item_id": pl.String, "pool": pl.Int64}
_BOM_SCHEMA = {
    "m": pl.Int64,
    "component_pool": pl.Int64,
    "units_per_item": pl.Float64,
    "lead_time": pl.Int64,
}


def _empty_partner_pools() -> pl.DataFrame:
    return pl.DataFrame(schema=_PARTNER_POOLS_SCHEMA)


def _empty_sustain_routes() -> pl.DataFrame:
    return pl.DataFrame(schema=_SUSTAIN_SCHEMA)


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
    partner_pools: pl.DataFrame = field(default_factory=lambda: _empty_partner_pools())
    """q, holder_id, item_id, category, start_units, floor_units, target_units, tier_weight:
    partners' own stocks (``stockpiles.csv`` rows held by a partner)."""
    partner_consumption: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """(partner pools, H): the holder's forecast consumption."""
    sustain_routes: pl.DataFrame = field(default_factory=lambda: _empty_sustain_routes())
    """r, source_id, q, pool, lead_time: allowed (source, partner pool) routes for sustainment
    (partner pools with a floor only), arrivals within the horizon."""
    us_target_weight: float = 1.0
    """W: the weight of US stock pools' shortfall below target in the readiness stage."""
    made: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_MADE_SCHEMA))
    """m, source_id, item_id, pool: lines with a bill of materials, whose output is a decision
    (``make``) bounded by their capacity and by their components' pools."""
    bom: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_BOM_SCHEMA))
    """m, component_pool, units_per_item, lead_time: what each made line draws, per unit."""
    firmed: pl.DataFrame = field(default_factory=empty_firmed)
    """Firmed shipments and pinned completions (``firmed.FIRMED_SCHEMA``), honoured first."""
    reference: pl.DataFrame | None = None
    """The reference plan's shipments (``source_id, commitment_id, partner_id, item_id, month,
    units``), or None: the last stage keeps the plan as close to it as the stages before allow."""

    @property
    def num_pools(self) -> int:
        return self.pools.height

    @property
    def breach_penalty(self) -> float:
        return breach_penalty(self.horizon)


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


def _production_lines(dataset: Dataset, options: pl.DataFrame) -> pl.DataFrame:
    """Every (production source, item) with capacity or an expansion option, and the holder
    whose pool it feeds: ``source_id, item_id, holder_id``."""
    return (
        pl.concat(
            [
                dataset.capacity.select("source_id", "item_id"),
                options.select("source_id", "item_id"),
            ]
        )
        .unique()
        .join(line_holders(dataset.sources), on="source_id", how="inner")
        .with_columns(
            holder_id=pl.when(pl.col("item_id").is_in(_components(dataset).implode()))
            .then(pl.col("item_id"))
            .otherwise(pl.col("holder_id"))
        )
    )


def _components(dataset: Dataset) -> pl.Series:
    return dataset.items.filter(pl.col("category") == COMPONENT).get_column("item_id")


def _pools(
    dataset: Dataset, start: date, lines: pl.DataFrame, stock_ids: pl.Series
) -> pl.DataFrame:
    """Stock sources' counted pools, then the pools production lines feed that have no count
    (0 units, floor 0), numbered in (holder, item) order."""
    components = _components(dataset)
    counted = starting_stocks(dataset.stockpiles, start, holders=stock_ids.to_list())
    is_part = pl.col("item_id").is_in(components.implode())
    stock = counted.filter(~is_part).with_columns(is_stock=pl.lit(True))
    # a component has one pool, named by the component, holding every stock source's count
    parts = (
        counted.filter(is_part)
        .group_by("item_id")
        .agg(
            pl.col("start_units", "floor_units").sum(),
            pl.when(pl.col("target_units").is_not_null().any()).then(pl.col("target_units").sum()),
        )
        .select(
            pl.col("item_id").alias("holder_id"),
            "item_id",
            "start_units",
            "floor_units",
            "target_units",
            is_stock=pl.lit(False),
        )
    )
    stock = pl.concat([stock, parts], how="vertical_relaxed")
    # every component a bill names has a pool, even if nothing makes or holds it yet
    named = dataset.bom.select(holder_id="component_id", item_id="component_id").filter(
        pl.col("item_id").is_in(components.implode())
    )
    fed = (
        pl.concat([lines.select("holder_id", "item_id"), named])
        .unique()
        .join(stock.select("holder_id", "item_id"), on=["holder_id", "item_id"], how="anti")
        .with_columns(
            start_units=pl.lit(0.0),
            floor_units=pl.lit(0.0),
            target_units=pl.lit(None, dtype=pl.Float64),
            is_stock=pl.col("holder_id").is_in(stock_ids.implode()),
        )
    )
    kinds = dataset.sources.select(pl.col("source_id").alias("holder_id"), "kind")
    return (
        pl.concat([stock, fed], how="vertical_relaxed")
        .join(kinds, on="holder_id", how="left")
        .with_columns(
            kind=pl.when(pl.col("item_id").is_in(components.implode()))
            .then(pl.lit(COMPONENT))
            .otherwise(pl.col("kind"))
        )
        .sort("holder_id", "item_id")
        .with_row_index("pool")
        .with_columns(pl.col("pool").cast(pl.Int64))
    )


def _partner_pools(dataset: Dataset, start: date) -> pl.DataFrame:
    """Partners' own stocks, numbered ``q`` in (holder, item) order, with their tier weight."""
    partners = dataset.partners.get_column("partner_id").to_list()
    counted = starting_stocks(dataset.stockpiles, start, holders=partners)
    if counted.height == 0:
        return _empty_partner_pools()
    tiers = dataset.partners.select(
        pl.col("partner_id").alias("holder_id"), tier_weight(pl.col("tier")).alias("tier_weight")
    )
    return (
        counted.join(tiers, on="holder_id", how="left")
        .join(dataset.items.select("item_id", "category"), on="item_id", how="left")
        .sort("holder_id", "item_id")
        .with_row_index("q")
        .with_columns(
            pl.col("q").cast(pl.Int64),
            pl.col("start_units", "floor_units", "target_units", "tier_weight").cast(pl.Float64),
        )
        .select(list(_PARTNER_POOLS_SCHEMA))
    )


def _bills(
    dataset: Dataset, lines: pl.DataFrame, pool_key: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lines with a bill of materials (``m, source_id, item_id, pool``) and what each
    draws per unit made (``m, component_pool, units_per_item, lead_time``). A ``bom.csv`` row
    without a source applies to every line of its item."""
    bom = dataset.bom
    if bom.height == 0:
        return pl.DataFrame(schema=_MADE_SCHEMA), pl.DataFrame(schema=_BOM_SCHEMA)
    line_pool = lines.join(pool_key, on=["holder_id", "item_id"], how="inner").select(
        "source_id", "item_id", "pool"
    )
    rows = (
        line_pool.join(bom, on="item_id", how="inner", suffix="_row")
        .filter(
            pl.col("source_id_row").is_null() | (pl.col("source_id_row") == pl.col("source_id"))
        )
        .join(
            pool_key.select(
                pl.col("item_id").alias("component_id"), pl.col("pool").alias("component_pool")
            ).filter(pl.col("component_id").is_in(_components(dataset).implode())),
            on="component_id",
            how="inner",
        )
    )
    made = (
        rows.select("source_id", "item_id", "pool")
        .unique()
        .sort("source_id", "item_id")
        .with_row_index("m")
        .with_columns(pl.col("m").cast(pl.Int64))
    )
    draws = (
        rows.join(made, on=["source_id", "item_id", "pool"])
        # a line-specific row replaces the item-wide row for the same component
        .sort("m", "component_pool", pl.col("source_id_row").is_null())
        .unique(["m", "component_pool"], keep="first", maintain_order=True)
        .select(
            "m",
            "component_pool",
            pl.col("units_per_item").cast(pl.Float64),
            pl.col("lead_time_months").cast(pl.Int64).alias("lead_time"),
        )
    )
    return made.select(list(_MADE_SCHEMA)), draws


def _capacity(
    dataset: Dataset,
    lines: pl.DataFrame,
    pool_key: pl.DataFrame,
    months: list[date],
    made: pl.DataFrame,
) -> tuple[pl.DataFrame, np.ndarray]:
    """Each line's step-function rate per plan month (``source_id, item_id, pool, t, units``)
    and the resulting inflow into each pool, ``(pools, H)``; the output of ``made`` lines is
    a decision, so it is not inflow."""
    line_pool = lines.join(pool_key, on=["holder_id", "item_id"], how="inner").select(
        "source_id", "item_id", "pool"
    )
    keys = (
        dataset.capacity.select("source_id", "item_id")
        .unique()
        .join(line_pool, on=["source_id", "item_id"], how="inner")
    )
    capacity = (
        capacity_grid(dataset.capacity, months, keys=keys)
        .join(line_pool, on=["source_id", "item_id"], how="inner")
        .sort("source_id", "item_id", "t")
        .select("source_id", "item_id", "pool", "t", "units")
    )
    inflow = np.zeros((pool_key.height, len(months)))
    fixed = capacity.join(
        made.select("source_id", "item_id"), on=["source_id", "item_id"], how="anti"
    )
    np.add.at(
        inflow,
        (fixed.get_column("pool").to_numpy(), fixed.get_column("t").to_numpy()),
        fixed.get_column("units").to_numpy(),
    )
    return capacity, inflow


def _consumption(
    demand: pl.DataFrame | None, pool_key: pl.DataFrame, start: date, H: int
) -> np.ndarray:
    """Forecast mean consumption (never negative) drawn from each pool, ``(pools, H)``
    (``pool_key``: holder_id, item_id, pool)."""
    consumption = np.zeros((pool_key.height, H))
    if demand is not None and demand.height:
        d = (
            demand.with_columns(t=month_index_expr("month", start))
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
    return consumption


def _supply(lines: pl.DataFrame, pools: pl.DataFrame, stock_ids: pl.Series) -> pl.DataFrame:
    """Who can ship each item, and from which pool: ``source_id, item_id, pool, kind``."""
    pool_key = pools.filter(pl.col("kind").ne_missing(COMPONENT)).select(
        "holder_id", "item_id", "pool"
    )
    return pl.concat(
        [
            lines.join(pool_key, on=["holder_id", "item_id"]).select(
                "source_id", "item_id", "pool", pl.lit("production").alias("kind")
            ),
            pools.filter(
                pl.col("holder_id").is_in(stock_ids.implode())
                & pl.col("kind").ne_missing(COMPONENT)
            ).select(
                pl.col("holder_id").alias("source_id"),
                "item_id",
                "pool",
                pl.lit("stock").alias("kind"),
            ),
        ]
    ).unique(["source_id", "item_id"], keep="first", maintain_order=True)


def _commitments(dataset: Dataset, start: date) -> pl.DataFrame:
    """Open commitments, numbered ``c`` in id order: backlog, due month ``t`` (month 1 when
    already past), weight."""
    return (
        commitment_backlog(dataset.commitments, dataset.deliveries)
        .join(dataset.items.select("item_id", "category"), on="item_id", how="left")
        .with_columns(
            due=month_index_expr("promised_month", start).clip(lower_bound=0).cast(pl.Int64),
            weight=priority_weight(pl.col("priority")).cast(pl.Float64),
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


def _sustain_routes(
    dataset: Dataset, partner_pools: pl.DataFrame, supply: pl.DataFrame, H: int
) -> pl.DataFrame:
    """Eligible routes for sustainment: every supplier of the item to a partner stock that has
    a floor, by the same eligibility rules as promises (allowed, lead time within the
    horizon)."""
    wanted = partner_pools.filter(pl.col("floor_units") > 0).select(
        "q", pl.col("holder_id").alias("partner_id"), "item_id"
    )
    pairs = wanted.join(supply.select("source_id", "item_id", "pool"), on="item_id", how="inner")
    if pairs.height == 0:
        return _empty_sustain_routes()
    verdict = resolve_eligibility(dataset.eligibility, pairs)
    return (
        pairs.join(verdict, on=["source_id", "partner_id", "item_id"], how="left")
        .filter(pl.col("allowed") & (pl.col("lead_time") < H))
        .sort("q", "source_id")
        .with_row_index("r")
        .select(pl.col("r").cast(pl.Int64), "source_id", "q", "pool", "lead_time")
    )


def _fair_groups(commitments: pl.DataFrame, routes: pl.DataFrame) -> pl.DataFrame:
    """Fair-share groups: promises of the same priority and item that share at least one
    eligible source (connected through shared sources). Returns ``c, fair_group`` for promises
    in a group of two or more, groups numbered by their first commitment id, so the grouping
    does not depend on the order of the data."""
    pairs = (
        routes.select("c", "source_id")
        .unique()
        .join(commitments.select("c", "priority", "item_id"), on="c")
    )
    parent = {c: c for c in pairs.get_column("c").to_list()}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for _, members in pairs.group_by("priority", "item_id", "source_id"):
        cs = sorted(members.get_column("c").to_list())
        for other in cs[1:]:
            a, b = find(cs[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = pl.DataFrame(
        {"c": list(parent), "root": [find(c) for c in parent]},
        schema={"c": pl.Int64, "root": pl.Int64},
    )
    return (
        roots.filter(pl.len().over("root") >= 2)
        .with_columns(fair_group=pl.col("root").rank("dense").cast(pl.Int64) - 1)
        .select("c", "fair_group")
    )


def _candidates(dataset: Dataset, commitments: pl.DataFrame, supply: pl.DataFrame) -> pl.DataFrame:
    """Every (source, commitment) a supplier of the item could serve, with the rule outcome."""
    pairs = commitments.select("c", "partner_id", "item_id").join(
        supply.select("source_id", "item_id", "pool"), on="item_id", how="inner"
    )
    verdict = resolve_eligibility(dataset.eligibility, pairs)
    return (
        pairs.join(verdict, on=["source_id", "partner_id", "item_id"], how="left")
        .select("source_id", "c", "pool", "allowed", "lead_time", "rule", "rule_reason")
        .sort("c", "source_id")
    )


def _routes(candidates: pl.DataFrame, H: int) -> pl.DataFrame:
    """Allowed candidates whose arrivals can fall within the horizon, numbered ``r``."""
    return (
        candidates.filter(pl.col("allowed") & (pl.col("lead_time") < H))
        .select("source_id", "c", "pool", "lead_time")
        .with_row_index("r")
        .with_columns(pl.col("r").cast(pl.Int64))
    )


def _options(options: pl.DataFrame, lines: pl.DataFrame, pool_key: pl.DataFrame) -> pl.DataFrame:
    """Expansion options with the pool their line feeds."""
    return (
        options.join(lines, on=["source_id", "item_id"])
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


def build_model_data(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int,
    *,
    budget: float | None = None,
    us_target_weight: float = 1.0,
    reference: pl.DataFrame | None = None,
    firmed: pl.DataFrame | None = None,
) -> ModelData:
    """The model's index sets, in steps: production lines, pools, capacity, consumption,
    commitments, candidates and routes, options (expansion options only with a budget),
    partners' stocks and the routes that can sustain them, fair-share groups."""
    if us_target_weight < 0:
        raise ValueError("the US target weight must not be negative")
    if horizon < 1:
        raise ValueError("the horizon must be at least one month")
    H = horizon
    months = month_range(start, H)
    stock_ids = dataset.sources.filter(pl.col("kind").is_in(STOCK_KINDS)).get_column("source_id")
    options = dataset.expansion_options if budget is not None else dataset.expansion_options.clear()
    lines = _production_lines(dataset, options)
    pools = _pools(dataset, start, lines, stock_ids)
    pool_key = pools.select("holder_id", "item_id", "pool")
    made, bom = _bills(dataset, lines, pool_key)
    capacity, inflow = _capacity(dataset, lines, pool_key, months, made)
    partner_pools = _partner_pools(dataset, start)
    partner_key = partner_pools.select("holder_id", "item_id", pl.col("q").alias("pool"))
    supply = _supply(lines, pools, stock_ids)
    commitments = _commitments(dataset, start)
    candidates = _candidates(dataset, commitments, supply)
    routes = _routes(candidates, H)
    commitments = (
        commitments.join(
            partner_key.rename({"holder_id": "partner_id", "pool": "partner_pool"}),
            on=["partner_id", "item_id"],
            how="left",
        )
        .join(_fair_groups(commitments, routes), on="c", how="left")
        .with_columns(pl.col("partner_pool", "fair_group").fill_null(-1))
        .sort("c")
    )
    return ModelData(
        start=start,
        horizon=H,
        months=months,
        month_labels=[month_text(m) or "" for m in months],
        pools=pools,
        inflow=inflow,
        consumption=_consumption(demand, pool_key, start, H),
        capacity=capacity,
        commitments=commitments,
        candidates=candidates,
        routes=routes,
        absorption=dataset.absorption.select("partner_id", "category", "units_per_month"),
        options=_options(options, lines, pool_key),
        budget=budget,
        partner_pools=partner_pools,
        partner_consumption=_consumption(demand, partner_key, start, H),
        sustain_routes=_sustain_routes(dataset, partner_pools, supply, H),
        us_target_weight=float(us_target_weight),
        made=made,
        bom=bom,
        reference=reference,
        firmed=empty_firmed()
        if firmed is None
        else firmed.select(list(FIRMED_SCHEMA)).cast(FIRMED_SCHEMA),
    )
