"""The ``--json`` shapes of ``arsenal forecast``, ``project`` and ``run`` (a contract that
outside scripts are written against: change them only with a note)."""

from __future__ import annotations

from datetime import date
from typing import Any

from forecast.demand import DemandResult
from forecast.projection import ProjectionResult
from optimize import plan_to_json
from pipeline.compute import PipelineResult
from store.months import month_text

__all__ = ["forecast_json", "pipeline_json", "project_json"]


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


def pipeline_json(run_id: str, result: PipelineResult) -> dict[str, Any]:
    """``arsenal run --json``: the three stages in the shapes of ``arsenal forecast``,
    ``arsenal allocate`` and ``arsenal project`` (each with the pipeline's run id)."""
    start, horizon = result.start, result.horizon
    return {
        "run_id": run_id,
        "scenario": result.scenario,
        "start": month_text(start),
        "horizon": horizon,
        "status": result.plan.status,
        "forecast": forecast_json(
            run_id, start, horizon, DemandResult(result.models, result.forecast)
        ),
        "allocate": plan_to_json(result.plan, run_id, start, horizon, result.outlook),
        "project": project_json(
            run_id, start, horizon, ProjectionResult(result.projection, result.outlook)
        ),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }
