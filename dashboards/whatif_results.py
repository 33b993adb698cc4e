"""A what-if's result, side by side with the baseline: the measures, the promises that change,
the lateness chart, the completion months and the stock months that move.

``result`` is what ``pipeline.whatif.run_whatif`` returns (plain JSON, kept in the page's
store); nothing here reads data or computes beyond choosing the rows that moved.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboards import whatif_ids as ids
from dashboards.page_figures import whatif_lateness
from dashboards.ui import fmt_number, fmt_usd, simple_table

__all__ = ["render_result"]

NOT_WITHIN = "not within the horizon"


def render_result(result: dict[str, Any] | None) -> Any:
    """The results panel for ``result``, or a note asking for a run."""
    if not result:
        return html.P("Run a what-if to see it side by side with the baseline.", className="note")
    name = result["name"]
    return html.Div(
        [
            html.H2(f"{name} against the baseline", id=ids.RESULT_TITLE),
            html.P(
                f"Plan {result['status']}, from {result['start']} for {result['horizon']} months; "
                f"computed in {result['seconds']:.2f} s on a copy of the data.",
                className="note",
            ),
            _measures(result),
            *_changes(result),
            _lateness(result),
            html.H2("Completion months that move"),
            _completions(result),
            html.H2("Floor-breach and rebuild months (P50) that move"),
            _pools(result),
        ]
    )


def _signed(value: float | None, money: bool = False) -> str:
    if value is None:
        return ""
    text = fmt_usd(abs(value)) if money else fmt_number(abs(value))
    return ("+" if value > 0 else "-" if value < 0 else "") + text


def _measures(result: dict[str, Any]) -> html.Table:
    rows = []
    for m in result["measures"]:
        money = m["measure"].startswith("Cost")
        fmt = fmt_usd if money else fmt_number
        rows.append(
            [m["measure"], fmt(m["baseline"]), fmt(m["scenario"]), _signed(m["difference"], money)]
        )
    return simple_table(
        ["", "baseline", result["name"], "difference"], rows, ids.DELTAS_TABLE, numeric=(1, 2, 3)
    )


def _changes(result: dict[str, Any]) -> list[html.P]:
    """Promises that become on time or late, and the investments bought."""
    return [
        html.P(
            "Promises that become on time: " + (", ".join(result["became_on_time"]) or "none"),
            id=ids.BECAME_ON_TIME,
        ),
        html.P(
            "Promises that become late: " + (", ".join(result["became_late"]) or "none"),
            id=ids.BECAME_LATE,
        ),
        html.P(
            "Investments bought: " + (", ".join(result["investments_b"]) or "none"),
            id=ids.INVESTMENTS,
        ),
    ]


def _lateness(result: dict[str, Any]) -> dcc.Graph:
    late_a = {c["commitment_id"]: c["late_unit_months_a"] or 0.0 for c in result["commitments"]}
    late_b = {c["commitment_id"]: c["late_unit_months_b"] or 0.0 for c in result["commitments"]}
    return dcc.Graph(
        figure=whatif_lateness(late_a, late_b, result["name"]),
        id=ids.LATENESS_GRAPH,
        config={"displaylogo": False},
    )


def _named(result: dict[str, Any], key: str | None) -> str:
    """The display name the run carried for ``key`` (results from before names: the id)."""
    return (result.get("names") or {}).get(key, key) if key else ""


def _completions(result: dict[str, Any]) -> html.Table:
    moved = [c for c in result["commitments"] if c["completion_month_a"] != c["completion_month_b"]]
    rows = [
        [
            c["commitment_id"],
            _named(result, c["partner_id"]),
            _named(result, c["item_id"]),
            c["completion_month_a"] or NOT_WITHIN,
            c["completion_month_b"] or NOT_WITHIN,
            "" if c["completion_shift_months"] is None else f"{c['completion_shift_months']:+d}",
        ]
        for c in moved
    ]
    return simple_table(
        ["commitment", "partner", "item", "baseline", result["name"], "months"],
        rows,
        ids.COMPLETION_TABLE,
        numeric=(5,),
    )


def _pools(result: dict[str, Any]) -> html.Table:
    name = result["name"]
    moved = [
        p
        for p in result["pools"]
        if (p["floor_breach_p50_a"], p["rebuild_p50_a"])
        != (p["floor_breach_p50_b"], p["rebuild_p50_b"])
    ]
    rows = [
        [
            _named(result, p["holder_id"]),
            _named(result, p["item_id"]),
            p["floor_breach_p50_a"] or NOT_WITHIN,
            p["floor_breach_p50_b"] or NOT_WITHIN,
            p["rebuild_p50_a"] or NOT_WITHIN,
            p["rebuild_p50_b"] or NOT_WITHIN,
        ]
        for p in moved
    ]
    headers = ["holder", "item", "breach baseline", f"breach {name}"]
    headers += ["rebuild baseline", f"rebuild {name}"]
    return simple_table(headers, rows, ids.POOLS_TABLE)
