"""Run independent tasks serially, on local processes, or on a Dask distributed cluster.

One call, three back-ends: ``workers=1`` runs in this process; ``workers>1`` uses a local
process pool (``spawn`` start method: libRoadRunner's JIT state is not fork-safe); a
``scheduler`` address (``tcp://host:8786``) sends the tasks to a Dask distributed cluster.
Results come back in task order, so the outcome never depends on the back-end.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from trdlab.errors import TrdlabError

T = TypeVar("T")
R = TypeVar("R")


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``[function(task) for task in tasks]`` on the chosen back-end, in task order.

    ``function`` must be a module-level function (it is pickled for processes and Dask).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise TrdlabError(f"workers={workers!r} must be a positive integer (1 = in this process)")
    total = len(tasks)
    results: list[R] = []
    if scheduler is not None:
        from dask.distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = client.map(function, list(tasks), pure=False)
            done = 0
            for _ in as_completed(futures):
                done += 1
                if progress:
                    progress(done, total)
            return client.gather(futures)
    if workers == 1 or total <= 1:
        for index, task in enumerate(tasks):
            results.append(function(task))
            if progress:
                progress(index + 1, total)
        return results
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
        for index, result in enumerate(pool.map(function, tasks)):
            results.append(result)
            if progress:
                progress(index + 1, total)
    return results
