from datetime import date

import polars as pl
import pytest

from store.months import (
    add_months,
    month_index,
    month_index_expr,
    month_range,
    month_text,
    parse_month,
)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "2026-03-01", ""])
def test_parse_month_rejects_non_months(text: str) -> None:
    with pytest.raises(ValueError, match="not a month"):
        parse_month(text)


def test_month_arithmetic_round_trips_over_year_ends() -> None:
    start = date(2025, 11, 1)
    for n in range(-30, 30):
        m = add_months(start, n)
        assert m.day == 1
        assert month_index(m, start) == n
        assert parse_month(month_text(m)) == m
    assert month_range(start, 3) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]


def test_month_index_expr_agrees_with_month_index_across_year_ends() -> None:
    start = date(2025, 11, 1)
    months = [add_months(start, n) for n in range(-30, 30)]
    got = pl.DataFrame({"m": months}).select(month_index_expr("m", start)).to_series().to_list()
    assert got == [month_index(m, start) for m in months] == list(range(-30, 30))
