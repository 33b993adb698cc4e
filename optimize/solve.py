"""Solving the model: HiGHS (bulk arrays, default) or CBC (through PuLP), stage by stage.

Stage 1 minimises weighted lateness plus the floor-breach penalty (a MILP when
expansion options are on the table). Its duals come from the stage-1 LP (with
any chosen options fixed). Each later stage (``objective.py``: readiness, fair
shares, least drawn, closeness to a reference) then optimises over the set of
plans optimal for every stage before it, described exactly rather than with a
tolerance: by complementary slackness every optimal plan keeps each column with
a nonzero reduced cost at its bound and each row with a nonzero dual at its
bound, and any feasible plan that does so is optimal. Those columns and rows are
fixed; the row ``stage cost <= optimum * (1 + 1e-9) + 1e-9`` is added as a
second guard. So each stage's optimum stays the true optimum; an objective-bound
row alone would let a later stage trade ~1e-6 of lateness for stock (seen in
tests). Every stage starts from the previous basis (the solver keeps it across
cost and bound changes).

The fair-shares stage is a sequence of LPs (progressive filling): minimise the
largest missing fraction of the grouped promise-months still free, bound those
that cannot do better (a nonzero dual on their row) at that level, and repeat.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from optimize import blocks
from optimize.lp import INF
from optimize.model import Model
from optimize.objective import stage_cost

__all__ = ["SOLVERS", "LatenessFace", "Solution", "SolveError", "lateness_face", "solve"]

log = logging.getLogger(__name__)

SOLVERS = ("highs", "cbc")
STAGE1_REL, STAGE1_ABS = 1e-9, 1e-9
# the investment MILP stops within HiGHS' relative gap; the cheapest-choice stage keeps to it
MIP_REL, MIP_ABS = 1e-6, 1e-6
FEAS_TOL = 1e-6
FACE_TOL = 1e-7
FAIR_TOL = 1e-9
HOLDS_TOL = 1e-9
"""How far a bound set after a run may cut the run's plan and still leave it holding
(``_Highs.holds``): well inside HiGHS' own feasibility tolerance (1e-7), so HiGHS too would
take that plan as it is."""
FIRM_SLACK = 1e-9
"""Units a firmed row's shortfall may exceed its stage-0 value by in later stages."""
PRESOLVE_COLUMNS = 25_000
"""From this many columns on (in a model solved by blocks: in its largest block), the
fair-shares levels and the stages after them are solved
afresh (no basis, so HiGHS presolves) rather than from the last basis. By then most of the
model is fixed to earlier optima, which presolve removes; the warm basis carries the whole
model. Measured on the large night's plan (5.3e5 columns; the stage times ``arsenal run``
logs on the data ``bench/nightly.py --only large`` builds): the whole solve 73 s -> 30 s,
fair shares 52 s -> 16 s, least drawn 6.4 s -> 1.2 s. On the sample (5.7e3 columns) the
warm start wins, about 1.6x per sampled future (``bench/simulate.py``, "warm against
afresh"), hence the threshold. The readiness stage stays warm at any size (``PRIMAL_WARM``:
0.9 s and 89 iterations on a block of 6.3e5 columns, ``bench/plan_category.py``). Solved by
blocks (``blocks.py``), the large night's plans take 47-52 s afresh against 109-112 s warm
(summed over its two runs, ``bench/nightly.py --only large``); the 1.2e5-column instance's sampled futures, in blocks of 11,000-13,000 columns,
2.5 s warm against 3.0 s afresh (``bench/simulate.py``'s large instance, median of 20):
hence the block's size, and the threshold between them."""
INTERIOR_COLUMNS = 100_000
"""From this many columns on (a block's own), a stage solved afresh (``PRESOLVE_COLUMNS``) goes
by HiGHS' interior point, with crossover to a basic solution (the duals and reduced costs the
fair shares and the optimal faces read), and by the simplex again if that does not end
optimal. One category of the 10x night's data (``bench/plan_category.py``, a block of 6.3e5
columns): see that script's docstring. The threshold lies between the large night's blocks
(2.1e4-3.9e4 columns, each stage solved by the simplex in seconds) and the 10x night's. Stage
1, which starts from no basis, stays with the simplex."""
SIMPLEX_DUAL, SIMPLEX_PRIMAL = 1, 4
"""HiGHS' ``simplex_strategy`` values."""
PRIMAL_WARM = True
"""The stages after stage 1 start from the last stage's optimum, which their changes keep
feasible (a new cost; the last objective held as a bound row at its optimum; levels and
columns fixed at their values): a primal-feasible basis, so the primal simplex goes on from
it where the dual simplex would first have to repair the dual infeasibility the new cost
leaves. Stage 1, and any stage solved afresh, keeps HiGHS' dual simplex. The sample's
sampled futures: 63-71 against 73-98 ms per future in two runs of ``bench/simulate.py``'s
"primal ... dual" line (medians of three turns each way), the plan's stage optima equal."""
FAIR_PROBE = 1e-5
"""The slack a row at its group's level is offered in the test whether it can do better: a
row that can do better only by less than this (shared among the rows that can) is pinned."""


class SolveError(RuntimeError):
    """The solver gave no trustworthy optimal plan (time limit, error, doubtful numbers)."""


class InfeasibleStage(SolveError):
    """HiGHS found no plan that meets a stage's rows and bounds."""


