"""The exception worklist: everything wrong in the latest baseline plan, on one scale.

An exception is one thing a planner should act on, computed from what the latest baseline run
stored (and the firmed rows of the shared state):

- ``late_promise|<commitment>``: a promise not complete by its due month;
- ``partner_below_floor|<partner>|<item>``: a partner stock below its floor now, or likely
  (P >= 50%) to break it within 12 months;
- ``us_below_target|<holder>|<item>``: a US stock pool below its target now;
- ``binding_line|<source>|<item>``: a production line (or component line) whose capacity is
  fully used and worth more (positive capacity value);
- ``firm_not_honoured|<firm id>``: a firmed shipment or pinned completion the plan does not
  keep in full;
- ``plan_change|<change>|<subject>``: a promise or stock whose outcome changed since the
  previous baseline plan (the nightly report's diff, :mod:`pipeline.diff`).

The figures are the report's (:mod:`pipeline.summary`: late units, partner stocks at risk, US
stocks below target; :mod:`pipeline.diff`: the plan changes), so the report and the worklist
never disagree. Every exception carries its **USD at stake**: late or short units times the
item's unit cost, times the partner's tier weight for a partner stock (frontline 4,
most_capable 2, other 1: the readiness stage's weights). A binding line's units are the late
units of the promises of what it makes (for a component line, of the items its component goes
into), and a plan change carries the USD of the exception on the same promise or stock (0 when
nothing is wrong with it any more), so those rows restate dollars other rows hold: the
worklist's total is not a sum of its rows.

Keys are made of ids only, so tomorrow's plan names the same thing with the same key and its
status, owner and comments (kept by ``store.state`` under that key) carry over. How a stored
status reads against tonight's exceptions (:func:`worklist_status`): open and acknowledged stay
as they are; a resolved exception that is still (or again) wrong in a plan computed after it
was resolved is shown open again (``reopened``), with who resolved it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from pipeline.diff import explain_changes, load_for_hash, plan_changes, plan_state
from pipeline.summary import LIKELY, Names, promise_metrics, stock_metrics
from store.dataset import Dataset, read_dataset
from store.db import Connection
from store.facts import rank_capacity_value, tier_weight
from store.history import LoadDiff, diff_loads, read_loads
from store.months import add_months, month_text
from store.sql import query
from store.state import ExceptionState, FirmedRow

__all__ = [
    "EXCEPTION_COLUMNS",
    "KINDS",
    "WITHIN_MONTHS",
    "StoredPlan",
    "exceptions_of",
    "read_exceptions",
    "read_stored_plan",
    "worklist_status",
]

TOL = 1e-6
WITHIN_MONTHS = 12
"""A partner stock is an exception when below its floor now or within this many months."""

KINDS: dict[str, str] = {
    "late_promise": "late promise",
    "partner_below_floor": "partner stock below floor",
    "us_below_target": "US stock below target",
    "binding_line": "binding line",
    "firm_not_honoured": "firmed row not honoured",
    "plan_change": "plan change since the last plan",
}
"""Each kind of exception and how a planner says it, in the order ties are listed."""

EXCEPTION_COLUMNS: dict[str, Any] = {
    "exception_key": pl.String,
    "kind": pl.String,
    "kind_label": pl.String,
    "partner_id": pl.String,
    "commitment_id": pl.String,
    "holder_id": pl.String,
    "source_id": pl.String,
    "item_id": pl.String,
    "what": pl.String,
    "why": pl.String,
    "explained_by": pl.String,
    "first_month": pl.String,
    "units": pl.Float64,
    "unit_cost_usd": pl.Float64,
    "weight": pl.Float64,
    "usd_at_stake": pl.Float64,
}


@dataclass(frozen=True)
class StoredPlan:
    """What one baseline run stored, as the worklist reads it."""

    run_id: str
    started_at: datetime
    start: date
    horizon: int
    dataset: Dataset
    commitments: pl.DataFrame
    """plan_commitments_for_run rows."""
    shipments: pl.DataFrame
    outlook: pl.DataFrame
    """stock_outlook rows of the projection run (empty when there is none)."""
    readiness: pl.DataFrame
    capacity_value: pl.DataFrame
    previous: dict[str, Any] | None = None
    """The previous baseline plan's state (:func:`pipeline.diff.plan_state`), if any."""
    previous_start: date | None = None
    load_diff: LoadDiff | None = None
    """The input rows that differ between the previous plan's data and this one's."""


