"""Re-solving one built model for many sampled futures, from the baseline's basis.

A sampled future (``SampledFuture``) changes only numbers the model already holds: each
line's monthly capacity (the right-hand side of its pool's balance, or the ``line`` row of a
line with a bill of materials), consumption (the pool and partner-pool balances) and extra
months on routes. An extra lead time ``e`` moves each shipment's arrival ``e`` months later:
its coefficients in the rows indexed by arrival month (``partner_pool``, ``arrived``,
``absorption``, all laid out entity-major by month) move ``e`` rows down, and a shipment
whose arrival would leave the horizon is held at 0, exactly as a model rebuilt with the
longer lead time would have no column for it.

``SampleSolver`` holds one HiGHS instance (a model split into independent blocks: one per
block, as ``solve`` does, ``blocks.py``). For each future it resets every bound and cost to
the future's, moves the coefficients, drops the rows earlier stages added, restores the
basis of the baseline's stage-1 solve (never the previous future's, so a result does not
depend on which futures a worker saw before) and runs the staged solve; then it moves the
coefficients back. Options bought in the baseline stay bought (their columns are fixed).

``execute_plan`` is the other answer to a future: the published plan carried out as far as
the future allows (``fixed`` mode), by the rule in its docstring.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
import scipy.sparse as sp

from optimize import blocks
from optimize.lp import INF
from optimize.model import Model
from optimize.solve import _Clock, _Highs, pass_arrays, staged_solve

__all__ = [
    "ARRIVAL_FAMILIES",
    "Outcome",
    "SampleSolver",
    "SampledFuture",
    "execute_plan",
    "line_capacity",
    "neutral_future",
]

ARRIVAL_FAMILIES = ("partner_pool", "arrived", "absorption")
"""Row families a shipment enters in its arrival month (laid out entity-major by month)."""
TOL = 1e-6
COEFF_CALLS = 200
"""Moved coefficients up to which ``changeCoeff`` (one call each) beats passing the model."""


def line_capacity(model: Model) -> tuple[pl.DataFrame, np.ndarray]:
    """The model's production lines (``l, source_id, item_id, pool, made``: made = the line
    has a bill of materials) and their monthly capacity, ``(lines, H)``."""
    data, H = model.data, model.data.horizon
    cap = data.capacity
    lines = (
        cap.select("source_id", "item_id", "pool")
        .unique(maintain_order=True)
        .sort("source_id", "item_id")
        .with_row_index("l")
        .with_columns(pl.col("l").cast(pl.Int64))
    )
    made = data.made.select("source_id", "item_id", pl.lit(True).alias("made"))
    lines = lines.join(made, on=["source_id", "item_id"], how="left").with_columns(
        pl.col("made").fill_null(False)
    )
    rates = cap.join(lines.select("l", "source_id", "item_id"), on=["source_id", "item_id"])
    grid = np.zeros((lines.height, H))
    grid[rates.get_column("l").to_numpy(), rates.get_column("t").to_numpy()] = rates.get_column(
        "units"
    ).to_numpy()
    return lines.sort("l"), grid


@dataclass(frozen=True)
class SampledFuture:
    """One future in the model's terms (arrays aligned with ``line_capacity`` and the data)."""

    capacity: np.ndarray
    """(lines, H): each line's rate per month."""
    consumption: np.ndarray
    """(pools, H): consumption drawn from each US/allied pool."""
    partner_consumption: np.ndarray
    """(partner pools, H)."""
    route_extra: np.ndarray
    """(routes,): whole months added to each promise route's lead time."""
    sustain_extra: np.ndarray
    """(sustainment routes,): the same for sustainment routes."""


def neutral_future(model: Model) -> SampledFuture:
    data = model.data
    _, grid = line_capacity(model)
    return SampledFuture(
        capacity=grid,
        consumption=data.consumption.copy(),
        partner_consumption=data.partner_consumption.copy(),
        route_extra=np.zeros(data.routes.height, dtype=np.int64),
        sustain_extra=np.zeros(data.sustain_routes.height, dtype=np.int64),
    )


@dataclass(frozen=True)
class Outcome:
    """What a future gave, per commitment, pool and partner pool (plain arrays)."""

    arrived: np.ndarray
    """(commitments, H): units arrived by the end of each month."""
    late: np.ndarray
    """(commitments,): unit-months late (unweighted)."""
    objective: float
    """Stage 1: weighted late unit-months plus the floor-breach penalty."""
    stock: np.ndarray
    """(pools, H): end-of-month stock of each pool."""
    partner_stock: np.ndarray
    """(partner pools, H)."""


