"""Scenario files are read as strictly as imports: every problem names file, override, field."""

from __future__ import annotations

import pytest

from pipeline.scenarios import apply_chain, read_scenario, read_scenarios, resolve_chain
from store.errors import InputRejected

HEAD = 'name = "s"\ndescription = "d"\n'


def problems(excinfo: pytest.ExceptionInfo[InputRejected]) -> set[tuple]:
    return {(p.line, p.column) for p in excinfo.value.problems}


def test_a_good_file_reads(write_toml):
    path = write_toml(
        HEAD
        + 'budget_usd = 1e9\n[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\n'
        + 'from = "2026-03"\nuntil = "2026-05"\nmultiply = 1.5\n'
    )
    s = read_scenario(path)
    assert (s.name, s.base, s.budget_usd) == ("s", "baseline", 1e9)
    assert s.overrides[0].kind == "capacity"
    assert s.overrides[0]["multiply"] == 1.5


def test_structural_problems_are_all_reported_with_file_override_and_field(write_toml):
    path = write_toml(
        HEAD
        + "colour = 'red'\n"
        + '[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2026-13"\nmultiply = 2\nset = 3\nspeed = 1\n'
        + '[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2026-05"\nuntil = "2026-01"\nadd = 5\n'
        + '[[demand]]\nholder = "UKR"\nitem = "155MM"\nfrom = "2026-01"\nmultiply = -1\n'
        + '[[commitment]]\naction = "add"\nid = "X"\npartner = "UKR"\n'
        + '[[commitment]]\naction = "cancel"\nid = "UKR-1"\nquantity = 5\n'
        + '[[commitment]]\naction = "delete"\nid = "UKR-1"\n'
        + '[[route]]\nsource = "EU_STOCK"\nlead_time_months = 1.5\n'
    )
    with pytest.raises(InputRejected) as excinfo:
        read_scenario(path)
    found = problems(excinfo)
    assert {
        (None, "colour"),
        (1, "capacity.from"),
        (1, "capacity.multiply/add/set"),
        (1, "capacity.speed"),
        (2, "capacity.until"),
        (1, "demand.multiply"),
        (1, "commitment.item"),
        (1, "commitment.quantity"),
        (1, "commitment.promised"),
        (1, "commitment.priority"),
        (2, "commitment.quantity"),
        (3, "commitment.action"),
        (1, "route.lead_time_months"),
    } <= found
    assert all(p.file == str(path) for p in excinfo.value.problems)


def test_missing_name_and_bad_toml(write_toml):
    with pytest.raises(InputRejected) as excinfo:
        read_scenario(write_toml('description = "d"\n'))
    assert (None, "name") in problems(excinfo)
    with pytest.raises(InputRejected, match="not valid TOML"):
        read_scenario(write_toml("name = \n"))


