"""The sample night's report as a reader gets it: page 1 of the PDF says the decision metrics
in sentences whose figures are recomputed here from the database; no table row is split
across pages; the body is at most 8 pages before the appendix; scenarios are compared with
the scenario they are built on; the stamp lists the loads and scenario versions used."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from arsenal.cli import main
from store.state import open_state

ROOT = Path(__file__).resolve().parents[2]
NIGHT = "2026-11-20"
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class SampleNight:
    db: Path
    folder: Path
    summary: dict


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleNight:
    """``arsenal load data/sample`` then ``arsenal nightly`` with the shipped scenarios."""
    root = tmp_path_factory.mktemp("sample-night")
    db = root / "s.duckdb"
    assert main(["load", str(ROOT / "data" / "sample"), "--db", str(db), "--by", "tester"]) == 0
    surge = ROOT / "scenarios" / "ukr-surge.toml"  # as if saved from the dashboard's what-if page
    state = open_state(db)
    state.record_saved_scenario(
        "ukr-surge", str(surge), hashlib.sha256(surge.read_bytes()).hexdigest(), "planner-ann"
    )
    state.close()
    out = root / "reports"
    args = ["--db", str(db), "--out", str(out), "--scenarios", str(ROOT / "scenarios")]
    # a few promise futures: the odds section's figures are checked in test_reports_sample
    args += ["--promise-samples", "20"]
    assert main(["nightly", *args, "--paths", "100", "--date", NIGHT]) == 0
    folder = out / NIGHT
    return SampleNight(db, folder, json.loads((folder / "summary.json").read_text()))


def _pages(pdf: Path, mode: str = "-raw") -> list[str]:
    text = subprocess.run(
        ["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _usd(v: float) -> str:
    """Money as the report writes it, formatted independently: $1.38B, $550M, $16.5M."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            q = abs(v) / size
            body = f"{q:,.0f}" if q >= 100 else f"{q:.2f}".rstrip("0").rstrip(".")
            return f"{'-' if v < 0 else ''}${body}{suffix}"
    return f"${v:,.0f}"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def _expected_sentences(db: Path, run_id: str) -> list[str]:
    """Page 1's sentences, with every figure computed by SQL from the stored plan."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        start = _rows(con, "SELECT start_month FROM runs WHERE run_id = ?", run_id)[0][0]
        horizon = _rows(con, "SELECT horizon FROM runs WHERE run_id = ?", run_id)[0][0]
        promises = _rows(
            con,
            """
            WITH due AS (
                SELECT p.*, greatest(c.promised_month, ?::DATE) AS due_month, i.unit_cost_usd,
                       c.partner_id AS partner, i.name AS item_name, pa.name AS partner_name
                FROM plan_commitments p JOIN commitments c USING (commitment_id)
                JOIN items i ON i.item_id = p.item_id JOIN partners pa ON pa.partner_id = c.partner_id
                WHERE p.run_id = ?),
            arrived AS (
                SELECT s.commitment_id, sum(s.units) AS units FROM plan_shipments s
                JOIN due d USING (commitment_id)
                WHERE s.run_id = ? AND s.arrival_month <= d.due_month GROUP BY ALL)
            SELECT d.commitment_id, d.late_unit_months > 1e-6 AS late, d.backlog_units,
                   least(coalesce(a.units, 0), d.backlog_units) AS on_time_units,
                   d.unit_cost_usd, d.due_month, d.completion_month, d.partner_name,
                   d.item_name, d.item_id
            FROM due d LEFT JOIN arrived a USING (commitment_id)
            """,
            start,
            run_id,
            run_id,
        )
        risks = _rows(
            con,
            """
            SELECT p.name, i.name, o.floor_units, o.breach_probability_12, o.floor_breach_p50
            FROM stock_outlook o JOIN partners p ON p.partner_id = o.holder_id
            JOIN items i ON i.item_id = o.item_id
            WHERE o.run_id = ? AND o.breach_probability_12 >= 0.1
            ORDER BY o.breach_probability_12 DESC, o.holder_id, o.item_id
            """,
            run_id,
        )
        us = _rows(
            con,
            """
            WITH latest AS (
                SELECT holder_id, item_id, arg_max(units, as_of) AS units FROM stockpiles
                WHERE as_of < ?::DATE GROUP BY ALL)
            SELECT s.name, i.name, o.target_units, o.target_reached_p50,
                   date_diff('month', ?::DATE, o.target_reached_p50) + 1 AS months
            FROM stock_outlook o JOIN sources s ON s.source_id = o.holder_id
            JOIN items i ON i.item_id = o.item_id
            JOIN latest l ON l.holder_id = o.holder_id AND l.item_id = o.item_id
            WHERE o.run_id = ? AND s.kind = 'us_stock' AND o.target_units IS NOT NULL
              AND l.units < o.target_units
            ORDER BY o.target_reached_p50 IS NULL, months, o.item_id
            """,
            start,
            start,
            run_id,
        )
    finally:
        con.close()

    def short(name: str) -> str:
        return re.sub(r"\s*\([^()]*\)\s*$", "", name)

    n = len(promises)
    late = [p for p in promises if p[1]]
    on = n - len(late)
    backlog = sum(p[2] for p in promises)
    on_time_units = sum(p[3] for p in promises)
    late_units = sum(p[2] - p[3] for p in late)
    value = sum((p[2] - p[3]) * p[4] for p in late)
    end_index = horizon  # months counted to the horizon's end

    def months(p) -> int | None:
        done, due = p[6], p[5]
        return None if done is None else (done.year - due.year) * 12 + done.month - due.month

    beyond = sum(1 for p in late if months(p) is None)
    assert end_index
    worst = sorted(
        late,
        key=lambda p: (
            -(p[2] - p[3]) * p[4],
            -(months(p) if months(p) is not None else 10**6),
            p[0],
        ),
    )[:3]

    def late_text(p) -> str:
        m = months(p)
        return (
            "not complete within the horizon"
            if m is None
            else f"{m} month{'s' if m != 1 else ''} late"
        )

    sentences = [
        f"{on} of {n} promises are on time ({100 * on / n:.0f}%), and "
        f"{100 * on_time_units / backlog:.1f}% of the backlog units arrive by their due month.",
        f"{len(late)} promises are late: {late_units:,.0f} units worth {_usd(value)} arrive after "
        f"their due month; {beyond} of them are not complete within the horizon.",
        "The worst late promises: "
        + "; ".join(
            f"{p[7]}'s {p[2]:,.0f} {short(p[8])} due {p[5]:%Y-%m}: {late_text(p)}, "
            f"{_usd((p[2] - p[3]) * p[4])} late"
            for p in worst
        )
        + ".",
    ]
    assert risks, "the sample has a partner stock at risk (Ukraine's 155mm)"
    sentences.append(
        "Partner stocks at risk of breaking their floor within 12 months: "
        + "; ".join(
            f"{p}'s {short(i)} stock (floor {floor:,.0f}): probability {prob:.0%}, "
            f"P50 {breach:%Y-%m}"
            for p, i, floor, prob, breach in risks
        )
        + "."
    )
    holders = {short(r[0]) for r in us}
    assert len(holders) == 1, "the sample's US stocks below target are all at the depot"
    parts = [
        f"{short(i)} back to {target:,.0f} in {done:%Y-%m} ({m} month{'s' if m != 1 else ''})"
        if done is not None
        else f"{short(i)} not back to {target:,.0f} within the horizon"
        for _, i, target, done, m in us
    ]
    sentences.append(f"US stocks below target: at {holders.pop()}, {', '.join(parts)}.")
    return sentences


def test_page_one_says_the_decision_metrics_recomputed_from_the_database(sample: SampleNight):
    base = sample.summary["runs"][0]
    assert base["scenario"] == "baseline"
    page1 = _squash(_pages(sample.folder / "report.pdf")[0])
    for sentence in _expected_sentences(sample.db, base["run_id"]):
        assert _squash(sentence) in page1, sentence
    # and each scenario's one-line answer, against the scenario it is built on
    for name, answer in sample.summary["scenario_answers"].items():
        assert _squash(answer) in page1, name
    assert _squash("ramp-slips-with-budget against us-155-ramp-slips:") in page1
    assert _squash("What changed since last night") in page1


class _Rows(HTMLParser):
    """The text of every table body row of the page, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_body = self.in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "td":
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.rows[-1][-1] += data


