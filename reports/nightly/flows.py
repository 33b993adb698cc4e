"""Capacity value and where output goes: the body's two charts of the baseline plan, labelled
with display names (cut to a chart label's length), not ids."""

from __future__ import annotations

import polars as pl

from pipeline.summary import Names
from reports.figures import allocation_sankey, capacity_ranking
from reports.html import Section

__all__ = ["flows_section"]

NODE_CHARS = 36
"""A sankey node's label, at most."""
LINE_CHARS = 24
"""Each half (line, item) of a capacity bar's label, at most: the bars keep their width."""


def _cut(name: str, chars: int) -> str:
    return name if len(name) <= chars else name[: chars - 1].rstrip(" ,;:/(") + "…"


def _labels(names: Names, chars: int) -> dict[str, str]:
    return {k: _cut(v, chars) for k, v in (names.items | names.partners | names.sources).items()}


def flows_section(values: pl.DataFrame, shipments: pl.DataFrame, names: Names) -> Section:
    s = Section("Capacity value and where output goes", "capacity")
    fig = capacity_ranking(values, names=_labels(names, LINE_CHARS))
    fig.update_layout(height=min(fig.layout.height or 300, 330))
    s.figure(fig)
    sankey = allocation_sankey(
        shipments, "Units planned from sources to partners", _labels(names, NODE_CHARS)
    )
    sankey.update_layout(height=min(sankey.layout.height or 400, 520))
    s.figure(sankey)
    return s