@dataclass(frozen=True)
class Solution:
    x: np.ndarray
    """Final (stage-2) column values."""
    row_dual: np.ndarray
    """Stage-1 LP duals, one per model row: d(stage-1 optimum) / d(row bound)."""
    x_before: np.ndarray | None
    """Stage-1 column values with no expansion bought (only with a budget)."""
    solver: str
    seconds: float
    stages: tuple[tuple[str, float | None], ...] = ()
    """Each stage's name and optimum (None: the stage did not apply)."""
    stage_seconds: tuple[tuple[str, float], ...] = ()
    """Each stage's name and the seconds it took (stage 1: from the start of the solve)."""


class _Clock:
    def __init__(self, limit: float | None):
        self.limit = limit
        self.t0 = time.perf_counter()

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        left = self.limit - (time.perf_counter() - self.t0)
        if left <= 0:
            raise SolveError(
                f"time limit of {self.limit:g} s reached before the plan was proven optimal"
            )
        return left

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def _check_feasible(model: Model, matrix: sp.csc_matrix, x: np.ndarray, stage: str) -> None:
    """Our own residuals, not the solver's word: every bound and row within tolerance (the
    ``fair`` rows only guide the fair-shares stage, which replaces them by bounds)."""
    lp = model.lp
    lo, up = lp.col_lower, lp.col_upper
    act = matrix @ x
    rlo, rup = lp.row_lower, lp.row_upper
    fair = lp.row_blocks.get("fair")
    if fair is not None:
        rlo[fair.start : fair.stop] = -INF
    viol_col = np.maximum(lo - x, x - up) / (
        1.0 + np.minimum(np.abs(np.where(np.isfinite(lo), lo, 0)), 1e12)
    )
    viol_row = np.maximum(rlo - act, act - rup) / (
        1.0
        + np.maximum(
            np.abs(np.where(np.isfinite(rlo), rlo, 0)), np.abs(np.where(np.isfinite(rup), rup, 0))
        )
    )
    worst = max(float(viol_col.max(initial=0.0)), float(viol_row.max(initial=0.0)))
    if not np.isfinite(x).all() or worst > FEAS_TOL:
        where = ""
        if viol_row.size and viol_row.max() > FEAS_TOL:
            where = f" (worst row {lp.row_name(int(viol_row.argmax()))})"
        raise SolveError(
            f"numerically doubtful {stage} result: a rule is violated by {worst:.3g} (relative){where}"
        )


def solve(model: Model, solver: str = "highs", time_limit: float | None = None) -> Solution:
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if time_limit is not None and time_limit <= 0:
        raise ValueError("the time limit must be positive")
    clock = _Clock(time_limit)
    start, index, value = model.lp.csc()
    matrix = sp.csc_matrix((value, index, start), shape=(model.lp.num_row, model.lp.num_col))
    runner = _runner(model, solver, matrix, (start, index, value))
    build = model.lp.col_blocks.get("build")
    x_before = None
    if build is not None and build.size:
        runner.set_bounds(build.index, 0.0, 0.0, integer=False)
        firm_rows = _firm_bound(runner, model, clock, "without investment")
        x_before, _ = runner.run(clock, "stage 1 without investment")
        _drop_bounds(runner, firm_rows)
        runner.set_bounds(build.index, 0.0, 1.0, integer=True)
        firm_rows = _firm_bound(runner, model, clock, "investment")
        x_mip, obj_mip = runner.run(clock, "investment (MILP)")
        # among the choices as good as that, the cheapest: an option that saves nothing is
        # not bought just because the budget allows it
        option_cost = np.zeros(model.lp.num_col)
        option_cost[build.index] = model.data.options.get_column("cost_usd").to_numpy()
        runner.add_objective_bound(
            model.lp.col_cost, obj_mip + MIP_REL * abs(obj_mip) + MIP_ABS, name="objective_mip"
        )
        runner.set_cost(option_cost)
        x_cheap, _ = runner.run(clock, "investment (cheapest as good)")
        _drop_bounds(runner, [*firm_rows, "objective_mip"])
        runner.set_cost(model.lp.col_cost)
        chosen = np.round(x_cheap[build.start : build.stop])
        runner.set_bounds(build.index, chosen, chosen, integer=False)
    x, duals, optima, seconds = staged_solve(runner, model, matrix, clock)
    obj1 = dict(optima)["lateness"]
    log.info("solved with %s in %.2f s (stage-1 objective %.6g)", solver, clock.elapsed, obj1)
    return Solution(x, duals, x_before, solver, clock.elapsed, tuple(optima), tuple(seconds))


def _runner(model: Model, solver: str, matrix: sp.csc_matrix, csc: tuple[np.ndarray, ...]) -> Any:
    """CBC; HiGHS on the whole model; or, from ``BLOCK_COLUMNS`` on, HiGHS on each of its
    independent blocks (``blocks.py``)."""
    if solver == "cbc":
        return _Cbc(model, matrix)
    return blocks.split(model, matrix) or _Highs(model, *csc)


