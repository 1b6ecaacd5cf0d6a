"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file meta254 writes as output goes through here (or is built in a temporary folder that is
renamed into place, as the weekly report is). Data is written to a temporary file in the target's
folder, flushed to disk, then renamed over the target (:func:`write_atomic`) or linked to a name
that must not exist yet (:func:`write_new`, which never replaces anything). An interrupted write
leaves no temporary file behind.

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
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "write_new"]


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
    """
    target = Path(path)
    tmp = _temp_copy(target, data)
    try:
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
    tmp = _temp_copy(target, data)
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _sync_folder(target.parent)
    return True
