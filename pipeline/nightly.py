"""The nightly run: baseline and every saved scenario, then the report in ``DIR/YYYY-MM-DD/``.

This module runs and commits; the report is rendered by a ``ReportWriter`` the caller passes
in (``reports.nightly.NightlyReport`` for ``arsenal nightly``), so nothing here imports the
rendering floor above it.

Safe under cron:

- all pipelines are computed in memory first; their results are written in ONE database
  transaction, and the report is built (from the database, through that transaction) in a
  hidden temporary folder next to the final one. Only when the report (and its PDF) is
  complete does the transaction commit and the folder get renamed into place. A run killed
  at any point before the commit leaves the database and the previous report as they were.
- a rerun of the same night with the same inputs (data hash, code version, scenario files,
  start, horizon, paths, seed) does nothing; with changed inputs (or ``--force``) it writes a
  new report, keeping the earlier one as ``YYYY-MM-DD.vN``, and compares with the night
  before (with the earlier version when there is no night before).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from forecast.demand import forecast_demand
from forecast.projection import consumption_paths
from optimize.tradeoff import tradeoff
from pipeline.compute import (
    PipelineResult,
    PlanSettings,
    checkpoint,
    content_hash,
    pipeline_result,
    plan_stage,
    project_stage,
    write_pipeline,
)
from pipeline.dask_engine import DaskEngine
from pipeline.firmed import firmed_in_force
from pipeline.reference import base_scenario, stored_reference
from pipeline.scenarios import (
    BASELINE,
    Applied,
    Scenario,
    apply_chain,
    apply_demand,
    read_scenario,
    resolve_chain,
)
from pipeline.simulate_stage import simulation_model, write_simulation
from pipeline.simulation import SimulationResult, run_simulation
from pipeline.stages import previous_baseline_forecast
from pipeline.summary import budget_curves
from pipeline.tradeoff import tradeoff_json
from pipeline.version import code_version
from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect, transaction
from store.defaults import DEFAULT_HORIZON, DEFAULT_PATHS, DEFAULT_SEED
from store.errors import InputRejected
from store.months import month_text
from store.sql import query

__all__ = [
    "Failure",
    "Night",
    "NightlyOptions",
    "NightlyOutcome",
    "ReportWriter",
    "run_nightly",
]

log = logging.getLogger(__name__)

STAGE_MODULES = ("pipeline.compute", "forecast.demand", "optimize.solve")
"""What the night's tasks run: imported on each worker as soon as the engine is up."""
PLAN_PRIORITY, CURVE_PRIORITY = 2, -1
"""A worker that comes free takes a plan before a projection (the scenarios built on that
plan wait for it) and the trade-off curve last (nothing waits for it). Dask runs the higher
first among the tasks ready; the projections keep its default, 0."""


@dataclass(frozen=True)
class Failure:
    """A scenario the night could not run, and why (in the report, summary.json and log)."""

    scenario: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"scenario": self.scenario, "reason": self.reason}


@dataclass(frozen=True)
class Night:
    """What a night computed and committed, as the report writer reads it: the database
    (inside the night's transaction), the data set, the results (baseline first) and their
    run ids."""

    con: Connection
    dataset: Dataset
    results: list[PipelineResult]
    run_ids: dict[str, str]
    night: date
    data_hash: str | None
    inputs_key: str
    previous: dict[str, Any] | None
    elapsed: float
    failures: tuple[Failure, ...] = ()
    budget_curves: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tradeoff: dict[str, Any] | None = None
    """The baseline's frontier between US rebuild and partner readiness (``arsenal tradeoff
    --json``'s shape), or ``{"error": why}``; None: not asked for."""
    promise_odds: SimulationResult | dict[str, str] | None = None
    """The baseline's futures of supply (``arsenal simulate``), ``{"error": why}``,
    ``{"skipped": why}``, or None: not asked for."""
    promise_odds_run_id: str | None = None


@dataclass(frozen=True)
class NightlyOutcome:
    """Where the night's report is, and the scenarios that failed (none: a complete night)."""

    folder: Path
    failures: tuple[Failure, ...] = ()


class ReportWriter(Protocol):
    def write(self, night: Night, folder: Path) -> dict[str, Any]:
        """Write the report into ``folder``; return its summary (``summary.json``)."""
        ...

    def write_pdf(self, folder: Path) -> None:
        """Print ``folder``'s report to PDF."""
        ...


