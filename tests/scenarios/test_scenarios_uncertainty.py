"""The override [[uncertainty]]: a rule with the data's (target, item_id, kind) replaces it,
any other is added; a rule uncertainty.csv could not hold is refused, when the file is read
(its distribution and parameters), when it is applied (its target and item), when it is saved
from the what-if and when it is run, with the same reasons the import gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from arsenal.cli import main
from pipeline.scenarios import apply_chain, read_scenario
from pipeline.whatif import save_scenario
from store.dataset import Dataset
from store.errors import InputRejected, Problem
from store.uncertainty import resolve_uncertainty

HEAD = 'name = "s"\ndescription = "d"\n'
TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"
SCHEMA = {
    "target": pl.String,
    "item_id": pl.String,
    "kind": pl.String,
    "distribution": pl.String,
    "low": pl.Float64,
    "mode": pl.Float64,
    "high": pl.Float64,
}
DATA_RULES = [
    ("*", "*", "capacity_factor", "triangular", 0.6, 0.9, 1.0),
    ("US_PLANT", "155MM", "ramp_delay_months", "uniform_int", 0.0, None, 6.0),
    ("UKR", "*", "demand_factor", "fixed", 1.1, None, None),
]


def toml(target: str, item_id: str, kind: str, distribution: str, *values: float, **named) -> str:
    """One [[uncertainty]] table: ``values`` are low, mode, high in that order (``named`` for
    any of them given alone)."""
    fields = {"target": target, "item_id": item_id, "kind": kind, "distribution": distribution}
    fields |= dict(zip(("low", "mode", "high"), values, strict=False)) | named
    body = "".join(
        f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n" for k, v in fields.items()
    )
    return "[[uncertainty]]\n" + body


@pytest.fixture(scope="module")
def with_rules(tiny: Dataset) -> Dataset:
    return tiny.with_tables(uncertainty=pl.DataFrame(DATA_RULES, schema=SCHEMA, orient="row"))


def apply_text(dataset: Dataset, write_toml, text: str) -> Dataset:
    return apply_chain(dataset, [read_scenario(write_toml(HEAD + text))]).dataset


def test_a_rule_with_the_data_key_replaces_it_and_another_is_added(with_rules, write_toml):
    before = {k: v.clone() for k, v in with_rules.tables().items()}
    after = apply_text(
        with_rules,
        write_toml,
        toml("US_PLANT", "155MM", "ramp_delay_months", "fixed", 3)
        + toml("US_DEPOT", "*", "lead_time_extra_months", "uniform_int", 1, high=2),
    )
    changed = {k for k, v in after.tables().items() if not v.equals(with_rules.tables()[k])}
    assert changed == {"uncertainty"}
    # key order, as a loaded data set keeps its rules
    assert after.uncertainty.rows() == [
        ("*", "*", "capacity_factor", "triangular", 0.6, 0.9, 1.0),
        ("UKR", "*", "demand_factor", "fixed", 1.1, None, None),
        ("US_DEPOT", "*", "lead_time_extra_months", "uniform_int", 1.0, None, 2.0),
        ("US_PLANT", "155MM", "ramp_delay_months", "fixed", 3.0, None, None),
    ]
    assert after.uncertainty.schema == with_rules.uncertainty.schema
    for name, frame in with_rules.tables().items():
        assert frame.equals(before[name]), name  # the data it was applied to is unchanged

    routes = pl.DataFrame(
        {"source_id": ["US_DEPOT", "EU_STOCK"], "partner_id": ["UKR", "UKR"], "item_id": "155MM"}
    )
    got = resolve_uncertainty(after.uncertainty, "lead_time_extra_months", routes)
    assert got.select("distribution", "low", "high").rows() == [
        ("uniform_int", 1.0, 2.0),
        (None, None, None),
    ]


def test_the_same_key_twice_in_a_scenario_keeps_the_last(with_rules, write_toml):
    rule = ("UKR", "*", "demand_factor")
    after = apply_text(
        with_rules,
        write_toml,
        toml(*rule, "fixed", 1.5) + toml(*rule, "uniform", 0.9, high=1.3),
    )
    mine = after.uncertainty.filter(pl.col("target") == "UKR")
    assert mine.rows() == [("UKR", "*", "demand_factor", "uniform", 0.9, None, 1.3)]


def test_distribution_and_parameters_are_refused_when_the_file_is_read(write_toml):
    path = write_toml(
        HEAD
        + toml("*", "*", "ramp_delay_months", "triangular", 1, 2, 4)
        + toml("*", "*", "capacity_factor", "triangular", 1)
        + toml("*", "*", "outage_probability", "fixed", -0.5)
        + toml("*", "*", "fate", "fixed", 1)
    )
    with pytest.raises(InputRejected) as excinfo:
        read_scenario(path)
    file = str(path)
    assert excinfo.value.problems == sorted(
        [
            Problem(
                file,
                1,
                "uncertainty.distribution",
                "triangular",
                "not allowed for ramp_delay_months (the sample must be a whole number of "
                "months): use uniform_int or fixed",
            ),
            Problem(
                file, 2, "uncertainty.high", None, "required for triangular (the highest value)"
            ),
            Problem(
                file,
                2,
                "uncertainty.mode",
                None,
                "required for triangular (the most likely value)",
            ),
            Problem(
                file,
                3,
                "uncertainty.low",
                "-0.5",
                "must be from 0 to 1 for outage_probability",
            ),
            Problem(
                file,
                4,
                "uncertainty.kind",
                "fate",
                "must be one of ramp_delay_months, capacity_factor, outage_probability, "
                "lead_time_extra_months, demand_factor",
            ),
        ],
        key=lambda p: (p.file, p.line or 0, p.column or "", p.reason),
    )


@pytest.mark.parametrize(
    ("rule", "column", "reason"),
    [
        (
            ("NOPE", "*", "lead_time_extra_months"),
            "uncertainty.target",
            "an unknown source or holder (not in sources or partners)",
        ),
        (
            ("UKR", "*", "outage_probability"),
            "uncertainty.target",
            "is a partner; outage_probability applies to production lines: give a production "
            "source or *",
        ),
        (
            ("LM_CAMDEN", "*", "demand_factor"),
            "uncertainty.target",
            "is a us_production source; demand_factor applies to holders of stock: give a stock "
            "source, a partner or *",
        ),
        (
            ("*", "9MM", "capacity_factor"),
            "uncertainty.item_id",
            "unknown item",
        ),
    ],
)
def test_targets_and_items_are_refused_when_applied(with_rules, write_toml, rule, column, reason):
    scenario = read_scenario(write_toml(HEAD + toml(*rule, "fixed", 1)))
    with pytest.raises(InputRejected) as excinfo:
        apply_chain(with_rules, [scenario])
    [problem] = excinfo.value.problems
    assert (problem.line, problem.column, problem.reason) == (1, column, reason)


def test_a_new_line_of_the_same_scenario_can_be_a_target(tiny, write_toml):
    after = apply_text(
        tiny,
        write_toml,
        '[[new_line]]\nsource = "PL_LINE"\nkind = "co_production"\ncountry = "POL"\n'
        'item = "155MM"\nfrom = "2027-01"\nunits = 5000\n'
        + toml("PL_LINE", "155MM", "ramp_delay_months", "uniform_int", 0, high=9),
    )
    assert after.uncertainty.rows() == [
        ("PL_LINE", "155MM", "ramp_delay_months", "uniform_int", 0.0, None, 9.0)
    ]


BAD = {
    "name": "slip",
    "description": "a slip the contract refuses",
    "base": "baseline",
    "uncertainty": [
        {
            "target": "UKR",
            "item_id": "*",
            "kind": "ramp_delay_months",
            "distribution": "uniform_int",
            "low": 0,
            "high": 6,
        }
    ],
}


def test_refused_when_saved_and_when_run_and_nothing_is_written(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    assert main(["load", str(TINY), "--db", str(db)]) == 0
    folder = tmp_path / "scenarios"
    with pytest.raises(InputRejected) as excinfo:
        save_scenario(str(db), BAD, folder)
    [problem] = excinfo.value.problems
    assert (problem.column, problem.value) == ("uncertainty.target", "UKR")
    assert "applies to production lines" in problem.reason
    assert not folder.exists()

    folder.mkdir()
    (folder / "slip.toml").write_text(
        'name = "slip"\ndescription = "d"\n'
        + toml("US_PLANT", "*", "ramp_delay_months", "uniform", 0, high=6),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["run", "--db", str(db), "--scenario", "slip", "--scenarios", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "uncertainty.distribution" in err
    assert "use uniform_int or fixed" in err
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM runs").fetchall() == [(0,)]
    finally:
        con.close()
