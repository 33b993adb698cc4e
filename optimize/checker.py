"""An independent plan checker: input data + a plan in, every broken rule out.

It shares no code with the model (no index sets, no matrix): it re-reads the
rules from the data set in plain Python, replays every pool month by month and
recounts lateness, so a bug in the model cannot hide itself here.

So it keeps its own copies of the domain facts ON PURPOSE (do not replace them with
``store.facts`` or ``store.months``): the month index, the kinds of sources, which pool a
line feeds, the starting stock, the capacity step function, the backlog and the priority
weight. Each copy is marked "independent copy".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import polars as pl

from store.dataset import Dataset

__all__ = ["check_plan"]

TOL = 1e-5
# independent copy of store.contract's PRODUCTION_KINDS and STOCK_KINDS
PRODUCTION = {"us_production", "co_production", "allied_production"}
STOCK = {"us_stock", "allied_stock"}


# independent copy of store.facts.tier_weight
TIER_WEIGHT = {"frontline": 4.0, "most_capable": 2.0, "other": 1.0}


class _PlanLike(Protocol):
    commitments: pl.DataFrame
    shipments: pl.DataFrame
    pools: pl.DataFrame
    investments: pl.DataFrame
    weighted_late_unit_months: float
    readiness: pl.DataFrame
    stages: tuple[tuple[str, float | None], ...]
    us_target_weight: float
    production: pl.DataFrame


def _mi(m: date, start: date) -> int:
    """Independent copy of ``store.months.month_index``."""
    return (m.year - start.year) * 12 + m.month - start.month


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def _route_rule(
    rules: list[dict[str, Any]], s: str, p: str, i: str
) -> tuple[bool, int, str | None]:
    best: list[dict[str, Any]] = []
    best_spec = -1
    for r in rules:
        if r["source_id"] in ("*", s) and r["partner_id"] in ("*", p) and r["item_id"] in ("*", i):
            spec = sum(r[k] != "*" for k in ("source_id", "partner_id", "item_id"))
            if spec > best_spec:
                best, best_spec = [r], spec
            elif spec == best_spec:
                best.append(r)
    if not best:
        return True, 0, None
    denies = [r for r in best if not r["allowed"]]
    if denies:
        r = denies[0]
        return False, 0, f"({r['source_id']}, {r['partner_id']}, {r['item_id']})"
    return True, max(r["lead_time_months"] for r in best), None


Key = tuple[str, str]


def _zeros(H: int) -> defaultdict:
    return defaultdict(lambda: [0.0] * H)


@dataclass
class _Rules:
    """The data set's rules, re-read in plain Python for one plan window."""

    start: date
    H: int
    kinds: dict[str, str]
    holder_of: dict[str, str]
    items: dict[str, str]
    rules: list[dict[str, Any]]
    start_stock: dict[Key, float] = field(default_factory=dict)
    floor: dict[Key, float] = field(default_factory=dict)
    target: dict[Key, float | None] = field(default_factory=dict)
    partner_start: dict[Key, float] = field(default_factory=dict)
    partner_floor: dict[Key, float] = field(default_factory=dict)
    partner_target: dict[Key, float | None] = field(default_factory=dict)
    tier: dict[str, float] = field(default_factory=dict)
    partner_use: dict[Key, list[float]] = field(default_factory=dict)
    inflow: dict[Key, list[float]] = field(default_factory=dict)
    producers: set[Key] = field(default_factory=set)
    use: dict[Key, list[float]] = field(default_factory=dict)
    com: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: set[str] = field(default_factory=set)
    line_capacity: dict[Key, list[float]] = field(default_factory=dict)
    """Each production line's capacity per month, with the options bought."""
    capacity_before_options: dict[Key, float] = field(default_factory=dict)
    """Each line's capacity summed over the horizon, without any option."""
    spare_capacity: float | None = None
    """Capacity (before options) left unused on lines with a bill of materials."""
    routes: dict[tuple[str, str, str], tuple[bool, int, str | None]] = field(default_factory=dict)
    """The rule of each route asked about so far (a plan asks about the same routes often)."""
    rules_of_item: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The rules that can match an item (its own and ``*``), in the data's order."""

    def route(self, source: str, partner: str, item: str) -> tuple[bool, int, str | None]:
        """``_route_rule`` for one route: allowed, lead time, the rule that denies it."""
        key = (source, partner, item)
        if key not in self.routes:
            if item not in self.rules_of_item:
                self.rules_of_item[item] = [r for r in self.rules if r["item_id"] in ("*", item)]
            self.routes[key] = _route_rule(self.rules_of_item[item], source, partner, item)
        return self.routes[key]

    def pool_of(self, source: str, item: str) -> Key:
        # a component has one pool, named by the component, whatever line makes it
        if item in self.components:
            return (item, item)
        # independent copy of store.facts.line_holders
        if self.kinds.get(source) in PRODUCTION:
            return (self.holder_of.get(source, source), item)
        return (source, item)


