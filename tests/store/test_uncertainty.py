"""The rules of uncertainty.csv (store/uncertainty.py): which rule applies to a line, a holder or
a route, worked out by hand; and the checks the validator and the scenarios share."""

from __future__ import annotations

import polars as pl
import pytest

from store.uncertainty import parameter_problems, resolve_uncertainty, target_problem

COLUMNS = ("target", "item_id", "kind", "distribution", "low", "mode", "high")


def rules(*rows: tuple) -> pl.DataFrame:
    """Rules as uncertainty.csv, in the order given."""
    schema = dict.fromkeys(COLUMNS[:4], pl.String) | dict.fromkeys(COLUMNS[4:], pl.Float64)
    return pl.DataFrame(rows, schema=schema, orient="row")


def fixed(target: str, item: str, kind: str, low: float) -> tuple:
    return (target, item, kind, "fixed", low, None, None)


def lows(frame: pl.DataFrame) -> list[float | None]:
    return frame.get_column("low").to_list()


CF = "capacity_factor"
LT = "lead_time_extra_months"


def test_the_most_specific_rule_of_the_kind_wins() -> None:
    table = rules(
        fixed("*", "*", CF, 1.0),
        ("L1", "*", CF, "uniform", 0.5, None, 1.0),
        fixed("*", "A", CF, 0.7),
        ("L1", "A", CF, "triangular", 0.2, 0.3, 0.4),
        fixed("L2", "*", "outage_probability", 0.1),  # another kind: never read
    )
    keys = pl.DataFrame(
        {"target": ["L1", "L1", "L2", "L2", "L3"], "item_id": ["A", "B", "A", "B", "C"]}
    )
    got = resolve_uncertainty(table, CF, keys)
    assert got.columns == ["target", "item_id", "distribution", "low", "mode", "high"]
    # (L1, A): the rule naming both; (L1, B): the line's rule; (L2, A): the item's rule;
    # (L2, B) and (L3, C): the rule for any line and item (L2's outage rule is another kind)
    assert got.rows() == [
        ("L1", "A", "triangular", 0.2, 0.3, 0.4),
        ("L1", "B", "uniform", 0.5, None, 1.0),
        ("L2", "A", "fixed", 0.7, None, None),
        ("L2", "B", "fixed", 1.0, None, None),
        ("L3", "C", "fixed", 1.0, None, None),
    ]


def test_equally_specific_rules_go_to_the_first_row() -> None:
    keys = pl.DataFrame({"target": ["L1"], "item_id": ["A"]})
    line_first = rules(fixed("L1", "*", CF, 0.5), fixed("*", "A", CF, 0.7))
    item_first = rules(fixed("*", "A", CF, 0.7), fixed("L1", "*", CF, 0.5))
    assert lows(resolve_uncertainty(line_first, CF, keys)) == [0.5]
    assert lows(resolve_uncertainty(item_first, CF, keys)) == [0.7]


def test_no_rule_gives_nulls_and_keys_keep_their_rows_and_order() -> None:
    table = rules(fixed("L1", "A", CF, 0.5), fixed("UKR", "*", "demand_factor", 1.2))
    keys = pl.DataFrame(
        {
            "target": ["L9", "L1", None, "L1", "UKR"],
            "item_id": ["A", "A", "A", "A", "B"],
            "note": ["x", "y", "z", "w", "v"],
        }
    )
    got = resolve_uncertainty(table, CF, keys)
    assert got.select("target", "item_id", "note").equals(keys)
    assert lows(got) == [None, 0.5, None, 0.5, None]
    assert got.get_column("distribution").to_list() == [None, "fixed", None, "fixed", None]
    demand = resolve_uncertainty(table, "demand_factor", keys)
    assert lows(demand) == [None, None, None, None, 1.2]
    empty = resolve_uncertainty(rules(), "ramp_delay_months", keys)
    assert empty.height == 5
    assert empty.get_column("low").null_count() == 5


ROUTE_RULES = (
    fixed("S1", "*", LT, 1),  # 0: routes from S1
    fixed("UKR", "*", LT, 2),  # 1: routes to UKR
    fixed("*", "*", LT, 0),  # 2: every route
    fixed("UKR", "A", LT, 3),  # 3: routes to UKR of A
    fixed("*", "B", LT, 4),  # 4: routes of B
)


