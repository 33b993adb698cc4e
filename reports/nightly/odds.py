"""How likely each baseline promise is to be kept when supply slips (``arsenal simulate`` run
by the night): the promises least likely to be kept, and the lines whose uncertainty matters
most."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import polars as pl

from pipeline.simulation import SimulationResult
from pipeline.summary import Names
from reports.figures import KIND_WORDS, criticality_tornado
from reports.html import Section, table
from store.months import month_text

__all__ = ["ODDS_ROWS", "odds_section", "odds_summary"]

ODDS_ROWS = 12
"""Promises in the body's table, the least likely first (the rest are in summary.json)."""


def _month(d: date | None) -> str:
    return month_text(d) if d is not None else "not within the horizon"


def odds_section(
    odds: SimulationResult | dict[str, str], names: Names, late_in_plan: set[str]
) -> Section:
    s = Section("How likely each promise is to be kept when supply slips", "odds")
    if not isinstance(odds, SimulationResult):
        why = odds.get("error") or odds.get("skipped") or ""
        s.text(f"<p>Not computed tonight: {html.escape(why)}.</p>")
        return s
    # promises the plan keeps but the futures put at risk come first: the plan's late ones
    # are late in every future too, and the late-promises table already has them
    com = odds.commitments.with_columns(
        late_in_plan=pl.col("commitment_id").is_in(sorted(late_in_plan))
    ).sort("late_in_plan", "p_on_time", "promised_month", "commitment_id")
    sure = com.filter(pl.col("p_on_time") >= 0.995).height
    at_risk = com.filter(~pl.col("late_in_plan") & (pl.col("p_on_time") < 0.995)).height
    s.text(
        f"<p>Over {odds.samples:,} futures of supply drawn from the uncertainty rules (ramps "
        "slipping, lines below their rate or stopped, routes taking longer), each re-planned: "
        f"{sure} of {com.height} promises are kept in (nearly) every future; {at_risk} promise(s) "
        f"on time in the plan are at risk, and {len(late_in_plan & set(com['commitment_id']))} "
        "are late in the plan itself. At risk first, the least likely first; P(on time) is the "
        "share of futures in which the promise is complete by its due month (± one standard "
        "error).</p>"
    )
    rows = [
        [
            r["commitment_id"],
            names.partner(r["partner_id"]),
            names.item(r["item_id"]),
            month_text(r["promised_month"]),
            "late" if r["late_in_plan"] else "on time",
            f"{r['p_on_time']:.0%} ± {r['p_on_time_se']:.0%}",
            _month(r["completion_p50"]),
            _month(r["completion_p90"]),
        ]
        for r in com.filter(pl.col("p_on_time") < 0.995).head(ODDS_ROWS).iter_rows(named=True)
    ]
    s.text(
        table(
            [
                "promise",
                "partner",
                "item",
                "due",
                "in the plan",
                "P(on time)",
                "complete P50",
                "complete P90",
            ],
            rows,
            empty="Every promise is kept in (nearly) every future.",
            widths=[19, 11, 17, 8, 8, 11, 13, 13],
        )
    )
    lines = odds.lines.filter(pl.col("criticality").is_not_null())
    if lines.height:
        top = lines.sort(pl.col("criticality").abs(), descending=True).head(5)
        saved = [
            f"{names.holder(r['source_id'])} {names.item(r['item_id'])} "
            f"({KIND_WORDS.get(r['kind'], r['kind'])}): "
            + (
                f"{r['lateness_saved']:,.0f} weighted late unit-months saved if it were certain"
                if r["lateness_saved"] is not None
                else "not re-solved"
            )
            for r in top.iter_rows(named=True)
        ]
        fig = criticality_tornado(lines, 8, {**names.sources, **names.items})
        fig.update_layout(height=300)
        s.figure(fig)
        noise = 2 / odds.samples**0.5
        s.text(
            f'<p class="note">A bar is the rank correlation of what the line drew (months of '
            "delay, its factor, months out) with the night's total weighted lateness; over "
            f"{odds.samples:,} futures only a correlation beyond ±{noise:.2f} stands out from "
            "noise. Lateness saved: the same futures re-solved with that line certain.</p>"
        )
        s.text("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in saved) + "</ul>")
    return s


def odds_summary(
    odds: SimulationResult | dict[str, str] | None, run_id: str | None
) -> dict[str, Any] | None:
    """``summary.json``'s ``promise_odds``: the run, its settings and every promise."""
    if odds is None:
        return None
    if not isinstance(odds, SimulationResult):
        return dict(odds)
    return {
        "run_id": run_id,
        "samples": odds.samples,
        "seed": odds.seed,
        "mode": odds.mode,
        "commitments": [
            {
                "commitment_id": r["commitment_id"],
                "p_on_time": r["p_on_time"],
                "p_on_time_se": r["p_on_time_se"],
                "completion_p50": month_text(r["completion_p50"]) if r["completion_p50"] else None,
                "completion_p90": month_text(r["completion_p90"]) if r["completion_p90"] else None,
            }
            for r in odds.commitments.sort("commitment_id").iter_rows(named=True)
        ],
        "lines": odds.lines.head(10).to_dicts(),
    }