@dataclass
class _Flows:
    """What the plan's shipments move: out of pools, into commitments, into partners."""

    out: dict[Key, list[float]]
    arrivals: dict[str, list[float]]
    absorbed: dict[tuple[str, str, int], float] = field(default_factory=lambda: defaultdict(float))
    received: dict[Key, list[float]] = field(default_factory=dict)
    """Arrivals at each (partner, item), promises and sustainment."""
    drawn: float = 0.0
    """Units shipped out of stock sources' pools."""
    sustained: float = 0.0
    """Units proposed as sustainment."""


def _read_pools(r: _Rules, dataset: Dataset) -> None:
    """Start stock, floor and target of each stock pool and each partner stock (independent
    copy of store.facts.starting_stocks)."""
    partners = dict(dataset.partners.select("partner_id", "tier").iter_rows())
    r.tier = {p: TIER_WEIGHT.get(t, 1.0) for p, t in partners.items()}
    counts: dict[Key, list[tuple[date, float, float, float | None]]] = defaultdict(list)
    for h, i, as_of, units, fl, tg in dataset.stockpiles.select(
        "holder_id", "item_id", "as_of", "units", "floor_units", "target_units"
    ).iter_rows():
        if r.kinds.get(h) in STOCK or h in partners:
            counts[(h, i)].append((as_of, units, fl, tg))
    parts: dict[Key, list[tuple[float, float, float | None]]] = defaultdict(list)
    for key, rows in counts.items():
        rows.sort(key=lambda row: row[0])
        before = [row for row in rows if row[0] < r.start]
        chosen = before[-1] if before else rows[0]
        if key[0] in partners:
            r.partner_start[key], r.partner_floor[key] = chosen[1], chosen[2]
            r.partner_target[key] = chosen[3]
        elif key[1] in r.components:
            parts[(key[1], key[1])].append(chosen[1:])
        else:
            r.start_stock[key], r.floor[key], r.target[key] = chosen[1], chosen[2], chosen[3]

    for key, rows in parts.items():
        targets = [tg for _, _, tg in rows if tg is not None]
        r.start_stock[key] = sum(u for u, _, _ in rows)
        r.floor[key] = sum(fl for _, fl, _ in rows)
        r.target[key] = sum(targets) if targets else None


def _read_production(r: _Rules, dataset: Dataset, plan: _PlanLike) -> None:
    """Inflow into each pool from capacity and chosen options (independent copy of
    store.facts.capacity_grid); a pool only fed by production starts at 0, floor 0."""
    H = r.H
    inflow = _zeros(H)
    cap_rows: dict[Key, list[tuple[int, float]]] = defaultdict(list)
    for s, i, m, u in dataset.capacity.select("source_id", "item_id", "month", "units").iter_rows():
        if r.kinds.get(s) in PRODUCTION:
            cap_rows[(s, i)].append((_mi(m, r.start), u))
    for (s, i), rows in cap_rows.items():
        rows.sort()
        r.producers.add((s, i))
        r.line_capacity[(s, i)] = _steps(rows, H)
        r.capacity_before_options[(s, i)] = sum(r.line_capacity[(s, i)])
    chosen = (
        {o for o, c in plan.investments.select("option_id", "chosen").iter_rows() if c}
        if plan.investments.height
        else set()
    )
    for o, s, i, added, lead in dataset.expansion_options.select(
        "option_id", "source_id", "item_id", "added_units_per_month", "lead_time_months"
    ).iter_rows():
        if o in chosen:
            r.producers.add((s, i))
            line = r.line_capacity.setdefault((s, i), [0.0] * H)
            for t in range(lead, H):
                line[t] += added
    for (s, i), line in r.line_capacity.items():
        for t in range(H):
            inflow[r.pool_of(s, i)][t] += line[t]
    for key in list(inflow):
        r.start_stock.setdefault(key, 0.0)
        r.floor.setdefault(key, 0.0)
        r.target.setdefault(key, None)
    r.inflow = inflow