def staged_solve(
    runner: Any, model: Model, matrix: sp.csc_matrix, clock: _Clock
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, float | None]], list[tuple[str, float]]]:
    """Stage 1 and every later stage on a runner that holds the model (options already
    chosen): the plan, the stage-1 duals, each stage's optimum and seconds. With firmed
    rows, stage 0 (``firmed.py``) comes first and stage 1 is solved over its optimal face."""
    optima: list[tuple[str, float | None]] = []
    guards: list[tuple[str, np.ndarray, float]] = []
    seconds: list[tuple[str, float]] = []
    cost1 = model.lp.col_cost
    if model.firm_stage is not None:
        x0, cost0, obj0 = _honour_firmed(runner, model, clock)
        optima.append(("firmed", float(stage_cost(model, model.firm_stage) @ x0)))
        guards.append(("firmed", cost0, obj0))
        seconds.append(("firmed", clock.elapsed))
    t0 = clock.elapsed
    x, obj1 = runner.run(clock, "stage 1 (lateness)")
    _check_feasible(model, matrix, x, "stage-1")
    duals = runner.duals()
    seconds.append(("lateness", clock.elapsed - t0 if optima else clock.elapsed))
    optima.append(("lateness", obj1))
    guards.append(("lateness", cost1, obj1))
    bound: tuple[np.ndarray, float] | None = (cost1, obj1)
    # a model solved by blocks is as large as its largest block
    large = getattr(runner, "largest", model.lp.num_col) >= PRESOLVE_COLUMNS
    afresh = False  # until the fair shares are done
    for stage in model.stages:
        t0 = clock.elapsed
        if not stage.active:
            optima.append((stage.name, None))
            continue
        if bound is not None:
            runner.fix_optimal_face(model)
            runner.add_objective_bound(
                bound[0],
                bound[1] + STAGE1_REL * abs(bound[1]) + STAGE1_ABS,
                f"objective_{len(optima)}",
            )
        if stage.minimax:
            x, level = _fair_shares(runner, model, clock, large)
            afresh = large
            optima.append((stage.name, level))
            bound = None  # the fair shares are pinned as bounds on the arrivals
        else:
            cost = stage_cost(model, stage)
            scale = float(np.abs(cost).max(initial=0.0))
            if scale == 0.0:
                # nothing to optimise: every plan of the face is optimal
                optima.append((stage.name, stage.constant))
                bound = None
                continue
            runner.set_cost(cost / scale)
            x, obj = runner.run(
                clock, f"stage {len(optima) + 1} ({stage.name})", afresh, primal=PRIMAL_WARM
            )
            optima.append((stage.name, obj * scale + stage.constant))
            guards.append((stage.name, cost, obj * scale))
            bound = (cost / scale, obj)
        _check_feasible(model, matrix, x, f"{stage.name}")
        seconds.append((stage.name, clock.elapsed - t0))
    for name, cost, opt in guards:
        reached = float(cost @ x)
        if reached > opt + 1e-6 * max(1.0, abs(opt)):
            raise SolveError(
                f"numerically doubtful result: {name} {reached} above its optimum {opt}"
            )
    return x, duals, optima, seconds


def firm_cost(model: Model) -> np.ndarray:
    """Stage 0's cost: the missing fraction of each firmed row, plus a price on floor breaches
    above any fraction a unit could save, so a firmed row is never kept by drawing a stock
    below its floor (stage 1 prices breaches the same way against lateness)."""
    assert model.firm_stage is not None
    cost = stage_cost(model, model.firm_stage)
    breach = model.lp.col_blocks.get("breach")
    if breach is not None:
        cost[breach.index] = float(model.firm_stage.costs.max()) + 1.0
    return cost


def _firm_bound(runner: Any, model: Model, clock: _Clock, what: str) -> list[str]:
    """Before a solve that is not staged (the investment MILP, the plan without investment):
    the least firmed-row shortfall, held as a bound row; the names of the rows added."""
    if model.firm_stage is None:
        return []
    cost0 = firm_cost(model)
    runner.set_cost(cost0)
    _, obj0 = runner.run(clock, f"firmed rows ({what})")
    name = f"objective_firm_{what}"
    runner.add_objective_bound(cost0, obj0 + MIP_REL * abs(obj0) + MIP_ABS, name)
    runner.set_cost(model.lp.col_cost)
    return [name]


def _drop_bounds(runner: Any, names: list[str]) -> None:
    """``names`` in the order they were added; the last added goes first, so the places
    recorded for the others stay right."""
    for name in reversed(names):
        runner.drop_objective_bound(name)


def _honour_firmed(
    runner: Any, model: Model, clock: _Clock
) -> tuple[np.ndarray, np.ndarray, float]:
    """Stage 0: the least missing fraction of firmed rows, then the stage-1 cost put back.
    Returns the stage's plan, cost and optimum.

    Each row's shortfall is held at most at its stage-0 value plus ``FIRM_SLACK`` units (so
    no later stage can move even a millionth of a unit out of a kept row: a bound on the
    summed fractions alone let one, at 1e-9 of a fraction, in a test), and the stage's
    objective by its bound row. Of several stage-0 optima that spread the same summed
    shortfall differently over rows, this keeps the one found. Its face is not fixed by
    reduced costs as later stages' are: on the sample with a reference plan, that made HiGHS
    call the last stage infeasible."""
    cost0 = firm_cost(model)
    runner.set_cost(cost0)
    x0, obj0 = runner.run(clock, "stage 0 (firmed)")
    short = model.lp.col_blocks["firm_short"]
    kept = np.maximum(x0[short.start : short.stop], 0.0) + FIRM_SLACK
    runner.set_col_bounds(short.index, runner.col_lower(short.index), kept)
    runner.add_objective_bound(cost0, obj0 + STAGE1_REL * abs(obj0) + STAGE1_ABS, "objective_0")
    runner.set_cost(model.lp.col_cost)
    return x0, cost0, obj0


