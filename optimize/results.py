"""From solved columns and duals to the plan: frames, late reasons, capacity value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from optimize.metrics import decision_metrics
from optimize.model import Model
from optimize.reasons import late_reasons
from optimize.solve import Solution

__all__ = [
    "PRODUCTION_SCHEMA",
    "READINESS_SCHEMA",
    "SHIPMENTS_SCHEMA",
    "Plan",
    "build_plan",
    "readiness_frame",
]

TOL = 1e-6
SHIPMENTS_SCHEMA = {
    "source_id": pl.String,
    "commitment_id": pl.String,
    "item_id": pl.String,
    "partner_id": pl.String,
    "month": pl.Date,
    "arrival_month": pl.Date,
    "units": pl.Float64,
    "purpose": pl.String,
}
PRODUCTION_SCHEMA = {
    "source_id": pl.String,
    "item_id": pl.String,
    "month": pl.Date,
    "units": pl.Float64,
    "capacity": pl.Float64,
}
FIRMED_RESULT_SCHEMA = {
    "firm_id": pl.Int64,
    "goal_units": pl.Float64,
    "missing_units": pl.Float64,
}
READINESS_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "holder_kind": pl.String,
    "month": pl.Date,
    "level": pl.Float64,
    "floor_units": pl.Float64,
    "target_units": pl.Float64,
    "below_floor_units": pl.Float64,
    "below_target_units": pl.Float64,
    "unmet_units": pl.Float64,
}


@dataclass(frozen=True)
class Plan:
    """cum solved allocation. Frames have the result tables' columns (without ``run_id``)."""

    status: str
    weighted_late_unit_months: float
    commitments: pl.DataFrame
    shipments: pl.DataFrame
    capacity_value: pl.DataFrame
    investments: pl.DataFrame
    pools: pl.DataFrame
    start: date
    horizon: int
    floor_breach_unit_months: float = 0.0
    stock_drawn_units: float = 0.0
    weighted_late_before_investment: float | None = None
    solver: str = "highs"
    solve_seconds: float = 0.0
    readiness: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=READINESS_SCHEMA))
    """Every pool of the plan (partner stocks and stock sources), month by month."""
    stages: tuple[tuple[str, float | None], ...] = ()
    """Each stage of the lexicographic objective and its optimum (None: did not apply)."""
    us_target_weight: float = 1.0
    unit_costs: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"item_id": pl.String, "unit_cost_usd": pl.Float64}
        )
    )
    """Each item's unit cost (for the value late)."""
    production: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PRODUCTION_SCHEMA))
    """Every production line, month by month: ``units`` made and its ``capacity`` (with any
    expansion bought). A line without a bill of materials makes its capacity."""
    firmed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FIRMED_RESULT_SCHEMA))
    """Every firmed row that took part (stage 0): the units it asks for and those missing."""

    def metrics(self, outlook: pl.DataFrame | None = None) -> dict[str, Any]:
        """The decision metrics (``optimize.metrics.decision_metrics``); ``outlook``: the
        projection's, for probabilities and P50 months."""
        return decision_metrics(
            self.commitments, self.readiness, self.shipments, self.unit_costs, outlook
        )

    def summary(self) -> dict[str, Any]:
        """The run summary stored with the run."""
        late = self.commitments.filter(pl.col("late_unit_months") > TOL)
        out: dict[str, Any] = {
            "status": self.status,
            "weighted_late_unit_months": self.weighted_late_unit_months,
            "late_commitments": late.height,
            "commitments": self.commitments.height,
            "floor_breach_unit_months": self.floor_breach_unit_months,
            "stock_drawn_units": self.stock_drawn_units,
            "solver": self.solver,
            "solve_seconds": round(self.solve_seconds, 3),
            "us_target_weight": self.us_target_weight,
            "sustainment_units": float(
                self.shipments.filter(pl.col("purpose") == "sustainment").get_column("units").sum()
            ),
            "stages": [{"name": n, "objective": v} for n, v in self.stages],
        }
        if self.firmed.height:
            out["firmed"] = {
                "rows": self.firmed.height,
                "not_honoured": self.firmed.filter(pl.col("missing_units") > TOL).height,
                "missing_units": float(self.firmed.get_column("missing_units").sum()),
            }
        if self.weighted_late_before_investment is not None:
            chosen = self.investments.filter(pl.col("chosen"))
            out |= {
                "weighted_late_before_investment": self.weighted_late_before_investment,
                "investment_cost_usd": float(chosen.get_column("cost_usd").sum()),
                "options_chosen": chosen.get_column("option_id").to_list(),
            }
        return out


