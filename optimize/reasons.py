"""Plain-language reasons for each late promise, read off the solved model: one function
per kind of reason (see ``optimize/README.md``: Reasons for a late promise)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from optimize.model import Model
from store.months import add_months, month_index, month_text, parse_month

__all__ = ["late_reasons"]

TOL = 1e-6
DUAL_TOL = 1e-9
MAX_NAMED = 5


def _ranges(months: list[str]) -> str:
    """``['2026-11', '2026-12', '2027-02']`` -> ``'2026-11 to 2026-12, 2027-02'``."""
    if not months:
        return ""
    first = min(parse_month(m) for m in months)
    ints = sorted({month_index(parse_month(m), first) for m in months})
    parts, lo, prev = [], ints[0], ints[0]

    def text(k: int) -> str:
        return month_text(add_months(first, k)) or ""

    for k in [*ints[1:], None]:
        if k is not None and k == prev + 1:
            prev = k
            continue
        parts.append(text(lo) if lo == prev else f"{text(lo)} to {text(prev)}")
        if k is not None:
            lo = prev = k
    return ", ".join(parts)


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _named(ids: list[str]) -> str:
    more = f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else ""
    return ", ".join(ids[:MAX_NAMED]) + more


@dataclass(frozen=True)
class _Solved:
    """What the solved model says, per pool-month and per commitment."""

    H: int
    labels: list[str]
    scarce: np.ndarray
    """(P, H): one more unit in that pool-month would lower the stage-1 optimum."""
    at_floor: np.ndarray
    """(P, H): the pool sits at its floor."""
    feeders: dict[int, list[str]]
    """pool -> production lines feeding it."""
    takers: dict[int, set[int]]
    """pool -> commitments that receive units from it."""
    absorb: dict[tuple[str, str], tuple[float, list[str]]]
    """(partner, category) -> (limit, months where it binds)."""
    com: dict[str, list[Any]]
    """commitment columns by name, indexed by c."""
    holder: list[str]
    floor_units: list[float]
    made: dict[int, list[tuple[int, str]]]
    """pool -> lines with a bill of materials feeding it (row of ``data.made``, source)."""
    line_full: np.ndarray
    """(made lines, H): the line's capacity row has a non-zero dual."""
    bills: dict[int, list[int]]
    """made line -> the component pools it draws from."""
    pool_item: list[str]


