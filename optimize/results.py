"""From solved columns and duals to the plan: frames, late reasons, capacity value."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from optimize.model import Model
from optimize.solve import Solution
from store.months import add_months, month_index, month_text, parse_month

__all__ = ["Plan", "build_plan"]

TOL = 1e-6
DUAL_TOL = 1e-9
MAX_NAMED = 5


@dataclass(frozen=True)
class Plan:
    """cum solved allocation. Frames have the result tables' columns (without ``run_id``)."""

    status: str
    weighted_late_unit_months: float
    commitments: pl.DataFrame
    shipments: pl.DataFrame
    capacity_value: pl.DataFrame
    investments: pl.DataFrame
    pools: pl.DataFrame
    start: date
    horizon: int
    floor_breach_unit_months: float = 0.0
    stock_drawn_units: float = 0.0
    weighted_late_before_investment: float | None = None
    solver: str = "highs"
    solve_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The run summary stored with the run."""
        late = self.commitments.filter(pl.col("late_unit_months") > TOL)
        out: dict[str, Any] = {
            "status": self.status,
            "weighted_late_unit_months": self.weighted_late_unit_months,
            "late_commitments": late.height,
            "commitments": self.commitments.height,
            "floor_breach_unit_months": self.floor_breach_unit_months,
            "stock_drawn_units": self.stock_drawn_units,
            "solver": self.solver,
            "solve_seconds": round(self.solve_seconds, 3),
        }
        if self.weighted_late_before_investment is not None:
            chosen = self.investments.filter(pl.col("chosen"))
            out |= {
                "weighted_late_before_investment": self.weighted_late_before_investment,
                "investment_cost_usd": float(chosen.get_column("cost_usd").sum()),
                "options_chosen": chosen.get_column("option_id").to_list(),
            }
        return out


def _clean(a: np.ndarray) -> np.ndarray:
    a = np.round(a, 6)
    a[np.abs(a) < TOL] = 0.0
    return a + 0.0


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


def build_plan(model: Model, sol: Solution) -> Plan:
    data, lp, H = model.data, model.lp, model.data.horizon
    x = sol.x
    months = pl.Series("m", data.months, dtype=pl.Date)
    com = data.commitments
    n_c = com.height

    # shipments
    ship = lp.col_blocks["ship"]
    units = x[ship.start : ship.stop]
    keep = np.nonzero(units > TOL)[0]
    routes = data.routes
    r = model.ship_route[keep]
    cidx = model.ship_c[keep]
    shipments = pl.DataFrame(
        {
            "source_id": routes.get_column("source_id").gather(r),
            "commitment_id": com.get_column("commitment_id").gather(cidx),
            "item_id": com.get_column("item_id").gather(cidx),
            "partner_id": com.get_column("partner_id").gather(cidx),
            "month": months.gather(model.ship_t[keep]),
            "arrival_month": months.gather(model.ship_arrival[keep]),
            "units": _clean(units[keep]),
        },
        schema={
            "source_id": pl.String,
            "commitment_id": pl.String,
            "item_id": pl.String,
            "partner_id": pl.String,
            "month": pl.Date,
            "arrival_month": pl.Date,
            "units": pl.Float64,
        },
    ).filter(pl.col("units") > 0)

    # commitments: lateness recomputed from cumulative arrivals
    backlog = com.get_column("backlog").to_numpy()
    weight = com.get_column("weight").to_numpy()
    cum, late_um = _lateness(model, x)
    weighted = float((late_um * weight).sum())
    done = cum >= backlog[:, None] - TOL
    first_done = np.where(done.any(axis=1), done.argmax(axis=1), -1)
    completion = [data.months[k] if k >= 0 else None for k in first_done]

    duals = sol.row_dual
    reasons = _reasons(model, x, duals, late_um, shipments)
    commitments = pl.DataFrame(
        {
            "commitment_id": com.get_column("commitment_id"),
            "partner_id": com.get_column("partner_id"),
            "item_id": com.get_column("item_id"),
            "backlog_units": _clean(backlog.copy()),
            "planned_units": _clean(cum[:, -1].copy()) if n_c else np.zeros(0),
            "completion_month": pl.Series(completion, dtype=pl.Date),
            "late_unit_months": _clean(late_um.copy()),
            "reasons": pl.Series(reasons, dtype=pl.List(pl.String)),
        }
    ).sort(["late_unit_months", "commitment_id"], descending=[True, False])

    # pools
    P = data.num_pools
    if P:
        inv_b = lp.col_blocks["inv"]
        inv = x[inv_b.start : inv_b.stop]
        floor = np.repeat(data.pools.get_column("floor_units").to_numpy(), H)
        breach = np.maximum(floor - inv, 0.0)
        pools = pl.DataFrame(
            {
                "holder_id": inv_b.keys.get_column("holder_id"),
                "item_id": inv_b.keys.get_column("item_id"),
                "month": months.gather(np.tile(np.arange(H), P)),
                "inventory": _clean(inv.copy()),
                "floor_breach": _clean(breach),
            }
        )
        drawn_pool = data.pools.get_column("is_stock").to_numpy()[model.ship_pool[keep]]
        drawn = float(units[keep][drawn_pool].sum())
        breach_um = float(pools.get_column("floor_breach").sum())
    else:
        pools = pl.DataFrame(
            schema={
                "holder_id": pl.String,
                "item_id": pl.String,
                "month": pl.Date,
                "inventory": pl.Float64,
                "floor_breach": pl.Float64,
            }
        )
        drawn, breach_um = 0.0, 0.0

    # capacity value: minus the dual of the pool balance the line feeds
    cap = data.capacity
    if cap.height and P:
        pool_rows = lp.row_blocks["pool"]
        value = -duals[
            pool_rows.start + cap.get_column("pool").to_numpy() * H + cap.get_column("t").to_numpy()
        ]
        capacity_value = pl.DataFrame(
            {
                "source_id": cap.get_column("source_id"),
                "item_id": cap.get_column("item_id"),
                "month": months.gather(cap.get_column("t").to_numpy()),
                "value": _clean(value),
            }
        )
    else:
        capacity_value = pl.DataFrame(
            schema={
                "source_id": pl.String,
                "item_id": pl.String,
                "month": pl.Date,
                "value": pl.Float64,
            }
        )

    # investments
    opts = data.options
    build = lp.col_blocks.get("build")
    if build is not None and build.size:
        chosen = x[build.start : build.stop] > 0.5
        before = None
        if sol.x_before is not None:
            before = _weighted_late(model, sol.x_before)
    else:
        chosen = np.zeros(opts.height, dtype=bool)
        before = None
    investments = pl.DataFrame(
        {
            "option_id": opts.get_column("option_id"),
            "chosen": pl.Series(chosen, dtype=pl.Boolean),
            "cost_usd": opts.get_column("cost_usd"),
        },
        schema={"option_id": pl.String, "chosen": pl.Boolean, "cost_usd": pl.Float64},
    )
    return Plan(
        status="optimal",
        weighted_late_unit_months=round(weighted, 6) + 0.0,
        commitments=commitments,
        shipments=shipments,
        capacity_value=capacity_value,
        investments=investments,
        pools=pools,
        start=data.start,
        horizon=H,
        floor_breach_unit_months=round(breach_um, 6),
        stock_drawn_units=round(drawn, 6),
        weighted_late_before_investment=None if before is None else round(before, 6),
        solver=sol.solver,
        solve_seconds=sol.seconds,
    )


def _lateness(model: Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per commitment: cumulative arrivals ``(C, H)`` (monotone, clipped to the backlog) and
    late unit-months ``(C,)``, recomputed from the ``arrived`` columns of ``x``."""
    data, H = model.data, model.data.horizon
    com = data.commitments
    n_c = com.height
    backlog = com.get_column("backlog").to_numpy()
    if n_c:
        arr = model.lp.col_blocks["arrived"]
        cum = x[arr.start : arr.stop].reshape(n_c, H)
        cum = np.minimum(np.maximum.accumulate(np.maximum(cum, 0.0), axis=1), backlog[:, None])
    else:
        cum = np.zeros((0, H))
    short = np.maximum(backlog[:, None] - cum, 0.0)
    short[short < TOL] = 0.0
    mask = np.arange(H)[None, :] >= com.get_column("due").to_numpy()[:, None]
    return cum, (short * mask).sum(axis=1)