def _inflow(model: Model, lines: pl.DataFrame, capacity: np.ndarray) -> np.ndarray:
    data = model.data
    inflow = np.zeros((data.num_pools, data.horizon))
    fixed = ~lines.get_column("made").to_numpy()
    np.add.at(inflow, lines.get_column("pool").to_numpy()[fixed], capacity[fixed])
    return inflow


@dataclass
class _Shift:
    """Arrival-month coefficients of the shipment columns: (column, row, value, arrival)."""

    col: np.ndarray
    row: np.ndarray
    val: np.ndarray
    arrival: np.ndarray
    pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Each entry's place in the column-wise arrays (``LinearProblem.csc``)."""


def _arrival_entries(model: Model, matrix: sp.csc_matrix) -> _Shift:
    lp = model.lp
    cols, arrivals = [], []
    for family, arrival in (("ship", model.ship_arrival), ("sustain", model.sus_arrival)):
        block = lp.col_blocks.get(family)
        if block is not None and block.size:
            cols.append(block.index)
            arrivals.append(arrival)
    if not cols:
        z = np.zeros(0, np.int64)
        return _Shift(z, z, np.zeros(0), z)
    col_all = np.concatenate(cols)
    arr_all = np.concatenate(arrivals)
    sub = matrix[:, col_all].tocoo()
    rows = [lp.row_blocks[f] for f in ARRIVAL_FAMILIES if f in lp.row_blocks]
    keep = np.zeros(sub.row.size, dtype=bool)
    for b in rows:
        keep |= (sub.row >= b.start) & (sub.row < b.stop)
    return _Shift(
        col=col_all[sub.col[keep]],
        row=sub.row[keep].astype(np.int64),
        val=sub.data[keep],
        arrival=arr_all[sub.col[keep]],
    )


