"""The nightly report as one self-contained HTML page (plotly.js inlined once; no network)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["Section", "render_report", "table"]

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2733;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px;
     border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 15px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0 16px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.stamp { font-size: 12px; color: #57606a; } .late { color: #b3261e; } .ok { color: #2e7d32; }
.chart { page-break-inside: avoid; break-inside: avoid; margin-bottom: 12px; }
.note { font-size: 12px; color: #57606a; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


class Section:
    """A heading, then HTML fragments and figures in order."""

    def __init__(self, title: str, anchor: str):
        self.title = title
        self.anchor = anchor
        self.parts: list[str | go.Figure] = []

    def text(self, fragment: str) -> Section:
        self.parts.append(fragment)
        return self

    def figure(self, fig: go.Figure) -> Section:
        self.parts.append(fig)
        return self


def _cell(value: Any) -> str:
    if value is None:
        return "<td>-</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        value = value + 0 if value != 0 else 0
        text = (
            f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
        )
        return f'<td class="num">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str = "None.") -> str:
    """An HTML table; numbers right-aligned, None as '-'."""
    if not rows:
        return f'<p class="note">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(title: str, stamp: str, sections: Sequence[Section]) -> str:
    """The whole page. The first figure carries plotly.js; the others reuse it."""
    first = True
    body: list[str] = []
    nav = " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    for s in sections:
        body.append(f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>')
        for part in s.parts:
            if isinstance(part, go.Figure):
                div = pio.to_html(
                    part,
                    include_plotlyjs=first,
                    full_html=False,
                    config={"displayModeBar": False, "responsive": True},
                )
                first = False
                body.append(f'<div class="chart">{div}</div>')
            else:
                body.append(part)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><div class='stamp'>{stamp}</div>"
        f"<p class='note'>{nav}</p>" + "\n".join(body) + "</body></html>\n"
    )