def _pool_state(model: Model, x: np.ndarray, duals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scarce pool-months (the pool balance has a non-zero dual) and pools at their floor."""
    data, lp, H = model.data, model.lp, model.data.horizon
    P = data.pools.height
    if not P:
        # with no pools there are no candidates either
        return np.zeros((P, H), dtype=bool), np.zeros((P, H), dtype=bool)
    prow = lp.row_blocks["pool"]
    value = -duals[prow.start : prow.stop].reshape(P, H)
    inv_b = lp.col_blocks["inv"]
    inv = x[inv_b.start : inv_b.stop].reshape(P, H)
    floor = data.pools.get_column("floor_units").to_numpy()
    return value > DUAL_TOL, inv <= floor[:, None] + TOL


def _takers(model: Model, x: np.ndarray) -> dict[int, set[int]]:
    """Who takes units out of each pool."""
    takers: dict[int, set[int]] = defaultdict(set)
    ship = model.lp.col_blocks["ship"]
    used = np.nonzero(x[ship.start : ship.stop] > TOL)[0]
    for p, c in set(zip(model.ship_pool[used].tolist(), model.ship_c[used].tolist(), strict=True)):
        takers[p].add(c)
    return takers


def _binding_absorption(
    model: Model, x: np.ndarray, duals: np.ndarray
) -> dict[tuple[str, str], tuple[float, list[str]]]:
    """Binding absorption limits per (partner, category), with the months they bind."""
    absorb: dict[tuple[str, str], tuple[float, list[str]]] = {}
    lp = model.lp
    rb = lp.row_blocks.get("absorption")
    if rb is None or not rb.size:
        return absorb
    row_dual = duals[rb.start : rb.stop]
    cap = model.data.absorption.get_column("units_per_month").to_numpy()[model.absorption_limit]
    keys = rb.keys
    act = lp.activity(x, rb.start, rb.stop)
    binding = (row_dual < -DUAL_TOL) | (act >= cap - TOL)
    for i in np.nonzero(binding)[0]:
        k = (keys["partner_id"][int(i)], keys["category"][int(i)])
        absorb.setdefault(k, (float(cap[i]), []))[1].append(keys["month"][int(i)])
    return absorb


def _solved(model: Model, x: np.ndarray, duals: np.ndarray) -> _Solved:
    data = model.data
    scarce, at_floor = _pool_state(model, x, duals)
    made: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for m, sid, pool in data.made.select("m", "source_id", "pool").iter_rows():
        made[pool].append((m, sid))
    feeders: dict[int, list[str]] = defaultdict(list)
    for sid, pool in (
        data.capacity.select("source_id", "pool").unique(maintain_order=True).iter_rows()
    ):
        if sid not in {s for _, s in made.get(pool, [])}:
            feeders[pool].append(sid)
    bills: dict[int, list[int]] = defaultdict(list)
    for m, comp in data.bom.select("m", "component_pool").iter_rows():
        bills[m].append(comp)
    line = model.lp.row_blocks.get("line")
    line_full = (
        (-duals[line.start : line.stop]).reshape(data.made.height, data.horizon) > DUAL_TOL
        if line is not None
        else np.zeros((0, data.horizon), dtype=bool)
    )
    com = data.commitments
    return _Solved(
        H=data.horizon,
        labels=data.month_labels,
        scarce=scarce,
        at_floor=at_floor,
        feeders=feeders,
        takers=_takers(model, x),
        absorb=_binding_absorption(model, x, duals),
        com={
            k: com.get_column(k).to_list()
            for k in ("commitment_id", "priority", "partner_id", "item_id", "category", "due")
        },
        holder=data.pools.get_column("holder_id").to_list(),
        floor_units=data.pools.get_column("floor_units").to_list(),
        made=made,
        line_full=line_full,
        bills=bills,
        pool_item=data.pools.get_column("item_id").to_list(),
    )


def _no_source(s: _Solved, c: int, rows: list[dict[str, Any]]) -> list[str]:
    return [] if rows else [f"no source produces or stocks {s.com['item_id'][c]}"]


def _denied_routes(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for row in rows:
        if not row["allowed"]:
            why = f": {row['rule_reason']}" if row["rule_reason"] else ""
            out.append(f"route from {row['source_id']} is denied by rule {row['rule']}{why}")
    return out


def _lead_time(s: _Solved, c: int, row: dict[str, Any]) -> list[str]:
    lead, sid, due = row["lead_time"], row["source_id"], s.com["due"][c]
    if lead >= s.H:
        return [
            f"lead time of {_months(lead)} from {sid}: nothing shipped can arrive within the horizon"
        ]
    if lead > due:
        return [
            f"lead time of {_months(lead)} from {sid}: the earliest arrival is {s.labels[lead]}, "
            f"after the due month {s.labels[due]}"
        ]
    return []


def _scarce_pool(s: _Solved, c: int, p: int, tight: np.ndarray, mon: list[str]) -> list[str]:
    """The pool a route draws from is used up: its lines' capacity, or its stock (at its floor
    or used up)."""
    item, out = s.com["item_id"][c], []
    if s.feeders.get(p):
        out.append(
            f"capacity of {', '.join(s.feeders[p])} for {item} is fully used in {_ranges(mon)}"
        )
    out += _made_lines(s, p, set())
    floor_mon = [s.labels[t] for t in np.nonzero(tight & s.at_floor[p][: len(tight)])[0]]
    if s.floor_units[p] > TOL and floor_mon:
        out.append(
            f"stock of {item} at {s.holder[p]} sits at its floor of {s.floor_units[p]:g} units in {_ranges(floor_mon)}"
        )
    elif not s.feeders.get(p) and not s.made.get(p):
        out.append(f"stock of {item} at {s.holder[p]} is used up in {_ranges(mon)}")
    return out


def _made_lines(s: _Solved, p: int, seen: set[int]) -> list[str]:
    """For the lines with a bill of materials feeding pool ``p``: the months their own
    capacity binds, then each component whose pool binds (what makes it, and the months),
    down the bill."""
    out: list[str] = []
    for m, sid in s.made.get(p, []):
        full = [s.labels[t] for t in np.nonzero(s.line_full[m])[0]]
        if full:
            out.append(f"capacity of {sid} for {s.pool_item[p]} is fully used in {_ranges(full)}")
        for comp in s.bills.get(m, []):
            if comp in seen:
                continue
            seen.add(comp)
            short = [s.labels[t] for t in np.nonzero(s.scarce[comp])[0]]
            if not short:
                continue
            makers = s.feeders.get(comp, []) + [x for _, x in s.made.get(comp, [])]
            name = s.pool_item[comp]
            if makers:
                out.append(f"{name} from {', '.join(makers)} fully used in {_ranges(short)}")
            else:
                out.append(f"{name}: no line makes it and its stock is used up in {_ranges(short)}")
            out += _made_lines(s, comp, seen)
    return out


def _competing_promises(s: _Solved, c: int, p: int) -> list[str]:
    """Who receives the scarce units: higher-priority promises, else those of the same priority."""
    ids, prio = s.com["commitment_id"], s.com["priority"]
    takers = s.takers.get(p, ())
    higher = sorted((prio[o], ids[o]) for o in takers if prio[o] < prio[c])
    if higher:
        named = _named([f"{i} (priority {q})" for q, i in higher])
        return [f"higher-priority promises take units from {s.holder[p]}: {named}"]
    same = sorted(ids[o] for o in takers if o != c and prio[o] == prio[c])
    if same:
        return [f"promises of the same priority share {s.holder[p]}: {_named(same)}"]
    return []


def _absorption(s: _Solved, c: int) -> list[str]:
    partner, category = s.com["partner_id"][c], s.com["category"][c]
    lim = s.absorb.get((partner, category))
    if lim is None:
        return []
    return [
        f"{partner} can absorb only {lim[0]:g} {category} units a month (limit reached in {_ranges(lim[1])})"
    ]


def _route_reasons(s: _Solved, c: int, rows: list[dict[str, Any]]) -> list[str]:
    """Per allowed route: its lead time, then (once per pool) what uses the pool up."""
    out: list[str] = []
    seen_pools: set[int] = set()
    P = len(s.holder)
    for row in rows:
        if not row["allowed"]:
            continue
        out += _lead_time(s, c, row)
        lead, p = row["lead_time"], row["pool"]
        if lead >= s.H or p in seen_pools or not 0 <= p < P:
            continue
        seen_pools.add(p)
        tight = s.scarce[p][: s.H - lead]
        mon = [s.labels[t] for t in np.nonzero(tight)[0]]
        if not mon:
            continue
        out += _scarce_pool(s, c, p, tight, mon)
        out += _competing_promises(s, c, p)
    return out


def late_reasons(
    model: Model, x: np.ndarray, duals: np.ndarray, late_um: np.ndarray
) -> list[list[str]]:
    """Plain-language reasons for each late commitment (empty for one on time)."""
    com = model.data.commitments
    out: list[list[str]] = [[] for _ in range(com.height)]
    late = np.nonzero(late_um > TOL)[0]
    if late.size == 0:
        return out
    s = _solved(model, x, duals)
    by_c: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in model.data.candidates.filter(pl.col("c").is_in(late.tolist())).iter_rows(named=True):
        by_c[row["c"]].append(row)
    for c in late.tolist():
        rows = by_c.get(c, [])
        rs = [
            *_no_source(s, c, rows),
            *_denied_routes(rows),
            *_route_reasons(s, c, rows),
            *_absorption(s, c),
        ]
        if not rs:
            rs.append(
                f"no supply can reach {s.com['partner_id'][c]} in time: every eligible source is used up"
            )
        out[c] = list(dict.fromkeys(rs))
    return out
