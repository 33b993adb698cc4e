"""A partner's extract: its commitments, planned deliveries and projected stocks, holding only
rows releasable to it, and aggregates computed only from those rows.

What is withheld, and why:

- commitments of other partners, and the partner's own commitments not releasable to it;
- planned deliveries of withheld commitments;
- a stock's projection unless its stock rows are releasable to the partner AND every planned
  shipment into or out of that stock is for a commitment the partner may see (a shared
  depot's projection is shaped by its shipments, so it would carry withheld figures);
- a late-reason sentence that names anything the partner may not see (another partner, a
  withheld commitment or stock): its numbers could be derived from withheld rows.

No ``releasable_to`` column is written: it names other partners.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from reports.releasability import releasable_commitments, releasable_expr
from reports.spreadsheet import write_csv
from store.db import Connection, connect
from store.errors import InputRejected, Problem
from store.facts import line_holders
from store.months import month_text
from store.runs import latest_run
from store.sql import query

__all__ = ["export_partner", "partner_view", "write_partner_extract"]

_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def _visible_pools(stockpiles: pl.DataFrame, partner: str) -> set[tuple[str, str]]:
    """Pools whose every stock row is releasable to ``partner``."""
    flagged = stockpiles.with_columns(releasable_expr(partner, "holder_id").alias("_ok"))
    ok = flagged.group_by("holder_id", "item_id").agg(pl.col("_ok").all()).filter(pl.col("_ok"))
    return set(ok.select("holder_id", "item_id").iter_rows())


def partner_view(con: Connection, run_id: str, partner: str) -> dict[str, pl.DataFrame]:
    """The frames of ``partner``'s extract for ``run_id`` (see the module doc for the rules)."""
    plan = query(con, "plan_commitments_for_run", run_id=run_id)
    known = query(con, "commitment_ids_known")
    visible_ids = set(
        releasable_commitments(known.filter(pl.col("partner_id") == partner), partner).get_column(
            "commitment_id"
        )
    )
    commitments = plan.filter(pl.col("commitment_id").is_in(list(visible_ids)))

    shipments = query(con, "plan_shipments_for_run", run_id=run_id)
    mine = shipments.filter(pl.col("commitment_id").is_in(list(visible_ids)))

    stockpiles = query(con, "stock_counts", holder_id=None, item_id=None)
    pools = _visible_pools(stockpiles, partner)
    outlook = query(con, "stock_outlook_for_run", run_id=run_id)
    projection = query(con, "stock_projection_for_run", run_id=run_id, holder_id=None, item_id=None)
    pool_of_source = _source_pools(con)
    clean: set[tuple[str, str]] = set()
    for holder, item in pools:
        touching = shipments.filter(
            (pl.col("item_id") == item)
            & (
                (pl.col("partner_id") == holder)
                | pl.col("source_id")
                .replace_strict(pool_of_source, default=pl.col("source_id"))
                .eq(holder)
            )
        )
        if touching.filter(~pl.col("commitment_id").is_in(list(visible_ids))).height == 0:
            clean.add((holder, item))
    pool_keys = pl.DataFrame(
        sorted(clean), schema={"holder_id": pl.String, "item_id": pl.String}, orient="row"
    )
    history = stockpiles.join(
        pl.DataFrame(
            sorted(pools), schema={"holder_id": pl.String, "item_id": pl.String}, orient="row"
        ),
        on=["holder_id", "item_id"],
    ).drop("releasable_to")

    hidden_tokens = (
        (set(known.get_column("commitment_id")) - visible_ids)
        | (set(query(con, "dataset_partners").get_column("partner_id")) - {partner})
        | (
            {h for h, _ in set(stockpiles.select("holder_id", "item_id").iter_rows()) - pools}
            - {partner}
        )
    )
    reasons = [
        json.dumps(
            [s for s in json.loads(r or "[]") if not (set(_TOKEN.findall(s)) & hidden_tokens)]
        )
        for r in commitments.get_column("reasons").to_list()
    ]
    commitments = commitments.with_columns(pl.Series("reasons", reasons, dtype=pl.String)).drop(
        "releasable_to"
    )
    return {
        "commitments": commitments,
        "planned_deliveries": mine.select(
            "commitment_id", "item_id", "source_id", "month", "arrival_month", "units"
        ).sort("commitment_id", "month", "source_id"),
        "stock_history": history.sort("holder_id", "item_id", "as_of"),
        "projected_stocks": projection.join(pool_keys, on=["holder_id", "item_id"]),
        "stock_outlook": outlook.join(pool_keys, on=["holder_id", "item_id"]),
    }


def _source_pools(con: Connection) -> dict[str, str]:
    """Which pool a production line ships from (``store.facts.line_holders``); any other
    source ships from its own pool."""
    return dict(line_holders(query(con, "dataset_sources")).iter_rows())


def write_partner_extract(
    con: Connection, run: dict[str, Any], partner: str, folder: Path
) -> dict[str, Any]:
    """Write the extract (CSV + Parquet per frame, and summary.json) into ``folder``."""
    view = partner_view(con, run["run_id"], partner)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in view.items():
        write_csv(frame, folder / f"{name}.csv")
        frame.write_parquet(folder / f"{name}.parquet")
    c, d = view["commitments"], view["planned_deliveries"]
    by_month = (
        d.group_by("arrival_month").agg(pl.col("units").sum()).sort("arrival_month")
        if d.height
        else d
    )
    outlook = view["stock_outlook"]
    summary = {
        "partner_id": partner,
        "run_id": run["run_id"],
        "scenario": run["scenario"],
        "start": month_text(run["start_month"]),
        "horizon": run["horizon"],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commitments": c.height,
        "backlog_units": float(c.get_column("backlog_units").sum()),
        "planned_units": float(c.get_column("planned_units").sum()),
        "late_commitments": c.filter(pl.col("late_unit_months") > 1e-6).height,
        "late_unit_months": float(c.get_column("late_unit_months").sum()),
        "arrivals_by_month": {
            month_text(m): u for m, u in by_month.select("arrival_month", "units").iter_rows()
        },
        "stocks": outlook.height,
        "stocks_breaching_floor_p50": outlook.filter(
            pl.col("floor_breach_p50").is_not_null()
        ).height,
        "files": sorted(f"{name}.{ext}" for name in view for ext in ("csv", "parquet")),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def export_partner(
    db: str | Path, partner: str, out: Path, run: str | None = None, scenario: str = "baseline"
) -> dict[str, Any]:
    """Write ``partner``'s extract of run ``run`` (default: the latest run of ``scenario`` with
    a plan and a projection) into ``out``; its summary (``run_id`` included). Raises
    ``InputRejected`` for an unknown partner or run, or a scenario not run yet."""
    con = connect(db, read_only=True)
    try:
        partners = set(query(con, "dataset_partners").get_column("partner_id"))
        if partner not in partners:
            raise InputRejected([Problem("arguments", None, "--for", partner, "unknown partner")])
        if run:
            found = query(con, "run_by_id", run_id=run)
            if not found.height:
                raise InputRejected([Problem("arguments", None, "--run", run, "no such run")])
            chosen = found.row(0, named=True)
        else:
            chosen = latest_run(con, "project", scenario)
            if chosen is None:
                raise InputRejected(
                    [
                        Problem(
                            "arguments",
                            None,
                            "--scenario",
                            scenario,
                            "no run with a plan and a projection; run 'arsenal run' first",
                        )
                    ]
                )
        return write_partner_extract(con, chosen, partner, out)
    finally:
        con.close()