# -- reading ----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _previous(
    con: Connection, run: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, date | None, LoadDiff | None]:
    """The state of the baseline plan before ``run``, its start, and the load diff between."""
    before = query(
        con, "previous_run", kind="allocate", scenario="baseline", before=run["started_at"]
    )
    if not before.height:
        return None, None, None
    prev = before.row(0, named=True)
    outlook_runs = query(
        con, "previous_run", kind="project", scenario="baseline", before=run["started_at"]
    )
    outlook = query(
        con,
        "stock_outlook_for_run",
        run_id=outlook_runs.item(0, "run_id") if outlook_runs.height else None,
    )
    commitments = query(con, "plan_commitments_for_run", run_id=prev["run_id"])
    state = plan_state(commitments, outlook, prev["start_month"])
    now = query(con, "run_by_id", run_id=run["run_id"])
    loads = read_loads(con)
    a = load_for_hash(loads, prev["content_hash"])
    b = load_for_hash(loads, now.item(0, "content_hash") if now.height else None)
    diff = diff_loads(con, a.load_id, b.load_id) if a and b and a.load_id != b.load_id else None
    return state, prev["start_month"], diff


def read_stored_plan(
    con: Connection, allocate_run: Mapping[str, Any] | None, project_run_id: str | None
) -> StoredPlan | None:
    """The plan of the baseline run ``allocate_run`` (a ``store.runs.latest_run`` row) and the
    projection of ``project_run_id``; None without a plan."""
    if allocate_run is None:
        return None
    run_id = allocate_run["run_id"]
    previous, previous_start, diff = _previous(con, allocate_run)
    return StoredPlan(
        run_id=run_id,
        started_at=_utc(allocate_run["started_at"]),
        start=allocate_run["start_month"],
        horizon=int(allocate_run["horizon"]),
        dataset=read_dataset(con),
        commitments=query(con, "plan_commitments_for_run", run_id=run_id),
        shipments=query(con, "plan_shipments_for_run", run_id=run_id),
        outlook=query(con, "stock_outlook_for_run", run_id=project_run_id),
        readiness=query(con, "plan_readiness_for_run", run_id=run_id),
        capacity_value=query(con, "capacity_value_for_run", run_id=run_id),
        previous=previous,
        previous_start=previous_start,
        load_diff=diff,
    )


def read_exceptions(
    con: Connection,
    allocate_run: Mapping[str, Any] | None,
    project_run_id: str | None,
    firmed: Sequence[FirmedRow] = (),
) -> pl.DataFrame:
    """Every exception of the stored baseline plan (see the module doc), ranked."""
    plan = read_stored_plan(con, allocate_run, project_run_id)
    if plan is None:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    return exceptions_of(plan, firmed)


# -- one function per kind ----------------------------------------------------------------------


class _Facts:
    """Names, unit costs, tiers and partners of a plan's data."""

    def __init__(self, dataset: Dataset) -> None:
        self.names = Names.of(dataset)
        self.cost = dict(dataset.items.select("item_id", "unit_cost_usd").iter_rows())
        self.tier = dict(dataset.partners.select("partner_id", "tier").iter_rows())
        self.promise_partner = dict(
            dataset.commitments.select("commitment_id", "partner_id").iter_rows()
        )
        self.promise_item = dict(dataset.commitments.select("commitment_id", "item_id").iter_rows())

    def promise(self, commitment_id: str, partner_id: str | None, item_id: str | None) -> str:
        """``Poland's Guided MLRS rocket promise POL-FMS-GMLRS-1``."""
        name = self.names.partner(partner_id) if partner_id else ""
        who = (f"{name}'" if name.endswith("s") else f"{name}'s") + " " if name else ""
        what = f"{self.names.item(item_id)} " if item_id else ""
        return f"{who}{what}promise {commitment_id}"

    def partner_of(self, holder_id: str) -> str | None:
        return holder_id if holder_id in self.tier else None


