"""Warm re-solves of sampled futures (``optimize.resolve``) against models built afresh.

The second formulation here is the data: a future (capacity, lead times, consumption) is
also written into the data set itself (capacity rows shifted and scaled, eligibility lead
times lengthened, the forecast scaled), and that data set is planned from scratch with
``allocate``. The warm re-solve must reach the same stage-1 optimum, whichever way it moved
the coefficients.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from optimize_helpers import START, base_tables, commitment, make_dataset, month

import optimize.blocks
import optimize.resolve as resolve
from optimize import allocate
from optimize.model import build_model
from optimize.resolve import SampleSolver, line_capacity, neutral_future
from optimize.sets import build_model_data
from optimize.solve import solve

H = 12

SOURCES = [
    {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"},
    {"source_id": "PLANT", "name": "plant", "kind": "us_production", "country": "USA"},
    {"source_id": "ALLY", "name": "ally", "kind": "allied_production", "country": "DEU"},
]


def tables(rockets_apart: bool = False) -> dict:
    """``rockets_apart``: rockets in a category of their own, so no absorption limit ties
    them to shells and the model falls into two independent blocks."""
    t = base_tables(items=("SHELL", "ROCKET"))
    if rockets_apart:
        t["items"] = [
            r | {"category": "rockets"} if r["item_id"] == "ROCKET" else r for r in t["items"]
        ]
    t["sources"] = SOURCES
    t["capacity"] = [
        {"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 40.0},
        {"source_id": "PLANT", "item_id": "SHELL", "month": month(4), "units": 90.0},
        {"source_id": "ALLY", "item_id": "SHELL", "month": month(1), "units": 20.0},
        {"source_id": "PLANT", "item_id": "ROCKET", "month": month(2), "units": 10.0},
        {"source_id": "PLANT", "item_id": "ROCKET", "month": month(6), "units": 30.0},
    ]
    t["stockpiles"] = [
        {
            "holder_id": "DEPOT",
            "item_id": "SHELL",
            "as_of": date(2025, 12, 1),
            "units": 300.0,
            "floor_units": 100.0,
        },
        {
            "holder_id": "UKR",
            "item_id": "SHELL",
            "as_of": date(2025, 12, 1),
            "units": 50.0,
            "floor_units": 80.0,
        },
    ]
    t["eligibility"] = [
        {
            "source_id": "*",
            "partner_id": "*",
            "item_id": "*",
            "allowed": True,
            "lead_time_months": 1,
            "reason": "t",
        },
        {
            "source_id": "ALLY",
            "partner_id": "POL",
            "item_id": "*",
            "allowed": True,
            "lead_time_months": 2,
            "reason": "t",
        },
    ]
    t["absorption"] = [{"partner_id": "UKR", "category": "ammo", "units_per_month": 120.0}]
    t["commitments"] = [
        commitment("C1", "UKR", "SHELL", 400, 3, priority=1),
        commitment("C2", "POL", "SHELL", 300, 5, priority=2),
        commitment("C3", "UKR", "ROCKET", 60, 4, priority=1),
        commitment("C4", "POL", "ROCKET", 90, 8, priority=3),
    ]
    return t


def demand() -> pl.DataFrame:
    months = [month(k) for k in range(1, H + 1)]
    return pl.DataFrame(
        {
            "holder_id": ["DEPOT"] * H + ["UKR"] * H,
            "item_id": ["SHELL"] * (2 * H),
            "month": months * 2,
            "mean": [15.0] * H + [25.0] * H,
        }
    )


def model_of(dataset, forecast):  # noqa: ANN001, ANN201
    return build_model(build_model_data(dataset, forecast, START, H))


def future_as_data(
    delay: dict[tuple[str, str], int],
    factor: dict[tuple[str, str], float],
    extra: int,
    demand_factor: float,
    rockets_apart: bool = False,
) -> tuple:
    """The same future written into the data set (an independent path to the model)."""
    t = tables(rockets_apart)
    rows = []
    for r in t["capacity"]:
        key = (r["source_id"], r["item_id"])
        k = (r["month"].year - START.year) * 12 + r["month"].month - START.month + 1
        shifted = month(k + delay.get(key, 0)) if k > 1 else r["month"]
        rows.append(r | {"month": shifted, "units": r["units"] * factor.get(key, 1.0)})
    t["capacity"] = rows
    t["eligibility"] = [
        r | {"lead_time_months": r["lead_time_months"] + extra} for r in t["eligibility"]
    ]
    forecast = demand().with_columns(pl.col("mean") * demand_factor)
    return make_dataset(**t), forecast


def future_of(model, delay, factor, extra, demand_factor):  # noqa: ANN001, ANN201
    """The same future in the model's terms (what ``pipeline.futures`` produces)."""
    lines, grid = line_capacity(model)
    base = neutral_future(model)
    cap = grid.copy()
    for row in lines.iter_rows(named=True):
        key = (row["source_id"], row["item_id"])
        d = delay.get(key, 0)
        cap[row["l"]] = grid[row["l"], np.maximum(np.arange(H) - d, 0)] * factor.get(key, 1.0)
    return dataclasses.replace(
        base,
        capacity=cap,
        consumption=base.consumption * demand_factor,
        partner_consumption=base.partner_consumption * demand_factor,
        route_extra=np.full(base.route_extra.size, extra),
        sustain_extra=np.full(base.sustain_extra.size, extra),
    )


