"""Remedies for a late promise: candidates proposed from the baseline plan's duals and the
data's options, each with its effect computed by re-solving it as a what-if.

The duals (the capacity value of a line in a month) only say where one more unit helps; they
hold only within their range, so no remedy's effect is read off them. Each candidate is a
scenario document, the same the what-if form and ``run_whatif`` take, and its effect is what
``run_whatif`` gives for it: planning it again with the page's what-if gives the same numbers.

Candidates, for promise ``c`` (item ``i``, partner ``p``), all from the stored baseline plan:

- **more capacity** at each of the two lines of ``i`` whose capacity value is highest over the
  months from the plan's start to ``c``'s planned completion: that line's rate plus the units
  ``c`` still owes at its due month, spread over those months (``[[capacity]] add``);
- **an expansion option** on a line of ``i`` (the two cheapest): its added rate from its
  purchase plus lead time, at its cost (``[[capacity]] add``, the scenario's cost);
- **a shorter lead time** on each route ``c``'s shipments take with a lead time: shorter by
  the months ``c`` completes after its due month (at least one, never below 0; ``[[route]]``);
- **a higher absorption limit** for ``p`` and ``i``'s category, half again the data's, when a
  reason says the limit binds (``[[absorption]]``);
- **a higher priority** for ``c``: one level up (``[[commitment]] change``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.whatif import display_names, read_baseline_inputs, run_whatif
from store.db import connect
from store.months import add_months, month_index, month_text
from store.sql import query

__all__ = ["Remedy", "find_remedies", "remedy_candidates"]

TOL = 1e-6
LINES, OPTIONS = 2, 2


@dataclass(frozen=True)
class Remedy:
    """One remedy and its effect, re-solved: ``doc`` is the what-if that says it."""

    kind: str
    what: str
    doc: dict[str, Any]
    late_before: float | None = None
    """The promise's late unit-months in the baseline plan and with the remedy."""
    late_after: float | None = None
    completion_before: str | None = None
    completion_after: str | None = None
    weighted_before: float | None = None
    """Weighted late unit-months of the whole plan, before and after."""
    weighted_after: float | None = None
    became_late: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def helps(self) -> bool:
        return (
            self.late_before is not None
            and self.late_after is not None
            and self.late_after < self.late_before - TOL
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "doc": self.doc,
            "late_before": self.late_before,
            "late_after": self.late_after,
            "completion_before": self.completion_before,
            "completion_after": self.completion_after,
            "weighted_before": self.weighted_before,
            "weighted_after": self.weighted_after,
            "became_late": self.became_late,
            "error": self.error,
        }


def _doc(cid: str, kind: str, overrides: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    slug = f"remedy-{cid}-{kind}".lower().replace("_", "-")
    safe = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in slug)[:80]
    return {"name": safe, "description": f"Remedy for {cid}", **top, kind_table(kind): overrides}


def kind_table(kind: str) -> str:
    """The scenario array a remedy kind writes."""
    return {
        "capacity": "capacity",
        "expansion": "capacity",
        "lead_time": "route",
        "absorption": "absorption",
        "priority": "commitment",
    }[kind]


def remedy_candidates(db: str, commitment_id: str) -> list[Remedy]:
    """The remedies worth re-solving for ``commitment_id`` (see the module doc); empty when
    the promise is not late in the baseline plan."""
    inputs = read_baseline_inputs(db)
    run = inputs.allocate_run
    if run is None:
        raise RuntimeError("no baseline plan yet: run 'arsenal run' first")
    row = inputs.commitments.filter(pl.col("commitment_id") == commitment_id)
    if row.height == 0:
        raise KeyError(f"no promise {commitment_id!r} in the baseline plan")
    c = row.row(0, named=True)
    if not (c["late_unit_months"] or 0.0) > TOL:
        return []
    con = connect(db, read_only=True)
    try:
        values = query(con, "capacity_value_for_run", run_id=run["run_id"])
    finally:
        con.close()
    start, horizon, data = inputs.start, inputs.horizon, inputs.dataset
    due = max(c["promised_month"], start)
    end = c["completion_month"] or add_months(start, horizon - 1)
    ships = (
        inputs.shipments.filter(pl.col("commitment_id") == commitment_id)
        if inputs.shipments is not None
        else pl.DataFrame()
    )
    arrived_by_due = (
        float(ships.filter(pl.col("arrival_month") <= due).get_column("units").sum())
        if ships.height
        else 0.0
    )
    owed = max(float(c["backlog_units"]) - arrived_by_due, 0.0)
    late_months = max(month_index(end, due), 1)
    names = display_names(data)
    out: list[Remedy] = []
    out += _more_capacity(commitment_id, c["item_id"], values, start, end, owed, names)
    out += _options(commitment_id, c["item_id"], data, start, names)
    out += _lead_times(commitment_id, c, ships, late_months, names)
    out += _absorption(commitment_id, c, data, names)
    if c["priority"] is not None and int(c["priority"]) > 1:
        p = int(c["priority"]) - 1
        change = {"action": "change", "id": commitment_id, "priority": p}
        out.append(
            Remedy(
                "priority",
                f"raise {commitment_id} to priority {p}",
                _doc(commitment_id, "priority", [change]),
            )
        )
    return out


