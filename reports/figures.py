"""The figures the nightly report and the dashboard share: plain functions, polars frames in,
``plotly.graph_objects.Figure`` out. They filter nothing (pass only the rows the reader may
see) and read nothing from the database.

- ``stock_fan(history, projection, floor_units, target_units, title)``: one pool's stock.
- ``backlog_timeline(commitments, horizon_end=None)``: promised against planned completion.
- ``allocation_sankey(shipments, title=...)``: units from sources to partners.
- ``capacity_ranking(values, top=15)``: lines ranked by the value of one more unit.
- ``tradeoff_frontier(points)``: US rebuild against partner readiness, point by point.
- ``line_load(production)``: each line's output against its capacity, month by month.
- ``criticality_tornado(lines)``: the uncertain lines whose draws move lateness most.
- ``completion_fan(commitments)``: per promise, its completion months P10-P90 over the
  simulated futures, the P50 and the due month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative

from pipeline.summary import short_name
from store.facts import capacity_lines_worth_most

__all__ = [
    "allocation_sankey",
    "backlog_timeline",
    "capacity_ranking",
    "completion_fan",
    "criticality_tornado",
    "empty_figure",
    "line_load",
    "source_colours",
    "stock_fan",
    "tradeoff_frontier",
]

BLUE, RED, GREEN, INK = "#1f5f99", "#b3261e", "#2e7d32", "#1d2733"
_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "plot_bgcolor": "#fff",
    "paper_bgcolor": "#fff",
    "font": {"family": "system-ui, sans-serif", "size": 12},
}


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        **_LAYOUT, title=title, xaxis={"visible": False}, yaxis={"visible": False}, height=240
    )
    return fig


def stock_fan(
    history: pl.DataFrame,
    projection: pl.DataFrame,
    floor_units: float | None,
    target_units: float | None,
    title: str,
) -> go.Figure:
    """One pool: counted stock (``history``: ``as_of``, ``units``; may be empty), then the
    projection's P10-P90 band and P50 (``projection``: ``month``, ``p10``, ``p50``, ``p90``),
    with the floor (red dashes) and the target (green dots) as horizontal lines."""
    fig = go.Figure()
    if projection.height:
        proj = projection.sort("month")
        months = proj.get_column("month").to_list()
        fig.add_trace(
            go.Scatter(
                x=months,
                y=proj.get_column("p90").to_list(),
                name="P90",
                line={"width": 0, "color": BLUE},
                showlegend=False,
                hovertemplate="P90 %{y:,.0f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=proj.get_column("p10").to_list(),
                name="P10-P90",
                fill="tonexty",
                fillcolor="rgba(31,95,153,0.22)",
                line={"width": 0, "color": BLUE},
                hovertemplate="P10 %{y:,.0f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=proj.get_column("p50").to_list(),
                name="P50",
                line={"color": BLUE, "width": 2},
                hovertemplate="P50 %{y:,.0f}<extra></extra>",
            )
        )
    if history.height:
        hist = history.sort("as_of")
        fig.add_trace(
            go.Scatter(
                x=hist.get_column("as_of").to_list(),
                y=hist.get_column("units").to_list(),
                name="counted",
                mode="lines+markers",
                line={"color": INK},
            )
        )
    if floor_units is not None:
        fig.add_hline(y=floor_units, line={"color": RED, "dash": "dash"}, annotation_text="floor")
    if target_units is not None:
        fig.add_hline(
            y=target_units, line={"color": GREEN, "dash": "dot"}, annotation_text="target"
        )
    fig.update_layout(**_LAYOUT, title=title, yaxis_title="units", height=360)
    return fig


def consumption_history(history: pl.DataFrame, forecast: pl.DataFrame, title: str) -> go.Figure:
    """One pool's recorded consumption per month (``history``: ``month``, ``units``) as bars,
    then its demand forecast (``forecast``: ``month``, ``mean``, ``p10``, ``p90``; may be
    empty) as a line with its P10-P90 band."""
    if history.height == 0 and forecast.height == 0:
        return empty_figure("No consumption recorded for this stock", title)
    fig = go.Figure()
    if history.height:
        fig.add_trace(
            go.Bar(
                x=history.get_column("month").to_list(),
                y=history.get_column("units").to_list(),
                name="consumed",
                marker={"color": INK},
                hovertemplate="%{x|%Y-%m}: %{y:,.0f} consumed<extra></extra>",
            )
        )
    if forecast.height:
        months = forecast.get_column("month").to_list()
        fig.add_trace(
            go.Scatter(
                x=months,
                y=forecast.get_column("p90").to_list(),
                line={"width": 0, "color": BLUE},
                showlegend=False,
                hovertemplate="%{x|%Y-%m}: P90 %{y:,.0f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=forecast.get_column("p10").to_list(),
                name="forecast P10-P90",
                fill="tonexty",
                fillcolor="rgba(31,95,153,0.18)",
                line={"width": 0, "color": BLUE},
                hovertemplate="%{x|%Y-%m}: P10 %{y:,.0f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=forecast.get_column("mean").to_list(),
                name="forecast mean",
                line={"color": BLUE, "width": 2},
                hovertemplate="%{x|%Y-%m}: mean %{y:,.0f}<extra></extra>",
            )
        )
    fig.update_layout(**_LAYOUT, title=title, yaxis_title="units a month", height=300)
    fig.update_xaxes(dtick="M3", tickformat="%Y-%m")
    fig.update_yaxes(tickformat=",.0f")
    return fig


def backlog_timeline(commitments: pl.DataFrame, horizon_end: date | None = None) -> go.Figure:
    """One row per commitment (``commitment_id``, ``promised_month``, ``completion_month``, and
    ``late`` or ``late_unit_months``): a tick at the promised month, a dot at the planned
    completion joined by a line, red when late. A commitment not completed within the horizon
    (completion null) is drawn as a cross at ``horizon_end`` when given."""
    if commitments.height == 0:
        return empty_figure("No commitments", "Promised against planned completion")
    rows = commitments
    if "late" not in rows.columns:
        rows = rows.with_columns(late=pl.col("late_unit_months") > 0)
    rows = rows.sort("promised_month", "commitment_id", descending=True)
    fig = go.Figure()
    for late, color, label in ((False, GREEN, "on time"), (True, RED, "late")):
        part = rows.filter(pl.col("late") == late)
        if part.height == 0:
            continue
        ids = part.get_column("commitment_id").to_list()
        promised = part.get_column("promised_month").to_list()
        done = part.get_column("completion_month").to_list()
        xs: list[date | None] = []
        ys: list[str | None] = []
        for cid, p, c in zip(ids, promised, done, strict=True):
            end = c if c is not None else horizon_end
            if end is not None:
                xs += [p, end, None]
                ys += [cid, cid, None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": color, "width": 1},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=promised,
                y=ids,
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 14, "color": INK},
                name=f"promised ({label})",
                customdata=ids,
                hovertemplate="%{y}: promised %{x|%Y-%m}<extra></extra>",
            )
        )
        finished = [(cid, c) for cid, c in zip(ids, done, strict=True) if c is not None]
        fig.add_trace(
            go.Scatter(
                x=[c for _, c in finished],
                y=[cid for cid, _ in finished],
                mode="markers",
                marker={"size": 10, "color": color},
                name=f"planned completion ({label})",
                customdata=[cid for cid, _ in finished],
                hovertemplate="%{y}: complete %{x|%Y-%m}<extra></extra>",
            )
        )
        open_ = [cid for cid, c in zip(ids, done, strict=True) if c is None]
        if open_ and horizon_end is not None:
            fig.add_trace(
                go.Scatter(
                    x=[horizon_end] * len(open_),
                    y=open_,
                    mode="markers",
                    marker={"symbol": "x", "size": 10, "color": color},
                    name=f"not complete within the horizon ({label})",
                    customdata=open_,
                )
            )
    fig.update_layout(
        **_LAYOUT,
        title="Promised against planned completion",
        height=max(300, 22 * rows.height + 140),
        clickmode="event",
        yaxis={"type": "category"},
    )
    return fig


def source_colours(source_ids: Sequence[str]) -> dict[str, str]:
    """One colour per source for every chart of a data set: each source's place among all the
    data set's sources (sorted) picks it, so no two sources share a colour (up to 48) and a
    source keeps its colour whatever subset a chart draws."""
    palette = [*qualitative.Dark24, *qualitative.Light24]
    return {s: palette[k % len(palette)] for k, s in enumerate(sorted(set(source_ids)))}


def allocation_sankey(
    shipments: pl.DataFrame,
    title: str = "Sources to partners",
    names: Mapping[str, str] | None = None,
    measure: str = "units",
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """``measure`` (a column: ``units``, or ``usd`` when items of different kinds are drawn
    together) shipped (``source_id``, ``partner_id``) summed per source and partner.
    ``names``: display names for the ids on the nodes (default the ids); ``colours``: each
    source's (``source_colours``; default from the sources drawn)."""
    if shipments.height == 0:
        return empty_figure("No shipments in the plan", title)
    flows = (
        shipments.group_by("source_id", "partner_id")
        .agg(pl.col(measure).sum().alias("units"))
        .filter(pl.col("units") > 0)
        .sort("source_id", "partner_id")
    )
    sources = sorted(set(flows.get_column("source_id")))
    partners = sorted(set(flows.get_column("partner_id")))
    at = {("s", s): i for i, s in enumerate(sources)} | {
        ("p", p): len(sources) + i for i, p in enumerate(partners)
    }
    fig = go.Figure(
        go.Sankey(
            node={
                "label": [(names or {}).get(x, x) for x in sources + partners],
                "color": [(colours or source_colours(sources)).get(x, "#8a94a6") for x in sources]
                + ["#8a94a6"] * len(partners),
                "pad": 16,
                "thickness": 14,
            },
            link={
                "source": [at[("s", s)] for s in flows.get_column("source_id")],
                "target": [at[("p", p)] for p in flows.get_column("partner_id")],
                "value": flows.get_column("units").to_list(),
            },
            valueformat="$,.3s" if measure == "usd" else ",.0f",
            valuesuffix="" if measure == "usd" else " units",
        )
    )
    fig.update_layout(**_LAYOUT, title=title, height=max(320, 28 * len(at) + 80))
    return fig


