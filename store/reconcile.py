"""Do the recorded flows explain the stock counts? The reconciliation check.

For every holder and item counted two or more times, between each pair of successive counts:

    expected = count_before + inflows - outflows - consumption
    gap      = count_after - expected

where inflows are production into the holder (lines whose ``stock_holder`` is the holder,
production = capacity) and deliveries to it as a partner; outflows are deliveries from it (or
from a line feeding it); consumption is its recorded use. The ledger rows come from the named
query ``reconcile_ledger``.

Rows whose ``source_id`` starts with ``UNRECORDED_`` are *assumption rows*: flows a data set
cannot itemise from its sources (donors not itemised, transfers not public), named and sized
where the data set is documented. They are left out of ``inflows`` and ``outflows`` and shown
apart: a gap they carry (to within the tolerance) is *explained*; any other gap above the
tolerance is *unexplained*, a warning. Nothing is ever absorbed silently.

The tolerance of a period is ``max(min_units, tolerance * available)``, where ``available`` is
``count_before`` plus every inflow, assumed or not: a share of what passed through, so that a
rounding of a few rounds of 155mm does not warn, and a missing missile does.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from store.db import Connection
from store.sql import query

__all__ = [
    "ASSUMPTION_PREFIX",
    "DEFAULT_MIN_UNITS",
    "DEFAULT_TOLERANCE",
    "read_reconciliation",
    "reconcile",
]

ASSUMPTION_PREFIX = "UNRECORDED_"
"""Source ids starting with this are assumption rows (see the module docstring)."""

DEFAULT_TOLERANCE = 0.01
"""Share of the units available in a period (count before plus inflows) a gap may reach."""

DEFAULT_MIN_UNITS = 1.0
"""The smallest gap that is ever reported, in units."""

_IN = ("production", "delivery_in")
_OUT = ("delivery_out", "consumption")


def _month(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m")


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """One ledger row as plain data: what it is, where from, when, how many."""
    row: dict[str, Any] = {"month": _month(entry["month"]), "units": entry["units"]}
    if entry["source_id"] is not None:
        row["source_id"] = entry["source_id"]
    if entry["commitment_id"] is not None:
        row["commitment_id"] = entry["commitment_id"]
    return row


def _period(key: tuple, entries: list[dict[str, Any]], tolerance: float, min_units: float):
    holder_id, item_id, from_date, to_date = key
    count_before = next(e["units"] for e in entries if e["entry"] == "opening")
    count_after = next(e["units"] for e in entries if e["entry"] == "closing")
    totals: dict[str, float] = defaultdict(float)
    assumed: dict[str, float] = defaultdict(float)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        kind = e["entry"]
        if kind in ("opening", "closing"):
            continue
        sign = 1.0 if kind in _IN else -1.0
        if e["assumed"]:
            assumed[e["source_id"]] += sign * e["units"]
            rows["assumed"].append({"entry": kind, **_row(e)})
        else:
            totals[kind] += e["units"]
            rows[kind].append(_row(e))
    inflows = totals["production"] + totals["delivery_in"]
    outflows = totals["delivery_out"]
    consumption = totals["consumption"]
    expected = count_before + inflows - outflows - consumption
    gap = count_after - expected
    carried = sum(assumed.values())
    residual = gap - carried
    assumed_in = sum(e["units"] for e in entries if e["assumed"] and e["entry"] in _IN)
    threshold = max(min_units, tolerance * (count_before + inflows + assumed_in))
    return {
        "holder_id": holder_id,
        "item_id": item_id,
        "from": from_date.isoformat(),
        "to": to_date.isoformat(),
        "count_before": count_before,
        "production": totals["production"],
        "deliveries_in": totals["delivery_in"],
        "inflows": inflows,
        "outflows": outflows,
        "consumption": consumption,
        "expected": expected,
        "count_after": count_after,
        "gap": gap,
        "threshold": threshold,
        "explained_by": [
            {"source_id": s, "units": u} for s, u in sorted(assumed.items()) if u != 0
        ],
        "residual": residual,
        "status": "explained" if abs(residual) <= threshold else "unexplained",
        "listed": abs(gap) > threshold or abs(residual) > threshold,
        "rows": {
            "stockpiles": [
                {"as_of": from_date.isoformat(), "units": count_before},
                {"as_of": to_date.isoformat(), "units": count_after},
            ],
            **{k: rows[k] for k in (*_IN, *_OUT, "assumed") if rows[k]},
        },
    }


def _periods(con: Connection, tolerance: float, min_units: float) -> list[dict[str, Any]]:
    if tolerance < 0 or min_units < 0:
        raise ValueError("the tolerance and the minimum units must be zero or more")
    ledger = query(con, "reconcile_ledger", assumption_prefix=ASSUMPTION_PREFIX)
    grouped: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for entry in ledger.iter_rows(named=True):
        key = (entry["holder_id"], entry["item_id"], entry["from_date"], entry["to_date"])
        grouped[key].append(entry)
    return [_period(k, v, tolerance, min_units) for k, v in grouped.items()]


def reconcile(
    con: Connection,
    tolerance: float = DEFAULT_TOLERANCE,
    min_units: float = DEFAULT_MIN_UNITS,
) -> list[dict[str, Any]]:
    """Every gap above the tolerance, explained by assumption rows or not, as plain dicts.

    One dict per holder, item and period between successive counts (``from``, ``to``), with
    ``count_before``, ``inflows`` (``production`` + ``deliveries_in``), ``outflows``,
    ``consumption``, ``expected``, ``count_after``, ``gap`` (count_after - expected, from the
    recorded rows alone), ``explained_by`` (assumption sources and the net units they carry),
    ``residual`` (gap - what they carry), ``status`` (``explained`` or ``unexplained``),
    ``threshold`` and ``rows`` (the ledger rows involved, by kind). Ordered by holder, item,
    period.
    """
    return read_reconciliation(con, tolerance, min_units)["gaps"]


def read_reconciliation(
    con: Connection,
    tolerance: float = DEFAULT_TOLERANCE,
    min_units: float = DEFAULT_MIN_UNITS,
) -> dict[str, Any]:
    """The whole check as plain data (the shape of ``arsenal reconcile --json``)."""
    periods = _periods(con, tolerance, min_units)
    gaps = []
    for period in periods:
        if period.pop("listed"):
            gaps.append(period)
    return {
        "tolerance": tolerance,
        "min_units": min_units,
        "assumption_prefix": ASSUMPTION_PREFIX,
        "periods_checked": len(periods),
        "gaps": gaps,
        "explained": sum(1 for g in gaps if g["status"] == "explained"),
        "unexplained": sum(1 for g in gaps if g["status"] == "unexplained"),
    }
