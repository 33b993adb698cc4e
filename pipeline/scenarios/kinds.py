"""The override kinds a scenario file may hold: one registry that the reader (``spec.py``),
the applier (``chain.apply_scenario``) and the what-if form (``dashboards/scenario_form.py``)
all read.

An entry declares the kind's TOML array name (``[[capacity]]``), its fields (type, required,
the id set a value names, description), the rules across its keys, its check of ids against
the data, its apply function and, when the what-if form edits it, the form's title, rows and
cells. Kinds are applied in the order of ``KINDS``, each kind in file order.

A new kind is one entry here plus its apply function in ``apply.py`` (and a check function
when its id rules go beyond the fields' id sets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.scenarios.apply import (
    Edit,
    apply_absorption,
    apply_capacity,
    apply_commitment,
    apply_demand_change,
    apply_new_line,
    apply_outage,
    apply_partner_stop,
    apply_route,
    apply_source_stop,
    apply_uncertainty,
)
from pipeline.scenarios.checks import IdCheck, check_declared
from pipeline.scenarios.fields import (
    BOOL,
    COUNTRY,
    DATE,
    MONTH,
    MONTHS,
    MULTIPLIER,
    NUMBER,
    PRIORITY,
    RATE,
    TEXT,
    UNITS,
    UNITS_CHANGE,
    Field,
    Override,
    choice,
)
from store.contract import DISTRIBUTIONS, PRODUCTION_KINDS, UNCERTAINTY_KINDS
from store.dataset import Dataset
from store.errors import Problem
from store.uncertainty import parameter_problems, target_problem

__all__ = ["KINDS", "Cell", "Form", "OverrideKind"]


@dataclass(frozen=True)
class Cell:
    """One cell of a what-if form row: the field it fills and its label. ``required`` is
    what the form asks (default: as the field); ``choices`` what a dropdown offers (default:
    the type's; for a true/false field, the label of true first)."""

    key: str
    label: str
    required: bool | None = None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Form:
    """How the what-if form shows a kind: a panel title, a number of rows, the cells of a row."""

    title: str
    rows: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class OverrideKind:
    """One kind of override (see the module doc)."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    apply: Callable[[Edit, Override], None]
    check: Callable[[IdCheck], None] = check_declared
    one_of: tuple[str, ...] = ()  # exactly one of these keys
    rules: Callable[[str, Override], list[Problem]] | None = None  # more rules across keys
    form: Form | None = None

    @property
    def spec(self) -> dict[str, Field]:
        """The fields by key, in declared order."""
        return {f.name: f for f in self.fields}

    def check_ids(self, file: str, o: Override, dataset: Dataset) -> list[Problem]:
        """The problems of ``o``'s ids against ``dataset`` (empty when there are none)."""
        check = IdCheck(file, o, self.spec, dataset)
        self.check(check)
        return check.problems


# -- checks and rules beyond the declared fields -------------------------------------------------


def _check_new_line(c: IdCheck) -> None:
    if c.override["source"] in c.ids.sources:
        c.bad("source", "already exists; change its capacity with [[capacity]]")
    c.known("item")
    c.known("stock_holder")


def _check_outage(c: IdCheck) -> None:
    c.declared()
    if c.problems:
        return
    o = c.override
    rows = c.dataset.capacity.filter(pl.col("source_id") == o["source"])
    if o.get("item") is not None:
        rows = rows.filter(pl.col("item_id") == o["item"])
    if rows.is_empty():
        c.bad("item" if o.get("item") else "source", "has no capacity to take down")


def _check_absorption(c: IdCheck) -> None:
    c.known("partner")
    categories = set(c.dataset.items.get_column("category").to_list())
    if c.override["category"] not in categories:
        c.bad(
            "category", f"no item has this category (the data's: {', '.join(sorted(categories))})"
        )


def _check_commitment(c: IdCheck) -> None:
    o = c.override
    action = o["action"]
    if action == "add" and o["id"] in c.ids.commitments:
        c.bad("id", "already exists; use action = 'change'")
    if action in ("cancel", "change") and not c.known("id", "commitment"):
        return
    c.declared()
    rel = o.get("releasable_to")
    if rel is not None and rel != "ALL":
        unknown = [p for p in rel.split(";") if p.strip() not in c.ids.partners]
        if unknown:
            c.bad("releasable_to", f"unknown partner(s) {', '.join(unknown)}")
    if action == "change" and o.get("quantity") is not None:
        deliveries = c.dataset.deliveries
        delivered = deliveries.filter(pl.col("commitment_id") == o["id"])["units"].sum()
        if o["quantity"] < delivered:
            c.bad("quantity", f"is below the {delivered:g} units already delivered")


# action -> (fields it requires, fields it may also give), beyond action and id
_ACTION_FIELDS = {
    "add": (
        {"partner", "item", "quantity", "promised", "priority"},
        {"announced", "releasable_to"},
    ),
    "cancel": (set(), set()),
    "change": (set(), {"quantity", "promised", "priority", "releasable_to"}),
}


def _commitment_rules(file: str, o: Override) -> list[Problem]:
    """The fields each action requires and allows."""
    if "action" not in o.values:
        return []
    problems: list[Problem] = []
    col = f"{o.kind}."
    required, optional = _ACTION_FIELDS[o["action"]]
    for key in sorted(required - set(o.values)):
        problems.append(Problem(file, o.index, col + key, None, f"required to {o['action']}"))
    allowed = required | optional | {"action", "id"}
    for key in sorted(set(o.values) - allowed):
        problems.append(
            Problem(file, o.index, col + key, None, f"not allowed when the action is {o['action']}")
        )
    if o["action"] == "change" and not (set(o.values) & optional):
        problems.append(
            Problem(file, o.index, col + "action", "change", "change what? give a field to change")
        )
    return problems


def _check_uncertainty(c: IdCheck) -> None:
    """The item as declared; the target as ``uncertainty.csv``'s (``store.uncertainty``)."""
    c.declared()
    o = c.override
    reason = target_problem(o["kind"], o["target"], c.ids.sources, c.ids.partners)
    if reason is not None:
        c.bad("target", reason)


def _uncertainty_rules(file: str, o: Override) -> list[Problem]:
    """The distribution and parameters as ``uncertainty.csv``'s (``store.uncertainty``)."""
    if not {"kind", "distribution", "low"} <= set(o.values):
        return []  # a missing or unreadable field is already reported
    found = parameter_problems(o["kind"], o["distribution"], o["low"], o.get("mode"), o.get("high"))

    def shown(key: str) -> str | None:
        value = o.get(key)
        return f"{value:g}" if isinstance(value, float) else value

    return [Problem(file, o.index, f"{o.kind}.{key}", shown(key), why) for key, why in found]


# -- the registry -----------------------------------------------------------------------------

_UNTIL = Cell("until", "until (optional)")

KINDS: dict[str, OverrideKind] = {
    kind.name: kind
    for kind in (
        OverrideKind(
            "new_line",
            "a production line that does not exist yet, with its first rate",
            (
                Field("source", TEXT, True, "id of the new source (must not exist)"),
                Field("name", TEXT, False, "display name (default: the id)"),
                Field("kind", choice(*PRODUCTION_KINDS), True, "production kind"),
                Field("country", COUNTRY, True, "ISO alpha-3 country"),
                Field(
                    "stock_holder", TEXT, False, "stock source its output goes to", "stock_source"
                ),
                Field("item", TEXT, True, "item it makes", "item"),
                Field("from", MONTH, True, "first month of output"),
                Field("units", UNITS, True, "units per month"),
            ),
            apply_new_line,
            check=_check_new_line,
            form=Form(
                "New production lines",
                2,
                (
                    Cell("source", "new source id"),
                    Cell("name", "name"),
                    Cell("kind", "kind"),
                    Cell("country", "country (ISO3)"),
                    Cell("stock_holder", "feeds stock (optional)"),
                    Cell("item", "item"),
                    Cell("from", "from YYYY-MM"),
                    Cell("units", "units a month"),
                ),
            ),
        ),
        OverrideKind(
            "capacity",
            "a production line's rate changed over a window",
            (
                Field("source", TEXT, True, "production source id", "production_source"),
                Field("item", TEXT, True, "item id", "item"),
                Field("from", MONTH, True, "first month the change applies"),
                Field("until", MONTH, False, "last month it applies (default: to the end)"),
                Field("multiply", MULTIPLIER, False, "factor on the rate (0 to 1,000)"),
                Field(
                    "add",
                    UNITS_CHANGE,
                    False,
                    "units per month added (negative cuts; floored at 0)",
                ),
                Field("set", RATE, False, "new rate in units per month"),
            ),
            apply_capacity,
            one_of=("multiply", "add", "set"),
            form=Form(
                "Capacity changes (one of x, + or =)",
                3,
                (
                    Cell("source", "source"),
                    Cell("item", "item"),
                    Cell("multiply", "x capacity"),
                    Cell("add", "+ units a month"),
                    Cell("set", "= units a month"),
                    Cell("from", "from YYYY-MM"),
                    _UNTIL,
                ),
            ),
        ),
        OverrideKind(
            "outage",
            "a production line down over a window",
            (
                Field("source", TEXT, True, "production source id", "production_source"),
                Field("item", TEXT, False, "item (default: every item of the source)", "item"),
                Field("from", MONTH, True, "first month down"),
                Field("until", MONTH, False, "last month down (default: to the end)"),
            ),
            apply_outage,
            check=_check_outage,
            form=Form(
                "Outages",
                2,
                (
                    Cell("source", "source"),
                    Cell("item", "item (all if empty)"),
                    Cell("from", "from YYYY-MM"),
                    _UNTIL,
                ),
            ),
        ),
        OverrideKind(
            "demand",
            "a holder's demand forecast multiplied over a window",
            (
                Field("holder", TEXT, True, "holder id (stock source or partner)", "holder"),
                Field("item", TEXT, True, "item id", "item"),
                Field("from", MONTH, True, "first month"),
                Field("until", MONTH, False, "last month (default: to the end)"),
                Field("multiply", MULTIPLIER, True, "factor on the demand forecast (0 to 1,000)"),
            ),
            apply_demand_change,
            form=Form(
                "Demand surge or lull",
                2,
                (
                    Cell("holder", "holder"),
                    Cell("item", "item"),
                    Cell("multiply", "x demand"),
                    Cell("from", "from YYYY-MM"),
                    _UNTIL,
                ),
            ),
        ),
        OverrideKind(
            "commitment",
            "a commitment added, cancelled or changed",
            (
                Field("action", choice("add", "cancel", "change"), True, "add, cancel or change"),
                Field("id", TEXT, True, "commitment id"),
                Field("partner", TEXT, False, "partner id (add)", "partner"),
                Field("item", TEXT, False, "item id (add)", "item"),
                Field("quantity", UNITS, False, "units (add, change)"),
                Field("promised", MONTH, False, "promised month (add, change)"),
                Field("priority", PRIORITY, False, "1 highest to 5 (add, change)"),
                Field("announced", DATE, False, "announcement date (add; default: promised month)"),
                Field(
                    "releasable_to", TEXT, False, "';'-separated partner ids or ALL (add, change)"
                ),
            ),
            apply_commitment,
            check=_check_commitment,
            rules=_commitment_rules,
            form=Form(
                "Add or change a commitment",
                2,
                (
                    Cell("action", "action", choices=("add", "cancel", "change")),
                    Cell("id", "commitment id"),
                    Cell("partner", "partner (add)"),
                    Cell("item", "item (add)"),
                    Cell("quantity", "quantity"),
                    Cell("promised", "promised YYYY-MM"),
                    Cell("priority", "priority"),
                    Cell("announced", "announced YYYY-MM-DD"),
                    Cell("releasable_to", "releasable to (ids ; or ALL)"),
                ),
            ),
        ),
        OverrideKind(
            "partner_stop",
            "a partner that receives nothing from a month on",
            (
                Field("partner", TEXT, True, "partner that receives nothing", "partner"),
                Field("from", MONTH, True, "first month with no arrivals"),
            ),
            apply_partner_stop,
            form=Form(
                "Partner stops receiving",
                1,
                (Cell("partner", "partner"), Cell("from", "from YYYY-MM")),
            ),
        ),
        OverrideKind(
            "source_stop",
            "a source that stops supplying a partner",
            (
                Field("source", TEXT, True, "source id", "source"),
                Field("partner", TEXT, True, "partner it stops supplying", "partner"),
                Field("item", TEXT, False, "item (default: every item)", "item"),
                Field("from", MONTH, False, "first month with no arrivals (default: at once)"),
            ),
            apply_source_stop,
            form=Form(
                "Source stops supplying a partner",
                1,
                (
                    Cell("source", "source"),
                    Cell("partner", "partner"),
                    Cell("item", "item (all if empty)"),
                    Cell("from", "from YYYY-MM"),
                ),
            ),
        ),
        OverrideKind(
            "route",
            "an eligibility rule added or changed",
            (
                Field("source", TEXT, False, "source id or '*' (default '*')", "source", True),
                Field("partner", TEXT, False, "partner id or '*' (default '*')", "partner", True),
                Field("item", TEXT, False, "item id or '*' (default '*')", "item", True),
                Field("allowed", BOOL, False, "allow or deny"),
                Field("lead_time_months", MONTHS, False, "lead time in months"),
                Field("reason", TEXT, False, "why (default: the scenario's name)"),
            ),
            apply_route,
            form=Form(
                "Open or close a route",
                4,
                (
                    Cell("source", "source (* any)"),
                    Cell("partner", "partner (* any)"),
                    Cell("item", "item (* any)"),
                    Cell("allowed", "open or close", required=False, choices=("open", "close")),
                    Cell("lead_time_months", "lead time (months)"),
                    Cell("reason", "why"),
                ),
            ),
        ),
        OverrideKind(
            "absorption",
            "what a partner can receive and put to use per month, for a category of items "
            "(replaces the data's limit, or adds one)",
            (
                Field("partner", TEXT, True, "partner id", "partner"),
                Field("category", TEXT, True, "item category (as in items.csv)"),
                Field("units_per_month", RATE, True, "units a month the partner can absorb"),
            ),
            apply_absorption,
            check=_check_absorption,
            form=Form(
                "Absorption limit",
                1,
                (
                    Cell("partner", "partner"),
                    Cell("category", "category"),
                    Cell("units_per_month", "units a month"),
                ),
            ),
        ),
        OverrideKind(
            "uncertainty",
            "an uncertainty rule (as in uncertainty.csv) added, or replacing the data's rule "
            "with the same target, item and kind",
            (
                Field(
                    "target",
                    TEXT,
                    True,
                    "source, holder or '*' (a production source for the line kinds, a stock "
                    "source or partner for demand_factor, a source or partner for "
                    "lead_time_extra_months)",
                ),
                Field("item_id", TEXT, True, "item id or '*'", "item", True),
                Field("kind", choice(*UNCERTAINTY_KINDS), True, "what is uncertain"),
                Field(
                    "distribution", choice(*DISTRIBUTIONS), True, "what the sample is drawn from"
                ),
                Field("low", NUMBER, True, "lowest value (the value itself for fixed)"),
                Field("mode", NUMBER, False, "most likely value (triangular only)"),
                Field("high", NUMBER, False, "highest value (all but fixed)"),
            ),
            apply_uncertainty,
            check=_check_uncertainty,
            rules=_uncertainty_rules,
            form=Form(
                "Uncertainty rules (for promise odds)",
                1,
                (
                    Cell("target", "target (source, holder or *)"),
                    Cell("item_id", "item (* any)"),
                    Cell("kind", "what is uncertain"),
                    Cell("distribution", "distribution"),
                    Cell("low", "low"),
                    Cell("mode", "mode (triangular)"),
                    Cell("high", "high"),
                ),
            ),
        ),
    )
}
