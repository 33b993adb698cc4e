"""The shared domain facts (``store/facts.py``) against hand-worked cases and second
formulations written here on purpose (plain loops, independent of the code under test)."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl
import pytest
from store_helpers import SAMPLE

from store.dataset import read_dataset
from store.db import connect
from store.facts import (
    capacity_grid,
    capacity_lines_worth_most,
    commitment_backlog,
    line_holders,
    priority_weight,
    rank_capacity_value,
    starting_stocks,
)
from store.load import load_dataset
from store.months import add_months, month_range

CAPACITY_SCHEMA = {
    "source_id": pl.String,
    "item_id": pl.String,
    "month": pl.Date,
    "units": pl.Float64,
}


@pytest.fixture(scope="module")
def sample_con(tmp_path_factory: pytest.TempPathFactory):
    con = connect(tmp_path_factory.mktemp("facts") / "sample.duckdb")
    load_dataset(con, SAMPLE)
    yield con
    con.close()


def test_capacity_grid_holds_each_rate_until_the_next_row_and_is_zero_before_the_first() -> None:
    """A: 3 from 2025-01, 7 from 2026-03; B: 5 from 2026-01. On Dec 2025, Jan 2026, Apr 2026:
    A gives 3, 3, 7; B gives 0 (before its first row), 5, 5; C (no rows) gives 0, 0, 0."""
    capacity = pl.DataFrame(
        [
            ("B", "x", date(2026, 1, 1), 5.0),
            ("A", "x", date(2026, 3, 1), 7.0),
            ("A", "x", date(2025, 1, 1), 3.0),
        ],
        schema=CAPACITY_SCHEMA,
        orient="row",
    )
    months = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 4, 1)]
    grid = capacity_grid(capacity, months)
    assert grid.columns == ["source_id", "item_id", "t", "month", "units"]
    assert grid.select("source_id", "t", "units").rows() == [
        ("A", 0, 3.0),
        ("A", 1, 3.0),
        ("A", 2, 7.0),
        ("B", 0, 0.0),
        ("B", 1, 5.0),
        ("B", 2, 5.0),
    ]
    keys = pl.DataFrame({"source_id": ["C"], "item_id": ["x"]})
    assert capacity_grid(capacity, months, keys=keys).get_column("units").to_list() == [0.0] * 3
    assert capacity_grid(capacity.clear(), months).height == 0


def test_capacity_grid_matches_a_plain_loop_on_the_sample(sample_con) -> None:
    """A second formulation (a loop over the rows; kept here on purpose) of the step function."""
    capacity = read_dataset(sample_con).capacity
    months = month_range(date(2022, 6, 1), 80)
    grid = capacity_grid(capacity, months)
    want = []
    for source, item in sorted(set(capacity.select("source_id", "item_id").iter_rows())):
        rows = sorted((m, u) for s, i, m, u in capacity.iter_rows() if (s, i) == (source, item))
        for t, month in enumerate(months):
            rate = 0.0
            for since, units in rows:
                if since <= month:
                    rate = units
            want.append((source, item, t, rate))
    assert grid.select("source_id", "item_id", "t", "units").rows() == want


def test_line_holders_send_output_to_a_named_stock_source_else_keep_their_own_pool() -> None:
    sources = pl.DataFrame(
        [
            ("DEPOT", "us_stock", None),
            ("PLANT", "us_production", "DEPOT"),
            ("ALLY", "allied_production", None),
            ("ODD", "co_production", "ALLY"),  # names a production source: not a stock pool
        ],
        schema={"source_id": pl.String, "kind": pl.String, "stock_holder": pl.String},
        orient="row",
    )
    assert sorted(line_holders(sources).rows()) == [
        ("ALLY", "ALLY"),
        ("ODD", "ODD"),
        ("PLANT", "DEPOT"),
    ]


def test_starting_stock_is_the_latest_count_before_the_start_else_the_first_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DEPOT/X counted before and after the start: the last count before (200). NEW/X counted
    only after: its first count (50, floor 5), logged. LATE/X is filtered out by ``holders``."""
    start = date(2026, 11, 1)
    schema = {
        "holder_id": pl.String,
        "item_id": pl.String,
        "as_of": pl.Date,
        "units": pl.Float64,
        "floor_units": pl.Float64,
        "target_units": pl.Float64,
    }
    counts = pl.DataFrame(
        [
            ("DEPOT", "X", date(2026, 1, 31), 100.0, 10.0, None),
            ("DEPOT", "X", date(2026, 10, 31), 200.0, 20.0, 300.0),
            ("DEPOT", "X", date(2026, 11, 30), 999.0, 99.0, None),
            ("NEW", "X", date(2027, 1, 31), 70.0, 7.0, None),
            ("NEW", "X", date(2026, 12, 31), 50.0, 5.0, None),
            ("LATE", "X", date(2026, 10, 31), 1.0, 0.0, None),
        ],
        schema=schema,
        orient="row",
    )
    with caplog.at_level(logging.INFO, logger="store.facts"):
        got = starting_stocks(counts, start, holders=["DEPOT", "NEW"])
    assert got.rows() == [("DEPOT", "X", 200.0, 20.0, 300.0), ("NEW", "X", 50.0, 5.0, None)]
    assert "NEW/X" in caplog.text
    assert starting_stocks(counts, start).get_column("holder_id").to_list() == [
        "DEPOT",
        "LATE",
        "NEW",
    ]


