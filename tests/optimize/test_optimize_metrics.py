"""Decision metrics worked out by hand, from a plan in memory and from stored rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from optimize_helpers import START, base_tables, checked, commitment, make_dataset, month

from optimize import allocate
from optimize.metrics import decision_metrics
from pipeline.metrics import compare_metrics

PLANT = {"source_id": "PLANT", "name": "plant", "kind": "us_production", "country": "USA"}


def test_metrics_of_a_small_plan() -> None:
    """A plant makes 10 a month (its own pool); C1 (priority 1) wants 10 in month 1, C2
    (priority 2) 15 in month 1, C3 (priority 3) 5 in month 6 (after the horizon of 4);
    unit cost 2 USD. C1 gets month 1's 10 (on time), C2 10 in month 2 and 5 in month 3:
    complete in month 3, 2 months late, 15 units late (30 USD); C3 is due after the
    horizon: on time (not late within it; its months late unknown). 2 of 3 promises on time; backlog units on time 15 of 30 = 50%."""
    ds = make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 10.0}],
        commitments=[
            commitment("C1", "UKR", "SHELL", 10, 1, 1),
            commitment("C2", "POL", "SHELL", 15, 1, 2),
            commitment("C3", "POL", "SHELL", 5, 6, 3),
        ],
    )
    ds = replace(ds, items=ds.items.with_columns(unit_cost_usd=pl.lit(2.0)))
    plan = checked(ds, allocate(ds, None, START, 4))
    m = plan.metrics()
    assert m["promises_on_time"] == 2
    assert m["promises_total"] == 3
    assert m["on_time_pct"] == pytest.approx(66.67)
    assert m["backlog_units_on_time_pct"] == pytest.approx(50.0)
    assert m["value_late_usd"] == pytest.approx(30.0)
    # C3 is not complete within the horizon: its months late are unknown (null)
    assert m["months_late"] == {"C1": 0, "C2": 2, "C3": None}
    assert m["partner_stocks_below_floor"] == {"now": 0, "within_6": 0, "within_12": 0}
    assert m["sustainment_units"] == {}


def _readiness(holder: str, kind: str, below_floor: list[float], below_target: list[float]):  # noqa: ANN202
    n = len(below_floor)
    return pl.DataFrame(
        {
            "holder_id": [holder] * n,
            "item_id": ["SHELL"] * n,
            "holder_kind": [kind] * n,
            "month": [month(k + 1) for k in range(n)],
            "level": [0.0] * n,
            "floor_units": [10.0] * n,
            "target_units": [20.0] * n,
            "below_floor_units": below_floor,
            "below_target_units": below_target,
        }
    )


def test_partner_windows_us_rebuild_and_comparison() -> None:
    """Over 14 months: UKR below its floor first in month 8 (within 12, not within 6, not
    now); POL in month 1 (now); the depot below target in months 1-3, back at it in month
    4. Plan B moves UKR's breach to month 13 and the rebuild to month 6."""
    empty_com = pl.DataFrame(
        schema={
            "commitment_id": pl.String,
            "item_id": pl.String,
            "backlog_units": pl.Float64,
            "on_time_units": pl.Float64,
            "due_month": pl.Date,
            "completion_month": pl.Date,
            "late_unit_months": pl.Float64,
        }
    )
    ships = pl.DataFrame(
        {"partner_id": ["UKR", "UKR", "POL"], "units": [5.0, 7.0, 3.0],
         "purpose": ["sustainment", "sustainment", "promise"]}
    )  # fmt: skip
    costs = pl.DataFrame({"item_id": ["SHELL"], "unit_cost_usd": [1.0]})

    def plan(ukr_from: int, back: int) -> dict:
        ukr = [0.0] * 14
        ukr[ukr_from - 1 :] = [1.0] * (15 - ukr_from)
        depot = [5.0 if k < back - 1 else 0.0 for k in range(14)]
        rows = pl.concat(
            [
                _readiness("UKR", "partner", ukr, [0.0] * 14),
                _readiness("POL", "partner", [1.0] + [0.0] * 13, [0.0] * 14),
                _readiness("DEPOT", "us_stock", [0.0] * 14, depot),
            ]
        )
        return decision_metrics(empty_com, rows, ships, costs)

    a, b = plan(8, 4), plan(13, 6)
    assert a["partner_stocks_below_floor"] == {"now": 1, "within_6": 1, "within_12": 2}
    assert b["partner_stocks_below_floor"] == {"now": 1, "within_6": 1, "within_12": 1}
    assert a["us_pools_below_target"] == [
        {
            "holder_id": "DEPOT",
            "item_id": "SHELL",
            "below_target_now": True,
            "first_month_below_target": "2026-01",
            "rebuild_month": "2026-04",
        }
    ]
    assert a["sustainment_units"] == {"UKR": 12.0}
    c = compare_metrics(a, b)
    assert c["partner_stocks_below_floor"]["within_12"] == {"a": 2, "b": 1, "difference": -1}
    assert c["us_pools_rebuild_changed"] == [
        {"holder_id": "DEPOT", "item_id": "SHELL", "rebuild_month_a": "2026-04",
         "rebuild_month_b": "2026-06"}
    ]  # fmt: skip
    assert c["promises_total"] == {"a": 0, "b": 0, "difference": 0}
    assert date(2026, 1, 1) == START
