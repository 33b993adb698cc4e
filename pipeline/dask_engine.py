"""The Dask engine the simulation and the nightly run share: a local cluster of processes (one
BLAS thread each) or an existing cluster at a scheduler address.

The same code runs on either; with ``scheduler`` it can leave this machine. Each use opens one
engine and closes it (a ``with`` block), so the cluster's start-up is paid once per command.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from concurrent.futures import Executor
from typing import Any

__all__ = ["DaskEngine", "WorkerLost"]

log = logging.getLogger(__name__)


def _import(modules: tuple[str, ...]) -> int:
    for name in modules:
        importlib.import_module(name)
    return os.getpid()


def _resident_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class WorkerLost(RuntimeError):
    """A task whose worker process died before it ended (Dask's nanny restarts a worker that
    goes past its memory limit, and the tasks it ran or held are lost)."""


class DaskEngine:
    """A Dask client: a local cluster of ``workers`` processes (default: the cores; 0: one
    worker thread in this process, which starts in a fraction of a second and imports nothing
    again), or the cluster at ``scheduler`` (``tcp://HOST:PORT``)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        import dask
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        for name in ("distributed", "distributed.scheduler", "distributed.nanny"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            threads = {
                k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            }
            in_process = workers == 0
            with dask.config.set({"distributed.nanny.pre-spawn-environ": threads}):
                self.cluster = LocalCluster(
                    n_workers=1 if in_process else (workers or os.cpu_count() or 1),
                    threads_per_worker=1,
                    processes=not in_process,
                    # no dashboard, and its HTTP server on a free port: the default 8787,
                    # held by another cluster (a second night, a test), printed a warning
                    dashboard_address=":0",
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.CRITICAL,
                )
            self.client = Client(self.cluster)
        workers_info = self.client.scheduler_info()["workers"].values()
        self.workers = len(workers_info)
        self.memory_limit = max((w.get("memory_limit") or 0 for w in workers_info), default=0)
        """Bytes a worker may use before Dask's nanny restarts it (0: no limit known)."""
        self.startup = time.perf_counter() - t0
        log.info(
            "Dask engine: %d worker(s) %s, started in %.1f s",
            self.workers,
            f"at {scheduler}"
            if scheduler
            else ("in this process" if workers == 0 else "on this machine"),
            self.startup,
        )

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args)`` as a task (futures among the arguments are waited for)."""
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def warm(self, modules: tuple[str, ...]) -> list[Any]:
        """Import ``modules`` on every worker now, while the caller does other work (a new
        worker spends seconds importing the solver and the data frames on its first task)."""
        return [
            self.client.submit(_import, modules, workers=[w], allow_other_workers=False, pure=False)
            for w in self.client.scheduler_info()["workers"]
        ]

    def result(self, future: Any, what: str) -> Any:
        """``future``'s result; a lost worker is raised as ``WorkerLost``, saying ``what``
        was lost and what to do, in place of Dask's "cancelled" or "KilledWorker"."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        try:
            return future.result()
        except (FutureCancelledError, KilledWorker) as exc:
            raise WorkerLost(self._lost(what)) from exc

    def _lost(self, what: str) -> str:
        limit = (
            f" (each worker may use {self.memory_limit / 2**30:.1f} GiB"
            + (", the machine's memory shared among them" if self.cluster is not None else "")
            + ")"
            if self.memory_limit
            else ""
        )
        return (
            f"{what}: the Dask worker running it, or holding its inputs, was lost; most "
            f"often a worker past its memory limit{limit}. Run with fewer --workers (each "
            "local worker then may use more), or on a cluster whose workers have more memory"
        )

    @staticmethod
    def wait(futures: list[Any]) -> None:
        """Block until ``futures`` are done (their errors are raised when their results are
        read)."""
        from distributed import wait

        wait(futures)

    def executor(self) -> Executor:
        """A ``concurrent.futures`` executor on the engine's workers."""
        return self.client.get_executor(pure=False)

    def worker_memory_mb(self) -> float:
        """The largest resident memory of a worker process, MB."""
        rss = self.client.run(_resident_mb)
        return max(rss.values(), default=0.0)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