def _row(kind: str, key: str, **fields: Any) -> dict[str, Any]:
    row = dict.fromkeys(EXCEPTION_COLUMNS)
    row.update(exception_key=f"{kind}|{key}", kind=kind, kind_label=KINDS[kind], weight=1.0)
    row.update(fields)
    return row


def _n(units: float) -> str:
    return f"{units:,.0f}"


def _late_promises(metrics: Mapping[str, Any], facts: _Facts) -> list[dict[str, Any]]:
    rows = []
    for p in metrics["late_promises"]:
        done = p["completion_month"]
        months = p["months_late"]
        when = (
            f"planned {done}, {months} month{'s' if months != 1 else ''} late"
            if done
            else "not complete within the horizon"
        )
        rows.append(
            _row(
                "late_promise",
                p["commitment_id"],
                partner_id=p["partner_id"],
                commitment_id=p["commitment_id"],
                item_id=p["item_id"],
                what=facts.promise(p["commitment_id"], p["partner_id"], p["item_id"]),
                why=(
                    f"{_n(p['late_units'])} of {_n(p['backlog_units'])} units owed arrive after "
                    f"the due month {p['due_month']}; {when}"
                ),
                first_month=p["due_month"],
                units=p["late_units"],
                unit_cost_usd=facts.cost.get(p["item_id"]),
                usd_at_stake=p["value_late_usd"],
            )
        )
    return rows


def _partner_stocks(
    plan: StoredPlan, metrics: Mapping[str, Any], facts: _Facts
) -> list[dict[str, Any]]:
    """Partner stocks below floor now or likely to be within 12 months (the report's stock
    risks); short units: the most the plan leaves them below floor within those months
    (unmet use counts as short, as in the readiness stage), at least the shortfall now."""
    end = add_months(plan.start, WITHIN_MONTHS - 1)
    short = (
        plan.readiness.filter((pl.col("month") <= end) & (pl.col("below_floor_units") > TOL))
        .group_by("holder_id", "item_id")
        .agg(
            pl.col("below_floor_units").max().alias("short"),
            pl.col("month").min().alias("first"),
            pl.col("month").sort_by("below_floor_units").last().alias("worst"),
        )
    )
    by_pool = {(r["holder_id"], r["item_id"]): r for r in short.iter_rows(named=True)}
    rows = []
    for r in metrics["partner_stock_risks"]:
        holder, item = r["holder_id"], r["item_id"]
        now = r["units_now"]
        below_now = now is not None and now < r["floor_units"] - TOL
        if not below_now and r["probability_12"] < LIKELY:
            continue
        planned = by_pool.get((holder, item))
        units = max(
            planned["short"] if planned else 0.0,
            r["floor_units"] - now if below_now else 0.0,
        )
        tier = facts.tier.get(holder, "other")
        weight = float(tier_weight(tier))
        cost = facts.cost.get(item) or 0.0
        first = (
            month_text(plan.start)
            if below_now
            else month_text(planned["first"])
            if planned
            else r["breach_p50"]
        )
        parts = [
            f"below its floor of {_n(r['floor_units'])} now ({_n(now)} counted)"
            if below_now
            else f"likely to break its floor of {_n(r['floor_units'])} within {WITHIN_MONTHS} "
            f"months ({r['probability_12']:.0%}; P50 {r['breach_p50'] or 'not within the horizon'})"
        ]
        if planned:
            parts.append(
                f"the plan leaves it up to {_n(planned['short'])} units short "
                f"(in {month_text(planned['worst'])})"
            )
        parts.append(f"{tier.replace('_', ' ')} partner: weight {weight:g}")
        rows.append(
            _row(
                "partner_below_floor",
                f"{holder}|{item}",
                partner_id=holder,
                holder_id=holder,
                item_id=item,
                what=facts.names.stock(holder, item),
                why="; ".join(parts),
                first_month=first,
                units=units,
                unit_cost_usd=cost,
                weight=weight,
                usd_at_stake=units * cost * weight,
            )
        )
    return rows


