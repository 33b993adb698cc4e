"""The plan's late reasons read back into structure: the kind of each sentence and the ids it
names (commitments, partners, pools, sources, rules).

The plan stores its reasons as sentences written from a fixed set of templates
(``optimize/results.py``). A sentence is read against those templates with every id slot
matched only by an id the data holds, so an id with a dot, a space or a letter of any script
is read whole; lists are split on ``", "``, which no id may contain. A sentence that matches
no template is not understood (``Reason.kind`` is None): the releasability filter withholds
it rather than guess what it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["Reason", "Vocabulary", "named_reason", "read_reason"]


@dataclass(frozen=True)
class Reason:
    """One reason sentence as understood: ``kind`` (None when not understood) and what it
    names. ``sources`` are the sources it names (a quoted rule's too); ``pools`` the
    ``(holder, item)`` pairs whose stock or shipments it describes; ``rule_partners`` the
    partner field of a routing rule it quotes (``*`` for any); ``free_text`` the text it
    quotes from the data (a rule's reason)."""

    text: str
    kind: str | None = None
    commitments: frozenset[str] = frozenset()
    partners: frozenset[str] = frozenset()
    pools: frozenset[tuple[str, str]] = frozenset()
    sources: frozenset[str] = frozenset()
    rule_partners: frozenset[str] = frozenset()
    free_text: tuple[str, ...] = ()


def _alternation(ids: Iterable[str]) -> str:
    """A regex matching exactly one of ``ids`` (longest first, so a prefix never wins)."""
    escaped = [re.escape(i) for i in sorted(set(ids), key=lambda s: (-len(s), s)) if i]
    return "(?:" + "|".join(escaped) + ")" if escaped else "(?!)"


_MONTH = r"\d{4}-\d{2}"
_RANGES = rf"{_MONTH}(?: to {_MONTH})?(?:, {_MONTH}(?: to {_MONTH})?)*"
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|inf|-inf|nan"
_MONTHS = r"\d+ months?"
_MORE = r"(?: and \d+ more)?"

# kind -> the sentence, its slots in braces (the wording of optimize/results.py::_reasons)
TEMPLATES: dict[str, str] = {
    "no_source": "no source produces or stocks {item}",
    "route_denied": (
        "route from {source} is denied by rule ({rule_source}, {rule_partner}, {rule_item}){why}"
    ),
    "lead_beyond_horizon": (
        "lead time of {months} from {source}: nothing shipped can arrive within the horizon"
    ),
    "lead_after_due": (
        "lead time of {months} from {source}: the earliest arrival is {month}, "
        "after the due month {due}"
    ),
    "capacity_used": "capacity of {sources} for {item} is fully used in {ranges}",
    "stock_at_floor": (
        "stock of {item} at {holder} sits at its floor of {number} units in {ranges}"
    ),
    "stock_used_up": "stock of {item} at {holder} is used up in {ranges}",
    "higher_priority": "higher-priority promises take units from {holder}: {prioritised}{more}",
    "same_priority": "promises of the same priority share {holder}: {commitments}{more}",
    "absorption": (
        "{partner} can absorb only {number} {category} units a month (limit reached in {ranges})"
    ),
    "no_supply": "no supply can reach {partner} in time: every eligible source is used up",
}


@dataclass(frozen=True)
class Vocabulary:
    """The ids a reason may name, from the data the plan was made from.

    ``pool_of_source`` maps a source to the pool it ships from (its stock holder, else
    itself); ``holders`` are every pool holder (stock holders, partners, sources).
    """

    commitments: frozenset[str]
    partners: frozenset[str]
    items: frozenset[str]
    categories: frozenset[str]
    pool_of_source: Mapping[str, str]
    holders: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def patterns(self) -> dict[str, re.Pattern[str]]:
        source = _alternation(self.pool_of_source)
        commitment = _alternation(self.commitments)
        slots = {
            "item": f"(?P<item>{_alternation(self.items)})",
            "rule_item": rf"(?P<rule_item>{_alternation(self.items)}|\*)",
            "source": f"(?P<source>{source})",
            "rule_source": rf"(?P<rule_source>{source}|\*)",
            "sources": f"(?P<sources>{source}(?:, {source})*)",
            "partner": f"(?P<partner>{_alternation(self.partners)})",
            "rule_partner": rf"(?P<rule_partner>{_alternation(self.partners)}|\*)",
            "holder": f"(?P<holder>{_alternation(self.holders | set(self.pool_of_source))})",
            "category": f"(?P<category>{_alternation(self.categories)})",
            "commitments": f"(?P<commitments>{commitment}(?:, {commitment})*)",
            "prioritised": (
                rf"(?P<prioritised>{commitment} \(priority \d+\)"
                rf"(?:, {commitment} \(priority \d+\))*)"
            ),
            "why": r"(?:: (?P<why>.*))?",
            "months": _MONTHS,
            "month": _MONTH,
            "due": _MONTH,
            "ranges": _RANGES,
            "number": f"(?:{_NUMBER})",
            "more": _MORE,
        }
        compiled = {}
        for kind, template in TEMPLATES.items():
            parts = re.split(r"(\{[a-z_]+\})", template)
            regex = "".join(
                slots[p[1:-1]] if p.startswith("{") and p.endswith("}") else re.escape(p)
                for p in parts
            )
            compiled[kind] = re.compile(regex, re.DOTALL)
        return compiled


def _split(listed: str, known: frozenset[str], suffix: str = "") -> list[str] | None:
    """The ids of a ``", "``-joined list (each followed by ``suffix``, a regex), or None when
    a part is not a known id (an id holding ``", "``: not understood)."""
    out = []
    for part in listed.split(", "):
        name = re.sub(suffix + "$", "", part) if suffix else part
        if name not in known:
            return None
        out.append(name)
    return out


def read_reason(text: str, item: str, vocabulary: Vocabulary) -> Reason:
    """The reason ``text`` of a late commitment of ``item``, read against the templates."""
    return _read(text, item, vocabulary)[0]


def _read(text: str, item: str, vocabulary: Vocabulary) -> tuple[Reason, re.Match[str] | None]:
    for kind, pattern in vocabulary.patterns.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        slots = match.groupdict()
        commitments: list[str] = []
        if slots.get("commitments"):
            found = _split(slots["commitments"], vocabulary.commitments)
            if found is None:
                continue
            commitments = found
        if slots.get("prioritised"):
            found = _split(slots["prioritised"], vocabulary.commitments, r" \(priority \d+\)")
            if found is None:
                continue
            commitments = found
        sources = [slots[k] for k in ("source", "rule_source") if slots.get(k) not in (None, "*")]
        if slots.get("sources"):
            found = _split(slots["sources"], frozenset(vocabulary.pool_of_source))
            if found is None:
                continue
            sources = found
        named_item = slots.get("item") or item
        pools: set[tuple[str, str]] = set()
        if slots.get("holder"):
            pools.add((slots["holder"], named_item))
        if kind == "capacity_used":
            pools |= {(vocabulary.pool_of_source[s], named_item) for s in sources}
        rule_partner = slots.get("rule_partner")
        reason = Reason(
            text=text,
            kind=kind,
            commitments=frozenset(commitments),
            partners=frozenset([slots["partner"]] if slots.get("partner") else []),
            pools=frozenset(pools),
            sources=frozenset(sources),
            rule_partners=frozenset([rule_partner] if rule_partner else []),
            free_text=(slots["why"],) if slots.get("why") else (),
        )
        return reason, match
    return Reason(text=text), None


_NAMED_SLOTS = {
    "item": ("item",),
    "rule_item": ("item",),
    "source": ("source",),
    "rule_source": ("source",),
    "sources": ("source",),
    "partner": ("partner",),
    "rule_partner": ("partner",),
    "holder": ("partner", "source"),
}


def named_reason(
    text: str, item: str, vocabulary: Vocabulary, names: Mapping[tuple[str, str], str]
) -> str:
    """The reason ``text`` with each item, source, partner and holder it names written as its
    display name (``names``: ``(kind, id) -> name``); ``*`` in a quoted rule reads "any". A
    sentence not understood is returned as it is."""
    match = _read(text, item, vocabulary)[1]
    if match is None:
        return text

    def name(slot: str, value: str) -> str:
        if value == "*":
            return "any"
        kinds = _NAMED_SLOTS[slot]
        return next((names[(k, value)] for k in kinds if names.get((k, value))), value)

    out, at = [], 0
    spans = sorted(
        (match.start(s), match.end(s), s)
        for s in _NAMED_SLOTS
        if s in match.groupdict() and match.group(s) is not None
    )
    for start, end, slot in spans:
        out.append(text[at:start])
        out.append(", ".join(name(slot, v) for v in match.group(slot).split(", ")))
        at = end
    out.append(text[at:])
    return "".join(out)
