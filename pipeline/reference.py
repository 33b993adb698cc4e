"""The reference plan a new plan stays close to (the last stage of the objective).

``--reference RUN_ID|SCENARIO|none``: a run id, a scenario name (its latest plan) or none. By
default a scenario's reference is the plan of the scenario it is built on (its base: the
baseline for a scenario built on the baseline), and the baseline's is the previous baseline
plan, so a re-plan or a what-if changes only what it must.
"""

from __future__ import annotations

import logging

import polars as pl

from pipeline.compare import resolve_run
from pipeline.scenarios import BASELINE, Applied
from store.db import Connection
from store.runs import latest_run
from store.sql import query

__all__ = ["NO_REFERENCE", "base_scenario", "plan_shipments", "stored_reference"]

log = logging.getLogger(__name__)

NO_REFERENCE = "none"


def base_scenario(applied: Applied) -> str | None:
    """The scenario ``applied`` is built on (None for the baseline itself)."""
    if not applied.chain:
        return None
    return applied.chain[-2] if len(applied.chain) >= 2 else BASELINE


def plan_shipments(con: Connection, run_id: str) -> pl.DataFrame:
    """A stored plan's shipments, as the reference stage reads them."""
    return query(con, "plan_shipments_for_run", run_id=run_id)


def stored_reference(
    con: Connection, reference: str | None, applied: Applied
) -> tuple[str | None, pl.DataFrame | None]:
    """The reference plan's run id and shipments: ``reference`` as given (a run id or a
    scenario name; ``none``: no reference), or by default the latest plan of ``applied``'s
    base (the previous baseline plan for the baseline). (None, None) when there is none."""
    if reference is not None and reference.lower() == NO_REFERENCE:
        return None, None
    if reference is not None:
        run_id = resolve_run(con, reference)
    else:
        base = base_scenario(applied) or BASELINE
        last = latest_run(con, "allocate", base)
        if last is None:
            log.info("no stored plan of %s to stay close to: no reference", base)
            return None, None
        run_id = last["run_id"]
    log.info("reference plan: %s", run_id)
    return run_id, plan_shipments(con, run_id)
