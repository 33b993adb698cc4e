"""Helpers the dashboard tests and bench share."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"
ARTIFACTS = ROOT / "tests" / "artifacts" / "dashboard"
TIMEOUT_MS = 20_000


def cell(kind: str, key: str, index: int = 0) -> str:
    """The selector of a what-if form cell (Dash writes dict ids as sorted, compact JSON)."""
    return f'[id=\'{{"index":{index},"type":"whatif-{kind}-{key}"}}\']'


_GRID_JS = """(id) => {
  const api = window.dash_ag_grid && window.dash_ag_grid.getApi(id);
  if (!api) return null;
  const columns = api.getAllDisplayedColumns();
  const rows = [];
  api.forEachNodeAfterFilterAndSort(node => rows.push({
    id: node.id,
    late: !!(node.data && node.data.late === true),
    cells: columns.map(c => {
      const v = api.getCellValue({rowNode: node, colKey: c, useFormatter: true});
      return [c.getColDef().headerName, v == null ? '' : String(v)];
    }),
  }));
  return rows;
}"""


def grid_rows(page: Any, grid_id: str) -> list[dict[str, str]]:
    """The rows of a data grid (dashboards/grid.py) as filtered and sorted, each header ->
    the cell's text as the grid draws it (its formatter applied), read through the grid's
    own API: a long grid draws only the rows in view."""
    return [dict(r["cells"]) for r in page.evaluate(_GRID_JS, grid_id) or []]


def grid_row_ids(page: Any, grid_id: str, late: bool | None = None) -> list[str]:
    """The row ids (the grid's key column), in the grid's order; ``late``: only the red rows,
    or only the others."""
    rows = page.evaluate(_GRID_JS, grid_id) or []
    return [r["id"] for r in rows if late is None or r["late"] == late]


def grids_text(page: Any) -> str:
    """Every cell of every data grid on the page, one row a line: with the page's drawn text,
    what the page shows (a grid's rows out of view are not in the page's text)."""
    ids = page.evaluate(
        "() => Array.from(document.querySelectorAll('.grid-export[data-grid]'))"
        ".map(b => b.getAttribute('data-grid'))"
    )
    return "\n".join("\t".join(r.values()) for i in ids for r in grid_rows(page, i))


def cut_grid_texts(page: Any) -> list[str]:
    """The drawn cell and header texts of the page's data grids that do not fit their column
    (columns that share the width left, long text clipped with a tooltip, are not counted)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.grid-export[data-grid]')].flatMap(b => {
          const id = b.getAttribute('data-grid');
          const api = window.dash_ag_grid.getApi(id);
          const shared = new Set(api.getColumnDefs().filter(d => d.flex).map(d => d.field));
          return [...document.querySelectorAll(
              `#${id} .ag-cell[col-id], #${id} .ag-header-cell[col-id]`)]
            .filter(c => !shared.has(c.getAttribute('col-id')))
            .map(c => c.querySelector('.ag-cell-value, .ag-header-cell-text'))
            .filter(e => e && e.scrollWidth > e.clientWidth + 1)
            .map(e => `${id}: ${e.textContent}`);
        })"""
    )


def click_grid_row(page: Any, grid_id: str, row_id: str | None = None) -> None:
    """Click the row whose id is ``row_id`` (None: the first row) of a data grid, scrolled
    into view first as a planner would."""
    if row_id is None:
        row_id = grid_row_ids(page, grid_id)[0]
    page.evaluate(
        "([id, row]) => { const api = window.dash_ag_grid.getApi(id);"
        " api.ensureNodeVisible(api.getRowNode(row), 'middle'); }",
        [grid_id, row_id],
    )
    rows = f"#{grid_id} .ag-body [role=row][row-id={json.dumps(row_id)}]"
    # near the cell's top: the last row of a short grid sits under the grid's horizontal
    # scrollbar, which overlays the bottom of the row (a planner clicks what they can see)
    page.locator(f"{rows} [role=gridcell]").first.click(position={"x": 6, "y": 4})


def whatif_body(body: str, name: str, factor: float) -> str:
    """A captured what-if run request with another scenario name and first capacity factor."""
    payload = json.loads(body)
    for state in payload["state"]:
        if isinstance(state, list):  # a pattern-matching (ALL) state: one entry per row
            for entry in state:
                if entry["id"] == {"index": 0, "type": "whatif-capacity-multiply"}:
                    entry["value"] = str(factor)
        elif state["id"] == "whatif-name":
            state["value"] = name
    return json.dumps(payload)


class HttpSession:
    """A logged-in HTTP client of its own (cookies included), for threads and the bench."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = urllib.parse.urlencode({"name": user, "password": password, "next": "/"}).encode()
        with self.opener.open(base + "/login", data=form, timeout=30) as reply:
            if "/login" in reply.url:
                raise RuntimeError(f"login as {user} failed")

    def post_json(self, url: str, body: str) -> dict:
        request = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with self.opener.open(request, timeout=120) as reply:
            return json.loads(reply.read())

    def post(self, path: str, body: str) -> tuple[int, str]:
        """POST a JSON ``body`` to ``path``: the status and the text, whatever the status."""
        request = urllib.request.Request(
            self.base + path,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=120) as reply:
                return reply.status, reply.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as reply:
                return reply.status, reply.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")