def _us_stocks(plan: StoredPlan, metrics: Mapping[str, Any], facts: _Facts) -> list[dict[str, Any]]:
    rows = []
    for r in metrics["us_rebuild"]:
        holder, item = r["holder_id"], r["item_id"]
        units = r["target_units"] - r["units_now"]
        cost = facts.cost.get(item) or 0.0
        rebuilt = (
            f"back to target (P50) by {r['rebuild_p50']}"
            if r["rebuild_p50"]
            else "not back to target within the horizon"
        )
        rows.append(
            _row(
                "us_below_target",
                f"{holder}|{item}",
                holder_id=holder,
                item_id=item,
                what=facts.names.stock(holder, item),
                why=(
                    f"{_n(r['units_now'])} against a target of {_n(r['target_units'])}: "
                    f"{_n(units)} short; {rebuilt}"
                ),
                first_month=month_text(plan.start),
                units=units,
                unit_cost_usd=cost,
                usd_at_stake=units * cost,
            )
        )
    return rows


def _binding_lines(
    plan: StoredPlan, metrics: Mapping[str, Any], facts: _Facts
) -> list[dict[str, Any]]:
    """Lines whose capacity binds (positive capacity value), with the late promises of what
    they make: for a component line, of the items its component goes into."""
    late_by_item: dict[str, list[dict[str, Any]]] = {}
    for p in metrics["late_promises"]:
        late_by_item.setdefault(p["item_id"], []).append(p)
    uses = {}
    for item, component in plan.dataset.bom.select("item_id", "component_id").iter_rows():
        uses.setdefault(component, set()).add(item)
    components = set(
        plan.dataset.items.filter(pl.col("category") == "component").get_column("item_id")
    )
    rows = []
    ranked = rank_capacity_value(plan.capacity_value).filter(pl.col("value") > TOL)
    for r in ranked.iter_rows(named=True):
        source, item = r["source_id"], r["item_id"]
        served = sorted(uses.get(item, set())) if item in components else [item]
        late = [p for i in served for p in late_by_item.get(i, [])]
        units = sum(p["late_units"] for p in late)
        value = sum(p["value_late_usd"] for p in late)
        first, last = month_text(r["first_month"]), month_text(r["last_month"])
        months = first if first == last else f"{first} to {last}"
        kind = "component line" if item in components else "line"
        held = (
            f"holds up {len(late)} late promise{'s' if len(late) != 1 else ''} of "
            + ", ".join(facts.names.item(i) for i in served)
            + f" ({_n(units)} late units)"
            if late
            else "no promise of what it makes is late: the value is readiness or stock"
        )
        rows.append(
            _row(
                "binding_line",
                f"{source}|{item}",
                kind_label=f"binding {kind}",
                source_id=source,
                item_id=item,
                what=f"{facts.names.holder(source)}: {facts.names.item(item)}",
                why=(
                    f"capacity fully used and worth more in {months}"
                    + (f" ({r['months']} months)" if r["months"] > 1 else "")
                    + f"; {held}"
                ),
                first_month=month_text(r["first_month"]),
                units=units,
                unit_cost_usd=facts.cost.get(item) if len(served) == 1 else None,
                usd_at_stake=value,
            )
        )
    return rows


