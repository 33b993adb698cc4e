"""Each override kind changes exactly what it should and nothing else (checked against the
baseline tables), and scenarios applied at the same time never see each other's changes."""

from __future__ import annotations

import threading
from datetime import date

import polars as pl
import pytest

from pipeline.scenarios import DemandChange, apply_chain, apply_demand, read_scenario
from store.dataset import Dataset
from store.months import month_range

HEAD = 'name = "s"\ndescription = "d"\n'
MONTHS = month_range(date(2024, 1, 1), 48)


def monthly(capacity: pl.DataFrame, source: str, item: str) -> list[float]:
    """The step function written out month by month (a second reading of the rule)."""
    rows = sorted((m, u) for s, i, m, u in capacity.iter_rows() if s == source and i == item)
    out = []
    for month in MONTHS:
        rate = 0.0
        for m, u in rows:
            if m <= month:
                rate = u
        out.append(rate)
    return out


def apply_text(dataset: Dataset, write_toml, text: str):
    return apply_chain(dataset, [read_scenario(write_toml(HEAD + text))])


def changed_tables(before: Dataset, after: Dataset) -> set[str]:
    return {k for k, v in after.tables().items() if not v.equals(before.tables()[k])}


@pytest.mark.parametrize(
    ("op", "value", "expect"),
    [
        ("multiply", 1.5, lambda r: r * 1.5),
        ("add", -25000.0, lambda r: max(r - 25000, 0)),
        ("set", 7.0, lambda r: 7.0),
    ],
)
def test_capacity_changes_only_its_window(tiny, write_toml, op, value, expect):
    applied = apply_text(
        tiny,
        write_toml,
        f'[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2025-06"\nuntil = "2026-03"\n{op} = {value}\n',
    )
    assert changed_tables(tiny, applied.dataset) == {"capacity"}
    before = monthly(tiny.capacity, "US_PLANT", "155MM")
    after = monthly(applied.dataset.capacity, "US_PLANT", "155MM")
    for month, b, a in zip(MONTHS, before, after, strict=True):
        inside = date(2025, 6, 1) <= month <= date(2026, 3, 1)
        assert a == pytest.approx(expect(b) if inside else b), month
    assert monthly(applied.dataset.capacity, "LM_CAMDEN", "GMLRS") == monthly(
        tiny.capacity, "LM_CAMDEN", "GMLRS"
    )


def test_capacity_without_until_runs_to_the_end_and_adds_from_zero(tiny, write_toml):
    applied = apply_text(
        tiny,
        write_toml,
        '[[capacity]]\nsource = "LM_CAMDEN"\nitem = "155MM"\nfrom = "2026-02"\nadd = 100\n',
    )
    after = monthly(applied.dataset.capacity, "LM_CAMDEN", "155MM")
    assert after == [100.0 if m >= date(2026, 2, 1) else 0.0 for m in MONTHS]


def test_outage_takes_every_item_of_the_source_down_in_its_window(tiny, write_toml):
    applied = apply_text(
        tiny, write_toml, '[[outage]]\nsource = "US_PLANT"\nfrom = "2026-02"\nuntil = "2026-04"\n'
    )
    before = monthly(tiny.capacity, "US_PLANT", "155MM")
    after = monthly(applied.dataset.capacity, "US_PLANT", "155MM")
    down = {date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)}
    assert after == [0.0 if m in down else b for m, b in zip(MONTHS, before, strict=True)]
    assert changed_tables(tiny, applied.dataset) == {"capacity"}


def test_new_line_adds_one_source_and_its_capacity(tiny, write_toml):
    applied = apply_text(
        tiny,
        write_toml,
        '[[new_line]]\nsource = "PL_LINE"\nkind = "co_production"\ncountry = "POL"\n'
        'stock_holder = "US_DEPOT"\nitem = "155MM"\nfrom = "2026-06"\nunits = 5000\n'
        '[[capacity]]\nsource = "PL_LINE"\nitem = "155MM"\nfrom = "2026-09"\nset = 8000\n',
    )
    d = applied.dataset
    assert changed_tables(tiny, d) == {"sources", "capacity"}
    new = d.sources.join(tiny.sources, on="source_id", how="anti")
    assert new.rows() == [("PL_LINE", "PL_LINE", "co_production", "POL", "US_DEPOT")]
    expected = [
        8000.0 if m >= date(2026, 9, 1) else 5000.0 if m >= date(2026, 6, 1) else 0.0
        for m in MONTHS
    ]
    assert monthly(d.capacity, "PL_LINE", "155MM") == expected
    assert (
        d.capacity.filter(pl.col("source_id") != "PL_LINE")
        .sort(pl.all())
        .equals(tiny.capacity.sort(pl.all()))
    )


