"""Decision metrics of a stored plan, and what a scenario changes against its base.

The figures a reader acts on, computed from the stored result tables of one run (and the
facts of the data the run planned: promised months, unit costs, names):

- promises on time (count, % of promises, % of backlog units due), each late promise's
  months late (completion minus due month; ``None``: not complete within the horizon),
  late units (backlog not arrived by the due month) and their value in USD (late units x
  unit cost);
- partner stocks below their floor now, and likely (P >= 50%) to be within 6 and 12
  months, with the projection's probability for each stock at risk;
- US stock pools below their target and the P50 month each gets back to it (rebuild);
- the cost of the run (its scenario's own cost plus the expansion options it buys).

``compare_plans`` gives the changes between two runs' metrics and ``scenario_answer`` says
them in one sentence; ``budget_options`` says which expansion options a budget bought and
why the others buy nothing; ``budget_curves`` re-plans budget scenarios at a few budget
levels (lateness against money). One place for these figures: the report's first page,
its scenario pages and (later) the dashboard's overview read them from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from optimize import allocate
from pipeline.compute import PipelineResult
from pipeline.scenarios.hook import block_hook
from store.contract import STOCK_KINDS
from store.dataset import Dataset
from store.db import Connection
from store.months import add_months, month_index, month_text
from store.sql import query

__all__ = [
    "LIKELY",
    "RISK_PROBABILITY",
    "Names",
    "budget_curves",
    "budget_options",
    "compare_plans",
    "plan_metrics",
    "promise_metrics",
    "scenario_answer",
    "short_name",
    "stock_metrics",
    "usd",
]

TOL = 1e-6
RISK_PROBABILITY = 0.1
"""A partner stock is listed at risk when P(floor breach within 12 months) is at least this."""
LIKELY = 0.5
"""... and counted as breaking its floor within 6 or 12 months from this probability on."""
US_STOCK = "us_stock"
assert US_STOCK in STOCK_KINDS


# -- names -------------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """A display name without its trailing parenthetical (``155mm artillery round
    (projectile, ...)`` -> ``155mm artillery round``)."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name).strip() or name


@dataclass(frozen=True)
class Names:
    """Display names for ids (short form of the ``name`` columns); an unknown id is itself."""

    items: dict[str, str]
    partners: dict[str, str]
    sources: dict[str, str]

    @classmethod
    def of(cls, dataset: Dataset) -> Names:
        def names(frame: pl.DataFrame, key: str) -> dict[str, str]:
            return {k: short_name(v) for k, v in frame.select(key, "name").iter_rows()}

        return cls(
            names(dataset.items, "item_id"),
            names(dataset.partners, "partner_id"),
            names(dataset.sources, "source_id"),
        )

    def item(self, item_id: str) -> str:
        return self.items.get(item_id, item_id)

    def partner(self, partner_id: str) -> str:
        return self.partners.get(partner_id, partner_id)

    def holder(self, holder_id: str) -> str:
        return self.partners.get(holder_id) or self.sources.get(holder_id) or holder_id

    def stock(self, holder_id: str, item_id: str) -> str:
        """``Ukraine's 155mm artillery round stock`` / ``US depot: Javelin stock``."""
        if holder_id in self.partners:
            return f"{self.partner(holder_id)}'s {self.item(item_id)} stock"
        return f"{self.holder(holder_id)}: {self.item(item_id)}"


def usd(value: float | None) -> str:
    """``$1.75B``, ``$205M``, ``$3.2M``, ``$410k``, ``$900``."""
    if value is None:
        return "-"
    sign, v = ("-" if value < 0 else ""), abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= size:
            q = v / size
            text = f"{q:,.0f}" if q >= 100 else f"{q:.2f}".rstrip("0").rstrip(".")
            return f"{sign}${text}{suffix}"
    return f"{sign}${v:,.0f}"


# -- metrics of one plan --------------------------------------------------------------------------


def _due(promised: pl.Expr, start: date) -> pl.Expr:
    """A promise already past is due in the first plan month."""
    return pl.when(promised < pl.lit(start)).then(pl.lit(start)).otherwise(promised)


