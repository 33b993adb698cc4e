"""Long work started from a page runs in a thread of the server process that took the request;
its progress and result go to the shared state (``store.state``), so a page polling from any
server process reads them, and a job whose process dies reads as failed, not as running forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from store.errors import InputRejected
from store.state import StateBusyError, StateStore

__all__ = ["Progress", "start_background"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def start_background(
    state: StateStore,
    kind: str,
    owner: str,
    total: int,
    work: Callable[[Progress], Any],
    *,
    limit: int = 1,
    describe: Callable[[InputRejected], str] = str,
) -> str | None:
    """Start ``work(progress)`` in a thread as a job of ``kind`` for ``owner``; its id, or None
    when ``limit`` jobs of that kind are running already. ``work`` returns a JSON value (the
    job's result); a rejected input ends the job with ``describe(exc)``, any other failure
    with its type and message."""
    job = state.start_job(kind, owner, "starting", total, limit=limit)
    if job is None:
        return None

    def progress(stage: str, done: int, of: int) -> None:
        try:
            state.update_job(job, stage, done, of)
        except StateBusyError:  # progress is best effort; the next update says it again
            log.warning("job %s: progress not recorded (shared state busy)", job)

    def run() -> None:
        try:
            result = work(progress)
        except InputRejected as exc:
            state.finish_job(job, error=describe(exc), stage="failed")
        except Exception as exc:  # the page says why; the log keeps the traceback
            log.exception("job %s (%s) failed", job, kind)
            state.finish_job(job, error=f"{type(exc).__name__}: {exc}", stage="failed")
        else:
            state.finish_job(job, result=result)
        finally:
            state.close()

    threading.Thread(target=run, name=f"{kind}-{job[:6]}", daemon=True).start()
    return job
