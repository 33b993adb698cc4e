"""A late reason with display names in place of ids: every id slot of the templates is named,
a commitment id and the figures stay, a quoted rule's ``*`` reads "any", and a sentence that
is not understood is left as it is."""

from __future__ import annotations

import pytest

from reports.reasons import Vocabulary, named_reason

VOCABULARY = Vocabulary(
    commitments=frozenset({"POL-1", "POL-2", "UKR-1"}),
    partners=frozenset({"POL", "UKR"}),
    items=frozenset({"GMLRS", "155MM"}),
    categories=frozenset({"artillery"}),
    pool_of_source={"LM": "LM", "LM_FMS": "LM_FMS", "PLANT": "US_DEPOT", "US_DEPOT": "US_DEPOT"},
    holders=frozenset({"POL", "UKR", "US_DEPOT"}),
)
NAMES = {
    ("partner", "POL"): "Poland",
    ("partner", "UKR"): "Ukraine",
    ("item", "GMLRS"): "Guided MLRS rocket",
    ("item", "155MM"): "155mm round",
    ("source", "LM"): "Lockheed line",
    ("source", "LM_FMS"): "Lockheed export lots",
    ("source", "US_DEPOT"): "US depot",
    # PLANT has no name: it stays an id
}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "route from LM_FMS is denied by rule (LM_FMS, *, GMLRS): FMS lots only",
            "route from Lockheed export lots is denied by rule (Lockheed export lots, any, "
            "Guided MLRS rocket): FMS lots only",
        ),
        (
            "lead time of 2 months from LM: the earliest arrival is 2027-01, after the due "
            "month 2026-11",
            "lead time of 2 months from Lockheed line: the earliest arrival is 2027-01, after "
            "the due month 2026-11",
        ),
        (
            "capacity of LM, LM_FMS, PLANT for GMLRS is fully used in 2026-11 to 2026-12",
            "capacity of Lockheed line, Lockheed export lots, PLANT for Guided MLRS rocket is "
            "fully used in 2026-11 to 2026-12",
        ),
        (
            "stock of 155MM at US_DEPOT sits at its floor of 1000 units in 2027-01",
            "stock of 155mm round at US depot sits at its floor of 1000 units in 2027-01",
        ),
        (
            "promises of the same priority share LM_FMS: POL-2, UKR-1",
            "promises of the same priority share Lockheed export lots: POL-2, UKR-1",
        ),
        (
            "POL can absorb only 200 artillery units a month (limit reached in 2027-03)",
            "Poland can absorb only 200 artillery units a month (limit reached in 2027-03)",
        ),
        ("no supply can reach UKR in time: every eligible source is used up", None),
    ],
)
def test_each_id_slot_is_named(text: str, named: str | None) -> None:
    want = named or text.replace("UKR", "Ukraine")
    assert named_reason(text, "GMLRS", VOCABULARY, NAMES) == want


def test_a_sentence_not_understood_is_left_as_it_is() -> None:
    for text in ("LM is late for reasons of its own", "capacity of NOPE for GMLRS is fully used"):
        assert named_reason(text, "GMLRS", VOCABULARY, NAMES) == text
