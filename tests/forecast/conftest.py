"""Small data sets for the forecast tests, built as frames (typed like the store's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl
import pytest

from store.dataset import Dataset, read_dataset
from store.db import connect
from store.months import add_months


@pytest.fixture(scope="session")
def empty_dataset() -> Dataset:
    con = connect(":memory:")
    try:
        return read_dataset(con)
    finally:
        con.close()


@pytest.fixture
def make_dataset(empty_dataset: Dataset) -> Callable[..., Dataset]:
    """``make_dataset(consumption=[{...}], ...)``: rows as dicts, other tables empty."""

    def make(**tables: list[dict]) -> Dataset:
        frames = {}
        for name, rows in tables.items():
            schema = getattr(empty_dataset, name).schema
            frames[name] = pl.DataFrame(
                [{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row"
            )
        return empty_dataset.with_tables(**frames)

    return make


def _monthly(holder: str, item: str, first: date, values: list[float]) -> list[dict]:
    return [
        {"holder_id": holder, "item_id": item, "month": add_months(first, i), "units": float(v)}
        for i, v in enumerate(values)
    ]


@pytest.fixture
def monthly() -> Callable[..., list[dict]]:
    """``monthly(holder, item, first_month, values)``: consumption rows, one per value."""
    return _monthly
