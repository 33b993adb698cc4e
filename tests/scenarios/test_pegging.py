"""Pegging of one promise from plan rows, against sums worked out by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.pegging import promise_pegging


def test_arrivals_per_month_cumulate_to_what_is_still_owed() -> None:
    """Backlog 100, due 2027-02. Arrivals: 30 in 2027-01 (20 from A, 10 from B), 50 in 2027-03
    (from A), 10 in 2027-04: so far 30, 80, 90; owed 70, 20, 10; late from the due month on
    while anything is owed."""
    shipments = pl.DataFrame(
        {
            "source_id": ["A", "B", "A", "C"],
            "source_name": ["Plant A", None, "Plant A", "Depot C"],
            "month": [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 4, 1)],
            "arrival_month": [
                date(2027, 1, 1),
                date(2027, 1, 1),
                date(2027, 3, 1),
                date(2027, 4, 1),
            ],
            "units": [20.0, 10.0, 50.0, 10.0],
        }
    )
    peg = promise_pegging(shipments, 100.0, date(2027, 2, 1))
    assert peg.get_column("units").to_list() == [30.0, 50.0, 10.0]
    assert peg.get_column("cumulative").to_list() == [30.0, 80.0, 90.0]
    assert peg.get_column("owed").to_list() == [70.0, 20.0, 10.0]
    assert peg.get_column("late").to_list() == [False, True, True]
    assert peg.get_column("sources").to_list()[0] == (
        "Plant A (20, shipped 2026-11); B (10, shipped 2026-12)"
    )
    assert peg.get_column("units").sum() == pytest.approx(shipments.get_column("units").sum())


def test_nothing_shipped_gives_an_empty_frame() -> None:
    empty = pl.DataFrame(
        schema={
            "source_id": pl.String,
            "month": pl.Date,
            "arrival_month": pl.Date,
            "units": pl.Float64,
        }
    )
    assert promise_pegging(empty, 10.0, date(2027, 1, 1)).height == 0
