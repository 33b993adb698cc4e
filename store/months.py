"""Month arithmetic. A month is a ``datetime.date`` on the first day; text form ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import date

import polars as pl

__all__ = [
    "add_months",
    "month_index",
    "month_index_expr",
    "month_range",
    "month_text",
    "parse_month",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """``"2026-03"`` -> ``date(2026, 3, 1)``; raises ValueError on anything else."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_text(month: date | None) -> str | None:
    return None if month is None else f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, n: int) -> date:
    k = month.year * 12 + (month.month - 1) + n
    return date(k // 12, k % 12 + 1, 1)


def month_index(month: date, start: date) -> int:
    """Months from ``start`` to ``month`` (0 when equal)."""
    return (month.year - start.year) * 12 + (month.month - start.month)


def month_index_expr(column: str, start: date) -> pl.Expr:
    """``month_index`` over a date column: months from ``start`` to each row's month."""
    col = pl.col(column)
    return (col.dt.year() - start.year) * 12 + (col.dt.month() - start.month)


def month_range(start: date, n: int) -> list[date]:
    return [add_months(start, i) for i in range(n)]