@dataclass
class LatenessFace:
    """The LP restricted to the plans with least lateness (stage 1), ready for other objectives
    (the trade-off curve): ``minimise(cost)`` solves over that face under the caps set."""

    model: Model
    runner: Any
    clock: Any
    lateness: float
    caps: dict[str, int] = field(default_factory=dict)

    def minimise(self, cost: np.ndarray, what: str) -> tuple[np.ndarray, float]:
        """From the last optimum by the primal simplex (``PRIMAL_WARM``): a new cap may cut
        that optimum, and the primal simplex then starts with its own first phase."""
        self.runner.set_cost(cost)
        return self.runner.run(self.clock, what, primal=PRIMAL_WARM)

    def cap(self, name: str, cost: np.ndarray, upper: float) -> None:
        """``cost . x <= upper`` (a new row the first time, its bound changed after)."""
        if name in self.runner.bound_rows:
            self.runner.set_bound(name, upper)
        else:
            self.runner.add_objective_bound(cost, upper, name)

    def uncap(self, name: str) -> None:
        if name in self.runner.bound_rows:
            self.runner.set_bound(name, INF)


def lateness_face(model: Model, time_limit: float | None = None) -> LatenessFace:
    """Solve stage 1 (HiGHS) and fix its optimal face (reduced costs and duals, plus the
    objective-bound guard), as the staged solve does before the readiness stage."""
    clock = _Clock(time_limit)
    start, index, value = model.lp.csc()
    runner = _Highs(model, start, index, value)
    _, obj1 = runner.run(clock, "stage 1 (lateness)")
    runner.fix_optimal_face(model)
    runner.add_objective_bound(model.lp.col_cost, obj1 + STAGE1_REL * abs(obj1) + STAGE1_ABS)
    return LatenessFace(model, runner, clock, obj1)


def _fair_shares(
    runner: Any, model: Model, clock: _Clock, afresh: bool = False
) -> tuple[np.ndarray, float]:
    """Progressive filling over the ``fair`` rows, every group and month at its own level;
    returns the plan and the largest missing fraction (the highest first level). ``afresh``:
    each level solved without the last basis (``PRESOLVE_COLUMNS``)."""
    lp = model.lp
    fair = lp.row_blocks["fair"]
    levels = lp.col_blocks["fair_level"]
    free = np.arange(fair.size)
    # a promise-month before anything can arrive for it misses all of its backlog whatever
    # the plan: a constant, which bounds nobody else (its row is freed without a level)
    earliest = np.full(model.data.commitments.height, model.data.horizon)
    np.minimum.at(earliest, model.ship_c, model.ship_arrival)
    nothing = model.fair_t < earliest[model.fair_c]
    runner.free_rows(fair.start + free[nothing])
    free = free[~nothing]
    first = 1.0 if nothing.any() else 0.0
    previous = np.full(levels.size, np.inf)
    k = 0
    x = np.zeros(lp.num_col)
    while free.size:
        k += 1
        cost = np.zeros(lp.num_col)
        cost[levels.start + np.unique(model.fair_lv[free])] = 1.0
        runner.set_cost(cost)
        x, total = runner.run(clock, f"fair shares, level {k}", afresh, primal=PRIMAL_WARM)
        level = np.maximum(x[levels.start + model.fair_lv[free]], 0.0)
        log.debug("fair shares: level %d, sum %.9g, %d free", k, total, free.size)
        if k == 1:
            first = max(first, float(level.max(initial=0.0)))
        y = runner.duals()[fair.start + free]
        pinned = (level <= FAIR_TOL) | (np.abs(y) > FAIR_TOL)
        # a level no dual explains (numerically degenerate): its rows at the level
        cols = model.fair_arrived[free]
        missing = 1.0 - x[cols] / model.fair_backlog[free]
        stuck = np.setdiff1d(model.fair_lv[free], model.fair_lv[free[pinned]])
        if stuck.size:
            log.warning(
                "fair shares: level %d pinned from the values for %d level(s)", k, stuck.size
            )
            pinned |= np.isin(model.fair_lv[free], stuck) & (missing >= level - 1e-9)
        stalled = (level > FAIR_TOL) & (level >= previous[model.fair_lv[free]] - FAIR_PROBE)
        candidates = ~pinned & stalled & (missing >= level - FAIR_PROBE)
        if candidates.any():
            pinned |= _cannot_do_better(runner, model, clock, free, level, candidates, k, afresh)
        previous[model.fair_lv[free]] = level
        blocked, at = free[pinned], level[pinned]
        cols = model.fair_arrived[blocked]
        want = model.fair_backlog[blocked] * (1.0 - at)
        lower = np.maximum(runner.col_lower(cols), np.minimum(want, x[cols]))
        runner.set_col_bounds(cols, lower, runner.col_upper(cols))
        runner.free_rows(fair.start + blocked)
        free = free[~pinned]
    log.log(runner.log_level, "fair shares: %d level(s)", k)
    return x, first


