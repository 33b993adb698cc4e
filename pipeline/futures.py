"""Sampled futures of the industrial base, drawn from the uncertainty rules.

The rules (``uncertainty.csv`` and a scenario's ``[[uncertainty]]``) are resolved once onto
what the model holds: production lines (``ramp_delay_months``, ``capacity_factor``,
``outage_probability``), promise and sustainment routes (``lead_time_extra_months``) and
consumption pools (``demand_factor``); the most specific rule wins
(``store.uncertainty.resolve_uncertainty``). Each uncertain thing then draws from its own
stream, seeded by ``(seed, sample index, a hash of the thing)``: sample ``i`` is the same
whichever worker draws it, whatever other samples or rules exist.

How a draw changes the model's numbers, per path:

- ``ramp_delay_months`` d: the line's rate in month t becomes its rate in month
  ``max(t - d, 0)`` (every step after the plan start moves d months later);
- ``capacity_factor`` f: the rate times f (every month);
- ``outage_probability`` p: each month, with probability p, the line makes nothing;
- ``lead_time_extra_months`` e: every shipment on the route arrives e months later;
- ``demand_factor`` f: the pool's forecast consumption times f.

The value drawn for each line, route group and holder is kept (``Draw.values``) for the
criticality measure: an outage's value is the number of months the line is out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from optimize.resolve import SampledFuture
from store.uncertainty import LINE_KINDS, resolve_uncertainty

__all__ = [
    "LINE_KINDS",
    "NEUTRAL",
    "Draw",
    "FutureSampler",
    "Uncertain",
]

NEUTRAL = {
    "ramp_delay_months": 0.0,
    "capacity_factor": 1.0,
    "outage_probability": 0.0,
    "lead_time_extra_months": 0.0,
    "demand_factor": 1.0,
}


@dataclass(frozen=True)
class Uncertain:
    """The uncertain things, one row each: ``u, kind, target, item_id, distribution, low,
    mode, high`` and the index of what it changes (``index``: a line, a route or a pool, see
    ``FutureSampler``)."""

    frame: pl.DataFrame


@dataclass(frozen=True)
class Draw:
    future: SampledFuture
    values: np.ndarray
    """One value per uncertain thing (``Uncertain.frame`` order)."""


def _stream(seed: int, index: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, index, zlib.crc32(key.encode())])


def _draw(rng: np.random.Generator, dist: str, low: float, mode: float, high: float) -> float:
    if dist == "fixed":
        return float(low)
    if dist == "uniform_int":
        return float(rng.integers(int(low), int(high), endpoint=True))
    if dist == "uniform":
        return float(rng.uniform(low, high)) if high > low else float(low)
    if dist == "triangular":
        return float(rng.triangular(low, mode, high)) if high > low else float(low)
    raise ValueError(f"unknown distribution {dist!r}")


class FutureSampler:
    """Draws futures for one built model from resolved rules."""

    def __init__(
        self,
        rules: pl.DataFrame,
        lines: pl.DataFrame,
        routes: pl.DataFrame,
        pools: pl.DataFrame,
        base: SampledFuture,
        seed: int,
        demand_paths: dict[tuple[str, str], np.ndarray] | None = None,
    ):
        """``lines``: ``l, source_id, item_id`` (``optimize.resolve.line_capacity``);
        ``routes``: ``k, source_id, partner_id, item_id, family`` (family ``ship`` or
        ``sustain``, ``k`` its index there); ``pools``: ``holder_id, item_id, family, index``
        (family ``pool`` or ``partner_pool``); ``base``: the neutral future; ``demand_paths``:
        per (holder, item), its consumption path for each sample (``(samples, H)``), which
        replaces the forecast mean of that pool (None: the mean)."""
        self.base, self.seed = base, seed
        self.paths: list[tuple[str, int, np.ndarray]] = []
        for holder, item, family, index in pools.select(
            "holder_id", "item_id", "family", "index"
        ).iter_rows():
            path = (demand_paths or {}).get((holder, item))
            if path is not None:
                self.paths.append((family, int(index), path))
        parts = []
        for kind in LINE_KINDS:
            keys = lines.select(pl.col("source_id").alias("target"), "item_id", "l")
            parts.append(_matched(rules, kind, keys, "l", "line"))
        route_keys = routes.select("source_id", "partner_id", "item_id", "family", "k")
        parts.append(_matched_routes(rules, route_keys))
        pool_keys = pools.select(pl.col("holder_id").alias("target"), "item_id", "family", "index")
        parts.append(_matched(rules, "demand_factor", pool_keys, "index", None))
        frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        self.uncertain = Uncertain(_effective(frame, base.capacity).with_row_index("u"))
        self._rows = self.uncertain.frame.rows(named=True)

    def draw(self, i: int, neutral: frozenset[int] = frozenset()) -> Draw:
        """Sample ``i``; the things in ``neutral`` (``u`` indices) keep their neutral value."""
        b = self.base
        H = b.capacity.shape[1]
        capacity = b.capacity.copy()
        delay = np.zeros(capacity.shape[0], np.int64)
        factor = np.ones(capacity.shape[0])
        out = np.zeros(capacity.shape, dtype=bool)
        consumption = b.consumption.copy()
        partner = b.partner_consumption.copy()
        route_extra = b.route_extra.copy()
        sustain_extra = b.sustain_extra.copy()
        for family, index, path in self.paths:
            (consumption if family == "pool" else partner)[index] = path[i]
        values = np.zeros(len(self._rows))
        for row in self._rows:
            u, kind = row["u"], row["kind"]
            rng = _stream(self.seed, i, f"{kind}\x1f{row['key']}")
            # a route's draw is shared by every promise and sustainment route of its
            # (source, partner, item): one shipping lane, one delay
            value = _draw(rng, row["distribution"], row["low"], row["mode"], row["high"])
            if u in neutral:
                value = NEUTRAL[kind]
            idx = int(row["index"])
            if kind == "ramp_delay_months":
                delay[idx] = int(round(value))
            elif kind == "capacity_factor":
                factor[idx] = value
            elif kind == "outage_probability":
                hit = rng.random(H) < value
                out[idx] |= hit
                value = float(hit.sum())
            elif kind == "lead_time_extra_months":
                if row["family"] == "ship":
                    route_extra[idx] = int(round(value))
                else:
                    sustain_extra[idx] = int(round(value))
            elif kind == "demand_factor":
                if row["family"] == "pool":
                    consumption[idx] *= value
                else:
                    partner[idx] *= value
            values[u] = value
        months = np.arange(H)
        for line in np.nonzero(delay)[0]:
            capacity[line] = b.capacity[line, np.maximum(months - delay[line], 0)]
        capacity *= factor[:, None]
        capacity[out] = 0.0
        future = replace(
            b,
            capacity=capacity,
            consumption=consumption,
            partner_consumption=partner,
            route_extra=route_extra,
            sustain_extra=sustain_extra,
        )
        return Draw(future, values)


_THING_COLUMNS = (
    "kind",
    "target",
    "item_id",
    "family",
    "index",
    "key",
    "distribution",
    pl.col("low").cast(pl.Float64),
    pl.col("mode").cast(pl.Float64).fill_null(0.0),
    pl.col("high").cast(pl.Float64).fill_null(pl.col("low").cast(pl.Float64)),
)
"""One uncertain thing: its rule's parameters (``high`` is ``low`` for ``fixed``)."""


