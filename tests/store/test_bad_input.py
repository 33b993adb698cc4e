"""The bad-input corpus: each case is one named mutation of the tiny fixture and the exact
problems it must produce. Every case also checks the CLI's exit code and message, and that a
database loaded before with the clean fixture is unchanged, table for table."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from store_helpers import (
    TINY,
    add_column,
    append_line,
    cli,
    drop_column,
    read_rows,
    set_cell,
    snapshot,
    write_rows,
    write_workbook,
)

from store.contract import OPTIONAL_FILES
from store.dataset import read_dataset
from store.db import connect
from store.errors import InputRejected, Problem
from store.validate import validate_path

Mutation = Callable[[Path], None]
CASES: list = []

KINDS = "us_production, co_production, allied_production, us_stock, allied_stock"
NOT_ISO = "not an ISO 3166 alpha-3 code (three capital letters)"
MONTH = "not a real month in the form YYYY-MM"
DATE = "not a real date in the form YYYY-MM-DD"
UNKNOWN_ITEM = "an unknown item (not in items)"
UNKNOWN_PARTNER = "an unknown partner (not in partners)"


def defect(*expected: Problem) -> Callable[[Mutation], Mutation]:
    """Register a mutation of the tiny fixture with the problems it must produce, exactly."""

    def register(mutate: Mutation) -> Mutation:
        CASES.append(pytest.param(mutate, list(expected), id=mutate.__name__))
        return mutate

    return register


def dup(file: str, line: int, column: str, value: str, key: str, first: int) -> Problem:
    return Problem(
        f"{file}.csv", line, column, value, f"duplicate key ({key}); first on line {first}"
    )


# Files and columns ----------------------------------------------------------------------


@defect(Problem("stockpiles.csv", None, None, None, "required file is missing"))
def missing_required_file(d: Path) -> None:
    (d / "stockpiles.csv").unlink()


@defect(Problem("partners.csv", 1, "tier", None, "required column is missing"))
def missing_required_column(d: Path) -> None:
    drop_column(d, "partners", "tier")


@defect(
    Problem(
        "items.csv",
        1,
        "colour",
        "colour",
        "unknown column; items has only item_id, name, category, unit_cost_usd",
    )
)
def unknown_column(d: Path) -> None:
    add_column(d, "items", "colour", "green")


@defect(Problem("absorption.csv", 1, "category", "category", "the column appears twice"))
def column_twice(d: Path) -> None:
    add_column(d, "absorption", "category", "artillery")


@defect(Problem("notes.csv", None, None, None, "not a file of the import format (unknown name)"))
def unknown_file_name(d: Path) -> None:
    (d / "notes.csv").write_text("anything,at,all\n1,2,3\n", encoding="utf-8")


@defect(Problem("partners.csv", 3, None, "b'\\xf6lsk'", "the file is not UTF-8 text"))
def not_utf8(d: Path) -> None:
    path = d / "partners.csv"
    path.write_bytes(path.read_bytes().replace(b"Poland", "Pölska".encode("latin-1")))


@defect(Problem("consumption.csv", 4, None, None, "the row has 5 fields, the header has 4"))
def row_with_extra_field(d: Path) -> None:
    rows = read_rows(d, "consumption")
    rows[3].append("oops")
    write_rows(d, "consumption", rows)


@defect(Problem("commitments.csv", 5, None, None, "the row has 7 fields, the header has 8"))
def quoted_row_with_missing_field(d: Path) -> None:
    # a quote in the file takes the csv-module path of the field count check
    rows = read_rows(d, "commitments")
    rows[4] = rows[4][:-1]
    write_rows(d, "commitments", rows)
    path = d / "commitments.csv"
    path.write_text(path.read_text().replace("UKR-1,UKR,", 'UKR-1,"UKR",'), encoding="utf-8")


@defect(Problem("expansion_options.csv", 1, None, None, "the file has no header row"))
def empty_file(d: Path) -> None:
    (d / "expansion_options.csv").write_text("", encoding="utf-8")


# Types ------------------------------------------------------------------------------


@defect(Problem("items.csv", 2, "unit_cost_usd", "8k", "not a number"))
def not_a_number(d: Path) -> None:
    set_cell(d, "items", 2, "unit_cost_usd", "8k")


@defect(Problem("capacity.csv", 3, "month", "2026-13", MONTH))
def month_13(d: Path) -> None:
    set_cell(d, "capacity", 3, "month", "2026-13")


@defect(Problem("consumption.csv", 5, "month", "2026-3", MONTH))
def month_without_leading_zero(d: Path) -> None:
    set_cell(d, "consumption", 5, "month", "2026-3")


@defect(Problem("deliveries.csv", 2, "month", "2025-11-01", MONTH))
def month_given_as_date(d: Path) -> None:
    set_cell(d, "deliveries", 2, "month", "2025-11-01")


@defect(Problem("stockpiles.csv", 3, "as_of", "2025-02-30", DATE))
def date_february_30(d: Path) -> None:
    set_cell(d, "stockpiles", 3, "as_of", "2025-02-30")


@defect(Problem("commitments.csv", 2, "announced", "08/08/2025", DATE))
def date_not_iso(d: Path) -> None:
    set_cell(d, "commitments", 2, "announced", "08/08/2025")


@defect(Problem("eligibility.csv", 4, "allowed", "no", "not true or false"))
def bool_not_true_false(d: Path) -> None:
    set_cell(d, "eligibility", 4, "allowed", "no")


@defect(Problem("eligibility.csv", 3, "lead_time_months", "1.5", "not a whole number"))
def lead_time_fraction(d: Path) -> None:
    set_cell(d, "eligibility", 3, "lead_time_months", "1.5")


@defect(Problem("consumption.csv", 6, "units", "-5", "negative; must be >= 0"))
def negative_quantity(d: Path) -> None:
    set_cell(d, "consumption", 6, "units", "-5")


@defect(Problem("expansion_options.csv", 3, "lead_time_months", "-1", "negative; must be >= 0"))
def negative_lead_time(d: Path) -> None:
    set_cell(d, "expansion_options", 3, "lead_time_months", "-1")


@defect(Problem("commitments.csv", 3, "quantity", None, "empty; a value is required"))
def empty_required_quantity(d: Path) -> None:
    set_cell(d, "commitments", 3, "quantity", "")


@defect(Problem("sources.csv", 3, "name", None, "empty; a value is required"))
def blank_required_text(d: Path) -> None:
    set_cell(d, "sources", 3, "name", "   ")


@defect(Problem("stockpiles.csv", 2, "units", "NaN", "not a finite number"))
def nan_quantity(d: Path) -> None:
    set_cell(d, "stockpiles", 2, "units", "NaN")


@defect(Problem("capacity.csv", 4, "units", "inf", "not a finite number"))
def infinite_quantity(d: Path) -> None:
    set_cell(d, "capacity", 4, "units", "inf")


# Allowed values -----------------------------------------------------------------------


@defect(Problem("sources.csv", 4, "kind", "factory", f"not one of {KINDS}"))
def kind_not_allowed(d: Path) -> None:
    set_cell(d, "sources", 4, "kind", "factory")


@defect(Problem("partners.csv", 4, "tier", "ally", "not one of most_capable, frontline, other"))
def tier_not_allowed(d: Path) -> None:
    set_cell(d, "partners", 4, "tier", "ally")


@defect(Problem("commitments.csv", 2, "priority", "0", "must be from 1 to 5"))
def priority_0(d: Path) -> None:
    set_cell(d, "commitments", 2, "priority", "0")


@defect(Problem("commitments.csv", 4, "priority", "6", "must be from 1 to 5"))
def priority_6(d: Path) -> None:
    set_cell(d, "commitments", 4, "priority", "6")


@defect(Problem("commitments.csv", 5, "priority", "2.5", "not a whole number"))
def priority_2_5(d: Path) -> None:
    set_cell(d, "commitments", 5, "priority", "2.5")


@defect(Problem("partners.csv", 5, "partner_id", "Fr", NOT_ISO))
def partner_id_not_iso(d: Path) -> None:
    append_line(d, "partners", "Fr,France,other")


@defect(Problem("sources.csv", 5, "country", "usa", NOT_ISO))
def country_not_iso(d: Path) -> None:
    set_cell(d, "sources", 5, "country", "usa")


# Duplicate keys -------------------------------------------------------------------------


@defect(dup("items", 4, "item_id", "155MM", "item_id", 2))
def duplicate_item(d: Path) -> None:
    append_line(d, "items", "155MM,Another 155mm,artillery,9000")


@defect(dup("partners", 5, "partner_id", "POL", "partner_id", 3))
def duplicate_partner(d: Path) -> None:
    append_line(d, "partners", "POL,Poland again,frontline")


@defect(dup("sources", 6, "source_id", "EU_STOCK", "source_id", 5))
def duplicate_source(d: Path) -> None:
    append_line(d, "sources", "EU_STOCK,Another EU stock,allied_stock,FRA,")


@defect(dup("commitments", 6, "commitment_id", "TWN-1", "commitment_id", 5))
def duplicate_commitment(d: Path) -> None:
    append_line(d, "commitments", "TWN-1,TWN,GMLRS,50,2027-01,3,2025-01-01,")


@defect(
    dup(
        "capacity",
        5,
        "source_id+item_id+month",
        "US_PLANT, 155MM, 2026-01",
        "source_id, item_id, month",
        3,
    )
)
def duplicate_capacity(d: Path) -> None:
    append_line(d, "capacity", "US_PLANT,155MM,2026-01,45000")


@defect(
    dup(
        "stockpiles",
        6,
        "holder_id+item_id+as_of",
        "US_DEPOT, GMLRS, 2025-12-31",
        "holder_id, item_id, as_of",
        3,
    )
)
def duplicate_stockpile(d: Path) -> None:
    append_line(d, "stockpiles", "US_DEPOT,GMLRS,2025-12-31,21000,15000,,")


@defect(
    dup(
        "consumption",
        9,
        "holder_id+item_id+month",
        "UKR, 155MM, 2025-09",
        "holder_id, item_id, month",
        4,
    )
)
def duplicate_consumption(d: Path) -> None:
    append_line(d, "consumption", "UKR,155MM,2025-09,1000")


@defect(
    dup(
        "eligibility",
        5,
        "source_id+partner_id+item_id",
        "*, TWN, *",
        "source_id, partner_id, item_id",
        3,
    )
)
def duplicate_eligibility(d: Path) -> None:
    append_line(d, "eligibility", "*,TWN,*,true,5,another rule")


@defect(dup("absorption", 3, "partner_id+category", "UKR, artillery", "partner_id, category", 2))
def duplicate_absorption(d: Path) -> None:
    append_line(d, "absorption", "UKR,artillery,1000")


@defect(dup("expansion_options", 4, "option_id", "OPT-GMLRS-LINE", "option_id", 3))
def duplicate_option(d: Path) -> None:
    append_line(d, "expansion_options", "OPT-GMLRS-LINE,LM_CAMDEN,GMLRS,100,6,1000")


# Dangling references -------------------------------------------------------------------


@defect(Problem("capacity.csv", 4, "item_id", "SM6", UNKNOWN_ITEM))
def unknown_item(d: Path) -> None:
    set_cell(d, "capacity", 4, "item_id", "SM6")


@defect(Problem("capacity.csv", 2, "item_id", "*", UNKNOWN_ITEM))
def wildcard_outside_eligibility(d: Path) -> None:
    set_cell(d, "capacity", 2, "item_id", "*")


@defect(Problem("commitments.csv", 5, "partner_id", "GBR", UNKNOWN_PARTNER))
def unknown_partner(d: Path) -> None:
    set_cell(d, "commitments", 5, "partner_id", "GBR")


@defect(Problem("eligibility.csv", 4, "partner_id", "FRA", UNKNOWN_PARTNER))
def unknown_partner_in_rule(d: Path) -> None:
    set_cell(d, "eligibility", 4, "partner_id", "FRA")


@defect(Problem("deliveries.csv", 3, "source_id", "RTX", "an unknown source (not in sources)"))
def unknown_source(d: Path) -> None:
    set_cell(d, "deliveries", 3, "source_id", "RTX")


@defect(
    Problem(
        "deliveries.csv",
        2,
        "commitment_id",
        "UKR-9",
        "an unknown commitment (not in commitments)",
    )
)
def unknown_commitment(d: Path) -> None:
    set_cell(d, "deliveries", 2, "commitment_id", "UKR-9")


@defect(
    Problem("consumption.csv", 8, "holder_id", "US_PLANT", "neither a stock source nor a partner")
)
def holder_is_production_source(d: Path) -> None:
    set_cell(d, "consumption", 8, "holder_id", "US_PLANT")


@defect(
    Problem(
        "sources.csv",
        4,
        "stock_holder",
        "US_PLANT",
        "not a stock source (a source of kind us_stock or allied_stock)",
    )
)
def stock_holder_not_stock_source(d: Path) -> None:
    set_cell(d, "sources", 4, "stock_holder", "US_PLANT")


@defect(Problem("stockpiles.csv", 5, "releasable_to", "GBR", f"names {UNKNOWN_PARTNER}"))
def releasable_to_unknown_partner(d: Path) -> None:
    set_cell(d, "stockpiles", 5, "releasable_to", "UKR;GBR")


@defect(Problem("commitments.csv", 3, "releasable_to", "ALL", f"names {UNKNOWN_PARTNER}"))
def releasable_all_mixed_with_ids(d: Path) -> None:
    set_cell(d, "commitments", 3, "releasable_to", "UKR;ALL")


@defect(
    Problem(
        "commitments.csv",
        4,
        "releasable_to",
        "POL;;UKR",
        "has an empty entry in the ;-separated list",
    )
)
def releasable_to_empty_entry(d: Path) -> None:
    set_cell(d, "commitments", 4, "releasable_to", "POL;;UKR")


# Cross-file rules ----------------------------------------------------------------------


@defect(
    Problem(
        "deliveries.csv",
        4,
        "units",
        "50000",
        "deliveries for UKR-1 reach 80,000 units here, more than its quantity 75,000 "
        "(commitments line 2)",
    )
)
def deliveries_exceed_quantity(d: Path) -> None:
    append_line(d, "deliveries", "UKR-1,US_DEPOT,2025-12,50000")


STOCK_CAPACITY = (
    "a stock source has no production capacity; only production sources may appear here"
)


@defect(Problem("capacity.csv", 5, "source_id", "US_DEPOT", STOCK_CAPACITY))
def capacity_for_stock_source(d: Path) -> None:
    append_line(d, "capacity", "US_DEPOT,155MM,2025-06,100")


@defect(Problem("expansion_options.csv", 4, "source_id", "EU_STOCK", STOCK_CAPACITY))
def expansion_for_stock_source(d: Path) -> None:
    append_line(d, "expansion_options", "OPT-EU,EU_STOCK,155MM,100,6,1000")


# Bills of materials ------------------------------------------------------------------------

NOT_PROMISED = (
    "is a component (category component): components go into other items and are never "
    "promised to a partner"
)


def _components(d: Path, *rows: str) -> None:
    """FUZE and BODY as components, and ``rows`` as bom.csv."""
    append_line(d, "items", "FUZE,Fuze,component,100")
    append_line(d, "items", "BODY,Shell body,component,900")
    for row in rows:
        append_line(d, "bom", row)


@defect(
    Problem(
        "bom.csv",
        3,
        "component_id",
        "BODY",
        "a cycle in the bills of materials: FUZE needs BODY needs FUZE",
    ),
    Problem(
        "bom.csv",
        4,
        "component_id",
        "FUZE",
        "a cycle in the bills of materials: BODY needs FUZE needs BODY",
    ),
)
def bom_cycle(d: Path) -> None:
    _components(d, "155MM,FUZE,1,0,", "FUZE,BODY,1,0,", "BODY,FUZE,1,0,")


@defect(Problem("bom.csv", 2, "component_id", "NOPE", UNKNOWN_ITEM))
def bom_unknown_component(d: Path) -> None:
    _components(d, "155MM,NOPE,1,0,")


@defect(
    Problem(
        "bom.csv",
        2,
        "component_id",
        "GMLRS",
        "is not a component (its category is rocket); give it the category component in items",
    )
)
def bom_component_not_a_component(d: Path) -> None:
    _components(d, "155MM,GMLRS,1,0,")


@defect(Problem("commitments.csv", 6, "item_id", "FUZE", NOT_PROMISED))
def promise_of_a_component(d: Path) -> None:
    _components(d)
    append_line(d, "commitments", "UKR-9,UKR,FUZE,10,2026-03,1,2025-08-08,")


@defect(
    Problem(
        "bom.csv",
        2,
        "units_per_item",
        "0",
        "must be more than 0 (drop the row if the item does not use the component)",
    )
)
def bom_zero_units_per_item(d: Path) -> None:
    _components(d, "155MM,FUZE,0,0,")


@defect(
    dup(
        "bom",
        3,
        "item_id+component_id+source_id",
        "155MM, FUZE, ",
        "item_id, component_id, source_id",
        2,
    )
)
def bom_duplicate_row(d: Path) -> None:
    _components(d, "155MM,FUZE,1,0,", "155MM,FUZE,2,1,")


@defect(
    Problem(
        "bom.csv",
        2,
        "source_id",
        "LM_CAMDEN",
        "makes no 155MM (no capacity or expansion option for it)",
    )
)
def bom_line_that_does_not_make_the_item(d: Path) -> None:
    _components(d, "155MM,FUZE,1,0,LM_CAMDEN")


# Uncertainty rules ---------------------------------------------------------------------------

MONTHS_DRAWN = "the sample must be a whole number of months"
NOT_A_LINE = "applies to production lines: give a production source or *"


def _uncertainty(d: Path, *rows: str) -> None:
    """A valid rule on line 2, then ``rows`` as uncertainty.csv from line 3."""
    for row in ("US_PLANT,155MM,ramp_delay_months,uniform_int,0,,6", *rows):
        append_line(d, "uncertainty", row)


def _rule(line: int, column: str, value: str | None, reason: str) -> Problem:
    return Problem("uncertainty.csv", line, column, value, reason)


@defect(
    _rule(3, "target", "NOPE", "an unknown source or holder (not in sources or partners)"),
)
def uncertainty_unknown_target(d: Path) -> None:
    _uncertainty(d, "NOPE,*,lead_time_extra_months,fixed,1,,")


@defect(_rule(3, "target", "UKR", f"is a partner; capacity_factor {NOT_A_LINE}"))
def uncertainty_line_kind_at_a_partner(d: Path) -> None:
    _uncertainty(d, "UKR,*,capacity_factor,uniform,0.5,,1")


@defect(_rule(3, "target", "US_DEPOT", f"is a us_stock source; outage_probability {NOT_A_LINE}"))
def uncertainty_line_kind_at_a_stock_source(d: Path) -> None:
    _uncertainty(d, "US_DEPOT,*,outage_probability,fixed,0.1,,")


@defect(
    _rule(
        3,
        "target",
        "LM_CAMDEN",
        "is a us_production source; demand_factor applies to holders of stock: give a stock "
        "source, a partner or *",
    )
)
def uncertainty_demand_factor_at_a_line(d: Path) -> None:
    _uncertainty(d, "LM_CAMDEN,GMLRS,demand_factor,fixed,1.2,,")


@defect(_rule(3, "item_id", "SM6", UNKNOWN_ITEM))
def uncertainty_unknown_item(d: Path) -> None:
    _uncertainty(d, "*,SM6,capacity_factor,fixed,0.9,,")


@defect(
    _rule(
        3,
        "kind",
        "strike_probability",
        "not one of ramp_delay_months, capacity_factor, outage_probability, "
        "lead_time_extra_months, demand_factor",
    )
)
def uncertainty_kind_not_allowed(d: Path) -> None:
    _uncertainty(d, "*,*,strike_probability,fixed,0.1,,")


@defect(
    _rule(3, "distribution", "normal", "not one of uniform_int, uniform, triangular, fixed"),
)
def uncertainty_distribution_not_allowed(d: Path) -> None:
    _uncertainty(d, "*,*,demand_factor,normal,0.8,,1.2")


@defect(_rule(3, "high", None, "required for uniform (the highest value)"))
def uncertainty_high_missing(d: Path) -> None:
    _uncertainty(d, "*,*,demand_factor,uniform,0.8,,")


@defect(_rule(3, "high", "2", "fixed takes its value from low: leave high empty"))
def uncertainty_high_given_for_fixed(d: Path) -> None:
    _uncertainty(d, "*,*,lead_time_extra_months,fixed,1,,2")


@defect(_rule(3, "mode", None, "required for triangular (the most likely value)"))
def uncertainty_mode_missing_for_triangular(d: Path) -> None:
    _uncertainty(d, "*,*,capacity_factor,triangular,0.5,,1")


@defect(_rule(3, "mode", "0.9", "only triangular has a mode: leave it empty for uniform"))
def uncertainty_mode_given_for_uniform(d: Path) -> None:
    _uncertainty(d, "*,*,capacity_factor,uniform,0.5,0.9,1")


@defect(_rule(3, "mode", "1.1", "is above high (1)"))
def uncertainty_mode_above_high(d: Path) -> None:
    _uncertainty(d, "*,*,capacity_factor,triangular,0.5,1.1,1")


@defect(_rule(3, "mode", "0.4", "is below low (0.5)"))
def uncertainty_mode_below_low(d: Path) -> None:
    _uncertainty(d, "*,*,capacity_factor,triangular,0.5,0.4,1")


@defect(_rule(3, "high", "3", "is below low (5)"))
def uncertainty_high_below_low(d: Path) -> None:
    _uncertainty(d, "*,GMLRS,ramp_delay_months,uniform_int,5,,3")


@defect(_rule(3, "high", "2.5", "must be a whole number of months for lead_time_extra_months"))
def uncertainty_months_not_whole(d: Path) -> None:
    _uncertainty(d, "UKR,*,lead_time_extra_months,uniform_int,1,,2.5")


@defect(
    _rule(
        3,
        "distribution",
        "triangular",
        f"not allowed for ramp_delay_months ({MONTHS_DRAWN}): use uniform_int or fixed",
    )
)
def uncertainty_months_drawn_triangular(d: Path) -> None:
    _uncertainty(d, "LM_CAMDEN,*,ramp_delay_months,triangular,1,2,4")


@defect(_rule(3, "low", "300", "must be from 0 to 240 for ramp_delay_months"))
def uncertainty_months_beyond_any_horizon(d: Path) -> None:
    _uncertainty(d, "LM_CAMDEN,*,ramp_delay_months,fixed,300,,")


@defect(_rule(3, "low", "-1", "negative; must be >= 0"))
def uncertainty_negative_value(d: Path) -> None:
    _uncertainty(d, "EU_STOCK,*,lead_time_extra_months,fixed,-1,,")


@defect(_rule(3, "high", "1.5", "must be from 0 to 1 for outage_probability"))
def uncertainty_probability_above_one(d: Path) -> None:
    _uncertainty(d, "*,*,outage_probability,uniform,0.1,,1.5")


@defect(
    _rule(
        3,
        "distribution",
        "uniform_int",
        "not allowed for outage_probability (a probability is not drawn as a whole number): "
        "use fixed, uniform or triangular",
    )
)
def uncertainty_probability_drawn_uniform_int(d: Path) -> None:
    _uncertainty(d, "*,*,outage_probability,uniform_int,0,,1")


@defect(
    _rule(
        3,
        "distribution",
        "uniform_int",
        "not allowed for demand_factor (a factor is not drawn as a whole number): "
        "use fixed, uniform or triangular",
    )
)
def uncertainty_factor_drawn_uniform_int(d: Path) -> None:
    _uncertainty(d, "POL,*,demand_factor,uniform_int,1,,3")


@defect(_rule(3, "high", "5000", "must be from 0 to 1000"))
def uncertainty_factor_beyond_any_multiplier(d: Path) -> None:
    _uncertainty(d, "*,*,capacity_factor,uniform,1,,5000")


@defect(
    dup(
        "uncertainty",
        3,
        "target+item_id+kind",
        "US_PLANT, 155MM, ramp_delay_months",
        "target, item_id, kind",
        2,
    )
)
def uncertainty_duplicate_rule(d: Path) -> None:
    _uncertainty(d, "US_PLANT,155MM,ramp_delay_months,fixed,2,,")


# Hardening: bounds, ids that spoof, line endings -------------------------------------------

ID = (
    "not a valid id: use letters, digits and _ - . / : # ( ) & + ' or a space inside, "
    "starting with a letter, a digit or _ (no control, bidi or emoji characters)"
)


@defect(Problem("stockpiles.csv", 2, "units", "1e300", "must be from 0 to 1e+12"))
def stock_too_large_for_the_solver(d: Path) -> None:
    set_cell(d, "stockpiles", 2, "units", "1e300")


@defect(Problem("items.csv", 2, "unit_cost_usd", "1e308", "must be from 0 to 1e+13"))
def unit_cost_beyond_any_budget(d: Path) -> None:
    set_cell(d, "items", 2, "unit_cost_usd", "1e308")


@defect(Problem("eligibility.csv", 3, "lead_time_months", "100000", "must be from 0 to 240"))
def lead_time_beyond_any_horizon(d: Path) -> None:
    set_cell(d, "eligibility", 3, "lead_time_months", "100000")


@defect(Problem("sources.csv", 6, "source_id", "US_\u202eTNALP", ID))
def id_with_a_bidi_override(d: Path) -> None:
    append_line(d, "sources", "US_\u202eTNALP,Spoofed plant,us_production,USA,")


@defect(Problem("items.csv", 2, "category", "artillery\U0001f4a5", ID))
def id_with_an_emoji(d: Path) -> None:
    set_cell(d, "items", 2, "category", "artillery\U0001f4a5")


@defect(Problem("commitments.csv", 6, "commitment_id", "UKR\n9", ID))
def id_with_a_newline(d: Path) -> None:
    append_line(d, "commitments", '"UKR\n9",UKR,155MM,10,2026-03,1,2025-08-08,')


@defect(Problem("items.csv", 4, "item_id", '=HYPERLINK("http://x";"go")', ID))
def id_that_a_spreadsheet_runs_as_a_formula(d: Path) -> None:
    append_line(d, "items", '"=HYPERLINK(""http://x"";""go"")",Bait,artillery,1')


@defect(
    Problem(
        "partners.csv",
        1,
        None,
        None,
        "a line ends in a lone carriage return (CR): save the file with LF or CRLF line endings",
    )
)
def cr_only_line_endings(d: Path) -> None:
    path = d / "partners.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))


# The tests --------------------------------------------------------------------------------


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({p.id for p in CASES}) == len(CASES)


def _reject(path: Path) -> list[Problem]:
    with pytest.raises(InputRejected) as caught:
        validate_path(path)
    return caught.value.problems


@pytest.mark.parametrize(("mutate", "expected"), CASES)
def test_defect_is_reported_and_nothing_changes(
    mutate: Mutation,
    expected: list[Problem],
    tiny: Path,
    loaded_db: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mutate(tiny)
    assert _reject(tiny) == expected

    before = snapshot(loaded_db)
    capsys.readouterr()
    assert cli("load", str(tiny), "--db", str(loaded_db)) == 2
    err = capsys.readouterr().err
    assert "input rejected; nothing was changed" in err
    for problem in expected:
        assert f"  {problem}\n" in err + "\n"
    assert snapshot(loaded_db) == before

    assert cli("validate", str(tiny)) == 2


# Defects that do not touch the same cells, rows or files: together they must give exactly the
# union of their problems, in one message.
TOGETHER = (
    "not_a_number",
    "month_13",
    "month_without_leading_zero",
    "date_february_30",
    "bool_not_true_false",
    "negative_quantity",
    "empty_required_quantity",
    "nan_quantity",
    "tier_not_allowed",
    "priority_6",
    "duplicate_option",
    "unknown_source",
    "holder_is_production_source",
    "stock_holder_not_stock_source",
    "deliveries_exceed_quantity",
    "unknown_file_name",
    "column_twice",
)


def test_every_problem_is_reported_in_one_message(
    tiny: Path, loaded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_id = {p.id: p.values for p in CASES}
    expected: list[Problem] = []
    for name in TOGETHER:
        mutate, problems = by_id[name]
        mutate(tiny)
        expected.extend(problems)
    got = _reject(tiny)
    assert len(got) == len(TOGETHER)
    assert sorted(got) == sorted(expected)

    before = snapshot(loaded_db)
    capsys.readouterr()
    assert cli("load", str(tiny), "--db", str(loaded_db)) == 2
    err = capsys.readouterr().err
    assert f"{len(TOGETHER)} problem(s) found:" in err
    for problem in expected:
        assert f"  {problem}\n" in err + "\n"
    assert snapshot(loaded_db) == before


def test_several_defects_in_one_file_with_exact_lines(tiny: Path) -> None:
    set_cell(tiny, "commitments", 2, "priority", "0")
    set_cell(tiny, "commitments", 3, "quantity", "-1")
    set_cell(tiny, "commitments", 4, "announced", "2025-02-30")
    set_cell(tiny, "commitments", 5, "partner_id", "GBR")
    set_cell(tiny, "consumption", 2, "units", "nan")
    assert _reject(tiny) == [
        Problem("commitments.csv", 2, "priority", "0", "must be from 1 to 5"),
        Problem("commitments.csv", 3, "quantity", "-1", "negative; must be >= 0"),
        Problem("commitments.csv", 4, "announced", "2025-02-30", DATE),
        Problem("commitments.csv", 5, "partner_id", "GBR", UNKNOWN_PARTNER),
        Problem("consumption.csv", 2, "units", "nan", "not a finite number"),
    ]


def test_unreadable_file_does_not_make_references_dangle(tiny: Path) -> None:
    """items.csv cannot be parsed: that is the one problem, not every row that names an item."""
    append_line(tiny, "items", "BROKEN,row")
    assert _reject(tiny) == [
        Problem("items.csv", 4, None, None, "the row has 2 fields, the header has 4")
    ]


def test_bad_cells_in_workbook(
    tiny: Path, tmp_path: Path, loaded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(tiny, "consumption", 3, "units", "-7")
    set_cell(tiny, "commitments", 4, "priority", "9")
    set_cell(tiny, "items", 3, "unit_cost_usd", "lots")
    set_cell(tiny, "capacity", 2, "month", "2025-13")
    book = write_workbook(tiny, tmp_path / "tiny.xlsx")
    assert _reject(book) == [
        Problem("tiny.xlsx[capacity]", 2, "month", "2025-13", MONTH),
        Problem("tiny.xlsx[commitments]", 4, "priority", "9", "must be from 1 to 5"),
        Problem("tiny.xlsx[consumption]", 3, "units", "-7", "negative; must be >= 0"),
        Problem("tiny.xlsx[items]", 3, "unit_cost_usd", "lots", "not a number"),
    ]
    before = snapshot(loaded_db)
    capsys.readouterr()
    assert cli("load", str(book), "--db", str(loaded_db)) == 2
    err = capsys.readouterr().err
    assert "tiny.xlsx[consumption], line 3, column units: value '-7': negative; must be >= 0" in err
    assert snapshot(loaded_db) == before


def test_workbook_missing_sheet_and_unknown_sheet(tiny: Path, tmp_path: Path) -> None:
    (tiny / "partners.csv").rename(tiny / "allies.csv")
    book = write_workbook(tiny, tmp_path / "tiny.xlsx")
    assert _reject(book) == [
        Problem(
            "tiny.xlsx[allies]", None, None, None, "not a sheet of the import format (unknown name)"
        ),
        Problem("tiny.xlsx[partners]", None, None, None, "required sheet is missing"),
    ]


def test_path_that_is_neither_folder_nor_workbook(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello", encoding="utf-8")
    assert _reject(path) == [
        Problem(str(path), None, None, None, "not a folder of CSV files or an .xlsx workbook")
    ]
    assert _reject(tmp_path / "absent") == [
        Problem(str(tmp_path / "absent"), None, None, None, "no such file or folder")
    ]


def test_minus_zero_is_stored_as_zero(tiny: Path) -> None:
    set_cell(tiny, "consumption", 2, "units", "-0")
    set_cell(tiny, "consumption", 3, "units", "-0.0")
    units = validate_path(tiny).dataset.consumption.get_column("units").head(2).to_list()
    assert units == [0.0, 0.0]
    assert all(math.copysign(1.0, u) == 1.0 for u in units)


def test_uncertainty_rules_of_every_kind_load_as_written(tiny: Path, loaded_db: Path) -> None:
    """Control case: every kind with each distribution it allows, at each kind of target."""
    rows = [
        "US_PLANT,155MM,ramp_delay_months,uniform_int,0,,6",
        "*,*,capacity_factor,triangular,0.6,0.9,1",
        "LM_CAMDEN,*,outage_probability,fixed,0.05,,",
        "*,GMLRS,outage_probability,uniform,0,,0.1",
        "US_DEPOT,*,lead_time_extra_months,fixed,2,,",
        "TWN,*,lead_time_extra_months,uniform_int,1,,3",
        "UKR,155MM,demand_factor,uniform,0.8,,1.5",
        "EU_STOCK,*,demand_factor,fixed,0,,",
    ]
    for row in rows:
        append_line(tiny, "uncertainty", row)
    written = [
        tuple(None if c == "" else float(c) if i >= 4 else c for i, c in enumerate(r.split(",")))
        for r in rows
    ]
    assert validate_path(tiny).dataset.uncertainty.rows() == written
    assert cli("load", str(tiny), "--db", str(loaded_db)) == 0
    con = connect(loaded_db, read_only=True)
    try:
        loaded = read_dataset(con).uncertainty.rows()
    finally:
        con.close()
    assert loaded == sorted(written, key=lambda r: r[:3])  # kept in key order


def test_a_formula_cell_in_a_workbook_is_refused_where_it_stands(
    tiny: Path, tmp_path: Path
) -> None:
    """A tool-written formula has no cached value: it would load as 0 without a word."""
    book = write_workbook(
        tiny, tmp_path / "tiny.xlsx", formulas={("capacity", 3, "units"): "14400*1"}
    )
    assert _reject(book) == [
        Problem(
            "tiny.xlsx[capacity]",
            3,
            "units",
            "=14400*1",
            "a formula cell: enter the value itself (a formula loads as its cached result, "
            "which may be stale or missing)",
        )
    ]


@pytest.mark.parametrize(
    "variant",
    ["bom", "crlf", "blank_lines", "padded_cells", "quoted_cells", "no_optional_files"],
)
def test_accepted_variants_load_the_same_rows(variant: str, tiny: Path, loaded_db: Path) -> None:
    """Control cases: what the format allows must not be refused, and must not change the data."""
    for path in sorted(tiny.glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        if variant == "bom":
            path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        elif variant == "crlf":
            path.write_bytes(text.replace("\n", "\r\n").encode())
        elif variant == "blank_lines":
            lines = text.splitlines()
            path.write_text("\n".join(lines[:2] + [""] + lines[2:] + ["", ""]) + "\n")
        elif variant == "padded_cells":
            path.write_text("\n".join(" , ".join(line.split(",")) for line in text.splitlines()))
        elif variant == "quoted_cells":
            rows = read_rows(tiny, path.stem)
            with open(path, "w", newline="", encoding="utf-8") as f:
                csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    if variant == "no_optional_files":
        for name in OPTIONAL_FILES:
            (tiny / f"{name}.csv").unlink()
    validated = validate_path(tiny)
    clean = validate_path(TINY)
    for name, frame in validated.dataset.tables().items():
        if variant == "no_optional_files" and name in OPTIONAL_FILES:
            assert frame.height == 0
            assert frame.schema == clean.dataset.tables()[name].schema
        else:
            assert frame.equals(clean.dataset.tables()[name]), name
    if variant != "no_optional_files":
        assert validated.content_hash == clean.content_hash
