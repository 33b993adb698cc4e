"""What the pages read: the latest baseline results, per request, read-only, filtered by role.

Every function opens the database read-only for the one request and closes it again, so the
dashboard never holds the file while the nightly run wants to write it. A partner liaison gets
exactly what its partner's extract (``arsenal export --for``) holds: the one releasability
filter (``reports/releasability.py``) chooses the rows, the pools whose projection may be
shown and the reasons, and aggregates are computed from those rows alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import flask
import polars as pl

from dashboards.auth import User
from pipeline.exceptions import read_exceptions, worklist_status
from reports.reasons import Vocabulary, named_reason
from reports.releasability import PartnerScope, partner_scope, reason_vocabulary
from store.dataset import Dataset, read_dataset
from store.db import Connection, connect
from store.months import add_months
from store.runs import latest_run, simulation_of_plan
from store.sql import query
from store.state import StateStore

__all__ = [
    "Reader",
    "db_path",
    "open_reader",
    "reasons_list",
    "run_summary",
    "scenarios_folder",
    "shared_state",
    "user_names",
]

TOP_EXCEPTIONS = 5
"""Open exceptions the Overview shows, largest USD at stake first."""

_PROJECTED = [
    "floor_breach_p10",
    "floor_breach_p50",
    "floor_breach_p90",
    "target_reached_p10",
    "target_reached_p50",
    "target_reached_p90",
    "breach_probability_3",
    "breach_probability_6",
    "breach_probability_12",
]


def db_path() -> str:
    """The database the app was started with."""
    return flask.current_app.config["ARSENAL_DB"]


def shared_state() -> StateStore:
    """The shared state (sessions, worklist, firmed rows, audit) the app was started with."""
    return flask.current_app.extensions["arsenal_state"]


def user_names() -> list[str]:
    """The dashboard's users who can own an exception: planners and viewers, not liaisons."""
    from dashboards.auth import read_users

    users = read_users(flask.current_app.config["ARSENAL_USERS"])
    return sorted(name for name, entry in users.items() if entry["role"] != "liaison")


def whatif_samples() -> int:
    """How many futures a what-if's promise odds are drawn from (``arsenal serve``)."""
    return int(flask.current_app.config["ARSENAL_WHATIF_SAMPLES"])


def scenarios_folder() -> Path:
    """The folder the app saves what-ifs in (the nightly run reads it)."""
    return Path(flask.current_app.config["ARSENAL_SCENARIOS"])


def reasons_list(raw: Any) -> list[str]:
    """The ``reasons`` JSON of a plan row as a list of strings."""
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
    if isinstance(raw, list):
        return [str(r) for r in raw]
    return [str(raw)]


@dataclass(frozen=True)
class Runs:
    """The newest successful baseline runs for each kind of result (any may be missing)."""

    forecast: dict[str, Any] | None
    allocate: dict[str, Any] | None
    project: dict[str, Any] | None
    simulate: dict[str, Any] | None = None
    """The newest simulation of the plan's supply (``arsenal simulate`` or the nightly's), when
    it was drawn around the same data and start as the plan (else None: it would describe
    another plan)."""

    def run_id(self, kind: str) -> str | None:
        run = getattr(self, kind)
        return None if run is None else run["run_id"]

    @property
    def start_month(self) -> date | None:
        for run in (self.allocate, self.project, self.forecast):
            if run is not None:
                return run["start_month"]
        return None


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """A run's stored summary as a dict (stored as JSON text)."""
    raw = run.get("summary")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return raw if isinstance(raw, dict) else {}


def pool_rows(pools: pl.DataFrame, holder_id: str | None, item_id: str | None) -> pl.DataFrame:
    """The rows of ``pools`` (a reader's :meth:`Reader.pools` or alike) of one holder's item."""
    return pools.filter((pl.col("holder_id") == holder_id) & (pl.col("item_id") == item_id))


