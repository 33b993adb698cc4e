"""The rules of ``uncertainty.csv``: what a row may say, and which row applies where.

One place for both readers of the rules: the import's validator (``store.validate``) and the
scenario override ``[[uncertainty]]`` (``pipeline/scenarios``) check a rule with
:func:`target_problem` and :func:`parameter_problems`, so a rule a file may not hold a scenario
may not add either. :func:`resolve_uncertainty` finds, for lines, holders or routes, the rule
that applies (the most specific one), as a pure function of polars frames.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from store.contract import (
    MAX_FACTOR,
    MAX_LEAD_MONTHS,
    PRODUCTION_KINDS,
    SOURCE_KINDS,
    STOCK_KINDS,
)

__all__ = [
    "DISTRIBUTIONS_FOR",
    "LINE_KINDS",
    "MONTH_KINDS",
    "ROUTE_KIND",
    "parameter_problems",
    "resolve_uncertainty",
    "target_problem",
]

LINE_KINDS = ("ramp_delay_months", "capacity_factor", "outage_probability")
"""Kinds about a production line: the target is a production source."""
MONTH_KINDS = ("ramp_delay_months", "lead_time_extra_months")
"""Kinds whose sample is a whole number of months."""
ROUTE_KIND = "lead_time_extra_months"
"""The kind about a route: its target is the route's source or its partner."""

DISTRIBUTIONS_FOR: dict[str, tuple[str, ...]] = {
    "ramp_delay_months": ("uniform_int", "fixed"),
    "lead_time_extra_months": ("uniform_int", "fixed"),
    "outage_probability": ("fixed", "uniform", "triangular"),
    "capacity_factor": ("fixed", "uniform", "triangular"),
    "demand_factor": ("fixed", "uniform", "triangular"),
}
"""The distributions each kind may be drawn from."""

_WHY_NOT = {
    "ramp_delay_months": "the sample must be a whole number of months",
    "lead_time_extra_months": "the sample must be a whole number of months",
    "outage_probability": "a probability is not drawn as a whole number",
    "capacity_factor": "a factor is not drawn as a whole number",
    "demand_factor": "a factor is not drawn as a whole number",
}
_HIGHEST = {
    "ramp_delay_months": float(MAX_LEAD_MONTHS),
    "lead_time_extra_months": float(MAX_LEAD_MONTHS),
    "outage_probability": 1.0,
    "capacity_factor": MAX_FACTOR,
    "demand_factor": MAX_FACTOR,
}
_KEY_COLUMNS = ("target", "item_id")
_PARAMETERS = ("distribution", "low", "mode", "high")


def target_problem(
    kind: str, target: str, sources: Mapping[str, str], partners: Collection[str]
) -> str | None:
    """Why ``target`` cannot be the target of a rule of ``kind`` (None when it can).

    ``sources``: source id -> its kind (``sources.csv``); ``partners``: the partner ids. ``*``
    is always a target. A line kind names a production source, ``demand_factor`` a holder (a
    stock source or a partner), ``lead_time_extra_months`` any source or partner. A kind
    outside :data:`store.contract.UNCERTAINTY_KINDS` only has its target's existence checked,
    and so does a target whose own kind is not a source kind: ``sources.csv`` reports that row,
    and a rule is not blamed for a defect that is not its own.
    """
    if target == "*":
        return None
    source_kind = sources.get(target)
    is_partner = target in partners
    if source_kind is None and not is_partner:
        return "an unknown source or holder (not in sources or partners)"
    if source_kind is not None and source_kind not in SOURCE_KINDS:
        return None
    if kind in LINE_KINDS and source_kind not in PRODUCTION_KINDS:
        what = "a partner" if source_kind is None else f"a {source_kind} source"
        return f"is {what}; {kind} applies to production lines: give a production source or *"
    if kind == "demand_factor" and source_kind not in STOCK_KINDS and not is_partner:
        return (
            f"is a {source_kind} source; demand_factor applies to holders of stock: give a "
            "stock source, a partner or *"
        )
    return None


def _either(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1]


def _number(value: float) -> str:
    return f"{value:g}"


