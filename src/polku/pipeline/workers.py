"""The per-service work of one analysis spread over this machine's processor cores.

Why processes: the estimators are Python and numpy (cross-fitting, bootstraps, the hazard
models), so threads would wait on each other for the interpreter; each service's fit is
independent of the others. The parent keeps the engine's connection and builds each
service's cohort (DuckDB, itself multi-threaded) while the workers fit the ones before, and
at most `workers` + 1 items are in flight, so only a few pickled copies of cohorts exist at
once (the run's `CohortBuilder` keeps each cohort for the sections that reuse it).

The results do not depend on the number of workers: each item runs the same code on the
same rows with the same seed, in a fresh process that reads no global state, and the
results come back in the items' order (`tests/pipeline/test_workers.py`).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from polku import settings

Item = TypeVar("Item")
Result = TypeVar("Result")


def analysis_workers() -> int:
    """Processes an analysis fits its services in (`POLKU_ANALYSIS_WORKERS`; 1: in the
    analysis's own process, as before)."""
    return settings.analysis_workers()


def map_in_order(fn: Callable[[Item], Result], items: Iterable[Item], workers: int | None = None) -> Iterator[Result]:
    """`fn(item)` for each item, in the items' order, in `workers` processes (default
    `analysis_workers()`). `fn` must be a module-level function (or a `functools.partial` of
    one) and items and results picklable. The items are drawn from the iterable only as a
    worker frees: at most `workers` + 1 are built and sent at once (the next is built while
    the workers fit). With one worker everything runs here, without a process."""
    count = analysis_workers() if workers is None else workers
    if count <= 1:
        yield from map(fn, items)
        return
    source = iter(items)
    pending: deque[Future[Result]] = deque()
    context = multiprocessing.get_context("spawn")  # no fork of a process holding DuckDB's and BLAS's threads
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        while True:
            while len(pending) <= count:  # one more than the workers: the next is built while they fit
                item = next(source, _END)
                if item is _END:
                    break
                pending.append(pool.submit(fn, item))  # type: ignore[arg-type]
            if not pending:
                return
            yield pending.popleft().result()


_END = object()
