"""The report's words: the first page (an executive summary a reader takes in within a
minute) and the scenario pages, from the decision metrics of ``pipeline.summary``.

Every sentence is built from the metrics alone, with display names (items, partners,
stocks) rather than ids; the same sentences go into ``summary.json`` (``page_one``)."""

from __future__ import annotations

import html
from typing import Any

from pipeline.summary import Names, usd
from reports.html import Section, table

__all__ = [
    "budget_options_section",
    "budget_section",
    "page_one",
    "scenario_rows",
    "scenarios_section",
    "summary_html",
]

MAX_CHANGE_LINES = 6
MAX_WORST = 3
MAX_LISTED = 5
"""Stocks named in a first-page sentence; the rest are counted."""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _months_late(months: int | None) -> str:
    return (
        "not complete within the horizon" if months is None else f"{_plural(months, 'month')} late"
    )


def _promise(r: dict[str, Any], names: Names) -> str:
    return (
        f"{names.partner(r['partner_id'])}'s {r['backlog_units']:,.0f} {names.item(r['item_id'])} "
        f"due {r['due_month']}"
    )


def _more(n: int) -> str:
    return f"; and {n - MAX_LISTED} more (appendix: every stock)" if n > MAX_LISTED else ""


def page_one(m: dict[str, Any], names: Names) -> dict[str, Any]:
    """The first page's sentences from the baseline's metrics ``m``: promises, worst late
    promises, partner stocks at risk, US rebuild."""
    n, on = m["promises_total"], m["promises_on_time"]
    late = n - on
    sentences = {
        "promises": (
            f"{on} of {_plural(n, 'promise')} are on time ({m['on_time_pct']:.0f}%), and "
            f"{m['backlog_units_on_time_pct']:.1f}% of the backlog units arrive by their due month."
        )
    }
    if late:
        beyond = m["late_beyond_horizon"]
        sentences["late"] = (
            f"{_plural(late, 'promise')} {'is' if late == 1 else 'are'} late: "
            f"{m['late_units']:,.0f} units worth {usd(m['value_late_usd'])} arrive after their due "
            f"month; {beyond} of them {'is' if beyond == 1 else 'are'} not complete within the "
            "horizon."
        )
        worst = m["late_promises"][:MAX_WORST]
        sentences["worst"] = (
            "The worst late promises: "
            + "; ".join(
                f"{_promise(r, names)}: {_months_late(r['months_late'])}, "
                f"{usd(r['value_late_usd'])} late"
                for r in worst
            )
            + "."
        )
    risks = m["partner_stock_risks"]
    if risks:
        sentences["partner_stocks"] = (
            "Partner stocks at risk of breaking their floor within 12 months: "
            + "; ".join(
                f"{names.stock(r['holder_id'], r['item_id'])} (floor {r['floor_units']:,.0f}): "
                f"probability {r['probability_12']:.0%}, P50 {r['breach_p50'] or 'after the horizon'}"
                for r in risks[:MAX_LISTED]
            )
            + _more(len(risks))
            + "."
        )
    else:
        sentences["partner_stocks"] = (
            "No partner stock is at risk of breaking its floor within 12 months."
        )
    rebuild = m["us_rebuild"]
    if rebuild:
        holders: dict[str, list[str]] = {}
        for r in rebuild[:MAX_LISTED]:
            target = f"{r['target_units']:,.0f}"
            holders.setdefault(r["holder_id"], []).append(
                f"{names.item(r['item_id'])} back to {target} in {r['rebuild_p50']} "
                f"({_plural(r['months'], 'month')})"
                if r["months"] is not None
                else f"{names.item(r['item_id'])} not back to {target} within the horizon"
            )
        sentences["us_rebuild"] = (
            "US stocks below target: "
            + "; ".join(f"at {names.holder(h)}, {', '.join(parts)}" for h, parts in holders.items())
            + _more(len(rebuild))
            + "."
        )
    else:
        sentences["us_rebuild"] = "Every US stock is at or above its target."
    return sentences


