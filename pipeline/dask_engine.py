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

__all__ = ["DaskEngine"]

log = logging.getLogger(__name__)


def _import(modules: tuple[str, ...]) -> int:
    for name in modules:
        importlib.import_module(name)
    return os.getpid()


def _resident_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


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
        self.workers = len(self.client.scheduler_info()["workers"])
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
