"""The stocks in the report: charts of the stocks with a floor or a target in the body (the
most at risk first), and every stock's outlook in the appendix."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import polars as pl

from pipeline.summary import Names
from reports.figures import stock_fan
from reports.html import Section, table
from reports.nightly.limits import APPENDIX_ROWS, BODY_CHARTS
from store.months import add_months, month_text

__all__ = ["every_stock_section", "pick_pools", "stocks_section"]


def pick_pools(outlook: pl.DataFrame, n: int | None = None) -> pl.DataFrame:
    """The pools worth a chart (``n`` given: only those with a floor or a target), breaching
    their floor first, then the most at risk, then those furthest from their target."""
    if n is not None:
        outlook = outlook.filter((pl.col("floor_units") > 0) | pl.col("target_units").is_not_null())
    return (
        outlook.with_columns(
            pl.col("floor_breach_p50").is_null().alias("_no_breach"),
            pl.col("target_reached_p50").is_null().alias("_no_rebuild"),
        )
        .sort(
            [
                "_no_breach",
                "breach_probability_12",
                "floor_breach_p50",
                "_no_rebuild",
                "holder_id",
                "item_id",
            ],
            descending=[False, True, False, True, False, False],
            nulls_last=True,
        )
        .head(n if n is not None else outlook.height)
        .drop("_no_breach", "_no_rebuild")
    )


def _fmt_month(d: date | None) -> str:
    return month_text(d) or "-"


def _outlook_rows(outlook: pl.DataFrame, names: Names) -> list[list[Any]]:
    return [
        [
            names.holder(r["holder_id"]),
            names.item(r["item_id"]),
            r["floor_units"],
            r["target_units"],
            _fmt_month(r["floor_breach_p10"]),
            _fmt_month(r["floor_breach_p50"]),
            _fmt_month(r["floor_breach_p90"]),
            _fmt_month(r["target_reached_p50"]),
            f"{r['breach_probability_12']:.0%}",
        ]
        for r in outlook.iter_rows(named=True)
    ]


OUTLOOK_HEADERS = [
    "holder",
    "item",
    "floor",
    "target",
    "breach P10",
    "breach P50",
    "breach P90",
    "rebuild P50",
    "P(breach) 12 months",
]


def _chart_note(r: dict[str, Any], units_now: float | None) -> str:
    """A stock chart's third title line: floor breach and rebuild, in words."""
    breach, p12 = r["floor_breach_p50"], r["breach_probability_12"]
    parts = [
        f"floor breach {_fmt_month(breach)} (P50), {p12:.0%} within 12 mo"
        if breach is not None
        else f"no floor breach (P50), {p12:.0%} within 12 mo"
    ]
    target = r["target_units"]
    if target is not None:
        done = r["target_reached_p50"]
        if units_now is not None and units_now >= target:
            parts.append("at or above target")
        else:
            parts.append(f"target {_fmt_month(done)} (P50)" if done else "target not reached")
    return "; ".join(parts)


def stocks_section(
    outlook: pl.DataFrame,
    projection: pl.DataFrame,
    history: pl.DataFrame,
    start: date,
    names: Names,
) -> tuple[Section, int]:
    s = Section("Stocks with a floor or a target: P10-P90 projections", "stocks")
    picked = pick_pools(outlook, BODY_CHARTS)
    s.text(
        "<p class='note'>Only stocks with a floor or a target, those breaking their floor "
        "first, then the most at risk (every stock is in the appendix). Band: P10 to P90 of the "
        "simulated stock; solid line: P50; line with dots: counted; dashes: the floor; dots: "
        "the target.</p>"
    )
    figs = []
    for r in picked.iter_rows(named=True):
        key = (pl.col("holder_id") == r["holder_id"]) & (pl.col("item_id") == r["item_id"])
        counted = history.filter(key & (pl.col("as_of") < start)).sort("as_of")
        units_now = counted.item(-1, "units") if counted.height else None
        title = (
            f"<b>{html.escape(names.item(r['item_id']))}</b><br>"
            f"{html.escape(names.holder(r['holder_id']))}<br>{_chart_note(r, units_now)}"
        )
        fig = stock_fan(
            history.filter(key & (pl.col("as_of") >= add_months(start, -24))).select(
                "as_of", "units"
            ),
            projection.filter(key),
            r["floor_units"],
            r["target_units"],
            title,
        )
        fig.update_layout(
            height=255,
            showlegend=False,
            margin={"l": 50, "r": 8, "t": 56, "b": 24},
            title={"font": {"size": 10}, "x": 0.01},
        )
        figs.append(fig)
    s.figures(figs)
    return s, picked.height


def every_stock_section(outlook: pl.DataFrame, names: Names) -> Section:
    s = Section("Every stock, the most at risk first", "every-stock", appendix=True)
    shown = pick_pools(outlook).head(APPENDIX_ROWS)
    s.text(
        table(OUTLOOK_HEADERS, _outlook_rows(shown, names), widths=[24, 17, 9, 9, 8, 8, 8, 8, 9])
    )
    if outlook.height > shown.height:
        s.text(
            f"<p class='note'>{outlook.height - shown.height} more stocks in the workbook (stock_outlook).</p>"
        )
    return s
