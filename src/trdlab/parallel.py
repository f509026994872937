"""Run independent tasks serially, on local processes, or on a Dask distributed cluster.

One call, three back-ends: ``workers=1`` runs in this process; ``workers>1`` uses a local
process pool (``spawn`` start method: libRoadRunner's JIT state is not fork-safe); a
``scheduler`` address (``tcp://host:8786``) sends the tasks to a Dask distributed cluster.
Results come back in task order, so the outcome never depends on the back-end.

A :class:`Runner` is that back-end kept open for a whole command: its worker processes (or its
Dask client) start once, and what a worker builds (the compiled model, cached per process by the
engine and the model builders) serves every task the command sends it. :func:`run_tasks` without
a runner opens one for the call.

Failures are never silent: a local worker process that dies (killed, out of memory) breaks the
pool; the tasks it had not finished are resubmitted once to a fresh pool, and a second break
raises. On Dask, the scheduler moves a dead worker's tasks to the others and each task is also
retried ``retries`` times after an error; a task that still fails raises here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from trdlab.errors import TrdlabError

T = TypeVar("T")
R = TypeVar("R")

Workers = int | str
"""A worker count, or ``"auto"``: every core this process may use."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; the machine's count where unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: Workers) -> int:
    """``"auto"`` -> :func:`available_cores`; a positive integer (or its text) -> itself.

    Raises:
        TrdlabError: anything else, naming the value and the fix.
    """
    if isinstance(workers, str):
        text = workers.strip().lower()
        if text == "auto":
            return available_cores()
        if text.isdigit() and int(text) >= 1:
            return int(text)
    elif not isinstance(workers, bool) and isinstance(workers, int) and workers >= 1:
        return workers
    raise TrdlabError(f"workers={workers!r} must be a positive integer (1 = in this process) or 'auto' (every core)")


class Runner:
    """One back-end (serial, local processes or a Dask cluster) for the whole of a command.

    Use as a context manager; :meth:`map` may be called any number of times in the block and
    reuses the same worker processes or Dask client. Results never depend on the back-end.

    Args:
        workers: local processes (``"auto"``: every core; 1: this process).
        scheduler: a Dask scheduler address (``tcp://host:8786``); overrides ``workers``.
        retries: Dask only: times a task is retried after it raised or its worker died.
    """

    def __init__(self, workers: Workers = 1, scheduler: str | None = None, *, retries: int = 2) -> None:
        self.workers = resolve_workers(workers)
        self.scheduler = scheduler
        self.retries = retries
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def parallel(self) -> bool:
        """Whether tasks leave this process."""
        return self.scheduler is not None or self.workers > 1

    def describe(self) -> str:
        """The back-end in words (for logs and manifests)."""
        if self.scheduler is not None:
            return f"dask cluster at {self.scheduler}"
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def close(self) -> None:
        """Stop the worker processes (or close the Dask client)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def map(self, function: Callable[[T], R], tasks: Sequence[T], *,
            progress: Callable[[int, int], None] | None = None) -> list[R]:
        """``[function(task) for task in tasks]`` on this back-end, in task order.

        ``function`` must be a module-level function (it is pickled for processes and Dask).
        """
        tasks = list(tasks)
        if self.scheduler is not None:
            return self._map_dask(function, tasks, progress)
        if self.workers == 1 or len(tasks) <= 1:
            results = []
            for index, task in enumerate(tasks):
                results.append(function(task))
                if progress:
                    progress(index + 1, len(tasks))
            return results
        return self._map_local(function, tasks, progress)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _map_local(self, function: Callable[[T], R], tasks: list[T],
                   progress: Callable[[int, int], None] | None) -> list[R]:
        results: dict[int, R] = {}
        for attempt in (1, 2):
            pending = [i for i in range(len(tasks)) if i not in results]
            futures: dict[Future[R], int] = {self._executor().submit(function, tasks[i]): i for i in pending}
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        results[futures.pop(future)] = future.result()
                        if progress:
                            progress(len(results), len(tasks))
                return [results[i] for i in range(len(tasks))]
            except BrokenProcessPool as exc:
                self._pool = None  # the broken pool is dropped; the unfinished tasks go to a fresh one
                if attempt == 2:
                    raise TrdlabError(
                        f"a worker process died twice ({len(tasks) - len(results)} of {len(tasks)} tasks unfinished): "
                        f"{exc}; check memory (each worker holds a compiled model) or run with --workers 1"
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _map_dask(self, function: Callable[[T], R], tasks: list[T],
                  progress: Callable[[int, int], None] | None) -> list[R]:
        from dask.distributed import Client, as_completed

        if self._client is None:
            self._client = Client(self.scheduler)
        futures = self._client.map(function, tasks, pure=False, retries=self.retries)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(done, len(tasks))
        results: list[R] = self._client.gather(futures)
        return results


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: Workers = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
) -> list[R]:
    """``[function(task) for task in tasks]`` on the chosen back-end, in task order.

    ``runner``: an open :class:`Runner` to use (its workers are kept); otherwise one is opened for
    this call from ``workers`` and ``scheduler``. ``function`` must be a module-level function.
    """
    if runner is not None:
        return runner.map(function, tasks, progress=progress)
    with Runner(workers, scheduler) as own:
        return own.map(function, tasks, progress=progress)