def _firmed(plan: StoredPlan, firmed: Sequence[FirmedRow], facts: _Facts) -> list[dict[str, Any]]:
    """Firmed rows the plan does not keep in full: a firmed shipment planned for fewer units
    (same source, partner, item, shipping month and promise), a pinned completion whose promise
    has units still owed after the pinned month."""
    ships = plan.shipments.with_columns(pl.col("month").dt.strftime("%Y-%m").alias("m"))
    owed = dict(plan.commitments.select("commitment_id", "backlog_units").iter_rows())
    rows = []
    first = month_text(plan.start) or ""
    last = month_text(add_months(plan.start, plan.horizon - 1)) or ""
    for f in firmed:
        if f.released_at is not None:
            continue
        # as the model reads them (optimize.firmed): a shipment before the plan is history, a
        # completion pinned past the horizon cannot be judged within it
        if (f.kind == "shipment" and f.month < first) or f.month > last:
            continue
        cost = facts.cost.get(f.item_id) or 0.0
        if f.kind == "shipment":
            mine = ships.filter(
                (pl.col("source_id") == f.source_id)
                & (pl.col("partner_id") == f.partner_id)
                & (pl.col("item_id") == f.item_id)
                & (pl.col("m") == f.month)
            )
            if f.commitment_id is not None:
                mine = mine.filter(pl.col("commitment_id") == f.commitment_id)
            planned = float(mine.get_column("units").sum())
            missing = f.units - planned
            what = (
                f"firmed shipment of {_n(f.units)} {facts.names.item(f.item_id)} from "
                f"{facts.names.holder(f.source_id)} to {facts.names.partner(f.partner_id)} "
                f"in {f.month}" + (f" for promise {f.commitment_id}" if f.commitment_id else "")
            )
            why = f"the plan ships {_n(planned)}: {_n(missing)} missing"
        else:
            commitment = f.commitment_id or ""
            arrived = float(
                ships.filter(
                    (pl.col("commitment_id") == commitment)
                    # a month before the plan's start counts as its first (as in the model)
                    & (pl.col("arrival_month").dt.strftime("%Y-%m") <= max(f.month, first))
                )
                .get_column("units")
                .sum()
            )
            backlog = owed.get(commitment)
            missing = (f.units if backlog is None else backlog) - arrived
            what = f"completion of {facts.promise(commitment, f.partner_id, f.item_id)} pinned to {f.month}"
            why = (
                "the promise is not in the plan"
                if backlog is None
                else f"{_n(arrived)} of {_n(backlog)} units arrive by {f.month}: "
                f"{_n(missing)} missing"
            )
        if missing <= TOL:
            continue
        rows.append(
            _row(
                "firm_not_honoured",
                str(f.id),
                partner_id=f.partner_id,
                commitment_id=f.commitment_id,
                source_id=f.source_id,
                item_id=f.item_id,
                what=what[0].upper() + what[1:],
                why=f"{why}; firmed by {f.who} on {f.at:%Y-%m-%d}",
                first_month=f.month,
                units=missing,
                unit_cost_usd=cost,
                usd_at_stake=missing * cost,
            )
        )
    return rows


