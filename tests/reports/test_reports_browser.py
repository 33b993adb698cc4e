"""The report drawn by headless Chromium, offline: every chart drawn, no console errors."""

from __future__ import annotations

import json

import pytest
from reports_helpers import Night

pytestmark = pytest.mark.browser


def test_every_chart_is_drawn_offline_without_errors(night: Night, browser):
    summary = json.loads((night.folder / "summary.json").read_text())
    expected = sum(summary["charts"].values())
    errors, requests = [], []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((night.folder / "report.html").as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
            timeout=20000,
        )
        plots = page.locator(".js-plotly-plot")
        assert plots.count() == expected
        for i in range(expected):
            box = plots.nth(i).bounding_box()
            assert box
            assert box["width"] > 100
            assert box["height"] > 100
        assert page.locator(".js-plotly-plot .sankey .sankey-link").count() > 0
        empty_ranking = "No extra capacity would reduce lateness" in page.content()
        assert empty_ranking or page.locator(".js-plotly-plot .bars path").count() > 0
        assert page.locator(".js-plotly-plot .scatterlayer .trace").count() > 0
    finally:
        context.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
