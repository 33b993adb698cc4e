"""Independent parts of the allocation LP, solved apart.

Items that share no line, pool, route, absorption limit or budget make rows and columns that
never meet: the LP is block-diagonal. Its optimal plans are the products of each block's
optimal plans, stage by stage (every stage's cost is a sum over columns, so its optimum is
the sum of the blocks' optima; the fair-shares levels belong to one item's promises, so to
one block). A dual simplex iteration on the whole LP pays for every row of every block, so a
large model is solved faster as its blocks (``BLOCK_COLUMNS``), and a block that nothing
changed for since its last run (most of them, in the later fair-shares rounds) is not run
again.

``Blocks`` holds one ``_Highs`` per block and answers as the staged solve's runner for the
whole model. A stage's blocks run side by side on the cores this process may use
(``PLAN_THREADS``): HiGHS lets go of Python's lock while it solves, and each block is its own
HiGHS, so the plan is the same whatever thread ran which block. The one thing it cannot hold
is a bound on a cost summed over blocks with a given total (the trade-off curve's caps); the
objective-bound guards of the staged solve are held per block, each at its block's own
optimum of that stage.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from optimize.model import Model

__all__ = ["BLOCK_COLUMNS", "PLAN_THREADS", "THREAD_COLUMNS", "Blocks", "blocks_of", "split"]

log = logging.getLogger(__name__)

BLOCK_COLUMNS = 2_000
"""From this many columns on, ``solve`` and ``SampleSolver`` solve the model's independent
blocks apart. Most of a warm HiGHS run's time on a model this size is work over every
column and row (pricing, recomputing primal and dual values, the checks after it), not
iterations, and a block nothing changed for is not run at all. On the sample (5.7e3
columns, in 9 blocks), ``bench/simulate.py``'s "by blocks ... whole" line: 56 ms against
92 ms per sampled future, the plan 0.09 s against 0.12 s, the same stage optima."""
MIN_BLOCK_COLUMNS = 300
"""Blocks smaller than this are packed together (each HiGHS call has a fixed cost). On the
sample, packing at 50 to 600 columns gave the same time per future within noise; at 1,000
and above it rose towards the whole model's."""

PLAN_THREADS: int | None = None
"""Threads a plan's blocks run on (None: the cores this process may use). A sampled future's
blocks run one after another (``resolve.py``): the engine's workers already fill the cores."""
THREAD_COLUMNS = 10_000
"""A stage's blocks run side by side only when those to run hold this many columns in all:
below it a HiGHS run takes about a millisecond and handing it to a thread costs a share of
that."""

_pool: ThreadPoolExecutor | None = None
_pool_threads = 0


def _threads() -> int:
    if PLAN_THREADS is not None:
        return max(1, PLAN_THREADS)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _shared_pool(threads: int) -> ThreadPoolExecutor:
    """One pool per process, kept: HiGHS sets up its own scheduler once per thread that calls
    it."""
    global _pool, _pool_threads
    if _pool is None or _pool_threads != threads:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="block")
        _pool_threads = threads
    return _pool


def blocks_of(matrix: sp.csc_matrix, min_columns: int | None = None) -> np.ndarray:
    """The block of each column: the connected parts of the row-column graph, the small ones
    packed together (still independent of each other) until each holds ``min_columns``
    (default ``MIN_BLOCK_COLUMNS``)."""
    if min_columns is None:
        min_columns = MIN_BLOCK_COLUMNS
    m, n = matrix.shape
    graph = sp.bmat([[None, matrix], [matrix.T, None]], format="csr")
    _, label = connected_components(graph, directed=False)
    part = label[m:]
    _, part = np.unique(part, return_inverse=True)
    size = np.bincount(part)
    order = np.argsort(-size, kind="stable")
    block = np.empty(size.size, np.int64)
    k, filled = -1, min_columns
    for p in order:
        if filled >= min_columns:
            k, filled = k + 1, 0
        block[p] = k
        filled += size[p]
    return block[part]


def split(model: Model, matrix: sp.csc_matrix) -> Blocks | None:
    """A model of ``BLOCK_COLUMNS`` or more in at least two blocks, as a runner of its
    blocks; None: solve it whole."""
    if model.lp.num_col < BLOCK_COLUMNS:
        return None
    column_block = blocks_of(matrix)
    return Blocks(model, matrix, column_block) if column_block.max(initial=0) > 0 else None