# -- a logged-in browser session (playwright) ---------------------------------------------------


@dataclass
class Session:
    """One logged-in browser context and page, with the console errors it saw."""

    page: object
    context: object
    base: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str, ready: str) -> None:
        """Open ``path`` and wait until ``ready`` is visible and no callback is pending."""
        self.page.goto(self.base + path)
        self.page.wait_for_selector(ready, state="visible", timeout=TIMEOUT_MS)
        self.idle()

    def idle(self) -> None:
        self.page.wait_for_function(
            "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
            " && !document.querySelector('.dash-spinner, ._dash-loading-callback')",
            timeout=TIMEOUT_MS,
        )

    def choose(self, dropdown: str, value: str) -> None:
        """Pick ``value`` in a dcc.Dropdown (an id, or a selector starting with '#' or '['):
        open it, click the option, then wait for callbacks."""
        self.page.click(dropdown if dropdown[0] in "#[" else f"#{dropdown}")
        self.page.get_by_role("option", name=value, exact=True).click()
        if self.page.locator("[role=listbox], [role=option]").count():
            self.page.keyboard.press("Escape")
        self.idle()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_session(browser: object, base: str, user: str | None) -> Session:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    session = Session(page, context, base)
    page.on("console", lambda m: session.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: session.errors.append(str(e)))
    page.on("request", lambda r: session.requests.append(r.url))
    if user is not None:
        page.goto(base + "/login")
        page.fill("#login-name", user)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#app-user-name", timeout=TIMEOUT_MS)
    return session


def run_result(reply: dict) -> dict | None:
    """The what-if result a run callback reply carries (None when it carried errors)."""
    store = reply.get("response", {}).get("whatif-result-store")
    return None if store is None else store["data"]


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The Dash ``app`` served on a free local port by a threaded werkzeug server: its URL."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- calling a callback the way the browser does (POST /_dash-update-component) ---------------

UPDATE = "/_dash-update-component"


def _id_key(component: Any) -> str:
    """A component id as Dash writes it in ``changedPropIds`` (dicts as sorted compact JSON)."""
    if isinstance(component, dict):
        return json.dumps(component, sort_keys=True, separators=(",", ":"))
    return str(component)


def parse_id(text: str) -> Any:
    """A component id from ``/_dash-dependencies`` (a pattern-matching id is JSON text)."""
    return json.loads(text) if text.startswith("{") else text


def is_pattern(component: Any) -> bool:
    return isinstance(component, dict) and any(v == ["ALL"] for v in component.values())


def output_specs(output: str) -> list[tuple[Any, str]]:
    """The (id, property) of each output of a callback's output key."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(parse_id(p.rsplit(".", 1)[0]), p.rsplit(".", 1)[1]) for p in parts]


def callback_body(
    dependency: dict,
    values: dict[str, Any],
    indices: dict[str, list[Any]],
    triggered: str | None = None,
) -> str:
    """The JSON body of one call of the callback ``dependency`` (an entry of
    ``/_dash-dependencies``). ``values`` maps ``"id.property"`` (a pattern's type for a
    pattern-matching id) to the value sent; ``indices`` maps a pattern's type to the indices
    of its components on the page (a pattern's value is then one value per index, or a single
    value for every index); ``triggered`` is the ``"id.property"`` of the input that changed
    (default: the first)."""

    def concrete(component: Any) -> list[dict]:
        return [{**component, "index": i} for i in indices.get(component["type"], [])]

    def entry(spec: dict) -> Any:
        component, prop = parse_id(spec["id"]), spec["property"]
        if is_pattern(component):
            value = values.get(f"{component['type']}.{prop}")
            members = concrete(component)
            if not isinstance(value, list) or len(value) != len(members):
                value = [value] * len(members)
            return [
                {"id": m, "property": prop, "value": v} for m, v in zip(members, value, strict=True)
            ]
        return {"id": component, "property": prop, "value": values.get(f"{component}.{prop}")}

    outputs = []
    for component, prop in output_specs(dependency["output"]):
        if is_pattern(component):
            outputs.append([{"id": m, "property": prop} for m in concrete(component)])
        else:
            outputs.append({"id": component, "property": prop})
    inputs = [entry(i) for i in dependency["inputs"]]
    if triggered is None:
        first = inputs[0][0] if isinstance(inputs[0], list) and inputs[0] else inputs[0]
        triggered = f"{_id_key(first['id'])}.{first['property']}" if first else ""
    return json.dumps(
        {
            "output": dependency["output"],
            "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": [entry(s) for s in dependency.get("state", [])],
            "changedPropIds": [triggered] if triggered else [],
        }
    )


def pattern_indices() -> dict[str, list[Any]]:
    """The indices of each pattern-matching component type on the pages: the what-if form's
    rows."""
    from dashboards.scenario_form import FORM
    from dashboards.whatif_ids import cell_type

    indices: dict[str, list[Any]] = {}
    for kind, (rows, fields) in FORM.items():
        for f in fields:
            indices[cell_type(kind, f.key)] = list(range(rows))
    return indices


def dependencies(session: HttpSession) -> list[dict]:
    """The server-side callbacks the app declares (``/_dash-dependencies``)."""
    status, text = session.get("/_dash-dependencies")
    assert status == 200, status
    return [d for d in json.loads(text) if not d.get("clientside_function")]
