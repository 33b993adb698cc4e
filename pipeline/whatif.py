"""The computations the dashboard runs on demand (a budget, a what-if), always on copies, and
the saved what-ifs (scenario files in the scenarios folder the nightly run reads).

Inputs are read from the database read-only and the connection is closed before any solve:
a what-if never holds the file, never writes it, and never changes the baseline. What the
baseline was computed from is read once per version of the database file (its size and
modification time, and its write-ahead log's) and shared by the what-ifs of a process: frozen
dataclasses of polars frames, which nothing changes in place (a scenario is applied to
copies); everything else a what-if builds is its own.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import tomli_w

import optimize
from pipeline.compare import compare_commitments, compare_pools
from pipeline.compute import compute
from pipeline.firmed import firmed_in_force
from pipeline.reference import plan_shipments
from pipeline.scenarios import (
    BASELINE,
    Applied,
    Scenario,
    apply_chain,
    read_scenario,
    read_scenarios,
    resolve_chain,
)
from pipeline.stages import read_demand
from store.dataset import Dataset, default_start, read_dataset
from store.db import connect
from store.defaults import DEFAULT_HORIZON
from store.months import month_text
from store.runs import latest_run
from store.sql import query

__all__ = [
    "BASELINE",
    "BaselineInputs",
    "check_scenario",
    "display_names",
    "investment_choice",
    "investment_under_budget",
    "open_saved_scenario",
    "read_baseline_inputs",
    "run_whatif",
    "save_scenario",
    "saved_scenarios",
    "scenario_from_doc",
    "whatif_applied",
]

TOL = 1e-6


@dataclass(frozen=True)
class BaselineInputs:
    """What the baseline plan was computed from, and the baseline plan's own figures."""

    dataset: Dataset
    demand: Any | None  # forecast.demand.DemandResult
    start: date
    horizon: int
    allocate_run: dict[str, Any] | None
    commitments: pl.DataFrame  # commitment_id, late_unit_months, completion_month, priority
    outlook: pl.DataFrame  # holder_id, item_id, floor_breach_p50, target_reached_p50
    investments: pl.DataFrame  # option_id, chosen, cost_usd, ...
    shipments: pl.DataFrame | None = None  # the baseline plan's, the what-if's reference

    @property
    def weighted_late_unit_months(self) -> float | None:
        if self.allocate_run is None:
            return None
        summary = json.loads(self.allocate_run["summary"] or "{}")
        value = summary.get("allocate", summary).get("weighted_late_unit_months")
        return None if value is None else float(value)


_BASELINE_CACHE: dict[tuple[Any, ...], BaselineInputs] = {}
_BASELINE_LOCK = threading.Lock()