@dataclass(frozen=True)
class NightlyOptions:
    db: str
    out: Path
    scenarios: Path | None = None
    night: date = field(default_factory=lambda: datetime.now(UTC).date())
    start: date | None = None
    horizon: int = DEFAULT_HORIZON
    paths: int = DEFAULT_PATHS
    seed: int = DEFAULT_SEED
    pdf: bool = True
    force: bool = False
    tradeoff_points: int = 5
    """Points of the baseline's trade-off curve in the report (0: none)."""
    promise_samples: int = 200
    """Futures of the baseline's supply drawn for each promise's P(on time) (0: none)."""
    workers: int | None = None
    """Dask workers of the night's local cluster (None: the cores): the forecast's series, each
    run's plan and projection, and the promises' futures run there."""
    scheduler: str | None = None
    """An existing Dask scheduler for all of them instead (``tcp://HOST:PORT``)."""


def _inputs_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _previous_summary(out: Path, night: date) -> dict[str, Any] | None:
    """The summary of the latest complete report before ``night``; with none, that of an
    earlier run of the same night (a rebuild compares with what it replaces)."""
    found = []
    for folder in out.iterdir() if out.exists() else []:
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if day <= night and (folder / "summary.json").is_file():
            found.append(day)
    earlier = [d for d in found if d < night] or found
    if not earlier:
        return None
    return json.loads((out / max(earlier).isoformat() / "summary.json").read_text())


def _committed(con: Connection, folder: Path) -> bool:
    """Whether ``folder`` is a complete report whose runs the database holds (a run killed
    after its commit and before its rename left it behind)."""
    summary = folder / "summary.json"
    if not summary.is_file():
        return False
    try:
        runs = json.loads(summary.read_text()).get("runs", [])
    except json.JSONDecodeError:
        return False
    found = [query(con, "run_by_id", run_id=r.get("run_id", "")) for r in runs]
    return bool(runs) and all(f.height and f.item(0, "status") == "ok" for f in found)


def _recover_partials(out: Path, con: Connection) -> None:
    """Put into place a report whose results were committed but which was not renamed yet;
    remove any other partial folder (its results were never committed)."""
    for stale in sorted(out.glob(".*.partial-*")):
        night = stale.name[1:].split(".partial-", 1)[0]
        if _committed(con, stale):
            log.info("recovering the report of %s committed by an interrupted run", night)
            _move_into_place(stale, out / night)
        else:
            log.info("removing %s left by an interrupted run", stale.name)
            shutil.rmtree(stale, ignore_errors=True)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _scenario_files(
    folder: Path | None,
) -> tuple[dict[str, Scenario], dict[str, str], list[Failure]]:
    """The readable scenarios by name, every file's hash (readable or not, so a fixed file
    changes the inputs key), and a failure for each file that cannot be read."""
    if folder is None or not folder.is_dir():
        return {}, {}, []
    library: dict[str, Scenario] = {}
    hashes: dict[str, str] = {}
    failures: list[Failure] = []
    for path in sorted(folder.glob("*.toml")):
        digest = _file_hash(path)
        try:
            scenario = read_scenario(path)
        except InputRejected as exc:
            failures.append(Failure(path.stem, f"rejected: {exc}"))
            hashes[f"unreadable:{path.name}"] = digest
            continue
        if scenario.name == BASELINE or scenario.name in library:
            failures.append(
                Failure(scenario.name, f"{path.name}: the name {scenario.name!r} is already taken")
            )
            hashes[f"unreadable:{path.name}"] = digest
            continue
        library[scenario.name] = scenario
        hashes[scenario.name] = digest
    return library, hashes, failures


def _tradeoff_stage(
    applied: Applied, start: date, horizon: int, demand: _Demand, points: int
) -> tuple[dict[str, Any], float]:
    """The baseline's trade-off curve over its own data and forecast (JSON) and its seconds:
    an engine task, beside the plans (it needs the forecast, not the plan)."""
    t0 = time.perf_counter()
    dataset, _ = applied.for_start(start)
    forecast = apply_demand(demand.forecast, applied.demand)
    curve = tradeoff(dataset, forecast, start, horizon, points)
    return tradeoff_json(curve), time.perf_counter() - t0


def _baseline_tradeoff(engine: DaskEngine, task: Any, points: int) -> dict[str, Any] | None:
    """The curve's task's result; a failure is reported in the report, never a reason to
    lose the night."""
    if task is None:
        return None
    try:
        curve, seconds = engine.result(task, "the trade-off curve")
    except Exception as exc:  # reported, not raised: the plans are what the night is for
        log.warning("the trade-off curve failed: %s: %s", type(exc).__name__, exc)
        return {"error": f"{type(exc).__name__}: {exc}"}
    log.info("trade-off curve: %d points in %.1f s (on the engine)", points, seconds)
    return curve