@pytest.mark.parametrize(
    ("override", "column"),
    [
        (
            '[[capacity]]\nsource = "NOPE"\nitem = "155MM"\nfrom = "2026-01"\nset = 1\n',
            "capacity.source",
        ),
        (
            '[[capacity]]\nsource = "US_DEPOT"\nitem = "155MM"\nfrom = "2026-01"\nset = 1\n',
            "capacity.source",
        ),
        (
            '[[capacity]]\nsource = "US_PLANT"\nitem = "9MM"\nfrom = "2026-01"\nset = 1\n',
            "capacity.item",
        ),
        ('[[outage]]\nsource = "US_PLANT"\nitem = "GMLRS"\nfrom = "2026-01"\n', "outage.item"),
        (
            '[[new_line]]\nsource = "US_PLANT"\nkind = "co_production"\ncountry = "POL"\nitem = "155MM"\nfrom = "2027-01"\nunits = 5\n',
            "new_line.source",
        ),
        (
            '[[new_line]]\nsource = "N"\nkind = "co_production"\ncountry = "POL"\nstock_holder = "US_PLANT"\nitem = "155MM"\nfrom = "2027-01"\nunits = 5\n',
            "new_line.stock_holder",
        ),
        (
            '[[demand]]\nholder = "XXX"\nitem = "155MM"\nfrom = "2026-01"\nmultiply = 2\n',
            "demand.holder",
        ),
        ('[[commitment]]\naction = "cancel"\nid = "NOPE-1"\n', "commitment.id"),
        (
            '[[commitment]]\naction = "add"\nid = "UKR-1"\npartner = "UKR"\nitem = "155MM"\nquantity = 5\npromised = "2026-05"\npriority = 1\n',
            "commitment.id",
        ),
        (
            '[[commitment]]\naction = "change"\nid = "UKR-1"\nquantity = 100\n',
            "commitment.quantity",
        ),
        (
            '[[commitment]]\naction = "change"\nid = "UKR-1"\nreleasable_to = "UKR;XYZ"\n',
            "commitment.releasable_to",
        ),
        ('[[partner_stop]]\npartner = "FRA"\nfrom = "2026-03"\n', "partner_stop.partner"),
        ('[[source_stop]]\nsource = "US_PLANT"\npartner = "FRA"\n', "source_stop.partner"),
        ('[[route]]\nsource = "US_PLANT"\npartner = "FRA"\nallowed = false\n', "route.partner"),
        (
            '[[route]]\nsource = "US_PLANT"\npartner = "UKR"\nallowed = true\n',
            "route.lead_time_months",
        ),
    ],
)
def test_unknown_ids_are_rejected_naming_the_override(tiny, write_toml, override, column):
    path = write_toml(HEAD + override)
    scenario = read_scenario(path)
    with pytest.raises(InputRejected) as excinfo:
        apply_chain(tiny, [scenario])
    assert (1, column) in problems(excinfo), excinfo.value


def test_base_chains_resolve_and_cycles_are_caught(tmp_path, tiny):
    (tmp_path / "a.toml").write_text('name = "a"\ndescription = "d"\nbase = "b"\n')
    (tmp_path / "b.toml").write_text('name = "b"\ndescription = "d"\nbase = "c"\n')
    (tmp_path / "c.toml").write_text('name = "c"\ndescription = "d"\nbase = "a"\n')
    (tmp_path / "d.toml").write_text('name = "d"\ndescription = "d"\nbase = "nowhere"\n')
    (tmp_path / "e.toml").write_text('name = "e"\ndescription = "d"\nbase = "f"\nbudget_usd = 5\n')
    (tmp_path / "f.toml").write_text(
        'name = "f"\ndescription = "d"\nbudget_usd = 7\ncost_usd = 2\n'
    )
    library = read_scenarios(tmp_path)
    with pytest.raises(InputRejected, match="cycle: a -> b -> c -> a"):
        resolve_chain("a", library)
    with pytest.raises(InputRejected, match="no scenario of that name"):
        resolve_chain("d", library)
    chain = resolve_chain("e", library)
    assert [s.name for s in chain] == ["f", "e"]
    applied = apply_chain(tiny, chain)
    assert (applied.chain, applied.budget_usd, applied.cost_usd) == (("f", "e"), 5, 2)


def test_duplicate_and_reserved_names(tmp_path):
    (tmp_path / "a.toml").write_text('name = "x"\ndescription = "d"\n')
    (tmp_path / "b.toml").write_text('name = "x"\ndescription = "d"\n')
    (tmp_path / "c.toml").write_text('name = "baseline"\ndescription = "d"\n')
    with pytest.raises(InputRejected) as excinfo:
        read_scenarios(tmp_path)
    reasons = " ".join(p.reason for p in excinfo.value.problems)
    assert "already used" in reasons
    assert "reserved" in reasons


def test_the_shipped_scenarios_apply_to_the_sample_data():
    from pathlib import Path

    from store.dataset import read_dataset
    from store.db import connect
    from store.load import load_dataset

    root = Path(__file__).resolve().parents[2]
    con = connect(":memory:")
    load_dataset(con, root / "data" / "sample")
    dataset = read_dataset(con)
    library = read_scenarios(root / "scenarios")
    assert len(library) >= 4
    for name in library:
        applied = apply_chain(dataset, resolve_chain(name, library))
        changed = [
            k for k, v in applied.dataset.tables().items() if not v.equals(dataset.tables()[k])
        ]
        assert changed or applied.demand or applied.blocks or applied.budget_usd, name