@pytest.mark.parametrize(
    ("source", "partner", "item", "low", "why"),
    [
        ("S1", "UKR", "A", 3, "rule 3 names two fields; the others at most one"),
        ("S2", "UKR", "A", 3, "rule 3 again: from any source"),
        ("S1", "UKR", "B", 1, "rules 0, 1, 4 name one field: S1's beats UKR's, and comes before 4"),
        ("S2", "UKR", "B", 2, "rules 1 and 4 name one field, no source rule: the first row, 1"),
        ("S1", "POL", "C", 1, "only rule 0 names a field"),
        ("S2", "POL", "B", 4, "only rule 4 names a field"),
        ("S2", "POL", "C", 0, "nothing named: the rule for every route"),
    ],
)
def test_a_route_takes_rules_for_its_source_its_partner_or_any(
    source: str, partner: str, item: str, low: float, why: str
) -> None:
    keys = pl.DataFrame({"source_id": [source], "partner_id": [partner], "item_id": [item]})
    got = resolve_uncertainty(rules(*ROUTE_RULES), LT, keys)
    assert got.columns == [
        "source_id",
        "partner_id",
        "item_id",
        "distribution",
        "low",
        "mode",
        "high",
    ]
    assert lows(got) == [low], why


def test_a_source_rule_beats_an_equally_specific_partner_rule_whatever_the_order() -> None:
    keys = pl.DataFrame(
        {"source_id": ["S1", "S1", "S2"], "partner_id": ["UKR", "UKR", "UKR"], "item_id": "A"}
    )
    partner_first = rules(fixed("UKR", "*", LT, 2), fixed("S1", "*", LT, 1))
    assert lows(resolve_uncertainty(partner_first, LT, keys)) == [1, 1, 2]
    # more specific still wins: the partner's rule for the item beats the source's for any item
    specific = rules(fixed("S1", "*", LT, 1), fixed("UKR", "A", LT, 5))
    assert lows(resolve_uncertainty(specific, LT, keys)) == [5, 5, 5]
    # a source's rule for the item against the partner's for the item: the source's
    both = rules(fixed("UKR", "A", LT, 5), fixed("S1", "A", LT, 6))
    assert lows(resolve_uncertainty(both, LT, keys)) == [6, 6, 5]


# The checks shared by the validator and the scenario override ---------------------------------

SOURCES = {
    "PLANT": "us_production",
    "DEPOT": "us_stock",
    "ALLY": "allied_stock",
    "ODD": "factory",
}
PARTNERS = {"UKR"}


@pytest.mark.parametrize(
    ("kind", "target", "reason"),
    [
        (CF, "*", None),
        (CF, "PLANT", None),
        (
            "ramp_delay_months",
            "UKR",
            "is a partner; ramp_delay_months applies to production lines: give a production source or *",
        ),
        (
            "outage_probability",
            "DEPOT",
            "is a us_stock source; outage_probability applies to production lines: give a production source or *",
        ),
        ("demand_factor", "UKR", None),
        ("demand_factor", "ALLY", None),
        (
            "demand_factor",
            "PLANT",
            "is a us_production source; demand_factor applies to holders of stock: give a stock source, a partner or *",
        ),
        (LT, "PLANT", None),
        (LT, "DEPOT", None),
        (LT, "UKR", None),
        (LT, "NOPE", "an unknown source or holder (not in sources or partners)"),
        # a source whose own kind is invalid is reported on its sources.csv row, not here
        (CF, "ODD", None),
        ("demand_factor", "ODD", None),
    ],
)
def test_target_suits_its_kind(kind: str, target: str, reason: str | None) -> None:
    assert target_problem(kind, target, SOURCES, PARTNERS) == reason


@pytest.mark.parametrize(
    ("kind", "distribution", "low", "mode", "high"),
    [
        ("ramp_delay_months", "uniform_int", 0, None, 6),
        ("ramp_delay_months", "fixed", 240, None, None),
        (LT, "uniform_int", 2, None, 2),
        ("outage_probability", "triangular", 0, 0.05, 1),
        ("outage_probability", "uniform", 0.1, None, 0.2),
        (CF, "fixed", 0, None, None),
        ("demand_factor", "triangular", 0.8, 0.8, 1000),
    ],
)
def test_parameters_that_suit_their_kind(kind, distribution, low, mode, high) -> None:
    assert parameter_problems(kind, distribution, low, mode, high) == []


def test_parameters_out_of_range_are_refused_before_their_order() -> None:
    """What a scenario may ask (a TOML number of any sign) is held to the file's ranges."""
    assert parameter_problems(CF, "uniform", -0.5, None, 2000) == [
        ("low", "must be from 0 to 1000 for capacity_factor"),
        ("high", "must be from 0 to 1000 for capacity_factor"),
    ]
    assert parameter_problems(LT, "uniform_int", 3, None, 1.5) == [
        ("high", "must be a whole number of months for lead_time_extra_months"),
        ("high", "is below low (3)"),
    ]
