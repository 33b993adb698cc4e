"""The late promises, worst first: the body's table, each with the first reason the plan
gives (every reason is in the workbook)."""

from __future__ import annotations

from typing import Any

from pipeline.summary import Names, usd
from reports.html import Section, table
from reports.nightly.limits import BODY_ROWS

__all__ = ["late_section"]

WHY_CHARS = 170


def _brief_why(reasons: list[str]) -> str:
    """The first reason, cut to WHY_CHARS (every reason is in the workbook)."""
    if not reasons:
        return "-"
    first = reasons[0]
    more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return (first if len(first) <= WHY_CHARS else first[: WHY_CHARS - 3].rstrip() + "...") + more


def late_section(m: dict[str, Any], names: Names, reasons: dict[str, list[str]]) -> Section:
    s = Section("Late promises, worst first", "late", wide=True)
    late = m["late_promises"]
    shown = late[:BODY_ROWS]
    s.text(
        "<p class='note'>Late units: backlog not arrived by the due month (a promise already "
        "past is due in the first plan month); value late: late units x unit cost; months "
        "late: planned completion minus due month.</p>"
    )
    s.text(
        table(
            [
                "partner",
                "item",
                "promise",
                "backlog",
                "due",
                "completion",
                "months late",
                "late units",
                "value late",
                "why",
            ],
            [
                [
                    names.partner(r["partner_id"]),
                    names.item(r["item_id"]),
                    r["commitment_id"],
                    r["backlog_units"],
                    r["due_month"],
                    r["completion_month"] or "not within the horizon",
                    r["months_late"],
                    r["late_units"],
                    usd(r["value_late_usd"]),
                    _brief_why(reasons.get(r["commitment_id"], [])),
                ]
                for r in shown
            ],
            empty="No promise is late.",
            widths=[8, 11, 12, 6, 6, 9, 5, 6, 6, 31],
        )
    )
    if len(late) > len(shown):
        s.text(
            f"<p class='note'>{len(late) - len(shown)} more late promises in the workbook (late_promises).</p>"
        )
    return s