class Reader:
    """Named queries against one open read-only connection, filtered for one user."""

    def __init__(self, con: Connection, user: User | None, scenario: str = "baseline") -> None:
        self.con = con
        self.user = user
        allocate = latest_run(con, "allocate", scenario)
        self.runs = Runs(
            forecast=latest_run(con, "forecast", scenario),
            allocate=allocate,
            project=latest_run(con, "project", scenario),
            simulate=simulation_of_plan(con, allocate, scenario),
        )
        self.scope: PartnerScope | None = None
        self._vocabulary: Vocabulary | None = None
        self._names: dict[tuple[str, str], str] | None = None
        if self.partner is not None:
            runs = [self.runs.run_id("allocate"), self.runs.run_id("project")]
            self.scope = partner_scope(con, self.partner, runs)

    @property
    def partner(self) -> str | None:
        return self.user.partner if self.user is not None and self.user.is_liaison else None

    def dataset(self) -> Dataset:
        """The loaded data set (to check a planner's firmed row); never for a liaison."""
        if self.scope is not None:
            raise PermissionError("the data set is not releasable as a whole")
        return read_dataset(self.con)

    def named_reasons(self, raw: Any, item: str) -> list[str]:
        """A plan row's reasons (``reasons`` JSON; ``item``: the promise's item) with display
        names in place of the ids they name."""
        if self._vocabulary is None:
            self._vocabulary = (
                self.scope.vocabulary
                if self.scope is not None
                else reason_vocabulary(
                    self.con, query(self.con, "commitment_ids_known").get_column("commitment_id")
                )
            )
        if self._names is None:
            self._names = self.names()
        return [named_reason(r, item, self._vocabulary, self._names) for r in reasons_list(raw)]

    def names(self) -> dict[tuple[str, str], str]:
        return {
            (r["kind"], r["id"]): r["name"]
            for r in query(self.con, "display_names").iter_rows(named=True)
        }

    def unit_costs(self) -> dict[str, float]:
        """Each item's unit cost (USD), to weigh different items in one chart."""
        return {
            i: float(c or 0.0)
            for i, c in query(self.con, "dataset_items")
            .select("item_id", "unit_cost_usd")
            .iter_rows()
        }

    def form_options(self) -> dict[str, list[str]]:
        """Ids by role (production_source, source, item, partner, holder) for the what-if form."""
        options: dict[str, list[str]] = {}
        if self.scope is not None:  # the form is not for liaisons
            return options
        for role, id_ in query(self.con, "ids_by_role").iter_rows():
            options.setdefault(role, [])
            if id_ not in options[role]:
                options[role].append(id_)
        return options

    def last_load(self) -> dict[str, Any] | None:
        """The last load; a liaison does not get the content hash (it covers every row)."""
        rows = query(self.con, "last_load")
        if not rows.height:
            return None
        load = rows.row(0, named=True)
        return load if self.scope is None else {**load, "content_hash": ""}

    def commitments(self) -> pl.DataFrame:
        """Commitments with backlog and the baseline plan (``late`` true when late); for a
        liaison, its partner's releasable ones, with the reasons it may see."""
        frame = query(self.con, "commitments_with_plan", run_id=self.runs.run_id("allocate"))
        frame = frame.with_columns(late=pl.col("late_unit_months").fill_null(0) > 1e-9)
        if self.scope is None:
            return frame
        return self.scope.reasons_column(self.scope.commitment_rows(frame))

    def pools(self) -> pl.DataFrame:
        """Each pool's latest count and outlook; ``projected`` is false where the projection
        is withheld (its outlook columns are then empty)."""
        frame = query(self.con, "latest_stocks_with_outlook", run_id=self.runs.run_id("project"))
        if self.scope is None:
            return frame.with_columns(projected=pl.lit(True))
        frame = self.scope.pool_rows(frame)
        keys = self.scope.projected_rows(frame.select("holder_id", "item_id"))
        projected = frame.join(
            keys.with_columns(projected=pl.lit(True)), on=["holder_id", "item_id"], how="left"
        )
        projected = projected.with_columns(pl.col("projected").fill_null(False))
        return projected.with_columns(
            pl.when(pl.col("projected")).then(pl.col(c)).otherwise(None).alias(c)
            for c in _PROJECTED
        )

    def stock(
        self, holder_id: str, item_id: str, pools: pl.DataFrame | None = None
    ) -> dict[str, Any] | None:
        """History, projection, outlook, demand model, recorded consumption and demand forecast
        of one pool (None if not visible; no projection, model, consumption or forecast rows
        where the projection is withheld).

        ``pools`` is this reader's :meth:`pools` when the caller has already read it.
        """
        if pools is None:
            pools = self.pools()
        pools = pool_rows(pools, holder_id, item_id)
        if pools.height == 0:
            return None
        pool = pools.row(0, named=True)
        params = {"holder_id": holder_id, "item_id": item_id}
        shown = pool["projected"]
        forecast_run = self.runs.run_id("forecast") if shown else None
        project_run = self.runs.run_id("project") if shown else None
        model = query(self.con, "demand_models_for_run", run_id=forecast_run, **params)
        consumption = query(self.con, "pool_consumption", **params)
        return {
            "pool": pool,
            "history": query(self.con, "stock_counts", **params),
            "projection": query(self.con, "stock_projection_for_run", run_id=project_run, **params),
            "model": model.row(0, named=True) if model.height else None,
            "consumption": consumption if shown else consumption.clear(),
            "forecast": query(self.con, "pool_demand_forecast", run_id=forecast_run, **params),
        }

    def shipments(self) -> pl.DataFrame:
        frame = query(
            self.con, "plan_shipments_with_releasability", run_id=self.runs.run_id("allocate")
        )
        return frame if self.scope is None else self.scope.commitment_rows(frame)

    def capacity_value(self) -> pl.DataFrame:
        """Capacity values come from every partner's lateness: none for a liaison."""
        frame = query(self.con, "capacity_value_for_run", run_id=self.runs.run_id("allocate"))
        return frame.clear() if self.scope is not None else frame

    def production(self) -> pl.DataFrame:
        """Each line's output against capacity; like capacity values, none for a liaison."""
        frame = query(self.con, "plan_production_for_run", run_id=self.runs.run_id("allocate"))
        return frame.clear() if self.scope is not None else frame

    def pool_flows(self, holder: str, item: str) -> tuple[pl.DataFrame, pl.DataFrame] | None:
        """A pool's planned levels (``month, level``) and flows (``flow, counterpart, month,
        units``) in the latest plan; None for a liaison (a pool's flows name other partners'
        shipments)."""
        if self.scope is not None:
            return None
        run_id = self.runs.run_id("allocate")
        keys = {"run_id": run_id, "holder_id": holder, "item_id": item}
        return query(self.con, "pool_levels_for_run", **keys), query(
            self.con, "pool_flows_for_run", **keys
        )

    def component_stock(self) -> pl.DataFrame:
        """Each component pool's planned level per month; none for a liaison."""
        frame = query(self.con, "component_stock_for_run", run_id=self.runs.run_id("allocate"))
        return frame.clear() if self.scope is not None else frame

    def promise_odds(self) -> pl.DataFrame:
        """Each promise's P(on time) and completion months over the simulated futures (empty
        with no simulation of this plan); a liaison's own releasable promises only."""
        frame = query(
            self.con, "simulation_commitments_for_run", run_id=self.runs.run_id("simulate")
        )
        return frame if self.scope is None else self.scope.commitment_rows(frame)

    def simulated_pools(self) -> pl.DataFrame:
        """Each watched stock's breach odds over the simulated futures; for a liaison, the
        pools whose projection it may see."""
        frame = query(self.con, "simulation_pools_for_run", run_id=self.runs.run_id("simulate"))
        return frame if self.scope is None else self.scope.projected_rows(frame)

    def criticality(self) -> pl.DataFrame:
        """The uncertain lines' criticality (from every partner's lateness: none for a
        liaison)."""
        frame = query(self.con, "simulation_lines_for_run", run_id=self.runs.run_id("simulate"))
        return frame.clear() if self.scope is not None else frame

    def investments(self) -> pl.DataFrame:
        frame = query(
            self.con, "expansion_options_with_choice", run_id=self.runs.run_id("allocate")
        )
        return frame.clear() if self.scope is not None else frame

    def exceptions(self, state: StateStore | None = None) -> pl.DataFrame:
        """The worklist: every exception of the latest baseline plan this user may see
        (``pipeline.exceptions``), ranked by USD at stake, with its status, owner and number
        of comments from ``state`` (default: the app's).

        A liaison gets the exceptions of its own partner that the releasability filter lets
        it see: its releasable promises (and firmed rows and plan changes about them), its
        stocks whose projection it may see; no cause from the data diff (it may name other
        partners' rows), no owner and no comments (free text the filter cannot vet).
        """
        state = state if state is not None else shared_state()
        frame = read_exceptions(
            self.con, self.runs.allocate, self.runs.run_id("project"), state.read_firmed()
        )
        started = self.runs.allocate["started_at"] if self.runs.allocate else datetime.now(UTC)
        states = state.read_exception_states()
        if self.scope is None:
            keys = frame.get_column("exception_key").to_list()
            comments = {k: len(state.read_exception_comments(k)) for k in keys}
            return worklist_status(frame, states, started, comments)
        frame = self._partner_exceptions(frame, self.scope)
        return worklist_status(frame, states, started).with_columns(
            explained_by=pl.lit(None, dtype=pl.String),
            owner=pl.lit(None, dtype=pl.String),
            status_by=pl.lit(None, dtype=pl.String),
        )

    @staticmethod
    def _partner_exceptions(frame: pl.DataFrame, scope: PartnerScope) -> pl.DataFrame:
        """The exceptions of ``scope``'s partner about what it may see."""
        keep = []
        for r in frame.iter_rows(named=True):
            if r["partner_id"] != scope.partner:
                keep.append(False)
            elif r["commitment_id"] is not None:
                keep.append(r["commitment_id"] in scope.commitments)
            else:
                pool = (r["holder_id"], r["item_id"])
                keep.append(r["holder_id"] is not None and pool in scope.projected)
        return frame.filter(pl.Series(keep, dtype=pl.Boolean))

    def overview(self) -> dict[str, Any]:
        """The Overview page's figures, from the rows this user may see."""
        commitments = self.commitments()
        pools = self.pools()
        start = self.runs.start_month
        horizon_end = add_months(start, 6) if start is not None else None
        soon = (
            pools.filter(
                pl.col("floor_breach_p50").is_not_null()
                & (pl.col("floor_breach_p50") < horizon_end)
                & ~pl.col("below_floor_now")
            )
            if horizon_end is not None
            else pools.clear()
        )
        late = commitments.filter(pl.col("late"))
        open_exceptions = self.exceptions().filter(pl.col("status") == "open")
        return {
            "runs": self.runs,
            "load": self.last_load(),
            "pools_below_floor_now": int(pools.get_column("below_floor_now").sum() or 0),
            "pools_below_floor_6m": int(pools.get_column("below_floor_now").sum() or 0)
            + soon.height,
            "late_promises": late.height,
            "backlog_units": float(commitments.get_column("backlog_units").sum() or 0.0),
            "backlog_usd": float(commitments.get_column("backlog_usd").sum() or 0.0),
            "weighted_late_unit_months": float(
                commitments.get_column("weighted_late_unit_months").fill_null(0).sum() or 0.0
            ),
            "open_exceptions": open_exceptions.height,
            "top_exceptions": open_exceptions.head(TOP_EXCEPTIONS),
        }


@contextmanager
def open_reader(user: User | None, db: str | None = None) -> Iterator[Reader]:
    """A :class:`Reader` on a read-only connection that is closed when the block ends."""
    con = connect(db or db_path(), read_only=True)
    try:
        yield Reader(con, user)
    finally:
        con.close()
