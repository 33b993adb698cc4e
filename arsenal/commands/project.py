"""``arsenal project``: project every stock pool with the plan and simulated consumption."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from typing import Any

import polars as pl

from arsenal.cli import add_window_arguments, positive_int
from arsenal.commands.forecast import read_demand, run_forecast
from forecast.projection import ProjectionResult, project_stocks
from store.dataset import default_start, read_dataset
from store.db import connect, transaction
from store.months import month_text
from store.runs import finish_run, latest_run, start_run, write_results
from store.sql import query
from store.status import last_content_hash

__all__ = ["HELP", "NAME", "add_arguments", "project_json", "run"]

NAME = "project"
HELP = (
    "Project every stock pool and partner stock month by month: floor breach and "
    "target months at P10/P50/P90."
)
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_window_arguments(parser, "first projected month")
    parser.add_argument(
        "--paths", type=positive_int, default=1000, help="simulated paths (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes, if a forecast has to be run first (default: cores)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _month_obj(row: dict[str, Any], prefix: str) -> dict[str, str | None]:
    return {q: month_text(row[f"{prefix}_{q}"]) for q in ("p10", "p50", "p90")}


def project_json(
    run_id: str, start: date, horizon: int, result: ProjectionResult
) -> dict[str, Any]:
    paths: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in result.projection.sort("holder_id", "item_id", "month").iter_rows(named=True):
        paths.setdefault((r["holder_id"], r["item_id"]), []).append(
            {"month": month_text(r["month"]), "p10": r["p10"], "p50": r["p50"], "p90": r["p90"]}
        )
    stocks = [
        {
            "holder_id": r["holder_id"],
            "item_id": r["item_id"],
            "floor_breach_month": _month_obj(r, "floor_breach"),
            "target_reached_month": _month_obj(r, "target_reached"),
            "breach_probability": {k: r[f"breach_probability_{k}"] for k in ("3", "6", "12")},
            "path": paths.get((r["holder_id"], r["item_id"]), []),
        }
        for r in result.outlook.sort("holder_id", "item_id").iter_rows(named=True)
    ]
    return {"run_id": run_id, "start": month_text(start), "horizon": horizon, "stocks": stocks}


def run(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        dataset = read_dataset(con)
        start = args.start or default_start(dataset)
        found = query(con, "forecast_run_for_start", scenario="baseline", start_month=start)
        if found.height:
            demand = read_demand(con, found.item(0, "run_id"))
            log.info("using demand forecast run %s", found.item(0, "run_id"))
        else:
            log.info(
                "no demand forecast from %s yet: running the forecast first", month_text(start)
            )
            _, demand = run_forecast(con, dataset, start, args.horizon, workers=args.workers)
        plan = latest_run(con, "allocate")
        if plan is None:
            log.info("no allocation plan yet: projecting without shipments")
            shipments = investments = None
        else:
            shipments = query(con, "plan_shipments_for_run", run_id=plan["run_id"])
            investments = query(con, "compare_investments", run_id=plan["run_id"])
            log.info("using plan %s (%d shipments)", plan["run_id"], shipments.height)
        run_id = start_run(
            con,
            "project",
            start_month=start,
            horizon=args.horizon,
            content_hash=last_content_hash(con),
        )
        try:
            result = project_stocks(
                dataset,
                demand,
                shipments,
                start,
                args.horizon,
                args.paths,
                args.seed,
                investments=investments,
            )
            with transaction(con):
                write_results(con, "stock_projection", run_id, result.projection)
                write_results(con, "stock_outlook", run_id, result.outlook)
        except BaseException:
            finish_run(con, run_id, status="failed")
            raise
        breached = result.outlook.filter(pl.col("floor_breach_p50").is_not_null()).height
        finish_run(
            con,
            run_id,
            summary={
                "pools": result.outlook.height,
                "breach_p50_within_horizon": breached,
                "paths": args.paths,
                "seed": args.seed,
                "plan_run_id": None if plan is None else plan["run_id"],
            },
        )
    finally:
        con.close()
    if args.json:
        json.dump(project_json(run_id, start, args.horizon, result), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(
            f"projection run {run_id}: {result.outlook.height} stocks from {month_text(start)}, "
            f"{breached} breach their floor by P50 within {args.horizon} months",
            file=sys.stderr,
        )
    return 0
