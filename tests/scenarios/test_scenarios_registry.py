"""One registry of override kinds: a new kind is one entry plus its apply function, and the
reader, the applier and the what-if form all follow the registry."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.scenarios import KINDS, OverrideKind, apply_chain, read_scenario
from pipeline.scenarios.checks import ID_SETS
from pipeline.scenarios.fields import POSITIVE, TEXT, Field
from store.errors import InputRejected

HEAD = 'name = "s"\ndescription = "d"\n'


def _apply_item_cost(edit, o) -> None:
    items = edit.dataset.items
    cost = (
        pl.when(pl.col("item_id") == o["item"])
        .then(pl.col("unit_cost_usd") * o["multiply"])
        .otherwise(pl.col("unit_cost_usd"))
    )
    edit.dataset = edit.dataset.with_tables(items=items.with_columns(unit_cost_usd=cost))


@pytest.fixture
def item_cost(monkeypatch):
    kind = OverrideKind(
        "item_cost",
        "an item's unit cost multiplied",
        (
            Field("item", TEXT, True, "item id", "item"),
            Field("multiply", POSITIVE, True, "factor on the unit cost"),
        ),
        _apply_item_cost,
    )
    monkeypatch.setitem(KINDS, "item_cost", kind)
    return kind


def test_a_new_kind_is_one_entry_and_its_apply_function(tiny, write_toml, item_cost):
    path = write_toml(HEAD + '[[item_cost]]\nitem = "155MM"\nmultiply = 2\n')
    applied = apply_chain(tiny, [read_scenario(path)])
    before = tiny.items.filter(pl.col("item_id") == "155MM")["unit_cost_usd"][0]
    after = applied.dataset.items.filter(pl.col("item_id") == "155MM")["unit_cost_usd"][0]
    assert after == 2 * before

    bad = write_toml(HEAD + '[[item_cost]]\nitem = "155MM"\nmultiply = 0\ncolour = 1\n')
    with pytest.raises(InputRejected) as excinfo:
        read_scenario(bad)
    found = {(p.line, p.column) for p in excinfo.value.problems}
    assert found == {(1, "item_cost.multiply"), (1, "item_cost.colour")}

    unknown = write_toml(HEAD + '[[item_cost]]\nitem = "9MM"\nmultiply = 2\n')
    with pytest.raises(InputRejected) as excinfo:
        apply_chain(tiny, [read_scenario(unknown)])
    [problem] = excinfo.value.problems
    assert (problem.line, problem.column, problem.reason) == (1, "item_cost.item", "unknown item")


def test_every_declared_id_set_exists_and_the_form_edits_declared_fields():
    from dashboards.scenario_form import FORM, KIND_TITLES

    for kind in KINDS.values():
        for f in kind.fields:
            assert f.ids is None or f.ids in ID_SETS, (kind.name, f.name)
    assert list(FORM) == [k for k, kind in KINDS.items() if kind.form is not None]
    for name, (rows, fields) in FORM.items():
        kind = KINDS[name]
        assert rows == kind.form.rows
        assert KIND_TITLES[name] == kind.form.title
        assert {f.key for f in fields} <= set(kind.spec)
        for f in fields:
            assert f.ids == kind.spec[f.key].ids
