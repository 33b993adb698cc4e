"""Applying a scenario: pure functions from a Dataset to a changed copy. Nothing here touches
the database, and no frame is changed in place, so scenarios applied at the same time never
see each other's changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.scenarios.spec import PRODUCTION_KINDS, STOCK_KINDS, Override, Scenario, read_scenario
from store.dataset import Dataset
from store.errors import InputRejected, Problem
from store.facts import capacity_grid
from store.months import add_months

__all__ = [
    "Applied",
    "DemandChange",
    "RouteBlock",
    "apply_chain",
    "apply_demand",
    "apply_scenario",
    "read_scenarios",
    "resolve_chain",
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


# -- reading and chaining ------------------------------------------------------------------


def read_scenarios(folder: str | Path) -> dict[str, Scenario]:
    """Every ``*.toml`` in ``folder`` by scenario name; every problem of every file at once."""
    found: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            scenario = read_scenario(path)
        except InputRejected as exc:
            problems += exc.problems
            continue
        if scenario.name == BASELINE:
            problems.append(Problem(str(path), None, "name", BASELINE, "is reserved"))
        elif scenario.name in found:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "name",
                    scenario.name,
                    f"already used by {found[scenario.name].path}",
                )
            )
        else:
            found[scenario.name] = scenario
    if problems:
        raise InputRejected(problems)
    return found


def resolve_chain(name: str, library: Mapping[str, Scenario]) -> list[Scenario]:
    """The scenario and its bases, the first base first; unknown bases and cycles rejected."""
    if name not in library:
        raise InputRejected(
            [Problem(name, None, "name", name, f"no such scenario; known: {', '.join(library)}")]
        )
    chain: list[Scenario] = []
    seen: list[str] = []
    current = library[name]
    while True:
        if current.name in seen:
            cycle = " -> ".join([*seen[seen.index(current.name) :], current.name])
            raise InputRejected(
                [Problem(current.path, None, "base", current.base, f"cycle: {cycle}")]
            )
        seen.append(current.name)
        chain.append(current)
        if current.base == BASELINE:
            break
        if current.base not in library:
            raise InputRejected(
                [Problem(current.path, None, "base", current.base, "no scenario of that name")]
            )
        current = library[current.base]
    return chain[::-1]


def apply_chain(dataset: Dataset, chain: Iterable[Scenario]) -> Applied:
    """Apply a chain of scenarios (base first) to ``dataset``; later ones see earlier changes."""
    applied = Applied(dataset=dataset)
    for scenario in chain:
        applied = apply_scenario(applied, scenario)
    return applied


# -- one scenario ----------------------------------------------------------------------------


class _Ids:
    """The ids a scenario may name, as they stand when it is applied."""

    def __init__(self, d: Dataset):
        self.items = set(d.items.get_column("item_id"))
        self.partners = set(d.partners.get_column("partner_id"))
        self.sources = dict(zip(d.sources["source_id"], d.sources["kind"], strict=True))
        self.commitments = set(d.commitments.get_column("commitment_id"))
        self.holders = (
            self.partners
            | set(self.sources)
            | set(d.stockpiles.get_column("holder_id"))
            | set(d.consumption.get_column("holder_id"))
        )


def _check_ids(file: str, o: Override, ids: _Ids, d: Dataset) -> list[Problem]:
    problems: list[Problem] = []

    def bad(key: str, reason: str) -> None:
        problems.append(Problem(file, o.index, f"{o.kind}.{key}", str(o.get(key)), reason))

    def known(key: str, pool: Iterable[str], what: str, star: bool = False) -> bool:
        value = o.get(key)
        if value is None or (star and value == "*") or value in pool:
            return True
        bad(key, f"unknown {what}")
        return False

    if o.kind in ("capacity", "outage"):
        if (
            known("source", ids.sources, "source")
            and ids.sources[o["source"]] not in PRODUCTION_KINDS
        ):
            bad("source", f"is a {ids.sources[o['source']]} source; only production has capacity")
        known("item", ids.items, "item")
        if o.kind == "outage" and not problems:
            rows = d.capacity.filter(pl.col("source_id") == o["source"])
            if o.get("item") is not None:
                rows = rows.filter(pl.col("item_id") == o["item"])
            if rows.is_empty():
                bad("item" if o.get("item") else "source", "has no capacity to take down")
    elif o.kind == "new_line":
        if o["source"] in ids.sources:
            bad("source", "already exists; change its capacity with [[capacity]]")
        known("item", ids.items, "item")
        holder = o.get("stock_holder")
        if holder is not None and ids.sources.get(holder) not in STOCK_KINDS:
            bad("stock_holder", "must be a stock source (us_stock or allied_stock)")
    elif o.kind == "demand":
        known("holder", ids.holders, "holder")
        known("item", ids.items, "item")
    elif o.kind == "commitment":
        action = o["action"]
        if action == "add" and o["id"] in ids.commitments:
            bad("id", "already exists; use action = 'change'")
        if action in ("cancel", "change") and not known("id", ids.commitments, "commitment"):
            return problems
        known("partner", ids.partners, "partner")
        known("item", ids.items, "item")
        rel = o.get("releasable_to")
        if rel is not None and rel != "ALL":
            unknown = [p for p in rel.split(";") if p.strip() not in ids.partners]
            if unknown:
                bad("releasable_to", f"unknown partner(s) {', '.join(unknown)}")
        if action == "change" and o.get("quantity") is not None:
            delivered = d.deliveries.filter(pl.col("commitment_id") == o["id"])["units"].sum()
            if o["quantity"] < delivered:
                bad("quantity", f"is below the {delivered:g} units already delivered")
    elif o.kind == "partner_stop":
        known("partner", ids.partners, "partner")
    elif o.kind == "source_stop":
        known("source", ids.sources, "source")
        known("partner", ids.partners, "partner")
        known("item", ids.items, "item")
    elif o.kind == "route":
        known("source", ids.sources, "source", star=True)
        known("partner", ids.partners, "partner", star=True)
        known("item", ids.items, "item", star=True)
    return problems


def apply_scenario(base: Applied | Dataset, scenario: Scenario) -> Applied:
    """Check ``scenario``'s ids against ``base`` and apply its overrides (kind by kind in the
    order of ``KINDS``, each kind in file order)."""
    if isinstance(base, Dataset):
        base = Applied(dataset=base)
    d = base.dataset
    problems: list[Problem] = []
    demand = list(base.demand)
    blocks = list(base.blocks)
    for o in scenario.overrides:
        found = _check_ids(scenario.path, o, _Ids(d), d)
        if found:
            problems += found
            continue
        if o.kind == "capacity":
            op = next(k for k in ("multiply", "add", "set") if k in o.values)
            d = d.with_tables(
                capacity=edit_capacity(
                    d.capacity, o["source"], o["item"], o["from"], o.get("until"), op, o[op]
                )
            )
        elif o.kind == "outage":
            items = [o["item"]] if o.get("item") else _items_of(d.capacity, o["source"])
            cap = d.capacity
            for item in items:
                cap = edit_capacity(cap, o["source"], item, o["from"], o.get("until"), "set", 0.0)
            d = d.with_tables(capacity=cap)
        elif o.kind == "new_line":
            d = _new_line(d, o)
        elif o.kind == "demand":
            demand.append(
                DemandChange(o["holder"], o["item"], o["from"], o.get("until"), o["multiply"])
            )
        elif o.kind == "commitment":
            d = _commitment(d, o)
        elif o.kind == "partner_stop":
            blocks.append(RouteBlock(o["partner"], o["from"], reason=f"scenario {scenario.name}"))
        elif o.kind == "source_stop":
            blocks.append(
                RouteBlock(
                    o["partner"],
                    o.get("from"),
                    o["source"],
                    o.get("item"),
                    reason=f"scenario {scenario.name}",
                )
            )
        elif o.kind == "route":
            problems += _route_problems(scenario.path, o, d)
            if not problems:
                d = d.with_tables(eligibility=edit_route(d.eligibility, o, scenario.name))
    if problems:
        raise InputRejected(problems)
    return Applied(
        dataset=d,
        chain=(*base.chain, scenario.name),
        demand=tuple(demand),
        blocks=tuple(blocks),
        budget_usd=scenario.budget_usd if scenario.budget_usd is not None else base.budget_usd,
        cost_usd=base.cost_usd + scenario.cost_usd,
        descriptions={**base.descriptions, scenario.name: scenario.description},
    )


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
