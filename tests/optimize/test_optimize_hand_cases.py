"""Tiny plans worked out by hand; each result goes through the independent checker too."""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest
from optimize_helpers import START, base_tables, checked, commitment, make_dataset, month

from optimize import SolveError, allocate, check_plan
from optimize.sets import resolve_eligibility
from store.dataset import Dataset

DEPOT = {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"}
PLANT = {"source_id": "PLANT", "name": "plant", "kind": "us_production", "country": "USA"}


def stock(units: float, floor: float = 0.0, item: str = "SHELL") -> dict:
    return {
        "holder_id": "DEPOT",
        "item_id": item,
        "as_of": date(2025, 12, 1),
        "units": units,
        "floor_units": floor,
    }


def rule(s: str, p: str, i: str, allowed: bool = True, lead: int = 0, reason: str = "test") -> dict:
    return {
        "source_id": s,
        "partner_id": p,
        "item_id": i,
        "allowed": allowed,
        "lead_time_months": lead,
        "reason": reason,
    }


def late_of(plan, cid: str) -> float:  # noqa: ANN001
    return (
        plan.commitments.filter(pl.col("commitment_id") == cid)
        .get_column("late_unit_months")
        .item()
    )


def reasons_of(plan, cid: str) -> list[str]:  # noqa: ANN001
    return (
        plan.commitments.filter(pl.col("commitment_id") == cid)
        .get_column("reasons")
        .item()
        .to_list()
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_lead_time(solver: str) -> None:
    """Depot holds 10, floor 0; C1 wants 10 in month 1 (priority 1, weight 16); lead time 2; H = 4.

    Shipped in month 1, the units arrive in month 3: 10 unit-months late in
    months 1 and 2 = 20 unit-months, weighted 16 * 20 = 320.
    """
    ds = make_dataset(
        **base_tables(),
        sources=[DEPOT],
        stockpiles=[stock(10)],
        commitments=[commitment("C1", "UKR", "SHELL", 10, 1, 1)],
        eligibility=[rule("*", "*", "*", lead=2)],
    )
    plan = checked(ds, allocate(ds, None, START, 4, solver=solver))
    assert plan.weighted_late_unit_months == pytest.approx(320)
    assert late_of(plan, "C1") == pytest.approx(20)
    ship = plan.shipments.row(0, named=True)
    assert (ship["month"], ship["arrival_month"]) == (month(1), month(3))
    assert any("lead time of 2 months" in r for r in reasons_of(plan, "C1"))


def test_floor() -> None:
    """Depot holds 30 with a floor of 20; C1 wants 15 in month 1 (priority 3, weight 4); H = 3.

    Only 10 can be drawn: 5 units stay missing for months 1..3 = 15 unit-months,
    weighted 4 * 15 = 60. The floor is never breached (a breach costs 16*3+1 = 49
    per unit-month, more than any saving).
    """
    ds = make_dataset(
        **base_tables(),
        sources=[DEPOT],
        stockpiles=[stock(30, floor=20)],
        commitments=[commitment("C1", "UKR", "SHELL", 15, 1, 3)],
    )
    plan = checked(ds, allocate(ds, None, START, 3))
    assert plan.weighted_late_unit_months == pytest.approx(60)
    assert plan.floor_breach_unit_months == 0
    assert plan.pools.get_column("inventory").to_list() == pytest.approx([20, 20, 20])
    assert any("sits at its floor of 20" in r for r in reasons_of(plan, "C1"))


def test_deny_beats_broader_allow() -> None:
    """Rules: (*,*,*) allow; (DEPOT,UKR,*) deny and (DEPOT,*,SHELL) allow lead 1 tie at
    two named fields, so the deny wins. UKR's C1 (10 due month 1, weight 16) can only
    get the plant's 5 a month: 5 late in month 1, then complete = 5 unit-months, 80.

    Adding the more specific (DEPOT,UKR,SHELL) allow overrides the deny: 10 arrive
    in month 1 from the depot and nothing is late.
    """
    rules = [
        rule("*", "*", "*"),
        rule("DEPOT", "UKR", "*", allowed=False, reason="releasability"),
        rule("DEPOT", "*", "SHELL", lead=1),
    ]
    tables = dict(
        **base_tables(),
        sources=[DEPOT, PLANT],
        stockpiles=[stock(100)],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 5.0}],
        commitments=[commitment("C1", "UKR", "SHELL", 10, 1, 1)],
    )
    ds = make_dataset(**tables, eligibility=rules)
    plan = checked(ds, allocate(ds, None, START, 3))
    assert plan.weighted_late_unit_months == pytest.approx(80)
    assert set(plan.shipments.get_column("source_id")) == {"PLANT"}
    assert any("denied by rule (DEPOT, UKR, *): releasability" in r for r in reasons_of(plan, "C1"))

    ds2 = make_dataset(**tables, eligibility=[*rules, rule("DEPOT", "UKR", "SHELL")])
    plan2 = checked(ds2, allocate(ds2, None, START, 3))
    assert plan2.weighted_late_unit_months == pytest.approx(0)