def test_no_table_row_is_split_across_pages_and_the_body_fits_in_8_pages(sample: SampleNight):
    """Chromium writes the text in page order, so a row printed whole is one run of text on
    one page (``pdftotext -raw``); a row split by a page break is on none."""
    pages = [_squash(p) for p in _pages(sample.folder / "report.pdf")]
    parser = _Rows()
    parser.feed((sample.folder / "report.html").read_text())
    assert len(parser.rows) > 50
    for row in parser.rows:
        text = _squash("".join(row))
        assert any(text in page for page in pages), f"row split across pages: {row}"
    appendix = next(
        i for i, p in enumerate(pages) if _squash("Appendix: the detail behind the body") in p
    )
    assert appendix <= 8, f"{appendix} pages before the appendix"
    layout = _pages(sample.folder / "report.pdf", "-layout")
    assert len(layout) == len(pages)
    assert "Contents" in layout[1]


def test_scenarios_are_compared_with_their_own_base_and_a_budget_says_what_it_buys(
    sample: SampleNight,
):
    rows = {(r["scenario"], r["against"]): r for r in sample.summary["comparison"]}
    assert ("ramp-slips-with-budget", "us-155-ramp-slips") in rows
    assert ("ramp-slips-with-budget", "baseline") in rows
    assert ("us-155-ramp-slips", "baseline") in rows
    con = duckdb.connect(str(sample.db), read_only=True)
    try:
        ids = {r["scenario"]: r["run_id"] for r in sample.summary["runs"]}
        on_time = {
            name: con.execute(
                "SELECT count(*) FILTER (WHERE late_unit_months <= 1e-6) FROM plan_commitments "
                "WHERE run_id = ?",
                [run],
            ).fetchall()[0][0]
            for name, run in ids.items()
        }
        chosen = {
            o: c
            for o, c in con.execute(
                "SELECT option_id, chosen FROM plan_investments WHERE run_id = ?",
                [ids["ramp-slips-with-budget"]],
            ).fetchall()
        }
        wlum = json.loads(
            con.execute(
                "SELECT summary FROM runs WHERE run_id = ?", [ids["ramp-slips-with-budget"]]
            ).fetchall()[0][0]
        )["allocate"]["weighted_late_unit_months"]
    finally:
        con.close()
    own = rows[("ramp-slips-with-budget", "us-155-ramp-slips")]
    assert own["promises_on_time_change"] == (
        on_time["ramp-slips-with-budget"] - on_time["us-155-ramp-slips"]
    )
    budget = sample.summary["budgets"]["ramp-slips-with-budget"]
    assert {o["option_id"]: o["chosen"] for o in budget["options"]} == chosen
    for o in budget["options"]:
        if o["chosen"]:
            assert o["reason"] == "bought"
        else:
            assert o["reason"].startswith(
                (
                    "no lateness left that it reduces",
                    "its components run short",
                    "its first output would come after",
                    "does not fit",
                )
            ), o
    curve = budget["curve"]
    assert 3 <= len(curve) <= 5
    assert [p["budget_usd"] for p in curve] == sorted(p["budget_usd"] for p in curve)
    assert curve[-1]["budget_usd"] == pytest.approx(1.75e9)
    assert curve[-1]["weighted_late_unit_months"] == pytest.approx(wlum)
    lateness = [p["weighted_late_unit_months"] for p in curve]
    assert all(b <= a + 1e-6 for a, b in zip(lateness, lateness[1:], strict=False))
    assert all(p["spent_usd"] <= p["budget_usd"] + 1e-6 for p in curve)


