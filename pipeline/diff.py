"""What changed since the last night: in the plan, in the inputs, and which explains which.

``plan_state`` keeps a night's baseline results per promise and per stock (in its
``summary.json``); ``plan_changes`` compares two nights' states: every promise that became
late or recovered, every completion, floor-breach and rebuild month that moved.
``store.history.diff_loads`` gives the input rows that differ between the two nights' loads;
``describe_change`` says each in one line a planner reads ("US_155_PLANTS capacity of 155MM
from 2026-05: 100,000 -> 70,000"), and ``explain_changes`` names, for each plan change, the
input changes that can explain it: changes to the same item (for a stock, its holder's
counts and use first). A plan change no input explains is a "re-plan" (the solver chose
differently among equally good plans, or a setting changed), never a vague class.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from store.contract import FILES
from store.dataset import Dataset
from store.db import connect
from store.history import LoadDiff, LoadInfo, RowChange, diff_loads
from store.months import month_index, month_text

__all__ = [
    "REPLAN",
    "describe_change",
    "explain_changes",
    "load_for_hash",
    "plan_changes",
    "plan_state",
    "read_load_diff",
    "render_diff",
]

REPLAN = "re-plan"
TOL = 1e-6
MAX_CAUSES = 2
"""Input changes named per plan change; the rest are counted."""

_TYPES = {spec.name: {c.name: c.type for c in spec.columns} for spec in FILES}
_KEYS = {spec.name: spec.key for spec in FILES}


def read_load_diff(
    db: str | Path, load_a: int | None = None, load_b: int | None = None
) -> LoadDiff:
    """``arsenal diff``: the rows that differ between two loads of the database ``db``."""
    con = connect(db, read_only=True)
    try:
        return diff_loads(con, load_a, load_b)
    finally:
        con.close()


def _value(table: str, column: str, value: Any) -> str:
    if value is None:
        return "-"
    kind = _TYPES.get(table, {}).get(column)
    if kind == "month" and isinstance(value, str):
        return value[:7]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def _label(column: str) -> str:
    return {
        "units": "",
        "floor_units": "floor",
        "target_units": "target",
        "lead_time_months": "lead time (months)",
        "unit_cost_usd": "unit cost (USD)",
        "cost_usd": "cost (USD)",
        "units_per_month": "units a month",
        "added_units_per_month": "added units a month",
        "promised_month": "promised month",
    }.get(column, column.replace("_", " "))


def _subject(c: RowChange) -> str:
    """What the row is about, in the words of its table."""
    row = c.after or c.before or {}
    t = lambda col: _value(c.table, col, row.get(col))  # noqa: E731
    match c.table:
        case "capacity":
            return f"{row['source_id']} capacity of {row['item_id']} from {t('month')}"
        case "stockpiles":
            return f"{row['holder_id']} {row['item_id']} stock counted {t('as_of')}"
        case "consumption":
            return f"{row['holder_id']} {row['item_id']} use in {t('month')}"
        case "commitments":
            return f"promise {row['commitment_id']}"
        case "deliveries":
            return f"delivery for {row['commitment_id']} from {row['source_id']} in {t('month')}"
        case "eligibility":
            return f"route {row['source_id']} -> {row['partner_id']} for {row['item_id']}"
        case "absorption":
            return f"{row['partner_id']} absorption of {row['category']}"
        case "expansion_options":
            return f"expansion option {row['option_id']}"
        case "bom":
            line = f" at {row['source_id']}" if row.get("source_id") else ""
            return f"{row['component_id']} in {row['item_id']}{line}"
        case "uncertainty":
            return f"uncertainty {row['kind']} of {row['target']} {row['item_id']}"
        case "items" | "partners" | "sources":
            key = _KEYS[c.table][0]
            return f"{c.table[:-1]} {row[key]}"
    keys = _KEYS.get(c.table) or tuple(row)
    return f"{c.table} " + " ".join(_value(c.table, k, row.get(k)) for k in keys)


def _brief(c: RowChange, row: dict[str, Any]) -> str:
    """The values of an added or removed row that are not in its subject."""
    skip = set(_KEYS.get(c.table) or ()) | {
        "source_id",
        "item_id",
        "holder_id",
        "partner_id",
        "commitment_id",
        "month",
        "as_of",
        "category",
        "option_id",
        "component_id",
    }
    parts = []
    for column, value in row.items():
        if column in skip or value is None:
            continue
        label = _label(column)
        parts.append(f"{label} {_value(c.table, column, value)}".strip())
    return ", ".join(parts)


def describe_change(c: RowChange) -> str:
    """One input change in one line, e.g. ``US_155_PLANTS capacity of 155MM from 2026-05:
    100,000 -> 70,000`` or ``promise TWN-1: quantity 200 -> 9,000``."""
    subject = _subject(c)
    if c.kind == "added":
        return f"{subject}: new ({_brief(c, c.after or {})})"
    if c.kind == "removed":
        return f"{subject}: removed (was {_brief(c, c.before or {})})"
    before, after = c.before or {}, c.after or {}
    parts = []
    for f in c.fields:
        label = _label(f)
        values = f"{_value(c.table, f, before.get(f))} -> {_value(c.table, f, after.get(f))}"
        parts.append(f"{label} {values}" if label else values)
    return f"{subject}: {'; '.join(parts)}"


def render_diff(diff: LoadDiff) -> str:
    """``arsenal diff`` as text: the two loads, then per table its changes, one a line."""
    lines = [
        f"A: load {diff.a.load_id} of {diff.a.loaded_at:%Y-%m-%d %H:%M} by {diff.a.loaded_by or '?'} "
        f"({diff.a.path}, {diff.a.content_hash[:12]})",
        f"B: load {diff.b.load_id} of {diff.b.loaded_at:%Y-%m-%d %H:%M} by {diff.b.loaded_by or '?'} "
        f"({diff.b.path}, {diff.b.content_hash[:12]})",
    ]
    if not diff.changes:
        lines.append("The two loads hold the same rows.")
        return "\n".join(lines)
    for spec in FILES:
        rows = diff.in_table(spec.name)
        if not rows:
            continue
        counts = {k: sum(1 for r in rows if r.kind == k) for k in ("added", "removed", "changed")}
        lines.append(
            f"{spec.name}: {counts['added']} added, {counts['removed']} removed, "
            f"{counts['changed']} changed"
        )
        lines += [f"  {describe_change(r)}" for r in rows]
    return "\n".join(lines)


def load_for_hash(
    loads: Iterable[LoadInfo], content_hash: str | None, *, kept: bool = True
) -> LoadInfo | None:
    """The newest load of the data with ``content_hash`` (the load a night read); with
    ``kept``, only a load whose tables are kept (one that can be compared)."""
    for info in loads:  # newest first
        if info.content_hash == content_hash and (info.tables_kept or not kept):
            return info
    return None


def _commitment_items(dataset: Dataset | None, diff: LoadDiff) -> dict[str, str]:
    items: dict[str, str] = {}
    for c in diff.in_table("commitments"):
        row = c.after or c.before or {}
        items[row["commitment_id"]] = row["item_id"]
    if dataset is not None:
        for cid, item in dataset.commitments.select("commitment_id", "item_id").iter_rows():
            items.setdefault(cid, item)
    return items


def _item_sources(dataset: Dataset | None) -> dict[str, set[str]]:
    if dataset is None:
        return {}
    pairs = pl.concat(
        [
            dataset.capacity.select("source_id", "item_id"),
            dataset.stockpiles.select(pl.col("holder_id").alias("source_id"), "item_id"),
        ]
    ).unique()
    out: dict[str, set[str]] = {}
    for source, item in pairs.iter_rows():
        out.setdefault(item, set()).add(source)
    return out


def _relevance(
    c: RowChange,
    item: str,
    holder: str | None,
    commitment_item: dict[str, str],
    sources: set[str],
) -> int | None:
    """How closely input change ``c`` bears on a plan change of ``item`` (and ``holder``'s
    stock): 0 the holder's own stock or use, 1 the item's supply or promises, 2 a wider
    rule; None: unrelated."""
    row = c.after or c.before or {}
    if c.table in ("stockpiles", "consumption"):
        if row.get("item_id") != item:
            return None
        return 0 if holder is not None and row.get("holder_id") == holder else 1
    if c.table == "deliveries":
        return 1 if commitment_item.get(row.get("commitment_id", "")) == item else None
    if c.table == "eligibility":
        return 2 if row.get("item_id") in (item, "*") else None
    if c.table == "items":
        return 1 if row.get("item_id") == item else None
    if c.table == "sources":
        return 2 if row.get("source_id") in sources else None
    if "item_id" in row:
        return 1 if row["item_id"] == item else None
    return None


def _group_consumption(found: list[RowChange]) -> list[str]:
    """Lines for input changes, the months of one holder's use gathered into one line."""
    lines: list[str] = []
    use: dict[tuple[str, str], list[RowChange]] = {}
    for c in found:
        if c.table == "consumption":
            row = c.after or c.before or {}
            use.setdefault((row["holder_id"], row["item_id"]), []).append(c)
            continue
        lines.append(describe_change(c))
    for (holder, item), rows in use.items():
        if len(rows) == 1:
            lines.append(describe_change(rows[0]))
            continue
        months = sorted(((r.after or r.before or {}).get("month") or "")[:7] for r in rows)
        kinds = sorted({r.kind for r in rows})
        lines.append(
            f"{holder} {item} use: {len(rows)} months {'/'.join(kinds)} ({months[0]} to {months[-1]})"
        )
    return lines


