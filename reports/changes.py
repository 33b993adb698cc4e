"""What changed since the last run, and why.

Each night's ``summary.json`` keeps the baseline's per-commitment and per-pool results and
fingerprints of what they depend on (per item: capacity and routes, commitments, observed
data; per holder and item: the demand forecast). Comparing two nights' summaries gives every
promise that became late or recovered, every completion, floor-breach and rebuild month that
moved, and for each the classes of cause that changed underneath it:

- ``new data``: deliveries, consumption or stock counts of the item, or a later start month;
- ``changed forecast``: the demand forecast of a holder of the item;
- ``changed capacity or commitments``: capacity, sources, routes or expansion options of the
  item, or its commitments (quantity, promised month, priority, added or cancelled).

A change with none of these is reported as ``unexplained`` (e.g. a tie the solver broke
differently) rather than hidden.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import polars as pl

from store.dataset import Dataset
from store.months import month_index, month_text

__all__ = [
    "baseline_state",
    "diff_states",
    "fingerprints",
]

NEW_DATA, FORECAST, CAPACITY = "new data", "changed forecast", "changed capacity or commitments"
TOL = 1e-6


def _hash(frame: pl.DataFrame) -> str:
    if frame.height == 0:
        return "empty"
    text = frame.sort(frame.columns).write_csv(float_precision=6)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _per_key(frame: pl.DataFrame, keys: list[str]) -> dict[str, str]:
    if frame.height == 0:
        return {}
    out = {}
    for key, part in frame.group_by(keys, maintain_order=True):
        out["|".join(str(k) for k in key)] = _hash(part)
    return out


def fingerprints(dataset: Dataset, forecast: pl.DataFrame, start: date) -> dict[str, Any]:
    """Hashes of what each result depends on, keyed by item (or ``holder|item``)."""
    items = dataset.items.get_column("item_id").to_list()
    elig = dataset.eligibility
    sources = dataset.sources
    capacity = {}
    for item in items:
        parts = [
            dataset.capacity.filter(pl.col("item_id") == item),
            elig.filter(pl.col("item_id").is_in([item, "*"])),
            dataset.expansion_options.filter(pl.col("item_id") == item),
        ]
        capacity[item] = hashlib.sha256(
            ("".join(_hash(p) for p in parts) + _hash(sources)).encode()
        ).hexdigest()[:16]
    commitment_item = dataset.commitments.select("commitment_id", "item_id")
    deliveries = dataset.deliveries.join(commitment_item, on="commitment_id", how="left")
    data = {}
    for item in items:
        parts = [
            deliveries.filter(pl.col("item_id") == item),
            dataset.consumption.filter(pl.col("item_id") == item),
            dataset.stockpiles.filter(pl.col("item_id") == item),
        ]
        data[item] = "".join(_hash(p) for p in parts)
    return {
        "start": month_text(start),
        "capacity": capacity,
        "commitments": {
            item: _hash(dataset.commitments.filter(pl.col("item_id") == item)) for item in items
        },
        "data": data,
        "pool_data": _per_key(
            pl.concat(
                [
                    dataset.stockpiles.select("holder_id", "item_id", "as_of", "units"),
                    dataset.consumption.select(
                        "holder_id", "item_id", pl.col("month").alias("as_of"), "units"
                    ),
                ]
            ),
            ["holder_id", "item_id"],
        ),
        "forecast": _per_key(
            forecast.select("holder_id", "item_id", "month", pl.col("mean").round(3)),
            ["holder_id", "item_id"],
        ),
    }


def baseline_state(commitments: pl.DataFrame, outlook: pl.DataFrame) -> dict[str, Any]:
    """The per-commitment and per-pool results a later night compares with."""
    return {
        "commitments": {
            r["commitment_id"]: {
                "item_id": r["item_id"],
                "late_unit_months": round(r["late_unit_months"], 6),
                "completion_month": month_text(r["completion_month"]),
            }
            for r in commitments.iter_rows(named=True)
        },
        "pools": {
            f"{r['holder_id']}|{r['item_id']}": {
                "floor_breach_p50": month_text(r["floor_breach_p50"]),
                "rebuild_p50": month_text(r["target_reached_p50"]),
            }
            for r in outlook.iter_rows(named=True)
        },
    }


def _causes(old: dict[str, Any], new: dict[str, Any], item: str, holders: list[str]) -> list[str]:
    fo, fn = old.get("fingerprints", {}), new.get("fingerprints", {})

    def changed(section: str, key: str) -> bool:
        return fo.get(section, {}).get(key) != fn.get(section, {}).get(key)

    causes = []
    if (
        changed("data", item)
        or fo.get("start") != fn.get("start")
        or any(changed("pool_data", f"{h}|{item}") for h in holders)
    ):
        causes.append(NEW_DATA)
    forecast_keys = {
        k
        for k in set(fo.get("forecast", {})) | set(fn.get("forecast", {}))
        if k.endswith(f"|{item}") and (not holders or k.split("|")[0] in holders)
    }
    if any(changed("forecast", k) for k in forecast_keys):
        causes.append(FORECAST)
    if changed("capacity", item) or changed("commitments", item):
        causes.append(CAPACITY)
    return causes


def _months_moved(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return month_index(date.fromisoformat(b + "-01"), date.fromisoformat(a + "-01"))


def diff_states(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every change between two nights' baseline states, each with its cause classes.

    ``old`` and ``new`` are summary objects with ``baseline`` (from :func:`baseline_state`)
    and ``fingerprints`` (from :func:`fingerprints`)."""
    changes: list[dict[str, Any]] = []
    oc = old.get("baseline", {}).get("commitments", {})
    nc = new.get("baseline", {}).get("commitments", {})
    for cid in sorted(set(oc) | set(nc)):
        a, b = oc.get(cid), nc.get(cid)
        item = (b or a)["item_id"]
        # A promise draws on the whole item, not one pool: no holders means every holder's
        # forecast counts, and the item's "data" hash already covers every holder's counts.
        causes = _causes(old, new, item, []) or ["unexplained"]
        if a is None or b is None:
            kind = "promise added" if a is None else "promise gone"
            changes.append(
                {
                    "kind": kind,
                    "subject": cid,
                    "item_id": item,
                    "before": None,
                    "after": None,
                    "causes": causes,
                }
            )
            continue
        late_a, late_b = a["late_unit_months"] > TOL, b["late_unit_months"] > TOL
        if late_b and not late_a:
            kind = "promise became late"
        elif late_a and not late_b:
            kind = "promise recovered"
        elif a["completion_month"] != b["completion_month"]:
            kind = "completion moved"
        else:
            continue
        changes.append(
            {
                "kind": kind,
                "subject": cid,
                "item_id": item,
                "before": a["completion_month"],
                "after": b["completion_month"],
                "months": _months_moved(a["completion_month"], b["completion_month"]),
                "causes": causes,
            }
        )
    op = old.get("baseline", {}).get("pools", {})
    np_ = new.get("baseline", {}).get("pools", {})
    for key in sorted(set(op) & set(np_)):
        holder, item = key.split("|", 1)
        for field, kind in (
            ("floor_breach_p50", "floor breach moved"),
            ("rebuild_p50", "rebuild moved"),
        ):
            before, after = op[key][field], np_[key][field]
            if before == after:
                continue
            changes.append(
                {
                    "kind": kind,
                    "subject": key.replace("|", " "),
                    "item_id": item,
                    "before": before,
                    "after": after,
                    "months": _months_moved(before, after),
                    "causes": _causes(old, new, item, [holder]) or ["unexplained"],
                }
            )
    return changes
