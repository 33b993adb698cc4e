"""Applying a scenario's overrides: pure functions from a Dataset to a changed copy. Nothing
here touches the database, and no frame is changed in place, so scenarios applied at the same
time never see each other's changes.

Each override kind has one apply function here (``apply_<kind>(edit, override)``), named by
its entry in ``kinds.KINDS``; the loop over a scenario's overrides is ``chain.apply_scenario``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from pipeline.scenarios.fields import Override, Scenario
from store.dataset import Dataset
from store.errors import Problem
from store.facts import capacity_grid
from store.months import add_months

__all__ = [
    "BASELINE",
    "Applied",
    "DemandChange",
    "Edit",
    "RouteBlock",
    "apply_absorption",
    "apply_capacity",
    "apply_commitment",
    "apply_demand",
    "apply_demand_change",
    "apply_new_line",
    "apply_outage",
    "apply_partner_stop",
    "apply_route",
    "apply_source_stop",
    "apply_uncertainty",
    "edit_capacity",
    "edit_route",
    "edit_uncertainty",
]

BASELINE = "baseline"


@dataclass(frozen=True)
class DemandChange:
    holder_id: str
    item_id: str
    start: date
    until: date | None
    multiply: float


@dataclass(frozen=True)
class RouteBlock:
    """No arrivals at ``partner_id`` from ``start`` on (from ``source_id``/``item_id`` when given)."""

    partner_id: str
    start: date | None
    source_id: str | None = None
    item_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Applied:
    """A scenario applied: the changed data, plus what cannot live in the data tables."""

    dataset: Dataset
    chain: tuple[str, ...] = ()
    demand: tuple[DemandChange, ...] = ()
    blocks: tuple[RouteBlock, ...] = ()
    budget_usd: float | None = None
    cost_usd: float = 0.0
    descriptions: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.chain[-1] if self.chain else BASELINE

    def for_start(self, start: date) -> tuple[Dataset, tuple[RouteBlock, ...]]:
        """The data with every block already in force at ``start`` written as deny rules
        (fully specific, so they beat any allow), and the blocks that start later, which
        the plan must enforce month by month."""
        now = [b for b in self.blocks if b.start is None or b.start <= start]
        later = tuple(b for b in self.blocks if b not in now)
        return _deny_routes(self.dataset, now), later


@dataclass
class Edit:
    """A scenario being applied, override by override: the data so far, the changes that
    cannot live in the data tables, and the problems found so far (its own and its bases'
    changes are in ``dataset``, ``demand`` and ``blocks``)."""

    scenario: Scenario
    dataset: Dataset
    demand: list[DemandChange]
    blocks: list[RouteBlock]
    problems: list[Problem] = field(default_factory=list)


# -- one apply function per override kind -------------------------------------------------------


def apply_capacity(e: Edit, o: Override) -> None:
    op = next(k for k in ("multiply", "add", "set") if k in o.values)
    e.dataset = e.dataset.with_tables(
        capacity=edit_capacity(
            e.dataset.capacity, o["source"], o["item"], o["from"], o.get("until"), op, o[op]
        )
    )


def apply_absorption(e: Edit, o: Override) -> None:
    """The partner's monthly limit for the category, replacing the data's row or added."""
    d = e.dataset
    kept = d.absorption.filter(
        ~((pl.col("partner_id") == o["partner"]) & (pl.col("category") == o["category"]))
    )
    row = pl.DataFrame(
        {
            "partner_id": [o["partner"]],
            "category": [o["category"]],
            "units_per_month": [float(o["units_per_month"])],
        }
    ).cast(dict(d.absorption.schema))
    e.dataset = d.with_tables(absorption=pl.concat([kept, row.select(d.absorption.columns)]))


def apply_outage(e: Edit, o: Override) -> None:
    d = e.dataset
    items = [o["item"]] if o.get("item") else _items_of(d.capacity, o["source"])
    cap = d.capacity
    for item in items:
        cap = edit_capacity(cap, o["source"], item, o["from"], o.get("until"), "set", 0.0)
    e.dataset = d.with_tables(capacity=cap)


def apply_new_line(e: Edit, o: Override) -> None:
    e.dataset = _new_line(e.dataset, o)


def apply_demand_change(e: Edit, o: Override) -> None:
    e.demand.append(DemandChange(o["holder"], o["item"], o["from"], o.get("until"), o["multiply"]))


def apply_commitment(e: Edit, o: Override) -> None:
    e.dataset = _commitment(e.dataset, o)


def apply_partner_stop(e: Edit, o: Override) -> None:
    e.blocks.append(RouteBlock(o["partner"], o["from"], reason=f"scenario {e.scenario.name}"))


def apply_source_stop(e: Edit, o: Override) -> None:
    e.blocks.append(
        RouteBlock(
            o["partner"],
            o.get("from"),
            o["source"],
            o.get("item"),
            reason=f"scenario {e.scenario.name}",
        )
    )


def apply_route(e: Edit, o: Override) -> None:
    """Change or add the eligibility rule with the override's key. Whether the rule exists
    decides what it must give, so that is checked here, against the rules as they stand; no
    rule is written once the scenario has a problem."""
    e.problems += _route_problems(e.scenario.path, o, e.dataset)
    if not e.problems:
        e.dataset = e.dataset.with_tables(
            eligibility=edit_route(e.dataset.eligibility, o, e.scenario.name)
        )


def apply_uncertainty(e: Edit, o: Override) -> None:
    e.dataset = e.dataset.with_tables(uncertainty=edit_uncertainty(e.dataset.uncertainty, o))


# -- the edits (each a pure function of frames) ------------------------------------------------


def _items_of(capacity: pl.DataFrame, source: str) -> list[str]:
    return sorted(set(capacity.filter(pl.col("source_id") == source).get_column("item_id")))


def edit_capacity(
    capacity: pl.DataFrame,
    source: str,
    item: str,
    start: date,
    until: date | None,
    op: str,
    value: float,
) -> pl.DataFrame:
    """Change the step-function rate of (source, item) over [start, until].

    Rows are breakpoints: a rate holds until the next row. Breakpoints are added at ``start``
    and after ``until`` (carrying the rate in force there) so the months outside the window
    keep their rate; then every breakpoint inside the window gets ``op`` applied.
    """
    mine = (pl.col("source_id") == source) & (pl.col("item_id") == item)
    points = set(capacity.filter(mine).get_column("month").to_list()) | {start}
    if until is not None:
        points.add(add_months(until, 1))
    line = pl.DataFrame({"source_id": [source], "item_id": [item]})
    grid = capacity_grid(capacity.filter(mine), sorted(points), keys=line)
    out = []
    for m, rate in grid.select("month", "units").iter_rows():
        if m >= start and (until is None or m <= until):
            rate = {"multiply": rate * value, "add": max(rate + value, 0.0), "set": value}[op]
        out.append((source, item, m, rate))
    new = pl.DataFrame(out, schema=capacity.schema, orient="row")
    return pl.concat([capacity.filter(~mine), new])


def _new_line(d: Dataset, o: Override) -> Dataset:
    source = pl.DataFrame(
        [(o["source"], o.get("name", o["source"]), o["kind"], o["country"], o.get("stock_holder"))],
        schema=d.sources.schema,
        orient="row",
    )
    capacity = pl.DataFrame(
        [(o["source"], o["item"], o["from"], o["units"])], schema=d.capacity.schema, orient="row"
    )
    return d.with_tables(
        sources=pl.concat([d.sources, source]), capacity=pl.concat([d.capacity, capacity])
    )


def _commitment(d: Dataset, o: Override) -> Dataset:
    cid = o["id"]
    if o["action"] == "add":
        row = pl.DataFrame(
            [
                (
                    cid,
                    o["partner"],
                    o["item"],
                    o["quantity"],
                    o["promised"],
                    o["priority"],
                    o.get("announced", o["promised"]),
                    o.get("releasable_to"),
                )
            ],
            schema=d.commitments.schema,
            orient="row",
        )
        return d.with_tables(commitments=pl.concat([d.commitments, row]))
    if o["action"] == "cancel":
        return d.with_tables(
            commitments=d.commitments.filter(pl.col("commitment_id") != cid),
            deliveries=d.deliveries.filter(pl.col("commitment_id") != cid),
        )
    target = pl.col("commitment_id") == cid
    columns = {
        "quantity": "quantity",
        "promised": "promised_month",
        "priority": "priority",
        "releasable_to": "releasable_to",
    }
    changes = [
        pl.when(target)
        .then(pl.lit(o[key]))
        .otherwise(pl.col(col))
        .cast(d.commitments.schema[col])
        .alias(col)
        for key, col in columns.items()
        if key in o.values
    ]
    return d.with_tables(commitments=d.commitments.with_columns(changes))


def _route_problems(file: str, o: Override, d: Dataset) -> list[Problem]:
    key = [o.get(k, "*") for k in ("source", "partner", "item")]
    exists = not _rule_match(d.eligibility, key).is_empty()
    problems = []
    if not exists and "allowed" not in o.values:
        problems.append(
            Problem(
                file,
                o.index,
                "route.allowed",
                None,
                "required for a new rule (no rule with that key)",
            )
        )
    if not exists and o.get("allowed") and "lead_time_months" not in o.values:
        problems.append(
            Problem(file, o.index, "route.lead_time_months", None, "required for a new allow rule")
        )
    if exists and not ({"allowed", "lead_time_months", "reason"} & set(o.values)):
        problems.append(
            Problem(file, o.index, "route", None, "change what? give allowed or lead_time_months")
        )
    return problems


def _rule_match(eligibility: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    return eligibility.filter(
        (pl.col("source_id") == key[0])
        & (pl.col("partner_id") == key[1])
        & (pl.col("item_id") == key[2])
    )


def edit_route(eligibility: pl.DataFrame, o: Override, scenario: str) -> pl.DataFrame:
    """Change the rule with exactly this (source, partner, item) key, or add a new rule."""
    key = [o.get(k, "*") for k in ("source", "partner", "item")]
    same = (
        (pl.col("source_id") == key[0])
        & (pl.col("partner_id") == key[1])
        & (pl.col("item_id") == key[2])
    )
    old = eligibility.filter(same)
    if old.is_empty():
        row = (
            *key,
            o["allowed"],
            o.get("lead_time_months", 0),
            o.get("reason", f"scenario {scenario}"),
        )
        return pl.concat(
            [eligibility, pl.DataFrame([row], schema=eligibility.schema, orient="row")]
        )
    updates = {"allowed": "allowed", "lead_time_months": "lead_time_months", "reason": "reason"}
    return eligibility.with_columns(
        pl.when(same).then(pl.lit(o[k])).otherwise(pl.col(c)).cast(eligibility.schema[c]).alias(c)
        for k, c in updates.items()
        if k in o.values
    )


_UNCERTAINTY_KEY = ("target", "item_id", "kind")


def edit_uncertainty(rules: pl.DataFrame, o: Override) -> pl.DataFrame:
    """The uncertainty rules with the override's rule in place of the one with the same
    (target, item_id, kind), or added; in key order, as a loaded data set keeps them, so a
    scenario's rules tie-break (``store.uncertainty.resolve_uncertainty``) as they would had
    the data file held them."""
    row = pl.DataFrame(
        [
            (
                *(o[k] for k in _UNCERTAINTY_KEY),
                o["distribution"],
                o["low"],
                o.get("mode"),
                o.get("high"),
            )
        ],
        schema=rules.schema,
        orient="row",
    )
    same = pl.all_horizontal(pl.col(k) == o[k] for k in _UNCERTAINTY_KEY)
    return pl.concat([rules.filter(~same), row]).sort(_UNCERTAINTY_KEY)


def _deny_routes(d: Dataset, blocks: Iterable[RouteBlock]) -> Dataset:
    rows = []
    sources = d.sources.get_column("source_id").to_list()
    items = d.items.get_column("item_id").to_list()
    for b in blocks:
        for s in [b.source_id] if b.source_id else sources:
            for i in [b.item_id] if b.item_id else items:
                rows.append((s, b.partner_id, i, False, 0, b.reason or "scenario"))
    if not rows:
        return d
    deny = pl.DataFrame(rows, schema=d.eligibility.schema, orient="row").unique(
        ["source_id", "partner_id", "item_id"], keep="first", maintain_order=True
    )
    keys = ["source_id", "partner_id", "item_id"]
    kept = d.eligibility.join(deny.select(keys), on=keys, how="anti")
    return d.with_tables(eligibility=pl.concat([kept, deny]))


def apply_demand(forecast: pl.DataFrame, changes: Iterable[DemandChange]) -> pl.DataFrame:
    """Multiply the demand forecast (mean and quantiles) of each change's holder, item and months."""
    out = forecast
    for c in changes:
        hit = (pl.col("holder_id") == c.holder_id) & (pl.col("item_id") == c.item_id)
        hit = hit & (pl.col("month") >= c.start)
        if c.until is not None:
            hit = hit & (pl.col("month") <= c.until)
        out = out.with_columns(
            pl.when(hit).then(pl.col(col) * c.multiply).otherwise(pl.col(col)).alias(col)
            for col in ("mean", "p10", "p50", "p90")
            if col in out.columns
        )
    return out