def test_the_stamp_lists_the_load_and_the_scenario_versions_used(sample: SampleNight):
    page = (sample.folder / "report.html").read_text()
    load = sample.summary["load"]
    assert load["loaded_by"] == "tester"
    assert load["content_hash"] == sample.summary["content_hash"]
    stamp = page[page.index('id="stamp"') :]
    assert re.search(rf"<td[^>]*>{load['load_id']}</td>", stamp)
    assert "<td>tester</td>" in stamp
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert sample.summary["scenario_files"][path.stem] == digest
        assert digest in stamp
    saved = {v["scenario"]: v["saved_by"] for v in sample.summary["scenario_versions"]}
    assert saved["ukr-surge"] == "planner-ann"
    assert saved["export-reform"] is None
    assert "<td>planner-ann</td>" in stamp


def test_the_report_shows_the_baselines_tradeoff_curve_as_arsenal_tradeoff_computes_it(
    sample: SampleNight, capsys: pytest.CaptureFixture[str]
):
    capsys.readouterr()
    assert main(["tradeoff", "--db", str(sample.db), "--points", "5", "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)["points"]
    curve = sample.summary["tradeoff"]["points"]
    assert len(curve) == 5
    for mine, theirs in zip(curve, alone, strict=True):
        for key in ("us_unit_months_below_target", "partner_weighted_unit_months_below_floor"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-6, abs=1e-3)
    us = [p["us_unit_months_below_target"] for p in curve]
    partners = [p["partner_weighted_unit_months_below_floor"] for p in curve]
    assert us == sorted(us)
    assert partners == sorted(partners, reverse=True)
    page = (sample.folder / "report.html").read_text()
    section = page.split('id="tradeoff"', 1)[1]
    assert f"{partners[0]:,.0f}" in section
    assert f"{us[-1]:,.0f}" in section