def test_eligibility_resolution() -> None:
    """Most specific wins, deny wins ties, tied allows take the longest lead, no rule = allowed, 0."""
    rules = make_dataset(
        eligibility=[
            rule("*", "*", "*", lead=1),
            rule("A", "*", "*", allowed=False),
            rule("A", "P", "*", lead=3),
            rule("*", "P", "X", lead=2),
            rule("B", "*", "X", lead=4),
            rule("B", "Q", "*", allowed=False),
        ]
    ).eligibility
    triples = pl.DataFrame(
        {
            "source_id": ["A", "A", "C", "B", "B", "B"],
            "partner_id": ["P", "Q", "R", "P", "Q", "R"],
            "item_id": ["X", "X", "Y", "X", "X", "Y"],
        }
    )
    got = resolve_eligibility(rules, triples).sort("source_id", "partner_id", "item_id")
    table = {
        (r["source_id"], r["partner_id"]): (r["allowed"], r["lead_time"])
        for r in got.iter_rows(named=True)
    }
    assert table[("A", "P")] == (True, 3)  # (A,P,*) and (*,P,X) tie at 2: longest lead
    assert table[("A", "Q")] == (False, 0)  # (A,*,*) deny beats (*,*,*)
    assert table[("C", "R")] == (True, 1)
    assert table[("B", "P")] == (True, 4)  # (B,*,X) and (*,P,X) tie: lead 4
    assert table[("B", "Q")][0] is False  # (B,*,X) allow ties (B,Q,*) deny: deny wins
    assert table[("B", "R")] == (True, 1)
    none = resolve_eligibility(make_dataset().eligibility, triples)
    assert none.get_column("allowed").all()
    assert (none.get_column("lead_time") == 0).all()


def test_absorption() -> None:
    """UKR absorbs 4 'ammo' units a month; the depot holds 100; C1 wants 10 in month 1; H = 4.

    Arrivals 4, 4, 2: late 6 in month 1 and 2 in month 2 = 8 unit-months, 16 * 8 = 128.
    """
    ds = make_dataset(
        **base_tables(),
        sources=[DEPOT],
        stockpiles=[stock(100)],
        commitments=[commitment("C1", "UKR", "SHELL", 10, 1, 1)],
        absorption=[{"partner_id": "UKR", "category": "ammo", "units_per_month": 4.0}],
    )
    plan = checked(ds, allocate(ds, None, START, 4))
    assert plan.weighted_late_unit_months == pytest.approx(128)
    assert any("UKR can absorb only 4 ammo units a month" in r for r in reasons_of(plan, "C1"))


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_two_priorities_compete(solver: str) -> None:
    """A plant makes 10 a month (its own pool); C1 (priority 1, weight 16) and C2
    (priority 2, weight 8) each want 10 in month 1; H = 3, lead 0.

    C1 first: C2 is 10 late in month 1 only = 80. C2 first would cost 16 * 10 = 160.
    """
    ds = make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 10.0}],
        commitments=[
            commitment("C1", "UKR", "SHELL", 10, 1, 1),
            commitment("C2", "POL", "SHELL", 10, 1, 2),
        ],
    )
    plan = checked(ds, allocate(ds, None, START, 3, solver=solver))
    assert plan.weighted_late_unit_months == pytest.approx(80)
    assert late_of(plan, "C1") == 0
    assert late_of(plan, "C2") == pytest.approx(10)
    rs = reasons_of(plan, "C2")
    assert any("higher-priority promises take units from PLANT: C1 (priority 1)" in r for r in rs)
    assert any("capacity of PLANT for SHELL is fully used in 2026-01" in r for r in rs)