def _cannot_do_better(
    runner: Any,
    model: Model,
    clock: _Clock,
    free: np.ndarray,
    level: np.ndarray,
    candidates: np.ndarray,
    k: int,
    afresh: bool = False,
) -> np.ndarray:
    """Which ``candidates`` (free ``fair`` rows at their level, which the duals did
    not pin) cannot go below it: with every level held at its value, give each candidate a
    slack of at most ``FAIR_PROBE`` and maximise their sum; a row whose slack stays below half
    of that cannot do better (``fairness.py``). A mask over ``free``.

    A level is held at its value plus ``FAIR_TOL``: the value is the last run's, met by its
    rows only to HiGHS' tolerance, and held exactly it can leave no plan at all (one block of
    the 10x night: 'Infeasible' by presolve, by the interior point and by either simplex from
    the last basis, and optimal with the same answer for a margin of 1e-9 to 1e-7). If HiGHS
    still finds no plan, every candidate is pinned at its value, as a level no dual explains
    is: the plan stays feasible, and those rows keep the level they reached."""
    lp = model.lp
    levels = lp.col_blocks["fair_level"]
    slack = lp.col_blocks["fair_slack"]
    cols = levels.start + np.unique(model.fair_lv[free])
    at = np.zeros(levels.size)
    at[model.fair_lv[free]] = level
    low, up = runner.col_lower(cols), runner.col_upper(cols)
    runner.set_col_bounds(cols, low, np.maximum(at[cols - levels.start] + FAIR_TOL, low))
    probe = slack.start + free[candidates]
    runner.set_col_bounds(probe, np.zeros(probe.size), np.full(probe.size, FAIR_PROBE))
    cost = np.zeros(lp.num_col)
    cost[probe] = -1.0
    runner.set_cost(cost)
    out = np.zeros(free.size, dtype=bool)
    try:
        x, _ = runner.run(
            clock, f"fair shares, level {k}: which rows can do better", afresh, primal=PRIMAL_WARM
        )
        out[candidates] = x[probe] < FAIR_PROBE / 2
    except InfeasibleStage as exc:
        log.warning("%s; the %d rows at their level are pinned at it", exc, probe.size)
        out[candidates] = True
    finally:
        runner.set_col_bounds(probe, np.zeros(probe.size), np.zeros(probe.size))
        runner.set_col_bounds(cols, low, up)
    log.debug(
        "fair shares: level %d, %d of %d rows at it cannot do better", k, out.sum(), probe.size
    )
    return out


def _new_highs(highspy: Any) -> Any:
    """A silent Highs: its first construction prints a banner straight to fd 1, which
    would corrupt ``--json`` output, so stdout is pointed at /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


HIGHS_INFINITY = 1e20
"""HiGHS reads a bound or coefficient this large as infinite and refuses larger costs."""


def _refusal_reason(lp: Any, start: np.ndarray, index: np.ndarray, value: np.ndarray) -> str:
    """Which number of the LP HiGHS cannot take, named by its row or column, which names the
    data it came from (a pool's row: that holder and item's stock, capacity or demand)."""

    def bad(a: np.ndarray, bounds: bool) -> np.ndarray:
        big = np.abs(a) >= HIGHS_INFINITY
        return np.nonzero(np.isnan(a) | (big & np.isfinite(a) if bounds else big))[0]

    checks = [
        ("cost of column", lp.col_cost, lp.col_name, False),
        ("lower bound of column", lp.col_lower, lp.col_name, True),
        ("upper bound of column", lp.col_upper, lp.col_name, True),
        ("lower bound of row", lp.row_lower, lp.row_name, True),
        ("upper bound of row", lp.row_upper, lp.row_name, True),
    ]
    for what, array, name, bounds in checks:
        where = bad(np.asarray(array, dtype=np.float64), bounds)
        if where.size:
            j = int(where[0])
            return (
                f"the {what} {name(j)} is {array[j]:.6g} ({where.size} such), beyond the "
                f"{HIGHS_INFINITY:.0e} HiGHS accepts: check the data of that holder and item"
            )
    where = bad(value, False)
    if where.size:
        k = int(where[0])
        col = int(np.searchsorted(start, k, side="right") - 1)
        return (
            f"the coefficient of column {lp.col_name(col)} in row {lp.row_name(int(index[k]))} "
            f"is {value[k]:.6g}, beyond the {HIGHS_INFINITY:.0e} HiGHS accepts"
        )
    return "no number out of range was found; the model is inconsistent"


def pass_arrays(
    h: Any,
    cost: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    csc: tuple[np.ndarray, np.ndarray, np.ndarray],
    integrality: np.ndarray | None = None,
) -> Any:
    """Hand HiGHS ``h`` a whole model in one call: ``cost`` (minimised), ``bounds`` (column
    lower, upper, row lower, upper), the column-wise matrix ``csc`` (start, row index, value)
    and ``integrality`` (None: all continuous). HiGHS' status."""
    col_lo, col_up, row_lo, row_up = bounds
    start, index, value = csc
    if integrality is None:
        integrality = np.zeros(cost.size, dtype=np.int32)
    return h.passModel(
        cost.size,
        row_lo.size,
        int(value.size),
        1,  # column-wise
        1,  # minimise
        0.0,
        cost,
        col_lo,
        col_up,
        row_lo,
        row_up,
        start.astype(np.int32),
        index.astype(np.int32),
        value,
        integrality,
    )