def parameter_problems(
    kind: str, distribution: str, low: float, mode: float | None, high: float | None
) -> list[tuple[str, str]]:
    """The rules a row's distribution and parameters break, each as (column, reason); empty
    when there are none. ``kind`` and ``distribution`` must be among the allowed values.

    The distribution must suit the kind (:data:`DISTRIBUTIONS_FOR`); ``high`` is given for
    every distribution but ``fixed`` and ``mode`` for ``triangular`` only; every value lies in
    the kind's range (0 to 240 whole months, a probability 0 to 1, a factor 0 to 1,000);
    ``low <= mode <= high``.
    """
    out: list[tuple[str, str]] = []
    allowed = DISTRIBUTIONS_FOR[kind]
    if distribution not in allowed:
        out.append(
            (
                "distribution",
                f"not allowed for {kind} ({_WHY_NOT[kind]}): use {_either(allowed)}",
            )
        )
    if distribution == "triangular" and mode is None:
        out.append(("mode", "required for triangular (the most likely value)"))
    if distribution != "triangular" and mode is not None:
        out.append(("mode", f"only triangular has a mode: leave it empty for {distribution}"))
    if distribution == "fixed" and high is not None:
        out.append(("high", "fixed takes its value from low: leave high empty"))
    if distribution != "fixed" and high is None:
        out.append(("high", f"required for {distribution} (the highest value)"))
    highest = _HIGHEST[kind]
    in_range = True
    for column, value in (("low", low), ("mode", mode), ("high", high)):
        if value is None:
            continue
        if not 0 <= value <= highest:
            in_range = False
            out.append((column, f"must be from 0 to {_number(highest)} for {kind}"))
        elif kind in MONTH_KINDS and not float(value).is_integer():
            out.append((column, f"must be a whole number of months for {kind}"))
    if not in_range:
        return out
    if distribution != "fixed" and high is not None and high < low:
        out.append(("high", f"is below low ({_number(low)})"))
    if distribution == "triangular" and mode is not None:
        if mode < low:
            out.append(("mode", f"is below low ({_number(low)})"))
        elif high is not None and high >= low and mode > high:
            out.append(("mode", f"is above high ({_number(high)})"))
    return out


def resolve_uncertainty(rules: pl.DataFrame, kind: str, keys: pl.DataFrame) -> pl.DataFrame:
    """For each row of ``keys``, the ``distribution, low, mode, high`` of the most specific rule
    of ``kind`` in ``rules`` that matches it (all null when none does).

    ``rules``: rows as ``uncertainty.csv`` (``target, item_id, kind, distribution, low, mode,
    high``). ``keys``: ``target, item_id`` pairs (a production source or a holder, and an
    item); for ``lead_time_extra_months`` route triples ``source_id, partner_id, item_id``.
    Returns ``keys`` (its rows and columns, in its order) with the four columns added.

    A rule matches when each of its fields is ``*`` or equal to the key's; for a route, a rule
    whose target is the route's source or its partner matches (a source id applies to routes
    from it, a partner id to routes to it). Specificity is the number of the rule's fields that
    are not ``*``; the most specific matching rule wins. Among equally specific rules, a rule
    naming the route's source wins over one naming its partner; otherwise the rule that comes
    first in ``rules`` wins (a loaded data set keeps its rules in key order: target, item_id,
    kind, so a ``*`` target comes before any named one).
    """
    route = kind == ROUTE_KIND
    ends = ("source_id", "partner_id") if route else ("target",)
    schema = {
        "distribution": pl.String,
        "low": pl.Float64,
        "mode": pl.Float64,
        "high": pl.Float64,
    }
    mine = (
        rules.filter(pl.col("kind") == kind)
        .select(*_KEY_COLUMNS, *_PARAMETERS)
        .cast(schema)
        .with_row_index("_rule")
    )
    numbered = keys.with_row_index("_key")
    found = []
    # every way a rule can match: its target names one end of the key (or is *), its item is
    # the key's item (or is *)
    for end in (*ends, None):
        named = (
            mine.filter(pl.col("target") != "*") if end else mine.filter(pl.col("target") == "*")
        )
        for by_item in (True, False):
            subset = (
                named.filter(pl.col("item_id") != "*")
                if by_item
                else named.filter(pl.col("item_id") == "*")
            )
            left_on = [c for c, use in ((end, end is not None), ("item_id", by_item)) if use]
            right_on = [c for c, use in (("target", end is not None), ("item_id", by_item)) if use]
            right = subset.drop(*(c for c in _KEY_COLUMNS if c not in right_on))
            base = numbered.select("_key", *left_on)
            joined = (
                base.join(right, left_on=left_on, right_on=right_on, how="inner")
                if left_on
                else base.join(right, how="cross")
            )
            found.append(
                joined.select(
                    "_key",
                    "_rule",
                    *_PARAMETERS,
                    _specific=pl.lit(int(end is not None) + int(by_item), pl.Int32),
                    _end=pl.lit(end or "*"),
                )
            )
    candidates = pl.concat(found)
    top = candidates.filter(pl.col("_specific") == pl.col("_specific").max().over("_key"))
    # of equally specific rules, one naming the route's source beats one naming its partner
    beaten = (pl.col("_end") == "partner_id") & (pl.col("_end") == "source_id").any().over("_key")
    best = (
        top.filter(~beaten)
        .sort("_key", "_rule")
        .unique("_key", keep="first", maintain_order=True)
        .select("_key", *_PARAMETERS)
    )
    return numbered.join(best, on="_key", how="left").sort("_key").drop("_key")
