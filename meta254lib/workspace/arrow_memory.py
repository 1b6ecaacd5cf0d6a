"""Where Arrow's buffers come from while a history table is built on a cache miss.

pyarrow takes its buffers from its own allocator (mimalloc or jemalloc), which keeps its memory apart
from the C heap that Python's objects live in. A cold history load parses hundreds of MB of JSON into
Python objects, drops them, and then builds hundreds of MB of Arrow columns: with Arrow's allocator
those columns land on pages the process has never touched, and on a virtual machine each fresh page
is a fault the host serves (2-4 ms per MB measured on the 2-core machines). Taking the buffers from
the C heap (:func:`pyarrow.system_memory_pool`) reuses the pages the parsed documents gave back.

Measured on 10,000 services and 52 weeks (``meta254 bench --report-only``, 2-core VM): the cold
history load took 5.95-6.32 s with mimalloc and 5.27-5.47 s with the C heap, alternating runs. The
warm load (reading the cache) keeps Arrow's pool: there the C heap was slower (0.65 -> 0.89 s).

The choice holds only inside :func:`c_heap`; a buffer keeps the pool it came from, so it is freed
by the right allocator whenever that happens. Setting ``ARROW_DEFAULT_MEMORY_POOL`` leaves Arrow's
pool as the user chose it.

Examples
--------
>>> import pyarrow as pa
>>> before = pa.default_memory_pool().backend_name
>>> with c_heap():
...     inside = pa.default_memory_pool().backend_name
>>> pa.default_memory_pool().backend_name == before
True
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import pyarrow as pa

__all__ = ["c_heap", "on_c_heap"]

P = ParamSpec("P")
T = TypeVar("T")


@contextlib.contextmanager
def c_heap() -> Iterator[None]:
    """Take Arrow's buffers from the C heap inside the block (Arrow's pool is restored afterwards).

    Nothing changes when ``ARROW_DEFAULT_MEMORY_POOL`` is set: the user chose the pool.

    Examples
    --------
    >>> import pyarrow as pa
    >>> with c_heap():
    ...     n = len(pa.array(["a", "b"]))
    >>> n
    2
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(pool)


def on_c_heap(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run inside :func:`c_heap`.

    Examples
    --------
    >>> on_c_heap(len)([1, 2])
    2
    """

    @functools.wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> T:
        with c_heap():
            return fn(*args, **kwargs)

    return inner