def promise_metrics(
    commitments: pl.DataFrame,
    shipments: pl.DataFrame,
    dataset: Dataset,
    start: date,
    horizon: int,
) -> dict[str, Any]:
    """The promise figures of a plan (``commitments``/``shipments``: the plan's frames, as
    stored) against the promises and unit costs of ``dataset`` (the data it planned)."""
    facts = dataset.commitments.select(
        "commitment_id", "promised_month", "priority", "quantity"
    ).with_columns(_due(pl.col("promised_month"), start).alias("due_month"))
    arrived = (
        shipments.filter(pl.col("commitment_id").is_not_null())
        .join(facts.select("commitment_id", "due_month"), on="commitment_id")
        .filter(pl.col("arrival_month") <= pl.col("due_month"))
        .group_by("commitment_id")
        .agg(pl.col("units").sum().alias("arrived_by_due"))
    )
    end = add_months(start, horizon - 1)
    frame = (
        commitments.join(facts, on="commitment_id", how="left")
        .join(dataset.items.select("item_id", "unit_cost_usd"), on="item_id", how="left")
        .join(arrived, on="commitment_id", how="left")
        .with_columns(
            pl.col("arrived_by_due").fill_null(0.0), pl.col("unit_cost_usd").fill_null(0.0)
        )
        .with_columns(
            (pl.col("late_unit_months") <= TOL).alias("on_time"),
            pl.min_horizontal(pl.col("arrived_by_due"), pl.col("backlog_units")).alias(
                "on_time_units"
            ),
        )
        .with_columns(
            pl.when(pl.col("on_time"))
            .then(0.0)
            .otherwise((pl.col("backlog_units") - pl.col("on_time_units")).clip(lower_bound=0.0))
            .alias("late_units")
        )
        .with_columns((pl.col("late_units") * pl.col("unit_cost_usd")).alias("value_late_usd"))
        .sort("commitment_id")
    )
    months_late: dict[str, int | None] = {}
    late_rows = []
    months_total = 0
    for r in frame.iter_rows(named=True):
        cid = r["commitment_id"]
        if r["on_time"]:
            months_late[cid] = 0
            continue
        done = r["completion_month"]
        due = r["due_month"] or start
        months = None if done is None else max(month_index(done, due), 0)
        months_late[cid] = months
        months_total += months if months is not None else month_index(end, due) + 1
        late_rows.append(
            {
                "commitment_id": cid,
                "partner_id": r["partner_id"],
                "item_id": r["item_id"],
                "priority": r["priority"],
                "backlog_units": r["backlog_units"],
                "due_month": month_text(due),
                "completion_month": month_text(done),
                "months_late": months,
                "late_units": r["late_units"],
                "value_late_usd": r["value_late_usd"],
                "late_unit_months": r["late_unit_months"],
            }
        )
    late_rows.sort(
        key=lambda r: (
            -r["value_late_usd"],
            -(r["months_late"] if r["months_late"] is not None else 10**6),
            r["commitment_id"],
        )
    )
    total = frame.height
    on_time = int(frame.get_column("on_time").sum()) if total else 0
    backlog = float(frame.get_column("backlog_units").sum()) if total else 0.0
    units_on_time = float(frame.get_column("on_time_units").sum()) if total else 0.0
    return {
        "promises_total": total,
        "promises_on_time": on_time,
        "on_time_pct": 100.0 * on_time / total if total else 100.0,
        "backlog_units": backlog,
        "backlog_units_on_time_pct": 100.0 * units_on_time / backlog if backlog else 100.0,
        "late_units": float(frame.get_column("late_units").sum()) if total else 0.0,
        "value_late_usd": float(frame.get_column("value_late_usd").sum()) if total else 0.0,
        "months_late": months_late,
        "months_late_total": months_total,
        "late_beyond_horizon": sum(1 for r in late_rows if r["months_late"] is None),
        "late_promises": late_rows,
    }


def _latest_counts(dataset: Dataset, start: date) -> pl.DataFrame:
    """Each pool's latest count before ``start``: units, floor, target."""
    return (
        dataset.stockpiles.filter(pl.col("as_of") < pl.lit(start))
        .sort("as_of")
        .group_by("holder_id", "item_id")
        .agg(
            pl.col("units").last(),
            pl.col("floor_units").last().alias("floor_now"),
            pl.col("target_units").last().alias("target_now"),
        )
    )