def _read_use(r: _Rules, demand: pl.DataFrame | None) -> None:
    use, partner_use = _zeros(r.H), _zeros(r.H)
    if demand is not None:
        for h, i, m, mean in demand.select("holder_id", "item_id", "month", "mean").iter_rows():
            t = _mi(m, r.start)
            if 0 <= t < r.H and (h, i) in r.start_stock:
                use[(h, i)][t] += max(mean, 0.0)
            if 0 <= t < r.H and (h, i) in r.partner_start:
                partner_use[(h, i)][t] += max(mean, 0.0)
    r.use, r.partner_use = use, partner_use


def _read_commitments(r: _Rules, dataset: Dataset) -> None:
    """Open commitments, backlog and due month (independent copy of
    store.facts.commitment_backlog)."""
    delivered: dict[str, float] = defaultdict(float)
    for cid, u in dataset.deliveries.select("commitment_id", "units").iter_rows():
        delivered[cid] += u
    for row in dataset.commitments.iter_rows(named=True):
        q = max(row["quantity"] - delivered[row["commitment_id"]], 0.0)
        if q > 1e-9:
            r.com[row["commitment_id"]] = row | {
                "backlog": q,
                "due": max(0, _mi(row["promised_month"], r.start)),
            }


def _read_rules(
    dataset: Dataset, demand: pl.DataFrame | None, start: date, horizon: int, plan: _PlanLike
) -> _Rules:
    kinds = dict(dataset.sources.select("source_id", "kind").iter_rows())
    r = _Rules(
        start=start,
        H=horizon,
        kinds=kinds,
        holder_of={
            s: h
            for s, h in dataset.sources.select("source_id", "stock_holder").iter_rows()
            if h and kinds.get(h) in STOCK
        },
        items={i: c for i, c in dataset.items.select("item_id", "category").iter_rows()},
        rules=dataset.eligibility.to_dicts(),
    )
    r.components = {i for i, c in r.items.items() if c == "component"}
    _read_pools(r, dataset)
    _read_production(r, dataset, plan)
    _read_use(r, demand)
    _read_commitments(r, dataset)
    return r


def _bills(dataset: Dataset, lines: set[Key]) -> dict[Key, dict[str, tuple[float, int]]]:
    """For each line with a bill of materials, component -> (units per item, lead time); a row
    naming the line replaces the item-wide row for the same component."""
    out: dict[Key, dict[str, tuple[float, int]]] = {}
    rows = dataset.bom.select(
        "item_id", "component_id", "units_per_item", "lead_time_months", "source_id"
    ).iter_rows()
    general: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    specific: dict[Key, dict[str, tuple[float, int]]] = defaultdict(dict)
    for item, comp, per, lead, source in rows:
        if source is None:
            general[item][comp] = (per, lead)
        else:
            specific[(source, item)][comp] = (per, lead)
    for s, i in lines:
        bill = dict(general.get(i, {})) | specific.get((s, i), {})
        if bill:
            out[(s, i)] = bill
    return out


