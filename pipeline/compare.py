"""Two runs side by side: what a scenario buys against the baseline (or any other run).

Differences are B minus A; "saved" is A minus B (positive when B is better).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from pipeline.metrics import compare_metrics, stored_metrics
from store.db import Connection
from store.errors import InputRejected, Problem
from store.facts import rank_capacity_value
from store.months import month_index, month_text
from store.runs import latest_run
from store.sql import query

__all__ = [
    "compare_commitments",
    "compare_pools",
    "compare_runs",
    "render_comparison",
    "resolve_run",
    "run_info",
]

TOL = 1e-6


def resolve_run(con: Connection, ref: str) -> str:
    """A run id, or a scenario name meaning its latest successful run with a plan."""
    if query(con, "run_by_id", run_id=ref).height:
        return ref
    latest = latest_run(con, "allocate", ref)
    if latest is None:
        raise InputRejected(
            [
                Problem(
                    "arguments",
                    None,
                    "run",
                    ref,
                    "no run with that id and no plan for a scenario of that name",
                )
            ]
        )
    return latest["run_id"]


def run_info(
    con: Connection, run_id: str, commitments: pl.DataFrame | None = None
) -> dict[str, Any]:
    """The run's row and the figures a comparison needs from its summary (``commitments``:
    the run's ``compare_commitments`` rows when the caller has read them already)."""
    row = query(con, "run_by_id", run_id=run_id).row(0, named=True)
    summary = json.loads(row["summary"]) if row["summary"] else {}
    allocate = summary.get("allocate", summary)
    scenario = summary.get("scenario", {})
    if commitments is None:
        commitments = query(con, "plan_commitments_for_run", run_id=run_id)
    investments = query(con, "plan_investments_for_run", run_id=run_id)
    chosen = investments.filter(pl.col("chosen"))
    investment_cost = float(chosen.get_column("cost_usd").sum())
    return {
        "run_id": run_id,
        "scenario": row["scenario"],
        "start": month_text(row["start_month"]),
        "horizon": row["horizon"],
        "status": row["status"],
        "content_hash": row["content_hash"],
        "weighted_late_unit_months": allocate.get("weighted_late_unit_months"),
        "late_unit_months": float(commitments.get_column("late_unit_months").sum()),
        "late_commitments": commitments.filter(pl.col("late_unit_months") > TOL).height,
        "commitments": commitments.height,
        "investments_chosen": chosen.get_column("option_id").to_list(),
        "investment_cost_usd": investment_cost,
        "scenario_cost_usd": float(scenario.get("cost_usd") or 0.0),
        "cost_usd": investment_cost + float(scenario.get("cost_usd") or 0.0),
        "budget_usd": scenario.get("budget_usd"),
    }


def _shift(a: date | None, b: date | None) -> int | None:
    return None if a is None or b is None else month_index(b, a)


COMMITMENT_COLUMNS = (
    "commitment_id",
    "partner_id",
    "item_id",
    "completion_month",
    "late_unit_months",
)
OUTLOOK_COLUMNS = ("holder_id", "item_id", "floor_breach_p50", "target_reached_p50")


