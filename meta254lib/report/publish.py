"""Putting a built report folder in place: atomic install, the ``latest`` link, team folder names."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import ParameterError
from ..views.escape import table_slug

__all__ = ["folder_name", "install", "latest_link", "point_link", "publish_run", "report_targets", "team_folder"]


def team_folder(team: str) -> str:
    """The folder-name form of a team name, unique and stable: its slug, plus a hash when that changes the name.

    A team whose name already is its own slug (``[a-z0-9_-]``, at most 60 characters) keeps it; any
    other name gets the first 8 hex digits of the SHA-256 of its exact text, so ``../x``, ``X`` and
    ``x`` never share ``teams/x/`` or ``latest-team-x``.

    Examples
    --------
    >>> team_folder("data-platform"), team_folder("Data Platform"), team_folder("X"), team_folder("../x")
    ('data-platform', 'data-platform-7c7cf36a', 'x-4b68ab38', 'x-d6b96a97')
    """
    slug = table_slug(team)
    if slug == team:
        return slug
    return f"{slug}-{hashlib.sha256(team.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def install(tmp: Path, final: Path) -> None:
    """Move the built folder ``tmp`` to ``final``, replacing an existing one atomically."""
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise ParameterError(f"{final} exists and is not a report folder")
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):  # tmp now holds the previous run
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = tmp.with_name(tmp.name + "-old")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def point_link(link: Path, target_name: str) -> None:
    """Make ``link`` a relative symlink to ``target_name`` (a sibling), replaced atomically."""
    if link.exists() and not link.is_symlink():
        raise ParameterError(f"{link} exists and is not a symlink; remove it to let the report manage it")
    tmp_link = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(target_name, tmp_link)
    os.replace(tmp_link, link)


def latest_link(out: Path, team: str | None) -> Path:
    """The ``latest`` link of the platform-wide runs, or ``latest-team-<team>`` of a team's runs.

    Examples
    --------
    >>> latest_link(Path("reports"), None).as_posix(), latest_link(Path("reports"), "Core").as_posix()
    ('reports/latest', 'reports/latest-team-core-70ea1983')
    """
    return out / ("latest" + (f"-team-{team_folder(team)}" if team else ""))


def publish_run(tmp: Path, out: Path, folder_name: str, *, team: str | None, ok: bool) -> tuple[Path, Path | None]:
    """Install the built folder ``tmp`` as ``out/folder_name``; when ``ok``, point the latest link at it.

    A good run also removes the ``<folder_name>-failed`` folder of an earlier failed run of that week.

    Returns
    -------
    tuple of (Path, Path or None)
        The installed folder and the link now pointing at it (None when the run failed).
    """
    final = out / folder_name
    install(tmp, final)
    if not ok:
        return final, None
    link = latest_link(out, team)
    point_link(link, folder_name)
    stale_failed = out / f"{folder_name}-failed"
    if stale_failed.is_dir() and not stale_failed.is_symlink():
        shutil.rmtree(stale_failed, ignore_errors=True)
    return final, link


def report_targets(team: str | None, teams: Sequence[str]) -> list[tuple[str | None, str]]:
    """(team, folder) of every report of the run: the run's own, then ``teams/<slug>/`` per team.

    Examples
    --------
    >>> report_targets(None, ["core", "Core"])
    [(None, ''), ('core', 'teams/core/'), ('Core', 'teams/core-70ea1983/')]
    """
    return [(team, ""), *((t, f"teams/{team_folder(t)}/") for t in teams)]


def folder_name(week: str, team: str | None, ok: bool, *, partial: bool = False) -> str:
    """The run folder's name: ``<week>[-team-<team>][-partial][-failed]``.

    Examples
    --------
    >>> folder_name("2025-W41", None, True), folder_name("2025-W41", "core", False, partial=True)
    ('2025-W41', '2025-W41-team-core-partial-failed')
    """
    return (
        week
        + (f"-team-{team_folder(team)}" if team else "")
        + ("-partial" if partial else "")
        + ("" if ok else "-failed")
    )
