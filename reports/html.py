"""The nightly report as one self-contained HTML page (plotly.js inlined once; no network),
laid out for print: the first page is the executive summary, then a contents list, the
body, and the appendix. A section marked ``wide`` prints on landscape pages; table rows
never split across pages; a table's header repeats on every page it spans."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["Section", "render_report", "table"]

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2733;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; font-size: 13px; }
h1 { font-size: 21px; margin: 0 0 4px; } h2 { font-size: 17px; margin-top: 26px;
     border-bottom: 1px solid #9aa4ae; padding-bottom: 3px; } h3 { font-size: 14px; margin: 14px 0 4px; }
table { border-collapse: collapse; font-size: 11px; margin: 6px 0 12px; width: 100%; }
th, td { border: 1px solid #b9c1c9; padding: 2px 5px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eceff2; overflow-wrap: normal; } td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums;
     white-space: nowrap; overflow-wrap: normal; }
thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
.stamp { font-size: 11px; color: #4a545e; } .note { font-size: 11px; color: #4a545e; }
.chart { break-inside: avoid; page-break-inside: avoid; margin-bottom: 8px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; }
.summary p { margin: 6px 0; line-height: 1.35; } .summary ul { margin: 4px 0 8px; padding-left: 18px; }
.summary li { margin: 2px 0; } .summary table { width: auto; min-width: 55%; font-size: 12px; }
.contents ol { columns: 2; margin: 4px 0; } .contents li { margin: 1px 0; }
section { break-inside: auto; }
@page { size: letter portrait; margin: 11mm 10mm; }
@page wide { size: letter landscape; margin: 10mm 10mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .summary { break-after: page; page-break-after: always; }
  .wide { page: wide; }
  .appendix-start { break-before: page; page-break-before: always; }
  .nav { display: none; }
}
"""


class Section:
    """A heading, then HTML fragments and figures in order. ``wide``: printed on landscape
    pages; ``appendix``: after the body, in the appendix."""

    def __init__(self, title: str, anchor: str, *, wide: bool = False, appendix: bool = False):
        self.title = title
        self.anchor = anchor
        self.wide = wide
        self.appendix = appendix
        self.parts: list[str | go.Figure | list[go.Figure]] = []

    def text(self, fragment: str) -> Section:
        self.parts.append(fragment)
        return self

    def figure(self, fig: go.Figure) -> Section:
        self.parts.append(fig)
        return self

    def figures(self, figs: Sequence[go.Figure]) -> Section:
        """Figures two to a row."""
        if figs:
            self.parts.append(list(figs))
        return self


_SHORT = re.compile(r"^(\d{4}-\d{2}(-\d{2})?|[-+$]?[\d.,]+[kMB%]?( \([-+$\d.,kMB%]+\))?)$")
"""Months, dates and short figures: kept on one line."""


def _cell(value: Any) -> str:
    if value is None:
        return "<td>-</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, str) and _SHORT.match(value):
        return f'<td class="nowrap">{html.escape(value)}</td>'
    if isinstance(value, int | float):
        value = value + 0 if value != 0 else 0
        text = (
            f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
        )
        return f'<td class="num">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    empty: str = "None.",
    widths: Sequence[int] | None = None,
) -> str:
    """An HTML table; numbers right-aligned, None as '-'. ``widths``: column widths in
    percent (text wraps inside them)."""
    if not rows:
        return f'<p class="note">{html.escape(empty)}</p>'
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    fixed = ' style="table-layout:fixed"' if widths else ""
    return f"<table{fixed}>{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Figures:
    """Figures as HTML divs; the first carries plotly.js, the others reuse it."""

    def __init__(self) -> None:
        self.first = True

    def div(self, fig: go.Figure) -> str:
        out = pio.to_html(
            fig,
            include_plotlyjs=self.first,
            full_html=False,
            config={"displayModeBar": False, "responsive": True, "staticPlot": True},
        )
        self.first = False
        return f'<div class="chart">{out}</div>'


def _numbering(sections: Sequence[Section]) -> list[str]:
    body = [s for s in sections if not s.appendix]
    appendix = [s for s in sections if s.appendix]
    labels = {id(s): f"{i}." for i, s in enumerate(body, 1)}
    labels |= {id(s): f"{chr(ord('A') + i)}." for i, s in enumerate(appendix)}
    return [labels[id(s)] for s in sections]


def render_report(title: str, stamp: str, sections: Sequence[Section], summary: str = "") -> str:
    """The whole page: title, stamp and ``summary`` (the first page), a contents list, the
    body sections, then the appendix sections."""
    sections = sorted(sections, key=lambda s: s.appendix)  # stable: body, then appendix
    labels = _numbering(sections)
    figures = _Figures()
    contents = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(label)} {html.escape(s.title)}</a></li>'
        for s, label in zip(sections, labels, strict=True)
    )
    body: list[str] = [
        f'<nav class="contents" id="contents"><h2>Contents</h2><ol style="list-style:none;padding-left:0">{contents}</ol></nav>'
    ]
    in_appendix = False
    for s, label in zip(sections, labels, strict=True):
        if s.appendix and not in_appendix:
            in_appendix = True
            body.append(
                '<h2 class="appendix-start" id="appendix">Appendix: the detail behind the body</h2>'
                '<p class="note">Every stock, every scenario\'s tables, data quality and the stamp '
                "of what the report used. The workbook (extracts/report.xlsx) holds every table "
                "in full.</p>"
            )
        cls = ' class="wide"' if s.wide else ""
        body.append(
            f'<section{cls} id="{s.anchor}"><h2>{html.escape(label)} {html.escape(s.title)}</h2>'
        )
        for part in s.parts:
            if isinstance(part, go.Figure):
                body.append(figures.div(part))
            elif isinstance(part, list):
                body.append(
                    '<div class="charts">' + "".join(figures.div(f) for f in part) + "</div>"
                )
            else:
                body.append(part)
        body.append("</section>")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f'<div class="summary"><h1>{html.escape(title)}</h1><div class="stamp">{stamp}</div>'
        f"{summary}</div>" + "\n".join(body) + "</body></html>\n"
    )
