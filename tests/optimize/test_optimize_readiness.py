"""Partner stocks, sustainment and the readiness stage, worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from optimize_helpers import START, base_tables, checked, make_dataset, month

from optimize import allocate

DEPOT = {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"}


def _case(depot: float, target: float) -> tuple:
    """The depot (us_stock) holds ``depot`` SHELL, floor 20, target ``target``; Ukraine
    (frontline) holds 10, floor 10, and fires 5 a month; depot to Ukraine takes one month;
    no promises; H = 6."""
    ds = make_dataset(
        **base_tables(partners=("UKR",)),
        sources=[DEPOT],
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2025, 12, 1),
                "units": depot,
                "floor_units": 20.0,
                "target_units": target,
            },
            {
                "holder_id": "UKR",
                "item_id": "SHELL",
                "as_of": date(2025, 12, 1),
                "units": 10.0,
                "floor_units": 10.0,
            },
        ],
        eligibility=[
            {
                "source_id": "DEPOT",
                "partner_id": "UKR",
                "item_id": "*",
                "allowed": True,
                "lead_time_months": 1,
                "reason": "rail",
            }
        ],
    )
    demand = pl.DataFrame(
        {
            "holder_id": ["UKR"] * 6,
            "item_id": ["SHELL"] * 6,
            "month": [month(k) for k in range(1, 7)],
            "mean": [5.0] * 6,
        }
    )
    return ds, demand


def _levels(plan, holder: str) -> list[float]:  # noqa: ANN001
    rows = plan.readiness.filter(pl.col("holder_id") == holder).sort("month")
    return rows.get_column("level").to_list()


def _below_floor(plan, holder: str) -> list[float]:  # noqa: ANN001
    rows = plan.readiness.filter(pl.col("holder_id") == holder).sort("month")
    return rows.get_column("below_floor_units").to_list()


def _stage(plan, name: str) -> float | None:  # noqa: ANN001
    return dict(plan.stages)[name]


def test_partners_first_draws_the_depot_to_its_floor_never_below() -> None:
    """W = 0. Without help Ukraine's stock would be 5, 0, -5, ... (5k units missing below its
    floor in month k). The depot may give 40 - 20 = 20. Nothing can arrive in month 1; one
    unit arriving in month k helps every month from k while Ukraine is below its floor, so
    the 20 keep Ukraine at its floor from month 2 (as early as the lead time allows) to
    month 4: 10, 5, 5 arriving in months 2, 3, 4 (or earlier, never later). Below floor:
    5 in month 1, then 0, 0, 0, 5, 10: 20 unit-months, 4 x 20 / 10 = 8 floor-months."""
    ds, demand = _case(40.0, 35.0)
    plan = checked(ds, allocate(ds, demand, START, 6, us_target_weight=0.0), demand)
    sus = plan.shipments.filter(pl.col("purpose") == "sustainment")
    assert sus.get_column("units").sum() == pytest.approx(20)
    assert sus.get_column("commitment_id").is_null().all()
    assert min(_levels(plan, "DEPOT")) == pytest.approx(20)
    assert _levels(plan, "DEPOT")[-1] == pytest.approx(20)
    assert _below_floor(plan, "UKR") == pytest.approx([5, 0, 0, 0, 5, 10])
    assert _levels(plan, "UKR")[1] >= 10 - 1e-9
    assert _stage(plan, "readiness") == pytest.approx(8.0)
    assert plan.floor_breach_unit_months == 0


def test_us_rebuild_first_moves_only_the_surplus_above_target() -> None:
    """W = 10,000: a unit below the depot's target (35) costs W / 35 a month, far more than
    the 4 / 10 a unit below Ukraine's floor saves. Only the 5 above the target go, arriving
    by month 2: Ukraine is 5, 5, 10, 15, 20, 25 below its floor = 80 unit-months = 32
    floor-months; the depot stays at or above 35."""
    ds, demand = _case(40.0, 35.0)
    plan = checked(ds, allocate(ds, demand, START, 6, us_target_weight=1e4), demand)
    sus = plan.shipments.filter(pl.col("purpose") == "sustainment")
    assert sus.get_column("units").sum() == pytest.approx(5)
    assert min(_levels(plan, "DEPOT")) == pytest.approx(35)
    assert _below_floor(plan, "UKR") == pytest.approx([5, 5, 10, 15, 20, 25])
    assert _stage(plan, "readiness") == pytest.approx(32.0)


def test_a_partner_stock_never_shows_below_zero() -> None:
    """With nothing to give (the depot at its floor), Ukraine runs out in month 2; the
    consumption it cannot cover is unmet and stays below its floor."""
    ds, demand = _case(20.0, 35.0)
    plan = checked(ds, allocate(ds, demand, START, 6, us_target_weight=0.0), demand)
    ukr = plan.readiness.filter(pl.col("holder_id") == "UKR").sort("month")
    assert ukr.get_column("level").to_list() == pytest.approx([5, 0, 0, 0, 0, 0])
    assert ukr.get_column("unmet_units").to_list() == pytest.approx([0, 0, 5, 10, 15, 20])
    assert ukr.get_column("below_floor_units").to_list() == pytest.approx([5, 10, 15, 20, 25, 30])
    assert plan.shipments.height == 0


def test_the_frontline_partner_comes_first() -> None:
    """Two partners short of the same 10 units, floor 10 each: the frontline one (weight 4)
    gets them before the 'other' one (weight 1)."""
    ds, demand = _case(30.0, 35.0)
    tables = {
        "partners": [
            {"partner_id": "UKR", "name": "UKR", "tier": "other"},
            {"partner_id": "POL", "name": "POL", "tier": "frontline"},
        ],
    }
    ds = replace(
        ds,
        partners=pl.DataFrame(tables["partners"]),
        stockpiles=pl.concat(
            [
                ds.stockpiles,
                ds.stockpiles.filter(pl.col("holder_id") == "UKR").with_columns(
                    holder_id=pl.lit("POL")
                ),
            ]
        ),
        eligibility=pl.concat(
            [ds.eligibility, ds.eligibility.with_columns(partner_id=pl.lit("POL"))]
        ),
    )
    demand = pl.concat([demand, demand.with_columns(holder_id=pl.lit("POL"))])
    plan = checked(ds, allocate(ds, demand, START, 6, us_target_weight=0.0), demand)
    sus = plan.shipments.filter(pl.col("purpose") == "sustainment")
    by = dict(sus.group_by("partner_id").agg(pl.col("units").sum()).iter_rows())
    assert by.get("POL", 0.0) == pytest.approx(10)
    assert by.get("UKR", 0.0) == pytest.approx(0)