def _clean(a: np.ndarray) -> np.ndarray:
    a = np.round(a, 6)
    a[np.abs(a) < TOL] = 0.0
    return a + 0.0


def _shipment_rows(
    model: Model,
    units: np.ndarray,
    source: pl.Series,
    commitment: pl.Series,
    item: pl.Series,
    partner: pl.Series,
    t: np.ndarray,
    arrival: np.ndarray,
    purpose: str,
) -> pl.DataFrame:
    months = pl.Series("m", model.data.months, dtype=pl.Date)
    return pl.DataFrame(
        {
            "source_id": source,
            "commitment_id": commitment,
            "item_id": item,
            "partner_id": partner,
            "month": months.gather(t),
            "arrival_month": months.gather(arrival),
            "units": _clean(units),
            "purpose": pl.Series([purpose] * units.size, dtype=pl.String),
        },
        schema=SHIPMENTS_SCHEMA,
    )


def _shipments(model: Model, x: np.ndarray) -> pl.DataFrame:
    """plan_shipments: promise deliveries (the ship columns) then sustainment proposals (the
    sustain columns, ``commitment_id`` null), each with units above the tolerance."""
    data, lp = model.data, model.lp
    com = data.commitments
    ship = lp.col_blocks["ship"]
    units = x[ship.start : ship.stop]
    keep = np.nonzero(units > TOL)[0]
    cidx = model.ship_c[keep]
    parts = [
        _shipment_rows(
            model,
            units[keep],
            data.routes.get_column("source_id").gather(model.ship_route[keep]),
            com.get_column("commitment_id").gather(cidx),
            com.get_column("item_id").gather(cidx),
            com.get_column("partner_id").gather(cidx),
            model.ship_t[keep],
            model.ship_arrival[keep],
            "promise",
        )
    ]
    sus = lp.col_blocks.get("sustain")
    if sus is not None:
        units = x[sus.start : sus.stop]
        keep = np.nonzero(units > TOL)[0]
        q = model.sus_q[keep]
        pp = data.partner_pools
        parts.append(
            _shipment_rows(
                model,
                units[keep],
                data.sustain_routes.get_column("source_id").gather(model.sus_route[keep]),
                pl.Series([None] * keep.size, dtype=pl.String),
                pp.get_column("item_id").gather(q),
                pp.get_column("holder_id").gather(q),
                model.sus_t[keep],
                model.sus_arrival[keep],
                "sustainment",
            )
        )
    return pl.concat(parts).filter(pl.col("units") > 0)


def readiness_frame(model: Model, x: np.ndarray) -> pl.DataFrame:
    """plan_readiness: every stock source's pool and every partner stock, month by month:
    level, floor and target, units below each. A partner stock never shows below zero; the
    consumption it could not cover is ``unmet_units`` (still owed, so it counts below floor
    and target until arrivals cover it)."""
    data, lp, H = model.data, model.lp, model.data.horizon
    months = pl.Series("m", data.months, dtype=pl.Date)
    parts = []
    pools = data.pools.with_row_index("_p").filter(pl.col("is_stock"))
    if pools.height:
        inv = lp.col_blocks["inv"]
        p = pools.get_column("_p").to_numpy().astype(np.int64)
        at = (p[:, None] * H + np.arange(H)[None, :]).ravel()
        parts.append(_readiness_rows(pools, x[inv.start + at], np.zeros(at.size), months, H, None))
    pp = data.partner_pools
    if pp.height:
        level = lp.col_blocks["partner_stock"]
        v = x[level.start : level.stop]
        parts.append(
            _readiness_rows(pp, np.maximum(v, 0.0), np.maximum(-v, 0.0), months, H, "partner")
        )
    if not parts:
        return pl.DataFrame(schema=READINESS_SCHEMA)
    return pl.concat(parts).sort("holder_id", "item_id", "month")


