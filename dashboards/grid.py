"""The pages' data tables on AG Grid (dash-ag-grid): sorting, filtering, a pinned first column
and CSV export come with the grid instead of being hand-built.

A grid shows a polars frame: months as ``YYYY-MM`` (text, so they sort and filter as months),
numbers kept as numbers (so they sort by value) and drawn with thousands separators, yes/no for
flags. With ``names``, a partner, item, source or holder id shows its display name and the id
in the cell's tooltip. With ``key``, each row's id is its ``key`` value: a page reads the clicked
row from the grid's ``cellClicked["rowId"]``. A row whose ``late`` column is true is drawn red.
The "Export rows (CSV)" button is wired in the browser (``assets/grid_export.js``): no server call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash_ag_grid as dag
import polars as pl
from dash import html

from dashboards.ui import fmt_month

__all__ = [
    "NAMED_COLUMNS",
    "clicked_row",
    "data_grid",
    "export_button_id",
    "grid_placeholder",
    "grid_records",
]

NAMED_COLUMNS = ("partner_id", "item_id", "source_id", "holder_id")
"""Columns whose ids have display names."""

PAGE_SIZE = 500
"""Rows per page of a grid; fewer rows show on one page with no pager."""

SHORT = 12
"""A grid of at most this many rows is as tall as its rows; a longer one scrolls in a box that
draws only the rows in view (and a few around them)."""

_ID_SUFFIX = "__id"


def export_button_id(grid_id: str) -> str:
    return f"{grid_id}-export"


def grid_records(
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str]],
    names: Mapping[str, str] | None = None,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """The grid's rows: the shown columns (and ``key``, ``late``), months as text, named ids as
    names with the id beside them under ``COLUMN__id``."""
    wanted = [c for c, _ in columns]
    extra = [c for c in (key, "late") if c and c in frame.columns and c not in wanted]
    records = []
    for row in frame.select(wanted + extra).iter_rows(named=True):
        record: dict[str, Any] = {}
        for column, value in row.items():
            if isinstance(value, date):
                value = fmt_month(value)
            if names and column in NAMED_COLUMNS and isinstance(value, str):
                record[column + _ID_SUFFIX] = value
                value = names.get(value, value)
            record[column] = value
        records.append(record)
    return records


NUMBER_FORMAT = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
"""Whole numbers with thousands separators (the grids show units)."""


CHAR_PX = 8
"""Width given to a character of a cell or header (the theme's 14 px sans-serif averages ~7 px)."""
CELL_PX = 36
"""A column's width beyond its text: padding, and the header's sort and menu icons."""
WIDEST_PX = 520


def _width(records: Sequence[Mapping[str, Any]], column: str, header: str, numeric: bool) -> int:
    """A column's width from its longest text (header or cell, numbers as drawn with their
    separators), estimated on the server: the grid's own ``autoSize`` measures every drawn
    cell in the browser, which cost each page with a grid a few hundred milliseconds."""
    longest = len(header)
    for record in records:
        value = record.get(column)
        if value is None:
            continue
        text = f"{value:,.0f}" if numeric and isinstance(value, int | float) else str(value)
        longest = max(longest, len(text))
    return min(WIDEST_PX, max(90, longest * CHAR_PX + CELL_PX))


USD_FORMAT = {
    "function": "params.value == null ? '' : Math.abs(params.value) >= 1e9"
    " ? '$' + d3.format(',.2f')(params.value / 1e9) + 'B'"
    " : Math.abs(params.value) >= 1e6 ? '$' + d3.format(',.1f')(params.value / 1e6) + 'M'"
    " : '$' + d3.format(',.0f')(params.value)"
}
"""USD as ``dashboards.ui.fmt_usd`` writes it ($1.23B, $4.5M, $678), the value a number."""


def _column_defs(
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str]],
    names: Mapping[str, str] | None,
    wrap: Sequence[str],
    clip: Sequence[str],
    usd: Sequence[str],
    records: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    defs = []
    for i, (column, header) in enumerate(columns):
        dtype = frame.schema.get(column, pl.Utf8)
        spec: dict[str, Any] = {
            "field": column,
            "headerName": header,
            "headerTooltip": header,
            "width": _width(records, column, header, dtype.is_numeric()),
        }
        if dtype == pl.Boolean:
            spec["valueFormatter"] = {"function": "params.value ? 'yes' : 'no'"}
        elif dtype.is_numeric():
            spec["filter"] = "agNumberColumnFilter"
            spec["valueFormatter"] = USD_FORMAT if column in usd else NUMBER_FORMAT
            spec["type"] = "rightAligned"
        if names and column in NAMED_COLUMNS:
            spec["tooltipField"] = column + _ID_SUFFIX
        if column in wrap:
            spec |= {"wrapText": True, "autoHeight": True, "flex": 1, "minWidth": 260}
        if column in clip:
            spec |= {"flex": 1, "minWidth": 220, "tooltipField": column}
        if i == 0:
            spec["pinned"] = "left"
        defs.append(spec)
    return defs


