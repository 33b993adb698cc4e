"""``arsenal allocate``: solve the allocation model and store the plan under a run id."""

from __future__ import annotations

import argparse
import sys

import polars as pl

from arsenal.cli import add_plan_arguments, add_window_arguments, number_arg, print_json
from optimize import SOLVERS, Plan, SolveError, plan_to_json
from store.db import DEFAULT_DB
from store.facts import capacity_lines_worth_most
from store.months import month_text

NAME = "allocate"
HELP = "Plan who gets what, from where, when; explain late promises; price capacity."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    add_window_arguments(parser, "first plan month")
    parser.add_argument(
        "--budget", type=number_arg("USD"), help="USD to spend on expansion options (a MILP)"
    )
    parser.add_argument(
        "--solver", choices=SOLVERS, default="highs", help="LP/MILP solver (default highs)"
    )
    parser.add_argument(
        "--time-limit",
        type=number_arg("seconds", positive=True),
        help="give up after this many seconds (exit 1)",
    )
    add_plan_arguments(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the plan as one JSON object on stdout"
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.stages import run_allocate

    try:
        done = run_allocate(
            args.db,
            args.start,
            args.horizon,
            budget=args.budget,
            solver=args.solver,
            time_limit=args.time_limit,
            us_target_weight=args.us_target_weight,
            reference=args.reference,
        )
    except SolveError as exc:
        print(f"arsenal allocate: no new plan: {exc}. The previous plan is kept.", file=sys.stderr)
        return 1
    if args.json:
        print_json(plan_to_json(done.plan, done.run_id, done.start, done.horizon))
    else:
        print(render_summary(done.plan, done.run_id))
    return 0


def render_summary(plan: Plan, run_id: str) -> str:
    """A planner's reading of the plan: late promises first, then what capacity is worth."""
    from pipeline.metrics import render_firmed, render_metrics

    lines = [
        f"Allocation plan {run_id}: {month_text(plan.start)} + {plan.horizon} months, {plan.status}",
        *render_metrics(plan.metrics()),
        *render_firmed(plan.summary()),
        f"Weighted late unit-months (the optimiser's measure): {plan.weighted_late_unit_months:,.0f}",
        "Stages: "
        + ", ".join(f"{n} {'-' if v is None else format(v, ',.6g')}" for n, v in plan.stages),
    ]
    late = plan.commitments.filter(pl.col("late_unit_months") > 0)
    lines.append(f"\nLate promises ({late.height} of {plan.commitments.height}):")
    for r in late.iter_rows(named=True):
        done = month_text(r["completion_month"]) or "not within the horizon"
        lines.append(
            f"  {r['commitment_id']} {r['partner_id']} {r['item_id']}: {r['late_unit_months']:,.0f} unit-months late, "
            f"{r['planned_units']:,.0f}/{r['backlog_units']:,.0f} units, complete {done}"
        )
        lines.extend(f"      - {why}" for why in r["reasons"])
    on_time = plan.commitments.height - late.height
    lines.append(f"\nOn time: {on_time} promise(s).")
    ranking = capacity_lines_worth_most(plan.capacity_value, top=10)
    if ranking.height:
        lines.append(
            "\nCapacity worth most (weighted late unit-months saved per extra unit, summed over months):"
        )
        lines.extend(
            f"  {r['source_id']} {r['item_id']}: {r['value']:,.1f} (best month {r['best']:,.1f})"
            for r in ranking.iter_rows(named=True)
        )
    if plan.weighted_late_before_investment is not None:
        chosen = plan.investments.filter(pl.col("chosen"))
        lines.append(
            f"\nInvestment: {chosen.height} option(s) for {chosen.get_column('cost_usd').sum():,.0f} USD "
            f"({', '.join(chosen.get_column('option_id').to_list()) or 'none'}); weighted lateness "
            f"{plan.weighted_late_before_investment:,.0f} -> {plan.weighted_late_unit_months:,.0f}"
        )
    return "\n".join(lines)
