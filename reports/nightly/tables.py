"""The report's own tables (key figures, late promises, plan and input changes, scenario
comparison, budget options and curve, data-quality gaps): the rows behind what the page
shows, in full, for the extracts and the workbook."""

from __future__ import annotations

from typing import Any

import polars as pl

from reports.nightly.facts import Facts

__all__ = ["report_tables"]


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame({c: [] for c in columns}, schema={c: pl.String for c in columns})
    return pl.DataFrame(rows, infer_schema_length=None).select(columns)


def report_tables(f: Facts) -> dict[str, pl.DataFrame]:
    """Each of the report's tables by its extract name (``extracts.REPORT_TABLES``)."""
    return {
        "data_quality_gaps": _frame(
            [
                {
                    "holder_id": g["holder_id"],
                    "item_id": g["item_id"],
                    "from": str(g["from"]),
                    "to": str(g["to"]),
                    "gap_units": g["gap"],
                    "carried_by": ", ".join(
                        f"{e['source_id']} {e['units']:,.0f}" for e in g["explained_by"]
                    ),
                    "residual_units": g["residual"],
                    "status": g["status"],
                }
                for g in f.quality["gaps"]
            ],
            [
                "holder_id",
                "item_id",
                "from",
                "to",
                "gap_units",
                "carried_by",
                "residual_units",
                "status",
            ],
        ),
        "key_figures": _frame(
            [{"figure": k, "sentence": v} for k, v in f.sentences.items()], ["figure", "sentence"]
        ),
        "late_promises": _frame(
            [
                {**r, "why": "; ".join(f.reasons.get(r["commitment_id"], []))}
                for r in f.baseline["late_promises"]
            ],
            [
                "commitment_id",
                "partner_id",
                "item_id",
                "priority",
                "backlog_units",
                "due_month",
                "completion_month",
                "months_late",
                "late_units",
                "value_late_usd",
                "late_unit_months",
                "why",
            ],
        ),
        "plan_changes": _frame(
            [
                {
                    "kind": c["kind"],
                    "subject": c["subject"],
                    "item_id": c["item_id"],
                    "before": c.get("before"),
                    "after": c.get("after"),
                    "explained_by": "; ".join(c["explained_by"]),
                }
                for c in f.changes or []
            ],
            ["kind", "subject", "item_id", "before", "after", "explained_by"],
        ),
        "input_changes": _frame(
            [
                {"table": c.table, "change": c.kind, "description": d}
                for c, d in zip(f.diff.changes if f.diff else [], f.inputs, strict=True)
            ],
            ["table", "change", "description"],
        ),
        "scenario_comparison": _frame(
            f.scenario_rows, list(f.scenario_rows[0]) if f.scenario_rows else ["scenario"]
        ),
        "budget_options": _frame(
            [{"scenario": n, **o} for n, opts in f.options.items() for o in opts],
            [
                "scenario",
                "option_id",
                "source_id",
                "item_id",
                "added_units_per_month",
                "cost_usd",
                "first_output",
                "chosen",
                "reason",
            ],
        ),
        "budget_curve": _frame(
            [
                {
                    "scenario": n,
                    **{k: v for k, v in p.items() if k != "options"},
                    "options": ", ".join(p["options"]),
                }
                for n, pts in f.night.budget_curves.items()
                for p in pts
            ],
            [
                "scenario",
                "budget_usd",
                "spent_usd",
                "options",
                "promises_on_time",
                "value_late_usd",
                "months_late_total",
                "weighted_late_unit_months",
            ],
        ),
    }
