"""Stock projection over simulated consumption: floor breach and rebuild months.

Pools projected, month by month from ``start`` (month 1) to ``start + horizon - 1``:

- each (stock source, item) and each (partner, item) in ``stockpiles``, starting from
  the count with the latest ``as_of`` before ``start`` (with its floor and target);
  a pool counted only on or after the start starts from its first count, as in the plan
  (``store.facts.starting_stocks``);
- each production source's output feeds the pool of its ``stock_holder`` when that names a
  stock source (that pool is created at 0 units, floor 0, when the holder has no count for
  the item); any other production source keeps its own pool, starting at 0, floor 0
  (``store.facts.line_holders``).

Each month, per path: ``stock = max(0, stock + production + arrivals - shipments -
consumption)``. Production is the plan's output per line and month when a plan is given
(``production``: a line with a bill of materials makes what its components allow), else the
capacity step function (a row's rate holds from its month until the next row for the same
source and item; 0 before the first row). Components (items of category ``component``) are not
projected: they have one pool each, drawn by the lines that use them, whose level is the
plan's (``plan_pools``).
Shipments leave the pool of their source (a production source's shipments leave its
stock holder's pool) in their ``month``; arrivals reach the partner's pool in their
``arrival_month``; only months inside the horizon count. Consumption is a simulated
path of the (holder, item)'s chosen demand model (``forecast.simulate``), 0 where there
is no model. Stock never goes below 0: use beyond the stock on hand is unmet.

Event months. A path *breaches* in the first month whose end-of-month stock is below
``floor_units`` (strictly); it *reaches the target* in the first month whose end stock is
at or above ``target_units`` (reported only for pools that start below their target).
For an event, the ``P10``/``P50``/``P90`` month is the first month by which at least 10% /
50% / 90% of the paths have had the event (so P10 is the early, pessimistic side for a
breach). A path without the event inside the horizon counts as "after the horizon", so a
quantile the paths do not reach within the horizon is null. ``breach_probability_k`` is
the share of paths that breach within the first ``k`` months (3, 6, 12).
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from forecast.demand import DemandResult
from forecast.simulate import series_rng, simulate_series
from store.contract import COMPONENT
from store.dataset import Dataset
from store.defaults import DEFAULT_HORIZON, DEFAULT_PATHS
from store.facts import capacity_grid, line_holders, starting_stocks
from store.months import add_months, month_index, month_range, parse_month

__all__ = [
    "OUTLOOK_SCHEMA",
    "PATH_CHUNK",
    "consumption_paths",
    "PROJECTION_SCHEMA",
    "ProjectionResult",
    "event_month_quantiles",
    "project_stocks",
]

PROJECTION_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "month": pl.Date,
    "p10": pl.Float64,
    "p50": pl.Float64,
    "p90": pl.Float64,
}
OUTLOOK_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "floor_units": pl.Float64,
    "target_units": pl.Float64,
    "floor_breach_p10": pl.Date,
    "floor_breach_p50": pl.Date,
    "floor_breach_p90": pl.Date,
    "target_reached_p10": pl.Date,
    "target_reached_p50": pl.Date,
    "target_reached_p90": pl.Date,
    "breach_probability_3": pl.Float64,
    "breach_probability_6": pl.Float64,
    "breach_probability_12": pl.Float64,
}
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class ProjectionResult:
    """``projection``: stock_projection's columns without run_id; ``outlook``: stock_outlook's."""

    projection: pl.DataFrame
    outlook: pl.DataFrame


@dataclass
class _Pool:
    holder_id: str
    item_id: str
    stock: float
    floor: float
    target: float | None
    net: np.ndarray  # deterministic inflow minus outflow per month


def first_event(hit: np.ndarray) -> np.ndarray:
    """Per path (row), the 0-based month of the first True, or inf when none."""
    any_hit = hit.any(axis=1)
    idx = hit.argmax(axis=1).astype(float)
    idx[~any_hit] = np.inf
    return idx


def event_month_quantiles(first: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> list[int | None]:
    """For each q, the first 0-based month by which at least q of the paths had the event."""
    ordered = np.sort(first)
    n = ordered.size
    out: list[int | None] = []
    for q in qs:
        k = max(0, math.ceil(q * n - 1e-9) - 1)
        v = ordered[k]
        out.append(None if not np.isfinite(v) else int(v))
    return out


def _pools(
    dataset: Dataset, start: date, horizon: int, production: pl.DataFrame | None = None
) -> tuple[dict, dict[str, str]]:
    """The pools and their deterministic net flow from production; also which pool each
    production line feeds (``store.facts``: the same pools and starting stocks as the plan)."""
    pools: dict[tuple[str, str], _Pool] = {}
    parts = dataset.items.filter(pl.col("category") == COMPONENT).get_column("item_id")
    counts = starting_stocks(dataset.stockpiles, start).filter(
        ~pl.col("item_id").is_in(parts.implode())
    )
    for r in counts.iter_rows(named=True):
        pools[(r["holder_id"], r["item_id"])] = _Pool(
            r["holder_id"],
            r["item_id"],
            float(r["start_units"]),
            float(r["floor_units"]),
            None if r["target_units"] is None else float(r["target_units"]),
            np.zeros(horizon),
        )
    pool_of_source = dict(line_holders(dataset.sources).iter_rows())
    if production is not None:
        t = pl.Series("month", month_range(start, horizon), dtype=pl.Date)
        grid = production.filter(pl.col("month").is_in(t.implode())).sort(
            "source_id", "item_id", "month"
        )
    else:
        grid = capacity_grid(dataset.capacity, month_range(start, horizon))
    grid = grid.filter(
        pl.col("source_id").is_in(list(pool_of_source)) & ~pl.col("item_id").is_in(parts.implode())
    )
    for (source, item), part in grid.group_by("source_id", "item_id", maintain_order=True):
        key = (pool_of_source[source], item)
        if key not in pools:
            pools[key] = _Pool(key[0], item, 0.0, 0.0, None, np.zeros(horizon))
        ts = [month_index(m, start) for m in part.get_column("month").to_list()]
        np.add.at(pools[key].net, ts, part.get_column("units").to_numpy())
    return pools, pool_of_source


def _apply_investments(
    pools: dict,
    pool_of_source: dict[str, str],
    dataset: Dataset,
    investments: pl.DataFrame,
    horizon: int,
) -> None:
    chosen = investments.filter(pl.col("chosen")).select("option_id")
    options = dataset.expansion_options.join(chosen, on="option_id")
    for source, item, added, lead in options.select(
        "source_id", "item_id", "added_units_per_month", "lead_time_months"
    ).iter_rows():
        key = (pool_of_source.get(source, source), item)
        if key not in pools:
            pools[key] = _Pool(key[0], item, 0.0, 0.0, None, np.zeros(horizon))
        pools[key].net[int(lead) :] += float(added)


def _apply_shipments(
    pools: dict, pool_of_source: dict[str, str], shipments: pl.DataFrame, start: date, horizon: int
) -> None:
    for r in shipments.iter_rows(named=True):
        units = float(r["units"])
        t_out = month_index(r["month"], start)
        key = (pool_of_source.get(r["source_id"], r["source_id"]), r["item_id"])
        if 0 <= t_out < horizon and key in pools:
            pools[key].net[t_out] -= units
        t_in = month_index(r["arrival_month"], start)
        arrive = (r["partner_id"], r["item_id"])
        if 0 <= t_in < horizon and arrive in pools:
            pools[arrive].net[t_in] += units


def _history(part: pl.DataFrame | None, first: date, n: int) -> np.ndarray:
    """Monthly units of one series' consumption rows (``part``) from ``first``, ``n`` months."""
    y = np.zeros(n)
    if part is None:
        return y
    for m, units in part.select("month", "units").iter_rows():
        i = month_index(m, first)
        if 0 <= i < n:
            y[i] += float(units)
    return y


