"""What a scenario file may hold, declared as data, and the strict reading of one.

A scenario is a TOML file::

    name = "us-155-ramp-slips"          # letters, digits, '-' and '_'
    description = "..."
    base = "baseline"                    # or the name of another scenario
    budget_usd = 1.5e9                   # optional: budget for expansion options
    cost_usd = 0                         # optional: what the scenario's measures cost

    [[capacity]]                         # one table per override, in arrays named by kind
    source = "US_155_PLANTS"
    item = "155MM"
    from = "2026-05"
    until = "2027-06"                    # optional, inclusive
    multiply = 0.6                       # exactly one of multiply / add / set

Every problem names the file, the override (``line`` = its 1-based index within its kind)
and the field (``column`` = ``<kind>.<field>``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from store.contract import PRODUCTION_KINDS, STOCK_KINDS
from store.errors import InputRejected, Problem
from store.months import parse_month

__all__ = [
    "KINDS",
    "PRODUCTION_KINDS",
    "STOCK_KINDS",
    "Override",
    "Scenario",
    "read_scenario",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Field:
    """One key of an override: how to read it and whether it must be there."""

    parse: Callable[[Any], Any]
    required: bool = False
    doc: str = ""


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _month(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a month as a string 'YYYY-MM'")
    return parse_month(value)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date 'YYYY-MM-DD'")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return float(value)


def _non_negative(value: Any) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _priority(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError("must be a whole number from 1 (highest) to 5")
    return value


def _months_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number of months, 0 or more")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def _country(value: Any) -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value):
        raise ValueError("must be an ISO 3166 alpha-3 code such as 'POL'")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError("must be letters, digits, '-' or '_' (and start with a letter or digit)")
    return value


# The override kinds, in the order they are applied (within a kind, in file order): the TOML
# array name, then its keys. The "one of" groups and the
# checks against the data live in apply.py; this table is what a scenario may say.
KINDS: dict[str, dict[str, Field]] = {
    "new_line": {
        "source": Field(_text, True, "id of the new source (must not exist)"),
        "name": Field(_text, False, "display name (default: the id)"),
        "kind": Field(_choice(*PRODUCTION_KINDS), True, "production kind"),
        "country": Field(_country, True, "ISO alpha-3 country"),
        "stock_holder": Field(_text, False, "stock source its output goes to"),
        "item": Field(_text, True, "item it makes"),
        "from": Field(_month, True, "first month of output"),
        "units": Field(_positive, True, "units per month"),
    },
    "capacity": {
        "source": Field(_text, True, "production source id"),
        "item": Field(_text, True, "item id"),
        "from": Field(_month, True, "first month the change applies"),
        "until": Field(_month, False, "last month it applies (default: to the end)"),
        "multiply": Field(_non_negative, False, "factor on the rate"),
        "add": Field(_number, False, "units per month added (negative cuts; floored at 0)"),
        "set": Field(_non_negative, False, "new rate in units per month"),
    },
    "outage": {
        "source": Field(_text, True, "production source id"),
        "item": Field(_text, False, "item (default: every item of the source)"),
        "from": Field(_month, True, "first month down"),
        "until": Field(_month, False, "last month down (default: to the end)"),
    },
    "demand": {
        "holder": Field(_text, True, "holder id (stock source or partner)"),
        "item": Field(_text, True, "item id"),
        "from": Field(_month, True, "first month"),
        "until": Field(_month, False, "last month (default: to the end)"),
        "multiply": Field(_non_negative, True, "factor on the demand forecast"),
    },
    "commitment": {
        "action": Field(_choice("add", "cancel", "change"), True, "add, cancel or change"),
        "id": Field(_text, True, "commitment id"),
        "partner": Field(_text, False, "partner id (add)"),
        "item": Field(_text, False, "item id (add)"),
        "quantity": Field(_positive, False, "units (add, change)"),
        "promised": Field(_month, False, "promised month (add, change)"),
        "priority": Field(_priority, False, "1 highest to 5 (add, change)"),
        "announced": Field(_date, False, "announcement date (add; default: promised month)"),
        "releasable_to": Field(_text, False, "';'-separated partner ids or ALL (add, change)"),
    },
    "partner_stop": {
        "partner": Field(_text, True, "partner that receives nothing"),
        "from": Field(_month, True, "first month with no arrivals"),
    },
    "source_stop": {
        "source": Field(_text, True, "source id"),
        "partner": Field(_text, True, "partner it stops supplying"),
        "item": Field(_text, False, "item (default: every item)"),
        "from": Field(_month, False, "first month with no arrivals (default: at once)"),
    },
    "route": {
        "source": Field(_text, False, "source id or '*' (default '*')"),
        "partner": Field(_text, False, "partner id or '*' (default '*')"),
        "item": Field(_text, False, "item id or '*' (default '*')"),
        "allowed": Field(_bool, False, "allow or deny"),
        "lead_time_months": Field(_months_count, False, "lead time in months"),
        "reason": Field(_text, False, "why (default: the scenario's name)"),
    },
}

TOP: dict[str, Field] = {
    "name": Field(_name, True, "scenario name"),
    "description": Field(_text, True, "what it asks"),
    "base": Field(_name, False, "'baseline' (default) or another scenario's name"),
    "budget_usd": Field(_non_negative, False, "budget for expansion options"),
    "cost_usd": Field(_non_negative, False, "cost of the scenario's own measures"),
}

_ONE_OF = {"capacity": ("multiply", "add", "set")}
_ACTION_FIELDS = {
    "add": (
        {"partner", "item", "quantity", "promised", "priority"},
        {"announced", "releasable_to"},
    ),
    "cancel": (set(), set()),
    "change": (set(), {"quantity", "promised", "priority", "releasable_to"}),
}


@dataclass(frozen=True)
class Override:
    """One override as written: its kind, its 1-based index within the kind, its values."""

    kind: str
    index: int
    values: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: str
    base: str = "baseline"
    budget_usd: float | None = None
    cost_usd: float = 0.0
    overrides: tuple[Override, ...] = field(default_factory=tuple)


def _read_table(
    file: str, kind: str, index: int | None, table: Mapping[str, Any], spec: dict[str, Field]
) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    prefix = f"{kind}." if kind else ""
    for key, raw in table.items():
        if key not in spec:
            problems.append(
                Problem(
                    file, index, f"{prefix}{key}", None, f"unknown key; allowed: {', '.join(spec)}"
                )
            )
            continue
        try:
            values[key] = spec[key].parse(raw)
        except ValueError as exc:
            problems.append(Problem(file, index, f"{prefix}{key}", str(raw), str(exc)))
    for key, f in spec.items():
        if f.required and key not in table:
            problems.append(Problem(file, index, f"{prefix}{key}", None, "required"))
    return values, problems


def _shape_problems(file: str, o: Override) -> list[Problem]:
    """Rules across the keys of one override (one-of groups, month order, fields per action)."""
    problems: list[Problem] = []
    col = f"{o.kind}."
    if o.kind in _ONE_OF:
        given = [k for k in _ONE_OF[o.kind] if k in o.values]
        if len(given) != 1:
            problems.append(
                Problem(
                    file,
                    o.index,
                    col + "/".join(_ONE_OF[o.kind]),
                    None,
                    f"give exactly one of {', '.join(_ONE_OF[o.kind])} (got {len(given)})",
                )
            )
    if "from" in o.values and "until" in o.values and o["until"] < o["from"]:
        problems.append(
            Problem(file, o.index, col + "until", str(o["until"])[:7], "is before 'from'")
        )
    if o.kind == "commitment" and "action" in o.values:
        required, optional = _ACTION_FIELDS[o["action"]]
        for key in sorted(required - set(o.values)):
            problems.append(Problem(file, o.index, col + key, None, f"required to {o['action']}"))
        allowed = required | optional | {"action", "id"}
        for key in sorted(set(o.values) - allowed):
            problems.append(
                Problem(
                    file, o.index, col + key, None, f"not allowed when the action is {o['action']}"
                )
            )
        if o["action"] == "change" and not (set(o.values) & optional):
            problems.append(
                Problem(
                    file, o.index, col + "action", "change", "change what? give a field to change"
                )
            )
    return problems


def read_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file's structure; raises InputRejected listing every problem.

    Ids are checked later, against the data the scenario applies to (``apply.apply_chain``).
    """
    path = Path(path)
    file = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected([Problem(file, None, None, None, f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputRejected([Problem(file, None, None, None, f"not valid TOML: {exc}")]) from None
    top = {k: v for k, v in doc.items() if k not in KINDS}
    values, problems = _read_table(file, "", None, top, TOP)
    overrides: list[Override] = []
    for kind in KINDS:
        if kind not in doc:
            continue
        entries = doc[kind]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(
                Problem(file, None, kind, None, f"write overrides as [[{kind}]] tables")
            )
            continue
        for index, entry in enumerate(entries, start=1):
            parsed, entry_problems = _read_table(file, kind, index, entry, KINDS[kind])
            problems += entry_problems
            override = Override(kind, index, parsed)
            problems += _shape_problems(file, override)
            overrides.append(override)
    if values.get("base") == values.get("name") and "name" in values:
        problems.append(
            Problem(file, None, "base", values["name"], "a scenario cannot be its own base")
        )
    if problems:
        raise InputRejected(problems)
    return Scenario(
        name=values["name"],
        description=values["description"],
        path=file,
        base=values.get("base", "baseline"),
        budget_usd=values.get("budget_usd"),
        cost_usd=values.get("cost_usd", 0.0),
        overrides=tuple(overrides),
    )