class SampleSolver:
    """One model, many futures: see the module docstring."""

    def __init__(self, model: Model, time_limit: float | None = None):
        self.model = model
        self.time_limit = time_limit
        lp, data, H = model.lp, model.data, model.data.horizon
        start, index, value = lp.csc()
        self.csc = (start, index, value)
        self.matrix = sp.csc_matrix((value, index, start), shape=(lp.num_row, lp.num_col))
        self.blocks = blocks.split(model, self.matrix)
        self.runner = self.blocks or _Highs(model, start, index, value)
        # a future's stages are logged at DEBUG: a simulation solves thousands of them
        self.runner.log_level = logging.DEBUG
        if self.blocks:
            self.blocks.threads = 1
        self.lines, self.base_capacity = line_capacity(model)
        self.line_of_made = (
            data.made.join(
                self.lines.select("l", "source_id", "item_id"), on=["source_id", "item_id"]
            )
            .sort("m")
            .get_column("l")
            .to_numpy()
        )
        """The production line (row of ``self.lines``) of each line with a bill, by ``m``."""
        self.col_lower, self.col_upper = lp.col_lower, lp.col_upper
        self.row_lower, self.row_upper = lp.row_lower, lp.row_upper
        self.cost = lp.col_cost
        build = lp.col_blocks.get("build")
        clock = _Clock(time_limit)
        if build is not None and build.size:
            # the baseline's choice of options (the staged solve's MILP), then held fixed
            from optimize.solve import solve

            chosen = np.round(solve(model, "highs", time_limit).x[build.start : build.stop])
            self.runner.set_bounds(build.index, chosen, chosen, integer=False)
            self.col_lower[build.index] = chosen
            self.col_upper[build.index] = chosen
        self.runner.run(clock, "baseline stage 1")
        self.basis = self.blocks.bases() if self.blocks else self.runner.h.getBasis()
        self.num_row = lp.num_row
        self.shift = _arrival_entries(model, self.matrix)
        column_of = np.repeat(np.arange(lp.num_col, dtype=np.int64), np.diff(start))
        self.shift.pos = np.searchsorted(
            column_of * lp.num_row + index, self.shift.col * lp.num_row + self.shift.row
        )
        self.passed_future = False
        ship = lp.col_blocks.get("ship")
        sus = lp.col_blocks.get("sustain")
        self.ship_cols = ship.index if ship is not None else np.zeros(0, np.int64)
        self.sus_cols = sus.index if sus is not None else np.zeros(0, np.int64)
        self.H = H
        self.start_units = data.pools.get_column("start_units").to_numpy()
        self.partner_start = data.partner_pools.get_column("start_units").to_numpy()
        self.baseline_x, objective = self._solve_x(neutral_future(model))
        self.baseline = self._outcome(self.baseline_x, objective)
        self.absorb = _absorption_of_routes(self)
        self.routes = _route_table(self)

    # -- the future's numbers -------------------------------------------------------------

    def _bounds(self, future: SampledFuture) -> tuple[np.ndarray, ...]:
        model, lp, H = self.model, self.model.lp, self.H
        col_up = self.col_upper.copy()
        row_lo, row_up = self.row_lower.copy(), self.row_upper.copy()
        pool = lp.row_blocks.get("pool")
        if pool is not None:
            rhs = _inflow(model, self.lines, future.capacity) - future.consumption
            rhs[:, 0] += self.start_units
            row_lo[pool.start : pool.stop] = rhs.ravel()
            row_up[pool.start : pool.stop] = rhs.ravel()
        line = lp.row_blocks.get("line")
        if line is not None:
            row_up[line.start : line.stop] = future.capacity[self.line_of_made].ravel()
        partner = lp.row_blocks.get("partner_pool")
        if partner is not None:
            rhs = -future.partner_consumption.copy()
            rhs[:, 0] += self.partner_start
            row_lo[partner.start : partner.stop] = rhs.ravel()
            row_up[partner.start : partner.stop] = rhs.ravel()
        extra = self._extra_of_col(future)
        arrival = np.zeros(lp.num_col, np.int64)
        arrival[self.ship_cols] = model.ship_arrival
        arrival[self.sus_cols] = model.sus_arrival
        gone = np.nonzero((extra > 0) & (arrival + extra >= H))[0]
        col_up[gone] = 0.0
        return self.col_lower.copy(), col_up, row_lo, row_up, extra

    def _extra_of_col(self, future: SampledFuture) -> np.ndarray:
        extra = np.zeros(self.model.lp.num_col, np.int64)
        extra[self.ship_cols] = future.route_extra[self.model.ship_route]
        extra[self.sus_cols] = future.sustain_extra[self.model.sus_route]
        return extra

    def _moves(self, extra: np.ndarray) -> tuple[np.ndarray, ...]:
        """The arrival coefficients that move: (column, old row, new row, value, place)."""
        s = self.shift
        e = extra[s.col]
        go = (e > 0) & (s.arrival + e < self.H)
        return s.col[go], s.row[go], s.row[go] + e[go], s.val[go], s.pos[go]

    def _pass(self, bounds: tuple[np.ndarray, ...], index: np.ndarray) -> None:
        """Hand HiGHS the whole model with these bounds and row indices (one call)."""
        start, _, value = self.csc
        pass_arrays(self.runner.h, self.cost, bounds, (start, index, value))

    # -- solving --------------------------------------------------------------------------

    def solve(self, future: SampledFuture) -> Outcome:
        """The staged plan for this future (what planners can do if they re-plan)."""
        return self._outcome(*self._solve_x(future))

    def _solve_x(self, future: SampledFuture) -> tuple[np.ndarray, float]:
        """Many moved coefficients: the future's arrays in one ``passModel`` (a column-wise
        matrix makes each ``changeCoeff`` cost a shift of the entries after it); few: moved
        one by one and back. Either way the solve starts from the baseline's basis."""
        r, lp = self.runner, self.model.lp
        col_lo, col_up, row_lo, row_up, extra = self._bounds(future)
        cols, old, new, val, pos = self._moves(extra)
        bounds = (col_lo, col_up, row_lo, row_up)
        if self.blocks is not None:
            return self._solve_blocks(bounds, new, pos)
        h = r.h
        start, index, value = self.csc
        by_call = cols.size <= COEFF_CALLS
        if cols.size:
            index = index.copy()
            index[pos] = new
        if not by_call:
            self._pass(bounds, index)
            self.passed_future = True
        elif self.passed_future:
            self._pass(bounds, self.csc[1])
            self.passed_future = False
        else:
            extra_rows = h.getNumRow() - self.num_row
            if extra_rows:
                h.deleteRows(extra_rows, np.arange(self.num_row, h.getNumRow(), dtype=np.int32))
            n, m = lp.num_col, self.num_row
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), col_lo, col_up)
            h.changeRowsBounds(m, np.arange(m, dtype=np.int32), row_lo, row_up)
            h.changeColsCost(n, np.arange(n, dtype=np.int32), self.cost)
        r.forget_stages(self.cost, bounds)
        moved = list(zip(cols.tolist(), old.tolist(), new.tolist(), val.tolist(), strict=True))
        if by_call:
            for j, a, b, v in moved:
                h.changeCoeff(a, j, 0.0)
                h.changeCoeff(b, j, v)
        try:
            h.setBasis(self.basis)
            matrix = sp.csc_matrix((value, index, start), shape=self.matrix.shape)
            sample_model = _with_bounds(self.model, col_lo, col_up, row_lo, row_up)
            x, _, optima, _ = staged_solve(r, sample_model, matrix, _Clock(self.time_limit))
        finally:
            if by_call:
                for j, a, b, v in moved:
                    h.changeCoeff(b, j, 0.0)
                    h.changeCoeff(a, j, v)
        return x, float(dict(optima)["lateness"] or 0.0)

    def _solve_blocks(
        self, bounds: tuple[np.ndarray, ...], new: np.ndarray, pos: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """A future of a model split into blocks (``blocks.py``): each block's arrays
        passed whole, each from its own part of the baseline's basis."""
        start, index, value = self.csc
        if pos.size:
            index = index.copy()
            index[pos] = new
        assert self.blocks is not None
        self.blocks.load(self.cost, bounds, index, value, self.basis)
        matrix = sp.csc_matrix((value, index, start), shape=self.matrix.shape)
        sample_model = _with_bounds(self.model, *bounds)
        x, _, optima, _ = staged_solve(self.blocks, sample_model, matrix, _Clock(self.time_limit))
        return x, float(dict(optima)["lateness"] or 0.0)

    def _outcome(self, x: np.ndarray, objective: float) -> Outcome:
        lp, data, H = self.model.lp, self.model.data, self.H
        C = data.commitments.height
        arrived = x[lp.col_blocks["arrived"].index].reshape(C, H) if C else np.zeros((0, H))
        late = np.zeros(C)
        if "late" in lp.col_blocks:
            late = np.bincount(
                self.model.late_c, weights=x[lp.col_blocks["late"].index], minlength=C
            )
        inv = lp.col_blocks.get("inv")
        stock = x[inv.index].reshape(-1, H) if inv is not None else np.zeros((0, H))
        ps = lp.col_blocks.get("partner_stock")
        partner = x[ps.index].reshape(-1, H) if ps is not None else np.zeros((0, H))
        return Outcome(arrived, np.maximum(late, 0.0), objective, stock, partner)

    def rebuilt(self, future: SampledFuture) -> Model:
        """The future's model built afresh as arrays (bounds and moved coefficients): what a
        cold solve of this future would be given, for checks and the benchmark's floor."""
        col_lo, col_up, row_lo, row_up, extra = self._bounds(future)
        cols, old, new, val, _ = self._moves(extra)
        matrix = self.matrix.tocoo()
        rows, cs, vals = matrix.row.astype(np.int64), matrix.col.astype(np.int64), matrix.data
        if cols.size:
            rows = np.concatenate([rows, old, new])
            cs = np.concatenate([cs, cols, cols])
            vals = np.concatenate([vals, -val, val])
        model = _with_bounds(self.model, col_lo, col_up, row_lo, row_up)
        model.lp._rows, model.lp._cols, model.lp._vals = [rows], [cs], [vals]
        return model

    def outcome_of(self, x: np.ndarray, objective: float) -> Outcome:
        return self._outcome(x, objective)

    def execute(self, future: SampledFuture) -> Outcome:
        """The baseline plan carried out in this future (``execute_plan``)."""
        return execute_plan(self, future)


def _with_bounds(
    model: Model,
    col_lo: np.ndarray,
    col_up: np.ndarray,
    row_lo: np.ndarray,
    row_up: np.ndarray,
) -> Model:
    """The model as the future sees it (the feasibility checks read bounds from ``lp``)."""
    lp = copy.copy(model.lp)
    lp._col_lower, lp._col_upper = [col_lo], [col_up]
    lp._row_lower, lp._row_upper = [row_lo], [row_up]
    return replace(model, lp=lp)


# -- fixed mode -----------------------------------------------------------------------------


def execute_plan(solver: SampleSolver, future: SampledFuture) -> Outcome:
    """The baseline plan executed against ``future``, month by month.

    Lines without a bill make the future's capacity; a line with one makes what the plan
    made, at most the future's capacity, and draws its components as planned. In each month
    each pool ships the plan's shipments of that month plus what it still owes from earlier
    months (a shipment it could not make is deferred on the same route, never cancelled), in
    this order: promises by priority, then due month, then promise id; sustainment after every
    promise, by partner stock. A shipment is made only as far as the pool stays at or above
    its floor, the partner's absorption limit in the (future's) arrival month has room, and the
    arrival falls inside the horizon. So the executed plan is a feasible plan of the future's
    model, and its stage-1 objective is at least the re-planned one.
    """
    model, H = solver.model, solver.H
    data = model.data
    x = solver.baseline_x
    lp = model.lp
    P = data.num_pools
    floor = data.pools.get_column("floor_units").to_numpy()
    inflow = _inflow(model, solver.lines, future.capacity)
    out = np.zeros((P, H))
    make = lp.col_blocks.get("make")
    if make is not None:
        start_level = solver.start_units.astype(float)
        _make_what_components_allow(
            solver, future, x[make.index].reshape(-1, H), inflow, out, start_level, floor
        )
    # (kind, order key, column) of every planned shipment: promises first, then sustainment
    routes = {
        **solver.routes,
        "lead": solver.routes["lead"]
        + np.concatenate([future.route_extra, future.sustain_extra]).astype(np.int64),
    }
    rest = inflow - future.consumption - out
    cap = _absorption_room(solver)
    C, Q = data.commitments.height, data.partner_pools.height
    arrivals_c = np.zeros((C, H))
    arrivals_q = np.zeros((Q, H))
    stock = np.zeros((P, H))
    level = solver.start_units.astype(float).copy()
    owed = np.zeros(routes["n"])
    planned_rt = routes["planned"]
    for t in range(H):
        level = level + rest[:, t]
        want = owed + planned_rt[:, t]
        for k in routes["order"]:
            if want[k] <= 0:
                continue
            arrive = t + routes["lead"][k]
            if arrive >= H:
                continue
            p = routes["pool"][k]
            room = level[p] - floor[p]
            a = routes["absorb"][k]
            if a >= 0:
                room = min(room, cap[a, arrive])
            units = min(want[k], max(room, 0.0))
            if units <= TOL:
                continue
            level[p] -= units
            want[k] -= units
            if a >= 0:
                cap[a, arrive] -= units
            if routes["kind"][k] == 0:
                arrivals_c[routes["target"][k], arrive] += units
            else:
                arrivals_q[routes["target"][k], arrive] += units
        owed = want
        stock[:, t] = level
    arrived = np.cumsum(arrivals_c, axis=1)
    backlog = data.commitments.get_column("backlog").to_numpy()
    late = np.zeros(C)
    if model.late_c.size:
        short = np.maximum(backlog[model.late_c] - arrived[model.late_c, model.late_t], 0.0)
        late = np.bincount(model.late_c, weights=short, minlength=C)
    weight = data.commitments.get_column("weight").to_numpy()
    breach = np.maximum(floor[:, None] - stock, 0.0).sum()
    objective = float(weight @ late + data.breach_penalty * breach)
    partner = solver.partner_start[:, None] + np.cumsum(
        arrivals_q - future.partner_consumption, axis=1
    )
    return Outcome(arrived, late, objective, stock, partner)


def _make_what_components_allow(
    solver: SampleSolver,
    future: SampledFuture,
    planned: np.ndarray,
    inflow: np.ndarray,
    out: np.ndarray,
    start_level: np.ndarray,
    floor: np.ndarray,
) -> None:
    """Lines with a bill make what the plan made, at most the future's capacity and what their
    components allow without taking a component pool below its floor in any month from the
    draw on (deeper components first, month by month). Adds the output to ``inflow`` and the
    draws to ``out``."""
    data, H = solver.model.data, solver.H
    cap = future.capacity[solver.line_of_made]
    pool_of_m = data.made.sort("m").get_column("pool").to_numpy()
    bom = data.bom.select("m", "component_pool", "units_per_item", "lead_time").rows()
    rows_of: dict[int, list[tuple[int, float, int]]] = {}
    for m, comp, per, lead in bom:
        rows_of.setdefault(m, []).append((comp, per, lead))
    order = _depth_order(pool_of_m, rows_of)
    level = start_level[:, None] + np.cumsum(inflow - out - future.consumption, axis=1)
    for t in range(H):
        for m in order:
            units = min(planned[m, t], cap[m, t])
            for comp, per, lead in rows_of.get(m, []):
                d = max(t - lead, 0)
                room = float(level[comp, d:].min()) - floor[comp]
                units = min(units, max(room, 0.0) / per)
            if units <= TOL:
                continue
            for comp, per, lead in rows_of.get(m, []):
                d = max(t - lead, 0)
                level[comp, d:] -= units * per
                out[comp, d] += units * per
            level[pool_of_m[m], t:] += units
            inflow[pool_of_m[m], t] += units


def _depth_order(
    pool_of_m: np.ndarray, rows_of: dict[int, list[tuple[int, float, int]]]
) -> list[int]:
    """Made lines, those making the deepest components first (bills have no cycles)."""
    makers: dict[int, list[int]] = {}
    for m, pool in enumerate(pool_of_m.tolist()):
        makers.setdefault(pool, []).append(m)
    depth: dict[int, int] = {}

    def of(m: int) -> int:
        if m not in depth:
            below = [of(k) for comp, _, _ in rows_of.get(m, []) for k in makers.get(comp, [])]
            depth[m] = 1 + max(below, default=0)
        return depth[m]

    return sorted(range(pool_of_m.size), key=lambda m: (of(m), m))


def _route_table(solver: SampleSolver) -> dict[str, np.ndarray]:
    """The baseline plan's shipments per route and month, the order routes are served in and
    their lead times without a future's extra months (built once per solver)."""
    model, data, H, x = solver.model, solver.model.data, solver.H, solver.baseline_x
    lp = model.lp
    R, S = data.routes.height, data.sustain_routes.height
    planned = np.zeros((R + S, H))
    if R:
        np.add.at(planned, (model.ship_route, model.ship_t), x[lp.col_blocks["ship"].index])
    if S:
        np.add.at(planned, (R + model.sus_route, model.sus_t), x[lp.col_blocks["sustain"].index])
    com = data.commitments
    c_of_r = data.routes.get_column("c").to_numpy()
    order_c = np.zeros(com.height, np.int64)
    order_c[com.sort("priority", "due", "commitment_id").get_column("c").to_numpy()] = np.arange(
        com.height
    )
    q_of_s = data.sustain_routes.get_column("q").to_numpy()
    key = np.concatenate([order_c[c_of_r], C_BIG + q_of_s]) if R + S else np.zeros(0)
    order = np.lexsort((np.arange(R + S), key))
    lead = np.concatenate(
        [
            data.routes.get_column("lead_time").to_numpy(),
            data.sustain_routes.get_column("lead_time").to_numpy(),
        ]
    ).astype(np.int64)
    pool = np.concatenate(
        [
            data.routes.get_column("pool").to_numpy(),
            data.sustain_routes.get_column("pool").to_numpy(),
        ]
    ).astype(np.int64)
    return {
        "n": R + S,
        "planned": planned,
        "order": order,
        "lead": lead,
        "pool": pool,
        "absorb": solver.absorb,
        "kind": np.concatenate([np.zeros(R, np.int64), np.ones(S, np.int64)]),
        "target": np.concatenate([c_of_r, q_of_s]).astype(np.int64),
    }


C_BIG = 1 << 40


def _absorption_of_routes(solver: SampleSolver) -> np.ndarray:
    """Each route's absorption limit (its index in the ``absorption`` rows' entities), or -1."""
    model = solver.model
    data, lp, H = model.data, model.lp, solver.H
    R, S = data.routes.height, data.sustain_routes.height
    out = np.full(R + S, -1, dtype=np.int64)
    block = lp.row_blocks.get("absorption")
    if block is None:
        return out
    s = solver.shift
    inside = (s.row >= block.start) & (s.row < block.stop)
    ship = lp.col_blocks.get("ship")
    for col, row in zip(s.col[inside].tolist(), s.row[inside].tolist(), strict=True):
        entity = (row - block.start) // H
        if ship is not None and ship.start <= col < ship.stop:
            out[model.ship_route[col - ship.start]] = entity
        else:
            sus = lp.col_blocks["sustain"]
            out[R + model.sus_route[col - sus.start]] = entity
    return out


def _absorption_room(solver: SampleSolver) -> np.ndarray:
    lp, H = solver.model.lp, solver.H
    block = lp.row_blocks.get("absorption")
    if block is None:
        return np.zeros((0, H))
    up = solver.row_upper[block.start : block.stop]
    return np.where(np.isfinite(up), up, INF).reshape(-1, H).copy()