def check_production(r: _Rules, dataset: Dataset, plan: _PlanLike) -> list[str]:
    """Every line's output within its capacity; a line without a bill of materials makes its
    capacity, one with a bill draws its components (at the lead time, from the stock at the
    start when that falls before it). Moves the made output and the draws into the pools."""
    problems: list[str] = []
    H = r.H
    production = getattr(plan, "production", None)
    made: dict[tuple[str, str, int], float] = {}
    if production is not None:
        for s, i, m, u in production.select("source_id", "item_id", "month", "units").iter_rows():
            made[(s, i, _mi(m, r.start))] = u
    lines = set(r.line_capacity)
    options = dataset.expansion_options.select("source_id", "item_id").iter_rows()
    bills = _bills(dataset, lines | {(s, i) for s, i in options})
    for comp in {c for bill in bills.values() for c in bill}:
        r.start_stock.setdefault((comp, comp), 0.0)
        r.floor.setdefault((comp, comp), 0.0)
        r.target.setdefault((comp, comp), None)
    early: dict[str, float] = defaultdict(float)
    spare = 0.0
    for (s, i), bill in sorted(bills.items()):
        cap = r.line_capacity.get((s, i), [0.0] * H)
        for t in range(H):
            u = made.get((s, i, t))
            if u is None:
                if cap[t] > TOL:
                    problems.append(f"production of {s}/{i} in month {t + 1} is missing")
                u = 0.0
            if u < -TOL or u > cap[t] + TOL * max(1.0, cap[t]):
                problems.append(f"line {s}/{i} makes {u:g} in month {t + 1}, capacity {cap[t]:g}")
            r.inflow[r.pool_of(s, i)][t] += u - cap[t]
            for comp, (per, lead) in bill.items():
                r.use[(comp, comp)][max(t - lead, 0)] += per * u
                if t - lead < 0:
                    early[comp] += per * u
            spare -= u
    for key in bills:
        spare += r.capacity_before_options.get(key, 0.0)
    for comp, drawn in early.items():
        have = r.start_stock.get((comp, comp), 0.0)
        if drawn > have + TOL * max(1.0, have):
            problems.append(
                f"lines draw {drawn:g} {comp} before the plan starts, more than the "
                f"{have:g} in stock at the start"
            )
    for (s, i), cap in r.line_capacity.items():
        if (s, i) in bills:
            continue
        for t in range(H):
            u = made.get((s, i, t))
            if (
                production is not None
                and production.height
                and (u is None or not _close(u, cap[t]))
            ):
                problems.append(
                    f"line {s}/{i} without a bill of materials makes {u} in month {t + 1}, "
                    f"not its capacity {cap[t]:g}"
                )
                break
    r.spare_capacity = spare if bills else None
    return problems


def _steps(rows: list[tuple[int, float]], H: int) -> list[float]:
    """Independent copy of store.facts.capacity_grid: each month's rate is the last row's at
    or before it, 0 before the first row (``rows``: (month index, rate), sorted)."""
    out = []
    for t in range(H):
        rate = 0.0
        for k, u in rows:
            if k <= t:
                rate = u
        out.append(rate)
    return out


