"""What the night's report is made of, read once from the database rows of the night's runs
(the first result is the baseline) and shared by the page, the workbook's tables and
summary.json."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from pipeline.audit import scenario_versions
from pipeline.diff import describe_change, explain_changes, plan_changes, plan_state
from pipeline.nightly import Night
from pipeline.scenarios import BASELINE
from pipeline.summary import Names, budget_options, plan_metrics
from reports.executive import page_one, scenario_rows
from reports.nightly.changes import change_line, load_diff
from reports.nightly.scenarios import compare_scenarios, scenario_answers, scenario_bases
from reports.nightly.stamp import run_rows
from store.history import LoadDiff, LoadInfo
from store.reconcile import read_reconciliation
from store.sql import query

__all__ = ["Facts", "gather_facts"]


@dataclass(frozen=True)
class Facts:
    """The night's figures, as the page, the tables and the summary use them."""

    night: Night
    names: Names
    base_id: str
    start: date
    horizon: int
    metrics: dict[str, dict[str, Any]]
    """Each scenario's decision metrics (``pipeline.summary.plan_metrics``)."""
    bases: dict[str, str]
    comparisons: list[dict[str, Any]]
    answers: dict[str, str]
    scenario_rows: list[dict[str, Any]]
    options: dict[str, list[dict[str, Any]]]
    """Each budget scenario's expansion options, bought or not and why."""
    commitments: pl.DataFrame
    outlook: pl.DataFrame
    reasons: dict[str, list[str]]
    state: dict[str, Any]
    load: LoadInfo | None
    before: LoadInfo | None
    diff: LoadDiff | None
    note: str
    changes: list[dict[str, Any]] | None
    partners: dict[str, str]
    change_lines: list[str]
    inputs: list[str]
    sentences: dict[str, str]
    runs: list[dict[str, Any]]
    files: dict[str, str]
    versions: list[dict[str, Any]]
    quality: dict[str, Any]
    quality_seconds: float

    @property
    def baseline(self) -> dict[str, Any]:
        """The baseline plan's decision metrics."""
        return self.metrics[BASELINE]


def gather_facts(night: Night) -> Facts:
    """Read and compute everything the report shows, once."""
    con = night.con
    base = night.results[0]
    base_id = night.run_ids[base.scenario]
    start, horizon = base.start, base.horizon
    names = Names.of(night.dataset)
    metrics = {
        r.scenario: plan_metrics(con, night.run_ids[r.scenario], r.applied.dataset, start, horizon)
        for r in night.results
    }
    bases = scenario_bases(night)
    comparisons = compare_scenarios(night, metrics, bases)

    commitments = query(con, "plan_commitments_for_run", run_id=base_id)
    outlook = query(con, "stock_outlook_for_run", run_id=base_id)
    state = plan_state(commitments, outlook, start)
    load, before, diff, note = load_diff(con, night)
    changes = None
    if night.previous:
        changes = explain_changes(
            plan_changes(night.previous, state),
            diff,
            night.dataset,
            start_before=night.previous.get("start"),
            start_after=state["start"],
        )
    partners = dict(night.dataset.commitments.select("commitment_id", "partner_id").iter_rows())
    files = {n: h for r in night.results for n, h in r.scenario_files.items()}
    t_quality = time.perf_counter()
    quality = read_reconciliation(con)
    t_quality = time.perf_counter() - t_quality
    return Facts(
        night=night,
        names=names,
        base_id=base_id,
        start=start,
        horizon=horizon,
        metrics=metrics,
        bases=bases,
        comparisons=comparisons,
        answers=scenario_answers(comparisons, names),
        scenario_rows=scenario_rows(comparisons, names),
        options={
            r.scenario: budget_options(
                con, night.run_ids[r.scenario], r.applied.dataset, start, horizon
            )
            for r in night.results[1:]
            if r.applied.budget_usd is not None
        },
        commitments=commitments,
        outlook=outlook,
        reasons={
            r["commitment_id"]: json.loads(r["reasons"] or "[]")
            for r in commitments.iter_rows(named=True)
        },
        state=state,
        load=load,
        before=before,
        diff=diff,
        note=note,
        changes=changes,
        partners=partners,
        change_lines=[change_line(c, names, partners) for c in changes or []],
        inputs=[describe_change(c) for c in diff.changes] if diff else [],
        sentences=page_one(metrics[BASELINE], names),
        runs=run_rows(night.results, night.run_ids),
        files=files,
        versions=scenario_versions(con, files),
        quality=quality,
        quality_seconds=t_quality,
    )
