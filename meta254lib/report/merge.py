"""Partial runs (``--only``): merge the pages of the week's earlier run, never replace a complete week with less.

An ``--only`` run renders some pages. Before it is published, every page of the week's installed
run (``<out>/<week>[-team-<team>]/``, read from its ``run.json``) that this run did not render is
copied into the new folder unchanged, with its tables and executed notebook, and recorded in
``run.json`` with the ``generated`` stamp of the run it came from (``"run"``). When the merged week
holds every notebook, it is complete and published as usual (``latest`` moves to it); otherwise it
is installed as ``<week>-partial`` and ``latest`` is left alone (:func:`is_complete`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from .run_model import PageResult

__all__ = ["is_complete", "merge_previous", "page_rel"]


def page_rel(html: str) -> str:
    """The target folder of a page from its ``html`` path: ``""`` or ``teams/<team>/``.

    Examples
    --------
    >>> page_rel("alpha.html"), page_rel("teams/core/alpha.html")
    ('', 'teams/core/')
    """
    return html[: html.rfind("/") + 1]


def _safe_rel(path: str) -> bool:
    """True for a relative path that stays inside the run folder."""
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts


def _read_run(folder: Path) -> dict[str, Any] | None:
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) and isinstance(run.get("pages"), list) else None


def _entry_team(entry: dict[str, Any], run: dict[str, Any]) -> str | None:
    """The team of a ``run.json`` page entry (older files have no ``team``: it is read from the label)."""
    if "team" in entry:
        return entry["team"]
    html = str(entry.get("html") or "")
    name = str(entry.get("name") or PurePosixPath(html).stem)
    label = str(entry.get("page") or name)
    if page_rel(html):  # a teams/<team>/ page: its label is "<team>/<name>"
        return label[: -len(name) - 1] or None
    return run.get("team")


def _kept_page(entry: dict[str, Any], run: dict[str, Any], previous: Path, tmp: Path) -> PageResult | None:
    """Copy one page of the earlier run into ``tmp``; its :class:`PageResult` (None when unusable)."""
    html = str(entry.get("html") or "")
    ipynb = str(entry.get("ipynb") or "")
    tables = [t for t in entry.get("tables") or [] if isinstance(t, dict)]
    files = [f for f in (html, ipynb, *(str(t.get(k) or "") for t in tables for k in ("csv", "json"))) if f]
    if entry.get("status") != "ok" or not html or not all(_safe_rel(f) for f in files):
        return None
    if not all((previous / f).is_file() and not (previous / f).is_symlink() for f in files):
        return None
    for f in files:
        (tmp / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(previous / f, tmp / f)
    name = str(entry.get("name") or PurePosixPath(html).stem)
    return PageResult(
        name=name,
        title=str(entry.get("title") or name),
        team=_entry_team(entry, run),
        status="ok",
        seconds=float(entry.get("seconds") or 0.0),
        headline=entry.get("headline"),
        html=html,
        ipynb=ipynb,
        tables=tables,
        kept_from=str(entry.get("run") or run.get("generated") or "an earlier run"),
    )


def merge_previous(
    tmp: Path,
    previous: Path,
    pages: Sequence[PageResult],
    targets: Sequence[tuple[str | None, str]],
    order: Sequence[str],
) -> tuple[list[PageResult], list[tuple[str | None, str]]]:
    """Add to the run being built in ``tmp`` every page of ``previous`` it did not render.

    Parameters
    ----------
    tmp : Path
        The run folder being built.
    previous : Path
        The week's installed run (absent, or without a readable ``run.json``: nothing is merged).
    pages : sequence of PageResult
        The pages this run rendered.
    targets : sequence of (str or None, str)
        (team, folder) of this run's indexes.
    order : sequence of str
        Every notebook name, in page order.

    Returns
    -------
    tuple of (list of PageResult, list of (str or None, str))
        All pages in page order (target, then notebook) and the targets, with the team folders of
        the earlier run added.
    """
    run = _read_run(previous) if previous.is_dir() and not previous.is_symlink() else None
    merged = list(pages)
    all_targets = list(targets)
    if run is not None:
        done = {p.html for p in pages}
        folders = dict(targets)  # a team this run renders keeps this run's folder for it
        for entry in run["pages"]:
            if not isinstance(entry, dict) or str(entry.get("html") or "") in done:
                continue
            team, rel = _entry_team(entry, run), page_rel(str(entry.get("html") or ""))
            if rel and team in folders and folders[team] != rel:
                continue
            page = _kept_page(entry, run, previous, tmp)
            if page is None:
                continue
            merged.append(page)
            rel = page_rel(page.html)
            if rel not in {r for _, r in all_targets}:
                all_targets.append((page.team, rel))
    rank = {rel: i for i, (_, rel) in enumerate(all_targets)}
    pos = {name: i for i, name in enumerate(order)}
    merged.sort(key=lambda p: (rank.get(page_rel(p.html), len(rank)), pos.get(p.name, len(pos)), p.name))
    return merged, all_targets


def is_complete(pages: Sequence[PageResult], order: Sequence[str]) -> bool:
    """True when the run's own pages (not the team folders) include every notebook of ``order``.

    Examples
    --------
    >>> is_complete([PageResult("a", "A", None, "ok", 1.0, html="a.html")], ["a", "b"])
    False
    """
    own = {p.name for p in pages if not page_rel(p.html)}
    return set(order) <= own
