"""A task whose Dask worker dies (as one past its memory limit is restarted by Dask's nanny)
ends in ``WorkerLost``, naming what was lost and what to do, not Dask's "cancelled"."""

from __future__ import annotations

import os

import dask
import pytest

from pipeline.dask_engine import DaskEngine, WorkerLost


def test_a_worker_that_dies_under_a_task_is_named_with_what_was_lost() -> None:
    # one failure is enough: Dask otherwise retries the task on the restarted worker
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        DaskEngine(None, 1) as engine,
    ):
        dying = engine.submit(os._exit, 1)
        with pytest.raises(WorkerLost) as lost:
            engine.result(dying, "the plan of baseline")
        message = str(lost.value)
        assert message.startswith("the plan of baseline: the Dask worker running it")
        assert "GiB, the machine's memory shared among them" in message
        assert "fewer --workers" in message
        # the engine goes on: the restarted worker runs the next task
        assert engine.result(engine.submit(int, "7"), "a check") == 7
