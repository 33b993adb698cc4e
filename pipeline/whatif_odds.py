"""A what-if's promise odds: the scenario's futures of supply set beside the baseline's.

The what-if is simulated as ``arsenal simulate`` would simulate it, drawn with the seed, mode
and demand of the baseline's stored simulation (the nightly's or ``arsenal simulate``'s), so
future i of both meets the same slips, outages and consumption (common random numbers): a
difference comes from the what-if's changes, not from other draws. With no stored simulation
of the baseline plan, the baseline is simulated too, with the same seed.

Nothing is stored: like the what-if itself, the result is shown, and saved only as a scenario.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.firmed import firmed_in_force
from pipeline.scenarios.apply import Applied
from pipeline.simulate_stage import SimulationInputs, read_simulation_inputs, simulate_applied
from pipeline.whatif import BASELINE, scenario_from_doc, whatif_applied
from store.db import connect
from store.defaults import DEFAULT_SEED, WHATIF_SAMPLES
from store.months import month_text
from store.runs import latest_run, simulation_of_plan
from store.sql import query

__all__ = ["NOISE_SE", "WHATIF_SAMPLES", "Progress", "whatif_odds"]

NOISE_SE = 2.0
"""A change in P(on time) smaller than this many standard errors (of the two estimates,
as if independent: the paired draws make the true error smaller) is called sampling noise."""

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: the stage in words and the futures solved of all."""


def whatif_odds(
    db: str,
    doc: dict[str, Any],
    folder: str | Path,
    *,
    samples: int = WHATIF_SAMPLES,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Simulate the what-if ``doc`` (a scenario file's content) over ``samples`` futures and
    set each promise's P(on time) beside the baseline's (a JSON-ready dict)."""
    t0 = time.perf_counter()
    scenario = scenario_from_doc(doc)
    con = connect(db, read_only=True)
    try:
        plan = latest_run(con, "allocate")
        if plan is None:
            raise RuntimeError("no baseline plan yet: run 'arsenal run' first")
        inputs = read_simulation_inputs(
            con, plan["start_month"], int(plan["horizon"]), firmed_in_force(db)
        )
        stored = simulation_of_plan(con, plan)
        baseline_rows = (
            query(con, "simulation_commitments_for_run", run_id=stored["run_id"])
            if stored is not None
            else None
        )
    finally:
        con.close()
    drawn = _drawn_like(stored)
    applied = whatif_applied(inputs.dataset, scenario, folder)
    if applied.dataset.uncertainty.height == 0:
        raise ValueError("the data has no uncertainty rules (uncertainty.csv): nothing to draw")
    stages = [] if baseline_rows is not None else [BASELINE]
    stages.append(scenario.name)
    total = samples * len(stages)
    results = {}
    for k, name in enumerate(stages):
        what = applied if name == scenario.name else Applied(dataset=inputs.dataset)
        results[name] = _simulate(
            what, inputs, samples, drawn, workers, scheduler, progress, (k * samples, total)
        )
        if progress is not None:
            progress(f"simulated {name}", samples * (k + 1), total)
    if baseline_rows is None:
        baseline_rows = results[BASELINE]
    rows = _side_by_side(baseline_rows, results[scenario.name])
    return {
        "name": scenario.name,
        "start": month_text(inputs.start),
        "horizon": inputs.horizon,
        "samples": samples,
        "baseline_run": stored["run_id"] if stored is not None else None,
        "baseline_samples": drawn["samples"] or samples,
        **{k: drawn[k] for k in ("seed", "mode", "demand")},
        "expected_on_time_a": _total(rows, "p_on_time_a"),
        "expected_on_time_b": _total(rows, "p_on_time_b"),
        "changed": sum(1 for r in rows if r["beyond_noise"]),
        "commitments": rows,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _drawn_like(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The seed, mode and demand of the stored baseline simulation (defaults without one)."""
    summary: dict[str, Any] = {}
    if stored is not None and stored.get("summary"):
        raw = stored["summary"]
        summary = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {
        "seed": int(summary.get("seed", DEFAULT_SEED)),
        "mode": str(summary.get("mode", "replan")),
        "demand": str(summary.get("demand", "paths")),
        "samples": summary.get("samples"),
    }


def _simulate(
    applied: Applied,
    inputs: SimulationInputs,
    samples: int,
    drawn: dict[str, Any],
    workers: int | None,
    scheduler: str | None,
    progress: Progress | None,
    counted: tuple[int, int],
) -> pl.DataFrame:
    """``counted``: the futures solved before this simulation, and of all."""
    name = applied.name
    before, total = counted
    if progress is not None:
        progress(f"starting the engine for {name}", before, total)

    def solved(done: int, _of: int) -> None:
        if progress is not None:
            progress(f"simulating {name}", before + done, total)

    result = simulate_applied(
        applied,
        inputs,
        samples=samples,
        seed=drawn["seed"],
        mode=drawn["mode"],
        demand=drawn["demand"],
        workers=workers,
        scheduler=scheduler,
        criticality_samples=0,
        progress=solved,
    )
    return result.commitments


def _side_by_side(a: pl.DataFrame, b: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per promise of either side (a what-if can add or cancel promises): the changes
    beyond sampling noise first, biggest first; then the least likely promises."""
    keep = ["commitment_id", "partner_id", "item_id", "p_on_time", "p_on_time_se", "completion_p50"]
    left = a.select(keep).rename(
        {c: f"{c}_a" for c in ("p_on_time", "p_on_time_se", "completion_p50")}
    )
    right = b.select(keep).rename(
        {c: f"{c}_b" for c in ("p_on_time", "p_on_time_se", "completion_p50")}
    )
    joined = left.join(
        right, on=["commitment_id"], how="full", coalesce=True, suffix="_new"
    ).with_columns(
        partner_id=pl.coalesce("partner_id", "partner_id_new"),
        item_id=pl.coalesce("item_id", "item_id_new"),
    )
    rows = []
    for r in joined.iter_rows(named=True):
        pa, pb = r["p_on_time_a"], r["p_on_time_b"]
        difference = None if pa is None or pb is None else pb - pa
        noise = math.hypot(r["p_on_time_se_a"] or 0.0, r["p_on_time_se_b"] or 0.0)
        rows.append(
            {
                "commitment_id": r["commitment_id"],
                "partner_id": r["partner_id"],
                "item_id": r["item_id"],
                "p_on_time_a": pa,
                "p_on_time_b": pb,
                "p_on_time_se_a": r["p_on_time_se_a"],
                "p_on_time_se_b": r["p_on_time_se_b"],
                "difference": difference,
                "beyond_noise": difference is None
                or (abs(difference) > NOISE_SE * noise and abs(difference) > 1e-9),
                "completion_p50_a": _month(r["completion_p50_a"]),
                "completion_p50_b": _month(r["completion_p50_b"]),
            }
        )
    rows.sort(
        key=lambda r: (
            not r["beyond_noise"],
            -abs(1.0 if r["difference"] is None else r["difference"]),
            r["p_on_time_b"] if r["p_on_time_b"] is not None else -1.0,
            r["commitment_id"],
        )
    )
    return rows


def _month(value: Any) -> str | None:
    return month_text(value) if value is not None else None


def _total(rows: list[dict[str, Any]], key: str) -> float:
    return round(sum(r[key] or 0.0 for r in rows), 6)