def check_shipments(r: _Rules, plan: _PlanLike) -> tuple[list[str], _Flows]:
    """Routes, lead times, horizon; and what the shipments move."""
    problems: list[str] = []
    H, start = r.H, r.start
    flows = _Flows(out=_zeros(H), arrivals=_zeros(H), received=_zeros(H))
    for sh in plan.shipments.iter_rows(named=True):
        s, cid, u = sh["source_id"], sh["commitment_id"], sh["units"]
        t, a = _mi(sh["month"], start), _mi(sh["arrival_month"], start)
        purpose = sh.get("purpose", "promise")
        tag = f"shipment {s}->{cid or sh['partner_id']} in {sh['month']:%Y-%m}"
        if u < -TOL:
            problems.append(f"{tag}: negative units {u}")
        if purpose == "sustainment":
            if cid is not None:
                problems.append(f"{tag}: a sustainment proposal names commitment {cid}")
            item, partner = sh["item_id"], sh["partner_id"]
            if r.partner_floor.get((partner, item), 0.0) <= 0.0:
                problems.append(f"{tag}: sustainment for {partner}/{item}, which has no floor")
        elif purpose == "promise":
            c = r.com.get(cid)
            if c is None:
                problems.append(f"{tag}: no open commitment {cid}")
                continue
            if sh["item_id"] != c["item_id"] or sh["partner_id"] != c["partner_id"]:
                problems.append(f"{tag}: item/partner do not match the commitment")
            item, partner = c["item_id"], c["partner_id"]
        else:
            problems.append(f"{tag}: unknown purpose {purpose!r}")
            continue
        if r.kinds.get(s) in PRODUCTION and (s, item) not in r.producers:
            problems.append(f"{tag}: {s} has no capacity for {item}")
        if r.kinds.get(s) in STOCK and (s, item) not in r.start_stock:
            problems.append(f"{tag}: {s} holds no {item}")
        allowed, lead, rule = r.route(s, partner, item)
        if not allowed:
            problems.append(f"{tag}: route denied by rule {rule}")
        if a - t != lead:
            problems.append(f"{tag}: arrives {a - t} months after shipping, lead time is {lead}")
        if not (0 <= t < H and 0 <= a < H):
            problems.append(f"{tag}: outside the horizon")
            continue
        flows.out[r.pool_of(s, item)][t] += u
        if purpose == "promise":
            flows.arrivals[cid][a] += u
        else:
            flows.sustained += u
        if r.kinds.get(r.pool_of(s, item)[0]) in STOCK:
            flows.drawn += u
        flows.received[(partner, item)][a] += u
        flows.absorbed[(partner, r.items.get(item, ""), a)] += u
    return problems, flows


def check_pools(r: _Rules, plan: _PlanLike, flows: _Flows) -> list[str]:
    """Every pool replayed month by month; shipping must never deepen a floor breach, and the
    plan's levels must match the replay."""
    problems: list[str] = []
    planned_inv = {
        (h, i, _mi(m, r.start)): v
        for h, i, m, v in plan.pools.select(
            "holder_id", "item_id", "month", "inventory"
        ).iter_rows()
    }
    for key in set(r.start_stock) | set(flows.out):
        if key not in r.start_stock:
            problems.append(f"shipments leave {key[0]}/{key[1]}, which is not a pool")
            continue
        inv = base = r.start_stock[key]
        for t in range(r.H):
            inv += r.inflow[key][t] - r.use[key][t] - flows.out[key][t]
            base += r.inflow[key][t] - r.use[key][t]
            fl = r.floor[key]
            if max(fl - inv, 0.0) > max(fl - base, 0.0) + TOL * max(1.0, fl):
                problems.append(
                    f"pool {key[0]}/{key[1]} drawn below its floor {fl:g} in month {t + 1} (level {inv:.6g})"
                )
                break
            got = planned_inv.get((*key, t))
            if got is None or not _close(got, inv):
                problems.append(
                    f"pool {key[0]}/{key[1]} month {t + 1}: plan says {got}, replay gives {inv:.6g}"
                )
                break
    return problems


def check_absorption(r: _Rules, dataset: Dataset, flows: _Flows) -> list[str]:
    """Arrivals per partner, category and month within ``absorption.csv``."""
    problems: list[str] = []
    absorbed = flows.absorbed
    for p, k, u in dataset.absorption.select(
        "partner_id", "category", "units_per_month"
    ).iter_rows():
        for t in range(r.H):
            if absorbed.get((p, k, t), 0.0) > u + TOL * max(1.0, u):
                problems.append(
                    f"absorption of {p}/{k} exceeded in month {t + 1}: {absorbed[(p, k, t)]:g} > {u:g}"
                )
    return problems