class _Highs:
    def __init__(self, model: Model, start: np.ndarray, index: np.ndarray, value: np.ndarray):
        import highspy

        self.highspy = highspy
        lp = model.lp
        self.num_row = lp.num_row
        self.num_col = lp.num_col
        h = _new_highs(highspy)
        h.setOptionValue("log_to_console", False)
        status = pass_arrays(
            h,
            lp.col_cost,
            (lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper),
            (start, index, value),
            lp.integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise SolveError(f"HiGHS refused the model: {_refusal_reason(lp, start, index, value)}")
        self.h = h
        self.bound_rows: dict[str, int] = {}
        # the bounds in force now (stages fix columns and rows as they go)
        self.lower, self.upper = lp.col_lower, lp.col_upper
        self.row_lo, self.row_up = lp.row_lower, lp.row_upper
        self.cost = np.array(lp.col_cost, dtype=np.float64)
        """The cost HiGHS holds: a new one is handed over as the entries that differ."""
        self.solution: Any = None
        """The last run's solution (HiGHS converts it to lists on every ``getSolution``)."""
        self.vectors: dict[str, np.ndarray] = {}
        self.log_level = logging.INFO
        """Of the line each run logs (a block's runs: DEBUG; ``Blocks`` logs the stage)."""
        self.time_limit = INF
        """The time limit HiGHS holds (its default: none)."""
        self.iterations = 0
        self.strategy = SIMPLEX_DUAL
        """The simplex HiGHS holds (its default: dual)."""
        self.holds = False
        """Whether the last run's plan still meets every bound set since (``run`` may then
        answer without HiGHS)."""

    def set_bounds(
        self, cols: np.ndarray, lo: float | np.ndarray, up: float | np.ndarray, *, integer: bool
    ) -> None:
        n = cols.size
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), n).copy()
        up_a = np.broadcast_to(np.asarray(up, dtype=np.float64), n).copy()
        idx = cols.astype(np.int32)
        self.h.changeColsBounds(n, idx, lo_a, up_a)
        self.lower[cols], self.upper[cols] = lo_a, up_a
        self.holds = False
        kind = (
            self.highspy.HighsVarType.kInteger if integer else self.highspy.HighsVarType.kContinuous
        )
        self.h.changeColsIntegrality(n, idx, np.array([kind] * n))

    def run(
        self, clock: _Clock, stage: str, afresh: bool = False, primal: bool = False
    ) -> tuple[np.ndarray, float]:
        """Solve from the last basis, or ``afresh``: without it, so HiGHS presolves.
        ``primal``: the last optimum is still feasible (only the cost changed, and bounds
        that hold it): from its basis, by the primal simplex (``PRIMAL_WARM``).

        While the last run's plan still meets every bound (``holds``) and each column with a
        cost sits at the bound that cost pushes it to, no plan can cost less: that plan is
        the answer, certified by zero row duals (reduced costs equal to the cost), and HiGHS
        is not run. So it is in the later stages for a block whose promises are all kept or
        stocks all above their floors; from that basis HiGHS would take no iteration."""
        if self.holds and not afresh:
            done = self._already_optimal()
            if done is not None:
                return done
        left = clock.remaining()
        limit = float(left) if left is not None else INF
        if limit != self.time_limit:
            self.h.setOptionValue("time_limit", limit)
            self.time_limit = limit
        strategy = SIMPLEX_PRIMAL if primal and not afresh else SIMPLEX_DUAL
        if strategy != self.strategy:
            self.h.setOptionValue("simplex_strategy", strategy)
            self.strategy = strategy
        if afresh:
            self.h.clearSolver()
        interior = afresh and self.num_col >= INTERIOR_COLUMNS
        ms, info = self._solve(stage, interior)
        st = self.highspy.HighsModelStatus
        if interior and ms not in (st.kOptimal, st.kTimeLimit):
            log.warning(
                "%s: the interior point ended '%s'; solved again by the simplex",
                stage,
                self.h.modelStatusToString(ms),
            )
            self.h.clearSolver()
            ms, info = self._solve(stage, False)
        if ms == st.kTimeLimit:
            raise SolveError(f"time limit of {clock.limit:g} s reached in {stage}; no plan written")
        if ms != st.kOptimal:
            error = InfeasibleStage if ms == st.kInfeasible else SolveError
            raise error(f"HiGHS ended {stage} with status '{self.h.modelStatusToString(ms)}'")
        if info.max_primal_infeasibility > FEAS_TOL * 10:
            raise SolveError(
                f"numerically doubtful {stage} result (primal infeasibility {info.max_primal_infeasibility:.3g})"
            )
        self.solution = self.h.getSolution()
        self.vectors = {}
        self.holds = True
        return self.vector("col_value").copy(), float(info.objective_function_value)

    def _solve(self, stage: str, interior: bool) -> tuple[Any, Any]:
        """One HiGHS run, by the simplex or (``interior``) the interior point with crossover
        to a basic solution; its status and info."""
        if interior:
            self.h.setOptionValue("solver", "ipm")
        t0 = time.perf_counter()
        try:
            self.h.run()
        finally:
            if interior:
                self.h.setOptionValue("solver", "simplex")
        ms = self.h.getModelStatus()
        info = self.h.getInfo()
        if interior:
            self.iterations = info.ipm_iteration_count + info.crossover_iteration_count
            how = f"{info.ipm_iteration_count} interior-point and {info.crossover_iteration_count} crossover"
        else:
            self.iterations = info.simplex_iteration_count
            how = f"{info.simplex_iteration_count} simplex"
        if log.isEnabledFor(self.log_level):
            log.log(
                self.log_level,
                "%s: %s in %.2f s, %s iterations",
                stage,
                self.h.modelStatusToString(ms),
                time.perf_counter() - t0,
                how,
            )
        return ms, info

    def _already_optimal(self) -> tuple[np.ndarray, float] | None:
        """The last plan, if every column with a cost is at the bound it is pushed to."""
        x = self.vector("col_value")
        costed = np.nonzero(self.cost)[0]
        c = self.cost[costed]
        at = np.where(c > 0, self.lower[costed], self.upper[costed])
        if not np.all(np.abs(x[costed] - at) <= HOLDS_TOL):
            return None
        self.iterations = 0
        col_dual = np.zeros(x.size)
        col_dual[costed] = c
        self.vectors = {
            "col_value": x,
            "col_dual": col_dual,
            "row_dual": np.zeros(self.h.getNumRow()),
        }
        return x.copy(), float(c @ x[costed])

    def vector(self, name: str) -> np.ndarray:
        """One of the last run's solution vectors as an array (HiGHS hands each over as a
        new list on every access, so each is converted once per run)."""
        if name not in self.vectors:
            self.vectors[name] = np.asarray(getattr(self.solution, name), dtype=np.float64)
        return self.vectors[name]

    def duals(self) -> np.ndarray:
        """The last run's row duals."""
        return self.vector("row_dual")[: self.num_row].copy()

    def fix_optimal_face(self, model: Model) -> bool:
        """Fix the columns and rows the last run's duals hold at a bound; whether any bound
        moved."""
        d = self.vector("col_dual")
        x = self.vector("col_value")
        moved = False
        cols = np.nonzero(np.abs(d) > FACE_TOL)[0]
        if cols.size:
            # the bounds in force now: earlier stages may have fixed columns
            at = np.where(d[cols] > 0, self.lower[cols], self.upper[cols])
            at = np.where(np.isfinite(at), at, x[cols])
            moved = bool(np.any(self.lower[cols] != at) or np.any(self.upper[cols] != at))
            self.set_col_bounds(cols, at, at.copy())
        y = self.vector("row_dual")[: self.num_row]
        rows = np.nonzero(np.abs(y) > FACE_TOL)[0]
        if rows.size:
            at = np.where(y[rows] > 0, self.row_lo[rows], self.row_up[rows])
            ok = np.isfinite(at)
            rows, at = rows[ok], at[ok]
            moved = moved or bool(
                np.any(self.row_lo[rows] != at) or np.any(self.row_up[rows] != at)
            )
            if self.holds:
                activity = self.vector("row_value")[rows]
                self.holds = bool(np.all(np.abs(activity - at) <= HOLDS_TOL))
            self.h.changeRowsBounds(rows.size, rows.astype(np.int32), at, at.copy())
            self.row_lo[rows], self.row_up[rows] = at, at
        return moved

    def forget_stages(self, cost: np.ndarray, bounds: tuple[np.ndarray, ...]) -> None:
        """After the model was handed to HiGHS anew (a sampled future): the cost and the
        column and row bounds it now holds, and no objective-bound rows."""
        self.cost = cost.copy()
        self.bound_rows.clear()
        self.lower, self.upper, self.row_lo, self.row_up = (b.copy() for b in bounds)
        self.holds = False

    def col_lower(self, cols: np.ndarray) -> np.ndarray:
        return self.lower[cols].copy()

    def col_upper(self, cols: np.ndarray) -> np.ndarray:
        return self.upper[cols].copy()

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, up: np.ndarray) -> None:
        lo, up = np.asarray(lo, dtype=np.float64), np.asarray(up, dtype=np.float64)
        self.h.changeColsBounds(cols.size, cols.astype(np.int32), lo, up)
        self.lower[cols], self.upper[cols] = lo, up
        if self.holds:
            x = self.vector("col_value")[cols]
            self.holds = bool(np.all(x >= lo - HOLDS_TOL) and np.all(x <= up + HOLDS_TOL))

    def free_rows(self, rows: np.ndarray) -> None:
        """Rows that no longer bind: their bounds become infinite."""
        n = rows.size
        self.h.changeRowsBounds(n, rows.astype(np.int32), np.full(n, -INF), np.full(n, INF))
        self.row_lo[rows], self.row_up[rows] = -INF, INF

    def add_objective_bound(
        self, cost: np.ndarray, bound: float, name: str = "objective_stage1"
    ) -> None:
        nz = np.nonzero(cost)[0]
        self.h.addRow(-INF, bound, nz.size, nz.astype(np.int32), cost[nz])
        self.bound_rows[name] = self.h.getNumRow() - 1
        if self.holds:
            self.holds = float(cost[nz] @ self.vector("col_value")[nz]) <= bound + HOLDS_TOL

    def drop_objective_bound(self, name: str) -> None:
        row = self.bound_rows.pop(name)
        self.h.deleteRows(1, np.array([row], dtype=np.int32))

    def set_bound(self, name: str, upper: float) -> None:
        """A new upper bound on an objective-bound row."""
        row = np.array([self.bound_rows[name]], dtype=np.int32)
        self.h.changeRowsBounds(1, row, np.array([-INF]), np.array([upper]))
        self.holds = False

    def set_cost(self, cost: np.ndarray) -> None:
        changed = np.nonzero(cost != self.cost)[0]
        if changed.size:
            self.h.changeColsCost(changed.size, changed.astype(np.int32), cost[changed])
            self.cost[changed] = cost[changed]


