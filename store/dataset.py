"""The imported data as plain polars frames: what every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

import polars as pl

from store.contract import FILES
from store.db import Connection
from store.defaults import DEFAULT_HORIZON
from store.months import add_months
from store.sql import query

__all__ = ["DEFAULT_HORIZON", "Dataset", "default_start", "read_dataset"]


@dataclass(frozen=True)
class Dataset:
    """One frame per import file, typed as in ``sql/schema.sql`` (months are ``pl.Date``).

    Optional files that were not given are empty frames with the right columns.
    """

    items: pl.DataFrame
    partners: pl.DataFrame
    sources: pl.DataFrame
    capacity: pl.DataFrame
    stockpiles: pl.DataFrame
    consumption: pl.DataFrame
    commitments: pl.DataFrame
    deliveries: pl.DataFrame
    eligibility: pl.DataFrame
    absorption: pl.DataFrame
    expansion_options: pl.DataFrame
    bom: pl.DataFrame
    uncertainty: pl.DataFrame

    def with_tables(self, **tables: pl.DataFrame) -> Dataset:
        """A copy with some tables replaced (scenarios build on this)."""
        return replace(self, **tables)

    def tables(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


assert [f.name for f in fields(Dataset)] == [f.name for f in FILES]


def read_dataset(con: Connection) -> Dataset:
    """Read every imported table from the database."""
    return Dataset(**{spec.name: query(con, f"dataset_{spec.name}") for spec in FILES})


def default_start(dataset: Dataset) -> date:
    """The month after the last month of consumption history (else of the stock counts)."""
    last = dataset.consumption.get_column("month").max()
    if last is None:
        last = dataset.stockpiles.get_column("as_of").max()
    if last is None:
        raise ValueError("no consumption history and no stock counts: give a start month")
    return add_months(date(last.year, last.month, 1), 1)  # type: ignore[union-attr]