def test_commitments_add_cancel_change(tiny, write_toml):
    applied = apply_text(
        tiny,
        write_toml,
        '[[commitment]]\naction = "add"\nid = "NEW-1"\npartner = "POL"\nitem = "GMLRS"\n'
        'quantity = 300\npromised = "2026-09"\npriority = 2\nreleasable_to = "POL;UKR"\n'
        '[[commitment]]\naction = "cancel"\nid = "POL-1"\n'
        '[[commitment]]\naction = "change"\nid = "UKR-2"\nquantity = 30000\npromised = "2026-08"\npriority = 1\n',
    )
    d = applied.dataset
    assert changed_tables(tiny, d) == {"commitments", "deliveries"}
    by_id = {r["commitment_id"]: r for r in d.commitments.iter_rows(named=True)}
    old = {r["commitment_id"]: r for r in tiny.commitments.iter_rows(named=True)}
    assert set(by_id) == set(old) - {"POL-1"} | {"NEW-1"}
    assert by_id["NEW-1"] | {} == {
        "commitment_id": "NEW-1",
        "partner_id": "POL",
        "item_id": "GMLRS",
        "quantity": 300.0,
        "promised_month": date(2026, 9, 1),
        "priority": 2,
        "announced": date(2026, 9, 1),
        "releasable_to": "POL;UKR",
    }
    assert by_id["UKR-2"] == old["UKR-2"] | {
        "quantity": 30000.0,
        "promised_month": date(2026, 8, 1),
        "priority": 1,
    }
    for cid in set(old) - {"POL-1", "UKR-2"}:
        assert by_id[cid] == old[cid]
    assert d.deliveries.equals(tiny.deliveries.filter(pl.col("commitment_id") != "POL-1"))


def resolve(eligibility: pl.DataFrame, source: str, partner: str, item: str) -> tuple[bool, int]:
    """The design's rule, written independently: most specific wins, deny wins a tie."""
    best = None
    for s, p, i, allowed, lead, _ in eligibility.iter_rows():
        if s in (source, "*") and p in (partner, "*") and i in (item, "*"):
            key = ((s != "*") + (p != "*") + (i != "*"), not allowed)
            if best is None or key > best[0]:
                best = (key, (allowed, lead))
    return best[1] if best else (True, 0)


def outcomes(d: Dataset) -> dict[tuple[str, str, str], tuple[bool, int]]:
    return {
        (s, p, i): resolve(d.eligibility, s, p, i)
        for s in d.sources["source_id"]
        for p in d.partners["partner_id"]
        for i in d.items["item_id"]
    }


def test_partner_stop_at_the_start_denies_every_route_to_that_partner_only(tiny, write_toml):
    applied = apply_text(tiny, write_toml, '[[partner_stop]]\npartner = "TWN"\nfrom = "2026-01"\n')
    d, later = applied.for_start(date(2026, 1, 1))
    assert later == ()
    assert changed_tables(tiny, d) == {"eligibility"}
    before, after = outcomes(tiny), outcomes(d)
    for key, outcome in after.items():
        assert outcome == ((False, 0) if key[1] == "TWN" else before[key]), key


def test_source_stop_and_route_rules(tiny, write_toml):
    applied = apply_text(
        tiny,
        write_toml,
        '[[source_stop]]\nsource = "US_DEPOT"\npartner = "UKR"\nitem = "155MM"\n'
        '[[route]]\nsource = "*"\npartner = "TWN"\nlead_time_months = 2\n'
        '[[route]]\nsource = "EU_STOCK"\npartner = "TWN"\nitem = "GMLRS"\nallowed = true\nlead_time_months = 3\n',
    )
    d, _ = applied.for_start(date(2026, 1, 1))
    before, after = outcomes(tiny), outcomes(d)
    for key, outcome in after.items():
        if key == ("US_DEPOT", "UKR", "155MM"):
            assert outcome == (False, 0)
        elif key == ("EU_STOCK", "TWN", "GMLRS"):
            assert outcome == (True, 3)
        elif key[1] == "TWN" and key[0] != "EU_STOCK":
            assert outcome == (before[key][0], 2), key
        else:
            assert outcome == before[key], key