def _plan_changes(
    plan: StoredPlan, rows: list[dict[str, Any]], facts: _Facts
) -> list[dict[str, Any]]:
    """What changed since the previous baseline plan (the report's diff), each change with the
    USD of tonight's exception on the same promise or stock."""
    if plan.previous is None:
        return []
    now = plan_state(plan.commitments, plan.outlook, plan.start)
    changes = explain_changes(
        plan_changes(plan.previous, now),
        plan.load_diff,
        plan.dataset,
        start_before=plan.previous_start,
        start_after=plan.start,
    )
    at_stake: dict[tuple[str | None, str | None, str | None], float] = {}
    for r in rows:
        if r["kind"] in ("late_promise", "partner_below_floor", "us_below_target"):
            at_stake[(r["commitment_id"], r["holder_id"], r["item_id"])] = r["usd_at_stake"]
    partners = dict(plan.commitments.select("commitment_id", "partner_id").iter_rows())
    out = []
    for c in changes:
        before, after = c.get("before"), c.get("after")
        moved = (
            f" ({before or 'not within the horizon'} -> {after or 'not within the horizon'})"
            if before or after
            else ""
        )
        slug = c["kind"].replace(" ", "_")
        if c["kind"] in ("floor breach moved", "rebuild moved"):
            holder, item = c["subject"].split(" ", 1)
            key = f"{slug}|{holder}|{item}"
            fields = {
                "partner_id": facts.partner_of(holder),
                "holder_id": holder,
                "item_id": item,
                "what": facts.names.stock(holder, item),
            }
            stake = at_stake.get((None, holder, item), 0.0)
        else:
            cid = c["subject"]
            partner = partners.get(cid) or facts.promise_partner.get(cid)
            key = f"{slug}|{cid}"
            fields = {
                "partner_id": partner,
                "commitment_id": cid,
                "item_id": c["item_id"],
                "what": facts.promise(cid, partner, c["item_id"]),
            }
            stake = at_stake.get((cid, None, c["item_id"]), 0.0)
        cost = facts.cost.get(c["item_id"]) or 0.0
        out.append(
            _row(
                "plan_change",
                key,
                **fields,
                why=f"{c['kind']}{moved}",
                explained_by="; ".join(c["explained_by"]),
                first_month=after or before,
                units=stake / cost if cost else 0.0,
                unit_cost_usd=cost,
                usd_at_stake=stake,
            )
        )
    return out


# -- all of them --------------------------------------------------------------------------------


def exceptions_of(plan: StoredPlan, firmed: Sequence[FirmedRow] = ()) -> pl.DataFrame:
    """Every exception of ``plan`` and the ``firmed`` rows (see the module doc): one row per
    exception, USD at stake largest first (ties by kind, then key)."""
    facts = _Facts(plan.dataset)
    metrics = {
        **promise_metrics(plan.commitments, plan.shipments, plan.dataset, plan.start, plan.horizon),
        **stock_metrics(plan.outlook, plan.dataset, plan.start),
    }
    rows = [
        *_late_promises(metrics, facts),
        *_partner_stocks(plan, metrics, facts),
        *_us_stocks(plan, metrics, facts),
        *_binding_lines(plan, metrics, facts),
        *_firmed(plan, firmed, facts),
    ]
    rows += _plan_changes(plan, rows, facts)
    order = {kind: i for i, kind in enumerate(KINDS)}
    rows.sort(key=lambda r: (-(r["usd_at_stake"] or 0.0), order[r["kind"]], r["exception_key"]))
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS, orient="row")


def worklist_status(
    exceptions: pl.DataFrame,
    states: Iterable[ExceptionState],
    plan_started_at: datetime,
    comments: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """``exceptions`` with where each stands: ``status`` (open when nobody touched it),
    ``owner``, ``status_by``, ``status_at``, ``reopened`` (resolved before the plan was
    computed, yet still wrong in it: shown open) and ``comments`` (how many)."""
    by_key = {s.exception_key: s for s in states}
    planned = _utc(plan_started_at)
    extra: dict[str, list[Any]] = {
        k: [] for k in ("status", "owner", "status_by", "status_at", "reopened", "comments")
    }
    for key in exceptions.get_column("exception_key"):
        s = by_key.get(key)
        reopened = s is not None and s.status == "resolved" and _utc(s.updated_at) < planned
        extra["status"].append("open" if s is None or reopened else s.status)
        extra["owner"].append(None if s is None else s.owner)
        extra["status_by"].append(None if s is None else s.updated_by)
        extra["status_at"].append(None if s is None else _utc(s.updated_at))
        extra["reopened"].append(reopened)
        extra["comments"].append((comments or {}).get(key, 0))
    return exceptions.with_columns(
        pl.Series("status", extra["status"], dtype=pl.String),
        pl.Series("owner", extra["owner"], dtype=pl.String),
        pl.Series("status_by", extra["status_by"], dtype=pl.String),
        pl.Series("status_at", extra["status_at"], dtype=pl.Datetime("us", "UTC")),
        pl.Series("reopened", extra["reopened"], dtype=pl.Boolean),
        pl.Series("comments", extra["comments"], dtype=pl.Int64),
    )
