"""The baseline's trade-off between US rebuild and partner readiness: what each step of
faster US rebuild costs partners, among the plans that keep promises as well as possible."""

from __future__ import annotations

import html
from typing import Any

from pipeline.summary import Names
from reports.figures import tradeoff_frontier
from reports.html import Section, table

__all__ = ["tradeoff_section"]


def _rebuilt(point: dict[str, Any], names: Names) -> str:
    done = [
        f"{names.item(r['item_id'])} {r['rebuild_month']}"
        for r in point["us_pools"]
        if r["rebuild_month"]
    ]
    return ", ".join(done) or "none within the horizon"


def _below(point: dict[str, Any], names: Names) -> str:
    below = [
        f"{names.holder(r['holder_id'])} {names.item(r['item_id'])} from "
        f"{r['first_month_below_floor']}"
        for r in point["partner_stocks"]
        if r["first_month_below_floor"]
    ]
    return ", ".join(below) or "none"


def tradeoff_section(curve: dict[str, Any], names: Names) -> Section:
    """The frontier as a chart and a table (point 1: US rebuilt first; the last: partners
    first); a curve that failed says why."""
    # first in the appendix: the body stays within its pages; page one's contents list it
    s = Section("US rebuild against partner readiness", "tradeoff", appendix=True)
    if "error" in curve:
        s.text(f"<p>The trade-off curve could not be computed: {html.escape(curve['error'])}</p>")
        return s
    points = curve["points"]
    s.text(
        "<p>Among the plans that keep promises as well as possible: the fewer unit-months US "
        "stocks spend below target (left), the more partner stocks spend below their floors "
        "(tier-weighted). Point 1 rebuilds the US first; the last keeps partners first.</p>"
    )
    fig = tradeoff_frontier(points)
    fig.update_layout(height=300)
    s.figure(fig)
    s.text(
        table(
            ["point", "US unit-months below target", "partner unit-months below floor",
             "US stocks rebuilt", "partner stocks below floor"],
            [
                [k + 1, p["us_unit_months_below_target"],
                 p["partner_weighted_unit_months_below_floor"], _rebuilt(p, names),
                 _below(p, names)]
                for k, p in enumerate(points)
            ],
            widths=[6, 16, 16, 30, 32],
        )
    )  # fmt: skip
    return s