def stock_metrics(outlook: pl.DataFrame, dataset: Dataset, start: date) -> dict[str, Any]:
    """Partner stocks against their floors and US stock pools against their targets, from
    the projection's ``outlook`` (stock_outlook's columns)."""
    partners = set(dataset.partners.get_column("partner_id").to_list())
    us = set(dataset.sources.filter(pl.col("kind") == US_STOCK).get_column("source_id").to_list())
    frame = outlook.join(_latest_counts(dataset, start), on=["holder_id", "item_id"], how="left")
    risks, rebuild, pools = [], [], {}
    below_now = within_6 = within_12 = us_below = 0
    for r in frame.sort("holder_id", "item_id").iter_rows(named=True):
        key = f"{r['holder_id']}|{r['item_id']}"
        pools[key] = {
            "floor_breach_p50": month_text(r["floor_breach_p50"]),
            "rebuild_p50": month_text(r["target_reached_p50"]),
        }
        units = r["units"]
        if r["holder_id"] in partners:
            below_now += units is not None and units < r["floor_units"] - TOL
            within_6 += r["breach_probability_6"] >= LIKELY
            within_12 += r["breach_probability_12"] >= LIKELY
            if r["breach_probability_12"] >= RISK_PROBABILITY:
                risks.append(
                    {
                        "holder_id": r["holder_id"],
                        "item_id": r["item_id"],
                        "units_now": units,
                        "floor_units": r["floor_units"],
                        "breach_p10": month_text(r["floor_breach_p10"]),
                        "breach_p50": month_text(r["floor_breach_p50"]),
                        "probability_12": r["breach_probability_12"],
                    }
                )
        target = r["target_units"]
        if r["holder_id"] in us and target is not None and units is not None and units < target:
            us_below += 1
            done = r["target_reached_p50"]
            rebuild.append(
                {
                    "holder_id": r["holder_id"],
                    "item_id": r["item_id"],
                    "units_now": units,
                    "target_units": target,
                    "rebuild_p50": month_text(done),
                    "months": None if done is None else month_index(done, start) + 1,
                }
            )
    risks.sort(key=lambda r: (-r["probability_12"], r["holder_id"], r["item_id"]))
    rebuild.sort(key=lambda r: (r["months"] is None, r["months"] or 0, r["item_id"]))
    return {
        "partner_stocks_below_floor": {
            "now": below_now,
            "within_6": within_6,
            "within_12": within_12,
        },
        "partner_stock_risks": risks,
        "us_pools_below_target": us_below,
        "us_rebuild": rebuild,
        "pools": pools,
    }


def plan_metrics(
    con: Connection, run_id: str, dataset: Dataset, start: date, horizon: int
) -> dict[str, Any]:
    """Every decision metric of the stored run ``run_id`` (``dataset``: the data it planned,
    a scenario's changes applied)."""
    run = query(con, "run_by_id", run_id=run_id).row(0, named=True)
    summary = json.loads(run["summary"] or "{}")
    investments = query(con, "plan_investments_for_run", run_id=run_id)
    chosen = investments.filter(pl.col("chosen"))
    own_cost = float((summary.get("scenario") or {}).get("cost_usd") or 0.0)
    invest_cost = float(chosen.get_column("cost_usd").sum()) if chosen.height else 0.0
    return {
        "run_id": run_id,
        "scenario": run["scenario"],
        **promise_metrics(
            query(con, "plan_commitments_for_run", run_id=run_id),
            query(con, "plan_shipments_for_run", run_id=run_id),
            dataset,
            start,
            horizon,
        ),
        **stock_metrics(query(con, "stock_outlook_for_run", run_id=run_id), dataset, start),
        "weighted_late_unit_months": (summary.get("allocate") or {}).get(
            "weighted_late_unit_months"
        ),
        "investments_chosen": chosen.get_column("option_id").to_list(),
        "investment_cost_usd": invest_cost,
        "scenario_cost_usd": own_cost,
        "cost_usd": own_cost + invest_cost,
        "budget_usd": (summary.get("scenario") or {}).get("budget_usd"),
    }


# -- two plans ------------------------------------------------------------------------------


