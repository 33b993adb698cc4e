"""Decision metrics: what a planner reads first about a plan (the weighted score stays the
optimiser's measure, not the headline).

``decision_metrics`` is a plain function of a plan's result tables, so the same figures come
from a plan in memory (``allocate``, ``run``) and from stored rows (``compare``, the report,
the dashboard): ``plan_commitments``, ``plan_readiness`` and ``plan_shipments`` rows of one
run, and the items' unit costs. With a projection's outlook (``run``), partner stocks below
floor and US pools below target also carry the projection's probabilities and P50 months.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

__all__ = ["decision_metrics", "months_between", "partner_stocks", "us_pools_below_target"]

TOL = 1e-6
WINDOWS = {"now": 1, "within_6": 6, "within_12": 12}


def months_between(a: date, b: date) -> int:
    """Whole months from ``a`` to ``b``."""
    return (b.year - a.year) * 12 + b.month - a.month


def _text(m: date | None) -> str | None:
    return None if m is None else f"{m.year:04d}-{m.month:02d}"


def _promises(commitments: pl.DataFrame, unit_costs: pl.DataFrame) -> dict[str, Any]:
    com = commitments.join(unit_costs.select("item_id", "unit_cost_usd"), on="item_id", how="left")
    total = com.height
    on_time = com.filter(pl.col("late_unit_months") <= TOL).height
    backlog = float(com.get_column("backlog_units").sum())
    # plans stored before the metrics lack the units on time: those figures are unknown
    known = com.get_column("on_time_units").null_count() == 0
    units_on_time = float(com.get_column("on_time_units").sum())
    late_units = com.select(
        ((pl.col("backlog_units") - pl.col("on_time_units")).clip(lower_bound=0.0))
        * pl.col("unit_cost_usd").fill_null(0.0)
    )
    months_late: dict[str, int | None] = {}
    for cid, due, done in (
        com.select("commitment_id", "due_month", "completion_month")
        .sort("commitment_id")
        .iter_rows()
    ):
        months_late[cid] = (
            None if done is None or due is None else max(months_between(due, done), 0)
        )
    return {
        "promises_on_time": on_time,
        "promises_total": total,
        "on_time_pct": round(100.0 * on_time / total, 2) if total else None,
        "backlog_units_on_time_pct": (
            round(100.0 * units_on_time / backlog, 2) if backlog and known else None
        ),
        "value_late_usd": round(float(late_units.to_series().sum()), 2) if known else None,
        "months_late": months_late,
    }


def partner_stocks(readiness: pl.DataFrame, outlook: pl.DataFrame | None) -> dict[str, Any]:
    rows = readiness.filter((pl.col("holder_kind") == "partner") & (pl.col("floor_units") > 0))
    first = rows["month"].min() if rows.height else None
    counts: dict[str, int] = {}
    detail = []
    pools = rows.sort("month").group_by("holder_id", "item_id", maintain_order=True)
    below = {
        key: part.filter(pl.col("below_floor_units") > TOL).get_column("month").to_list()
        for key, part in pools
    }
    for name, n in WINDOWS.items():
        counts[name] = sum(
            1 for months in below.values() if any(months_between(first, m) < n for m in months)
        )
    probs = _outlook(outlook)
    for (holder, item), months in sorted(below.items()):
        row: dict[str, Any] = {
            "holder_id": holder,
            "item_id": item,
            "first_month_below_floor": _text(min(months)) if months else None,
        }
        if (holder, item) in probs:
            got = probs[(holder, item)]
            row |= {
                "breach_probability_6": got["breach_probability_6"],
                "breach_probability_12": got["breach_probability_12"],
                "floor_breach_p50": _text(got["floor_breach_p50"]),
            }
        detail.append(row)
    return {"partner_stocks_below_floor": counts, "partner_stocks": detail}


def _outlook(outlook: pl.DataFrame | None) -> dict[tuple[str, str], dict[str, Any]]:
    if outlook is None or outlook.height == 0:
        return {}
    return {(r["holder_id"], r["item_id"]): r for r in outlook.iter_rows(named=True)}


def us_pools_below_target(
    readiness: pl.DataFrame, outlook: pl.DataFrame | None
) -> list[dict[str, Any]]:
    """US stock pools below target at some month of the plan, with their rebuild month (the
    first month back at the target after the first month below it; null: not within the
    horizon)."""
    rows = readiness.filter(
        (pl.col("holder_kind") == "us_stock") & (pl.col("target_units").fill_null(0.0) > 0)
    ).sort("month")
    probs = _outlook(outlook)
    out = []
    for (holder, item), part in rows.group_by("holder_id", "item_id", maintain_order=True):
        below = part.get_column("below_target_units").to_list()
        months = part.get_column("month").to_list()
        first = next((k for k, b in enumerate(below) if b > TOL), None)
        if first is None:
            continue
        back = next((k for k in range(first, len(below)) if below[k] <= TOL), None)
        row: dict[str, Any] = {
            "holder_id": holder,
            "item_id": item,
            "below_target_now": below[0] > TOL,
            "first_month_below_target": _text(months[first]),
            "rebuild_month": None if back is None else _text(months[back]),
        }
        if (holder, item) in probs:
            row["rebuild_p50"] = _text(probs[(holder, item)]["target_reached_p50"])
        out.append(row)
    return sorted(out, key=lambda r: (r["holder_id"], r["item_id"]))


def decision_metrics(
    commitments: pl.DataFrame,
    readiness: pl.DataFrame,
    shipments: pl.DataFrame,
    unit_costs: pl.DataFrame,
    outlook: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """The decision metrics of one plan.

    ``commitments``: ``commitment_id, item_id, backlog_units, on_time_units, due_month,
    completion_month, late_unit_months``; ``readiness``: ``holder_id, item_id, holder_kind,
    month, floor_units, target_units, below_floor_units, below_target_units``; ``shipments``:
    ``partner_id, units, purpose``; ``unit_costs``: ``item_id, unit_cost_usd``; ``outlook``
    (optional): a projection's ``holder_id, item_id, breach_probability_6,
    breach_probability_12, floor_breach_p50, target_reached_p50``.

    Returns promises on time (count, % of promises, % of backlog units), value late in USD
    (units not arrived by their due month times unit cost), months late per promise
    (completion minus due month; None: not complete within the horizon), partner stocks below
    floor in the first plan month ("now"), within 6 and within 12 months (with the
    projection's probabilities when given), US pools below target with their rebuild month,
    and sustainment proposed per partner.
    """
    sus = shipments.filter(pl.col("purpose") == "sustainment")
    per_partner = {
        p: round(float(u), 6)
        for p, u in sus.group_by("partner_id")
        .agg(pl.col("units").sum())
        .sort("partner_id")
        .iter_rows()
    }
    us = us_pools_below_target(readiness, outlook)
    return {
        **_promises(commitments, unit_costs),
        **partner_stocks(readiness, outlook),
        "us_pools_below_target": us,
        "sustainment_units": per_partner,
    }
