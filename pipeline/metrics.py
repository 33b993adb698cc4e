"""Decision metrics of a stored plan, and how two plans' metrics differ.

``stored_metrics(con, run_id)`` reads one run's result tables and returns what
``optimize.metrics.decision_metrics`` returns for a plan in memory (with the run's own stock
projection, when it has one, for probabilities and P50 months). The report and the dashboard
call it, or ``decision_metrics`` on rows they have read already.
"""

from __future__ import annotations

from typing import Any

from optimize.metrics import decision_metrics
from store.db import Connection
from store.sql import query

__all__ = ["compare_metrics", "render_firmed", "render_metrics", "stored_metrics"]

SCALARS = (
    "promises_on_time",
    "promises_total",
    "on_time_pct",
    "backlog_units_on_time_pct",
    "value_late_usd",
)


def stored_metrics(con: Connection, run_id: str) -> dict[str, Any]:
    """The decision metrics of the plan stored under ``run_id``."""
    outlook = query(con, "stock_outlook_for_run", run_id=run_id)
    return decision_metrics(
        query(con, "plan_commitments_for_metrics", run_id=run_id),
        query(con, "plan_readiness_for_run", run_id=run_id),
        query(con, "plan_shipments_for_run", run_id=run_id),
        query(con, "dataset_items"),
        outlook if outlook.height else None,
    )


def _diff(a: Any, b: Any) -> Any:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return b - a
    return None


def compare_metrics(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Plan ``b``'s metrics against ``a``'s (differences are b minus a): the headline figures,
    partner stocks below floor, promises whose months late change, US pools whose rebuild
    month changes, sustainment per partner."""
    late_a, late_b = a["months_late"], b["months_late"]
    moved = [
        {"commitment_id": cid, "months_late_a": late_a.get(cid), "months_late_b": late_b.get(cid)}
        for cid in sorted(set(late_a) | set(late_b))
        if late_a.get(cid) != late_b.get(cid)
    ]
    us_a = {(r["holder_id"], r["item_id"]): r for r in a["us_pools_below_target"]}
    us_b = {(r["holder_id"], r["item_id"]): r for r in b["us_pools_below_target"]}
    rebuild = [
        {
            "holder_id": h,
            "item_id": i,
            "rebuild_month_a": (us_a.get((h, i)) or {}).get("rebuild_month"),
            "rebuild_month_b": (us_b.get((h, i)) or {}).get("rebuild_month"),
        }
        for h, i in sorted(set(us_a) | set(us_b))
        if us_a.get((h, i)) != us_b.get((h, i))
    ]
    sus_a, sus_b = a["sustainment_units"], b["sustainment_units"]
    partners_a, partners_b = a["partner_stocks_below_floor"], b["partner_stocks_below_floor"]
    return {
        **{k: {"a": a[k], "b": b[k], "difference": _diff(a[k], b[k])} for k in SCALARS},
        "partner_stocks_below_floor": {
            k: {"a": partners_a[k], "b": partners_b[k], "difference": partners_b[k] - partners_a[k]}
            for k in partners_a
        },
        "months_late_changed": moved,
        "us_pools_rebuild_changed": rebuild,
        "sustainment_units": {
            p: {"a": sus_a.get(p, 0.0), "b": sus_b.get(p, 0.0)}
            for p in sorted(set(sus_a) | set(sus_b))
        },
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}%"


def render_metrics(m: dict[str, Any]) -> list[str]:
    """The decision metrics as a planner reads them (the text of ``allocate`` and ``run``)."""
    late = {cid: k for cid, k in m["months_late"].items() if k != 0}
    partners = m["partner_stocks_below_floor"]
    lines = [
        f"Promises on time: {m['promises_on_time']} of {m['promises_total']} "
        f"({_pct(m['on_time_pct'])}; {_pct(m['backlog_units_on_time_pct'])} of backlog units)",
        "Value late: "
        + ("-" if m["value_late_usd"] is None else f"{m['value_late_usd']:,.0f} USD"),
        f"Partner stocks below floor: {partners['now']} now, {partners['within_6']} within 6 "
        f"months, {partners['within_12']} within 12",
    ]
    if late:
        lines.append(
            "Months late: "
            + ", ".join(
                f"{cid} {'not within the horizon' if k is None else k}"
                for cid, k in sorted(late.items())
            )
        )
    for r in m["partner_stocks"]:
        if r["first_month_below_floor"] is None:
            continue
        p = r.get("breach_probability_12")
        chance = "" if p is None else f" (P(below floor within 12 months) {p:.0%})"
        lines.append(
            f"  {r['holder_id']} {r['item_id']} below its floor from {r['first_month_below_floor']}"
            + chance
        )
    for r in m["us_pools_below_target"]:
        rebuilt = r["rebuild_month"] or "not within the horizon"
        lines.append(
            f"US pool {r['holder_id']} {r['item_id']} below target "
            f"{'now' if r['below_target_now'] else 'from ' + r['first_month_below_target']}, "
            f"rebuilt {rebuilt}"
        )
    if m["sustainment_units"]:
        lines.append(
            "Sustainment proposed: "
            + ", ".join(f"{p} {u:,.0f} units" for p, u in m["sustainment_units"].items())
        )
    return lines


def render_firmed(summary: dict[str, Any]) -> list[str]:
    """The firmed rows a plan honoured (``Plan.summary()``'s ``firmed``), or nothing."""
    firmed = summary.get("firmed")
    if not firmed:
        return []
    kept = firmed["rows"] - firmed["not_honoured"]
    line = f"Firmed rows: {firmed['rows']}, {kept} kept in full"
    if firmed["not_honoured"]:
        line += (
            f"; {firmed['not_honoured']} not ({firmed['missing_units']:,.0f} units missing, "
            "listed on the worklist)"
        )
    return [line]
