"""``arsenal users`` and ``arsenal serve``, and the form <-> scenario file conversions (no browser)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tomllib
import urllib.request

import pytest
from dashboard_helpers import ROOT

from arsenal.cli import main as arsenal_main
from dashboards.auth import read_users, verify_login
from dashboards.scenario_form import FORM, blank_form, doc_to_form, form_to_doc
from pipeline.whatif import scenario_from_doc


def _add(monkeypatch, users, *argv, password="a-long-password"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return arsenal_main(["users", "add", *argv, "--users", str(users), "--password-stdin"])


def test_users_file_holds_only_hashes_and_checks_roles(tmp_path, monkeypatch):
    users = tmp_path / "users.toml"
    assert _add(monkeypatch, users, "ann", "--role", "planner") == 0
    assert _add(monkeypatch, users, "gb", "--role", "liaison", "--partner", "GBR") == 0
    text = users.read_text()
    assert "a-long-password" not in text
    assert text.count("$argon2id$") == 2
    assert (users.stat().st_mode & 0o077) == 0
    assert verify_login(users, "ann", "a-long-password").role == "planner"
    assert verify_login(users, "gb", "a-long-password").partner == "GBR"
    assert verify_login(users, "ann", "wrong-password") is None
    assert verify_login(users, "nobody", "a-long-password") is None
    assert _add(monkeypatch, users, "x", "--role", "liaison") == 2  # no partner
    assert _add(monkeypatch, users, "y", "--role", "viewer", password="short") == 2
    assert _add(monkeypatch, users, "z", "--role", "viewer", "--partner", "GBR") == 2
    assert set(read_users(users)) == {"ann", "gb"}


def test_serve_prints_its_address_and_requires_a_login(tmp_path, monkeypatch):
    users = tmp_path / "users.toml"
    _add(monkeypatch, users, "ann", "--role", "viewer")
    db = tmp_path / "a.duckdb"
    assert arsenal_main(["load", str(ROOT / "tests" / "fixtures" / "tiny"), "--db", str(db)]) == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "arsenal.cli", "serve", "--db", str(db), "--users", str(users)]
        + ["--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("Arsenal dashboard on http://127.0.0.1:")
        base = line.split()[3].rstrip("/")
        with urllib.request.urlopen(base + "/backlog", timeout=30) as reply:
            assert reply.url.startswith(base + "/login?next=/backlog")
            assert 'name="password"' in reply.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_app_is_set_up_before_the_workers_fork(tmp_path, monkeypatch):
    """Every script an index page asks for is known to the app before any worker's first
    request (``serve_dashboard`` sets it up in the parent process): a worker never answers a
    script from a half-made list, as one did under load."""
    from dashboards.app import create_app
    from dashboards.server import set_up_before_fork

    users = tmp_path / "users.toml"
    _add(monkeypatch, users, "ann", "--role", "viewer")
    db = tmp_path / "a.duckdb"
    assert arsenal_main(["load", str(ROOT / "tests" / "fixtures" / "tiny"), "--db", str(db)]) == 0
    app = create_app(db, users, tmp_path / "sc", secret_key="t")
    assert not app.registered_paths  # Dash fills it on a process's first request
    set_up_before_fork(app)
    known = {f"{k}/{p}" for k, paths in app.registered_paths.items() for p in paths}
    client = create_app(db, users, tmp_path / "sc", secret_key="t").server.test_client()
    client.post("/login", data={"name": "ann", "password": "a-long-password", "next": "/login"})
    index = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'src="/_dash-component-suites/([^/"]+)/([^"?]+)', index)
    assert len(scripts) > 5
    # the fingerprint (".v1_2_3m456") is not part of the registered path
    plain = {f"{k}/{re.sub(r'[.]v[0-9_]+m[0-9]+', '', p)}" for k, p in scripts}
    assert plain <= known


def test_serve_without_users_says_how_to_add_one(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    assert arsenal_main(["load", str(ROOT / "tests" / "fixtures" / "tiny"), "--db", str(db)]) == 0
    code = arsenal_main(["serve", "--db", str(db), "--users", str(tmp_path / "none.toml")])
    assert code == 2
    assert "arsenal users add" in capsys.readouterr().err


def _filled() -> dict:
    rows = blank_form()
    rows["capacity"][0] |= {
        "source": "US_PLANT",
        "item": "155MM",
        "multiply": "2",
        "from": "2026-01",
    }
    rows["outage"][1] |= {"source": "LM_CAMDEN", "from": "2026-03", "until": "2026-04"}
    rows["demand"][0] |= {"holder": "UKR", "item": "155MM", "multiply": "1.5", "from": "2026-02"}
    rows["commitment"][0] |= {
        "action": "add",
        "id": "NEW-1",
        "partner": "POL",
        "item": "155MM",
        "quantity": "1000",
        "promised": "2026-06",
        "priority": 2,
    }
    rows["route"][0] |= {
        "source": "EU_STOCK",
        "partner": "TWN",
        "allowed": "open",
        "lead_time_months": "3",
    }
    return rows


def test_a_filled_form_is_a_valid_scenario_file_and_opens_back_into_the_form():
    doc, problems = form_to_doc("all-kinds", "", "baseline", "1e9", _filled())
    assert problems == []
    scenario = scenario_from_doc(doc)
    kinds = sorted((o.kind, o.index) for o in scenario.overrides)
    assert kinds == [("capacity", 1), ("commitment", 1), ("demand", 1), ("outage", 1), ("route", 1)]
    assert scenario.budget_usd == 1e9
    rows, why = doc_to_form(doc)
    assert why == ""
    # Empty rows are dropped when saving, so the outage typed in row 2 reopens in row 1.
    expected = _filled()
    expected["outage"] = [expected["outage"][1], expected["outage"][0]]
    for kind, (_, fields) in FORM.items():
        for got, want in zip(rows[kind], expected[kind], strict=True):
            for f in fields:
                assert (got[f.key] or None) == (want[f.key] or None), (kind, f.key)


def test_form_problems_name_the_row_and_the_cell():
    rows = blank_form()
    rows["capacity"][1] |= {"source": "US_PLANT", "multiply": "x2"}
    rows["route"][0] |= {"partner": "TWN", "lead_time_months": "1.5"}
    _, problems = form_to_doc("", None, "baseline", "-5", rows)
    assert problems == [
        "Name: give the scenario a name (letters, digits, '-' or '_').",
        "Budget: must not be negative.",
        "Capacity changes (one of x, + or =), row 2: give the item.",
        "Capacity changes (one of x, + or =), row 2: x capacity 'x2' is not a number.",
        "Capacity changes (one of x, + or =), row 2: give the from YYYY-MM.",
        "Open or close a route, row 1: lead time (months) '1.5' is not a whole number.",
    ]


def test_a_scenario_with_more_rows_than_shown_opens_with_all_of_them():
    outage = {"source": "A", "from": "2027-01"}
    rows, why = doc_to_form({"name": "x", "outage": [outage] * 3})
    assert why == ""
    assert rows is not None
    assert len(rows["outage"]) == 3 > FORM["outage"][0]
    assert [r["source"] for r in rows["outage"]] == ["A", "A", "A"]
    assert len(rows["capacity"]) == FORM["capacity"][0]  # the others keep their rows


def test_a_scenario_the_form_cannot_show_is_refused_by_doc_to_form():
    rows, why = doc_to_form({"name": "x", "capacity": [{"source": "A", "scale": 5}]})
    assert rows is None
    assert "scale" in why


def test_every_kind_a_scenario_file_can_hold_opens_in_the_form():
    """Each sample scenario opens into the form (with as many rows as it has of a kind) and
    the form gives back the same overrides."""
    opened = set()
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        rows, why = doc_to_form(doc)
        if any(k not in FORM for k, v in doc.items() if isinstance(v, list)):
            assert rows is None
            continue
        assert rows is not None, (path.name, why)
        opened.add(doc["name"])
        budget = doc.get("budget_usd")
        again, problems = form_to_doc(
            doc["name"],
            doc.get("description"),
            doc.get("base"),
            "" if budget is None else str(budget),
            rows,
            str(doc.get("cost_usd", "")),
        )
        assert problems == [], (path.name, problems)
        a, b = scenario_from_doc(doc), scenario_from_doc(again)
        assert sorted((o.kind, sorted(o.values.items())) for o in a.overrides) == sorted(
            (o.kind, sorted(o.values.items())) for o in b.overrides
        ), path.name
        assert (a.budget_usd, a.cost_usd) == (b.budget_usd, b.cost_usd), path.name
    # every kind the scenario files use is among them
    assert {"coproduction-poland", "export-reform", "ukr-surge", "camden-motor-shortfall"} <= opened


@pytest.mark.parametrize("name", ["baseline", "../escape", "with space"])
def test_bad_scenario_names_are_refused(name):
    _, problems = form_to_doc(name, "", "baseline", "", blank_form())
    assert problems
    assert problems[0].startswith("Name:")