def compare_commitments(
    ca: pl.DataFrame, cb: pl.DataFrame
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Promise by promise, plan ``a`` against plan ``b`` (frames with COMMITMENT_COLUMNS):
    completion months, late unit-months, and which promises became late or on time."""
    both = ca.select(COMMITMENT_COLUMNS).join(
        cb.select(COMMITMENT_COLUMNS), on="commitment_id", how="full", suffix="_b", coalesce=True
    )
    rows = []
    became_late, became_on_time, new_late = [], [], []
    for r in both.sort("commitment_id").iter_rows(named=True):
        late_a, late_b = r["late_unit_months"], r["late_unit_months_b"]
        is_late_a = late_a is not None and late_a > TOL
        is_late_b = late_b is not None and late_b > TOL
        cid = r["commitment_id"]
        if late_a is not None and late_b is not None:
            if is_late_b and not is_late_a:
                became_late.append(cid)
            if is_late_a and not is_late_b:
                became_on_time.append(cid)
        elif late_a is None and is_late_b:
            new_late.append(cid)
        rows.append(
            {
                "commitment_id": cid,
                "partner_id": r["partner_id"] or r["partner_id_b"],
                "item_id": r["item_id"] or r["item_id_b"],
                "in_a": late_a is not None,
                "in_b": late_b is not None,
                "completion_month_a": month_text(r["completion_month"]),
                "completion_month_b": month_text(r["completion_month_b"]),
                "completion_shift_months": _shift(r["completion_month"], r["completion_month_b"]),
                "late_unit_months_a": late_a,
                "late_unit_months_b": late_b,
            }
        )
    return rows, {
        "became_late": became_late,
        "became_on_time": became_on_time,
        "late_only_in_b": new_late,
    }


def compare_pools(oa: pl.DataFrame, ob: pl.DataFrame) -> list[dict[str, Any]]:
    """Stock by stock, P50 floor-breach and rebuild months of ``a`` against ``b``
    (frames with OUTLOOK_COLUMNS)."""
    both = oa.select(OUTLOOK_COLUMNS).join(
        ob.select(OUTLOOK_COLUMNS),
        on=["holder_id", "item_id"],
        how="full",
        suffix="_b",
        coalesce=True,
    )
    return [
        {
            "holder_id": r["holder_id"],
            "item_id": r["item_id"],
            "floor_breach_p50_a": month_text(r["floor_breach_p50"]),
            "floor_breach_p50_b": month_text(r["floor_breach_p50_b"]),
            "floor_breach_shift_months": _shift(r["floor_breach_p50"], r["floor_breach_p50_b"]),
            "rebuild_p50_a": month_text(r["target_reached_p50"]),
            "rebuild_p50_b": month_text(r["target_reached_p50_b"]),
            "rebuild_shift_months": _shift(r["target_reached_p50"], r["target_reached_p50_b"]),
        }
        for r in both.sort("holder_id", "item_id").iter_rows(named=True)
    ]


def _capacity(con: Connection, a: str, b: str) -> list[dict[str, Any]]:
    """Each line's summed capacity value and rank in ``a`` and ``b`` (store.facts'
    ranking), in B's ranking order, then A's for lines only in A."""

    def ranked(run_id: str) -> pl.DataFrame:
        values = query(con, "capacity_value_for_run", run_id=run_id)
        return (
            rank_capacity_value(values)
            .with_row_index("order")
            .select("source_id", "item_id", "value", "rank", "order")
        )

    both = ranked(a).join(
        ranked(b), on=["source_id", "item_id"], how="full", suffix="_b", coalesce=True
    )
    both = both.sort(
        pl.coalesce("order_b", "order"), pl.coalesce("order", "order_b"), "source_id", "item_id"
    )
    return [
        {
            "source_id": r["source_id"],
            "item_id": r["item_id"],
            "value_a": r["value"],
            "value_b": r["value_b"],
            "rank_a": r["rank"],
            "rank_b": r["rank_b"],
        }
        for r in both.iter_rows(named=True)
    ]


def compare_runs(con: Connection, a: str, b: str) -> dict[str, Any]:
    """The ``arsenal compare --json`` object for runs (or scenario names) ``a`` and ``b``."""
    a, b = resolve_run(con, a), resolve_run(con, b)
    ca = query(con, "plan_commitments_for_run", run_id=a)
    cb = query(con, "plan_commitments_for_run", run_id=b)
    ia, ib = run_info(con, a, ca), run_info(con, b, cb)
    wa, wb = ia["weighted_late_unit_months"], ib["weighted_late_unit_months"]
    commitments, promises = compare_commitments(ca, cb)
    extra_cost = ib["cost_usd"] - ia["cost_usd"]
    saved_w = None if wa is None or wb is None else wa - wb
    saved_u = ia["late_unit_months"] - ib["late_unit_months"]
    per_million = extra_cost > 0
    return {
        "a": ia,
        "b": ib,
        "weighted_late_unit_months": {
            "a": wa,
            "b": wb,
            "difference": None if saved_w is None else -saved_w,
        },
        "late_unit_months": {
            "a": ia["late_unit_months"],
            "b": ib["late_unit_months"],
            "difference": -saved_u,
        },
        "promises": promises,
        "commitments": commitments,
        "pools": compare_pools(
            query(con, "stock_outlook_for_run", run_id=a),
            query(con, "stock_outlook_for_run", run_id=b),
        ),
        "capacity_value": _capacity(con, a, b),
        "investments": {
            "a": ia["investments_chosen"],
            "b": ib["investments_chosen"],
            "cost_usd_a": ia["cost_usd"],
            "cost_usd_b": ib["cost_usd"],
            "extra_cost_usd": extra_cost,
        },
        "weighted_late_unit_months_saved_per_million_usd": (
            saved_w / (extra_cost / 1e6) if per_million and saved_w is not None else None
        ),
        "late_unit_months_saved_per_million_usd": (
            saved_u / (extra_cost / 1e6) if per_million else None
        ),
        "metrics": compare_metrics(stored_metrics(con, a), stored_metrics(con, b)),
    }


def _num(x: float | None, fmt: str = ",.0f") -> str:
    return "-" if x is None else format(x, fmt)


def _metric_lines(m: dict[str, Any]) -> list[str]:
    """The decision metrics side by side."""
    on, total = m["promises_on_time"], m["promises_total"]
    pct, units = m["on_time_pct"], m["backlog_units_on_time_pct"]
    partners = m["partner_stocks_below_floor"]
    lines = [
        f"Promises on time:          A {on['a']}/{total['a']} ({_num(pct['a'], '.1f')}%)  "
        f"B {on['b']}/{total['b']} ({_num(pct['b'], '.1f')}%)",
        f"Backlog units on time:     A {_num(units['a'], '.1f')}%  B {_num(units['b'], '.1f')}%",
        f"Value late (USD):          A {_num(m['value_late_usd']['a'])}  "
        f"B {_num(m['value_late_usd']['b'])}",
        "Partner stocks below floor (now / 6 / 12 months): "
        + "A "
        + " / ".join(str(partners[k]["a"]) for k in partners)
        + "  B "
        + " / ".join(str(partners[k]["b"]) for k in partners),
    ]
    for r in m["months_late_changed"]:
        a = "not within the horizon" if r["months_late_a"] is None else r["months_late_a"]
        b = "not within the horizon" if r["months_late_b"] is None else r["months_late_b"]
        lines.append(f"  months late {r['commitment_id']}: {a} -> {b}")
    for r in m["us_pools_rebuild_changed"]:
        lines.append(
            f"  US rebuild {r['holder_id']} {r['item_id']}: {r['rebuild_month_a'] or '-'} -> "
            f"{r['rebuild_month_b'] or '-'}"
        )
    for p, u in m["sustainment_units"].items():
        if abs(u["a"] - u["b"]) > TOL:
            lines.append(f"  sustainment to {p}: {_num(u['a'])} -> {_num(u['b'])} units")
    return lines


def render_comparison(c: dict[str, Any]) -> str:
    """A readable text of a comparison, what changed first."""
    a, b = c["a"], c["b"]
    w = c["weighted_late_unit_months"]
    lines = [
        f"A: {a['scenario']} ({a['run_id']}, {a['status']})",
        f"B: {b['scenario']} ({b['run_id']}, {b['status']})",
        f"Weighted late unit-months: A {_num(w['a'])}  B {_num(w['b'])}  "
        f"difference {_num(w['difference'], '+,.0f')}",
        f"Late unit-months:          A {_num(c['late_unit_months']['a'])}  "
        f"B {_num(c['late_unit_months']['b'])}",
    ]
    inv = c["investments"]
    lines.append(
        f"Cost: A {_num(inv['cost_usd_a'])} USD, B {_num(inv['cost_usd_b'])} USD "
        f"(investments B: {', '.join(inv['b']) or 'none'})"
    )
    lines += _metric_lines(c["metrics"])
    per = c["weighted_late_unit_months_saved_per_million_usd"]
    if per is not None:
        lines.append(f"Weighted late unit-months saved per million USD: {per:,.1f}")
    p = c["promises"]
    lines.append(f"Promises that become late: {', '.join(p['became_late']) or 'none'}")
    lines.append(f"Promises that become on time: {', '.join(p['became_on_time']) or 'none'}")
    if p["late_only_in_b"]:
        lines.append(f"Promises only in B, and late: {', '.join(p['late_only_in_b'])}")
    moved = [r for r in c["commitments"] if r["completion_month_a"] != r["completion_month_b"]]
    if moved:
        lines.append("Completion months that move (A -> B):")
        lines += [
            f"  {r['commitment_id']}: {r['completion_month_a'] or 'beyond horizon'} -> "
            f"{r['completion_month_b'] or 'beyond horizon'}"
            for r in moved
        ]
    pools = [
        r
        for r in c["pools"]
        if (r["floor_breach_p50_a"], r["rebuild_p50_a"])
        != (r["floor_breach_p50_b"], r["rebuild_p50_b"])
    ]
    if pools:
        lines.append("Stocks whose floor-breach or rebuild month (P50) moves (A -> B):")
        lines += [
            f"  {r['holder_id']} {r['item_id']}: breach {r['floor_breach_p50_a'] or '-'} -> "
            f"{r['floor_breach_p50_b'] or '-'}, rebuild {r['rebuild_p50_a'] or '-'} -> "
            f"{r['rebuild_p50_b'] or '-'}"
            for r in pools
        ]
    top = [r for r in c["capacity_value"] if (r["value_b"] or 0) > TOL][:5]
    if top:
        lines.append("Capacity worth most in B (value per extra unit a month; rank in A):")
        lines += [
            f"  {r['source_id']} {r['item_id']}: {_num(r['value_b'], ',.2f')} (A rank {r['rank_a'] or '-'})"
            for r in top
        ]
    return "\n".join(lines)