def explain_changes(
    changes: list[dict[str, Any]],
    diff: LoadDiff | None,
    dataset: Dataset | None = None,
    *,
    start_before: date | str | None = None,
    start_after: date | str | None = None,
) -> list[dict[str, Any]]:
    """``changes`` (plan changes with ``item_id`` and, for a stock, ``subject`` "HOLDER
    ITEM") each with ``explained_by``: the input changes that bear on it, closest first
    (at most ``MAX_CAUSES`` named, the rest counted), else ``[REPLAN]``."""
    commitment_item = _commitment_items(dataset, diff) if diff else {}
    item_sources = _item_sources(dataset)
    moved_start = (
        f"plan start {str(start_before)[:7]} -> {str(start_after)[:7]}"
        if start_before and start_after and str(start_before)[:7] != str(start_after)[:7]
        else None
    )
    out = []
    for change in changes:
        item = change["item_id"]
        holder = None
        if change["kind"] in ("floor breach moved", "rebuild moved"):
            holder = change["subject"].split(" ", 1)[0]
        found: list[tuple[int, int, RowChange]] = []
        for i, c in enumerate(diff.changes if diff else []):
            rank = _relevance(c, item, holder, commitment_item, item_sources.get(item, set()))
            if rank is not None:
                found.append((rank, i, c))
        found.sort(key=lambda t: (t[0], t[1]))
        lines = _group_consumption([c for _, _, c in found])
        named = lines[:MAX_CAUSES]
        if len(lines) > MAX_CAUSES:
            named.append(f"and {len(lines) - MAX_CAUSES} more input change(s) to {item}")
        if moved_start:
            named.append(moved_start)
        out.append({**change, "explained_by": named or [REPLAN]})
    return out


