"""Figures only the dashboard draws: plain functions, data in, ``go.Figure`` out.

The figures the nightly report shares (fan chart, backlog timeline, Sankey, capacity ranking)
live in ``dashboards/figures.py``; these are the dashboard's own.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

from reports.figures import empty_figure, source_colours

__all__ = [
    "shipments_by_month",
    "whatif_lateness",
]

_LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "plot_bgcolor": "#fff",
    "paper_bgcolor": "#fff",
    "font": {"family": "system-ui, sans-serif", "size": 12},
}


def shipments_by_month(
    shipments: pl.DataFrame,
    names: Mapping[str, str] | None = None,
    measure: str = "units",
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """``measure`` (``units``; ``usd`` when items of different kinds are drawn together, so
    shells and missiles are never added in one unit) shipped per month, stacked by source, one
    colour per source as in every chart, a tick per month."""
    frame = shipments
    if frame.height == 0:
        return empty_figure("No shipments in the plan")
    names = names or {}
    monthly = (
        frame.group_by("source_id", "month").agg(pl.col(measure).sum().alias("y")).sort("month")
    )
    months = monthly.get_column("month").unique().len()
    colours = colours or source_colours(monthly.get_column("source_id").to_list())
    fig = go.Figure()
    for source in sorted(monthly.get_column("source_id").unique().to_list()):
        rows = monthly.filter(pl.col("source_id") == source)
        label = names.get(source, source)
        fig.add_trace(
            go.Bar(
                x=rows.get_column("month").to_list(),
                y=rows.get_column("y").to_list(),
                name=label,
                marker={"color": colours.get(source, "#8a94a6")},
                hovertemplate=f"{label}<br>%{{x|%Y-%m}}: "
                + ("$%{y:,.0f}" if measure == "usd" else "%{y:,.0f} units")
                + "<extra></extra>",
            )
        )
    fig.update_layout(
        **_LAYOUT,
        barmode="stack",
        title="Shipments per month (leaving the source)"
        + (", in USD (units x unit cost): items of different kinds" if measure == "usd" else ""),
        yaxis_title="USD" if measure == "usd" else "units",
        xaxis={"dtick": "M1" if months <= 24 else "M3", "tickformat": "%Y-%m"},
        height=380,
        legend={"font": {"size": 10}},
    )
    return fig


def whatif_lateness(
    baseline: dict[str, float], scenario: dict[str, float], scenario_name: str
) -> go.Figure:
    """The change in late unit-months of each promise whose lateness moves (scenario minus
    baseline: below zero the promise is kept sooner)."""
    ids = sorted(baseline.keys() | scenario.keys())
    change = {i: scenario.get(i, 0.0) - baseline.get(i, 0.0) for i in ids}
    moved = sorted((i for i in ids if abs(change[i]) > 1e-6), key=lambda i: change[i])
    if not moved:
        return empty_figure(f"No promise's lateness changes in {scenario_name}")
    fig = go.Figure(
        go.Bar(
            x=moved,
            y=[change[i] for i in moved],
            marker={"color": ["#2e7d32" if change[i] < 0 else "#b3261e" for i in moved]},
            hovertemplate="%{x}: %{y:+,.0f} late unit-months<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=f"Change in late unit-months per promise, {scenario_name} against the baseline",
        yaxis_title="late unit-months",
        height=320,
    )
    return fig
