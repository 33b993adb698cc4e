"""The strict reading of one scenario file, by the override kinds declared in ``kinds.py``.

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

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.scenarios.fields import NAME, TEXT, USD, Field, Override, Scenario
from pipeline.scenarios.kinds import KINDS, OverrideKind
from store.errors import InputRejected, Problem

__all__ = ["KINDS", "TOP", "Override", "Scenario", "read_scenario"]

# The scenario's own keys; the override kinds and their keys are declared in kinds.py.
TOP: dict[str, Field] = {
    f.name: f
    for f in (
        Field("name", NAME, True, "scenario name"),
        Field("description", TEXT, True, "what it asks"),
        Field("base", NAME, False, "'baseline' (default) or another scenario's name"),
        Field("budget_usd", USD, False, "budget for expansion options (0 to 1e13 USD)"),
        Field("cost_usd", USD, False, "cost of the scenario's own measures (0 to 1e13 USD)"),
    )
}


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


def _shape_problems(file: str, o: Override, kind: OverrideKind) -> list[Problem]:
    """Rules across the keys of one override (one-of groups, month order, the kind's own)."""
    problems: list[Problem] = []
    col = f"{o.kind}."
    if kind.one_of:
        given = [k for k in kind.one_of if k in o.values]
        if len(given) != 1:
            problems.append(
                Problem(
                    file,
                    o.index,
                    col + "/".join(kind.one_of),
                    None,
                    f"give exactly one of {', '.join(kind.one_of)} (got {len(given)})",
                )
            )
    if "from" in o.values and "until" in o.values and o["until"] < o["from"]:
        problems.append(
            Problem(file, o.index, col + "until", str(o["until"])[:7], "is before 'from'")
        )
    if kind.rules is not None:
        problems += kind.rules(file, o)
    return problems


def read_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file's structure; raises InputRejected listing every problem.

    Ids are checked later, against the data the scenario applies to (``chain.apply_chain``).
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
            parsed, entry_problems = _read_table(file, kind, index, entry, KINDS[kind].spec)
            problems += entry_problems
            override = Override(kind, index, parsed)
            problems += _shape_problems(file, override, KINDS[kind])
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
