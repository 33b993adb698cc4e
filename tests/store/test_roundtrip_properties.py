"""Properties of the import: a generated valid data set always validates, loads and reads back
as written; one defect of any kind put into it is always caught, at its line and column."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.contract import (
    FILES,
    PRODUCTION_KINDS,
    STOCK_KINDS,
    TIERS,
    UNCERTAINTY_KINDS,
    file_spec,
)
from store.dataset import read_dataset
from store.db import connect
from store.errors import InputRejected
from store.load import load_dataset
from store.validate import validate_path

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ISO = ["UKR", "POL", "TWN", "DEU", "JPN", "NLD", "GBR"]
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
CATEGORIES = ["artillery", "rocket", "sam"]

names = st.text(alphabet="abcXYZ é,'\"-", min_size=1, max_size=10).map(str.strip).filter(bool)
quantities = st.one_of(
    st.integers(0, 10_000_000).map(str),
    st.integers(0, 40_000).map(lambda n: str(n / 4)),
)
dates = st.dates(date(2020, 1, 1), date(2026, 12, 31)).map(date.isoformat)
months = st.sampled_from(MONTHS)


@dataclass
class Data:
    """A data set as the cells written to its CSV files (``""`` is an empty cell)."""

    rows: dict[str, list[dict[str, str]]]
    header: dict[str, list[str]] = field(default_factory=dict)

    def write(self, folder: Path) -> None:
        for name, rows in self.rows.items():
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(self.header[name])
                writer.writerows([r.get(c, "") for c in self.header[name]] for r in rows)


def _unique(draw, strategy, key, max_size: int, min_size: int = 0) -> list:
    return draw(st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=key))


def _targets(kind: str, prod: list[str], stock: list[str], partners: list[str]) -> list[str]:
    """The ids a rule of ``kind`` may name (an independent reading of the contract)."""
    if kind in ("ramp_delay_months", "capacity_factor", "outage_probability"):
        return prod
    if kind == "demand_factor":
        return stock + partners
    return prod + stock + partners


def _uncertainty_rule(draw: st.DrawFn, target: str, item: str, kind: str) -> dict[str, str]:
    """A valid rule: months whole and uniform_int or fixed; a probability within 0 to 1."""
    row = {"target": target, "item_id": item, "kind": kind, "mode": "", "high": ""}
    if kind.endswith("_months"):
        low, high = sorted(draw(st.lists(st.integers(0, 24), min_size=2, max_size=2)))
        if draw(st.booleans()):
            return row | {"distribution": "fixed", "low": str(low)}
        return row | {"distribution": "uniform_int", "low": str(low), "high": str(high)}
    top = 4 if kind == "outage_probability" else 12
    values = sorted(draw(st.lists(st.integers(0, top), min_size=3, max_size=3)))
    low, mode, high = (str(v / 4) for v in values)
    distribution = draw(st.sampled_from(["fixed", "uniform", "triangular"]))
    if distribution == "fixed":
        return row | {"distribution": distribution, "low": low}
    if distribution == "uniform":
        return row | {"distribution": distribution, "low": low, "high": high}
    return row | {"distribution": distribution, "low": low, "mode": mode, "high": high}


@st.composite
def datasets(draw: st.DrawFn, nonempty: bool = False) -> Data:
    """A small valid data set. ``nonempty``: every file has rows (for the mutations)."""
    at_least = 1 if nonempty else 0
    items = [f"I{n}" for n in range(draw(st.integers(1, 4)))]
    partners = draw(st.lists(st.sampled_from(ISO), min_size=1, max_size=4, unique=True))
    stock = [f"S{n}" for n in range(draw(st.integers(1, 2)))]
    prod = [f"P{n}" for n in range(draw(st.integers(1, 3)))]
    sources = stock + prod
    holders = stock + partners
    r: dict[str, list[dict[str, str]]] = {}
    components = [f"K{n}" for n in range(draw(st.integers(at_least, 2)))]
    r["items"] = [
        {
            "item_id": i,
            "name": draw(names),
            "category": draw(st.sampled_from(CATEGORIES)),
            "unit_cost_usd": draw(quantities),
        }
        for i in items
    ] + [
        {"item_id": k, "name": draw(names), "category": "component", "unit_cost_usd": "1"}
        for k in components
    ]
    r["partners"] = [
        {"partner_id": p, "name": draw(names), "tier": draw(st.sampled_from(TIERS))}
        for p in partners
    ]
    r["sources"] = [
        {
            "source_id": s,
            "name": draw(names),
            "kind": draw(st.sampled_from(STOCK_KINDS if s in stock else PRODUCTION_KINDS)),
            "country": draw(st.sampled_from(ISO + ["USA"])),
            "stock_holder": "" if s in stock else draw(st.sampled_from(["", *stock])),
        }
        for s in sources
    ]
    r["capacity"] = [
        {"source_id": s, "item_id": i, "month": m, "units": draw(quantities)}
        for s, i, m in _unique(
            draw,
            st.tuples(st.sampled_from(prod), st.sampled_from(items), months),
            lambda t: t,
            6,
            at_least,
        )
    ]
    releasable = st.one_of(
        st.just(""),
        st.just("ALL"),
        st.lists(st.sampled_from(partners), min_size=1, max_size=3, unique=True).map(";".join),
    )
    stockpiles = []
    for h, i, d in _unique(
        draw,
        st.tuples(st.sampled_from(holders), st.sampled_from(items), dates),
        lambda t: t,
        6,
        at_least,
    ):
        stockpiles.append(
            {
                "holder_id": h,
                "item_id": i,
                "as_of": d,
                "units": draw(quantities),
                "floor_units": draw(quantities),
                "target_units": draw(st.one_of(st.just(""), quantities)),
                "releasable_to": draw(releasable),
            }
        )
    r["stockpiles"] = stockpiles
    r["consumption"] = [
        {"holder_id": h, "item_id": i, "month": m, "units": draw(quantities)}
        for h, i, m in _unique(
            draw,
            st.tuples(st.sampled_from(holders), st.sampled_from(items), months),
            lambda t: t,
            12,
            at_least,
        )
    ]
    commitments, deliveries = [], []
    for n in range(draw(st.integers(at_least, 5))):
        quantity = draw(st.integers(1, 100_000))
        cid = f"C{n}"
        commitments.append(
            {
                "commitment_id": cid,
                "partner_id": draw(st.sampled_from(partners)),
                "item_id": draw(st.sampled_from(items)),
                "quantity": str(quantity),
                "promised_month": draw(months),
                "priority": draw(st.sampled_from(["1", "2", "3", "4", "5", "3.0"])),
                "announced": draw(dates),
                "releasable_to": draw(releasable),
            }
        )
        left = quantity
        for _ in range(draw(st.integers(0, 2))):
            units = draw(st.integers(0, left))
            left -= units
            deliveries.append(
                {
                    "commitment_id": cid,
                    "source_id": draw(st.sampled_from(sources)),
                    "month": draw(months),
                    "units": str(units),
                }
            )
    r["commitments"] = commitments
    r["deliveries"] = deliveries
    r["eligibility"] = [
        {
            "source_id": s,
            "partner_id": p,
            "item_id": i,
            "allowed": draw(st.sampled_from(["true", "false", "True", "FALSE"])),
            "lead_time_months": str(draw(st.integers(0, 12))),
            "reason": draw(names),
        }
        for s, p, i in _unique(
            draw,
            st.tuples(
                st.sampled_from(["*", *sources]),
                st.sampled_from(["*", *partners]),
                st.sampled_from(["*", *items]),
            ),
            lambda t: t,
            4,
            at_least,
        )
    ]
    r["absorption"] = [
        {"partner_id": p, "category": c, "units_per_month": draw(quantities)}
        for p, c in _unique(
            draw,
            st.tuples(st.sampled_from(partners), st.sampled_from(CATEGORIES)),
            lambda t: t,
            3,
            at_least,
        )
    ]
    r["expansion_options"] = [
        {
            "option_id": f"O{n}",
            "source_id": draw(st.sampled_from(prod)),
            "item_id": draw(st.sampled_from(items)),
            "added_units_per_month": draw(quantities),
            "lead_time_months": str(draw(st.integers(0, 24))),
            "cost_usd": draw(quantities),
        }
        for n in range(draw(st.integers(at_least, 3)))
    ]
    # end items use components (never the other way), so no bill has a cycle
    r["bom"] = [
        {
            "item_id": i,
            "component_id": k,
            "units_per_item": draw(st.sampled_from(["1", "2", "0.5", "3.25"])),
            "lead_time_months": str(draw(st.integers(0, 12))),
            "source_id": "",
        }
        for i, k in _unique(
            draw,
            st.tuples(st.sampled_from(items), st.sampled_from(components or ["-"])),
            lambda t: t,
            3 if components else 0,
            at_least if components else 0,
        )
    ]
    r["uncertainty"] = [
        _uncertainty_rule(draw, t, i, k)
        for t, i, k in _unique(
            draw,
            st.sampled_from(UNCERTAINTY_KINDS).flatmap(
                lambda k: st.tuples(
                    st.sampled_from(["*", *_targets(k, prod, stock, partners)]),
                    st.sampled_from(["*", *items]),
                    st.just(k),
                )
            ),
            lambda t: t,
            4,
            at_least,
        )
    ]
    data = Data(r)
    for spec in FILES:
        if not spec.required and not nonempty and draw(st.booleans()):
            del data.rows[spec.name]  # an optional file left out
            continue
        columns = [c.name for c in spec.columns]
        for c in spec.columns:
            # an optional column left out (a rule's mode and high only where every row is empty:
            # they go with its distribution)
            needed = spec.name == "uncertainty" and any(r[c.name] for r in data.rows[spec.name])
            if not c.required and not needed and draw(st.booleans()):
                columns.remove(c.name)
                for row in data.rows[spec.name]:
                    row[c.name] = ""
        data.header[spec.name] = draw(st.permutations(columns))
    return data


def _typed(kind: str, cell: str) -> object:
    if cell == "":
        return None
    match kind:
        case "number":
            return float(cell)
        case "integer":
            return int(float(cell))
        case "month":
            y, m = cell.split("-")
            return date(int(y), int(m), 1)
        case "date":
            return date.fromisoformat(cell)
        case "bool":
            return cell.lower() == "true"
    return cell


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


@SETTINGS
@given(data=datasets())
def test_valid_data_sets_load_and_read_back_as_written(data: Data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.write(folder)
        con = connect(":memory:")
        try:
            report = load_dataset(con, folder)
            back = read_dataset(con)
        finally:
            con.close()
    assert report.row_counts == {f.name: len(data.rows.get(f.name, [])) for f in FILES}
    for spec in FILES:
        written = [
            tuple(_typed(c.type, row.get(c.name, "")) for c in spec.columns)
            for row in data.rows.get(spec.name, [])
        ]
        frame = getattr(back, spec.name)
        assert frame.columns == list(spec.column_names)
        assert _sorted(frame.rows()) == _sorted(written), spec.name


# Mutations: each puts one defect into a valid data set and says what must be reported ------


@dataclass(frozen=True)
class Expect:
    file: str
    line: int
    column: str
    reason: str
    value: str | None = "<as written>"


Mutator = Callable[[st.DrawFn, Data], Expect]
MUTATORS: list[Mutator] = []


def mutator(fn: Mutator) -> Mutator:
    MUTATORS.append(fn)
    return fn


def _set(draw: st.DrawFn, data: Data, file: str, column: str, value: str, reason: str) -> Expect:
    rows = data.rows[file]
    i = draw(st.integers(0, len(rows) - 1))
    rows[i][column] = value
    return Expect(f"{file}.csv", i + 2, column, reason, value)


def _append(data: Data, file: str, row: dict[str, str], column: str, reason: str) -> Expect:
    data.rows[file].append(row)
    return Expect(f"{file}.csv", len(data.rows[file]) + 1, column, reason, row[column])


@mutator
def negative(draw: st.DrawFn, data: Data) -> Expect:
    file = draw(st.sampled_from(["capacity", "stockpiles", "consumption", "absorption"]))
    column = "units_per_month" if file == "absorption" else "units"
    return _set(draw, data, file, column, "-1.5", "negative; must be >= 0")


@mutator
def not_finite(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(st.sampled_from(["NaN", "nan", "inf", "+inf"]))
    file = draw(st.sampled_from(["capacity", "consumption", "items"]))
    column = "unit_cost_usd" if file == "items" else "units"
    return _set(draw, data, file, column, value, "not a finite number")


@mutator
def not_a_number(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(st.sampled_from(["1,5", "12abc", "ten", "1 000"]))
    file = draw(st.sampled_from(["stockpiles", "expansion_options"]))
    column = "floor_units" if file == "stockpiles" else "cost_usd"
    return _set(draw, data, file, column, value, "not a number")


@mutator
def bad_month(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(
        st.sampled_from(["2026-13", "2026-3", "2026-00", "26-01", "2026/01", "2026-01-01"])
    )
    file, column = draw(
        st.sampled_from(
            [("capacity", "month"), ("consumption", "month"), ("commitments", "promised_month")]
        )
    )
    return _set(draw, data, file, column, value, "not a real month in the form YYYY-MM")


@mutator
def bad_date(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(
        st.sampled_from(["2025-02-30", "2025-13-01", "2025/01/01", "2025-1-1", "2024-02-30"])
    )
    file, column = draw(st.sampled_from([("stockpiles", "as_of"), ("commitments", "announced")]))
    return _set(draw, data, file, column, value, "not a real date in the form YYYY-MM-DD")


@mutator
def bad_priority(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(st.sampled_from(["0", "6", "-1", "2.5", "high"]))
    reason = "not a whole number" if value in ("2.5", "high") else "must be from 1 to 5"
    return _set(draw, data, "commitments", "priority", value, reason)


@mutator
def bad_bool(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(st.sampled_from(["yes", "0", "t"]))
    return _set(draw, data, "eligibility", "allowed", value, "not true or false")


@mutator
def empty_required(draw: st.DrawFn, data: Data) -> Expect:
    file, column = draw(
        st.sampled_from(
            [
                ("items", "name"),
                ("commitments", "quantity"),
                ("stockpiles", "floor_units"),
                ("consumption", "units"),
                ("eligibility", "reason"),
            ]
        )
    )
    expect = _set(draw, data, file, column, "", "empty; a value is required")
    return Expect(expect.file, expect.line, column, expect.reason, None)


@mutator
def not_allowed(draw: st.DrawFn, data: Data) -> Expect:
    if draw(st.booleans()):
        return _set(draw, data, "partners", "tier", "ally", "not one of " + ", ".join(TIERS))
    rows = data.rows["sources"]
    production = [i for i, r in enumerate(rows) if r["kind"] in PRODUCTION_KINDS]
    i = draw(st.sampled_from(production))
    rows[i]["kind"] = "factory"
    kinds = file_spec("sources").column("kind").allowed
    return Expect("sources.csv", i + 2, "kind", "not one of " + ", ".join(kinds), "factory")


@mutator
def duplicate_key(draw: st.DrawFn, data: Data) -> Expect:
    keyed = [s for s in FILES if s.key and data.rows.get(s.name)]
    spec = draw(st.sampled_from(keyed))
    rows = data.rows[spec.name]
    i = draw(st.integers(0, len(rows) - 1))
    rows.append(dict(rows[i]))
    key = list(spec.key)
    return Expect(
        f"{spec.name}.csv",
        len(rows) + 1,
        "+".join(key),
        f"duplicate key ({', '.join(key)}); first on line {i + 2}",
        ", ".join(rows[i][k] for k in key),
    )


@mutator
def dangling(draw: st.DrawFn, data: Data) -> Expect:
    case = draw(st.integers(0, 4))
    if case == 0:
        return _set(draw, data, "consumption", "item_id", "NOPE", "an unknown item (not in items)")
    if case == 1:
        return _set(
            draw, data, "commitments", "partner_id", "ZZZ", "an unknown partner (not in partners)"
        )
    if case == 2:
        return _set(
            draw, data, "capacity", "source_id", "NOPE", "an unknown source (not in sources)"
        )
    if case == 3:
        holders = [r["source_id"] for r in data.rows["sources"] if r["kind"] in PRODUCTION_KINDS]
        return _set(
            draw,
            data,
            "stockpiles",
            "holder_id",
            draw(st.sampled_from([*holders, "ZZZ"])),
            "neither a stock source nor a partner",
        )
    expect = _set(
        draw,
        data,
        "stockpiles",
        "releasable_to",
        f"{data.rows['partners'][0]['partner_id']};QQQ",
        "names an unknown partner (not in partners)",
    )
    data.header["stockpiles"] = list(dict.fromkeys([*data.header["stockpiles"], "releasable_to"]))
    return Expect(expect.file, expect.line, expect.column, expect.reason, "QQQ")


@mutator
def too_many_deliveries(draw: st.DrawFn, data: Data) -> Expect:
    commitments = data.rows["commitments"]
    n = draw(st.integers(0, len(commitments) - 1))
    c = commitments[n]
    done = sum(
        float(d["units"])
        for d in data.rows["deliveries"]
        if d["commitment_id"] == c["commitment_id"]
    )
    quantity = float(c["quantity"])
    extra = quantity - done + 1
    row = {
        "commitment_id": c["commitment_id"],
        "source_id": "S0",
        "month": "2026-01",
        "units": str(int(extra)),
    }
    return _append(
        data,
        "deliveries",
        row,
        "units",
        f"deliveries for {c['commitment_id']} reach {quantity + 1:,.10g} units here, "
        f"more than its quantity {quantity:,.10g} (commitments line {n + 2})",
    )


@mutator
def not_iso(draw: st.DrawFn, data: Data) -> Expect:
    value = draw(st.sampled_from(["ukr", "Ab", "ABCD", "U1A"]))
    row = {"partner_id": value, "name": "New", "tier": "other"}
    return _append(
        data, "partners", row, "partner_id", "not an ISO 3166 alpha-3 code (three capital letters)"
    )


@mutator
def capacity_at_stock_source(draw: st.DrawFn, data: Data) -> Expect:
    row = {
        "source_id": draw(
            st.sampled_from(
                [r["source_id"] for r in data.rows["sources"] if r["kind"] in STOCK_KINDS]
            )
        ),
        "item_id": data.rows["items"][0]["item_id"],
        "month": "2026-01",
        "units": "5",
    }
    return _append(
        data,
        "capacity",
        row,
        "source_id",
        "a stock source has no production capacity; only production sources may appear here",
    )


@mutator
def uncertainty_rule_broken(draw: st.DrawFn, data: Data) -> Expect:
    """A new rule (a key no rule has) whose target or distribution does not suit its kind."""
    taken = {(r["target"], r["item_id"], r["kind"]) for r in data.rows["uncertainty"]}
    items = ["*", *(r["item_id"] for r in data.rows["items"])]
    if draw(st.booleans()):
        kind = "capacity_factor"
        partner = draw(st.sampled_from([r["partner_id"] for r in data.rows["partners"]]))
        row = {  # no valid rule names a partner for a line kind, so the key is new
            "target": partner,
            "item_id": draw(st.sampled_from(items)),
            "kind": kind,
            "distribution": "fixed",
            "low": "0.9",
            "mode": "",
            "high": "",
        }
        reason = (
            "is a partner; capacity_factor applies to production lines: give a production "
            "source or *"
        )
        return _append(data, "uncertainty", row, "target", reason)
    kind = draw(st.sampled_from(["ramp_delay_months", "lead_time_extra_months"]))
    free = [i for i in items if ("*", i, kind) not in taken]
    row = {
        "target": "*",
        "item_id": draw(st.sampled_from(free)),
        "kind": kind,
        "distribution": "uniform",
        "low": "1",
        "mode": "",
        "high": "3",
    }
    reason = (
        f"not allowed for {kind} (the sample must be a whole number of months): "
        "use uniform_int or fixed"
    )
    data.header["uncertainty"] = list(dict.fromkeys([*data.header["uncertainty"], "high"]))
    return _append(data, "uncertainty", row, "distribution", reason)


@SETTINGS
@given(data=datasets(nonempty=True), pick=st.sampled_from(MUTATORS), draw=st.data())
def test_one_defect_is_caught_at_its_line_and_column(data: Data, pick: Mutator, draw) -> None:
    expect = pick(draw.draw, data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.write(folder)
        with pytest.raises(InputRejected) as caught:
            validate_path(folder)
    problems = caught.value.problems
    assert [(p.file, p.line, p.column, p.reason) for p in problems] == [
        (expect.file, expect.line, expect.column, expect.reason)
    ], pick.__name__
    if expect.value != "<as written>":
        assert problems[0].value == expect.value


def test_every_mutator_is_exercised() -> None:
    assert len(MUTATORS) >= 14