def _key_figures(m: dict[str, Any]) -> str:
    below = m["partner_stocks_below_floor"]
    rows = [
        [
            "Promises on time",
            f"{m['promises_on_time']} of {m['promises_total']} ({m['on_time_pct']:.0f}%)",
        ],
        ["Backlog units arriving on time", f"{m['backlog_units_on_time_pct']:.1f}%"],
        [
            "Value late (late units x unit cost)",
            f"{usd(m['value_late_usd'])} ({m['late_units']:,.0f} units)",
        ],
        ["Late promises not complete within the horizon", str(m["late_beyond_horizon"])],
        [
            "Partner stocks below floor: now / likely within 6 / within 12 months",
            f"{below['now']} / {below['within_6']} / {below['within_12']}",
        ],
        ["US stocks below target", str(m["us_pools_below_target"])],
        [
            "Weighted late unit-months (the optimiser's measure)",
            f"{m['weighted_late_unit_months'] or 0:,.0f}",
        ],
    ]
    return table(["figure", "baseline"], rows)


def summary_html(
    m: dict[str, Any],
    sentences: dict[str, str],
    changes: list[str],
    changes_note: str,
    scenarios: list[str],
    failures: list[str],
) -> str:
    """The first page: the sentences, the key figures, what changed since last night and
    each scenario's answer, one line each."""
    parts = ['<h2 style="margin-top:14px">Summary</h2>']
    parts += [f"<p>{html.escape(s)}</p>" for s in sentences.values()]
    parts.append(_key_figures(m))
    parts.append(
        f"<h3>What changed since last night</h3><p class='note'>{html.escape(changes_note)}</p>"
    )
    if changes:
        shown = changes[:MAX_CHANGE_LINES]
        more = len(changes) - len(shown)
        items = "".join(f"<li>{html.escape(c)}</li>" for c in shown)
        if more:
            items += f"<li>and {more} more (section 1)</li>"
        parts.append(f"<ul>{items}</ul>")
    parts.append("<h3>Scenarios, each against the scenario it is built on</h3>")
    if scenarios:
        parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in scenarios) + "</ul>")
    else:
        parts.append("<p class='note'>No scenario ran tonight.</p>")
    if failures:
        parts.append(
            "<p class='late'>Scenarios that failed: "
            + html.escape("; ".join(failures))
            + " (see their section).</p>"
        )
    return "".join(parts)


def _change(pair: dict[str, Any], fmt: str = ",.0f") -> str:
    d = pair["difference"]
    return f"{pair['a']:{fmt}} -> {pair['b']:{fmt}} ({d:+{fmt}})"


def _moves(rows: list[dict[str, Any]], names: Names, us: bool) -> str:
    out = []
    for r in rows:
        what = names.item(r["item_id"]) if us else names.stock(r["holder_id"], r["item_id"])
        out.append(f"{what}: {r['a'] or 'none'} -> {r['b'] or 'none'}")
    return "; ".join(out) or "-"


