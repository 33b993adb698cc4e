"""The trade-off curve between US rebuild and partner readiness, worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from optimize_helpers import START, base_tables, make_dataset

from optimize.tradeoff import tradeoff

DEPOT = {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"}


def _case() -> object:
    """The depot holds 40 SHELL, floor 20, target 35; Ukraine (frontline) holds 0, floor 10,
    fires nothing; depot to Ukraine takes no time; H = 2."""
    return make_dataset(
        **base_tables(partners=("UKR",)),
        sources=[DEPOT],
        stockpiles=[
            {"holder_id": "DEPOT", "item_id": "SHELL", "as_of": date(2025, 12, 1),
             "units": 40.0, "floor_units": 20.0, "target_units": 35.0},
            {"holder_id": "UKR", "item_id": "SHELL", "as_of": date(2025, 12, 1),
             "units": 0.0, "floor_units": 10.0},
        ],
    )  # fmt: skip


def test_frontier_ends_middle_and_monotone() -> None:
    """Ship a in month 1 and b in month 2. US unit-months below target: (a - 5)+ + (a + b -
    5)+; partner (weight 4): 4 [(10 - a)+ + (10 - a - b)+].

    US first: a + b <= 5, best a = 5: US 0, partners 4 (5 + 5) = 40. Partners first: a >= 10:
    partners 0, US least at a = 10, b = 0: 5 + 5 = 10. Between them (a >= 5): US = 2a + b - 10
    and partners = 4 (20 - 2a - b) = 40 - 4 US, a straight line: with 5 points US 0, 2.5, 5,
    7.5, 10 and partners 40, 30, 20, 10, 0."""
    t = tradeoff(_case(), None, START, 2, points=5)
    us = [p["us_unit_months_below_target"] for p in t.points]
    partners = [p["partner_weighted_unit_months_below_floor"] for p in t.points]
    assert us == pytest.approx([0, 2.5, 5, 7.5, 10], abs=1e-6)
    assert partners == pytest.approx([40, 30, 20, 10, 0], abs=1e-6)
    assert t.us_optimum == pytest.approx(0, abs=1e-6)
    assert t.partner_optimum == pytest.approx(0, abs=1e-6)
    assert all(x <= y + 1e-9 for x, y in zip(us, us[1:], strict=False))
    assert all(x >= y - 1e-9 for x, y in zip(partners, partners[1:], strict=False))
    first, last = t.points[0], t.points[-1]
    # US first: the depot never goes below its target; Ukraine is below its floor from month 1
    assert first["us_pools"] == []
    assert first["partner_stocks"] == [
        {"holder_id": "UKR", "item_id": "SHELL", "first_month_below_floor": "2026-01"}
    ]
    # partners first: Ukraine never below its floor; the depot below target, not rebuilt
    assert last["partner_stocks"] == [
        {"holder_id": "UKR", "item_id": "SHELL", "first_month_below_floor": None}
    ]
    assert last["us_pools"] == [
        {"holder_id": "DEPOT", "item_id": "SHELL", "first_month_below_target": "2026-01",
         "rebuild_month": None}
    ]  # fmt: skip
