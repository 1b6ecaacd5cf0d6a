"""Read the next files of a loop in one background thread while the caller parses the current one.

A history load reads a hundred files of a few MB each, one after the other: reading a file and hashing
it for the warm-load cache release the GIL, so one thread can do both for the next files while the
caller parses this one. Each file is stat-ed, then read, then hashed, in that order, in the thread (the
cache key needs the stat taken before the read); what the caller does with a file (its record, its
warnings) stays in the caller's thread and order. At most ``depth`` files are held ahead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.errors import InputError

__all__ = ["Fetched", "ReadAhead"]

#: What the thread got for one file: its stat (``None`` when gone), its bytes or the :class:`InputError`
#: reading it raised, and the digest of the bytes (``None`` when the workspace has no cache).
Fetched = tuple[os.stat_result | None, bytes | InputError, str | None]


class ReadAhead:
    """Files of ``paths`` read ahead by ``read``, in order, at most ``depth`` at a time.

    Use as a context manager; :meth:`take` returns a file's :data:`Fetched` (``None`` for a path it
    was not given or already gave).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> paths = [folder / f"{k}.json" for k in range(3)]
    >>> for k, p in enumerate(paths):
    ...     _ = p.write_text(str(k))
    >>> with ReadAhead(paths, lambda p: (None, p.read_bytes(), None)) as ahead:
    ...     [ahead.take(p)[1] for p in paths], ahead.take(paths[0])
    ([b'0', b'1', b'2'], None)
    """

    def __init__(self, paths: Iterable[Path], read: Callable[[Path], Fetched], depth: int = 2) -> None:
        self._paths = list(paths)
        self._read = read
        self._depth = max(1, depth)
        self._next = 0
        self._pending: dict[Path, Future[Fetched]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="m254-read-ahead")
        self._fill()

    def _fill(self) -> None:
        while self._next < len(self._paths) and len(self._pending) < self._depth:
            path = self._paths[self._next]
            self._next += 1
            if path not in self._pending:
                self._pending[path] = self._pool.submit(self._read, path)

    def take(self, path: Path) -> Fetched | None:
        """What was read for ``path`` (waiting for it if needed); ``None`` when it was not read ahead."""
        fut = self._pending.pop(path, None)
        self._fill()
        return fut.result() if fut is not None else None

    def close(self) -> None:
        """Drop what was not taken and stop the thread."""
        for fut in self._pending.values():
            fut.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
