"""Capacity value and where output goes: the body's two charts of the baseline plan."""

from __future__ import annotations

import polars as pl

from reports.figures import allocation_sankey, capacity_ranking
from reports.html import Section

__all__ = ["flows_section"]


def flows_section(values: pl.DataFrame, shipments: pl.DataFrame) -> Section:
    s = Section("Capacity value and where output goes", "capacity")
    fig = capacity_ranking(values)
    fig.update_layout(height=min(fig.layout.height or 300, 330))
    s.figure(fig)
    sankey = allocation_sankey(shipments, "Units planned from sources to partners")
    sankey.update_layout(height=min(sankey.layout.height or 400, 520))
    s.figure(sankey)
    return s