def _shift(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return month_index(date.fromisoformat(b + "-01"), date.fromisoformat(a + "-01"))


def compare_plans(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What plan ``b`` changes against plan ``a`` (both from ``plan_metrics``): differences
    are b minus a; ``value_late_saved_per_usd`` is the value late saved per extra dollar."""

    def pair(key: str) -> dict[str, Any]:
        return {"a": a[key], "b": b[key], "difference": b[key] - a[key]}

    late_a = {cid for cid, m in a["months_late"].items() if m != 0}
    late_b = {cid for cid, m in b["months_late"].items() if m != 0}
    rebuild, breach = [], []
    us_keys = {f"{r['holder_id']}|{r['item_id']}" for r in a["us_rebuild"] + b["us_rebuild"]}
    for key in sorted(set(a["pools"]) & set(b["pools"])):
        pa, pb = a["pools"][key], b["pools"][key]
        holder, item = key.split("|", 1)
        if key in us_keys and pa["rebuild_p50"] != pb["rebuild_p50"]:
            rebuild.append(
                {
                    "holder_id": holder,
                    "item_id": item,
                    "a": pa["rebuild_p50"],
                    "b": pb["rebuild_p50"],
                    "shift_months": _shift(pa["rebuild_p50"], pb["rebuild_p50"]),
                }
            )
        if pa["floor_breach_p50"] != pb["floor_breach_p50"]:
            breach.append(
                {
                    "holder_id": holder,
                    "item_id": item,
                    "a": pa["floor_breach_p50"],
                    "b": pb["floor_breach_p50"],
                    "shift_months": _shift(pa["floor_breach_p50"], pb["floor_breach_p50"]),
                }
            )
    extra = b["cost_usd"] - a["cost_usd"]
    saved = a["value_late_usd"] - b["value_late_usd"]
    return {
        "a": a["scenario"],
        "b": b["scenario"],
        "promises_on_time": pair("promises_on_time"),
        "promises_total": pair("promises_total"),
        "months_late_total": pair("months_late_total"),
        "late_units": pair("late_units"),
        "value_late_usd": pair("value_late_usd"),
        "weighted_late_unit_months": {
            "a": a["weighted_late_unit_months"],
            "b": b["weighted_late_unit_months"],
        },
        "cost_usd": pair("cost_usd"),
        "value_late_saved_per_usd": saved / extra if extra > TOL else None,
        "became_late": sorted((late_b - late_a) & set(a["months_late"])),
        "became_on_time": sorted((late_a - late_b) & set(b["months_late"])),
        "new_late": sorted(late_b - set(a["months_late"])),
        "rebuild": rebuild,
        "breach": breach,
    }


def _months(n: int) -> str:
    return f"{abs(n)} month{'s' if abs(n) != 1 else ''}"


def _move(what: str, a: str | None, b: str | None, shift: int | None, event: str) -> str:
    if a is None:
        return f"{what} now {event} by {b}"
    if b is None:
        return f"{what} no longer {event} within the horizon (was {a})"
    return f"{what} {event} {_months(shift or 0)} {'later' if (shift or 0) > 0 else 'earlier'} ({a} -> {b})"


def scenario_answer(delta: dict[str, Any], names: Names) -> str:
    """One sentence: what scenario ``delta['b']`` changes against ``delta['a']``."""
    parts = []
    on_time = delta["promises_on_time"]["difference"]
    new_late = len(delta["new_late"])
    if on_time or new_late:
        n = delta["promises_on_time"]
        word = "more" if on_time > 0 else "fewer"
        text = (
            f"{abs(on_time)} {word} promise{'s' if abs(on_time) != 1 else ''} on time"
            if on_time
            else ""
        )
        if new_late:
            text = (text + ", " if text else "") + f"{new_late} added promise(s) late"
        parts.append(f"{text} ({n['a']} -> {n['b']} of {delta['promises_total']['b']})")
    value = delta["value_late_usd"]
    if abs(value["difference"]) > max(1.0, 1e-3 * abs(value["a"])):
        parts.append(f"value late {usd(value['a'])} -> {usd(value['b'])}")
    elif not parts:
        parts.append("no promise changes")
    for r in delta["rebuild"]:
        parts.append(
            _move(
                f"US {names.item(r['item_id'])} stock", r["a"], r["b"], r["shift_months"], "rebuilt"
            )
        )
    for r in delta["breach"]:
        parts.append(
            _move(
                names.stock(r["holder_id"], r["item_id"]),
                r["a"],
                r["b"],
                r["shift_months"],
                "breaks its floor",
            )
        )
    cost = delta["cost_usd"]["difference"]
    if cost > TOL:
        per = delta["value_late_saved_per_usd"]
        parts.append(
            f"costs {usd(cost)}"
            + (f", {per:,.2f} USD of late value saved per dollar" if per and per > 0 else "")
        )
    return "; ".join(parts)


# -- budgets --------------------------------------------------------------------------------


def budget_options(
    con: Connection, run_id: str, dataset: Dataset, start: date, horizon: int
) -> list[dict[str, Any]]:
    """Each expansion option the run could buy: bought or not, and why not - its first
    output comes after the horizon, or the plan (with what was bought) has no lateness
    left that more output of that line reduces from that month on, or it does not fit in
    what is left of the budget."""
    investments = query(con, "plan_investments_for_run", run_id=run_id)
    if investments.height == 0:
        return []
    run = query(con, "run_by_id", run_id=run_id).row(0, named=True)
    budget = (json.loads(run["summary"] or "{}").get("scenario") or {}).get("budget_usd")
    values = query(con, "capacity_value_for_run", run_id=run_id)
    production = query(con, "plan_production_for_run", run_id=run_id)
    spent = float(investments.filter(pl.col("chosen")).get_column("cost_usd").sum())
    left = None if budget is None else float(budget) - spent
    opts = dataset.expansion_options.join(investments.select("option_id", "chosen"), on="option_id")
    names = Names.of(dataset)
    out = []
    for o in opts.sort("option_id").iter_rows(named=True):
        first = add_months(start, o["lead_time_months"])
        row = {
            "option_id": o["option_id"],
            "source_id": o["source_id"],
            "item_id": o["item_id"],
            "added_units_per_month": o["added_units_per_month"],
            "cost_usd": o["cost_usd"],
            "first_output": month_text(first),
            "chosen": bool(o["chosen"]),
            "reason": "bought",
        }
        worth = float(
            values.filter(
                (pl.col("source_id") == o["source_id"])
                & (pl.col("item_id") == o["item_id"])
                & (pl.col("month") >= pl.lit(first))
            )
            .get_column("value")
            .sum()
        )
        if o["chosen"]:
            pass
        elif o["lead_time_months"] >= horizon:
            row["reason"] = "its first output would come after the horizon"
        elif worth <= TOL and (short := _short_components(dataset, production, o, first)):
            row["reason"] = (
                f"its components run short ({', '.join(names.item(c) for c in short)}): more "
                f"{names.item(o['item_id'])} from {names.holder(o['source_id'])} buys nothing "
                "unless they grow too"
            )
        elif worth <= TOL:
            row["reason"] = (
                f"no lateness left that it reduces: more {names.item(o['item_id'])} from "
                f"{names.holder(o['source_id'])} from {month_text(first)} on saves nothing"
            )
        elif left is not None and o["cost_usd"] > left + TOL:
            row["reason"] = f"does not fit in the {usd(left)} left of the budget"
        else:
            row["reason"] = "the plan is as good without it"
        out.append(row)
    return out


def _short_components(
    dataset: Dataset, production: pl.DataFrame, option: dict[str, Any], first: date
) -> list[str]:
    """The components of the option's line when the line makes less than its capacity in some
    month from the option's first output on: its bill, not its capacity, is what binds."""
    bill = dataset.bom.filter(
        (pl.col("item_id") == option["item_id"])
        & (pl.col("source_id").is_null() | (pl.col("source_id") == option["source_id"]))
    )
    if bill.height == 0:
        return []
    held = production.filter(
        (pl.col("source_id") == option["source_id"])
        & (pl.col("item_id") == option["item_id"])
        & (pl.col("month") >= first)
        & (pl.col("units") < pl.col("capacity") - TOL)
    )
    return sorted(set(bill.get_column("component_id").to_list())) if held.height else []


def _curve_levels(spent: float, budget: float) -> list[float]:
    """Budget levels for the curve: none, half of what was spent, what was spent, and the
    whole budget (the last two are the scenario's own plan)."""
    return sorted({0.0, spent / 2, spent, budget})


def budget_curves(results: list[PipelineResult]) -> dict[str, list[dict[str, Any]]]:
    """For each budget scenario, its plan re-solved at a few budget levels below what it
    spent (the levels it spent and its whole budget are its own plan): per level the
    options bought, their cost, and the promise metrics. Only the plan is re-solved."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        budget = r.applied.budget_usd
        if budget is None:
            continue
        dataset, later = r.applied.for_start(r.start)
        chosen = r.plan.investments.filter(pl.col("chosen"))
        spent = float(chosen.get_column("cost_usd").sum())
        points = []
        for level in _curve_levels(spent, float(budget)):
            plan = (
                r.plan
                if level >= spent - TOL
                else allocate(
                    dataset,
                    r.forecast,
                    r.start,
                    r.horizon,
                    budget=level,
                    hook=block_hook(later),
                    firmed=r.firmed,
                )
            )
            bought = plan.investments.filter(pl.col("chosen"))
            m = promise_metrics(
                plan.commitments, plan.shipments, r.applied.dataset, r.start, r.horizon
            )
            points.append(
                {
                    "budget_usd": level,
                    "spent_usd": float(bought.get_column("cost_usd").sum()),
                    "options": bought.get_column("option_id").to_list(),
                    "weighted_late_unit_months": plan.weighted_late_unit_months,
                    "promises_on_time": m["promises_on_time"],
                    "value_late_usd": m["value_late_usd"],
                    "months_late_total": m["months_late_total"],
                }
            )
        curves[r.scenario] = points
    return curves
