"""Stage 0: firmed shipments and pinned completions, worked out by hand.

One plant makes 10 shells a month (months 1..3). C1 (Ukraine, priority 1, weight 16) and C2
(Poland, priority 5, weight 1) each want 10 in month 1. Left alone, the plan serves C1 in
month 1 and C2 in month 2: C2 is 10 unit-months late, weighted 10.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from optimize_helpers import START, base_tables, commitment, make_dataset, month

from optimize import allocate, check_plan
from optimize.firmed import FIRMED_SCHEMA
from store.dataset import Dataset

PLANT = {"source_id": "PLANT", "name": "plant", "kind": "us_production", "country": "USA"}


def plant_data(first_month: int = 1) -> Dataset:
    return make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[
            {"source_id": "PLANT", "item_id": "SHELL", "month": month(first_month), "units": 10.0}
        ],
        commitments=[
            commitment("C1", "UKR", "SHELL", 10, 1, priority=1),
            commitment("C2", "POL", "SHELL", 10, 1, priority=5),
        ],
    )


def firmed(*rows: dict) -> pl.DataFrame:
    base = {"source_id": "PLANT", "commitment_id": None, "partner_id": "POL", "item_id": "SHELL"}
    return pl.DataFrame(
        [{"firm_id": k + 1, **base, **r} for k, r in enumerate(rows)],
        schema=FIRMED_SCHEMA,
    )


def plan_of(ds: Dataset, rows: pl.DataFrame | None):  # noqa: ANN201
    plan = allocate(ds, None, START, 3, firmed=rows)
    problems = check_plan(ds, None, START, 3, plan, firmed=rows)
    assert problems == [], problems
    return plan


def shipped(plan, cid: str) -> dict[date, float]:  # noqa: ANN001
    rows = plan.shipments.filter(pl.col("commitment_id") == cid)
    return dict(zip(rows.get_column("month"), rows.get_column("units"), strict=True))


def test_without_firmed_rows_priority_decides_and_there_is_no_stage_0() -> None:
    plan = plan_of(plant_data(), None)
    assert plan.weighted_late_unit_months == pytest.approx(10)
    assert shipped(plan, "C2") == {month(2): 10}
    assert [n for n, _ in plan.stages][0] == "lateness"
    assert plan.firmed.height == 0


def test_a_firmed_shipment_outranks_lateness() -> None:
    """Firming 10 to Poland in month 1 (for C2) moves C1 to month 2: 10 unit-months at
    weight 16 = 160, the price of keeping the firmed row."""
    plan = plan_of(
        plant_data(),
        firmed({"kind": "shipment", "commitment_id": "C2", "month": "2026-01", "units": 10}),
    )
    assert dict(plan.stages)["firmed"] == pytest.approx(0)
    assert plan.stages[0][0] == "firmed"
    assert shipped(plan, "C2") == {month(1): 10}
    assert shipped(plan, "C1") == {month(2): 10}
    assert plan.weighted_late_unit_months == pytest.approx(160)
    assert plan.firmed.get_column("missing_units").to_list() == [0.0]


def test_a_firmed_shipment_for_any_promise_of_the_partner_counts_its_promises() -> None:
    plan = plan_of(plant_data(), firmed({"kind": "shipment", "month": "2026-01", "units": 4}))
    assert shipped(plan, "C2").get(month(1)) == pytest.approx(4)
    # C1 gets the other 6 in month 1 and 4 in month 2: 4 unit-months at 16; C2's 6 in month 2
    assert plan.weighted_late_unit_months == pytest.approx(4 * 16 + 6)


def test_a_pinned_completion_is_kept_by_its_month() -> None:
    pinned = firmed(
        {"kind": "completion_pin", "commitment_id": "C2", "month": "2026-01", "units": 10}
    )
    plan = plan_of(plant_data(), pinned)
    assert shipped(plan, "C2") == {month(1): 10}
    assert plan.weighted_late_unit_months == pytest.approx(160)
    # pinned to month 2, where the plan completes it anyway: nothing changes
    later = pinned.with_columns(pl.lit("2026-02").alias("month"))
    assert plan_of(plant_data(), later).weighted_late_unit_months == pytest.approx(10)


def test_a_firmed_row_that_cannot_be_kept_is_a_shortfall_not_an_infeasible_model() -> None:
    """The plant's first output comes in month 2 (a slip): the 10 firmed for month 1 cannot
    ship. The plan is still made, with 10 of 10 missing; lateness is then as without it."""
    plan = plan_of(
        plant_data(first_month=2),
        firmed({"kind": "shipment", "commitment_id": "C2", "month": "2026-01", "units": 10}),
    )
    assert plan.firmed.get_column("missing_units").to_list() == [10.0]
    assert dict(plan.stages)["firmed"] == pytest.approx(1.0)  # one row, all of it missing
    free = plan_of(plant_data(first_month=2), None)
    assert plan.weighted_late_unit_months == pytest.approx(free.weighted_late_unit_months)


def test_a_firmed_row_asking_more_than_is_owed_keeps_what_it_can() -> None:
    """15 firmed for C2, whose backlog is 10: 10 ship, 5 are missing (a third of the row)."""
    plan = plan_of(
        plant_data(),
        firmed({"kind": "shipment", "commitment_id": "C2", "month": "2026-01", "units": 15}),
    )
    assert shipped(plan, "C2") == {month(1): 10}
    assert plan.firmed.get_column("missing_units").to_list() == [5.0]
    assert dict(plan.stages)["firmed"] == pytest.approx(5 / 15)


def test_history_and_months_past_the_horizon_take_no_part() -> None:
    rows = firmed(
        {"kind": "shipment", "commitment_id": "C2", "month": "2025-12", "units": 10},
        {"kind": "completion_pin", "commitment_id": "C2", "month": "2026-04", "units": 10},
    )
    plan = plan_of(plant_data(), rows)
    assert "firmed" not in dict(plan.stages)
    assert plan.weighted_late_unit_months == pytest.approx(10)


def test_the_checker_catches_a_wrong_stage_0_optimum() -> None:
    """The recount is independent: a plan claiming a firmed row kept when it is not fails."""
    rows = firmed({"kind": "shipment", "commitment_id": "C2", "month": "2026-01", "units": 10})
    ds = plant_data()
    plan = allocate(ds, None, START, 3, firmed=rows)
    free = allocate(ds, None, START, 3)
    import dataclasses

    lying = dataclasses.replace(free, stages=(("firmed", 0.0), *free.stages))
    problems = check_plan(ds, None, START, 3, lying, firmed=rows)
    assert any("stage firmed" in p for p in problems), problems
    assert check_plan(ds, None, START, 3, plan, firmed=rows) == []


def test_a_firmed_shipment_never_draws_a_stock_below_its_floor() -> None:
    """A depot of 10 with a floor of 4 can ship 6: of 10 firmed for C2, 4 are missing."""
    depot = {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"}
    ds = make_dataset(
        **base_tables(),
        sources=[depot],
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2025, 12, 1),
                "units": 10.0,
                "floor_units": 4.0,
            }
        ],
        commitments=[commitment("C2", "POL", "SHELL", 10, 1, priority=5)],
    )
    rows = firmed(
        {
            "kind": "shipment",
            "source_id": "DEPOT",
            "commitment_id": "C2",
            "month": "2026-01",
            "units": 10,
        }
    )
    plan = plan_of(ds, rows)
    assert plan.firmed.get_column("missing_units").to_list() == [4.0]
    assert plan.floor_breach_unit_months == 0.0


def test_a_sampled_future_honours_firmed_rows_as_a_plan_made_afresh_does() -> None:
    """Monte Carlo re-plans hold firmed rows the same way. With the plant at 1.5 times its
    capacity (15 a month), re-solved warm from the baseline: C2's firmed 10 ship in month 1,
    C1 gets 5 then and 5 in month 2 (5 unit-months at 16 = 80; without the firmed row C2
    would wait instead, 5 at weight 1). The same data planned afresh agrees."""
    import dataclasses

    import numpy as np

    from optimize.model import build_model
    from optimize.resolve import SampleSolver, line_capacity, neutral_future
    from optimize.sets import build_model_data

    rows = firmed({"kind": "shipment", "commitment_id": "C2", "month": "2026-01", "units": 10})
    model = build_model(build_model_data(plant_data(), None, START, 3, firmed=rows))
    solver = SampleSolver(model)
    assert solver.baseline.objective == pytest.approx(160)
    _, grid = line_capacity(model)
    warm = solver.solve(dataclasses.replace(neutral_future(model), capacity=grid * 1.5))
    assert warm.objective == pytest.approx(80)
    more = plant_data().capacity.with_columns(pl.col("units") * 1.5)
    fresh = plan_of(dataclasses.replace(plant_data(), capacity=more), rows)
    assert fresh.weighted_late_unit_months == pytest.approx(80)
    cum = np.array(
        [
            fresh.shipments.filter(
                (pl.col("commitment_id") == c) & (pl.col("arrival_month") <= month(t + 1))
            )
            .get_column("units")
            .sum()
            for c in ("C1", "C2")
            for t in range(3)
        ]
    ).reshape(2, 3)
    assert np.allclose(warm.arrived, cum)