def _file_version(db: str) -> tuple[Any, ...]:
    """The database file's identity and version: resolved path, then size and modification
    time of the file and of its write-ahead log (absent: None)."""
    path = Path(db).resolve()
    out: list[Any] = [str(path)]
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            stat = file.stat()
        except FileNotFoundError:
            out.append(None)
        else:
            out.append((stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(out)


def read_baseline_inputs(db: str) -> BaselineInputs:
    """What the baseline plan was computed from, read again only when the database file has
    changed since (a load, a run, a nightly)."""
    key = _file_version(db)
    with _BASELINE_LOCK:
        cached = _BASELINE_CACHE.get(key)
    if cached is not None:
        return cached
    inputs = _read_baseline_inputs(db)
    if _file_version(db) == key:  # nothing wrote while it was read
        with _BASELINE_LOCK:
            for stale in [k for k in _BASELINE_CACHE if k[0] == key[0]]:
                del _BASELINE_CACHE[stale]
            _BASELINE_CACHE[key] = inputs
    return inputs


def _read_baseline_inputs(db: str) -> BaselineInputs:
    con = connect(db, read_only=True)
    try:
        dataset = read_dataset(con)
        forecast_run = latest_run(con, "forecast")
        allocate_run = latest_run(con, "allocate")
        project_run = latest_run(con, "project")
        demand = read_demand(con, forecast_run["run_id"]) if forecast_run else None
        allocate_id = allocate_run["run_id"] if allocate_run else None
        if allocate_run is not None:
            allocate_run = query(con, "run_by_id", run_id=allocate_id).row(0, named=True)
        commitments = query(con, "commitments_with_plan", run_id=allocate_id)
        outlook = query(
            con, "stock_outlook_for_run", run_id=project_run["run_id"] if project_run else None
        )
        investments = query(con, "expansion_options_with_choice", run_id=allocate_id)
        shipments = plan_shipments(con, allocate_id) if allocate_id else None
    finally:
        con.close()
    if allocate_run is not None:
        start, horizon = allocate_run["start_month"], int(allocate_run["horizon"])
    elif forecast_run is not None:
        start, horizon = forecast_run["start_month"], int(forecast_run["horizon"])
    else:
        start, horizon = default_start(dataset), DEFAULT_HORIZON
    return BaselineInputs(
        dataset, demand, start, horizon, allocate_run, commitments, outlook, investments, shipments
    )


def investment_choice(
    inputs: BaselineInputs, budget: float, firmed: pl.DataFrame | None = None
) -> dict[str, Any]:
    """The expansion options the plan buys under ``budget``, and lateness without and with them
    (``firmed``: the firmed rows the plan honours first)."""
    demand = inputs.demand.forecast if inputs.demand is not None else None
    plan = optimize.allocate(
        inputs.dataset, demand, inputs.start, inputs.horizon, budget=float(budget), firmed=firmed
    )
    chosen = plan.investments.filter(pl.col("chosen"))
    before = plan.weighted_late_before_investment
    return {
        "budget": float(budget),
        "chosen": chosen.get_column("option_id").to_list(),
        "cost_usd": float(chosen.get_column("cost_usd").sum() or 0.0),
        "weighted_late_before": float(
            before if before is not None else plan.weighted_late_unit_months
        ),
        "weighted_late_after": float(plan.weighted_late_unit_months),
    }


def investment_under_budget(db: str, budget: float) -> dict[str, Any] | None:
    """The expansion options in the data (``options``, rows as dicts) and what the plan buys
    under ``budget`` (:func:`investment_choice`); None when the data has no options."""
    inputs = read_baseline_inputs(db)
    if inputs.investments.height == 0:
        return None
    return {
        "options": inputs.investments.to_dicts(),
        **investment_choice(inputs, budget, firmed_in_force(db)),
    }


def scenario_from_doc(doc: dict[str, Any]) -> Scenario:
    """The scenario a form describes, checked by the same reader as a scenario file; raises
    ``InputRejected`` naming the override and field of each problem."""
    with tempfile.TemporaryDirectory(prefix="arsenal-whatif-") as tmp:
        path = Path(tmp) / f"{doc.get('name') or 'what-if'}.toml"
        path.write_bytes(tomli_w.dumps(doc).encode("utf-8"))
        return read_scenario(path)


def whatif_applied(dataset: Dataset, scenario: Scenario, folder: str | Path) -> Applied:
    """``scenario`` and its bases (saved in ``folder``) applied to ``dataset``."""
    library = {}
    if scenario.base != BASELINE:
        library = {k: v for k, v in read_scenarios(folder).items() if k != scenario.name}
    library[scenario.name] = scenario
    return apply_chain(dataset, resolve_chain(scenario.name, library))


def check_scenario(db: str, doc: dict[str, Any], folder: str | Path) -> Applied:
    """The scenario ``doc`` applied to the loaded data, its ids checked; raises
    ``InputRejected`` naming the override and field of each problem."""
    scenario = scenario_from_doc(doc)
    con = connect(db, read_only=True)
    try:
        dataset = read_dataset(con)
    finally:
        con.close()
    return whatif_applied(dataset, scenario, folder)


def saved_scenarios(folder: str | Path) -> list[str]:
    """The names of the scenario files saved in ``folder`` (none when it does not exist)."""
    folder = Path(folder)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def save_scenario(
    db: str, doc: dict[str, Any], folder: str | Path, *, replace: bool = False
) -> Path:
    """Check ``doc`` (:func:`check_scenario`) and write it as ``<folder>/<name>.toml``, at once
    or not at all. Raises ``InputRejected`` when it does not check, ``FileExistsError`` when
    a scenario of that name is saved and ``replace`` is false."""
    check_scenario(db, doc, folder)
    folder = Path(folder)
    path = folder / f"{doc['name']}.toml"
    if path.exists() and not replace:
        raise FileExistsError(path)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, tomli_w.dumps(doc).encode("utf-8"))
    return path


def _write_atomically(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_saved_scenario(folder: str | Path, name: str) -> tuple[str, dict[str, Any]]:
    """The file name and content of the scenario ``name`` saved in ``folder``. Raises
    ``FileNotFoundError`` when there is none, ``ValueError`` (naming the file) when it
    cannot be read."""
    path = Path(folder) / f"{Path(name).name}.toml"
    if not path.is_file():
        raise FileNotFoundError(path.name)
    try:
        with path.open("rb") as fh:
            return path.name, tomllib.load(fh)
    except Exception as exc:
        raise ValueError(f"Cannot read {path.name}: {exc}") from exc


def display_names(dataset: Dataset) -> dict[str, str]:
    """Each partner's, source's (and so holder's) and item's display name, by id; a new line
    a what-if adds brings its own."""
    frames = (
        (dataset.partners, "partner_id"),
        (dataset.sources, "source_id"),
        (dataset.items, "item_id"),
    )
    return {
        ident: name
        for frame, key in frames
        for ident, name in frame.select(key, "name").iter_rows()
        if name
    }


def _measure(label: str, a: float | None, b: float | None) -> dict[str, Any]:
    return {
        "measure": label,
        "baseline": a,
        "scenario": b,
        "difference": None if a is None or b is None else b - a,
    }


def run_whatif(db: str, doc: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """Run the scenario ``doc`` (a scenario file's content) on a copy of the baseline data with
    the baseline's demand forecast, and set it side by side with the stored baseline plan.

    Differences are scenario minus baseline (negative lateness differences are savings), in
    the shapes of ``arsenal compare``.
    """
    t0 = time.perf_counter()
    scenario = scenario_from_doc(doc)
    inputs = read_baseline_inputs(db)
    if inputs.allocate_run is None or inputs.demand is None:
        raise RuntimeError("no baseline plan yet: run 'arsenal run' first")
    applied = whatif_applied(inputs.dataset, scenario, folder)
    # the what-if stays as close to the baseline plan as its changes allow
    result = compute(
        applied,
        inputs.start,
        inputs.horizon,
        demand=inputs.demand,
        reference=inputs.shipments,
        firmed=firmed_in_force(db),
    )
    plan = result.plan

    commitments, promises = compare_commitments(
        inputs.commitments.filter(pl.col("late_unit_months").is_not_null()), plan.commitments
    )
    became_late, became_on_time = promises["became_late"], promises["became_on_time"]
    pools = compare_pools(inputs.outlook, result.outlook)

    chosen_a = inputs.investments.filter(pl.col("chosen").fill_null(False))
    chosen_b = plan.investments.filter(pl.col("chosen"))
    cost_a = float(chosen_a.get_column("cost_usd").sum() or 0.0)
    cost_b = float(chosen_b.get_column("cost_usd").sum() or 0.0) + float(applied.cost_usd)
    late_a = sum(c["late_unit_months_a"] or 0.0 for c in commitments)
    late_b = sum(c["late_unit_months_b"] or 0.0 for c in commitments)
    count_a = sum(1 for c in commitments if (c["late_unit_months_a"] or 0.0) > TOL)
    count_b = sum(1 for c in commitments if (c["late_unit_months_b"] or 0.0) > TOL)
    breach_a = sum(1 for p in pools if p["floor_breach_p50_a"])
    breach_b = sum(1 for p in pools if p["floor_breach_p50_b"])
    return {
        "name": scenario.name,
        "base": scenario.base,
        "baseline_run": inputs.allocate_run["run_id"],
        "start": month_text(inputs.start),
        "horizon": inputs.horizon,
        "status": plan.status,
        "measures": [
            _measure(
                "Weighted late unit-months",
                inputs.weighted_late_unit_months,
                float(plan.weighted_late_unit_months),
            ),
            _measure("Late unit-months", late_a, late_b),
            _measure("Late promises", float(count_a), float(count_b)),
            _measure("Stocks below floor by P50", float(breach_a), float(breach_b)),
            _measure("Cost (USD)", cost_a, cost_b),
        ],
        "became_late": became_late,
        "became_on_time": became_on_time,
        "commitments": commitments,
        "pools": pools,
        "investments_b": chosen_b.get_column("option_id").to_list(),
        "names": display_names(applied.dataset),
        "seconds": round(time.perf_counter() - t0, 3),
    }