class Blocks:
    """The staged solve's runner over a block-diagonal model: see the module docstring."""

    def __init__(self, model: Model, matrix: sp.csc_matrix, column_block: np.ndarray):
        from optimize.solve import _Highs

        lp = model.lp
        self.num_row = lp.num_row
        csr = matrix.tocsr()
        row_block = np.zeros(lp.num_row, np.int64)
        has = np.diff(csr.indptr) > 0
        first = csr.indices[csr.indptr[:-1][has]]
        row_block[has] = column_block[first]
        self.count = int(column_block.max(initial=-1)) + 1
        self.cols = [np.nonzero(column_block == k)[0] for k in range(self.count)]
        self.rows = [np.nonzero(row_block == k)[0] for k in range(self.count)]
        self.col_local = np.empty(lp.num_col, np.int64)
        self.row_local = np.empty(lp.num_row, np.int64)
        self.col_block, self.row_block = column_block, row_block
        cost, lo, up = lp.col_cost, lp.col_lower, lp.col_upper
        rlo, rup, integrality = lp.row_lower, lp.row_upper, lp.integrality
        start, index = matrix.indptr, matrix.indices
        count = np.diff(start)
        self.entries: list[np.ndarray] = []
        """Per block, the places of its matrix entries in the whole model's column-wise
        arrays, column by column in the same order (so a coefficient moved in the whole is
        moved at the same place in its block)."""
        self.starts: list[np.ndarray] = []
        self.parts: list[Any] = []
        for k, (cols, rows) in enumerate(zip(self.cols, self.rows, strict=True)):
            self.col_local[cols] = np.arange(cols.size)
            self.row_local[rows] = np.arange(rows.size)
            n = count[cols]
            sub_start = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
            entries = np.repeat(start[cols] - sub_start[:-1], n) + np.arange(sub_start[-1])
            self.entries.append(entries)
            self.starts.append(sub_start)
            part_lp = SimpleNamespace(
                num_col=cols.size,
                num_row=rows.size,
                col_cost=cost[cols],
                col_lower=lo[cols],
                col_upper=up[cols],
                row_lower=rlo[rows],
                row_upper=rup[rows],
                integrality=integrality[cols],
                col_name=lambda j, c=cols: lp.col_name(int(c[j])),
                row_name=lambda i, r=rows: lp.row_name(int(r[i])),
            )
            runner = _Highs(
                SimpleNamespace(lp=part_lp),
                sub_start,
                self.row_local[index[entries]],
                matrix.data[entries],
            )
            runner.label = f"block {k + 1} of {self.count}"
            runner.log_level = logging.DEBUG
            self.parts.append(runner)
        self.largest = max(c.size for c in self.cols)
        """Columns of the largest block (``solve.PRESOLVE_COLUMNS`` is compared with it)."""
        self.changed = [True] * self.count
        self.last: list[tuple[np.ndarray, float] | None] = [None] * self.count
        self.lower, self.upper = lo, up
        self.row_lo, self.row_up = rlo, rup
        self.bound_rows: dict[str, int] = {}
        self.log_level = logging.INFO
        """Of the line each stage logs (a sampled future's: DEBUG)."""
        self.threads = _threads()
        """How many blocks run at once (a sampled future's: 1)."""
        self.integer = [bool(np.any(integrality[cols])) for cols in self.cols]
        """Blocks with integer columns (the investment MILP) run on this thread: HiGHS' MIP
        solver has its own parallel scheduler."""
        log.info(
            "%d columns in %d independent blocks of %s columns",
            lp.num_col,
            self.count,
            "/".join(str(c.size) for c in self.cols),
        )

    def _split(
        self, index: np.ndarray, which: np.ndarray, local: np.ndarray
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Per block met by ``index``: the block, the mask over ``index``, the local indices."""
        for k in np.unique(which[index]):
            sel = which[index] == k
            yield int(k), sel, local[index[sel]]

    def load(
        self,
        cost: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        index: np.ndarray,
        value: np.ndarray,
        bases: list[Any],
    ) -> None:
        """Hand every block the whole model's ``cost``, ``bounds`` (column lower, upper, row
        lower, upper) and column-wise row ``index``/``value`` (the places of the model's own
        arrays, some rows moved within their block), each starting from its ``bases``
        entry: a sampled future (``resolve.py``)."""
        from optimize.solve import pass_arrays

        col_lo, col_up, row_lo, row_up = bounds
        for k, part in enumerate(self.parts):
            cols, rows, entries = self.cols[k], self.rows[k], self.entries[k]
            local = self.row_local[index[entries]]
            part_bounds = (col_lo[cols], col_up[cols], row_lo[rows], row_up[rows])
            pass_arrays(part.h, cost[cols], part_bounds, (self.starts[k], local, value[entries]))
            part.forget_stages(cost[cols], part_bounds)
            part.h.setBasis(bases[k])
        self.changed = [True] * self.count
        self.last = [None] * self.count
        self.bound_rows.clear()
        self.lower, self.upper = col_lo.copy(), col_up.copy()
        self.row_lo, self.row_up = row_lo.copy(), row_up.copy()

    def bases(self) -> list[Any]:
        """Each block's basis now (HiGHS' own objects, for ``load``)."""
        return [part.h.getBasis() for part in self.parts]

    def run(
        self, clock: Any, stage: str, afresh: bool = False, primal: bool = False
    ) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        todo = [k for k in range(self.count) if self.changed[k] or self.last[k] is None]
        side_by_side = (
            self.threads > 1
            and len(todo) > 1
            and sum(self.cols[k].size for k in todo) >= THREAD_COLUMNS
            and not any(self.integer[k] for k in todo)
        )

        def one(k: int) -> tuple[np.ndarray, float]:
            part = self.parts[k]
            return part.run(clock, f"{stage} [{part.label}]", afresh, primal)

        if side_by_side:
            # the largest first, so that the last to start is a short one
            todo.sort(key=lambda k: -self.cols[k].size)
            done = list(_shared_pool(self.threads).map(one, todo))
        else:
            done = [one(k) for k in todo]
        for k, result in zip(todo, done, strict=True):
            self.last[k] = result
            self.changed[k] = False
        x = np.zeros(self.col_block.size)
        total = 0.0
        for k in range(self.count):
            xk, objk = self.last[k]
            x[self.cols[k]] = xk
            total += objk
        log.log(
            self.log_level,
            "%s: optimal in %.2f s, %d of %d blocks run%s, %d iterations",
            stage,
            time.perf_counter() - t0,
            len(todo),
            self.count,
            f" on {min(self.threads, len(todo))} threads" if side_by_side else "",
            sum(self.parts[k].iterations for k in todo),
        )
        return x, total

    def duals(self) -> np.ndarray:
        y = np.zeros(self.num_row)
        for k, part in enumerate(self.parts):
            y[self.rows[k]] = part.duals()
        return y

    def fix_optimal_face(self, model: Model) -> bool:
        moved = False
        for k, part in enumerate(self.parts):
            if part.fix_optimal_face(model):
                self.changed[k] = moved = True
                self.lower[self.cols[k]], self.upper[self.cols[k]] = part.lower, part.upper
                self.row_lo[self.rows[k]], self.row_up[self.rows[k]] = part.row_lo, part.row_up
        return moved

    def col_lower(self, cols: np.ndarray) -> np.ndarray:
        return self.lower[cols].copy()

    def col_upper(self, cols: np.ndarray) -> np.ndarray:
        return self.upper[cols].copy()

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, up: np.ndarray) -> None:
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), cols.size)
        up = np.broadcast_to(np.asarray(up, dtype=np.float64), cols.size)
        for k, sel, local in self._split(cols, self.col_block, self.col_local):
            self.parts[k].set_col_bounds(local, lo[sel], up[sel])
            self.changed[k] = True
        self.lower[cols], self.upper[cols] = lo, up

    def set_bounds(
        self, cols: np.ndarray, lo: float | np.ndarray, up: float | np.ndarray, *, integer: bool
    ) -> None:
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), cols.size)
        up_a = np.broadcast_to(np.asarray(up, dtype=np.float64), cols.size)
        for k, sel, local in self._split(cols, self.col_block, self.col_local):
            self.parts[k].set_bounds(local, lo_a[sel], up_a[sel], integer=integer)
            self.changed[k] = True
            self.integer[k] = self.integer[k] or integer
        self.lower[cols], self.upper[cols] = lo_a, up_a

    def free_rows(self, rows: np.ndarray) -> None:
        for k, _, local in self._split(rows, self.row_block, self.row_local):
            self.parts[k].free_rows(local)
            self.changed[k] = True
        self.row_lo[rows], self.row_up[rows] = -np.inf, np.inf

    def set_cost(self, cost: np.ndarray) -> None:
        for k, part in enumerate(self.parts):
            local = cost[self.cols[k]]
            if not np.array_equal(local, part.cost):
                part.set_cost(local)
                self.changed[k] = True

    def add_objective_bound(
        self, cost: np.ndarray, bound: float, name: str = "objective_stage1"
    ) -> None:
        """Each block's part of ``cost`` held at that block's last optimum with the
        tolerance the caller gave the whole: ``bound`` must be the last run's optimum of
        ``cost`` plus a tolerance (the staged solve's guards), not an arbitrary cap."""
        x = np.zeros(self.col_block.size)
        for k in range(self.count):
            last = self.last[k]
            if last is not None:
                x[self.cols[k]] = last[0]
        whole = float(cost @ x)
        slack = bound - whole
        if slack < 0:
            raise ValueError(f"{name}: a bound below the last optimum cannot be split by block")
        for k, part in enumerate(self.parts):
            local = cost[self.cols[k]]
            if not local.any():
                continue
            share = float(local @ x[self.cols[k]])
            part.add_objective_bound(local, share + slack, name)
            self.changed[k] = True
        self.bound_rows[name] = -1

    def drop_objective_bound(self, name: str) -> None:
        self.bound_rows.pop(name)
        for k, part in enumerate(self.parts):
            if name in part.bound_rows:
                part.drop_objective_bound(name)
                self.changed[k] = True
