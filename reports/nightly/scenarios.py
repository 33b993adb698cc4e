"""The scenarios in the report: each against the scenario it is built on (and the baseline),
the one-line answers, the appendix's detail of what each moves, and those that failed."""

from __future__ import annotations

import html
from typing import Any

from pipeline.compare import compare_runs
from pipeline.nightly import Failure, Night
from pipeline.scenarios import BASELINE
from pipeline.summary import Names, compare_plans, scenario_answer
from reports.html import Section, table
from reports.nightly.limits import APPENDIX_ROWS
from store.db import Connection

__all__ = [
    "compare_scenarios",
    "failures_section",
    "scenario_answers",
    "scenario_bases",
    "scenario_detail_section",
]


def scenario_bases(night: Night) -> dict[str, str]:
    """Each scenario's base: the scenario it is built on (the baseline by default)."""
    out = {}
    for r in night.results[1:]:
        chain = r.applied.chain
        base = chain[-2] if len(chain) > 1 else BASELINE
        out[r.scenario] = base if base in night.run_ids else BASELINE
    return out


def failures_section(failures: tuple[Failure, ...]) -> Section:
    s = Section("Scenarios that failed", "failed")
    s.text(
        table(
            ["scenario", "reason"],
            [[f.scenario, f.reason] for f in failures],
            empty="Every scenario ran.",
            widths=[20, 80],
        )
    )
    return s


def scenario_detail_section(
    con: Connection, night: Night, bases: dict[str, str], names: Names
) -> Section:
    s = Section("Each scenario's detail", "scenario-detail", appendix=True, wide=True)
    for r in night.results[1:]:
        base = bases[r.scenario]
        c = compare_runs(con, night.run_ids[base], night.run_ids[r.scenario])
        s.text(
            f"<h3>{html.escape(r.scenario)} against {html.escape(base)}</h3>"
            f"<p class='note'>{html.escape(r.applied.descriptions.get(r.scenario, ''))}</p>"
        )
        moved = [
            x
            for x in c["commitments"]
            if x["completion_month_a"] != x["completion_month_b"]
            or (x["late_unit_months_a"] or 0) != (x["late_unit_months_b"] or 0)
        ]
        s.text(
            table(
                [
                    "promise",
                    "partner",
                    "item",
                    f"completion in {base}",
                    f"completion in {r.scenario}",
                    "shift (months)",
                    "late unit-months before",
                    "after",
                ],
                [
                    [
                        x["commitment_id"],
                        names.partner(x["partner_id"]),
                        names.item(x["item_id"]),
                        x["completion_month_a"]
                        or ("not within the horizon" if x["in_a"] else "not in the plan"),
                        x["completion_month_b"]
                        or ("not within the horizon" if x["in_b"] else "not in the plan"),
                        x["completion_shift_months"],
                        x["late_unit_months_a"],
                        x["late_unit_months_b"],
                    ]
                    for x in moved
                ][:APPENDIX_ROWS],
                empty="No promise moves.",
            )
        )
        pools = [
            p
            for p in c["pools"]
            if (p["floor_breach_p50_a"], p["rebuild_p50_a"])
            != (p["floor_breach_p50_b"], p["rebuild_p50_b"])
        ]
        if pools:
            s.text(
                table(
                    ["stock", "floor breach P50", "rebuild P50"],
                    [
                        [
                            names.stock(p["holder_id"], p["item_id"]),
                            f"{p['floor_breach_p50_a'] or '-'} -> {p['floor_breach_p50_b'] or '-'}",
                            f"{p['rebuild_p50_a'] or '-'} -> {p['rebuild_p50_b'] or '-'}",
                        ]
                        for p in pools
                    ][:APPENDIX_ROWS],
                )
            )
    return s


def compare_scenarios(
    night: Night, metrics: dict[str, dict[str, Any]], bases: dict[str, str]
) -> list[dict[str, Any]]:
    """Each scenario against its own base (``own``) and, when that is not the baseline,
    against the baseline too."""
    comparisons = []
    for r in night.results[1:]:
        own = bases[r.scenario]
        comparisons.append(
            {
                "scenario": r.scenario,
                "base": own,
                "own": True,
                "delta": compare_plans(metrics[own], metrics[r.scenario]),
            }
        )
        if own != BASELINE:
            comparisons.append(
                {
                    "scenario": r.scenario,
                    "base": BASELINE,
                    "own": False,
                    "delta": compare_plans(metrics[BASELINE], metrics[r.scenario]),
                }
            )
    return comparisons


def scenario_answers(comparisons: list[dict[str, Any]], names: Names) -> dict[str, str]:
    """Each scenario's one-line answer against its own base."""
    return {
        c["scenario"]: f"{c['scenario']} against {c['base']}: {scenario_answer(c['delta'], names)}."
        for c in comparisons
        if c["own"]
    }