def _effective(frame: pl.DataFrame, capacity: np.ndarray) -> pl.DataFrame:
    """Only what a draw can change: no line rule for a line that makes nothing in the horizon,
    no ramp delay for a line whose rate does not change after the first month."""
    if frame.height == 0:
        return frame
    makes = (capacity > 0).any(axis=1)
    steps = (capacity != capacity[:, :1]).any(axis=1)
    keep = []
    for kind, index in frame.select("kind", "index").iter_rows():
        if kind in LINE_KINDS:
            keep.append(bool(makes[index]) and (kind != "ramp_delay_months" or bool(steps[index])))
        else:
            keep.append(True)
    return frame.filter(pl.Series(keep))


def _matched(
    rules: pl.DataFrame, kind: str, keys: pl.DataFrame, index: str, family: str | None
) -> pl.DataFrame:
    if keys.height == 0:
        return pl.DataFrame()
    found = resolve_uncertainty(rules, kind, keys.select("target", "item_id"))
    joined = (
        pl.concat([keys, found.drop("target", "item_id")], how="horizontal")
        .filter(pl.col("distribution").is_not_null())
        .with_columns(
            kind=pl.lit(kind),
            key=pl.concat_str(["target", "item_id"], separator="|"),
            index=pl.col(index).cast(pl.Int64),
        )
    )
    if family is not None:
        joined = joined.with_columns(family=pl.lit(family))
    return joined.select(*_THING_COLUMNS)


def _matched_routes(rules: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    kind = "lead_time_extra_months"
    if keys.height == 0:
        return pl.DataFrame()
    found = resolve_uncertainty(rules, kind, keys.select("source_id", "partner_id", "item_id"))
    return (
        pl.concat([keys, found.drop("source_id", "partner_id", "item_id")], how="horizontal")
        .filter(pl.col("distribution").is_not_null())
        .with_columns(
            kind=pl.lit(kind),
            target=pl.concat_str(["source_id", "partner_id"], separator=">"),
            key=pl.concat_str(["source_id", "partner_id", "item_id"], separator="|"),
            index=pl.col("k").cast(pl.Int64),
        )
        .select(*_THING_COLUMNS)
    )
