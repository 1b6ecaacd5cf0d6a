"""File access of the warm-load cache that a hostile ``.meta254-cache/`` cannot turn against meta254.

The cache folder lives in a workspace that may come from anywhere, so nothing in it is trusted:

- a cache file is read only when it is a **regular file** (not a named pipe, a device, a folder or a
  link) of **sane size**: :func:`read_regular` checks ``lstat`` before opening, opens with
  ``O_NOFOLLOW | O_NONBLOCK`` and checks ``fstat`` of what it opened, so a pipe never blocks and a
  sparse 200 GB file is never allocated;
- cache files are **created, never followed**: :func:`create_new` writes with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` and leaves any existing name (a dangling link included) alone;
- a cache **folder that is a link** (or not a folder) is not used: :func:`folder_problem` says why.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> create_new(folder / "a.txt", b"hello"), read_regular(folder / "a.txt", 100)
(True, b'hello')
>>> create_new(folder / "a.txt", b"again"), read_regular(folder / "a.txt", 3) is None
(False, True)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["create_new", "escaped_name", "folder_problem", "read_regular"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def escaped_name(name: str | os.PathLike[str]) -> str:
    """A file name as printable text: bytes that are not UTF-8 are shown as ``\\xNN`` escapes.

    Names read from the file system carry such bytes as lone surrogates (``os.fsdecode``), which no
    UTF-8 writer accepts.

    Examples
    --------
    >>> escaped_name(os.fsdecode(b"advisories/x\\xff.json"))
    'advisories/x\\\\xff.json'
    >>> escaped_name("advisories/ok.json")
    'advisories/ok.json'
    """
    text = os.fspath(name)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of ``path`` when it is a regular file (not a link) of at most ``max_bytes``; else ``None``.

    Never blocks on a named pipe or device, never follows a link, and never allocates more than
    ``max_bytes`` (a file that grows while read is refused too).
    """
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        size = st.st_size
        data = bytearray(size)
        view = memoryview(data)
        got = 0
        while got < size:
            n = os.readv(fd, [view[got:]]) if hasattr(os, "readv") else _read_into(fd, view[got:])
            if n == 0:
                return None  # shrank while read
            got += n
        if os.read(fd, 1):
            return None  # grew while read
        return bytes(data)
    except (OSError, MemoryError):
        return None
    finally:
        os.close(fd)


def _read_into(fd: int, view: memoryview) -> int:
    chunk = os.read(fd, len(view))
    view[: len(chunk)] = chunk
    return len(chunk)


def create_new(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless the name exists (as anything, a dangling link included).

    Never follows a link: an existing name is left alone and ``False`` returned.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY, 0o644)
    except OSError:
        return False
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return True


def folder_problem(folder: Path, root: Path) -> str | None:
    """Why the cache folder ``folder`` of the workspace ``root`` must not be used, or ``None``.

    A folder that is a link, or a name that exists but is not a folder, is refused. A folder inside
    the workspace must also lie under the workspace's real path (no linked parent folder).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> folder_problem(root / ".meta254-cache", root) is None
    True
    >>> os.symlink(tempfile.gettempdir(), root / ".meta254-cache")
    >>> folder_problem(root / ".meta254-cache", root)
    'the cache folder is a link; the cache is not used'
    """
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        st = None
    except OSError as err:
        return f"the cache folder cannot be inspected ({err.strerror}); the cache is not used"
    if st is not None and stat.S_ISLNK(st.st_mode):
        return "the cache folder is a link; the cache is not used"
    if st is not None and not stat.S_ISDIR(st.st_mode):
        return "the cache folder's name is taken by something that is not a folder; the cache is not used"
    try:
        inside = folder.parent == root or Path(folder).is_relative_to(root)
    except ValueError:
        inside = False
    if inside and os.path.realpath(folder.parent) != os.path.realpath(root):
        return "the cache folder lies under a link; the cache is not used"
    return None
