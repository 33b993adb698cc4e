"""Scenarios read from a folder, chained by their bases, and applied in order to a copy of the
data: every override is checked against the data as it stands (its kind's ``check_ids``), then
changed by its kind's apply function (both from ``kinds.KINDS``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.scenarios.apply import BASELINE, Applied, Edit
from pipeline.scenarios.fields import Scenario
from pipeline.scenarios.kinds import KINDS
from pipeline.scenarios.spec import read_scenario
from store.dataset import Dataset
from store.errors import InputRejected, Problem

__all__ = ["apply_chain", "apply_scenario", "read_scenarios", "resolve_chain"]


def read_scenarios(folder: str | Path) -> dict[str, Scenario]:
    """Every ``*.toml`` in ``folder`` by scenario name; every problem of every file at once."""
    found: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            scenario = read_scenario(path)
        except InputRejected as exc:
            problems += exc.problems
            continue
        if scenario.name == BASELINE:
            problems.append(Problem(str(path), None, "name", BASELINE, "is reserved"))
        elif scenario.name in found:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "name",
                    scenario.name,
                    f"already used by {found[scenario.name].path}",
                )
            )
        else:
            found[scenario.name] = scenario
    if problems:
        raise InputRejected(problems)
    return found


def resolve_chain(name: str, library: Mapping[str, Scenario]) -> list[Scenario]:
    """The scenario and its bases, the first base first; unknown bases and cycles rejected."""
    if name not in library:
        raise InputRejected(
            [Problem(name, None, "name", name, f"no such scenario; known: {', '.join(library)}")]
        )
    chain: list[Scenario] = []
    seen: list[str] = []
    current = library[name]
    while True:
        if current.name in seen:
            cycle = " -> ".join([*seen[seen.index(current.name) :], current.name])
            raise InputRejected(
                [Problem(current.path, None, "base", current.base, f"cycle: {cycle}")]
            )
        seen.append(current.name)
        chain.append(current)
        if current.base == BASELINE:
            break
        if current.base not in library:
            raise InputRejected(
                [Problem(current.path, None, "base", current.base, "no scenario of that name")]
            )
        current = library[current.base]
    return chain[::-1]


def apply_chain(dataset: Dataset, chain: Iterable[Scenario]) -> Applied:
    """Apply a chain of scenarios (base first) to ``dataset``; later ones see earlier changes."""
    applied = Applied(dataset=dataset)
    for scenario in chain:
        applied = apply_scenario(applied, scenario)
    return applied


def apply_scenario(base: Applied | Dataset, scenario: Scenario) -> Applied:
    """Check ``scenario``'s ids against ``base`` and apply its overrides (kind by kind in the
    order of ``KINDS``, each kind in file order)."""
    if isinstance(base, Dataset):
        base = Applied(dataset=base)
    edit = Edit(scenario, base.dataset, list(base.demand), list(base.blocks))
    for o in scenario.overrides:
        kind = KINDS[o.kind]
        found = kind.check_ids(scenario.path, o, edit.dataset)
        if found:
            edit.problems += found
            continue
        kind.apply(edit, o)
    if edit.problems:
        raise InputRejected(edit.problems)
    return Applied(
        dataset=edit.dataset,
        chain=(*base.chain, scenario.name),
        demand=tuple(edit.demand),
        blocks=tuple(edit.blocks),
        budget_usd=scenario.budget_usd if scenario.budget_usd is not None else base.budget_usd,
        cost_usd=base.cost_usd + scenario.cost_usd,
        descriptions={**base.descriptions, scenario.name: scenario.description},
    )