def test_past_due_promise() -> None:
    """C1 was promised for three months before the start (so it is due in month 1), 15
    units of which 5 were delivered: backlog 10. The plant makes 5 a month; priority 5
    (weight 1); H = 3. Arrivals 5, 5: 5 late in month 1 = 5 unit-months, weighted 5.
    """
    ds = make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2025, 6, 1), "units": 5.0}
        ],
        commitments=[commitment("C1", "UKR", "SHELL", 15, -2, 5)],
        deliveries=[
            {"commitment_id": "C1", "source_id": "PLANT", "month": date(2025, 9, 1), "units": 5.0}
        ],
    )
    plan = checked(ds, allocate(ds, None, START, 3))
    row = plan.commitments.row(0, named=True)
    assert row["backlog_units"] == 10
    assert row["completion_month"] == month(2)
    assert plan.weighted_late_unit_months == pytest.approx(5)


def test_plant_feeds_depot_floor_and_stage_two() -> None:
    """A plant (10 a month) feeds the depot (50, floor 40); C1 (weight 16) and C2 (weight 8)
    each want 30 in month 1; lead 1; H = 6. The pool can give 10 + 10 per month:
    C1 gets 20 arriving month 2 and 10 in month 3 (late 30+10 = 40), C2 gets 10 in
    months 4, 5, 6 (late 30*3 + 20 + 10 = 120): 16*40 + 8*120 = 1600.
    """
    ds = make_dataset(
        **base_tables(),
        sources=[{**PLANT, "stock_holder": "DEPOT"}, DEPOT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 10.0}],
        stockpiles=[stock(50, floor=40)],
        commitments=[
            commitment("C1", "UKR", "SHELL", 30, 1, 1),
            commitment("C2", "POL", "SHELL", 30, 1, 2),
        ],
        eligibility=[rule("*", "*", "*", lead=1)],
    )
    plan = checked(ds, allocate(ds, None, START, 6))
    assert plan.weighted_late_unit_months == pytest.approx(1600)
    assert late_of(plan, "C1") == pytest.approx(40)
    assert late_of(plan, "C2") == pytest.approx(120)
    # the last month's output cannot arrive in the horizon: stage 2 keeps it in the depot
    assert plan.pools.get_column("inventory").to_list()[-1] == pytest.approx(40 + 10 - 0)


def _investment_case() -> Dataset:
    """The plant of the investment cases below, its promise and its two options."""
    return make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 5.0}],
        commitments=[commitment("C1", "UKR", "SHELL", 20, 1, 1)],
        expansion_options=[
            {
                "option_id": "BIG",
                "source_id": "PLANT",
                "item_id": "SHELL",
                "added_units_per_month": 10.0,
                "lead_time_months": 1,
                "cost_usd": 100.0,
            },
            {
                "option_id": "SMALL",
                "source_id": "PLANT",
                "item_id": "SHELL",
                "added_units_per_month": 5.0,
                "lead_time_months": 0,
                "cost_usd": 60.0,
            },
        ],
    )