def _readiness_rows(
    pools: pl.DataFrame,
    level: np.ndarray,
    unmet: np.ndarray,
    months: pl.Series,
    H: int,
    kind: str | None,
) -> pl.DataFrame:
    n = pools.height
    floor = np.repeat(pools.get_column("floor_units").to_numpy(), H)
    target = np.repeat(pools.get_column("target_units").fill_null(np.nan).to_numpy(), H)
    owed = level - unmet
    below_target = np.where(np.isnan(target), np.nan, np.maximum(target - owed, 0.0))
    kinds = pl.Series([kind] * n, dtype=pl.String) if kind else pools.get_column("kind")
    return pl.DataFrame(
        {
            "holder_id": np.repeat(pools.get_column("holder_id").to_numpy(), H),
            "item_id": np.repeat(pools.get_column("item_id").to_numpy(), H),
            "holder_kind": kinds.gather(np.repeat(np.arange(n), H)),
            "month": months.gather(np.tile(np.arange(H), n)),
            "level": _clean(level.copy()),
            "floor_units": floor,
            "target_units": pl.Series(target, dtype=pl.Float64, nan_to_null=True),
            "below_floor_units": _clean(np.maximum(floor - owed, 0.0)),
            "below_target_units": pl.Series(
                np.where(np.isnan(below_target), np.nan, _clean(np.nan_to_num(below_target))),
                dtype=pl.Float64,
                nan_to_null=True,
            ),
            "unmet_units": _clean(unmet.copy()),
        },
        schema=READINESS_SCHEMA,
    )


def _commitments(
    model: Model, cum: np.ndarray, late_um: np.ndarray, reasons: list[list[str]]
) -> pl.DataFrame:
    """plan_commitments: backlog, planned units, completion month, lateness and reasons, the
    due month (the promised month; month 1 when already past) and the units arrived by it
    (all of the backlog when it is due after the horizon: not late within it)."""
    data, H = model.data, model.data.horizon
    com = data.commitments
    backlog = com.get_column("backlog").to_numpy()
    done = cum >= backlog[:, None] - TOL
    first_done = np.where(done.any(axis=1), done.argmax(axis=1), -1)
    completion = [data.months[k] if k >= 0 else None for k in first_done]
    due = com.get_column("due").to_numpy()
    on_time = np.where(
        due < H, cum[np.arange(com.height), np.minimum(due, H - 1)] if com.height else 0.0, backlog
    )
    due_month = com.select(
        pl.max_horizontal(pl.col("promised_month"), pl.lit(data.start)).alias("due_month")
    ).to_series()
    return pl.DataFrame(
        {
            "commitment_id": com.get_column("commitment_id"),
            "partner_id": com.get_column("partner_id"),
            "item_id": com.get_column("item_id"),
            "backlog_units": _clean(backlog.copy()),
            "planned_units": _clean(cum[:, -1].copy()) if com.height else np.zeros(0),
            "completion_month": pl.Series(completion, dtype=pl.Date),
            "late_unit_months": _clean(late_um.copy()),
            "reasons": pl.Series(reasons, dtype=pl.List(pl.String)),
            "due_month": due_month,
            "on_time_units": _clean(np.asarray(on_time, dtype=np.float64)),
        }
    ).sort(["late_unit_months", "commitment_id"], descending=[True, False])


POOLS_SCHEMA = {
    "holder_id": pl.String,
    "item_id": pl.String,
    "month": pl.Date,
    "inventory": pl.Float64,
    "floor_breach": pl.Float64,
}


