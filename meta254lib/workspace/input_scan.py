"""Which files may feed a cached unit: the workspace files matching the layout patterns of its inputs.

Folder listings are remembered while the folder's inode, modification and change times stay the
same; an input that involves a link is never cached (the scan answers ``None``).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["scan_inputs"]


def scan_inputs(
    root: Path,
    specs: Iterable[str],
    layout: Mapping[str, tuple[str, ...]],
    listings: dict[str, tuple[tuple[int, int, int], Any]] | None = None,
) -> list[str] | None:
    """Every file that may feed a unit: the files matching the layout patterns of ``specs``.

    ``specs`` are layout keys (``"manifests"``, or ``"names:lockfiles"`` when only which files exist
    matters, see :func:`_listing`) or literal paths relative to ``root``; literal paths
    and patterns without wildcards are listed whether they exist or not (an absent file has the
    digest ``None``, so creating it is a change). A wildcard matches hidden names too, so the list
    is a superset of what the workspace reads. Returns ``None`` when a link is involved: those
    inputs are never cached. ``listings`` remembers folder listings while the folder's inode,
    modification and change times stay the same (adding, removing or renaming an entry changes them).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()); (root / "advisories").mkdir()
    >>> _ = (root / "advisories" / "b.json").write_text("{}"); _ = (root / "advisories" / "a.json").write_text("{}")
    >>> scan_inputs(root, ["advisories", "config/rules.yaml"], {"advisories": ("advisories/*.json",)})
    ['advisories/a.json', 'advisories/b.json', 'config/rules.yaml']
    """
    out: list[str] = []
    seen: set[str] = set()
    for spec in specs:
        names_only = spec.startswith("names:")
        spec = spec.removeprefix("names:")
        for pattern in layout.get(spec, (spec,)):
            folder, _, name = pattern.rpartition("/")
            parts = folder.split("/") if folder else []
            for i in range(len(parts)):
                if os.path.islink(root.joinpath(*parts[: i + 1])):
                    return None
            if not any(c in name for c in "*?[") and not names_only:
                found = [pattern]
                if os.path.islink(root / pattern):
                    return None
            else:
                found = _listing(root, folder, name, listings, names_only)
                if found is None:
                    return None
            for rel in found:
                if rel not in seen:
                    seen.add(rel)
                    out.append(rel)
    return out


def _listing(
    root: Path,
    folder: str,
    name: str,
    memo: dict[str, tuple[tuple[int, int, int], Any]] | None,
    names_only: bool = False,
) -> list[str] | None:
    """Sorted relative paths in ``folder`` matching ``name`` (None when one is a link).

    With ``names_only`` each path is written ``?path|f`` (a regular file) or ``?path|o`` (anything
    else): such inputs are compared by name and kind only, never hashed.
    """
    base = os.path.join(str(root), folder) if folder else str(root)
    try:
        st = os.stat(base)
        key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        return []
    memo_key = f"{folder}\0{name}\0{int(names_only)}"  # this pattern's answer for this listing
    if memo is not None:
        done = memo.get(memo_key)
        if done is not None and done[0] == key:
            return done[1]
    known = memo.get(folder) if memo is not None else None
    if known is not None and known[0] == key:
        names, links, others = known[1]
    else:
        try:
            with os.scandir(base) as it:
                entries = list(it)
        except OSError:
            entries = []
        names = [e.name for e in entries]
        links = {e.name for e in entries if e.is_symlink()}
        others = {e.name for e in entries if not e.is_file(follow_symlinks=False)}
        if memo is not None:
            memo[folder] = (key, (names, links, others))
    match = _pattern(name)
    hits = sorted(n for n in names if match(n))
    if links and any(n in links for n in hits):
        return None
    prefix = f"{folder}/" if folder else ""
    if names_only:
        out = [f"?{prefix}{n}|{'o' if n in others else 'f'}" for n in hits]
    else:
        out = [prefix + n for n in hits]
    if memo is not None:
        memo[memo_key] = (key, out)
    return out


@functools.lru_cache(maxsize=64)
def _pattern(name: str) -> Callable[[str], Any]:
    return re.compile(fnmatch.translate(name)).match


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
