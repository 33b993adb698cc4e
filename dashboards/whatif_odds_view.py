"""A what-if's promise odds on the page: the job's progress while it runs, then each promise's
P(on time) in the baseline and the what-if over the same futures.

``result`` is what ``pipeline.whatif_odds.whatif_odds`` returns (plain JSON, read back from
the job); nothing here reads data or computes beyond formatting.
"""

from __future__ import annotations

from typing import Any

from dash import html

from dashboards import whatif_ids as ids
from dashboards.ui import simple_table
from store.state import BackgroundJob

__all__ = ["render_odds", "render_progress"]

NOT_WITHIN = "not within the horizon"


def render_progress(job: BackgroundJob) -> html.Div:
    """A running job: its stage in words and a bar of the futures solved."""
    share = f"{job.done:,} of {job.total:,} futures" if job.total else ""
    return html.Div(
        [
            html.Span(f"Promise odds: {job.stage}", className="status-running"),
            html.Progress(value=str(job.done), max=str(max(job.total, 1)), id=ids.ODDS_BAR),
            html.Span(share, className="note"),
        ],
        className="odds-progress",
        id=ids.ODDS_PROGRESS,
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _change(row: dict[str, Any]) -> str:
    if row["p_on_time_a"] is None:
        return "new promise"
    if row["p_on_time_b"] is None:
        return "cancelled"
    if not row["beyond_noise"]:
        return "noise"
    return f"{100 * row['difference']:+.0f} points"


def _completion(row: dict[str, Any]) -> str:
    a = row["completion_p50_a"] or NOT_WITHIN
    b = row["completion_p50_b"] or NOT_WITHIN
    return a if a == b else f"{a} \u2192 {b}"


def _table(rows: list[dict[str, Any]], name: str, names: dict[str, str], table_id: str) -> Any:
    def named(key: str | None) -> str:
        return names.get(key, key) if key else ""

    return simple_table(
        ["promise", "partner", "item", "baseline", name, "change", "complete (P50)"],
        [
            [
                r["commitment_id"],
                named(r["partner_id"]),
                named(r["item_id"]),
                _percent(r["p_on_time_a"]),
                _percent(r["p_on_time_b"]),
                _change(r),
                _completion(r),
            ]
            for r in rows
        ],
        table_id,
        numeric=(3, 4, 5),
    )


def render_odds(result: dict[str, Any], names: dict[str, str]) -> html.Div:
    """The promises whose odds the what-if moves beyond sampling noise; the rest folded."""
    name = result["name"]
    moved = [r for r in result["commitments"] if r["beyond_noise"]]
    same = [r for r in result["commitments"] if not r["beyond_noise"]]
    if result["baseline_run"]:
        against = (
            f"the baseline's stored simulation ({result['baseline_samples']:,} futures, "
            f"run {result['baseline_run']})"
        )
    else:
        against = "the baseline, simulated now (no simulation of the baseline plan is stored)"
    return html.Div(
        [
            html.H2(f"Promise odds: {name} against the baseline", id=ids.ODDS_TITLE),
            html.P(
                f"{result['samples']:,} futures of supply ({result['mode']}, seed "
                f"{result['seed']}) against {against}; the same seed, so future i meets the "
                f"same slips and outages in both. Promises expected on time: "
                f"{result['expected_on_time_a']:,.1f} in the baseline, "
                f"{result['expected_on_time_b']:,.1f} in {name}. "
                f"{len(moved)} promise(s) change beyond sampling noise. "
                f"Computed in {result['seconds']:,.1f} s.",
                className="note",
                id=ids.ODDS_SUMMARY,
            ),
            _table(moved, name, names, ids.ODDS_TABLE)
            if moved
            else html.P("No promise's odds change beyond sampling noise.", className="note"),
            html.Details(
                [
                    html.Summary(f"The other {len(same)} promise(s): within sampling noise"),
                    _table(same, name, names, ids.ODDS_SAME_TABLE),
                ],
                id=ids.ODDS_SAME,
            )
            if same
            else None,
        ]
    )
