"""Serve workspace computations from the warm-load cache: whether to cache, and the unit decorator.

A "unit" is one computation of :class:`~meta254lib.workspace.workspace.Workspace` (the catalog, the teams,
the manifests, the catalog tables, the histories, ...). :func:`cached_unit` stores its value together
with what it added to the workspace's :class:`~meta254lib.workspace.files.WorkspaceFiles` (warnings,
file records, row counts) and replays both on a warm open.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.settings import LAYOUT
from .cache import AUTO_MIN_BYTES, WorkspaceCache, cache_folder, resolve_mode
from .cachefs import escaped_name, folder_problem
from .codec import Deferred
from .input_scan import scan_inputs

if TYPE_CHECKING:
    from .files import WorkspaceFiles

__all__ = ["LOCK_WAIT_S", "TABLE_INPUTS", "cache_wanted", "cached_unit", "open_cache", "unit_lock"]

#: Seconds a process waits for another one computing the same unit before it computes it itself.
LOCK_WAIT_S = 600.0

#: Inputs of the catalog tables (services, contracts, dependencies, events); see :func:`cached_unit`.
TABLE_INPUTS = ("catalog", "teams", "manifests", "names:lockfiles", "rules", "events_registry")


def cache_wanted(root: Path | str, cache: bool | str | None = None) -> bool:
    """Whether :func:`~meta254lib.workspace.workspace.open_workspace` (``root``, ``cache``) would use the cache.

    ``cache`` or ``$META254_CACHE`` ``on``: yes; ``off``: no; ``auto``: when the catalog is at least
    :data:`~meta254lib.workspace.cache.AUTO_MIN_BYTES`. Nothing is read but the catalog's size.

    Examples
    --------
    >>> import tempfile
    >>> cache_wanted(tempfile.mkdtemp(), cache="auto"), cache_wanted(tempfile.mkdtemp(), cache=True)
    (False, True)
    """
    root = Path(root)
    mode = resolve_mode(cache)
    if mode == "off" or not root.is_dir():
        return False
    if mode == "auto":
        sizes = []
        for rel in LAYOUT["catalog"]:
            try:
                sizes.append(os.stat(root / rel).st_size)
            except OSError:
                pass
        return max(sizes, default=0) >= AUTO_MIN_BYTES
    return True


def open_cache(
    root: Path, cache: bool | str | None, warnings: list[tuple[str, str, str]] | None = None
) -> WorkspaceCache | None:
    """The warm-load cache of the workspace at ``root``, or ``None`` when it is not wanted or not usable.

    A cache folder that is a link (or lies under one, or is not a folder) is not used: a warning
    naming it goes to ``warnings``, and the workspace loads without a cache.
    """
    if not cache_wanted(root, cache):
        return None
    folder = cache_folder(root)
    problem = folder_problem(folder, root)
    if problem is not None:
        if warnings is not None:
            try:
                name = folder.relative_to(root).as_posix()
            except ValueError:
                name = str(folder)
            warnings.append((escaped_name(name), "", problem))
        return None
    return WorkspaceCache(root, folder)


@contextlib.contextmanager
def unit_lock(folder: Path, unit: str, wait_s: float = LOCK_WAIT_S) -> Iterator[bool]:
    """Hold the lock of ``unit`` in the cache ``folder``; yield whether another process held it first.

    ``True`` means this process waited while another computed the unit: read the cache again before
    computing. Without a usable folder (absent, not writable, no ``flock``), or after ``wait_s``,
    it yields ``False`` at once and the caller computes the unit as if there were no lock.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with unit_lock(folder, "catalog") as waited:
    ...     waited, (folder / ".lock-catalog").is_file()
    (False, True)
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield False
        return
    try:
        fd = os.open(folder / f".lock-{unit}", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        yield False
        return
    waited, held = False, False
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                waited = True
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
            except OSError:
                break
        yield waited
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _replay(io: WorkspaceFiles, store: WorkspaceCache, unit: str, got: dict[str, Any]) -> Any:
    """Add a stored unit's effects to ``io`` and return its value."""
    io.warnings.extend(tuple(w) for w in got["warnings"])
    io.replay(store.stat_of, got["files"])  # file records are made when needed, see WorkspaceFiles.files
    io.rows.update(got["rows"])
    io.effects[unit] = got
    return got["value"]


def _effects_since(
    io: WorkspaceFiles, value: Any, n_warn: int, files: dict[str, dict[str, Any]], rows: dict[str, Any]
) -> dict[str, Any]:
    """The value and what a computation added to ``io`` since its warnings, files and rows were ``n_warn``, ..."""
    return {
        "value": value,
        "warnings": [list(w) for w in io.warnings[n_warn:]],
        "files": Deferred(
            [
                {"rel": k, **{f: x for f, x in v.items() if f not in ("modified", "bytes")}}
                for k, v in io.files.items()
                if files.get(k) != v
            ]
        ),
        "rows": {k: v for k, v in io.rows.items() if k not in rows or rows[k] != v},
    }


def _adopted(value: Any, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The value with the effects of the adopted units ``parts``, in that order."""
    return {
        "value": value,
        "warnings": [list(w) for part in parts for w in part["warnings"]],
        "files": Deferred([dict(info) for part in parts for info in part["files"].get()]),
        "rows": {k: v for part in parts for k, v in part["rows"].items()},
    }


def cached_unit(
    *inputs: str, deps: tuple[str, ...] = (), mtimes: bool = False, adopt: tuple[str, ...] = ()
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Serve a workspace computation from the warm-load cache (:mod:`meta254lib.workspace.cache`).

    ``inputs`` are the layout keys (or relative paths) of every file the computation may read,
    directly or through ``deps`` (``names:key`` when only which files exist matters, not what they
    hold); ``deps`` are the attributes it uses, computed first so that the
    warnings, file records and row counts it adds are exactly its own. On a hit those are replayed
    in the same order as a cold load would add them; on a miss the computation runs and its result
    and effects are stored. Without a cache (``cache=False``, or a small workspace) it just runs.

    ``adopt`` names cached units the computation reads (``inputs`` must cover theirs) whose effects
    it stores as its own, in that order, whether or not they had run before in this process: a
    small summary of a big table then replays the table's warnings, file records and row counts
    without loading the table, and ``ws.warnings``/``ws.inputs`` stay those of a cold load (a
    warning replayed twice is listed once). The effects of every unit served through the cache are
    remembered on the workspace for that purpose.
    """

    def wrap(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        unit = fn.__name__.strip("_")

        @functools.wraps(fn)
        def inner(self: Any) -> Any:
            io: WorkspaceFiles = self._io
            store = io.cache
            if store is None:
                return fn(self)
            for name in deps:
                getattr(self, name)
            rels = scan_inputs(self.root, inputs, LAYOUT, store.listings)
            if rels is None:
                return fn(self)
            got = store.load(unit, rels, mtimes)
            if _stored(got):
                return _replay(io, store, unit, got)
            if not store.folder.is_dir():  # a cold cache's first unit: nothing to lock in yet
                return _compute(self, io, store, unit, rels)
            with unit_lock(store.folder, unit) as waited:
                if waited:  # another process computed it meanwhile
                    got = store.load(unit, rels, mtimes)
                    if _stored(got):
                        return _replay(io, store, unit, got)
                return _compute(self, io, store, unit, rels)

        def _compute(self: Any, io: WorkspaceFiles, store: WorkspaceCache, unit: str, rels: list[str]) -> Any:
            """Compute the unit, store its value and effects, return the value."""
            states = store.states(rels)
            n_warn = len(io.warnings)
            files = {k: dict(v) for k, v in io.files.items()}
            rows = dict(io.rows)
            value = fn(self)
            effects = _effects_since(io, value, n_warn, files, rows)
            if adopt:
                parts = [io.effects.get(name) for name in adopt]
                if any(part is None for part in parts):  # an adopted unit was not served by the cache
                    return value
                effects = _adopted(value, parts)
            io.effects[unit] = effects
            store.save(unit, rels, effects, mtimes, states)
            return value

        return inner

    return wrap


def _stored(got: Any) -> bool:
    """Whether ``got`` (a :meth:`WorkspaceCache.load` result) is a stored unit with its effects."""
    keys = {"value", "warnings", "files", "rows"}
    return isinstance(got, dict) and keys <= got.keys() and isinstance(got["files"], Deferred)
