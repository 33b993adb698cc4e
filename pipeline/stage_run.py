"""The prologue and epilogue every stage command shares, in one place.

``stage_run`` connects, reads the loaded data set and settles the start month; ``begin``
records a run of the stage's kind; an exception inside the block marks that run failed
(with the reason) before it propagates, and a block that ends normally finishes it with its
summary. The connection is closed either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from store.dataset import Dataset, default_start, read_dataset
from store.db import Connection, connect
from store.runs import finish_run, start_run
from store.status import last_content_hash

__all__ = ["StageRun", "stage_run"]


@dataclass
class StageRun:
    """An open stage: its connection, data set, plan window and (once begun) its run id."""

    con: Connection
    dataset: Dataset
    start: date
    horizon: int
    kind: str
    scenario: str = "baseline"
    run_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    finished: bool = False

    def begin(self) -> str:
        """Record the run (kind, scenario, window, data hash) and return its id."""
        self.run_id = start_run(
            self.con,
            self.kind,
            start_month=self.start,
            horizon=self.horizon,
            scenario=self.scenario,
            content_hash=last_content_hash(self.con),
        )
        return self.run_id

    def finish(self, summary: dict[str, Any], status: str = "ok") -> None:
        """Finish the run now (inside the caller's transaction, when it has one)."""
        assert self.run_id is not None, "begin() first"
        finish_run(self.con, self.run_id, status, summary)
        self.finished = True


@contextmanager
def stage_run(
    db: str,
    kind: str,
    *,
    start: date | None,
    horizon: int,
    scenario: str = "baseline",
) -> Iterator[StageRun]:
    """Open ``db`` for one stage of ``kind`` over the window (``start`` None: the month after
    the history)."""
    con = connect(db)
    try:
        dataset = read_dataset(con)
        stage = StageRun(
            con, dataset, start or default_start(dataset), horizon, kind, scenario=scenario
        )
        try:
            yield stage
        except BaseException as exc:
            if stage.run_id is not None and not stage.finished:
                finish_run(
                    con,
                    stage.run_id,
                    "failed",
                    {"status": "failed", "error": f"{type(exc).__name__}: {exc}"},
                )
            raise
        if stage.run_id is not None and not stage.finished:
            stage.finish(stage.summary)
    finally:
        con.close()
