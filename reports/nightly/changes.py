"""What changed since last night, and why: the load the previous report read against
tonight's, each plan change in words with the input change that explains it (or "re-plan"),
and the report's section listing them."""

from __future__ import annotations

import html
from typing import Any

from pipeline.diff import REPLAN, load_for_hash
from pipeline.nightly import Night
from pipeline.summary import Names
from reports.html import Section, table
from reports.nightly.limits import BODY_ROWS
from store.db import Connection
from store.history import LoadDiff, LoadInfo, diff_loads, read_loads

__all__ = ["change_line", "changes_section", "load_diff"]


def load_diff(
    con: Connection, night: Night
) -> tuple[LoadInfo | None, LoadInfo | None, LoadDiff | None, str]:
    """The load the night read, the load the previous report read, their diff, and a note."""
    loads = read_loads(con)
    now = load_for_hash(loads, night.data_hash, kept=False)
    previous = night.previous
    if previous is None:
        return now, None, None, "No earlier report to compare with."
    before = None
    prev_id = (previous.get("load") or {}).get("load_id")
    by_id = {info.load_id: info for info in loads}
    if prev_id in by_id and by_id[prev_id].tables_kept:
        before = by_id[prev_id]
    elif previous.get("content_hash") == night.data_hash:
        before = now
    else:
        before = load_for_hash(loads, previous.get("content_hash"))
    against = f"Against the report of {previous.get('night', '?')}"
    if now is None or before is None or not now.tables_kept:
        return (
            now,
            before,
            None,
            (
                f"{against}; the data it read is no longer kept (arsenal load --keep-loads), so "
                "plan changes cannot be traced to input changes."
            ),
        )
    if before.load_id == now.load_id:
        return now, before, None, f"{against}, on the same data (load {now.load_id})."
    diff = diff_loads(con, before.load_id, now.load_id)
    return (
        now,
        before,
        diff,
        (
            f"{against}: data of load {before.load_id} -> load {now.load_id} "
            f"({len(diff.changes)} input row(s) changed)."
        ),
    )


def _change_subject(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    if c["kind"] in ("floor breach moved", "rebuild moved"):
        holder, item = c["subject"].split(" ", 1)
        return names.stock(holder, item)
    partner = partners.get(c["subject"])
    who = f"{names.partner(partner)}'s " if partner else ""
    return f"{who}{names.item(c['item_id'])} promise {c['subject']}"


def _change_text(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    """A plan change in words: ``Taiwan's Guided MLRS rocket promise TWN-1: promise
    became late (2026-06 -> 2027-01)``."""
    before, after = c.get("before"), c.get("after")
    moved = f" ({before or 'none'} -> {after or 'none'})" if before or after else ""
    return f"{_change_subject(c, names, partners)}: {c['kind']}{moved}"


def change_line(c: dict[str, Any], names: Names, partners: dict[str, str]) -> str:
    """The plan change and what explains it, one line (the first page's list)."""
    why = "; ".join(c["explained_by"])
    label = "cause" if c["explained_by"] == [REPLAN] else "explained by"
    return f"{_change_text(c, names, partners)}; {label}: {why}"


def changes_section(
    changes: list[dict[str, Any]] | None,
    names: Names,
    partners: dict[str, str],
    note: str,
    inputs: list[str],
) -> Section:
    s = Section("What changed since last night, and why", "changes")
    s.text(f"<p class='note'>{html.escape(note)}</p>")
    if changes is not None:
        s.text(
            table(
                ["change in the plan", "explained by (input change, or re-plan)"],
                [
                    [_change_text(c, names, partners), "; ".join(c["explained_by"])]
                    for c in changes[: BODY_ROWS * 2]
                ],
                empty="Nothing in the plan changed.",
                widths=[50, 50],
            )
        )
        if len(changes) > BODY_ROWS * 2:
            s.text(
                f"<p class='note'>and {len(changes) - BODY_ROWS * 2} more in the workbook "
                "(plan_changes).</p>"
            )
    if inputs:
        shown = inputs[:BODY_ROWS]
        s.text("<h3>Input changes</h3>")
        s.text("<ul class='note'>" + "".join(f"<li>{html.escape(i)}</li>" for i in shown) + "</ul>")
        if len(inputs) > len(shown):
            s.text(
                f"<p class='note'>and {len(inputs) - len(shown)} more in the workbook "
                "(input_changes).</p>"
            )
    return s
