"""Tiny data sets for the allocation tests, built as frames (no files, no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from optimize import check_plan
from store.contract import FILES
from store.dataset import Dataset

_TYPES = {
    "id": pl.String,
    "text": pl.String,
    "number": pl.Float64,
    "integer": pl.Int32,
    "month": pl.Date,
    "date": pl.Date,
    "bool": pl.Boolean,
    "id_list": pl.String,
}
START = date(2026, 1, 1)


def month(k: int) -> date:
    """Plan month k (1-based) from START (an independent copy of store.months' arithmetic,
    kept on purpose so the tests do not check the code with itself)."""
    n = START.year * 12 + START.month - 1 + k - 1
    return date(n // 12, n % 12 + 1, 1)


def make_dataset(**tables: list[dict[str, Any]]) -> Dataset:
    """A Dataset from row dicts; missing optional columns are null, missing tables empty."""
    frames = {}
    for spec in FILES:
        schema = {c.name: _TYPES[c.type] for c in spec.columns}
        rows = tables.get(spec.name, [])
        rows = [{k: r.get(k) for k in schema} for r in rows]
        frames[spec.name] = (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )
    return Dataset(**frames)


def base_tables(
    items: tuple[str, ...] = ("SHELL",), partners: tuple[str, ...] = ("UKR", "POL")
) -> dict[str, list[dict[str, Any]]]:
    return {
        "items": [
            {"item_id": i, "name": i, "category": "ammo", "unit_cost_usd": 1.0} for i in items
        ],
        "partners": [{"partner_id": p, "name": p, "tier": "frontline"} for p in partners],
    }


def commitment(
    cid: str, partner: str, item: str, qty: float, due: int, priority: int = 1
) -> dict[str, Any]:
    return {
        "commitment_id": cid,
        "partner_id": partner,
        "item_id": item,
        "quantity": qty,
        "promised_month": month(due),
        "priority": priority,
        "announced": date(2025, 1, 1),
    }


def checked(
    dataset: Dataset, plan: Any, demand: pl.DataFrame | None = None, start: date = START
) -> Any:
    """Every plan in the tests goes through the independent checker."""
    problems = check_plan(dataset, demand, start, plan.horizon, plan)
    assert problems == [], problems
    return plan


def assert_same_optima(got: Any, want: Any, rel: float = 1e-6) -> None:
    """Two solves of one model (another route through the solver) reach every stage's
    optimum alike, and the same weighted lateness."""
    import pytest

    g, w = dict(got.stages), dict(want.stages)
    assert g.keys() == w.keys()
    for name, value in w.items():
        if value is None:
            assert g[name] is None, name
        else:
            assert g[name] == pytest.approx(value, rel=rel, abs=1e-6), name
    assert got.weighted_late_unit_months == pytest.approx(want.weighted_late_unit_months)


def sample_dataset(db: str) -> Dataset:
    """The embedded sample, loaded into a new DuckDB file ``db`` and read back."""
    from pathlib import Path

    from store.dataset import read_dataset
    from store.db import connect
    from store.load import load_dataset

    con = connect(db)
    try:
        load_dataset(con, Path(__file__).resolve().parents[2] / "data" / "sample")
        return read_dataset(con)
    finally:
        con.close()
