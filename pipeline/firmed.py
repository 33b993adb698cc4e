"""The firmed shipments and pinned completions every plan honours (stage 0 of the model).

Planners firm rows in the shared state beside the DuckDB file (``store.state``); each plan of
``arsenal run``, ``arsenal allocate``, the nightly run, a what-if and a simulation reads the
rows in force when it starts, so a firmed row holds in all of them until it is released.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from optimize.firmed import FIRMED_SCHEMA, empty_firmed
from store.dataset import Dataset
from store.errors import InputRejected, Problem
from store.state import FIRM_KINDS, FirmedRow, StateStore, open_state, state_path_for
from store.state.records import check_month

__all__ = ["ANY_SOURCE", "firm", "firm_problems", "firmed_frame", "firmed_in_force"]


def firmed_frame(rows: Sequence[FirmedRow]) -> pl.DataFrame:
    """The rows in force among ``rows``, as the model reads them."""
    kept = [r for r in rows if r.released_at is None]
    if not kept:
        return empty_firmed()
    return pl.DataFrame(
        [
            {
                "firm_id": r.id,
                "kind": r.kind,
                "source_id": r.source_id,
                "commitment_id": r.commitment_id,
                "partner_id": r.partner_id,
                "item_id": r.item_id,
                "month": r.month,
                "units": float(r.units),
            }
            for r in kept
        ],
        schema=FIRMED_SCHEMA,
    )


def firmed_in_force(db: str | Path) -> pl.DataFrame:
    """The firmed rows in force for the DuckDB file ``db`` (none when it has no shared state
    yet: nobody has firmed anything, and reading creates no file)."""
    if str(db) == ":memory:" or not state_path_for(db).exists():
        return empty_firmed()
    state = open_state(db)
    try:
        return firmed_frame(state.read_firmed())
    finally:
        state.close()


ANY_SOURCE = "*"
"""The source of a pinned completion: whichever sources the plan uses."""


def firm_problems(
    dataset: Dataset,
    kind: str,
    *,
    source_id: str | None,
    partner_id: str | None,
    item_id: str | None,
    month: str | None,
    units: float | None,
    commitment_id: str | None,
    where: str = "firm",
) -> tuple[list[Problem], dict[str, Any]]:
    """Every reason a firmed row cannot be recorded against ``dataset`` (each naming the field
    and value), and the row to record when there is none: a pinned completion takes its
    partner, item and units from its promise; a shipment's promise must be the partner's and
    the item's."""
    problems: list[Problem] = []

    def bad(column: str, value: object, reason: str) -> None:
        problems.append(Problem(where, None, column, None if value is None else str(value), reason))

    if kind not in FIRM_KINDS:
        bad("kind", kind, f"must be one of {', '.join(FIRM_KINDS)}")
        return problems, {}
    try:
        check_month(month)
    except ValueError:
        bad("month", month, "must be a month written YYYY-MM")
    promise = None
    if commitment_id:
        found = dataset.commitments.filter(pl.col("commitment_id") == commitment_id)
        if found.height == 0:
            bad("commitment_id", commitment_id, "no such promise in the data")
        else:
            promise = found.row(0, named=True)
    if kind == "completion_pin":
        if not commitment_id:
            bad("commitment_id", commitment_id, "a pinned completion names its promise")
        if problems or promise is None:
            return problems, {}
        return [], {
            "kind": kind,
            "source_id": ANY_SOURCE,
            "partner_id": promise["partner_id"],
            "item_id": promise["item_id"],
            "month": month,
            "units": float(promise["quantity"]),
            "commitment_id": commitment_id,
        }
    known = (
        ("source_id", source_id, dataset.sources, "no such source in the data"),
        ("partner_id", partner_id, dataset.partners, "no such partner in the data"),
        ("item_id", item_id, dataset.items, "no such item in the data"),
    )
    for column, value, table, reason in known:
        if not value or table.filter(pl.col(column) == value).height == 0:
            bad(column, value, reason if value else "required")
    if units is None or not (0 < units < float("inf")):
        bad("units", units, "must be a number of units above 0")
    if promise is not None:
        for column, value in (("partner_id", partner_id), ("item_id", item_id)):
            if value and promise[column] != value:
                bad(
                    "commitment_id",
                    commitment_id,
                    f"the promise is for {column.removesuffix('_id')} {promise[column]}, not {value}",
                )
    if problems:
        return problems, {}
    return [], {
        "kind": kind,
        "source_id": source_id,
        "partner_id": partner_id,
        "item_id": item_id,
        "month": month,
        "units": float(units or 0.0),
        "commitment_id": commitment_id or None,
    }


def firm(state: StateStore, dataset: Dataset, who: str, **fields: Any) -> int:
    """Record a firmed row (``fields`` as :func:`firm_problems` takes them) with who firmed it;
    its id. Raises ``InputRejected`` (nothing recorded) when the row does not fit the data."""
    problems, row = firm_problems(dataset, **fields)
    if problems:
        raise InputRejected(problems)
    kind = row.pop("kind")
    return state.firm(kind, who=who, **row)