def test_investment_budget() -> None:
    """The plant makes 5 a month; C1 wants 20 in month 1 (weight 16); H = 4.
    Option BIG (+10 from month 2, cost 100) and SMALL (+5 from month 1, cost 60), budget 100.

    Without options: arrivals 5,5,5,5: late 15+10+5+0 = 30, weighted 480.
    SMALL: 10,10: late 10 = 10 unit-months (160). BIG: 5,15: late 15 = 15 (240). Buy SMALL.
    """
    ds = _investment_case()
    plan = allocate(ds, None, START, 4, budget=100.0)
    assert plan.weighted_late_before_investment == pytest.approx(480)
    assert plan.weighted_late_unit_months == pytest.approx(160)
    assert dict(plan.investments.select("option_id", "chosen").iter_rows()) == {
        "BIG": False,
        "SMALL": True,
    }
    assert plan.summary()["investment_cost_usd"] == 60
    # the checker counts the bought capacity, and only the bought capacity
    assert check_plan(ds, None, START, 4, plan) == []
    unbought = plan.investments.with_columns(chosen=pl.lit(False))
    problems = check_plan(ds, None, START, 4, dataclasses.replace(plan, investments=unbought))
    assert any("below its floor" in p for p in problems), problems


def test_a_large_budget_buys_only_what_saves_lateness() -> None:
    """The investment case with budget 1,000 and a third option LATE (cost 1, ready after
    the horizon, so it adds nothing). SMALL alone: 10 a month, late 10 (weighted 160);
    SMALL + BIG: 10 then 20 a month, also late 10 in month 1, so BIG saves nothing more;
    LATE saves nothing. Among the choices reaching 160, the cheapest is SMALL alone (60)."""
    ds = _investment_case()
    late = {
        "option_id": "LATE",
        "source_id": "PLANT",
        "item_id": "SHELL",
        "added_units_per_month": 100.0,
        "lead_time_months": 10,
        "cost_usd": 1.0,
    }
    ds = ds.with_tables(
        expansion_options=pl.concat(
            [ds.expansion_options, pl.DataFrame([late], schema=ds.expansion_options.schema)]
        )
    )
    for solver in ("highs", "cbc"):
        plan = allocate(ds, None, START, 4, budget=1000.0, solver=solver)
        assert plan.weighted_late_unit_months == pytest.approx(160)
        chosen = plan.investments.filter(pl.col("chosen")).get_column("option_id").to_list()
        assert chosen == ["SMALL"]
        assert check_plan(ds, None, START, 4, plan) == []


def test_a_budget_that_buys_nothing_still_plans() -> None:
    """The investment case with a budget of 50, below every option's cost: nothing is bought
    and the plan is the one without options (weighted 480). Stage 2 used to fix the unbought
    options at their original upper bound (bought), which broke the budget row."""
    ds = _investment_case()
    for solver in ("highs", "cbc"):
        plan = allocate(ds, None, START, 4, budget=50.0, solver=solver)
        assert plan.weighted_late_unit_months == pytest.approx(480)
        assert not any(plan.investments.get_column("chosen"))
        assert check_plan(ds, None, START, 4, plan) == []


@pytest.mark.parametrize("units", [1e300, float("nan")])
def test_a_number_highs_cannot_take_is_named_with_its_pool(units: float) -> None:
    """A stock beyond HiGHS's infinity (the import bounds it; a dataset built in code need not
    be) makes HiGHS refuse the model; the refusal names the pool row it sits in."""
    ds = make_dataset(
        **base_tables(),
        sources=[DEPOT],
        stockpiles=[stock(units)],
        commitments=[commitment("C1", "UKR", "SHELL", 10, 1, 1)],
    )
    with pytest.raises(SolveError, match=r"HiGHS refused the model: .*row pool\|DEPOT\|SHELL"):
        allocate(ds, None, START, 3)