def _simulated(
    row: dict,
    part: pl.DataFrame | None,
    start: date,
    horizon: int,
    paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``(paths, horizon)`` consumption of one series from its stored model row."""
    params = json.loads(row["params"]) if row["params"] else {}
    first = parse_month(params["history_start"]) if params.get("history_start") else start
    n = int(params.get("history_months", 0))
    y = _history(part, first, n)
    return simulate_series(y, first, row["model"], params, start, horizon, paths, rng)


PATH_MEMO_BYTES = 512 * 2**20
"""The projection's consumption paths kept per process, newest first, up to this many bytes.
A night projects the baseline and each scenario from the same forecast models, history and
seed, so a scenario's paths are the baseline's (a scenario's demand change scales them
afterwards), and drawing them (refitting each series' model) is most of a projection's
time."""

_path_memo: OrderedDict[tuple, np.ndarray] = OrderedDict()
_path_memo_bytes = 0


def _projected_consumption(
    row: dict,
    part: pl.DataFrame | None,
    start: date,
    horizon: int,
    paths: int,
    seed: int,
    key: tuple[str, str],
) -> np.ndarray:
    """``_simulated`` with the series' own generator, remembered by everything it depends
    on (the model row, the history, the months, the paths, the seed): read-only."""
    global _path_memo_bytes
    history = b"" if part is None else part.select("month", "units").write_ipc(None).getvalue()
    memo_key = (
        key,
        row["model"],
        row["params"],
        hashlib.blake2b(history, digest_size=16).digest(),
        start,
        horizon,
        paths,
        seed,
    )
    cons = _path_memo.get(memo_key)
    if cons is not None:
        _path_memo.move_to_end(memo_key)
        return cons
    cons = _simulated(row, part, start, horizon, paths, series_rng(seed, *key))
    cons.flags.writeable = False
    _path_memo[memo_key] = cons
    _path_memo_bytes += cons.nbytes
    while _path_memo_bytes > PATH_MEMO_BYTES and _path_memo:
        _, dropped = _path_memo.popitem(last=False)
        _path_memo_bytes -= dropped.nbytes
    return cons


PATH_CHUNK = 100
"""Consumption paths drawn per call in ``consumption_paths``: path k comes from chunk
``k // PATH_CHUNK``, whose generator is seeded by (seed, the series, the chunk)."""


def consumption_paths(
    dataset: Dataset, models: pl.DataFrame, start: date, horizon: int, count: int, seed: int
) -> dict[tuple[str, str], np.ndarray]:
    """Paths 0..count-1 of each modelled series' consumption, ``(count, horizon)`` per
    (holder, item): path k depends only on (seed, k), not on ``count`` (chunks of
    ``PATH_CHUNK``)."""
    consumption = dataset.consumption.partition_by("holder_id", "item_id", as_dict=True)
    out: dict[tuple[str, str], np.ndarray] = {}
    for row in models.iter_rows(named=True):
        key = (row["holder_id"], row["item_id"])
        chunks = []
        for c in range((count + PATH_CHUNK - 1) // PATH_CHUNK):
            rng = np.random.default_rng([seed, zlib.crc32("\x1f".join(key).encode()), c])
            chunks.append(_simulated(row, consumption.get(key), start, horizon, PATH_CHUNK, rng))
        out[key] = np.concatenate(chunks)[:count] if chunks else np.zeros((0, horizon))
    return out


def project_stocks(
    dataset: Dataset,
    demand: DemandResult | tuple[pl.DataFrame, pl.DataFrame],
    shipments: pl.DataFrame | None,
    start: date,
    horizon: int = DEFAULT_HORIZON,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    demand_multiplier: pl.DataFrame | None = None,
    investments: pl.DataFrame | None = None,
    production: pl.DataFrame | None = None,
) -> ProjectionResult:
    """Project every pool over ``paths`` simulated consumption paths (see the module doc).

    ``demand``: the forecast stage's result (its ``models`` frame is what is used);
    ``shipments``: plan_shipments' columns without run_id (None or empty: no plan);
    ``demand_multiplier``: (holder_id, item_id, month, multiplier) rows scaling the simulated
    consumption of those months (a scenario's surge or lull); missing rows mean 1;
    ``investments``: the plan's expansion options (plan_investments' columns); a chosen one
    adds its units to its line's pool from month ``1 + lead_time``, as in the plan;
    ``production``: the plan's output per line and month (``source_id, item_id, month,
    units``, plan_production's columns), which already holds the options bought: given, it
    replaces the capacity step function and ``investments``.
    """
    models = demand.models if isinstance(demand, DemandResult) else demand[0]
    by_key = {(r["holder_id"], r["item_id"]): r for r in models.iter_rows(named=True)}
    pools, pool_of_source = _pools(dataset, start, horizon, production)
    if production is None and investments is not None and investments.height:
        _apply_investments(pools, pool_of_source, dataset, investments, horizon)
    if shipments is not None and shipments.height:
        _apply_shipments(pools, pool_of_source, shipments, start, horizon)

    months = month_range(start, horizon)
    scale: dict[tuple[str, str], np.ndarray] = {}
    if demand_multiplier is not None:
        for h, i, m, k in demand_multiplier.select(
            "holder_id", "item_id", "month", "multiplier"
        ).iter_rows():
            t = month_index(m, start)
            if 0 <= t < horizon:
                scale.setdefault((h, i), np.ones(horizon))[t] = k
    consumption = dataset.consumption.partition_by("holder_id", "item_id", as_dict=True)
    proj_parts: list[pl.DataFrame] = []
    outlook_rows: list[dict] = []
    for key in sorted(pools):
        pool = pools[key]
        cons = np.zeros((paths, horizon))
        row = by_key.get(key)
        if row is not None:
            cons = _projected_consumption(
                row, consumption.get(key), start, horizon, paths, seed, key
            )
        if key in scale:
            cons = cons * scale[key]
        stock = np.empty((paths, horizon))
        level = np.full(paths, pool.stock)
        for t in range(horizon):
            level = np.maximum(level + pool.net[t] - cons[:, t], 0.0)
            stock[:, t] = level
        q = np.quantile(stock, QUANTILES, axis=0)
        proj_parts.append(
            pl.DataFrame(
                {
                    "holder_id": [key[0]] * horizon,
                    "item_id": [key[1]] * horizon,
                    "month": months,
                    "p10": q[0],
                    "p50": q[1],
                    "p90": q[2],
                },
                schema=PROJECTION_SCHEMA,
            )
        )
        breach = first_event(stock < pool.floor)
        b = event_month_quantiles(breach)
        if pool.target is not None and pool.stock < pool.target:
            r = event_month_quantiles(first_event(stock >= pool.target))
        else:
            r = [None, None, None]

        def month_of(i: int | None) -> date | None:
            return None if i is None else add_months(start, i)

        outlook_rows.append(
            {
                "holder_id": key[0],
                "item_id": key[1],
                "floor_units": pool.floor,
                "target_units": pool.target,
                **{
                    f"floor_breach_p{int(qq * 100)}": month_of(v)
                    for qq, v in zip(QUANTILES, b, strict=True)
                },
                **{
                    f"target_reached_p{int(qq * 100)}": month_of(v)
                    for qq, v in zip(QUANTILES, r, strict=True)
                },
                **{f"breach_probability_{k}": float(np.mean(breach < k)) for k in (3, 6, 12)},
            }
        )
    projection = pl.concat(proj_parts) if proj_parts else pl.DataFrame(schema=PROJECTION_SCHEMA)
    outlook = pl.DataFrame(outlook_rows, schema=OUTLOOK_SCHEMA)
    return ProjectionResult(projection, outlook)
