"""Components: lines with a bill of materials, worked out by hand; every plan goes through the
independent checker, which replays component pools on its own."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import polars as pl
import pytest
from optimize_helpers import START, base_tables, checked, commitment, make_dataset, month

from optimize import allocate, check_plan
from store.dataset import Dataset


def line(source: str, kind: str = "us_production", holder: str | None = None) -> dict:
    return {
        "source_id": source,
        "name": source,
        "kind": kind,
        "country": "USA",
        "stock_holder": holder,
    }


def rate(source: str, item: str, units: float, k: int = 1) -> dict:
    return {"source_id": source, "item_id": item, "month": month(k), "units": units}


def bill(item: str, comp: str, per: float, lead: int = 0, source: str | None = None) -> dict:
    return {
        "item_id": item,
        "component_id": comp,
        "units_per_item": per,
        "lead_time_months": lead,
        "source_id": source,
    }


def component(item: str) -> dict:
    return {"item_id": item, "name": item, "category": "component", "unit_cost_usd": 1.0}


def tables(items: tuple[str, ...] = ("SHELL",), comps: tuple[str, ...] = ("FUZE",)) -> dict:
    t = base_tables(items)
    t["items"] += [component(c) for c in comps]
    return t


def row(plan: Any, cid: str) -> dict:
    return plan.commitments.filter(pl.col("commitment_id") == cid).row(0, named=True)


def made(plan: Any, source: str) -> list[float]:
    return plan.production.filter(pl.col("source_id") == source).get_column("units").to_list()


def value_by_line(plan: Any) -> dict[str, float]:
    return dict(plan.capacity_value.group_by("source_id").agg(pl.col("value").sum()).iter_rows())


def fuze_case(fuze_rates: list[dict] | None = None) -> Dataset:
    """A fuze line of 100 a month, 2 fuzes per round, a round line of 1,000 a month, one
    promise of 500 rounds due in month 1."""
    return make_dataset(
        **tables(),
        sources=[line("LINE_ROUND"), line("LINE_FUZE")],
        capacity=[
            rate("LINE_ROUND", "SHELL", 1000),
            *(fuze_rates or [rate("LINE_FUZE", "FUZE", 100)]),
        ],
        bom=[bill("SHELL", "FUZE", 2)],
        commitments=[commitment("C1", "UKR", "SHELL", 500, 1, 1)],
    )


def test_the_fuze_line_sets_the_pace() -> None:
    """50 rounds a month (100 fuzes / 2): 500 rounds complete in month 10; late unit-months
    450 + 400 + ... + 50 = 2,250 (weight 16). The fuze line carries the capacity value, the
    round line none; the reason names the fuze line."""
    ds = fuze_case()
    plan = checked(ds, allocate(ds, None, START, 12))
    c = row(plan, "C1")
    assert c["completion_month"] == month(10)
    assert c["late_unit_months"] == pytest.approx(2250)
    assert plan.weighted_late_unit_months == pytest.approx(16 * 2250)
    assert made(plan, "LINE_ROUND")[:10] == pytest.approx([50.0] * 10)
    assert made(plan, "LINE_FUZE") == pytest.approx([100.0] * 12)
    value = value_by_line(plan)
    assert value["LINE_FUZE"] > 0
    assert value["LINE_ROUND"] == pytest.approx(0)
    assert "FUZE from LINE_FUZE fully used in 2026-01 to 2026-09" in c["reasons"]
    assert not any("capacity of LINE_ROUND" in r for r in c["reasons"])


@pytest.mark.parametrize("k", [1, 4, 9])
def test_one_more_fuze_changes_the_optimum_by_its_reported_value(k: int) -> None:
    """+1 unit of fuze capacity in month k alone: the stage-1 optimum falls by the value the
    plan reported for that line and month."""
    base = checked(fuze_case(), allocate(fuze_case(), None, START, 12))
    reported = (
        base.capacity_value.filter(
            (pl.col("source_id") == "LINE_FUZE") & (pl.col("month") == month(k))
        )
        .get_column("value")
        .item()
    )
    bumped = [rate("LINE_FUZE", "FUZE", 100), rate("LINE_FUZE", "FUZE", 101, k)]
    bumped += [rate("LINE_FUZE", "FUZE", 100, k + 1)]
    ds = fuze_case(bumped)
    plan = checked(ds, allocate(ds, None, START, 12))
    assert base.weighted_late_unit_months - plan.weighted_late_unit_months == pytest.approx(
        reported, abs=1e-6
    )
    assert reported == pytest.approx(16 * (10 - k) / 2)


def test_components_in_stock_and_a_lead_time() -> None:
    """1 fuze per round, made 2 months before the round: rounds in months 1-2 can only use
    the 200 fuzes in stock at the start; from month 3 on, month t's rounds use month t-2's
    fuzes. So at most 200 rounds by month 2, then 100 more a month: 1,000 complete in month 10,
    late 800 + 800 + 700 + ... + 100 = 4,400 unit-months."""
    t = tables()
    ds = make_dataset(
        **t,
        sources=[line("DEPOT", "us_stock"), line("LINE_ROUND"), line("LINE_FUZE")],
        capacity=[rate("LINE_ROUND", "SHELL", 1000), rate("LINE_FUZE", "FUZE", 100)],
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "FUZE",
                "as_of": date(2025, 12, 1),
                "units": 200,
                "floor_units": 0,
            }
        ],
        bom=[bill("SHELL", "FUZE", 1, lead=2)],
        commitments=[commitment("C1", "UKR", "SHELL", 1000, 1, 1)],
    )
    plan = checked(ds, allocate(ds, None, START, 12))
    c = row(plan, "C1")
    assert c["completion_month"] == month(10)
    assert c["late_unit_months"] == pytest.approx(4400)
    rounds = made(plan, "LINE_ROUND")
    assert sum(rounds[:2]) <= 200 + 1e-6
    assert sum(rounds[:10]) == pytest.approx(1000)


def test_the_higher_priority_gets_the_shared_component() -> None:
    """Two items share the fuze line (100 a month, 1 per unit); priority 1 wants 300 ROCKETs,
    priority 3 wants 300 SHELLs, both due in month 1: the rockets get every fuze first
    (complete month 3), the shells after (month 6)."""
    ds = make_dataset(
        **tables(items=("SHELL", "ROCKET")),
        sources=[line("LINE_ROUND"), line("LINE_ROCKET"), line("LINE_FUZE")],
        capacity=[
            rate("LINE_ROUND", "SHELL", 1000),
            rate("LINE_ROCKET", "ROCKET", 1000),
            rate("LINE_FUZE", "FUZE", 100),
        ],
        bom=[bill("SHELL", "FUZE", 1), bill("ROCKET", "FUZE", 1)],
        commitments=[
            commitment("A", "UKR", "ROCKET", 300, 1, 1),
            commitment("B", "UKR", "SHELL", 300, 1, 3),
        ],
    )
    plan = checked(ds, allocate(ds, None, START, 12))
    assert row(plan, "A")["completion_month"] == month(3)
    assert row(plan, "B")["completion_month"] == month(6)
    assert any("FUZE from LINE_FUZE" in r for r in row(plan, "B")["reasons"])


def test_a_two_level_bill() -> None:
    """SHELL needs 1 BODY; BODY needs 2 STEEL; the steel line makes 100 a month: 50 bodies and
    so 50 shells a month, 250 complete in month 5. The reason goes down to the steel."""
    ds = make_dataset(
        **tables(comps=("BODY", "STEEL")),
        sources=[line("LINE_ROUND"), line("LINE_BODY"), line("LINE_STEEL")],
        capacity=[
            rate("LINE_ROUND", "SHELL", 1000),
            rate("LINE_BODY", "BODY", 1000),
            rate("LINE_STEEL", "STEEL", 100),
        ],
        bom=[bill("SHELL", "BODY", 1), bill("BODY", "STEEL", 2)],
        commitments=[commitment("C1", "UKR", "SHELL", 250, 1, 1)],
    )
    plan = checked(ds, allocate(ds, None, START, 6))
    assert row(plan, "C1")["completion_month"] == month(5)
    assert made(plan, "LINE_BODY")[:5] == pytest.approx([50.0] * 5)
    assert any("STEEL from LINE_STEEL" in r for r in row(plan, "C1")["reasons"])
    value = value_by_line(plan)
    assert value["LINE_STEEL"] > 0
    assert value["LINE_BODY"] == pytest.approx(0)


def test_a_line_specific_row_leaves_other_lines_of_the_item_alone() -> None:
    """The bill names LINE_US only: LINE_EU makes its capacity with no fuzes at all."""
    ds = make_dataset(
        **tables(),
        sources=[line("LINE_US"), line("LINE_EU", "allied_production"), line("LINE_FUZE")],
        capacity=[
            rate("LINE_US", "SHELL", 1000),
            rate("LINE_EU", "SHELL", 100),
            rate("LINE_FUZE", "FUZE", 10),
        ],
        bom=[bill("SHELL", "FUZE", 1, source="LINE_US")],
        commitments=[commitment("C1", "UKR", "SHELL", 330, 1, 1)],
    )
    plan = checked(ds, allocate(ds, None, START, 6))
    assert made(plan, "LINE_EU") == pytest.approx([100.0] * 6)
    assert made(plan, "LINE_US")[:3] == pytest.approx([10.0] * 3)
    assert row(plan, "C1")["completion_month"] == month(3)


def test_a_component_nobody_makes_stops_the_line() -> None:
    ds = make_dataset(
        **tables(),
        sources=[line("LINE_ROUND")],
        capacity=[rate("LINE_ROUND", "SHELL", 1000)],
        bom=[bill("SHELL", "FUZE", 1)],
        commitments=[commitment("C1", "UKR", "SHELL", 10, 1, 1)],
    )
    plan = checked(ds, allocate(ds, None, START, 4))
    assert made(plan, "LINE_ROUND") == pytest.approx([0.0] * 4)
    assert row(plan, "C1")["completion_month"] is None


def test_a_budget_buys_the_component_expansion_that_saves_more() -> None:
    """The fuze line binds: the same money buys the fuze expansion, not the round line's."""
    ds = fuze_case()
    ds = dataclasses.replace(
        ds,
        expansion_options=pl.DataFrame(
            {
                "option_id": ["MORE_FUZES", "MORE_ROUNDS"],
                "source_id": ["LINE_FUZE", "LINE_ROUND"],
                "item_id": ["FUZE", "SHELL"],
                "added_units_per_month": [100.0, 1000.0],
                "lead_time_months": [1, 1],
                "cost_usd": [10.0, 10.0],
            },
            schema=ds.expansion_options.schema,
        ),
    )
    plan = checked(ds, allocate(ds, None, START, 12, budget=10.0))
    chosen = plan.investments.filter(pl.col("chosen")).get_column("option_id").to_list()
    assert chosen == ["MORE_FUZES"]
    # 50 rounds in month 1, then 100 a month: 500 done in month 6
    assert row(plan, "C1")["completion_month"] == month(6)
    cap = plan.production.filter(pl.col("source_id") == "LINE_FUZE").get_column("capacity")
    assert cap.to_list() == pytest.approx([100.0] + [200.0] * 11)


