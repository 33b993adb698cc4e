"""Independent blocks of the LP solved apart (``optimize/blocks.py``): the same optima as the
whole model, whatever the path through the staged solve (plain, firmed rows, a budget)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from optimize_helpers import assert_same_optima, sample_dataset

from optimize import allocate, check_plan
from optimize.blocks import blocks_of
from optimize.firmed import FIRMED_SCHEMA
from store.dataset import default_start


def _connected(matrix: sp.csc_matrix) -> list[set[int]]:
    """The columns that share a row, closed by hand (a second way to the same parts)."""
    parts: list[set[int]] = [{j} for j in range(matrix.shape[1])]
    csr = matrix.tocsr()
    for i in range(matrix.shape[0]):
        cols = set(csr.indices[csr.indptr[i] : csr.indptr[i + 1]].tolist())
        if not cols:
            continue
        touching = [p for p in parts if p & cols]
        merged = set().union(*touching)
        parts = [p for p in parts if not p & cols] + [merged]
    return parts


def test_blocks_hold_whole_connected_parts_and_pack_the_small_ones() -> None:
    rng = np.random.default_rng(3)
    dense = np.zeros((9, 14))
    # parts: {0,1,2} {3,4} {5} {6,7,8,9} {10} {11,12}; column 13 is in no row
    for row, cols in enumerate([[0, 1], [1, 2], [3, 4], [5], [6, 7], [7, 8], [8, 9], [10]]):
        dense[row, cols] = rng.uniform(0.5, 2.0, len(cols))
    dense[8, [11, 12]] = 1.0
    matrix = sp.csc_matrix(dense)
    parts = _connected(matrix)
    for min_columns in (1, 3, 5, 100):
        block = blocks_of(matrix, min_columns)
        for part in parts:
            assert len({int(block[j]) for j in part}) == 1, (min_columns, part)
        sizes = np.bincount(block)
        # every block is full but the last one filled
        assert (sizes[:-1] >= min_columns).all(), (min_columns, sizes)
        if min_columns == 1:
            assert block.max() + 1 == len(parts)
    assert (blocks_of(matrix, 100) == 0).all()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ds = sample_dataset(str(tmp_path_factory.mktemp("sample") / "s.duckdb"))
    return ds, default_start(ds)


def _firm_one(plan: Any) -> pl.DataFrame:
    row = (
        plan.shipments.filter(pl.col("units") > 1)
        .sort("units", "commitment_id")
        .row(-1, named=True)
    )
    return pl.DataFrame(
        [
            {
                "firm_id": 1,
                "kind": "shipment",
                "source_id": row["source_id"],
                "commitment_id": row["commitment_id"],
                "partner_id": row["partner_id"],
                "item_id": row["item_id"],
                "month": row["month"].strftime("%Y-%m"),
                "units": round(row["units"] / 2),
            }
        ],
        schema=FIRMED_SCHEMA,
    )


@pytest.mark.parametrize("case", ["plain", "firmed", "budget"])
def test_solved_by_blocks_the_sample_reaches_every_optimum_of_the_whole(
    sample: Any, case: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import optimize.blocks

    ds, start = sample
    kwargs: dict[str, Any] = {}
    if case == "firmed":
        kwargs["firmed"] = _firm_one(allocate(ds, None, start, 36))
    if case == "budget":
        kwargs["budget"] = 2e9
    whole = allocate(ds, None, start, 36, **kwargs)
    monkeypatch.setattr(optimize.blocks, "BLOCK_COLUMNS", 0)
    with caplog.at_level(logging.INFO, logger="optimize.blocks"):
        parts = allocate(ds, None, start, 36, **kwargs)
    split = [r.getMessage() for r in caplog.records if "independent blocks" in r.getMessage()]
    assert split, "no split into blocks"
    assert " 1 independent" not in split[0], split
    assert check_plan(ds, None, start, 36, parts, firmed=kwargs.get("firmed")) == []
    assert_same_optima(parts, whole, rel=1e-7)
    if case == "budget":
        bought = [
            p.investments.filter(pl.col("chosen")).get_column("option_id").sort().to_list()
            for p in (parts, whole)
        ]
        assert bought[0], "the budget buys nothing: the MILP path is not tested"
        assert bought[0] == bought[1]


def test_blocks_run_side_by_side_give_the_plan_they_give_one_after_another(
    sample: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import optimize.blocks

    ds, start = sample
    monkeypatch.setattr(optimize.blocks, "BLOCK_COLUMNS", 0)
    monkeypatch.setattr(optimize.blocks, "PLAN_THREADS", 1)
    with caplog.at_level(logging.INFO, logger="optimize.blocks"):
        alone = allocate(ds, None, start, 36)
    assert not [r for r in caplog.records if " threads," in r.getMessage()]
    caplog.clear()
    monkeypatch.setattr(optimize.blocks, "PLAN_THREADS", 2)
    monkeypatch.setattr(optimize.blocks, "THREAD_COLUMNS", 0)
    with caplog.at_level(logging.INFO, logger="optimize.blocks"):
        side = allocate(ds, None, start, 36)
    threaded = [r.getMessage() for r in caplog.records if " on 2 threads," in r.getMessage()]
    assert threaded, "no stage ran its blocks side by side"
    # each block is its own HiGHS: the same shipments to the unit, whichever thread ran it
    assert side.shipments.sort(side.shipments.columns).equals(
        alone.shipments.sort(alone.shipments.columns)
    )
    assert side.stages == alone.stages


def test_a_block_that_fails_on_a_thread_fails_the_stage(
    sample: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimize.blocks
    from optimize.solve import SolveError, _Highs

    ds, start = sample
    monkeypatch.setattr(optimize.blocks, "BLOCK_COLUMNS", 0)
    monkeypatch.setattr(optimize.blocks, "PLAN_THREADS", 2)
    monkeypatch.setattr(optimize.blocks, "THREAD_COLUMNS", 0)
    real_run = _Highs.run

    def run(self: Any, clock: Any, stage: str, afresh: bool = False, primal: bool = False) -> Any:
        if "readiness" in stage and "[block 2 of" in stage:
            raise SolveError(f"HiGHS ended {stage} with status 'Infeasible'")
        return real_run(self, clock, stage, afresh, primal)

    monkeypatch.setattr(_Highs, "run", run)
    with pytest.raises(SolveError, match=r"readiness.*block 2 of"):
        allocate(ds, None, start, 36)
