"""Fair shares within a priority, and plans that stay close to their reference."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import polars as pl
import pytest
from optimize_helpers import (
    START,
    assert_same_optima,
    base_tables,
    checked,
    commitment,
    make_dataset,
    month,
    sample_dataset,
)
from polars.testing import assert_frame_equal

from optimize import allocate, check_plan
from pipeline.scenarios import apply_chain
from pipeline.whatif import scenario_from_doc
from store.dataset import default_start

PLANT = {"source_id": "PLANT", "name": "plant", "kind": "us_production", "country": "USA"}


def _three(order: tuple[int, ...], backlogs: tuple[float, ...]) -> Any:
    """Three promises of priority 2 for SHELL, all due in month 1, to three partners; one
    line makes 300 a month; rows in ``order``."""
    rows = [
        commitment(f"C{k}", p, "SHELL", q, 1, 2)
        for k, (p, q) in enumerate(zip(("UKR", "POL", "DEU"), backlogs, strict=True))
    ]
    return make_dataset(
        **base_tables(partners=("UKR", "POL", "DEU")),
        sources=[PLANT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 300.0}],
        commitments=[rows[k] for k in order],
    )


@pytest.mark.parametrize("backlogs", list(itertools.permutations((100.0, 200.0, 300.0))))
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_each_promise_gets_half_its_backlog_in_month_one(
    order: tuple[int, ...], backlogs: tuple[float, ...]
) -> None:
    """Backlogs 100, 200, 300 due in month 1, 300 made a month: the lateness is 300
    unit-months however the first 300 are split (all three complete in month 2). Equal
    missing fractions: 50, 100, 150 in month 1 (each half its backlog), whatever the order
    of the rows or which promise has which backlog."""
    ds = _three(order, backlogs)
    plan = checked(ds, allocate(ds, None, START, 3))
    assert plan.weighted_late_unit_months == pytest.approx(8 * 300)
    first = plan.shipments.filter(pl.col("month") == month(1))
    got = dict(first.group_by("commitment_id").agg(pl.col("units").sum()).iter_rows())
    want = {f"C{k}": q / 2 for k, q in enumerate(backlogs)}
    assert got == pytest.approx(want)
    assert dict(plan.stages)["fair_shares"] == pytest.approx(0.5)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_due_months_that_differ_still_share_fairly(order: tuple[int, ...]) -> None:
    """C0 (60, due month 1) and C1 (90, due month 2), priority 2, one line of 40 a month;
    H = 4. Lateness: month 1's 40 go to C0 (a unit for C0 then saves 4 unit-months, for C1
    3); later units save as much for either, so only the totals missing are fixed: 70 in
    month 2, 30 in month 3, 0 in month 4 (960 weighted).

    Fair shares, largest missing fraction first: month 1 has C0 at 20/60 whatever happens.
    In month 2 C0 misses at most 20/60 = 1/3 and C1 at least 50/90 = 5/9: all 40 go to C1.
    In month 3 the 30 missing split 60:90 (a fifth each): C0 gets 8, C1 32; month 4 the
    rest (C0 12, C1 18). The same for either order of the rows."""
    rows = [commitment("C0", "UKR", "SHELL", 60, 1, 2), commitment("C1", "POL", "SHELL", 90, 2, 2)]
    ds = make_dataset(
        **base_tables(),
        sources=[PLANT],
        capacity=[{"source_id": "PLANT", "item_id": "SHELL", "month": month(1), "units": 40.0}],
        commitments=[rows[k] for k in order],
    )
    plan = checked(ds, allocate(ds, None, START, 4))
    assert plan.weighted_late_unit_months == pytest.approx(8 * 120)
    arrived = dict(
        plan.shipments.group_by("commitment_id", "arrival_month")
        .agg(pl.col("units").sum())
        .select(pl.concat_str("commitment_id", pl.col("arrival_month").dt.month()), "units")
        .iter_rows()
    )
    assert arrived == pytest.approx(
        {"C01": 40, "C12": 40, "C03": 8, "C13": 32, "C04": 12, "C14": 18}
    )
    assert dict(plan.stages)["fair_shares"] == pytest.approx(5 / 9)


DEPOT = {"source_id": "DEPOT", "name": "depot", "kind": "us_stock", "country": "USA"}


def _two_items(**change: Any) -> Any:
    """Items X and Y, each with promises of one priority competing for a plant and a depot
    stock (many equally good plans: ties in timing and source)."""
    tables: dict[str, Any] = {
        **base_tables(items=("X", "Y")),
        "sources": [
            {**PLANT, "source_id": "PX", "name": "px"},
            {**PLANT, "source_id": "PY", "name": "py"},
            DEPOT,
        ],
        "capacity": [
            {"source_id": "PX", "item_id": "X", "month": month(1), "units": 10.0},
            {"source_id": "PY", "item_id": "Y", "month": month(1), "units": 10.0},
        ],
        "stockpiles": [
            {"holder_id": "DEPOT", "item_id": i, "as_of": START.replace(year=2025, month=12),
             "units": 30.0, "floor_units": 5.0}
            for i in ("X", "Y")
        ],
        "commitments": [
            commitment("X1", "UKR", "X", 25, 2, 3),
            commitment("X2", "POL", "X", 25, 2, 3),
            commitment("X3", "UKR", "X", 20, 5, 3),
            commitment("Y1", "UKR", "Y", 20, 1, 3),
            commitment("Y2", "POL", "Y", 60, 3, 3),
        ],
        "eligibility": [
            {"source_id": "*", "partner_id": "POL", "item_id": "*", "allowed": True,
             "lead_time_months": 1, "reason": "road"},
        ],
    }  # fmt: skip
    for key, rows in change.items():
        tables[key] = rows(tables[key])
    return make_dataset(**tables)


def _x(plan: Any) -> pl.DataFrame:
    return plan.shipments.filter(pl.col("item_id") == "X").sort(
        "source_id", "commitment_id", "month"
    )


CHANGES = {
    "capacity of Y halved": {
        "capacity": lambda rows: [
            {**r, "units": r["units"] / 2} if r["item_id"] == "Y" else r for r in rows
        ]
    },
    "a new promise of Y": {
        "commitments": lambda rows: [*rows, commitment("Y3", "POL", "Y", 40, 2, 2)]
    },
    "a new line of Y": {
        "sources": lambda rows: [*rows, {**PLANT, "source_id": "PY2", "name": "py2"}],
        "capacity": lambda rows: [
            *rows,
            {"source_id": "PY2", "item_id": "Y", "month": month(3), "units": 7.0},
        ],
    },
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_to_item_y_leaves_every_shipment_of_x_alone(change: str) -> None:
    """Against the base plan as its reference, a scenario touching only Y ships X exactly as
    the base plan does, row for row, while Y's plan changes."""
    base_ds = _two_items()
    base = checked(base_ds, allocate(base_ds, None, START, 8))
    ds = _two_items(**CHANGES[change])
    plan = allocate(ds, None, START, 8, reference=base.shipments)
    assert check_plan(ds, None, START, 8, plan, base.shipments) == []
    assert _x(plan).equals(_x(base))
    assert not plan.shipments.filter(pl.col("item_id") == "Y").equals(
        base.shipments.filter(pl.col("item_id") == "Y")
    )
    assert dict(plan.stages)["reference"] > 0


