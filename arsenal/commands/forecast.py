"""``arsenal forecast``: choose and fit a demand model per (holder, item), store the forecast."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from typing import Any

from arsenal.cli import add_window_arguments, positive_int
from forecast.demand import DemandResult, forecast_demand
from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect, transaction
from store.months import month_text
from store.runs import finish_run, latest_run, start_run, write_results
from store.sql import query
from store.status import last_content_hash

__all__ = ["NAME", "HELP", "add_arguments", "forecast_json", "read_demand", "run", "run_forecast"]

NAME = "forecast"
HELP = "Choose a demand model per (holder, item) by backtest and store the forecast."
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the DuckDB file (see 'arsenal load')")
    add_window_arguments(parser, "first forecast month")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes (default: cores)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def read_demand(con: Connection, run_id: str) -> DemandResult:
    """A stored forecast run's results as a DemandResult."""
    return DemandResult(
        query(con, "forecast_models_for_run", run_id=run_id),
        query(con, "demand_forecast_for_run", run_id=run_id),
    )


def run_forecast(
    con: Connection,
    dataset: Dataset,
    start: date,
    horizon: int,
    *,
    workers: int | None = None,
    scenario: str = "baseline",
) -> tuple[str, DemandResult]:
    """Forecast and store under a new run; unchanged series are reused from the latest run."""
    previous = None
    last = latest_run(con, "forecast", scenario)
    if last is not None:
        previous = read_demand(con, last["run_id"])
    run_id = start_run(
        con,
        "forecast",
        start_month=start,
        horizon=horizon,
        scenario=scenario,
        content_hash=last_content_hash(con),
    )
    try:
        result = forecast_demand(dataset, start, horizon, workers=workers, previous=previous)
        with transaction(con):
            write_results(con, "demand_models", run_id, result.models)
            write_results(con, "demand_forecast", run_id, result.forecast)
    except BaseException:
        finish_run(con, run_id, status="failed")
        raise
    counts = result.models.group_by("model").len().sort("model").rows()
    finish_run(con, run_id, summary={"series": result.models.height, "models": dict(counts)})
    log.info("forecast run %s: %d series", run_id, result.models.height)
    return run_id, result


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


def forecast_json(run_id: str, start: date, horizon: int, result: DemandResult) -> dict[str, Any]:
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in result.forecast.sort("holder_id", "item_id", "month").iter_rows(named=True):
        by_key.setdefault((r["holder_id"], r["item_id"]), []).append(
            {
                "month": month_text(r["month"]),
                "mean": r["mean"],
                "p10": r["p10"],
                "p50": r["p50"],
                "p90": r["p90"],
            }
        )
    series = [
        {
            "holder_id": m["holder_id"],
            "item_id": m["item_id"],
            "model": m["model"],
            "backtest": {"mase": _num(m["mase"]), "coverage_80": _num(m["coverage_80"])},
            "forecast": by_key.get((m["holder_id"], m["item_id"]), []),
        }
        for m in result.models.sort("holder_id", "item_id").iter_rows(named=True)
    ]
    return {"run_id": run_id, "start": month_text(start), "horizon": horizon, "series": series}


def run(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        dataset = read_dataset(con)
        start = args.start or default_start(dataset)
        run_id, result = run_forecast(con, dataset, start, args.horizon, workers=args.workers)
    finally:
        con.close()
    if args.json:
        json.dump(forecast_json(run_id, start, args.horizon, result), sys.stdout)
        sys.stdout.write("\n")
    else:
        summary = result.models.group_by("model").len().sort("len", descending=True)
        print(
            f"forecast run {run_id}: {result.models.height} series from {month_text(start)}",
            file=sys.stderr,
        )
        for model, n in summary.rows():
            print(f"  {model}: {n}", file=sys.stderr)
    return 0