def _promise_odds(
    applied: Applied, baseline: PipelineResult, opts: NightlyOptions, engine: DaskEngine
) -> SimulationResult | dict[str, str] | None:
    """How likely each baseline promise is to be kept when supply slips: the simulation of
    ``arsenal simulate`` over the baseline; a failure costs the night only this section."""
    if opts.promise_samples <= 0:
        return None
    try:
        model, rules = simulation_model(
            applied, baseline.forecast, baseline.start, opts.horizon, baseline.firmed
        )
        if rules.height == 0:
            return {"skipped": "the data has no uncertainty rules (uncertainty.csv)"}
        log.info("baseline: %d futures of supply for the promises' odds", opts.promise_samples)
        paths = consumption_paths(
            applied.for_start(baseline.start)[0],
            baseline.models,
            baseline.start,
            opts.horizon,
            opts.promise_samples,
            opts.seed,
        )
        return run_simulation(
            model,
            rules,
            samples=opts.promise_samples,
            seed=opts.seed,
            engine=engine,
            criticality_samples=min(50, opts.promise_samples),
            demand_paths=paths,
        )
    except Exception as exc:
        log.exception("the promises' odds could not be computed")
        return {"error": f"{type(exc).__name__}: {exc}"}


def _failed_base(name: str, library: dict[str, Scenario], failed: set[str]) -> str | None:
    """The first base down ``name``'s chain that failed before it could be read (None: no
    such base; an unknown base or a cycle is ``resolve_chain``'s to report)."""
    seen: set[str] = set()
    base = library[name].base
    while base != BASELINE and base not in seen:
        if base in failed and base not in library:
            return base
        if base not in library:
            return None
        seen.add(base)
        base = library[base].base
    return None


def _apply_all(
    dataset: Dataset, library: dict[str, Scenario], failures: list[Failure]
) -> dict[str, Applied]:
    """The baseline and every scenario applied to a copy of the data, bases before the
    scenarios built on them; a scenario that cannot be applied (an unknown id, a missing or
    failed base) is added to ``failures`` and left out."""
    applied = {BASELINE: Applied(dataset=dataset)}
    failed = {f.scenario for f in failures}
    chains: dict[str, list[Scenario]] = {}
    for name in sorted(library):
        bad_base = _failed_base(name, library, failed)
        if bad_base is not None:
            failures.append(Failure(name, f"skipped: its base {bad_base!r} failed"))
            continue
        try:
            chains[name] = resolve_chain(name, library)
        except InputRejected as exc:
            failures.append(Failure(name, f"rejected: {exc}"))
            failed.add(name)
    for name in sorted(chains, key=lambda n: (len(chains[n]), n)):
        bad_base = next((s.name for s in chains[name][:-1] if s.name in failed), None)
        if bad_base is not None:
            failures.append(Failure(name, f"skipped: its base {bad_base!r} failed"))
            failed.add(name)
            continue
        try:
            applied[name] = apply_chain(dataset, chains[name])
        except InputRejected as exc:
            failures.append(Failure(name, f"rejected against the loaded data: {exc}"))
            failed.add(name)
    return applied


