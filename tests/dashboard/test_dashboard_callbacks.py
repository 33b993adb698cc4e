"""From outside, over HTTP: every callback the dashboard declares (``/_dash-dependencies``),
called by each partner liaison with every value the data has - other partners' ids, every
holder and item, every commitment id - returns nothing its partner's extract
(``arsenal export --for``) withholds. A planted commitment and stock not releasable to the
partner, with distinctive ids and quantities, must never show for a liaison, and must show
for a planner (so the test can fail). Callbacks not declared safe for liaisons refuse them.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dashboard_helpers import (
    PASSWORD,
    ROOT,
    HttpSession,
    callback_body,
    dependencies,
    pattern_indices,
    served,
)

from arsenal.cli import main as arsenal_main
from dashboards.auth import add_user
from pipeline.exceptions import read_exceptions
from store.db import connect
from store.runs import latest_run

SAMPLE = ROOT / "data" / "sample"
SECRET = "SECRET.Ünit 7"  # a UKR commitment: releasable to UKR alone
SECRET_QTY = 987654
DEPOT = "SECRET Depot.Ü 7"  # a stock released to GBR alone, drawn on for the secret
DEPOT_UNITS = 876543
LIAISONS = {"pol": "POL", "gbr": "GBR"}
PAGES = ["/", "/worklist", "/stocks", "/backlog", "/allocation", "/capacity", "/what-if"]
MAX_COMBINATIONS = 400
STOCK_EXCEPTIONS = ("partner_below_floor", "us_below_target")
pytestmark = pytest.mark.slow


def _plant(data: Path) -> None:
    rows = {
        "sources.csv": f"{DEPOT},Secret depot,allied_stock,DEU,\n",
        "stockpiles.csv": f"{DEPOT},GMLRS,2026-10-31,{DEPOT_UNITS},1000,,GBR\n",
        "commitments.csv": f"{SECRET},UKR,GMLRS,{SECRET_QTY},2026-11,1,2026-01-01,\n",
        "eligibility.csv": f"{DEPOT},POL,*,false,0,held for another partner\n",
    }
    for name, row in rows.items():
        with (data / name).open("a", encoding="utf-8") as fh:
            fh.write(row)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("planted")
    data = base / "data"
    shutil.copytree(SAMPLE, data)
    _plant(data)
    db = base / "arsenal.duckdb"
    for argv in (["load", str(data)], ["run", "--paths", "100"]):
        assert arsenal_main([*argv, "--db", str(db)]) == 0, argv
    users = base / "users.toml"
    add_user(users, "plan", "planner", PASSWORD)
    for name, partner in LIAISONS.items():
        add_user(users, name, "liaison", PASSWORD, partner=partner)
        out = base / f"extract-{partner}"
        assert arsenal_main(["export", "--for", partner, "--out", str(out), "--db", str(db)]) == 0
    return {"db": db, "users": users, "base": base}


@pytest.fixture(scope="module")
def url(planted: dict[str, Any]) -> Iterator[str]:
    from dashboards.app import create_app

    scenarios = planted["base"] / "scenarios"
    # a swept click on "Promise odds" starts a real job: two futures keep it small
    app = create_app(
        planted["db"], planted["users"], scenarios, secret_key="callbacks", whatif_samples=2
    )
    with served(app) as base:
        yield base


# -- what the data holds -------------------------------------------------------------------------


def _data(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:

        def ids(sql: str) -> list[str]:
            return sorted({r[0] for r in con.sql(sql).fetchall()})

        run = con.sql("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()[0][0]
        return {
            "run": run,
            "partners": ids("SELECT partner_id FROM partners"),
            "items": ids("SELECT item_id FROM items"),
            "commitments": ids("SELECT commitment_id FROM commitments"),
            "holders": ids(
                "SELECT holder_id FROM stockpiles UNION SELECT source_id FROM sources "
                "UNION SELECT partner_id FROM partners"
            ),
            "stock_holders": ids("SELECT holder_id FROM stockpiles"),
            "pools": sorted(
                set(
                    con.sql(
                        "SELECT holder_id, item_id FROM stockpiles UNION "
                        "SELECT holder_id, item_id FROM consumption"
                    ).fetchall()
                )
            ),
            "secret_plan": con.sql(
                "SELECT planned_units, late_unit_months, backlog_units FROM plan_commitments "
                "WHERE run_id = ? AND commitment_id = ?",
                params=[run, SECRET],
            ).fetchall()[0],
            "secret_shipped": [
                r[0]
                for r in con.sql(
                    "SELECT units FROM plan_shipments WHERE run_id = ? AND commitment_id = ?",
                    params=[run, SECRET],
                ).fetchall()
            ],
            "depot_projection": [
                v
                for r in con.sql(
                    "SELECT p10, p50, p90 FROM stock_projection WHERE run_id = ? AND holder_id = ?",
                    params=[run, DEPOT],
                ).fetchall()
                for v in r
            ],
        }
    finally:
        con.close()


def _candidates(data: dict[str, Any]) -> dict[str, list[Any]]:
    """Values to send, per ``id.property`` (a pattern-matching input: its type)."""
    partners, items = data["partners"], data["items"]
    every_id = sorted(set(data["holders"]) | set(items) | set(data["commitments"]))
    # the Stocks page for a few pools and the planted depot's (every pool goes through the
    # Stocks callback below, which draws the page's views with the same function)
    shown = [p for p in data["pools"] if p[0] == DEPOT] + data["pools"][:4]
    searches = [("/stocks", f"?holder={h}&item={i}") for h, i in shown]
    searches += [("/allocation", f"?item={i}") for i in items] + [("/backlog", "?late=1")]
    return {
        "app-location.pathname": PAGES,
        "_pages_location": [(p, "") for p in PAGES] + searches,
        "stocks-holder-dropdown.value": data["holders"],
        "stocks-item-dropdown.value": items,
        "backlog-partner-filter.value": [[p] for p in partners] + [partners, []],
        "backlog-item-filter.value": [[i] for i in items] + [[]],
        "backlog-priority-filter.value": [[p] for p in range(1, 6)] + [[]],
        "backlog-late-filter.value": [["late"], []],
        "backlog-timeline-graph.clickData": [
            {"points": [{"customdata": c, "y": c}]} for c in data["commitments"]
        ],
        "backlog-commitments-table.cellClicked": [
            None,
            {"rowId": 7},
            *({"rowId": c, "colId": "commitment_id"} for c in data["commitments"]),
        ],
        "worklist-exceptions-table.cellClicked": [
            None,
            {"rowId": ["not", "text"]},
            {"rowId": f"late_promise|{SECRET}"},
            *({"rowId": k} for k in data["exception_keys"][:3]),
        ],
        "allocation-item-dropdown.value": ["(all items)", *items],
        "capacity-budget-slider.value": [0, 5e8],
        # every exception the plan has, and the planted rows' keys whether they are
        # exceptions or not (a key that names nothing gets "not found" and shows nothing)
        "worklist-selected.data": sorted(
            {
                *data["exception_keys"],
                f"late_promise|{SECRET}",
                f"plan_change|promise_became_late|{SECRET}",
                *(f"{kind}|{DEPOT}|{i}" for kind in STOCK_EXCEPTIONS for i in items),
            }
        ),
        "default": [None, *every_id],
    }


def _default(key: str, candidates: dict[str, list[Any]]) -> list[Any]:
    """What an input no candidate names gets: a click, or every id the data has."""
    if key.endswith(".n_clicks"):
        return [1]
    return candidates["default"] if key.endswith(".value") else [None]


def _calls(declared: list[dict], data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(output, body) of every call: each server callback with every candidate value."""
    candidates, indices = _candidates(data), pattern_indices()
    for dep in declared:
        keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
        if keys == ["_pages_location.pathname", "_pages_location.search"]:
            for path, search in candidates["_pages_location"]:
                values = {keys[0]: path, keys[1]: search}
                yield dep["output"], callback_body(dep, values, indices)
            continue
        if keys == ["stocks-holder-dropdown.value", "stocks-item-dropdown.value"]:
            pairs = data["pools"] + [(h, data["items"][0]) for h in data["holders"]]
            for holder, item in pairs + [(DEPOT, i) for i in data["items"]]:
                yield (
                    dep["output"],
                    callback_body(dep, dict(zip(keys, [holder, item], strict=True)), indices),
                )
            continue
        states = [f"{s['id']}.{s['property']}" for s in dep.get("state", [])]
        pools = [candidates.get(k, _default(k, candidates)) for k in keys]
        pools += [candidates.get(k, [None]) for k in states]
        named = keys + states
        combos = list(itertools.islice(itertools.product(*pools), MAX_COMBINATIONS + 1))
        clicks = any(k.endswith(".cellClicked") for k in keys)
        # too many, or a grid's click (which replaces the state it would be crossed with):
        # vary one value at a time
        if len(combos) > MAX_COMBINATIONS or clicks:
            combos = [
                tuple(v if j == i else p[0] for j, p in enumerate(pools))
                for i, pool in enumerate(pools)
                for v in pool
            ]
        for combo in combos:
            values = {k: v for k, v in zip(named, combo, strict=True)}
            # a grid's click is what changed whenever one is sent
            clicked = [k for k in keys if k.endswith(".cellClicked") and values[k] is not None]
            yield dep["output"], callback_body(dep, values, indices, next(iter(clicked), None))