def test_blocks_that_start_later_are_left_to_the_plan(tiny, write_toml):
    applied = apply_text(tiny, write_toml, '[[partner_stop]]\npartner = "UKR"\nfrom = "2026-06"\n')
    d, later = applied.for_start(date(2026, 1, 1))
    assert d is applied.dataset
    assert len(later) == 1
    assert later[0].start == date(2026, 6, 1)


def test_demand_multiplies_only_its_holder_item_and_months():
    months = month_range(date(2026, 1, 1), 6)
    frame = pl.DataFrame(
        {
            "holder_id": ["UKR"] * 6 + ["US_DEPOT"] * 6,
            "item_id": ["155MM"] * 12,
            "month": months * 2,
            "mean": [10.0] * 12,
            "p10": [5.0] * 12,
            "p50": [9.0] * 12,
            "p90": [20.0] * 12,
        }
    )
    out = apply_demand(
        frame, [DemandChange("UKR", "155MM", date(2026, 2, 1), date(2026, 3, 1), 2.0)]
    )
    for before, after in zip(frame.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        hit = before["holder_id"] == "UKR" and date(2026, 2, 1) <= before["month"] <= date(
            2026, 3, 1
        )
        for col in ("mean", "p10", "p50", "p90"):
            assert after[col] == before[col] * (2.0 if hit else 1.0)


def test_the_baseline_frames_are_never_changed(tiny, write_toml):
    snapshot = {k: v.clone() for k, v in tiny.tables().items()}
    apply_text(
        tiny,
        write_toml,
        '[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2025-06"\nset = 1\n'
        '[[commitment]]\naction = "cancel"\nid = "POL-1"\n[[partner_stop]]\npartner = "TWN"\nfrom = "2026-01"\n',
    ).for_start(date(2026, 1, 1))
    for k, v in tiny.tables().items():
        assert v.equals(snapshot[k]), k


def test_two_scenarios_in_two_threads_never_see_each_other(tiny, tmp_path):
    texts = {
        "a": HEAD.replace('"s"', '"a"')
        + '[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2025-01"\nset = 1\n'
        '[[commitment]]\naction = "cancel"\nid = "UKR-1"\n',
        "b": HEAD.replace('"s"', '"b"')
        + '[[capacity]]\nsource = "US_PLANT"\nitem = "155MM"\nfrom = "2025-01"\nset = 2\n'
        '[[commitment]]\naction = "change"\nid = "UKR-1"\npriority = 5\n',
    }
    scenarios = {}
    for name, text in texts.items():
        (tmp_path / f"{name}.toml").write_text(text)
        scenarios[name] = read_scenario(tmp_path / f"{name}.toml")
    alone = {name: apply_chain(tiny, [s]).dataset for name, s in scenarios.items()}
    results: dict[str, list] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait()
        for _ in range(30):
            results[name].append(apply_chain(tiny, [scenarios[name]]).dataset)

    threads = [threading.Thread(target=work, args=(n,)) for n in scenarios]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, found in results.items():
        for d in found:
            for table, frame in d.tables().items():
                assert frame.equals(alone[name].tables()[table]), (name, table)
    assert set(alone["a"].capacity.filter(pl.col("source_id") == "US_PLANT")["units"]) == {1.0}
    assert "UKR-1" in set(alone["b"].commitments["commitment_id"])


def test_absorption_replaces_a_partners_limit_or_adds_one(tiny, write_toml):
    text = (
        '[[absorption]]\npartner = "UKR"\ncategory = "artillery"\nunits_per_month = 120000\n'
        '[[absorption]]\npartner = "POL"\ncategory = "rocket"\nunits_per_month = 300\n'
    )
    d = apply_text(tiny, write_toml, text).dataset
    assert changed_tables(tiny, d) == {"absorption"}
    limits = {(p, c): u for p, c, u in d.absorption.select(pl.all()).iter_rows()}
    assert limits == {("UKR", "artillery"): 120000.0, ("POL", "rocket"): 300.0}
    assert tiny.absorption.height == 1  # the baseline keeps its own


def test_absorption_of_an_unknown_partner_or_category_is_refused_by_field(tiny, write_toml):
    from store.errors import InputRejected

    text = '[[absorption]]\npartner = "XXX"\ncategory = "lasers"\nunits_per_month = 5\n'
    with pytest.raises(InputRejected) as caught:
        apply_text(tiny, write_toml, text)
    found = {(p.column, p.value) for p in caught.value.problems}
    assert found == {("absorption.partner", "XXX"), ("absorption.category", "lasers")}
    assert "no item has this category" in str(caught.value)