FUTURES = [
    ({}, {}, 0, 1.0),
    ({("PLANT", "SHELL"): 3}, {}, 0, 1.0),
    ({}, {("PLANT", "SHELL"): 0.5, ("ALLY", "SHELL"): 1.3}, 0, 1.0),
    ({}, {}, 2, 1.0),
    ({("PLANT", "ROCKET"): 2}, {("PLANT", "SHELL"): 0.7}, 1, 1.4),
    ({("PLANT", "SHELL"): 5, ("PLANT", "ROCKET"): 4}, {("ALLY", "SHELL"): 0.0}, 3, 0.5),
]


def _by_blocks(model, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Solve ``model`` by its independent blocks (``optimize.blocks``), each item alone."""
    monkeypatch.setattr(optimize.blocks, "BLOCK_COLUMNS", 0)
    monkeypatch.setattr(optimize.blocks, "MIN_BLOCK_COLUMNS", 1)
    start, index, value = model.lp.csc()
    matrix = sp.csc_matrix((value, index, start), shape=(model.lp.num_row, model.lp.num_col))
    assert optimize.blocks.blocks_of(matrix).max() >= 1


@pytest.mark.parametrize(
    "path", ["changeCoeff", "passModel", "blocks"], ids=["changeCoeff", "passModel", "blocks"]
)
def test_warm_future_equals_the_data_planned_afresh(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolve, "COEFF_CALLS", 10**9 if path == "changeCoeff" else 0)
    apart = path == "blocks"
    base = make_dataset(**tables(apart))
    model = model_of(base, demand())
    if apart:
        _by_blocks(model, monkeypatch)
    solver = SampleSolver(model)
    assert (solver.blocks is not None) == (path == "blocks")
    for delay, factor, extra, dem in FUTURES:
        warm = solver.solve(future_of(model, delay, factor, extra, dem))
        dataset, forecast = future_as_data(delay, factor, extra, dem, apart)
        fresh = allocate(dataset, forecast, START, H)
        assert warm.objective == pytest.approx(fresh.stages[0][1], rel=1e-9, abs=1e-6), (
            delay,
            factor,
            extra,
        )
        late = fresh.commitments.sort("commitment_id").get_column("late_unit_months").to_numpy()
        weights = model.data.commitments.get_column("weight").to_numpy()
        assert float(weights @ warm.late) == pytest.approx(float(weights @ late), abs=1e-6)


@pytest.mark.parametrize("by_blocks", [False, True], ids=["whole", "blocks"])
def test_neutral_future_reproduces_the_deterministic_plan(
    by_blocks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_of(make_dataset(**tables(by_blocks)), demand())
    if by_blocks:
        _by_blocks(model, monkeypatch)
    plan = solve(model)
    solver = SampleSolver(model)
    assert np.array_equal(solver.baseline_x, plan.x)
    again = solver.solve(neutral_future(model))
    assert again.objective == plan.stages[0][1]
    # after other futures, the neutral one still comes back the same (the basis is the base's)
    solver.solve(future_of(model, *FUTURES[-1]))
    assert np.array_equal(solver.solve(neutral_future(model)).arrived, again.arrived)


def test_fixed_plan_is_feasible_and_never_better_than_replanning() -> None:
    model = model_of(make_dataset(**tables()), demand())
    solver = SampleSolver(model)
    neutral = solver.execute(neutral_future(model))
    assert neutral.objective == pytest.approx(solver.baseline.objective, rel=1e-9)
    rng = np.random.default_rng(5)
    lines, _ = line_capacity(model)
    for _ in range(25):
        delay = {
            (r["source_id"], r["item_id"]): int(rng.integers(0, 5))
            for r in lines.iter_rows(named=True)
        }
        factor = {
            (r["source_id"], r["item_id"]): float(rng.uniform(0.3, 1.2))
            for r in lines.iter_rows(named=True)
        }
        future = future_of(
            model, delay, factor, int(rng.integers(0, 3)), float(rng.uniform(0.5, 1.5))
        )
        fixed = solver.execute(future)
        replan = solver.solve(future)
        assert replan.objective <= fixed.objective * (1 + 1e-9) + 1e-6
        # the executed plan keeps the model's rules: arrivals never above the backlog, cumulative
        backlog = model.data.commitments.get_column("backlog").to_numpy()
        assert (np.diff(fixed.arrived, axis=1) >= -1e-9).all()
        assert (fixed.arrived <= backlog[:, None] + 1e-6).all()