# -- what a reply may hold -----------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every key, text and number in a decoded JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def _text(reply: str) -> str:
    """A reply's texts and numbers, decoded, one a line (so ``\\u00dc`` reads as the letter
    and an escaped newline does not glue a word to an id)."""
    try:
        return "\n".join(_strings(json.loads(reply)))
    except ValueError:
        return reply


def _extract_text(folder: Path) -> str:
    """The extract's CSV files and summary (its Parquet files hold the same frames)."""
    csv = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.csv"))]
    return "\n".join([*csv, _text((folder / "summary.json").read_text(encoding="utf-8"))])


def _numbers(text: str) -> set[float]:
    plain = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return {float(x) for x in re.findall(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", plain)}


def _has_token(token: str, text: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(token)}(?![^\W_])", text) is not None


def _shows(value: float, found: set[float]) -> bool:
    """``value`` is among the numbers, exactly or as shown rounded to a whole number."""
    return any(abs(f - value) <= 1e-6 * max(1.0, abs(value)) for f in found) or (
        abs(value) >= 1000 and float(round(value)) in found
    )


def _forbidden(planted: dict[str, Any], data: dict[str, Any], partner: str):
    """The ids and figures ``partner``'s extract withholds (that the data has)."""
    extract = _extract_text(planted["base"] / f"extract-{partner}")
    in_extract = _numbers(extract)
    ids = {
        i
        for i in set(data["commitments"]) | set(data["partners"]) | set(data["stock_holders"])
        if i != partner and not _has_token(i, extract)
    }
    assert SECRET in ids
    figures = [SECRET_QTY, *data["secret_plan"], *data["secret_shipped"], *data["depot_projection"]]
    if partner != "GBR":
        figures.append(DEPOT_UNITS)
        assert DEPOT in ids
    numbers = {float(v) for v in figures if v and v > 10 and not _shows(v, in_extract)}
    assert SECRET_QTY in numbers
    return ids, numbers


def _replies(session: HttpSession, declared: list[dict], data: dict) -> list[tuple[str, int, str]]:
    out = []
    for output, body in _calls(declared, data):
        status, reply = session.post("/_dash-update-component", body)
        out.append((output, status, _text(reply)))
    return out


@pytest.fixture(scope="module")
def data(planted: dict[str, Any]) -> dict[str, Any]:
    return _data(planted["db"]) | {"exception_keys": _exception_keys(planted["db"])}


def _exception_keys(db: Path) -> list[str]:
    """The keys of every exception of the stored plan (for a planner: all partners)."""
    con = connect(db, read_only=True)
    try:
        run = latest_run(con, "allocate")
        project = latest_run(con, "project")
        frame = read_exceptions(con, run, project["run_id"] if project else None)
    finally:
        con.close()
    return frame.get_column("exception_key").to_list()


SAFE_FOR_LIAISONS = {
    "..app-nav-links.children...app-user.children..",
    ".._pages_content.children..._pages_store.data..",
    "..stocks-item-dropdown.options...stocks-item-dropdown.value..",
    "..stocks-fan-graph.figure...stocks-outlook.children...stocks-model.children..."
    "stocks-consumption-graph.figure..",
    "stocks-balance.children",
    "..backlog-timeline-graph.figure...backlog-table.children...backlog-summary.children..."
    "backlog-odds-graph.figure..",
    "backlog-reasons.children",
    "..allocation-sankey-graph.figure...allocation-shipments-graph.figure...allocation-plan.children..",
    "allocation-download.data",
    "whatif-results.children",
    "whatif-odds-poll.disabled",
    "..worklist-table.children...worklist-detail.children...worklist-summary.children...worklist-selected.data..",
}


@pytest.mark.parametrize("user", sorted(LIAISONS))
def test_no_callback_gives_a_liaison_what_its_extract_withholds(url, planted, data, user):
    partner = LIAISONS[user]
    session = HttpSession(url, user, PASSWORD)
    declared = dependencies(session)
    ids, numbers = _forbidden(planted, data, partner)
    replies = _replies(session, declared, data)
    assert len(replies) > 200
    refused = set()
    for output, status, text in replies:
        assert status in (200, 204, 403), (output, status, text[:300])
        if status == 403:
            refused.add(output)
            continue
        assert output in SAFE_FOR_LIAISONS
        leaked = sorted(i for i in ids if _has_token(i, text))
        assert not leaked, (output, leaked)
        found = _numbers(text)
        shown = sorted(v for v in numbers if _shows(v, found))
        assert not shown, (output, shown)
    outputs = {d["output"] for d in declared}
    assert refused == outputs - SAFE_FOR_LIAISONS  # deny by default: the rest is refused
    assert "capacity-investment.children" in refused


def test_a_planner_sees_the_planted_rows(url, data):
    """Not vacuous: the calls a liaison gets answers to show the planted ids and figures to a
    planner (the callbacks refused to liaisons leak nothing to them; a planner's server errors
    on every callback are the crafted-values test's)."""
    session = HttpSession(url, "plan", PASSWORD)
    declared = [d for d in dependencies(session) if d["output"] in SAFE_FOR_LIAISONS]
    replies = _replies(session, declared, data)
    assert [(o, s, t[:300]) for o, s, t in replies if s not in (200, 204)] == []
    text = "\n".join(t for _, _, t in replies)
    assert SECRET in text
    assert DEPOT in text
    found = _numbers(text)
    assert _shows(SECRET_QTY, found)
    assert _shows(DEPOT_UNITS, found)
    projection = [v for v in data["depot_projection"] if v > 10]
    assert projection
    assert any(_shows(v, found) for v in projection)
    # the planted commitment takes a line POL's promises wait for: a POL reason names it
    assert any(SECRET in t and "POL-FMS-GMLRS" in t for _, _, t in replies)
