"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file meta254 writes as output goes through here (or is built in a temporary folder that is
renamed into place, as the weekly report is). Data is written to a temporary file in the target's
folder, flushed to disk, then renamed over the target (:func:`write_atomic`) or linked to a name
that must not exist yet (:func:`write_new`, which never replaces anything). An interrupted write
leaves no temporary file behind.

A write that fails because of the environment (a full disk, a read-only file system, a quota, no
permission) raises :class:`~meta254lib.core.errors.OutputError` naming the path (exit code 2), not a
bare ``OSError`` (:func:`output_errors`).

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.json", '{"n": 1}\\n').read_text()
'{"n": 1}\\n'
>>> write_new(folder / "a.json", b"other"), (folder / "a.json").read_text()
(False, '{"n": 1}\\n')
>>> write_new(folder / "b.json", b"new"), sorted(p.name for p in folder.iterdir())
(True, ['a.json', 'b.json'])
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

__all__ = ["ENVIRONMENT_ERRNOS", "ensure_folder", "output_error", "output_errors", "write_atomic", "write_new"]

#: ``errno`` values that mean "the environment refuses the write", not a bug.
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
)


def output_error(err: OSError, path: str | os.PathLike[str]) -> OutputError | None:
    """The :class:`OutputError` for an environment ``OSError`` (None for any other error).

    The path is the one the OS names, else ``path``.

    Examples
    --------
    >>> str(output_error(OSError(errno.ENOSPC, "No space left on device"), "reports"))
    'cannot write reports: No space left on device'
    >>> output_error(OSError(errno.EEXIST, "File exists"), "reports") is None
    True
    """
    if err.errno not in ENVIRONMENT_ERRNOS:
        return None
    where = err.filename if err.filename is not None else path
    return OutputError(os.fsdecode(where), err.strerror or os.strerror(err.errno or 0))


@contextlib.contextmanager
def output_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an environment ``OSError`` raised in the block into :class:`OutputError` naming ``path``.

    Examples
    --------
    >>> with output_errors("out/a.json"):
    ...     raise OSError(errno.EROFS, "Read-only file system")
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.OutputError: cannot write out/a.json: Read-only file system
    """
    try:
        yield
    except OSError as err:
        translated = output_error(err, path)
        if translated is None:
            raise
        raise translated from err


def ensure_folder(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` (and its parents) if missing; :class:`OutputError` when the disk refuses."""
    folder = Path(path)
    with output_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _temp_copy(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to a fresh temporary file next to ``path``, synced to disk."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Replace ``path`` with ``data`` atomically (text is written as UTF-8).

    Parameters
    ----------
    path : path
        The target; its folder must exist. A link at ``path`` is replaced by the file, its target
        is left alone.
    data : bytes or str
        The new content.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        The disk is full, the file system read-only, or the folder not writable.
    """
    target = Path(path)
    with output_errors(target):
        tmp = _temp_copy(target, data)
    try:
        with output_errors(target):
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(target.parent)
    return target


def write_new(path: str | os.PathLike[str], data: bytes | str) -> bool:
    """Create ``path`` with ``data`` atomically, only if nothing exists at that name.

    Returns
    -------
    bool
        ``True`` when written; ``False`` when ``path`` already existed (it is never replaced, and a
        link there is not followed).
    """
    target = Path(path)
    with output_errors(target):
        tmp = _temp_copy(target, data)
    try:
        with output_errors(target):
            os.link(tmp, target)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _sync_folder(target.parent)
    return True