def test_the_same_data_replans_to_the_same_plan() -> None:
    """A re-plan of unchanged data against its own plan is that plan (distance 0)."""
    ds = _two_items()
    base = checked(ds, allocate(ds, None, START, 8))
    again = allocate(ds, None, START, 8, reference=base.shipments)
    assert again.shipments.sort("source_id", "commitment_id", "month").equals(
        base.shipments.sort("source_id", "commitment_id", "month")
    )
    assert dict(again.stages)["reference"] == pytest.approx(0, abs=1e-6)


WHATIFS = {
    "155mm plants x0.5 from 2027-01": {
        "capacity": [
            {"source": "US_155_PLANTS", "item": "155MM", "from": "2027-01", "multiply": 0.5}
        ]
    },
    "100,000 155MM for Poland due 2027-06, priority 2": {
        "commitment": [
            {
                "action": "add",
                "id": "POL-155-WHATIF",
                "partner": "POL",
                "item": "155MM",
                "quantity": 100000,
                "promised": "2027-06",
                "priority": 2,
            }
        ]
    },
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ds = sample_dataset(str(tmp_path_factory.mktemp("sample") / "s.duckdb"))
    start = default_start(ds)
    return ds, start, allocate(ds, None, start, 36)


def _other_items(plan: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    other = pl.col("item_id") != "155MM"
    return (
        plan.commitments.filter(other).sort("commitment_id").drop("reasons"),
        plan.shipments.filter(other).sort("source_id", "commitment_id", "partner_id", "month"),
    )


@pytest.mark.parametrize("whatif", list(WHATIFS))
def test_the_sample_whatifs_move_no_promise_of_another_item(sample: Any, whatif: str) -> None:
    """The two what-ifs of the user trial touch only 155mm: against the baseline plan as
    reference, no promise (and no shipment) of another item moves."""
    ds, start, base = sample
    doc = {"name": "trial", "description": whatif, "base": "baseline", **WHATIFS[whatif]}
    applied = apply_chain(ds, (scenario_from_doc(doc),))
    plan = allocate(applied.dataset, None, start, 36, reference=base.shipments)
    assert check_plan(applied.dataset, None, start, 36, plan, base.shipments) == []
    got, want = _other_items(plan), _other_items(base)
    # the same rows; units equal up to the 1e-6 the plan's figures are rounded to
    assert_frame_equal(got[0], want[0], rel_tol=0, abs_tol=1e-5)
    assert_frame_equal(got[1], want[1], rel_tol=0, abs_tol=1e-5)


@pytest.mark.parametrize("by", ["simplex", "interior point", "interior point that gives up"])
def test_the_stages_after_readiness_solved_afresh_reach_the_same_optima(
    sample: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, by: str
) -> None:
    """Large models solve the fair-shares levels and the later stages without the last
    basis (HiGHS presolves what the earlier stages fixed), the largest blocks by the interior
    point. Forced on the sample, every stage reaches the optimum the warm solve reaches, and
    the plan passes the checker; an interior point that stops short hands over to the
    simplex."""
    import optimize.solve

    ds, start, warm = sample
    monkeypatch.setattr(optimize.solve, "PRESOLVE_COLUMNS", 0)
    if by != "simplex":
        monkeypatch.setattr(optimize.solve, "INTERIOR_COLUMNS", 0)
    if by == "interior point that gives up":
        new_highs = optimize.solve._new_highs

        def stopping_early(highspy: Any) -> Any:
            h = new_highs(highspy)
            h.setOptionValue("ipm_iteration_limit", 1)
            return h

        monkeypatch.setattr(optimize.solve, "_new_highs", stopping_early)
    with caplog.at_level(logging.DEBUG, logger="optimize.solve"):
        afresh = allocate(ds, None, start, 36)
    assert check_plan(ds, None, start, 36, afresh) == []
    assert_same_optima(afresh, warm)
    interior = [r.getMessage() for r in caplog.records if "interior-point" in r.getMessage()]
    again = [
        r.getMessage() for r in caplog.records if "solved again by the simplex" in r.getMessage()
    ]
    assert bool(interior) == (by != "simplex")
    assert bool(again) == (by == "interior point that gives up")


def test_a_probe_that_finds_no_plan_pins_its_rows_at_their_level(
    sample: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The test whether rows at their level can do better holds every level at its value;
    a value its own rows meet only to the solver's tolerance can leave no plan at all (one
    block of the 10x night). Given levels 1e-3 below the ones the sample's level 2 reached,
    HiGHS finds the probe infeasible: its rows are pinned at their level with a warning, and
    the plan is still made, passes the checker and keeps the optima of the stages before."""
    import optimize.solve

    ds, start, warm = sample
    probe = optimize.solve._cannot_do_better
    probed: list[int] = []

    def below_their_rows(runner: Any, model: Any, clock: Any, free: Any, level: Any, *rest: Any):
        probed.append(int(rest[0].sum()))
        return probe(runner, model, clock, free, level - 1e-3, *rest)

    monkeypatch.setattr(optimize.solve, "_cannot_do_better", below_their_rows)
    with caplog.at_level(logging.WARNING, logger="optimize.solve"):
        plan = allocate(ds, None, start, 36)
    warned = [r.getMessage() for r in caplog.records if "pinned at it" in r.getMessage()]
    assert probed
    assert len(warned) == len(probed)
    assert all("'Infeasible'" in w for w in warned)
    assert check_plan(ds, None, start, 36, plan) == []
    got, want = dict(plan.stages), dict(warm.stages)
    for stage in ("lateness", "readiness", "fair_shares"):
        assert got[stage] == pytest.approx(want[stage], rel=1e-6, abs=1e-6), stage