def scenario_rows(comparisons: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    """One row per scenario and comparison (against its own base, and against the baseline
    when that is another run): the table of the scenario page and of the workbook."""
    rows = []
    for c in comparisons:
        d = c["delta"]
        rows.append(
            {
                "scenario": d["b"],
                "against": d["a"],
                "promises_on_time": d["promises_on_time"]["b"],
                "promises_on_time_change": d["promises_on_time"]["difference"],
                "months_late_total": d["months_late_total"]["b"],
                "months_late_change": d["months_late_total"]["difference"],
                "value_late_usd": d["value_late_usd"]["b"],
                "value_late_change_usd": d["value_late_usd"]["difference"],
                "us_rebuild_changes": _moves(d["rebuild"], names, us=True),
                "floor_breach_changes": _moves(d["breach"], names, us=False),
                "cost_usd": d["cost_usd"]["b"],
                "extra_cost_usd": d["cost_usd"]["difference"],
                "late_value_saved_per_usd": d["value_late_saved_per_usd"],
            }
        )
    return rows


def scenarios_section(rows: list[dict[str, Any]]) -> Section:
    s = Section("Scenarios against the scenario they are built on", "scenarios", wide=True)
    s.text(
        "<p class='note'>Each scenario against its own base (a scenario built on another, "
        "such as a budget on a ramp slip, answers what it changes on top of that one), and "
        "against the baseline where the base is another scenario. Months late: summed over "
        "late promises (one not complete within the horizon counts to the horizon's end). "
        "Value late: late units x unit cost. Late value saved per dollar: value late saved "
        "over the extra cost. What each scenario assumes, and every promise and stock it "
        "moves, is in the appendix (each scenario's detail).</p>"
    )
    s.text(
        table(
            [
                "scenario",
                "against",
                "on time",
                "months late",
                "value late",
                "US rebuild (P50)",
                "partner/pool floor breach (P50)",
                "extra cost",
                "saved per $",
            ],
            [
                [
                    r["scenario"],
                    r["against"],
                    f"{r['promises_on_time']} ({r['promises_on_time_change']:+d})",
                    f"{r['months_late_total']:,} ({r['months_late_change']:+,})",
                    f"{usd(r['value_late_usd'])} ({'+' if r['value_late_change_usd'] >= 0 else ''}{usd(r['value_late_change_usd'])})",
                    r["us_rebuild_changes"],
                    r["floor_breach_changes"],
                    usd(r["extra_cost_usd"]) if r["extra_cost_usd"] else "-",
                    r["late_value_saved_per_usd"],
                ]
                for r in rows
            ],
            widths=[12, 9, 7, 9, 12, 19, 19, 7, 6],
        )
    )
    return s


def budget_section(
    name: str,
    budget: float | None,
    options: list[dict[str, Any]],
    curve: list[dict[str, Any]],
    names: Names,
) -> Section:
    """The body's part: what is bought, and lateness against budget; every option and why it
    was not bought is in :func:`budget_options_section` (the appendix)."""
    s = Section(f"What the budget of {name} buys", f"budget-{name}", wide=True)
    bought = [o for o in options if o["chosen"]]
    spent = sum(o["cost_usd"] for o in bought)
    s.text(
        f"<p>{html.escape(name)} has a budget of {usd(budget)} and spends {usd(spent)} on "
        f"{_plural(len(bought), 'option')}"
        + (": " + html.escape(", ".join(o["option_id"] for o in bought)) if bought else "")
        + f". The other {_plural(len(options) - len(bought), 'option')} buy nothing the plan "
        "can use; each, with the reason, is in the appendix (options of "
        + html.escape(name)
        + ").</p>"
    )
    held = [o for o in options if not o["chosen"] and o["reason"].startswith("its components")]
    if held:
        s.text(
            "<p>"
            + " ".join(
                f"{html.escape(o['option_id'])} would add nothing: "
                + html.escape(o["reason"].split(": more ")[0])
                + "."
                for o in held
            )
            + "</p>"
        )
    if curve:
        s.text("<h3>Lateness against budget</h3>")
        s.text(
            table(
                [
                    "budget",
                    "spent",
                    "options bought",
                    "promises on time",
                    "value late",
                    "months late",
                    "weighted late unit-months",
                ],
                [
                    [
                        usd(p["budget_usd"]),
                        usd(p["spent_usd"]),
                        ", ".join(p["options"]) or "none",
                        p["promises_on_time"],
                        usd(p["value_late_usd"]),
                        p["months_late_total"],
                        p["weighted_late_unit_months"],
                    ]
                    for p in curve
                ],
                widths=[9, 9, 30, 10, 12, 10, 20],
            )
        )
    return s


def budget_options_section(name: str, options: list[dict[str, Any]], names: Names) -> Section:
    """Every expansion option the scenario could buy: bought or not, and why not."""
    s = Section(f"Options of {name}", f"options-{name}", wide=True, appendix=True)
    s.text(
        table(
            [
                "option",
                "line",
                "item",
                "added a month",
                "cost",
                "first output",
                "bought",
                "why not",
            ],
            [
                [
                    o["option_id"],
                    names.holder(o["source_id"]),
                    names.item(o["item_id"]),
                    o["added_units_per_month"],
                    usd(o["cost_usd"]),
                    o["first_output"],
                    o["chosen"],
                    "-" if o["chosen"] else o["reason"].split(": more ")[0],
                ]
                for o in options
            ],
            widths=[12, 22, 12, 7, 7, 7, 5, 28],
        )
    )
    return s