def plan_state(commitments: pl.DataFrame, outlook: pl.DataFrame, start: date) -> dict[str, Any]:
    """The per-promise and per-stock results of a baseline that a later night compares with
    (``commitments``: plan rows with ``late_unit_months`` and ``completion_month``;
    ``outlook``: stock_outlook rows)."""
    return {
        "start": month_text(start),
        "baseline": {
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
        },
    }


def _months_moved(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return month_index(date.fromisoformat(b + "-01"), date.fromisoformat(a + "-01"))


def _promise_change(cid: str, a: dict | None, b: dict | None) -> dict[str, Any] | None:
    item = (b or a or {})["item_id"]
    if a is None or b is None:
        kind = "promise added" if a is None else "promise gone"
        return {"kind": kind, "subject": cid, "item_id": item, "before": None, "after": None}
    late_a, late_b = a["late_unit_months"] > TOL, b["late_unit_months"] > TOL
    if late_b and not late_a:
        kind = "promise became late"
    elif late_a and not late_b:
        kind = "promise recovered"
    elif a["completion_month"] != b["completion_month"]:
        kind = "completion moved"
    else:
        return None
    return {
        "kind": kind,
        "subject": cid,
        "item_id": item,
        "before": a["completion_month"],
        "after": b["completion_month"],
        "months": _months_moved(a["completion_month"], b["completion_month"]),
    }


def plan_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every change between two nights' baseline states (``plan_state`` objects, or the
    ``summary.json`` holding one): promises first, then stocks, each sorted by id."""
    oc = old.get("baseline", {}).get("commitments", {})
    nc = new.get("baseline", {}).get("commitments", {})
    changes = [
        c
        for cid in sorted(set(oc) | set(nc))
        if (c := _promise_change(cid, oc.get(cid), nc.get(cid))) is not None
    ]
    op = old.get("baseline", {}).get("pools", {})
    np_ = new.get("baseline", {}).get("pools", {})
    for key in sorted(set(op) & set(np_)):
        for field, kind in (
            ("floor_breach_p50", "floor breach moved"),
            ("rebuild_p50", "rebuild moved"),
        ):
            before, after = op[key][field], np_[key][field]
            if before != after:
                changes.append(
                    {
                        "kind": kind,
                        "subject": key.replace("|", " "),
                        "item_id": key.split("|", 1)[1],
                        "before": before,
                        "after": after,
                        "months": _months_moved(before, after),
                    }
                )
    return changes