def run_nightly(opts: NightlyOptions, report: ReportWriter) -> NightlyOutcome:
    """Run the night and write its report with ``report``; returns the report folder (already
    there when nothing changed)."""
    t_start = time.perf_counter()
    out = opts.out
    out.mkdir(parents=True, exist_ok=True)
    final = out / opts.night.isoformat()
    con = connect(opts.db)
    try:
        _recover_partials(out, con)
        dataset = read_dataset(con)
        data_hash = content_hash(con)
        start = opts.start or default_start(dataset)
        library, file_hashes, failures = _scenario_files(opts.scenarios)
        key = _inputs_key(
            {
                "data": data_hash,
                "code": code_version(),
                "scenarios": file_hashes,
                "start": month_text(start),
                "horizon": opts.horizon,
                "paths": opts.paths,
                "seed": opts.seed,
                "pdf": opts.pdf,
                "tradeoff_points": opts.tradeoff_points,
                "promise_samples": opts.promise_samples,
            }
        )
        done = final / "summary.json"
        if (
            not opts.force
            and done.is_file()
            and json.loads(done.read_text()).get("inputs_key") == key
        ):
            log.info(
                "the report for %s is already written with the same inputs: nothing to do",
                opts.night,
            )
            earlier = json.loads(done.read_text()).get("failed_scenarios", [])
            return NightlyOutcome(final, tuple(Failure(**f) for f in earlier))
        applied = _apply_all(dataset, library, failures)
        log.info(
            "night %s: baseline and %d scenario(s) from %s",
            opts.night,
            len(library),
            month_text(start),
        )

        with DaskEngine(opts.scheduler, opts.workers) as engine:
            results, curve = _compute_all(con, applied, start, opts, file_hashes, failures, engine)
            odds = _promise_odds(applied[BASELINE], results[0], opts, engine)
            frontier = _baseline_tradeoff(engine, curve, opts.tradeoff_points)
        curves = budget_curves(results)
        for f in failures:
            log.error("scenario %s failed: %s", f.scenario, f.reason)
        checkpoint("nightly:computed")
        partial = out / f".{opts.night.isoformat()}.partial-{datetime.now(UTC):%H%M%S%f}"
        try:
            with transaction(con):
                run_ids = {r.scenario: write_pipeline(con, r, data_hash) for r in results}
                odds_run = (
                    write_simulation(
                        con, odds, start, opts.horizon, BASELINE, data_hash, odds.seconds
                    )
                    if isinstance(odds, SimulationResult)
                    else None
                )
                checkpoint("nightly:written")
                partial.mkdir()
                night = Night(
                    con,
                    dataset,
                    results,
                    run_ids,
                    night=opts.night,
                    data_hash=data_hash,
                    inputs_key=key,
                    previous=_previous_summary(out, opts.night),
                    elapsed=time.perf_counter() - t_start,
                    failures=tuple(failures),
                    budget_curves=curves,
                    tradeoff=frontier,
                    promise_odds=odds,
                    promise_odds_run_id=odds_run,
                )
                summary = report.write(night, partial)
                checkpoint("nightly:report")
                if opts.pdf:
                    report.write_pdf(partial)
                    checkpoint("nightly:pdf")
            checkpoint("nightly:committed")
            _move_into_place(partial, final)
        finally:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)
        log.info(
            "report for %s written to %s in %.1f s (baseline %s)",
            opts.night,
            final,
            time.perf_counter() - t_start,
            summary["runs"][0]["run_id"],
        )
        return NightlyOutcome(final, tuple(failures))
    finally:
        con.close()


def _move_into_place(partial: Path, final: Path) -> None:
    """``partial`` becomes the night's report; an earlier report of the same night is kept
    beside it as ``YYYY-MM-DD.vN`` (N counting up), never overwritten."""
    if final.exists():
        versions = [
            int(p.name.rsplit(".v", 1)[1])
            for p in final.parent.glob(f"{final.name}.v*")
            if p.name.rsplit(".v", 1)[1].isdigit()
        ]
        final.rename(final.with_name(f"{final.name}.v{max(versions, default=0) + 1}"))
    partial.rename(final)


