"""``arsenal allocate``: solve the allocation model and store the plan under a run id."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date

import polars as pl

from arsenal.cli import add_window_arguments, number_arg
from arsenal.pipeline import write_plan
from optimize import SOLVERS, Plan, SolveError, allocate, check_plan, plan_to_json
from store.dataset import default_start, read_dataset
from store.db import DEFAULT_DB, connect, transaction
from store.months import month_text
from store.runs import finish_run, start_run
from store.sql import query
from store.status import last_content_hash

NAME = "allocate"
HELP = "Plan who gets what, from where, when; explain late promises; price capacity."

log = logging.getLogger(__name__)


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
    parser.add_argument(
        "--json", action="store_true", help="print the plan as one JSON object on stdout"
    )


def _demand_for(con, start: date, horizon: int) -> pl.DataFrame | None:  # noqa: ANN001
    """The newest baseline demand forecast from ``start`` covering ``horizon`` months."""
    found = query(con, "forecast_run_for_start", scenario="baseline", start_month=start)
    if found.height and found.item(0, "horizon") >= horizon:
        run_id = found.item(0, "run_id")
        log.info("consumption from forecast run %s", run_id)
        return query(con, "demand_forecast_for_run", run_id=run_id)
    log.warning(
        "no stored demand forecast from %s covering %d months: pools see no consumption "
        "(run 'arsenal forecast' or 'arsenal run' first)",
        month_text(start),
        horizon,
    )
    return None


def run(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        dataset = read_dataset(con)
        start = args.start or default_start(dataset)
        demand = _demand_for(con, start, args.horizon)
        run_id = start_run(
            con,
            "allocate",
            start_month=start,
            horizon=args.horizon,
            content_hash=last_content_hash(con),
        )
        try:
            plan = allocate(
                dataset,
                demand,
                start,
                args.horizon,
                budget=args.budget,
                solver=args.solver,
                time_limit=args.time_limit,
            )
            problems = check_plan(dataset, demand, start, args.horizon, plan)
            if problems:
                raise SolveError(
                    f"numerically doubtful plan: the checker found {len(problems)} broken rule(s), "
                    f"first: {problems[0]}"
                )
            with transaction(con):
                write_plan(con, run_id, plan)
                finish_run(con, run_id, "ok", plan.summary())
        except SolveError as exc:
            finish_run(con, run_id, "failed", {"status": "failed", "error": str(exc)})
            print(
                f"arsenal allocate: no new plan: {exc}. The previous plan is kept.", file=sys.stderr
            )
            return 1
        except BaseException as exc:
            finish_run(con, run_id, "failed", {"status": "failed", "error": repr(exc)})
            raise
    finally:
        con.close()
    if args.json:
        print(json.dumps(plan_to_json(plan, run_id, start, args.horizon)))
    else:
        print(render_summary(plan, run_id))
    return 0


def render_summary(plan: Plan, run_id: str) -> str:
    """A planner's reading of the plan: late promises first, then what capacity is worth."""
    lines = [
        f"Allocation plan {run_id}: {month_text(plan.start)} + {plan.horizon} months, {plan.status}",
        f"Weighted late unit-months: {plan.weighted_late_unit_months:,.0f}",
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
    ranking = (
        plan.capacity_value.group_by("source_id", "item_id")
        .agg(pl.col("value").sum().alias("total"), pl.col("value").max().alias("best"))
        .filter(pl.col("total") > 0)
        .sort("total", descending=True)
    )
    if ranking.height:
        lines.append(
            "\nCapacity worth most (weighted late unit-months saved per extra unit, summed over months):"
        )
        lines.extend(
            f"  {r['source_id']} {r['item_id']}: {r['total']:,.1f} (best month {r['best']:,.1f})"
            for r in ranking.head(10).iter_rows(named=True)
        )
    if plan.weighted_late_before_investment is not None:
        chosen = plan.investments.filter(pl.col("chosen"))
        lines.append(
            f"\nInvestment: {chosen.height} option(s) for {chosen.get_column('cost_usd').sum():,.0f} USD "
            f"({', '.join(chosen.get_column('option_id').to_list()) or 'none'}); weighted lateness "
            f"{plan.weighted_late_before_investment:,.0f} -> {plan.weighted_late_unit_months:,.0f}"
        )
    return "\n".join(lines)
