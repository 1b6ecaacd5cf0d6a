"""Build the columns of a large frame on a few threads.

Most of the time a history frame takes is spent in Arrow and numpy kernels (a ``take`` of a million
texts, a concatenation, a dictionary encoding) that release the GIL, and much of that is the kernel
mapping fresh memory for their results. Independent columns can be built at the same time on the
machine's cores; each column is built by one job, so the result is the same whatever the number of
threads.

Examples
--------
>>> run_jobs({"a": lambda: 1, "b": lambda: 2})
{'a': 1, 'b': 2}
>>> run_jobs({"a": lambda: 1, "b": lambda: 2}, workers=1)
{'a': 1, 'b': 2}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["MAX_WORKERS", "run_jobs", "worker_count"]

T = TypeVar("T")

#: At most this many threads build columns (more gains nothing: the work is bound by memory).
MAX_WORKERS = 4


def worker_count() -> int:
    """The threads :func:`run_jobs` uses by default: the CPUs this process may run on, at most :data:`MAX_WORKERS`.

    Examples
    --------
    >>> 1 <= worker_count() <= MAX_WORKERS
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def run_jobs(jobs: Mapping[str, Callable[[], T]], workers: int | None = None) -> dict[str, T]:
    """The result of each job, by name, in the order of ``jobs``.

    The jobs run on ``workers`` threads (default :func:`worker_count`); with one worker, or one
    job, they run in this thread, one after the other. The first exception a job raises (in the
    order of ``jobs``) is raised here once every job has ended.

    Examples
    --------
    >>> run_jobs({"x": lambda: [1] * 2, "y": lambda: "t"}, workers=2)
    {'x': [1, 1], 'y': 't'}
    """
    n = worker_count() if workers is None else max(1, workers)
    if n == 1 or len(jobs) <= 1:
        return {name: job() for name, job in jobs.items()}
    with ThreadPoolExecutor(max_workers=min(n, len(jobs)), thread_name_prefix="m254-columns") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    return {name: fut.result() for name, fut in futures.items()}