def _weighted_late(model: Model, x: np.ndarray) -> float:
    _, late_um = _lateness(model, x)
    return float((late_um * model.data.commitments.get_column("weight").to_numpy()).sum())


def _reasons(
    model: Model, x: np.ndarray, duals: np.ndarray, late_um: np.ndarray, shipments: pl.DataFrame
) -> list[list[str]]:
    """Plain-language reasons for each late commitment, read off the solved model."""
    data, lp, H = model.data, model.lp, model.data.horizon
    com = data.commitments
    out: list[list[str]] = [[] for _ in range(com.height)]
    late = np.nonzero(late_um > TOL)[0]
    if late.size == 0:
        return out
    labels = data.month_labels
    pools = data.pools
    P = pools.height

    # scarce pool-months: one more unit would lower the stage-1 optimum
    # (P, H) booleans; with no pools there are no candidates either
    scarce = np.zeros((P, H), dtype=bool)
    at_floor = np.zeros((P, H), dtype=bool)
    if P:
        prow = lp.row_blocks["pool"]
        value = -duals[prow.start : prow.stop].reshape(P, H)
        inv_b = lp.col_blocks["inv"]
        inv = x[inv_b.start : inv_b.stop].reshape(P, H)
        floor = pools.get_column("floor_units").to_numpy()
        scarce = value > DUAL_TOL
        at_floor = inv <= floor[:, None] + TOL
    feeders: dict[int, list[str]] = defaultdict(list)
    for sid, pool in (
        data.capacity.select("source_id", "pool").unique(maintain_order=True).iter_rows()
    ):
        feeders[pool].append(sid)

    # who takes units out of each pool
    takers: dict[int, set[int]] = defaultdict(set)
    ship = lp.col_blocks["ship"]
    used = np.nonzero(x[ship.start : ship.stop] > TOL)[0]
    for p, c in set(zip(model.ship_pool[used].tolist(), model.ship_c[used].tolist(), strict=True)):
        takers[p].add(c)

    # binding absorption limits per (partner, category)
    absorb: dict[tuple[str, str], tuple[float, list[str]]] = {}
    rb = lp.row_blocks.get("absorption")
    if rb is not None and rb.size:
        row_dual = duals[rb.start : rb.stop]
        cap = data.absorption.get_column("units_per_month").to_numpy()[model.absorption_limit]
        keys = rb.keys
        act = lp.activity(x, rb.start, rb.stop)
        binding = (row_dual < -DUAL_TOL) | (act >= cap - TOL)
        for i in np.nonzero(binding)[0]:
            k = (keys["partner_id"][int(i)], keys["category"][int(i)])
            absorb.setdefault(k, (float(cap[i]), []))[1].append(keys["month"][int(i)])

    cands = data.candidates
    by_c: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in cands.filter(pl.col("c").is_in(late.tolist())).iter_rows(named=True):
        by_c[row["c"]].append(row)
    ids = com.get_column("commitment_id").to_list()
    prio = com.get_column("priority").to_list()
    partner = com.get_column("partner_id").to_list()
    item = com.get_column("item_id").to_list()
    category = com.get_column("category").to_list()
    due = com.get_column("due").to_list()
    holder = pools.get_column("holder_id").to_list()
    floor_units = pools.get_column("floor_units").to_list()

    for c in late.tolist():
        rs: list[str] = []
        rows = by_c.get(c, [])
        if not rows:
            rs.append(f"no source produces or stocks {item[c]}")
        for row in rows:
            if not row["allowed"]:
                why = f": {row['rule_reason']}" if row["rule_reason"] else ""
                rs.append(f"route from {row['source_id']} is denied by rule {row['rule']}{why}")
        seen_pools: set[int] = set()
        for row in rows:
            if not row["allowed"]:
                continue
            lead, sid, p = row["lead_time"], row["source_id"], row["pool"]
            if lead >= H:
                rs.append(
                    f"lead time of {_months(lead)} from {sid}: nothing shipped can arrive within the horizon"
                )
                continue
            if lead > due[c]:
                rs.append(
                    f"lead time of {_months(lead)} from {sid}: the earliest arrival is {labels[lead]}, "
                    f"after the due month {labels[due[c]]}"
                )
            if p in seen_pools or not 0 <= p < P:
                continue
            seen_pools.add(p)
            tight = scarce[p][: H - lead]
            mon = [labels[t] for t in np.nonzero(tight)[0]]
            if not mon:
                continue
            if feeders.get(p):
                rs.append(
                    f"capacity of {', '.join(feeders[p])} for {item[c]} is fully used in {_ranges(mon)}"
                )
            floor_mon = [labels[t] for t in np.nonzero(tight & at_floor[p][: H - lead])[0]]
            if floor_units[p] > TOL and floor_mon:
                rs.append(
                    f"stock of {item[c]} at {holder[p]} sits at its floor of {floor_units[p]:g} units in {_ranges(floor_mon)}"
                )
            elif not feeders.get(p):
                rs.append(f"stock of {item[c]} at {holder[p]} is used up in {_ranges(mon)}")
            higher = sorted((prio[o], ids[o]) for o in takers.get(p, ()) if prio[o] < prio[c])
            if higher:
                named = ", ".join(f"{i} (priority {q})" for q, i in higher[:MAX_NAMED])
                more = f" and {len(higher) - MAX_NAMED} more" if len(higher) > MAX_NAMED else ""
                rs.append(f"higher-priority promises take units from {holder[p]}: {named}{more}")
            else:
                same = sorted(ids[o] for o in takers.get(p, ()) if o != c and prio[o] == prio[c])
                if same:
                    named = ", ".join(same[:MAX_NAMED])
                    more = f" and {len(same) - MAX_NAMED} more" if len(same) > MAX_NAMED else ""
                    rs.append(f"promises of the same priority share {holder[p]}: {named}{more}")
        lim = absorb.get((partner[c], category[c]))
        if lim is not None:
            rs.append(
                f"{partner[c]} can absorb only {lim[0]:g} {category[c]} units a month (limit reached in {_ranges(lim[1])})"
            )
        if not rs:
            rs.append(f"no supply can reach {partner[c]} in time: every eligible source is used up")
        out[c] = list(dict.fromkeys(rs))
    return out


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"