def _pools(model: Model, x: np.ndarray) -> tuple[pl.DataFrame, float, float]:
    """plan_pools (each pool's level and floor breach per month), units drawn from stock pools
    and floor-breach unit-months."""
    data, lp, H = model.data, model.lp, model.data.horizon
    P = data.num_pools
    if not P:
        return pl.DataFrame(schema=POOLS_SCHEMA), 0.0, 0.0
    months = pl.Series("m", data.months, dtype=pl.Date)
    inv_b = lp.col_blocks["inv"]
    inv = x[inv_b.start : inv_b.stop]
    floor = np.repeat(data.pools.get_column("floor_units").to_numpy(), H)
    breach = np.maximum(floor - inv, 0.0)
    pools = pl.DataFrame(
        {
            "holder_id": inv_b.keys.get_column("holder_id"),
            "item_id": inv_b.keys.get_column("item_id"),
            "month": months.gather(np.tile(np.arange(H), P)),
            "inventory": _clean(inv.copy()),
            "floor_breach": _clean(breach),
        }
    )
    is_stock = data.pools.get_column("is_stock").to_numpy()
    ship, sus = lp.col_blocks["ship"], lp.col_blocks.get("sustain")
    drawn = float(x[ship.start : ship.stop][is_stock[model.ship_pool]].sum())
    if sus is not None:
        drawn += float(x[sus.start : sus.stop][is_stock[model.sus_pool]].sum())
    return pools, drawn, float(pools.get_column("floor_breach").sum())


def _production(model: Model, x: np.ndarray, chosen: np.ndarray) -> pl.DataFrame:
    """plan_production: each line's output and capacity (with the options bought) per month."""
    data, H = model.data, model.data.horizon
    grid = data.capacity.select("source_id", "item_id", "t", "units")
    opts = data.options.filter(pl.Series(chosen, dtype=pl.Boolean)) if chosen.size else None
    parts = [grid.rename({"units": "capacity"})]
    if opts is not None and opts.height:
        added = (
            opts.select(
                "source_id",
                "item_id",
                "added_units_per_month",
                t=pl.int_ranges(pl.col("lead_time_months").cast(pl.Int64), H),
            )
            .explode("t")
            .drop_nulls("t")
            .select(
                "source_id", "item_id", pl.col("t").cast(pl.Int64), capacity="added_units_per_month"
            )
        )
        parts.append(added)
    capacity = (
        pl.concat(parts, how="vertical_relaxed")
        .group_by("source_id", "item_id", "t")
        .agg(pl.col("capacity").sum())
    )
    make = model.lp.col_blocks.get("make")
    if make is not None:
        made = pl.DataFrame(
            {
                "source_id": data.made.get_column("source_id").gather(model.make_m),
                "item_id": data.made.get_column("item_id").gather(model.make_m),
                "t": model.make_t,
                "made": _clean(x[make.start : make.stop].copy()),
            }
        )
        capacity = capacity.join(made, on=["source_id", "item_id", "t"], how="full", coalesce=True)
    else:
        capacity = capacity.with_columns(made=pl.lit(None, dtype=pl.Float64))
    months = pl.Series("m", data.months, dtype=pl.Date)
    return (
        capacity.with_columns(
            pl.col("capacity").fill_null(0.0),
            month=months.gather(capacity.get_column("t").to_numpy()),
        )
        .with_columns(units=pl.col("made").fill_null(pl.col("capacity")))
        .sort("source_id", "item_id", "t")
        .select(list(PRODUCTION_SCHEMA))
    )


def _capacity_value(model: Model, duals: np.ndarray) -> pl.DataFrame:
    """capacity_value: minus the dual of the pool balance each line feeds, per month (for a
    line with a bill of materials, of its capacity row)."""
    data, H = model.data, model.data.horizon
    cap = data.capacity
    if not (cap.height and data.num_pools):
        return pl.DataFrame(
            schema={
                "source_id": pl.String,
                "item_id": pl.String,
                "month": pl.Date,
                "value": pl.Float64,
            }
        )
    pool_rows = model.lp.row_blocks["pool"]
    t = cap.get_column("t").to_numpy()
    row = pool_rows.start + cap.get_column("pool").to_numpy() * H + t
    if data.made.height:
        m = (
            cap.join(data.made, on=["source_id", "item_id"], how="left", maintain_order="left")
            .get_column("m")
            .fill_null(-1)
            .to_numpy()
        )
        line = model.lp.row_blocks["line"]
        row = np.where(m >= 0, line.start + np.maximum(m, 0) * H + t, row)
    value = -duals[row]
    return pl.DataFrame(
        {
            "source_id": cap.get_column("source_id"),
            "item_id": cap.get_column("item_id"),
            "month": pl.Series("m", data.months, dtype=pl.Date).gather(
                cap.get_column("t").to_numpy()
            ),
            "value": _clean(value),
        }
    )


