"""The Capacity page's chart and table list tied lines in the same order (no browser)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a fresh process: the page registers itself with a Dash app, which would clash with the
# app the browser tests serve from this process.
SCRIPT = """
import json
from datetime import date

import dash
import polars as pl

dash.Dash("dashboards.app", use_pages=True, pages_folder="")
from dashboards.pages.capacity import ranking_rows
from reports.figures import capacity_ranking

m1, m2 = date(2026, 11, 1), date(2026, 12, 1)
values = pl.DataFrame(
    [("L3", "X", m1, 4.0), ("L1", "X", m1, 5.0), ("L1", "X", m2, 5.0), ("L2", "X", m1, 2.0),
     ("L2", "X", m2, 8.0), ("L0", "X", m2, 4.0), ("L9", "X", m1, 0.0)],
    schema={"source_id": pl.String, "item_id": pl.String, "month": pl.Date, "value": pl.Float64},
    orient="row",
)
bars = capacity_ranking(values).data[0]
print(json.dumps({
    "table": [f"{r[0]} {r[1]}" for r in ranking_rows(values)],
    "chart": list(reversed(bars.y)),
}))
"""


def test_capacity_chart_and_table_order_tied_lines_the_same_way() -> None:
    """L1 and L2 tie on the sum (10): L2 first (best month 8 > 5); L0 and L3 tie on sum and
    best month: by source id. L9 is worth nothing: in neither."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["table"] == got["chart"] == ["L2 X", "L1 X", "L0 X", "L3 X"]
