"""A pool's planned balance worked by hand: three months, a line making into the pool, two
partners shipped to, and consumption left as what closes the balance."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.pegging import pool_balance

M1, M2, M3 = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


def test_a_balance_worked_by_hand() -> None:
    levels = pl.DataFrame({"month": [M1, M2, M3], "level": [900.0, 700.0, 1_600.0]})
    flows = pl.DataFrame(
        {
            "flow": ["made", "shipped", "shipped", "made", "shipped", "made"],
            "counterpart": ["LINE", "UKR", "POL", "LINE", "UKR", "LINE"],
            "month": [M1, M1, M1, M2, M2, M3],
            "units": [500.0, 300.0, 200.0, 500.0, 600.0, 1_000.0],
        }
    )
    # opening 1,000: M1 1,000 + 500 - 500 - 100 = 900; M2 900 + 500 - 600 - 100 = 700;
    # M3 700 + 1,000 - 0 - 100 = 1,600 (consumption 100 a month)
    out = pool_balance(levels, flows, 1_000.0, {"LINE": "The line", "UKR": "Ukraine"})
    assert out.get_column("opening").to_list() == [1_000.0, 900.0, 700.0]
    assert out.get_column("in_units").to_list() == [500.0, 500.0, 1_000.0]
    assert out.get_column("out_units").to_list() == [500.0, 600.0, 0.0]
    assert out.get_column("other_units").to_list() == pytest.approx([100.0] * 3)
    assert out.get_column("closing").to_list() == [900.0, 700.0, 1_600.0]
    assert out.get_column("inflows").to_list() == [
        "made by The line (500)",
        "made by The line (500)",
        "made by The line (1,000)",
    ]
    # largest first; an id without a name stays an id
    assert out.get_column("outflows").to_list() == [
        "to Ukraine (300); to POL (200)",
        "to Ukraine (600)",
        "",
    ]


def test_a_partner_pool_counts_arrivals_in() -> None:
    levels = pl.DataFrame({"month": [M1], "level": [50.0]})
    flows = pl.DataFrame(
        {"flow": ["arrived"], "counterpart": ["DEPOT"], "month": [M1], "units": [80.0]}
    )
    out = pool_balance(levels, flows, 0.0)
    assert out.row(0, named=True) | {"month": None} == {
        "month": None,
        "opening": 0.0,
        "inflows": "from DEPOT (80)",
        "in_units": 80.0,
        "outflows": "",
        "out_units": 0.0,
        "other_units": 30.0,
        "closing": 50.0,
    }


def test_no_levels_no_rows() -> None:
    empty = pl.DataFrame(schema={"month": pl.Date, "level": pl.Float64})
    flows = pl.DataFrame(
        schema={"flow": pl.String, "counterpart": pl.String, "month": pl.Date, "units": pl.Float64}
    )
    assert pool_balance(empty, flows, 10.0).height == 0