class _Cbc:
    """The same arrays as a PuLP problem, solved by the CBC that ships with PuLP."""

    def __init__(self, model: Model, matrix: sp.csc_matrix):
        import pulp

        self.pulp = pulp
        self.log_level = logging.INFO
        lp = model.lp
        lo, up, integ = lp.col_lower, lp.col_upper, lp.integrality
        self.prob = pulp.LpProblem("allocate", pulp.LpMinimize)
        self.vars = [
            self.prob.add_variable(
                f"x{j}",
                None if not np.isfinite(lo[j]) else float(lo[j]),
                None if not np.isfinite(up[j]) else float(up[j]),
                cat=pulp.LpInteger if integ[j] else pulp.LpContinuous,
            )
            for j in range(lp.num_col)
        ]
        self.prob.setObjective(self._expr(np.arange(lp.num_col), lp.col_cost))
        csr = matrix.tocsr()
        rlo, rup = lp.row_lower, lp.row_upper
        self.rows: list[list[pulp.LpConstraint]] = []
        for i in range(lp.num_row):
            cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
            vals = csr.data[csr.indptr[i] : csr.indptr[i + 1]]
            made = []
            if np.isfinite(rlo[i]) and rlo[i] == rup[i]:
                made.append(
                    pulp.LpConstraint(
                        self._expr(cols, vals), pulp.LpConstraintEQ, f"r{i}", float(rlo[i])
                    )
                )
            else:
                if np.isfinite(rlo[i]):
                    made.append(
                        pulp.LpConstraint(
                            self._expr(cols, vals), pulp.LpConstraintGE, f"r{i}l", float(rlo[i])
                        )
                    )
                if np.isfinite(rup[i]):
                    made.append(
                        pulp.LpConstraint(
                            self._expr(cols, vals), pulp.LpConstraintLE, f"r{i}u", float(rup[i])
                        )
                    )
            for con in made:
                self.prob.addConstraint(con)
            self.rows.append(made)

    def _expr(self, cols: np.ndarray, vals: np.ndarray):  # noqa: ANN202
        return self.pulp.LpAffineExpression(
            [(self.vars[j], float(v)) for j, v in zip(cols, vals, strict=True) if v]
        )

    def set_bounds(
        self, cols: np.ndarray, lo: float | np.ndarray, up: float | np.ndarray, *, integer: bool
    ) -> None:
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), cols.size)
        up_a = np.broadcast_to(np.asarray(up, dtype=np.float64), cols.size)
        for j, a, b in zip(cols, lo_a, up_a, strict=True):
            v = self.vars[j]
            v.lowBound, v.upBound = float(a), float(b)
            v.cat = self.pulp.LpInteger if integer else self.pulp.LpContinuous

    def run(
        self, clock: _Clock, stage: str, afresh: bool = False, primal: bool = False
    ) -> tuple[np.ndarray, float]:
        left = clock.remaining()
        with warnings.catch_warnings():
            # the CBC bundled with PuLP is the one we ship; PuLP 4 moves it to an extra
            warnings.simplefilter("ignore", DeprecationWarning)
            cmd = self.pulp.PULP_CBC_CMD(
                msg=False, timeLimit=None if left is None else max(1, int(left))
            )
        try:
            self.prob.solve(cmd)
        except self.pulp.PulpSolverError as exc:
            raise SolveError(f"CBC failed in {stage}: {exc}") from exc
        if clock.limit is not None and clock.elapsed >= clock.limit:
            raise SolveError(f"time limit of {clock.limit:g} s reached in {stage}; no plan written")
        if self.prob.status != 1 or self.prob.sol_status != 1:
            raise SolveError(
                f"CBC ended {stage} with status '{self.pulp.LpStatus[self.prob.status]}'"
            )
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in self.vars])
        return x, float(self.pulp.value(self.prob.objective) or 0.0)

    def duals(self) -> np.ndarray:
        return np.array([sum((c.pi or 0.0) for c in made) for made in self.rows])

    def col_lower(self, cols: np.ndarray) -> np.ndarray:
        return np.array(
            [-INF if self.vars[j].lowBound is None else self.vars[j].lowBound for j in cols]
        )

    def col_upper(self, cols: np.ndarray) -> np.ndarray:
        return np.array(
            [INF if self.vars[j].upBound is None else self.vars[j].upBound for j in cols]
        )

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, up: np.ndarray) -> None:
        for j, a, b in zip(cols, lo, up, strict=True):
            v = self.vars[j]
            v.lowBound = None if not np.isfinite(a) else float(a)
            v.upBound = None if not np.isfinite(b) else float(b)

    def free_rows(self, rows: np.ndarray) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for i in rows:
                for con in self.rows[i]:
                    del self.prob.constraints[con.name]
                self.rows[i] = []

    def fix_optimal_face(self, model: Model) -> bool:
        for v in self.vars:
            if v.dj is not None and abs(v.dj) > FACE_TOL and v.varValue is not None:
                bound = v.lowBound if v.dj > 0 else v.upBound
                v.lowBound = v.upBound = bound if bound is not None else v.varValue
        for made in self.rows:
            for con in made:
                if con.pi is not None and abs(con.pi) > FACE_TOL:
                    con.sense = self.pulp.LpConstraintEQ
        return True

    def add_objective_bound(
        self, cost: np.ndarray, bound: float, name: str = "objective_stage1"
    ) -> None:
        nz = np.nonzero(cost)[0]
        self.prob.addConstraint(
            self.pulp.LpConstraint(self._expr(nz, cost[nz]), self.pulp.LpConstraintLE, name, bound)
        )

    def drop_objective_bound(self, name: str) -> None:
        # PuLP 3 has no public way to remove a constraint; its dict view does it and warns
        # that PuLP 4 changes that view (the lock pins PuLP 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            del self.prob.constraints[name]

    def set_cost(self, cost: np.ndarray) -> None:
        self.prob.setObjective(self._expr(np.arange(cost.size), cost))
