"""Crafted callback values (a negative or non-numeric budget, a list where a text belongs, a
lone surrogate, ``inf``, ``1e308``) get inline messages, never HTTP 500 and never ``$infB``;
a what-if is checked as strictly when saved as when run (bounded multipliers and budgets),
and a scenario file with such a value is refused naming the file, the override and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_helpers import (
    PASSWORD,
    UPDATE,
    HttpSession,
    callback_body,
    dependencies,
    pattern_indices,
    served,
)

from dashboards.scenario_form import CELLS
from dashboards.whatif_ids import cell_type
from pipeline.scenarios import read_scenario
from store.errors import InputRejected

CRAFTED: list[Any] = [
    -5,
    "-5",
    "abc",
    ["a", 1],
    {"x": 1},
    "\ud800",
    "inf",
    "1e308",
    1e308,
    True,
    "",
    10**30,
]
RUN = "..whatif-result-store.data...whatif-form-errors.children.."
ODDS = "..whatif-odds-job.data...whatif-odds-status.children.."
CELL_TYPES = {cell_type(kind, f.key) for kind, f in CELLS}
SAVE = (
    "..whatif-save-message.children...whatif-open-dropdown.options...whatif-base-dropdown.options.."
)


@pytest.fixture(scope="module")
def app_url(dash_env: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from dashboards.app import create_app

    scenarios = tmp_path_factory.mktemp("crafted-scenarios")
    # a crafted click on "Promise odds" may start a real job: two futures keep it small
    app = create_app(
        dash_env["db"], dash_env["users"], scenarios, secret_key="crafted", whatif_samples=2
    )
    with served(app) as url:
        yield url


def _default(key: str) -> Any:
    return 1 if key.endswith(".n_clicks") else None


def _crafted_calls(declared: list[dict]) -> Iterator[tuple[str, str, Any, str]]:
    """(output, slot, value, body): each callback with one input or state crafted at a time
    (a pattern-matching one: every row), the others as a fresh page sends them. The form's
    cells are crafted for the what-if run only: save, promise odds and the rows' editor read
    them with the same parser (``rows_from_cells``, ``form_to_doc``)."""
    indices = pattern_indices()
    for dep in declared:
        same_parser = dep["output"] in (SAVE, ODDS) or "whatif-rows" in dep["output"]
        specs = [*dep["inputs"], *dep.get("state", [])]
        slots = []
        for spec in specs:
            component = spec["id"]
            if component.startswith("{"):
                component = json.loads(component)["type"]
            slots.append(f"{component}.{spec['property']}")
        for slot in slots:
            if slot.endswith(".n_clicks"):
                continue  # a click count is never read
            if same_parser and slot.split(".")[0] in CELL_TYPES:
                continue
            for value in CRAFTED:
                values = {s: _default(s) for s in slots}
                values[slot] = value
                clicked = slot if slot.endswith(".cellClicked") else None
                yield dep["output"], slot, value, callback_body(dep, values, indices, clicked)


# a planner only: a liaison's calls are refused by the gate before any value is read (the
# callback sweep checks which), so crafting them again for a liaison tested only the gate
@pytest.mark.parametrize("user", ["plan"])
def test_crafted_values_never_give_a_server_error(app_url, user):
    session = HttpSession(app_url, user, PASSWORD)
    calls = 0
    for output, slot, value, body in _crafted_calls(dependencies(session)):
        status, text = session.post(UPDATE, body)
        calls += 1
        allowed = (200, 204, 400) + ((403,) if user == "pol" else ())
        assert status in allowed, (output[:80], slot, value, status, text[:300])
        if status == 400:  # only Dash's page router refuses: its location must be text
            assert slot.startswith("_pages_location."), (slot, value)
        assert "$inf" not in text
        assert "$nan" not in text
        assert "Traceback" not in text
    assert calls > 300


def _call(session: HttpSession, output: str, values: dict[str, Any]) -> str:
    declared = {d["output"]: d for d in dependencies(session)}
    body = callback_body(declared[output], values, pattern_indices())
    status, text = session.post(UPDATE, body)
    assert status == 200, (status, text[:300])
    return "\n".join(_texts(json.loads(text)))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (-5, "Budget: must not be negative."),
        ("abc", "Budget: 'abc' is not a number of USD."),
        (["a", 1], "Budget: a list is not a number of USD."),
        ("inf", "Budget: must be a finite number."),
        (1e308, "Budget: must be from 0 to 10,000,000,000,000 USD."),
        ("\ud800", "Budget: a str is not a number of USD."),
    ],
)
def test_a_crafted_budget_on_the_capacity_page_gets_an_inline_message(app_url, budget, message):
    session = HttpSession(app_url, "plan", PASSWORD)
    text = _call(session, "capacity-investment.children", {"capacity-budget-slider.value": budget})
    assert message in text
    assert "$inf" not in text


def _whatif(session: HttpSession, output: str, **fields: Any) -> str:
    values = {
        "whatif-run-button.n_clicks": 1,
        "whatif-save-button.n_clicks": 1,
        "whatif-name.value": "crafted",
        "whatif-description.value": "",
        "whatif-base-dropdown.value": "baseline",
        "whatif-budget.value": "",
        "whatif-capacity-source.value": ["BOEING_HARPOON", None, None],
        "whatif-capacity-item.value": ["HARPOON", None, None],
        "whatif-capacity-multiply.value": ["2", "", ""],
        "whatif-capacity-from.value": ["2026-11", "", ""],
    }
    values |= {f"whatif-{k.replace('_', '-')}.value": v for k, v in fields.items()}
    return _call(session, output, values)


@pytest.mark.parametrize("output", [RUN, SAVE])
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"budget": "inf"}, "Budget: must be a finite number."),
        ({"budget": "1e308"}, "Budget: must be from 0 to 10,000,000,000,000 USD."),
        ({"budget": "-5"}, "Budget: must not be negative."),
        ({"budget": "abc"}, "Budget: 'abc' is not a number of USD."),
        ({"description": "a \ud800 b"}, "Description: holds characters that are not text"),
        ({"name": ["a"]}, "Name: a list is not text."),
        (
            {"capacity_multiply": ["1e308", "", ""]},
            "Capacity changes (one of x, + or =), row 1, multiply '1e+308': must be from 0 to 1,000.",
        ),
        (
            {"capacity_source": [["BOEING_HARPOON"], None, None]},
            "Capacity changes (one of x, + or =), row 1: source: a list is not text.",
        ),
    ],
)
def test_a_crafted_whatif_is_refused_inline_alike_when_run_and_when_saved(
    app_url, output, fields, message
):
    session = HttpSession(app_url, "plan", PASSWORD)
    text = _whatif(session, output, **fields)
    assert message in text
    assert "Saved " not in text


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        (
            '[[capacity]]\nsource = "S"\nitem = "I"\nfrom = "2026-01"\n',
            "capacity.multiply",
            "1e308",
        ),
        ('[[demand]]\nholder = "H"\nitem = "I"\nfrom = "2026-01"\n', "demand.multiply", "1001"),
        ("", "budget_usd", "1e14"),
    ],
)
def test_a_scenario_file_out_of_bounds_is_refused_naming_the_file_override_and_field(
    tmp_path, table, column, value
):
    key = column.rsplit(".", 1)[-1]
    path = tmp_path / "huge.toml"
    text = 'name = "huge"\ndescription = "out of bounds"\n'
    path.write_text(text + (table + f"{key} = {value}\n" if table else f"{key} = {value}\n"))
    with pytest.raises(InputRejected) as refused:
        read_scenario(path)
    [problem] = [p for p in refused.value.problems if p.column == column]
    assert problem.file == str(path)
    assert problem.line == (1 if table else None)
    assert "must be from 0 to" in problem.reason
