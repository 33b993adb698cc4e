"""The sample tells the public record's story: the corrected headline facts, FMS new builds
that never come out of US stock, stocks from stated requirements, and flows that reconcile."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from store_helpers import SAMPLE, cli

from optimize.sets import resolve_eligibility
from pipeline.scenarios import read_scenario
from store.db import connect
from store.reconcile import ASSUMPTION_PREFIX, read_reconciliation

ROOT = SAMPLE.parents[1]


def _rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _commitments(partner: str, item: str) -> list[dict[str, str]]:
    return [c for c in _rows("commitments") if (c["partner_id"], c["item_id"]) == (partner, item)]


def _delivered() -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for d in _rows("deliveries"):
        out[d["commitment_id"]].append((d["month"], float(d["units"])))
    return out


def _rate(source: str, item: str, month: str) -> float:
    """The step-function capacity of a line in a month (0 before its first row)."""
    rate = 0.0
    for r in sorted(_rows("capacity"), key=lambda r: r["month"]):
        if (r["source_id"], r["item_id"]) == (source, item) and r["month"] <= month:
            rate = float(r["units"])
    return rate


def _months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("facts") / "sample.duckdb"
    assert cli("load", str(SAMPLE), "--db", str(db)) == 0
    return db


# Reconciliation ---------------------------------------------------------------------------


def test_the_sample_reconciles(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = connect(sample_db, read_only=True)
    try:
        result = read_reconciliation(con)
    finally:
        con.close()
    assert result["unexplained"] == 0, [g for g in result["gaps"] if g["status"] != "explained"]
    # Ukraine's four series and the US depot's three are among the periods checked
    assert result["periods_checked"] >= 7
    assert cli("reconcile", "--db", str(sample_db)) == 0
    assert "warning" not in capsys.readouterr().out


def test_every_assumption_row_is_named_sized_and_used(sample_db: Path) -> None:
    con = connect(sample_db, read_only=True)
    try:
        gaps = read_reconciliation(con)["gaps"]
    finally:
        con.close()
    sources_md = (SAMPLE / "SOURCES.md").read_text(encoding="utf-8")
    carried: dict[str, float] = defaultdict(float)
    for gap in gaps:
        for a in gap["explained_by"]:
            carried[a["source_id"]] += a["units"]
    assumption_sources = {
        s["source_id"] for s in _rows("sources") if s["source_id"].startswith(ASSUMPTION_PREFIX)
    }
    assert assumption_sources, "the sample carries its unitemised flows in assumption rows"
    assert set(carried) == assumption_sources  # none unused, none outside sources.csv
    for source, units in carried.items():
        assert source in sources_md
        assert f"{units:,.0f}" in sources_md, (source, units)  # sized where it is named


def test_ukraine_fires_what_it_received(sample_db: Path) -> None:
    """Recomputed from the CSV files: every UKR series balances between its counts."""
    counts: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for s in _rows("stockpiles"):
        if s["holder_id"] == "UKR":
            counts[s["item_id"]].append((s["as_of"], float(s["units"])))
    commitments = {c["commitment_id"]: c for c in _rows("commitments")}
    for item in ("155MM", "JAVELIN", "STINGER", "PAC3MSE"):
        (first, before), (last, after) = sorted(counts[item])[0], sorted(counts[item])[-1]
        received = sum(
            float(d["units"])
            for d in _rows("deliveries")
            if commitments[d["commitment_id"]]["partner_id"] == "UKR"
            and commitments[d["commitment_id"]]["item_id"] == item
            and first[:7] < d["month"] <= last[:7]
        )
        fired = sum(
            float(r["units"])
            for r in _rows("consumption")
            if (r["holder_id"], r["item_id"]) == ("UKR", item)
            and first[:7] < r["month"] <= last[:7]
        )
        assert before + received - fired == pytest.approx(after), item
        assert received > 0, f"UKR {item}: fired without a recorded delivery"


# Headline facts --------------------------------------------------------------------------


def test_the_eu_million_shell_pledge_was_complete_by_november_2024() -> None:
    (pledge,) = [c for c in _rows("commitments") if c["commitment_id"] == "UKR-EU-1M-155"]
    rows = _delivered()["UKR-EU-1M-155"]
    assert sum(u for _, u in rows) == float(pledge["quantity"]) == 1_000_000
    assert max(m for m, _ in rows) <= "2024-11"
    by_march = sum(u for m, u in rows if m <= "2024-03")
    assert 480_000 <= by_march <= 500_000  # ~480-500k at the deadline, not the 524k forecast


def test_taiwan_pac3_mse_is_102_on_a_2021_case_first_batch_january_2026() -> None:
    cases = _commitments("TWN", "PAC3MSE")
    assert sum(float(c["quantity"]) for c in cases) == 102
    assert {c["announced"][:4] for c in cases} == {"2021"}
    delivered = _delivered()
    first = sorted(m for c in cases for m, _ in delivered[c["commitment_id"]])
    assert first[:1] == ["2026-01"]


def test_taiwan_harpoon_is_two_tranches_and_amraam_is_gone() -> None:
    harpoon = sorted(
        (c["promised_month"], float(c["quantity"])) for c in _commitments("TWN", "HARPOON")
    )
    assert harpoon == [("2026-12", 128), ("2028-12", 272)]
    assert _commitments("TWN", "AMRAAM") == []


def test_gemt_includes_romania() -> None:
    by_partner: dict[str, float] = defaultdict(float)
    for c in _rows("commitments"):
        if c["item_id"] == "GEMT":
            by_partner[c["partner_id"]] += float(c["quantity"])
    assert set(by_partner) == {"DEU", "NLD", "ESP", "ROU"}
    assert by_partner["ROU"] == 200
    assert by_partner["DEU"] == 500
    assert sum(by_partner.values()) == 1000
    eligibility = pl.read_csv(SAMPLE / "eligibility.csv", infer_schema_length=0).with_columns(
        pl.col("allowed") == "true", pl.col("lead_time_months").cast(pl.Int64)
    )
    route = pl.DataFrame({"source_id": ["COMLOG_GEMT"], "partner_id": ["ROU"], "item_id": ["GEMT"]})
    assert resolve_eligibility(eligibility, route).get_column("allowed").to_list() == [True]


def test_us_155mm_is_at_least_28000_a_month_from_2023_10_and_the_goal_is_a_scenario() -> None:
    for month in _months("2023-10", "2026-10"):
        assert _rate("US_155_PLANTS", "155MM", month) >= 28_000, month
    for month in _months("2024-04", "2024-12"):
        assert 37_000 <= _rate("US_155_PLANTS", "155MM", month) <= 40_000, month
    baseline = {float(r["units"]) for r in _rows("capacity") if r["source_id"] == "US_155_PLANTS"}
    assert max(baseline) < 100_000  # never reached in the public record
    goal = read_scenario(ROOT / "scenarios" / "us-155-100k-goal.toml")
    assert any(o.get("set") == 100_000 for o in goal.overrides if o.kind == "capacity")


def test_us_shells_came_from_stocks_abroad_and_a_korean_loan_owed_back() -> None:
    kinds = {s["source_id"]: s["kind"] for s in _rows("sources")}
    assert kinds["US_WRSA_ISR"] == kinds["US_STOCK_KOR"] == "us_stock"
    lent = sum(float(d["units"]) for d in _rows("deliveries") if d["source_id"] == "KOR_LOAN")
    assert lent == 500_000
    (repay,) = _commitments("KOR", "155MM")
    assert float(repay["quantity"]) == lent
    assert "KOR" in {p["partner_id"] for p in _rows("partners")}


def test_the_czech_initiative_was_bought_and_delivered_including_2025() -> None:
    czech = [
        (m, u)
        for c in _commitments("UKR", "155MM")
        if c["commitment_id"].startswith("UKR-CZ")
        for m, u in _delivered()[c["commitment_id"]]
    ]
    assert sum(u for m, u in czech if m.startswith("2024")) == 500_000
    assert sum(u for m, u in czech if m.startswith("2025")) == 320_000
    counts = [float(s["units"]) for s in _rows("stockpiles") if s["holder_id"] == "EU_CZ_STOCK"]
    assert sorted(set(counts)) == [0.0]  # found is not bought: never stock on hand


# FMS and stocks ---------------------------------------------------------------------------


def test_fms_new_builds_never_come_out_of_us_stock() -> None:
    """Every open promise to a partner other than Ukraine (drawdowns) and Korea (the loan)
    is denied from US_DEPOT and from every line that feeds it, and has an export line."""
    sources = _rows("sources")
    depot_fed = {"US_DEPOT"} | {s["source_id"] for s in sources if s["stock_holder"] == "US_DEPOT"}
    makers: dict[str, set[str]] = defaultdict(set)
    for r in _rows("capacity"):
        makers[r["item_id"]].add(r["source_id"])
    delivered = _delivered()
    open_fms = [
        c
        for c in _rows("commitments")
        if c["partner_id"] not in ("UKR", "KOR")
        and float(c["quantity"]) > sum(u for _, u in delivered[c["commitment_id"]])
    ]
    assert open_fms
    eligibility = pl.read_csv(SAMPLE / "eligibility.csv", infer_schema_length=0).with_columns(
        pl.col("allowed") == "true", pl.col("lead_time_months").cast(pl.Int64)
    )
    triples = pl.DataFrame(
        [
            {"source_id": s, "partner_id": c["partner_id"], "item_id": c["item_id"]}
            for c in open_fms
            for s in sorted(depot_fed | makers[c["item_id"]])
        ]
    )
    verdict = resolve_eligibility(eligibility, triples)
    from_depot = verdict.filter(pl.col("source_id").is_in(sorted(depot_fed)))
    assert not from_depot.get_column("allowed").any(), from_depot.filter(pl.col("allowed"))
    served = verdict.filter(pl.col("allowed") & ~pl.col("source_id").is_in(sorted(depot_fed)))
    assert set(zip(served["partner_id"], served["item_id"], strict=True)) == {
        (c["partner_id"], c["item_id"]) for c in open_fms
    }


def test_stocks_come_from_stated_requirements_not_months_of_output() -> None:
    stocks = {(s["holder_id"], s["item_id"]): s for s in _rows("stockpiles")}
    pac3 = stocks["US_DEPOT", "PAC3MSE"]
    assert float(pac3["target_units"]) == 13_773  # the Army's FY2026 objective
    assert float(pac3["floor_units"]) <= float(pac3["units"])  # nothing drawable above it
    assert float(stocks["US_DEPOT", "155MM"]["target_units"]) == 2_000_000
    for item in ("GMLRS", "SM6", "AMRAAM", "HARPOON"):  # no public count or requirement
        assert ("US_DEPOT", item) not in stocks
    # no US floor or target is a whole number of months of the US lines' output
    for (holder, item), s in stocks.items():
        if holder != "US_DEPOT":
            continue
        lines = [x["source_id"] for x in _rows("sources") if x["stock_holder"] == "US_DEPOT"]
        monthly = sum(_rate(line, item, "2026-10") for line in lines)
        for column in ("floor_units", "target_units"):
            if monthly and s[column]:
                months = float(s[column]) / monthly
                assert all(abs(months - n) > 1e-6 for n in (12, 24, 36)), (item, column)


def test_sources_md_cites_each_correction() -> None:
    text = (SAMPLE / "SOURCES.md").read_text(encoding="utf-8")
    for needle in (
        "2024-11-18",  # Borrell: the million delivered
        "2023-09-15",  # LaPlante: 28,000
        "13,773",  # the Army's Patriot objective
        "2023-04-12",  # the ROK loan (DongA via Reuters)
        "$21.54B",  # Taiwan's backlog
        "Romania",
        "2025-07-17",  # Czech MoD: 2025 deliveries
        "2023-12-22",  # Japan's back-fill decision
    ):
        assert needle in text, needle
    assert re.search(r"\*\*[ABC]\*\*", text)