def data_grid(
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str]],
    grid_id: str,
    *,
    key: str | None = None,
    names: Mapping[str, str] | None = None,
    wrap: Sequence[str] = (),
    clip: Sequence[str] = (),
    usd: Sequence[str] = (),
    file_name: str | None = None,
) -> html.Div:
    """``frame``'s ``columns`` (field, header) on a grid with the id ``grid_id``, and a button that
    downloads the rows as filtered and sorted as CSV (``file_name``, else ``grid_id.csv``). The
    ``wrap`` columns (long text) wrap and share the width left; ``clip`` columns share it on one
    line, the whole text in the tooltip (rows stay one line high: quicker to draw); the others
    are as wide as their longest text. ``usd`` columns (numbers) are drawn as US dollars."""
    tall = frame.height > SHORT
    options: dict[str, Any] = {
        "domLayout": None if tall else "autoHeight",
        "tooltipShowDelay": 300,
        "enableCellTextSelection": True,
        "suppressCellFocus": key is None,
        "rowClassRules": {"late": "params.data.late === true"},
        "animateRows": False,
        "suppressColumnVirtualisation": True,
    }
    if frame.height > PAGE_SIZE:
        options |= {"pagination": True, "paginationPageSize": PAGE_SIZE}
        options["paginationPageSizeSelector"] = [100, PAGE_SIZE]
    records = grid_records(frame, columns, names, key)
    grid = dag.AgGrid(
        id=grid_id,
        rowData=records,
        columnDefs=_column_defs(frame, columns, names, wrap, clip, usd, records),
        defaultColDef={
            "sortable": True,
            "filter": True,
            "floatingFilter": True,
            "resizable": True,
            "minWidth": 90,
        },
        dashGridOptions={k: v for k, v in options.items() if v is not None},
        getRowId=f"params.data[{key!r}]" if key else None,
        csvExportParams={"fileName": file_name or f"{grid_id}.csv"},
        className="ag-theme-quartz grid" + (" clickable" if key else ""),
        style={"width": "100%", "height": "30rem"} if tall else {"width": "100%"},
    )
    return html.Div(
        [
            html.Button(
                "Export rows (CSV)",
                id=export_button_id(grid_id),
                className="secondary small grid-export",
                **{"data-grid": grid_id},
            ),
            grid,
        ],
        className="grid-box",
    )


def grid_placeholder(grid_id: str) -> dag.AgGrid:
    """An empty, hidden grid: it keeps ``grid_id`` in a page's layout while there are no rows to
    show (Dash checks every callback's inputs against the layout it validates with)."""
    return dag.AgGrid(id=grid_id, rowData=[], columnDefs=[], style={"display": "none"})


def clicked_row(cell: Any) -> str | None:
    """The row id (the ``key`` value) of a grid's ``cellClicked``, when it is text."""
    if isinstance(cell, dict) and isinstance(cell.get("rowId"), str):
        return cell["rowId"]
    return None