def _investments(model: Model, sol: Solution) -> tuple[pl.DataFrame, float | None, np.ndarray]:
    """plan_investments (the expansion options, chosen or not) and the weighted lateness
    before investing (None without a budget)."""
    opts = model.data.options
    build = model.lp.col_blocks.get("build")
    before = None
    if build is not None and build.size:
        chosen = sol.x[build.start : build.stop] > 0.5
        if sol.x_before is not None:
            before = _weighted_late(model, sol.x_before)
    else:
        chosen = np.zeros(opts.height, dtype=bool)
    investments = pl.DataFrame(
        {
            "option_id": opts.get_column("option_id"),
            "chosen": pl.Series(chosen, dtype=pl.Boolean),
            "cost_usd": opts.get_column("cost_usd"),
        },
        schema={"option_id": pl.String, "chosen": pl.Boolean, "cost_usd": pl.Float64},
    )
    return investments, before, chosen


def build_plan(model: Model, sol: Solution) -> Plan:
    """The plan's frames from the solved columns and duals, one function per frame."""
    data, x = model.data, sol.x
    cum, late_um = _lateness(model, x)
    weighted = float((late_um * data.commitments.get_column("weight").to_numpy()).sum())
    reasons = late_reasons(model, x, sol.row_dual, late_um)
    pools, drawn, breach_um = _pools(model, x)
    investments, before, chosen = _investments(model, sol)
    return Plan(
        status="optimal",
        weighted_late_unit_months=round(weighted, 6) + 0.0,
        commitments=_commitments(model, cum, late_um, reasons),
        shipments=_shipments(model, x),
        capacity_value=_capacity_value(model, sol.row_dual),
        investments=investments,
        pools=pools,
        start=data.start,
        horizon=data.horizon,
        floor_breach_unit_months=round(breach_um, 6),
        stock_drawn_units=round(drawn, 6),
        weighted_late_before_investment=None if before is None else round(before, 6),
        solver=sol.solver,
        solve_seconds=sol.seconds,
        readiness=readiness_frame(model, x),
        stages=tuple((n, None if v is None else round(v, 9) + 0.0) for n, v in sol.stages),
        us_target_weight=data.us_target_weight,
        production=_production(model, x, chosen),
        firmed=_firmed(model, x),
    )


def _firmed(model: Model, x: np.ndarray) -> pl.DataFrame:
    short = model.lp.col_blocks.get("firm_short")
    if short is None:
        return pl.DataFrame(schema=FIRMED_RESULT_SCHEMA)
    return pl.DataFrame(
        {
            "firm_id": short.keys.get_column("firm_id").cast(pl.Int64),
            "goal_units": model.firm_goal,
            "missing_units": _clean(np.maximum(x[short.start : short.stop], 0.0)),
        },
        schema=FIRMED_RESULT_SCHEMA,
    )


def _lateness(model: Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per commitment: cumulative arrivals ``(C, H)`` (monotone, clipped to the backlog) and
    late unit-months ``(C,)``, recomputed from the ``arrived`` columns of ``x``."""
    data, H = model.data, model.data.horizon
    com = data.commitments
    n_c = com.height
    backlog = com.get_column("backlog").to_numpy()
    if n_c:
        arr = model.lp.col_blocks["arrived"]
        cum = x[arr.start : arr.stop].reshape(n_c, H)
        cum = np.minimum(np.maximum.accumulate(np.maximum(cum, 0.0), axis=1), backlog[:, None])
    else:
        cum = np.zeros((0, H))
    short = np.maximum(backlog[:, None] - cum, 0.0)
    short[short < TOL] = 0.0
    mask = np.arange(H)[None, :] >= com.get_column("due").to_numpy()[:, None]
    return cum, (short * mask).sum(axis=1)


def _weighted_late(model: Model, x: np.ndarray) -> float:
    _, late_um = _lateness(model, x)
    return float((late_um * model.data.commitments.get_column("weight").to_numpy()).sum())