def _more_capacity(
    cid: str,
    item: str,
    values: pl.DataFrame,
    start: date,
    end: date,
    owed: float,
    names: dict[str, str],
) -> list[Remedy]:
    binding = values.filter(
        (pl.col("item_id") == item)
        & (pl.col("value") > TOL)
        & (pl.col("month") >= start)
        & (pl.col("month") <= end)
    )
    if binding.height == 0 or owed <= TOL:
        return []
    ranked = (
        binding.group_by("source_id")
        .agg(
            pl.col("value").sum().alias("value"),
            pl.col("month").min().alias("first"),
            pl.col("month").max().alias("last"),
        )
        .sort(["value", "source_id"], descending=[True, False])
        .head(LINES)
    )
    out = []
    for r in ranked.iter_rows(named=True):
        months = month_index(r["last"], r["first"]) + 1
        add = math.ceil(owed / months)
        first, last = month_text(r["first"]), month_text(r["last"])
        change = {"source": r["source_id"], "item": item, "from": first, "until": last, "add": add}
        out.append(
            Remedy(
                "capacity",
                f"{add:,} more {names.get(item, item)} a month at "
                f"{names.get(r['source_id'], r['source_id'])} in {first}..{last}, where its "
                "capacity binds",
                _doc(cid, "capacity", [change], description=f"More capacity for {cid}"),
            )
        )
    return out


def _options(cid: str, item: str, data: Any, start: date, names: dict[str, str]) -> list[Remedy]:
    options = data.expansion_options.filter(pl.col("item_id") == item).sort(
        ["cost_usd", "option_id"]
    )
    out = []
    for o in options.head(OPTIONS).iter_rows(named=True):
        first = month_text(add_months(start, int(o["lead_time_months"])))
        add = float(o["added_units_per_month"])
        change = {"source": o["source_id"], "item": item, "from": first, "add": add}
        out.append(
            Remedy(
                "expansion",
                f"buy option {o['option_id']}: {add:,.0f} more {names.get(item, item)} a "
                f"month at {names.get(o['source_id'], o['source_id'])} from {first}, for "
                f"{o['cost_usd']:,.0f} USD",
                _doc(cid, "expansion", [change], cost_usd=float(o["cost_usd"])),
            )
        )
    return out


def _lead_times(
    cid: str, c: dict[str, Any], ships: pl.DataFrame, late: int, names: dict[str, str]
) -> list[Remedy]:
    if ships.height == 0:
        return []
    routes = (
        ships.with_columns(
            lead=(
                (pl.col("arrival_month").dt.year() - pl.col("month").dt.year()) * 12
                + pl.col("arrival_month").dt.month()
                - pl.col("month").dt.month()
            )
        )
        .filter(pl.col("lead") > 0)
        .group_by("source_id")
        .agg(pl.col("lead").max())
        .sort("source_id")
    )
    out = []
    for r in routes.iter_rows(named=True):
        lead = max(int(r["lead"]) - max(min(late, int(r["lead"])), 1), 0)
        route = {
            "source": r["source_id"],
            "partner": c["partner_id"],
            "item": c["item_id"],
            "allowed": True,
            "lead_time_months": lead,
            "reason": f"faster route for {cid}",
        }
        out.append(
            Remedy(
                "lead_time",
                f"ship from {names.get(r['source_id'], r['source_id'])} to "
                f"{names.get(c['partner_id'], c['partner_id'])} in {lead} month(s) instead of "
                f"{int(r['lead'])}",
                _doc(cid, "lead_time", [route]),
            )
        )
    return out


def _absorption(cid: str, c: dict[str, Any], data: Any, names: dict[str, str]) -> list[Remedy]:
    raw = c.get("reasons") or []
    if isinstance(raw, str):  # stored as JSON text
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    reasons = " ".join(str(r) for r in (raw if isinstance(raw, list) else [raw]))
    if "can absorb only" not in reasons:
        return []
    category = data.items.filter(pl.col("item_id") == c["item_id"]).get_column("category")
    if category.len() == 0:
        return []
    limit = data.absorption.filter(
        (pl.col("partner_id") == c["partner_id"]) & (pl.col("category") == category[0])
    )
    if limit.height == 0:
        return []
    now = float(limit.get_column("units_per_month")[0])
    higher = math.ceil(now * 1.5)
    change = {"partner": c["partner_id"], "category": category[0], "units_per_month": higher}
    return [
        Remedy(
            "absorption",
            f"let {names.get(c['partner_id'], c['partner_id'])} absorb {higher:,} "
            f"{category[0]} a month instead of {now:,.0f}",
            _doc(cid, "absorption", [change]),
        )
    ]


def find_remedies(db: str, commitment_id: str, folder: str | Path) -> list[Remedy]:
    """Every candidate of :func:`remedy_candidates` re-solved as a what-if; those that make
    the promise less late first (most first), then the rest."""
    solved = []
    for r in remedy_candidates(db, commitment_id):
        try:
            result = run_whatif(db, r.doc, folder)
        except Exception as exc:  # a candidate the data refuses: said, not fatal
            solved.append(Remedy(r.kind, r.what, r.doc, error=f"{type(exc).__name__}: {exc}"))
            continue
        mine = next(x for x in result["commitments"] if x["commitment_id"] == commitment_id)
        weighted = next(
            m for m in result["measures"] if m["measure"] == "Weighted late unit-months"
        )
        solved.append(
            Remedy(
                r.kind,
                r.what,
                r.doc,
                late_before=mine["late_unit_months_a"],
                late_after=mine["late_unit_months_b"],
                completion_before=mine["completion_month_a"],
                completion_after=mine["completion_month_b"],
                weighted_before=weighted["baseline"],
                weighted_after=weighted["scenario"],
                became_late=list(result["became_late"]),
            )
        )
    return sorted(
        solved,
        key=lambda r: (
            not r.helps,
            (r.late_after - r.late_before) if r.helps else 0.0,
            r.kind,
            r.what,
        ),
    )