def check_lateness(r: _Rules, plan: _PlanLike, flows: _Flows) -> list[str]:
    """Lateness, planned units and completion months recounted from the arrivals; the weighted
    total against the plan's."""
    problems: list[str] = []
    rows = {row["commitment_id"]: row for row in plan.commitments.iter_rows(named=True)}
    weighted = 0.0
    for cid, c in r.com.items():
        arrivals = flows.arrivals[cid]
        got = sum(arrivals)
        if got > c["backlog"] + TOL * max(1.0, c["backlog"]):
            problems.append(f"{cid}: {got:g} units planned, more than the backlog {c['backlog']:g}")
        cum, late, done = 0.0, 0.0, None
        for t in range(r.H):
            cum += arrivals[t]
            if done is None and cum >= c["backlog"] - TOL:
                done = t
            # a shortfall within the solver's tolerance is no shortfall (as for completion)
            short = c["backlog"] - cum
            if t >= c["due"] and short > TOL * max(1.0, c["backlog"]):
                late += short
        weighted += late * 2.0 ** (5 - c["priority"])  # independent copy of priority_weight
        row = rows.get(cid)
        if row is None:
            problems.append(f"{cid}: missing from the plan's commitments")
            continue
        if not _close(row["late_unit_months"], late):
            problems.append(
                f"{cid}: plan says {row['late_unit_months']} unit-months late, recount {late:g}"
            )
        if not _close(row["planned_units"], cum):
            problems.append(
                f"{cid}: plan says {row['planned_units']} units, shipments give {cum:g}"
            )
        want = (
            _mi(row["completion_month"], r.start) if row["completion_month"] is not None else None
        )
        if want != done:
            problems.append(
                f"{cid}: completion month {row['completion_month']} does not match the shipments"
            )
        if late > TOL and not row["reasons"]:
            problems.append(f"{cid}: late without a reason")
    if not _close(plan.weighted_late_unit_months, weighted):
        problems.append(
            f"weighted late unit-months: plan says {plan.weighted_late_unit_months}, recount {weighted:g}"
        )
    return problems


def _replay(r: _Rules, key: Key, flows: _Flows) -> list[float]:
    """A stock source's pool month by month."""
    inv, out = r.start_stock[key], []
    for t in range(r.H):
        inv += r.inflow[key][t] - r.use[key][t] - flows.out[key][t]
        out.append(inv)
    return out


def _partner_replay(r: _Rules, key: Key, flows: _Flows) -> list[float]:
    """A partner stock month by month: the count, plus arrivals, minus consumption; below zero
    it is consumption not covered (still owed)."""
    level, out = r.partner_start[key], []
    for t in range(r.H):
        level += flows.received.get(key, [0.0] * r.H)[t] - r.partner_use[key][t]
        out.append(level)
    return out


def _gap(goal: float | None, level: float) -> float | None:
    return None if goal is None else max(goal - level, 0.0)