def capacity_ranking(
    values: pl.DataFrame, top: int = 15, names: Mapping[str, str] | None = None
) -> go.Figure:
    """Lines (``source_id``, ``item_id``) ranked by ``value`` summed over months: the weighted
    late unit-months saved by one more unit of capacity in every month of the horizon.
    ``names``: display names for the ids in the labels (``source: item``; default the ids)."""
    title = "Value of one more unit of capacity"
    if values.height == 0:
        return empty_figure("No capacity values in this run", title)
    ranked = capacity_lines_worth_most(values, top)
    if ranked.height == 0:
        return empty_figure("No extra capacity would reduce lateness", title)
    pairs = ranked.select("source_id", "item_id").iter_rows()
    labels = (
        [f"{names.get(s, s)}: {names.get(i, i)}" for s, i in pairs]
        if names
        else [f"{s} {i}" for s, i in pairs]
    )
    fig = go.Figure(
        go.Bar(
            x=ranked.get_column("value").to_list()[::-1],
            y=labels[::-1],
            orientation="h",
            marker={"color": BLUE},
            hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis_title="weighted late unit-months saved per extra unit a month",
        height=max(260, 28 * ranked.height + 110),
    )
    return fig


def tradeoff_frontier(points: list[dict]) -> go.Figure:
    """The frontier of ``arsenal tradeoff``: US unit-months below target (x) against
    tier-weighted partner unit-months below floor (y), one marker per point, numbered from the
    US optimum; a point's number is its ``customdata``."""
    title = "US rebuild against partner readiness"
    if not points:
        return empty_figure("No trade-off: no US target and no partner floor", title)
    xs = [p["us_unit_months_below_target"] for p in points]
    ys = [p["partner_weighted_unit_months_below_floor"] for p in points]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers+text",
            text=[str(k + 1) for k in range(len(points))],
            textposition="top right",
            customdata=list(range(len(points))),
            line={"color": INK, "width": 1.5},
            marker={"color": BLUE, "size": 9, "symbol": "circle"},
            hovertemplate=(
                "point %{text}<br>US below target: %{x:,.0f} unit-months"
                "<br>partners below floor: %{y:,.0f} weighted unit-months<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis_title="US unit-months below target (left: US rebuilt sooner)",
        yaxis_title="partners below floor (weighted)",
        height=380,
        showlegend=False,
    )
    fig.update_layout(margin={"l": 80, "r": 30, "t": 60, "b": 50})
    # room above and right of the highest and last points for their numbers
    fig.update_xaxes(range=[0, max(max(xs), 1.0) * 1.08], gridcolor="#ddd")
    fig.update_yaxes(range=[0, max(max(ys), 1.0) * 1.15], gridcolor="#ddd")
    return fig


def _clip(name: str, width: int) -> str:
    """A name for an axis: without a trailing parenthetical, at most ``width`` characters (the
    middle elided, so both a maker and its lot kind stay readable)."""
    name = short_name(name)
    if len(name) <= width:
        return name
    head = (width - 1) * 3 // 5
    return name[:head].rstrip() + "…" + name[-(width - 1 - head) :].lstrip()


def _unique(labels: list[str]) -> list[str]:
    """``labels`` with a repeat numbered (``name (2)``): a chart's categories must differ."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def line_load(production: pl.DataFrame, names: Mapping[str, str] | None = None) -> go.Figure:
    """A heat map of each line's output as a share of its capacity per month (``production``:
    ``source_id, item_id, category, month, units, capacity``, optionally ``source_name`` and
    ``item_name``, shown on hover). Component lines come first, so the sub-tier sits above
    the lines it feeds; a month without capacity is blank."""
    title = "Load against capacity"
    if production.height == 0:
        return empty_figure("No production in this run", title)
    names = dict(names or {})
    for id_col, name_col in (("source_id", "source_name"), ("item_id", "item_name")):
        if name_col in production.columns:
            for key, name in production.select(id_col, name_col).unique().iter_rows():
                if name:
                    names.setdefault(key, name)
    frame = production.with_columns(
        load=pl.when(pl.col("capacity") > 0).then(pl.col("units") / pl.col("capacity") * 100),
        tier=pl.when(pl.col("category") == "component").then(0).otherwise(1),
    ).sort("tier", "item_id", "source_id", "month")
    lines = frame.select("tier", "source_id", "item_id").unique(maintain_order=True)
    months = sorted(frame.get_column("month").unique().to_list())
    labels = _unique(
        [
            f"{'component: ' if tier == 0 else ''}{_clip(names.get(i, i), 26)} · "
            f"{_clip(names.get(s, s), 40)}"
            for tier, s, i in lines.iter_rows()
        ]
    )
    hover = [f"{names.get(i, i)} at {names.get(s, s)}" for _, s, i in lines.iter_rows()]
    grid = {
        (s, i, m): v
        for s, i, m, v in frame.select("source_id", "item_id", "month", "load").iter_rows()
    }
    z = [[grid.get((s, i, m)) for m in months] for _, s, i in lines.iter_rows()]
    fig = go.Figure(
        go.Heatmap(
            z=z[::-1],
            x=months,
            y=labels[::-1],
            customdata=[[h] * len(months) for h in hover[::-1]],
            zmin=0,
            zmax=100,
            colorscale=[[0, "#f4f6f8"], [0.7, "#9cc3e6"], [1, BLUE]],
            colorbar={"title": "% of capacity"},
            hovertemplate="%{customdata}<br>%{x|%Y-%m}: %{z:.0f}% of capacity<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        height=max(260, 22 * lines.height + 120),
        xaxis={"dtick": "M3", "tickformat": "%Y-%m"},
    )
    return fig


KIND_WORDS = {
    "ramp_delay_months": "ramp delay",
    "capacity_factor": "capacity factor",
    "outage_probability": "outages",
}


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def criticality_tornado(
    lines: pl.DataFrame, top: int = 10, names: Mapping[str, str] | None = None
) -> go.Figure:
    """Uncertain lines (``source_id, item_id, kind, criticality``: the rank correlation of the
    value drawn with total weighted lateness), the largest in size first; a bar right of 0:
    more of it (a longer delay, more months out, a higher factor) means more lateness."""
    title = "Which line's uncertainty matters most"
    ranked = (
        lines.filter(pl.col("criticality").is_not_null())
        .sort(pl.col("criticality").abs(), descending=True)
        .head(top)
    )
    if ranked.height == 0:
        return empty_figure("No simulation with uncertain lines yet", title)
    names = names or {}
    labels = [
        f"{_cut(names.get(s, s), 34)}: {_cut(names.get(i, i), 22)} ({KIND_WORDS.get(k, k)})"
        for s, i, k in ranked.select("source_id", "item_id", "kind").iter_rows()
    ]
    rho = ranked.get_column("criticality").to_list()
    fig = go.Figure(
        go.Bar(
            x=rho[::-1],
            y=labels[::-1],
            orientation="h",
            marker={"color": [RED if r > 0 else BLUE for r in rho[::-1]]},
            customdata=[
                f"{names.get(s, s)}: {names.get(i, i)}"
                for s, i in ranked.select("source_id", "item_id").iter_rows()
            ][::-1],
            hovertemplate="%{customdata}: rank correlation %{x:+.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis={"title": "rank correlation with weighted lateness", "range": [-1, 1]},
        height=max(260, 28 * ranked.height + 110),
    )
    return fig


def completion_fan(
    commitments: pl.DataFrame,
    names: Mapping[str, str] | None = None,
    horizon_end: date | None = None,
) -> go.Figure:
    """Per promise (``commitment_id, item_id, promised_month, p_on_time, completion_p10,
    completion_p50, completion_p90``): a bar from P10 to P90 of its completion month over the
    simulated futures, the P50 as a dot and the due month as a tick; a promise whose P90 is past
    the horizon runs to ``horizon_end`` (said on hover), one not complete in 90% of the futures
    is a cross there."""
    title = "When each promise completes, over the simulated futures"
    rows = commitments.sort("p_on_time", "commitment_id")
    if rows.height == 0:
        return empty_figure("No simulation of this plan yet", title)
    names = names or {}
    labels = [
        f"{c} ({names.get(i, i)})" for c, i in rows.select("commitment_id", "item_id").iter_rows()
    ]
    far = horizon_end or max(
        [
            d
            for col in ("completion_p90", "completion_p50", "promised_month")
            for d in rows.get_column(col).to_list()
            if d
        ],
        default=None,
    )
    fig = go.Figure()
    for label, row in zip(labels, rows.iter_rows(named=True), strict=True):
        lo, mid, hi = row["completion_p10"], row["completion_p50"], row["completion_p90"]
        end = hi or far
        if lo is not None and end is not None:
            fig.add_trace(
                go.Scatter(
                    x=[lo, end],
                    y=[label, label],
                    mode="lines",
                    line={"color": BLUE, "width": 8},
                    showlegend=False,
                    hovertemplate=(
                        f"{label}: P10 {lo:%Y-%m}, P90 "
                        + (f"{hi:%Y-%m}" if hi else "not within the horizon")
                        + f", P(on time) {row['p_on_time']:.0%}<extra></extra>"
                    ),
                )
            )
        if lo is None and far is not None:
            fig.add_trace(
                go.Scatter(
                    x=[far], y=[label], mode="markers",
                    marker={"color": RED, "symbol": "x", "size": 9}, showlegend=False,
                    hovertemplate=f"{label}: not complete within the horizon in 90% of futures"
                    "<extra></extra>",
                )
            )  # fmt: skip
        if mid is not None:
            fig.add_trace(
                go.Scatter(
                    x=[mid], y=[label], mode="markers", marker={"color": INK, "size": 9},
                    showlegend=False, hovertemplate=f"{label}: P50 {mid:%Y-%m}<extra></extra>",
                )
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=[row["promised_month"]], y=[label], mode="markers",
                marker={"color": RED, "symbol": "line-ns-open", "size": 16, "line": {"width": 3}},
                showlegend=False,
                hovertemplate=f"{label}: due {row['promised_month']:%Y-%m}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis={
            "title": "month (bar: P10-P90 completion; dot: P50; red tick: due)",
            "dtick": "M3",
            "tickformat": "%Y-%m",
        },
        height=max(260, 24 * rows.height + 120),
    )
    return fig