def test_abundant_components_change_nothing_but_production_rows() -> None:
    """A bill whose component is never short gives the same optima as no bill at all."""
    common: dict[str, Any] = {
        "sources": [line("LINE_ROUND"), line("LINE_FUZE")],
        "commitments": [
            commitment("C1", "UKR", "SHELL", 2500, 2, 1),
            commitment("C2", "POL", "SHELL", 900, 1, 2),
        ],
    }
    plain = make_dataset(**tables(), capacity=[rate("LINE_ROUND", "SHELL", 400)], **common)
    billed = make_dataset(
        **tables(),
        capacity=[rate("LINE_ROUND", "SHELL", 400), rate("LINE_FUZE", "FUZE", 10_000)],
        bom=[bill("SHELL", "FUZE", 3)],
        **common,
    )
    a = checked(plain, allocate(plain, None, START, 12))
    b = checked(billed, allocate(billed, None, START, 12))
    assert dict(b.stages)["spare_capacity"] == pytest.approx(0.0)
    assert [s for s in b.stages if s[0] != "spare_capacity"] == list(a.stages)
    assert a.commitments.drop("reasons").equals(b.commitments.drop("reasons"))
    assert made(b, "LINE_ROUND") == pytest.approx([400.0] * 12)


def test_the_checker_catches_output_the_components_cannot_support() -> None:
    ds = fuze_case()
    plan = allocate(ds, None, START, 12)
    assert check_plan(ds, None, START, 12, plan) == []
    more = plan.production.with_columns(
        units=pl.when(pl.col("source_id") == "LINE_ROUND")
        .then(pl.col("units") + 10)
        .otherwise(pl.col("units"))
    )
    tampered = dataclasses.replace(plan, production=more)
    problems = check_plan(ds, None, START, 12, tampered)
    assert any("FUZE/FUZE" in p for p in problems), problems
    over = plan.production.with_columns(
        units=pl.when(pl.col("source_id") == "LINE_ROUND").then(2000.0).otherwise(pl.col("units"))
    )
    problems = check_plan(ds, None, START, 12, dataclasses.replace(plan, production=over))
    assert any("capacity 1000" in p for p in problems), problems