def _same(a: float | None, b: float | None, scale: float = 0.0) -> bool:
    """Both None, or equal to ``TOL`` of the larger of them and ``scale``."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b), scale)


def check_readiness(r: _Rules, plan: _PlanLike, flows: _Flows) -> list[str]:
    """The readiness rows: every stock source's pool and every partner stock replayed; level
    (never below zero for a partner), units below floor and target, unmet consumption."""
    problems: list[str] = []
    rows = {
        (row["holder_id"], row["item_id"], _mi(row["month"], r.start)): row
        for row in plan.readiness.iter_rows(named=True)
    }
    want: dict[tuple[str, str, int], tuple[float, float, float | None, float]] = {}
    # per pool, the size its figures are compared at: units below a floor or target are a
    # difference of two such sizes and carry their rounding (the plan publishes each
    # shipment to 1e-6 units, and a large pool sums many)
    scale: dict[tuple[str, str], float] = {}
    for key in r.start_stock:
        if r.kinds.get(key[0]) not in STOCK:
            continue
        levels = _replay(r, key, flows)
        scale[key] = max(r.floor[key], r.target[key] or 0.0, *map(abs, levels), 0.0)
        for t, v in enumerate(levels):
            want[(*key, t)] = (v, max(r.floor[key] - v, 0.0), _gap(r.target[key], v), 0.0)
    for key in r.partner_start:
        levels = _partner_replay(r, key, flows)
        scale[key] = max(r.partner_floor[key], r.partner_target[key] or 0.0, *map(abs, levels), 0.0)
        for t, v in enumerate(levels):
            want[(*key, t)] = (
                max(v, 0.0),
                max(r.partner_floor[key] - v, 0.0),
                _gap(r.partner_target[key], v),
                max(-v, 0.0),
            )
    for k, (level, below_floor, below_target, unmet) in want.items():
        got = rows.get(k)
        tag = f"readiness {k[0]}/{k[1]} month {k[2] + 1}"
        if got is None:
            problems.append(f"{tag}: missing from the plan")
            continue
        for name, value in (
            ("level", level),
            ("below_floor_units", below_floor),
            ("below_target_units", below_target),
            ("unmet_units", unmet),
        ):
            if not _same(got[name], value, scale[k[:2]]):
                problems.append(f"{tag}: plan says {name} {got[name]}, replay gives {value}")
                break
    for k in set(rows) - set(want):
        problems.append(f"readiness {k[0]}/{k[1]}: not a pool of the plan")
    return problems


def _fair_groups(r: _Rules, dataset: Dataset) -> dict[str, int]:
    """Promises of one priority and item sharing an eligible source, by union-find (an
    independent copy of the model's grouping): commitment -> group root, groups of 2+ only."""
    suppliers: dict[str, set[str]] = defaultdict(set)
    for s, i in r.producers:
        suppliers[i].add(s)
    for h, i in r.start_stock:
        if r.kinds.get(h) in STOCK:
            suppliers[i].add(h)
    parent = {cid: cid for cid in r.com}

    def find(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    owner: dict[tuple[int, str, str], str] = {}
    for cid in sorted(r.com):
        c = r.com[cid]
        for s in sorted(suppliers[c["item_id"]]):
            ok, lead, _ = r.route(s, c["partner_id"], c["item_id"])
            if not ok or lead >= r.H:
                continue
            k = (c["priority"], c["item_id"], s)
            if k in owner:
                a, b = find(owner[k]), find(cid)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[k] = cid
    roots = {cid: find(cid) for cid in r.com}
    size: dict[str, int] = defaultdict(int)
    for root in roots.values():
        size[root] += 1
    return {cid: root for cid, root in roots.items() if size[root] >= 2}


def check_stages(
    r: _Rules,
    dataset: Dataset,
    plan: _PlanLike,
    flows: _Flows,
    reference: pl.DataFrame | None,
    firmed: pl.DataFrame | None = None,
) -> list[str]:
    """Each stage's optimum recounted from the plan's rows: lateness (with the floor-breach
    penalty), readiness, the largest missing fraction in a fair-share group, units drawn and
    proposed, distance to the reference."""
    problems: list[str] = []
    stages = dict(plan.stages)
    recount: dict[str, float | None] = {}
    breach = 0.0
    for key in r.start_stock:
        for v in _replay(r, key, flows):
            # rows rounded to 1e-6 units (times units per item, for components) are not breaches
            below = r.floor[key] - v
            breach += below if below > TOL * max(1.0, r.floor[key]) else 0.0
    recount["lateness"] = plan.weighted_late_unit_months + (16.0 * r.H + 1.0) * breach
    ready = 0.0
    for key in r.partner_start:
        fl = r.partner_floor[key]
        if fl > 0:
            w = r.tier.get(key[0], 1.0)
            ready += sum(w * max(fl - v, 0.0) / fl for v in _partner_replay(r, key, flows))
    for key in r.start_stock:
        tg = r.target[key]
        if r.kinds.get(key[0]) == "us_stock" and tg and tg > 0:
            ready += sum(
                plan.us_target_weight * max(tg - v, 0.0) / tg for v in _replay(r, key, flows)
            )
    recount["readiness"] = ready
    groups = _fair_groups(r, dataset)
    worst = 0.0
    for cid in groups:
        c, cum = r.com[cid], 0.0
        for t in range(r.H):
            cum += flows.arrivals[cid][t]
            if t >= c["due"]:
                worst = max(worst, 1.0 - cum / c["backlog"])
    recount["fair_shares"] = (
        worst if groups and any(r.com[c]["due"] < r.H for c in groups) else None
    )
    recount["least_drawn"] = flows.drawn + flows.sustained
    if r.spare_capacity is not None:
        recount["spare_capacity"] = r.spare_capacity
    if reference is not None:
        recount["reference"] = _distance(plan.shipments, reference)
    shortfall = None if firmed is None else _firmed_shortfall(r, plan.shipments, flows, firmed)
    if shortfall is not None:
        recount["firmed"] = shortfall
    # the plan's rows are rounded to 1e-6 units: each may move a recount by that much
    slack = 1e-6 * (1 + plan.shipments.height)
    for name, value in recount.items():
        if name not in stages:
            problems.append(f"stage {name}: missing from the plan")
            continue
        got = stages[name]
        if value is None or got is None:
            if (value is None) != (got is None) and name != "fair_shares":
                problems.append(f"stage {name}: plan says {got}, recount {value}")
            continue
        if abs(got - value) > 1e-6 * max(1.0, abs(got), abs(value)) + slack:
            problems.append(f"stage {name}: plan says {got}, recount {value:.9g}")
    return problems


def _firmed_shortfall(
    r: _Rules, shipments: pl.DataFrame, flows: _Flows, firmed: pl.DataFrame
) -> float | None:
    """Stage 0 recounted: the missing fraction of each firmed row that falls in the plan's
    months (a shipment dated in them; a completion pinned before their end, a past month
    read as the first), summed. None when no row falls in them."""
    total, counted = 0.0, False
    for f in firmed.iter_rows(named=True):
        year, month = (int(p) for p in f["month"].split("-"))
        t = _mi(date(year, month, 1), r.start)
        if f["kind"] == "shipment":
            if not 0 <= t < r.H:
                continue
            goal = f["units"]
            got = 0.0
            for row in shipments.iter_rows(named=True):
                if (
                    row["source_id"] == f["source_id"]
                    and row["partner_id"] == f["partner_id"]
                    and row["item_id"] == f["item_id"]
                    and _mi(row["month"], r.start) == t
                    and (f["commitment_id"] is None or row["commitment_id"] == f["commitment_id"])
                ):
                    got += row["units"]
        else:
            if t >= r.H:
                continue
            c = r.com.get(f["commitment_id"] or "")
            goal = c["backlog"] if c is not None else 0.0
            got = sum(flows.arrivals[f["commitment_id"]][: max(t, 0) + 1]) if c else 0.0
        if goal <= 0:
            continue
        counted = True
        total += max(goal - got, 0.0) / goal
    return total if counted else None


def _distance(shipments: pl.DataFrame, reference: pl.DataFrame) -> float:
    """Sum of absolute differences of units, shipment by shipment."""

    def units(frame: pl.DataFrame) -> dict[tuple, float]:
        out: dict[tuple, float] = defaultdict(float)
        for row in frame.iter_rows(named=True):
            key = (
                row["source_id"],
                row["commitment_id"],
                row["partner_id"],
                row["item_id"],
                _mi(row["month"], date(2000, 1, 1)),
            )
            out[key] += row["units"]
        return out

    a, b = units(shipments), units(reference)
    return sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def check_plan(
    dataset: Dataset,
    demand: pl.DataFrame | None,
    start: date,
    horizon: int,
    plan: _PlanLike,
    reference: pl.DataFrame | None = None,
    firmed: pl.DataFrame | None = None,
) -> list[str]:
    """Every rule the plan breaks, in words (empty when the plan is sound), one rule family
    at a time: shipments (promises and sustainment), pools, absorption, lateness, partner
    stocks and readiness, and each stage's optimum recounted (the distance to ``reference``
    only when it is given, the firmed rows' shortfall only with ``firmed``)."""
    rules = _read_rules(dataset, demand, start, horizon, plan)
    problems = check_production(rules, dataset, plan)
    shipment_problems, flows = check_shipments(rules, plan)
    problems += shipment_problems
    problems += check_pools(rules, plan, flows)
    problems += check_absorption(rules, dataset, flows)
    problems += check_lateness(rules, plan, flows)
    problems += check_readiness(rules, plan, flows)
    problems += check_stages(rules, dataset, plan, flows, reference, firmed)
    return problems
