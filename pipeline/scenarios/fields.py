"""The vocabulary of scenario files: value types, fields, and an override or scenario as read.

A :class:`Type` reads one raw TOML value (raising ``ValueError`` with the reason a problem
reports); a :class:`Field` is one key of an override kind: its type, whether it is required,
which id set its value names, and its description. The kinds themselves are declared in
``kinds.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from store.contract import MAX_FACTOR, MAX_UNITS, MAX_USD
from store.months import parse_month

__all__ = [
    "BOOL",
    "COUNTRY",
    "DATE",
    "MAX_MULTIPLIER",
    "MONTH",
    "MONTHS",
    "MULTIPLIER",
    "NAME",
    "NON_NEGATIVE",
    "NUMBER",
    "POSITIVE",
    "PRIORITY",
    "RATE",
    "TEXT",
    "UNITS",
    "UNITS_CHANGE",
    "USD",
    "Field",
    "Override",
    "Scenario",
    "Type",
    "choice",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Type:
    """What a field holds: a name (text, month, date, number, integer, bool, choice, country,
    name), the reader of a raw value, and for a closed set the values allowed."""

    name: str
    parse: Callable[[Any], Any]
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Field:
    """One key of an override kind.

    ``ids`` names the id set the value must belong to in the data the scenario applies to
    (``checks.ID_SETS``: source, production_source, stock_source, item, partner, holder,
    commitment); ``wildcard`` lets ``'*'`` stand for any.
    """

    name: str
    type: Type
    required: bool = False
    doc: str = ""
    ids: str | None = None
    wildcard: bool = False

    def parse(self, value: Any) -> Any:
        return self.type.parse(value)


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


def _within(read: Callable[[Any], float], low: float, high: float) -> Callable[[Any], float]:
    """``read``, and the number must lie in ``[low, high]`` (the documented range)."""

    def parse(value: Any) -> float:
        number = read(value)
        if not low <= number <= high:
            raise ValueError(f"must be from {low:,.15g} to {high:,.15g}")
        return number

    return parse


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


def _country(value: Any) -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value):
        raise ValueError("must be an ISO 3166 alpha-3 code such as 'POL'")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError("must be letters, digits, '-' or '_' (and start with a letter or digit)")
    return value


TEXT = Type("text", _text)
MONTH = Type("month", _month)
DATE = Type("date", _date)
NUMBER = Type("number", _number)
NON_NEGATIVE = Type("number", _non_negative)
POSITIVE = Type("number", _positive)
PRIORITY = Type("integer", _priority, (1, 2, 3, 4, 5))
MONTHS = Type("integer", _months_count)
BOOL = Type("bool", _bool, (True, False))
COUNTRY = Type("country", _country)
NAME = Type("name", _name)

# Bounded numbers: what a scenario may ask is checked as strictly as what a data file holds
# (store/contract.py), so a what-if is refused when saved, not when the nightly solves it.
MAX_MULTIPLIER = MAX_FACTOR
MULTIPLIER = Type("number", _within(_non_negative, 0.0, MAX_MULTIPLIER))
"""A factor on a rate or a forecast: 0 to 1,000."""
USD = Type("number", _within(_non_negative, 0.0, MAX_USD))
"""An amount of money: 0 to 1e13 USD."""
UNITS = Type("number", _within(_positive, 0.0, MAX_UNITS))
"""A positive quantity or monthly rate: up to 1e12 units."""
RATE = Type("number", _within(_non_negative, 0.0, MAX_UNITS))
"""A monthly rate that may be 0: up to 1e12 units."""
UNITS_CHANGE = Type("number", _within(_number, -MAX_UNITS, MAX_UNITS))
"""Units added to (or, below 0, taken from) a monthly rate: within 1e12 either way."""


def choice(*options: str) -> Type:
    """A text that must be one of ``options``."""

    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return Type("choice", parse, options)


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
