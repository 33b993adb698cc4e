"""plotly.js starts loading while the server draws a chart page (``assets/plotly_early.js``):
once per page, only on the pages that hold a chart, and the charts still draw."""

from __future__ import annotations

import re
from pathlib import Path

import dash
import pytest
from dash import dcc

pytestmark = pytest.mark.browser

ASSET = Path(__file__).resolve().parents[2] / "dashboards" / "assets" / "plotly_early.js"
PLOTLY_LOADS = (
    "() => performance.getEntriesByType('resource')"
    ".filter(e => e.name.endsWith('/plotly.min.js')).length"
)

STARTED_AND_CONTENT = """() => {
  const all = performance.getEntriesByType('resource');
  const plotly = all.find(e => e.name.endsWith('/plotly.min.js'));
  const calls = all.filter(e => e.name.includes('_dash-update-component'));
  return [plotly.startTime, Math.max(...calls.map(e => e.responseEnd))];
}"""


def _graphs(component: object) -> bool:
    if isinstance(component, dcc.Graph):
        return True
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str | int | float):
        return False
    if not isinstance(children, list | tuple):
        children = [children]
    return any(_graphs(c) for c in children)


def test_the_asset_lists_exactly_the_pages_that_hold_a_chart(dash_url):
    listed = re.search(r"CHART_PAGES = \[([^\]]*)\]", ASSET.read_text(encoding="utf-8"))
    assert listed
    named = set(re.findall(r'"([^"]+)"', listed.group(1)))
    # the layouts outside a request (the shared validation layout): every component, no data
    charts = {
        page["path"]
        for page in dash.page_registry.values()
        if _graphs(page["layout"]() if callable(page["layout"]) else page["layout"])
    }
    assert charts
    assert named == charts


def test_a_chart_page_loads_plotly_once_and_draws_a_page_without_charts_does_not(login):
    session = login("plan")
    session.goto("/stocks", "#stocks-fan-graph .main-svg")
    session.idle()
    assert session.page.evaluate(PLOTLY_LOADS) == 1
    # requested while the server drew the page: before the page's content came back
    started, content_back = session.page.evaluate(STARTED_AND_CONTENT)
    assert started < content_back
    assert session.page.evaluate("() => typeof window.Plotly.react") == "function"
    assert session.page.locator("#stocks-consumption-graph .main-svg").count() >= 1
    session.goto("/", "#overview-late-count")
    session.idle()
    assert session.page.evaluate(PLOTLY_LOADS) == 0
    assert session.errors == []