def _compute_all(
    con: Connection,
    applied: dict[str, Applied],
    start: date,
    opts: NightlyOptions,
    file_hashes: dict[str, str],
    failures: list[Failure],
    engine: DaskEngine,
) -> tuple[list[PipelineResult], Any]:
    """The baseline (its failure fails the night), then each scenario, on the engine: the
    demand forecast once (its series spread over the workers), then one plan task and one
    projection task per run, each plan task waiting for the plan of its base (a scenario stays
    close to its base's plan of tonight; the baseline to the previous night's), and the
    baseline's trade-off curve as a task of its own beside them. A scenario that fails is
    recorded in ``failures`` and the scenarios built on it are skipped. Returns the results
    and the curve's task (None: no curve)."""
    horizon = opts.horizon
    warming = engine.warm(STAGE_MODULES)
    previous = previous_baseline_forecast(con, start, horizon)
    reference_run, reference = stored_reference(con, None, applied[BASELINE])
    t0 = time.perf_counter()
    log.info("baseline: demand forecast from %s", month_text(start))
    dataset, _ = applied[BASELINE].for_start(start)
    demand = forecast_demand(
        dataset,
        start,
        horizon,
        previous=previous,
        progress=False,
        workers=engine.workers,
        executor=engine.executor(),
    )
    forecast_seconds = time.perf_counter() - t0
    checkpoint("pipeline:forecast")
    # a worker still importing the stages in its task thread while the scattered data is
    # unpickled (importing the same modules) in its event loop can see a module half imported
    engine.wait(warming)
    shared = engine.client.scatter(_Demand(demand.models, demand.forecast), broadcast=True)
    # each run's data (and the stored reference plan) sent once and named in its tasks:
    # embedded, it went with every task (the 10x night: a 51 MiB task graph, and Dask's
    # warning about it, per plan)
    failed = {f.scenario for f in failures}
    data = {
        name: engine.client.scatter(scenario, hash=False)
        for name, scenario in applied.items()
        if name not in failed
    }
    if reference is not None:
        reference = engine.client.scatter(reference, hash=False)
    settings = PlanSettings(firmed=firmed_in_force(opts.db))
    plans: dict[str, Any] = {}
    projections: dict[str, Any] = {}
    curve = None
    for name, scenario in applied.items():
        if name in failed:
            continue
        # the baseline stays close to a stored plan; a scenario to its base's plan tonight
        task, near = (
            (plan_stage, reference)
            if name == BASELINE
            else (_plan_near, plans.get(base_scenario(scenario) or BASELINE))
        )
        plans[name] = engine.submit(
            task,
            data[name],
            start,
            horizon,
            shared,
            near,
            settings,
            priority=PLAN_PRIORITY,
            key=_task_key("plan"),
        )
        projections[name] = engine.submit(
            _project,
            data[name],
            start,
            horizon,
            shared,
            plans[name],
            opts.paths,
            opts.seed,
            key=_task_key("projection"),
        )
        if name == BASELINE and opts.tradeoff_points >= 2:
            curve = engine.submit(
                _tradeoff_stage,
                data[name],
                start,
                horizon,
                shared,
                opts.tradeoff_points,
                priority=CURVE_PRIORITY,
                key=_task_key("tradeoff"),
            )
    results = []
    for name, scenario in applied.items():
        if name in failed:
            continue
        bad_base = next((n for n in scenario.chain[:-1] if n in failed), None)
        if bad_base is not None:
            failures.append(Failure(name, f"skipped: its base {bad_base!r} failed"))
            failed.add(name)
            continue
        try:
            plan, plan_seconds = engine.result(plans[name], f"the plan of {name}")
            projected, project_seconds = engine.result(
                projections[name], f"the stock projection of {name}"
            )
        except Exception as exc:
            if name == BASELINE:
                raise
            log.debug("scenario %s failed", name, exc_info=True)
            failures.append(Failure(name, f"{type(exc).__name__}: {exc}"))
            failed.add(name)
            continue
        timings = {
            "forecast": forecast_seconds if name == BASELINE else 0.0,
            "plan": plan_seconds,
            "project": project_seconds,
        }
        files = {n: file_hashes[n] for n in scenario.chain}
        r = pipeline_result(
            scenario, start, horizon, demand, plan, projected, timings, files, settings.firmed
        )
        results.append(replace(r, reference_run_id=reference_run) if name == BASELINE else r)
        log.info(
            "%s: plan %.1f s, projection %.1f s (on the engine)",
            name,
            plan_seconds,
            project_seconds,
        )
    return results, curve


def _task_key(kind: str) -> str:
    """A task's Dask key: ``kind`` and a unique tail. Dask learns how long a kind of task
    takes from the first of its kind to finish, and moves a waiting task to an idle worker
    only when it expects the busy one to stay busy: the baseline's plan and a scenario's
    are one kind, so when the baseline's plan is done, the baseline's projection waiting
    behind a scenario's plan can move to the worker the curve leaves."""
    return f"{kind}-{uuid.uuid4().hex}"


def _plan_near(
    applied: Applied,
    start: date,
    horizon: int,
    demand: _Demand,
    base: tuple[Any, float] | None,
    settings: PlanSettings,
) -> tuple[Any, float]:
    """A scenario's plan, staying close to its base's plan of tonight. One task, not one for
    the base's shipments and one for the plan: when the base's plan is done, its projection
    and this plan are ready together and a worker takes the plan first (``PLAN_PRIORITY``)."""
    reference = None if base is None else base[0].shipments
    return plan_stage(applied, start, horizon, demand, reference, settings)


def _project(
    applied: Applied,
    start: date,
    horizon: int,
    demand: _Demand,
    planned: tuple[Any, float],
    paths: int,
    seed: int,
) -> tuple[Any, float]:
    return project_stage(applied, start, horizon, demand, planned[0], paths, seed)


@dataclass(frozen=True)
class _Demand:
    """The baseline's unscaled forecast, shared by every scenario of the night."""

    models: pl.DataFrame
    forecast: pl.DataFrame
