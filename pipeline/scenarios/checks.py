"""Checking an override's ids against the data it applies to.

A field that names an id declares its id set (``Field.ids``); :meth:`IdCheck.declared` checks
every such field of an override in field order. A kind whose rules go further (an id that must
not exist yet, checks that depend on the action) gives its own check function in ``kinds.py``,
built from the same :class:`IdCheck` steps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from pipeline.scenarios.fields import Field, Override
from store.contract import PRODUCTION_KINDS, STOCK_KINDS
from store.dataset import Dataset
from store.errors import Problem

__all__ = ["ID_SETS", "IdCheck", "IdSet", "Ids", "check_declared"]


class Ids:
    """The ids a scenario may name, as they stand when an override is applied."""

    def __init__(self, d: Dataset):
        self.items = set(d.items.get_column("item_id"))
        self.partners = set(d.partners.get_column("partner_id"))
        self.sources = dict(zip(d.sources["source_id"], d.sources["kind"], strict=True))
        self.commitments = set(d.commitments.get_column("commitment_id"))
        self.holders = (
            self.partners
            | set(self.sources)
            | set(d.stockpiles.get_column("holder_id"))
            | set(d.consumption.get_column("holder_id"))
        )


@dataclass(frozen=True)
class IdSet:
    """A set of ids a field may name: its members, and the reason a value outside it gets.

    For a set of sources, ``kinds`` are the source kinds that qualify and ``wrong_kind`` the
    reason a source of another kind gets (``{kind}`` is filled in).
    """

    members: Callable[[Ids], Collection[str]]
    unknown: str
    kinds: tuple[str, ...] = ()
    wrong_kind: str = ""

    def problem(self, value: str, ids: Ids) -> str | None:
        if value not in self.members(ids):
            return self.unknown
        if self.kinds and ids.sources[value] not in self.kinds:
            return self.wrong_kind.format(kind=ids.sources[value])
        return None


_STOCK_SOURCE = "must be a stock source (us_stock or allied_stock)"

ID_SETS: dict[str, IdSet] = {
    "source": IdSet(lambda ids: ids.sources, "unknown source"),
    "production_source": IdSet(
        lambda ids: ids.sources,
        "unknown source",
        PRODUCTION_KINDS,
        "is a {kind} source; only production has capacity",
    ),
    "stock_source": IdSet(lambda ids: ids.sources, _STOCK_SOURCE, STOCK_KINDS, _STOCK_SOURCE),
    "item": IdSet(lambda ids: ids.items, "unknown item"),
    "partner": IdSet(lambda ids: ids.partners, "unknown partner"),
    "holder": IdSet(lambda ids: ids.holders, "unknown holder"),
    "commitment": IdSet(lambda ids: ids.commitments, "unknown commitment"),
}


@dataclass
class IdCheck:
    """One override checked against ``dataset``; every problem found lands in ``problems``."""

    file: str
    override: Override
    fields: Mapping[str, Field]
    dataset: Dataset
    ids: Ids = field(init=False)
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = Ids(self.dataset)

    def bad(self, key: str, reason: str) -> None:
        o = self.override
        self.problems.append(
            Problem(self.file, o.index, f"{o.kind}.{key}", str(o.get(key)), reason)
        )

    def known(self, key: str, id_set: str | None = None) -> bool:
        """Whether the value of ``key`` is absent, a wildcard the field allows, or a member of
        its id set (``id_set``, default the field's own); records the problem when not."""
        f = self.fields[key]
        value = self.override.get(key)
        if value is None or (f.wildcard and value == "*"):
            return True
        reason = ID_SETS[id_set or f.ids].problem(value, self.ids)
        if reason is not None:
            self.bad(key, reason)
        return reason is None

    def declared(self) -> None:
        """Check every field that declares an id set, in field order."""
        for f in self.fields.values():
            if f.ids is not None:
                self.known(f.name)


def check_declared(check: IdCheck) -> None:
    """The check of a kind with no rules beyond its fields' id sets."""
    check.declared()
