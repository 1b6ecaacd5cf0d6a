"""Advisory locks of a report run: one run at a time per ``--out`` folder, and run-scoped temp folders.

Both locks are ``fcntl.flock`` locks on a file, so they work across PID namespaces (a container
sharing ``--out``) and are released by the kernel when the holder dies, even by SIGKILL. Leftovers
are judged by the lock, never by a process id:

- ``<out>/.meta254-report.lock`` is held for the whole run (and removed at its end). While a run holds it, no other run
  builds in ``<out>``, so every ``<out>/.tmp-*`` build folder and ``<out>/.<link>.tmp-*`` link found
  by the lock holder is a leftover of a killed run (:func:`sweep_out`).
- ``$TMPDIR/m254-run-<random>/`` holds everything else a run creates outside ``<out>``: the kernels'
  sockets (``ipc/``), their connection files, which hold each kernel's signing key (``runtime/``),
  and the shared workspace cache (``cache/``). Its ``run.lock`` is held while the run lasts; a run
  folder whose lock is free (or that has no lock file and is older than :data:`UNLOCKED_GRACE`
  seconds) is removed by the next run (:func:`sweep_run_folders`).

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> with hold_out_lock(out):
...     try:
...         with hold_out_lock(out):
...             pass
...     except OutputBusyError as err:
...         print(str(err).split(":")[0] == f"{out}")
True
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import OutputBusyError

__all__ = [
    "OUT_LOCK_NAME",
    "RUN_PREFIX",
    "UNLOCKED_GRACE",
    "hold_out_lock",
    "run_folder",
    "sweep_out",
    "sweep_run_folders",
]

#: The lock file in ``--out``.
OUT_LOCK_NAME = ".meta254-report.lock"
#: Prefix of the run folders in the temp directory.
RUN_PREFIX = "m254-run-"
#: Seconds after which a run folder without a lock file (killed while being created), or a leftover
#: of an older meta254 (``m254-ipc-*``, ``m254-report-cache-*``), counts as stale.
UNLOCKED_GRACE = 600.0

_BUILD_RE = re.compile(r"^\.tmp-.+-[0-9a-f]{8}(-old)?$")
_LINK_TMP_RE = re.compile(r"^\.latest(-team-.+)?\.tmp-\d+$")
_LEGACY_RE = re.compile(r"^m254-(ipc-\d+|report-cache)-")


def _try_lock(fd: int, wait: bool) -> bool:
    """Take an exclusive flock on ``fd``; False when another holder has it and ``wait`` is False."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _holder(path: Path) -> str:
    """What the lock file says about its holder (``pid 12 on host h since 2025-...``), or ``unknown``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0][:200] if text else "unknown"


@contextlib.contextmanager
def hold_out_lock(out: Path, *, wait: bool = False) -> Iterator[Path]:
    """Hold the report lock of the output folder ``out`` while the block runs.

    Parameters
    ----------
    out : Path
        The ``--out`` folder (it must exist).
    wait : bool
        Wait for a run holding the lock to finish (``--wait``) instead of failing.

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    OutputBusyError
        Another run holds the lock and ``wait`` is False (exit 2; the message names the folder and
        the holder).
    """
    path = out / OUT_LOCK_NAME
    fd = _locked_file(path, out, wait)
    try:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        info = f"pid {os.getpid()} on host {socket.gethostname()} since {stamp}\n".encode()
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: a waiter notices the file is gone and opens the new one
        os.close(fd)  # releases the flock


def _locked_file(path: Path, out: Path, wait: bool) -> int:
    """Open ``path`` and take its lock; retry when the holder removed the file meanwhile."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        if not _try_lock(fd, wait):
            os.close(fd)
            raise OutputBusyError(
                f"{out}: another meta254 report run is writing into this folder ({_holder(path)}); "
                "wait for it to finish, or pass --wait to queue behind it"
            )
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def sweep_out(out: Path) -> list[Path]:
    """Remove the leftovers of killed runs in ``out``: ``.tmp-*`` build folders and ``.latest*.tmp-*`` links.

    Call it only while holding :func:`hold_out_lock`: then no other run is building in ``out``.
    """
    removed = []
    for child in sorted(out.iterdir()):
        if _BUILD_RE.match(child.name) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        elif _LINK_TMP_RE.match(child.name) and (child.is_symlink() or child.is_file()):
            with contextlib.suppress(OSError):
                child.unlink()
        else:
            continue
        removed.append(child)
    return removed


def _stale_run_folder(folder: Path, now: float) -> bool:
    """True when no run holds ``folder``'s lock (or it has none and is older than the grace period)."""
    lock = folder / "run.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _older_than(folder, now)
    except OSError:
        return False
    try:
        return _try_lock(fd, wait=False)
    finally:
        os.close(fd)


def _older_than(path: Path, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > UNLOCKED_GRACE
    except OSError:
        return False


def sweep_run_folders(tmpdir: Path | None = None) -> list[Path]:
    """Remove run folders (``$TMPDIR/m254-run-*``) of runs that are gone, judged by their lock.

    Leftovers of older meta254 versions (``m254-ipc-*``, ``m254-report-cache-*``) go once they are
    older than :data:`UNLOCKED_GRACE`. Only folders owned by this user are touched; links are never
    followed.
    """
    base = Path(tmpdir or tempfile.gettempdir())
    now = time.time()
    removed = []
    for child in sorted(base.glob("m254-*")) if base.is_dir() else ():
        try:
            st = child.lstat()
        except OSError:
            continue
        if not child.is_dir() or child.is_symlink() or st.st_uid != os.getuid():
            continue
        if child.name.startswith(RUN_PREFIX):
            stale = _stale_run_folder(child, now)
        else:
            stale = bool(_LEGACY_RE.match(child.name)) and _older_than(child, now)
        if stale:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


@contextlib.contextmanager
def run_folder(tmpdir: Path | None = None) -> Iterator[Path]:
    """A locked folder ``$TMPDIR/m254-run-<random>/`` for the run's temporary files, removed afterwards.

    It holds ``ipc/`` (kernel sockets), ``runtime/`` (kernel connection files; ``JUPYTER_RUNTIME_DIR``
    points there while the run lasts) and whatever else the run keeps outside ``--out``. Stale run
    folders of killed runs are removed first.
    """
    sweep_run_folders(tmpdir)
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=tmpdir))
    # the lock is taken under another name and renamed into place: a sweeper never sees a free run.lock
    fd, new_lock = tempfile.mkstemp(prefix=".lock-", dir=folder)
    try:
        _try_lock(fd, wait=True)
        os.rename(new_lock, folder / "run.lock")
        for sub in ("ipc", "runtime"):
            (folder / sub).mkdir(mode=0o700)
        saved = os.environ.get("JUPYTER_RUNTIME_DIR")
        os.environ["JUPYTER_RUNTIME_DIR"] = str(folder / "runtime")
        try:
            yield folder
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_RUNTIME_DIR", None)
            else:
                os.environ["JUPYTER_RUNTIME_DIR"] = saved
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