def test_priority_weight_is_16_to_1_for_numbers_and_expressions() -> None:
    assert [priority_weight(p) for p in range(1, 6)] == [16.0, 8.0, 4.0, 2.0, 1.0]
    frame = pl.DataFrame({"priority": [1, 3, 5]})
    assert frame.select(priority_weight(pl.col("priority"))).to_series().to_list() == [
        16.0,
        4.0,
        1.0,
    ]


def test_backlog_is_quantity_minus_deliveries_never_below_zero() -> None:
    commitments = pl.DataFrame({"commitment_id": ["A", "B", "C"], "quantity": [100.0, 50.0, 10.0]})
    deliveries = pl.DataFrame({"commitment_id": ["A", "A", "C"], "units": [30.0, 20.0, 15.0]})
    got = commitment_backlog(commitments, deliveries).sort("commitment_id")
    assert got.get_column("backlog").to_list() == [50.0, 50.0, 0.0]


def test_sql_views_give_the_same_backlog_weight_and_latest_stocks(sample_con) -> None:
    """The staging views ``backlog`` and ``latest_stocks`` against the Python facts."""
    ds = read_dataset(sample_con)
    py = (
        commitment_backlog(ds.commitments, ds.deliveries)
        .select(
            "commitment_id",
            "backlog",
            priority_weight(pl.col("priority")).alias("weight"),
        )
        .sort("commitment_id")
    )
    sql = sample_con.sql(
        "SELECT commitment_id, backlog_units AS backlog, weight FROM backlog ORDER BY 1"
    ).pl()
    assert sql.rows() == py.rows()
    day_after = add_months(ds.stockpiles.get_column("as_of").max().replace(day=1), 1)
    latest = starting_stocks(ds.stockpiles, day_after).rows()
    sql_latest = sample_con.sql(
        "SELECT holder_id, item_id, units, floor_units, target_units FROM latest_stocks "
        "ORDER BY holder_id, item_id"
    ).fetchall()
    assert sql_latest == latest


def test_capacity_ranking_breaks_ties_by_best_month_then_source_and_item() -> None:
    """L1 and L2 both sum to 10: L2's best month (8) beats L1's (5). L3 and L0 tie on sum and
    best month: by source id. Equal sums share a rank; a line worth nothing ranks last."""
    m1, m2 = date(2026, 11, 1), date(2026, 12, 1)
    values = pl.DataFrame(
        [
            ("L1", "X", m1, 5.0),
            ("L1", "X", m2, 5.0),
            ("L2", "X", m1, 2.0),
            ("L2", "X", m2, 8.0),
            ("L3", "X", m1, 4.0),
            ("L0", "X", m2, 4.0),
            ("L9", "X", m1, 0.0),
        ],
        schema={
            "source_id": pl.String,
            "item_id": pl.String,
            "month": pl.Date,
            "value": pl.Float64,
        },
        orient="row",
    )
    for frame in (values, values.reverse()):
        ranked = rank_capacity_value(frame)
        assert ranked.select("source_id", "value", "best", "rank").rows() == [
            ("L2", 10.0, 8.0, 1),
            ("L1", 10.0, 5.0, 1),
            ("L0", 4.0, 4.0, 3),
            ("L3", 4.0, 4.0, 3),
            ("L9", 0.0, 0.0, 5),
        ]
    l3 = ranked.row(3, named=True)
    assert (l3["first_month"], l3["last_month"], l3["months"]) == (m1, m1, 1)
    assert ranked.row(4, named=True)["months"] == 0
    worth = capacity_lines_worth_most(values, top=3)
    assert worth.get_column("source_id").to_list() == ["L2", "L1", "L0"]
