"""The run's own files: ``index.html`` and ``summary.md`` of every target, and ``run.json``."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..views.escape import md_escape
from .index_first import attention_counts, first_screen, weekly_facts
from .index_html import render_index
from .notebooks import NotebookSpec
from .page_html import stale_banner
from .run_model import PageResult, RunState
from .tables import add_csv_links

__all__ = ["attention_counts", "link_table_files", "shown_workspace", "summary_md", "unusable_inputs", "write_indexes"]


def link_table_files(tmp: Path, pages: Sequence[PageResult]) -> None:
    """Give every exported table of the pages rendered in ``tmp`` a small link to its file in ``tables/``.

    Links are relative to the page (``tables/<page>/<table>.csv``), so they work offline from the folder;
    pages kept from an earlier run (``--only``) already have theirs.
    """
    for p in pages:
        if p.kept_from or not p.tables or not p.html:
            continue
        rel = p.html.rsplit("/", 1)[0] + "/" if "/" in p.html else ""
        path = tmp / p.html
        if not path.is_file():
            continue
        tables = [{"name": str(t["name"]), "href": str(t["csv"])[len(rel) :]} for t in p.tables]
        html = path.read_text(encoding="utf-8")
        linked = add_csv_links(html, tables)
        if linked != html:
            path.write_text(linked, encoding="utf-8")


def shown_workspace(ws_arg: Path | str, ws_path: Path | None, cwd: Path | str | None = None) -> str:
    """The workspace as pages show it: relative to the folder the run started in, never an absolute path.

    A workspace outside that folder shows as its folder name (``run.json`` keeps the full path).

    Examples
    --------
    >>> shown_workspace("/w/main/data/sample", Path("/w/main/data/sample"), "/w/main")
    'data/sample'
    >>> shown_workspace("/tmp/x/ws", Path("/tmp/x/ws"), "/w/main")
    'ws'
    >>> shown_workspace(".", Path("/w/main"), "/w/main")
    '.'
    """
    path = ws_path if ws_path is not None else Path(ws_arg).resolve()
    base = Path(cwd) if cwd is not None else Path(os.getcwd())
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        return path.name or str(ws_arg)


def write_indexes(
    tmp: Path,
    week: str,
    shared: RunState,
    state: Mapping[str, Any],
    pages: Sequence[PageResult],
    targets: Sequence[tuple[str | None, str]],
    team: str | None,
    specs: Sequence[NotebookSpec],
    *,
    jobs: int,
    ws_arg: Path | str,
) -> None:
    """Write ``index.html`` and ``summary.md`` of every target (platform-wide, then teams) and ``run.json``.

    Parameters
    ----------
    tmp : Path
        The run folder being built.
    week : str
        ISO week label of the run.
    shared : RunState
        The run's state (its ``as_of_text``).
    state : mapping
        What the background threads found: ``inputs``, ``warnings``, ``as_of_defaulted``, ``asset_sizes``.
    pages : sequence of PageResult
        Every page of the run.
    targets : sequence of (str or None, str)
        (team, folder) of each index: the run's own first, then ``teams/<slug>/`` of each team.
    team, specs, jobs, ws_arg
        The ``--team``, the notebooks, the worker count and the workspace as given.
    """
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    as_of_shown = shared.as_of_text + (" (catalog generated_at)" if state.get("as_of_defaulted") else "")
    workspace = shown_workspace(ws_arg, state.get("ws_path"), state.get("cwd"))
    base_params = _base_params(workspace, as_of_shown, week, specs, jobs, generated)
    stale = state.get("stale_notice")
    if state.get("manifest_url"):
        base_params.append(("manifest URL pattern", str(state["manifest_url"])))
    team_entries = _team_entries(pages, targets)
    inputs = _inputs_for_index(state.get("inputs"))
    weekly = weekly_facts(ws_arg, state)
    for t, rel in targets:
        tpages = [p for p in pages if p.html.startswith(rel) and (rel or not p.html.startswith("teams/"))]
        params = [*base_params[:2], ("team", t or "all teams"), *base_params[2:], *_kept_params(tpages)]
        title = f"Weekly report {week}" + (f" — team {t}" if t else "")
        first_html, first_md = first_screen(weekly, t, _page_dicts(tpages, rel))
        if stale:
            first_html, first_md = stale_banner(stale) + first_html, f"**{md_escape(stale)}.**\n\n{first_md}"
        html = render_index(
            title=title,
            as_of=shared.as_of_text,
            params=params,
            pages=_page_dicts(tpages, rel),
            inputs=inputs,
            warnings=state.get("warnings"),
            teams=team_entries if not rel else (),
            assets_href="../../assets/" if rel else "assets/",
            parent_href="../../index.html" if rel else None,
            footer=f"meta254 {__version__} · generated {generated}",
            first_screen=first_html,
        )
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        (tmp / rel / "index.html").write_text(html, encoding="utf-8")
        (tmp / rel / "summary.md").write_text(
            summary_md(title, shared.as_of_text, params, tpages, inputs, weekly=first_md), encoding="utf-8"
        )
    run = _run_json(week, shared.as_of_text, team, generated, pages, state.get("asset_sizes", {}))
    run["workspace"] = str(state.get("ws_path") or Path(ws_arg).resolve())
    run["stale_notice"] = stale
    (tmp / "run.json").write_text(
        json.dumps(run, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def _base_params(
    workspace: str, as_of_shown: str, week: str, specs: Sequence[NotebookSpec], jobs: int, generated: str
) -> list[tuple[str, str]]:
    """The run parameters every index lists (the team goes after the first two)."""
    return [
        ("workspace", workspace),
        ("as of", as_of_shown),
        ("ISO week", week),
        ("notebooks", ", ".join(s.name for s in specs)),
        ("jobs", str(jobs)),
        ("meta254 version", __version__),
        ("python", platform.python_version()),
        ("generated", generated),
    ]


def _kept_params(pages: Sequence[PageResult]) -> list[tuple[str, str]]:
    """The run-parameter line of a merged ``--only`` run: which pages were kept from which earlier run.

    Examples
    --------
    >>> _kept_params([PageResult("a", "A", None, "ok", 1.0, kept_from="2025-10-10 06:00 UTC")])
    [('pages kept from earlier runs (--only)', 'a (run of 2025-10-10 06:00 UTC)')]
    """
    kept: dict[str, list[str]] = {}
    for p in pages:
        if p.kept_from:
            kept.setdefault(p.kept_from, []).append(p.name)
    if not kept:
        return []
    text = "; ".join(f"{', '.join(names)} (run of {stamp})" for stamp, names in sorted(kept.items()))
    return [("pages kept from earlier runs (--only)", text)]


def _team_entries(pages: Sequence[PageResult], targets: Sequence[tuple[str | None, str]]) -> list[dict[str, Any]]:
    """One entry per team report (``--all-teams``) for the platform-wide index."""
    entries = []
    for t, rel in targets[1:]:
        tpages = [p for p in pages if p.team == t and p.html.startswith(rel)]
        failed = sum(p.status != "ok" for p in tpages)
        entries.append(
            {"team": t, "href": f"{rel}index.html", "status": "ok" if not failed else "failed", "failed": failed}
        )
    return entries


def _run_json(
    week: str,
    as_of: str,
    team: str | None,
    generated: str,
    pages: Sequence[PageResult],
    assets: Mapping[str, int],
) -> dict[str, Any]:
    """The content of ``run.json``: the run and every page with its status, time and files."""
    return {
        "week": week,
        "as_of": as_of,
        "team": team,
        "meta254": __version__,
        "generated": generated,
        "pages": [
            {
                "page": p.label,
                "name": p.name,
                "title": p.title,
                "team": p.team,
                "run": p.kept_from or generated,
                "status": p.status,
                "seconds": round(p.seconds, 3),
                "headline": p.headline,
                "error": p.failure.one_line() if p.failure is not None else None,
                "html": p.html,
                "ipynb": p.ipynb,
                "tables": p.tables,
            }
            for p in pages
        ],
        "assets": assets,
    }


def _inputs_for_index(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """The columns of ``ws.inputs`` the index shows."""
    if df is None:
        return None
    cols = [c for c in ("input", "file", "present", "modified", "timestamp", "rows", "warnings", "note") if c in df]
    return df[cols] if cols else df


def unusable_inputs(inputs: pd.DataFrame | None) -> tuple[str, ...]:
    """Files of ``ws.inputs`` that were present but unusable (their note says so), sorted."""
    if inputs is None or not len(inputs) or "note" not in inputs or "file" not in inputs:
        return ()
    notes = inputs["note"].fillna("").astype(str)
    return tuple(sorted(inputs.loc[notes.str.startswith("unusable"), "file"].astype(str)))


def summary_md(
    title: str,
    as_of: str,
    params: Sequence[tuple[str, str]],
    pages: Sequence[PageResult],
    inputs: pd.DataFrame | None,
    *,
    weekly: str = "",
) -> str:
    """The ``summary.md`` of a report: the week's change and fix-first rows, then every page, parameters, inputs.

    ``weekly`` is the Markdown of :func:`~meta254lib.views.weekly.weekly_markdown`, placed after the as-of.

    Examples
    --------
    >>> page = PageResult("a", "A | b", None, "ok", 1.0, headline="3 drifted")
    >>> print(summary_md("Weekly report", "2025-10-10", [("jobs", "2")], [page], None), end="")
    ## Weekly report
    <BLANKLINE>
    As of **2025-10-10**.
    <BLANKLINE>
    All 1 pages rendered.
    <BLANKLINE>
    | Page | Status | Headline |
    |---|---|---|
    | A \\| b | ok | 3 drifted |
    <BLANKLINE>
    Run parameters: jobs = 2.
    """
    lines = [f"## {md_escape(title)}", "", f"As of **{md_escape(as_of)}**.", ""]
    if weekly:
        lines += [weekly.rstrip("\n"), "", "### Pages rendered", ""]
    failed = [p for p in pages if p.status != "ok"]
    if failed:
        lines += [f"**{len(failed)} of {len(pages)} pages failed.**", ""]
    else:
        lines += [f"All {len(pages)} pages rendered.", ""]
    lines += ["| Page | Status | Headline |", "|---|---|---|"]
    for p in pages:
        text = p.headline or ""
        if p.failure is not None:
            text = p.failure.one_line()
        lines.append(f"| {md_escape(p.title)} | {p.status} | {md_escape(text)} |")
    lines.append("")
    lines.append("Run parameters: " + "; ".join(f"{md_escape(k)} = {md_escape(v)}" for k, v in params) + ".")
    if inputs is not None and len(inputs) and "present" in inputs:
        present = inputs[inputs["present"].astype(bool)]
        absent = inputs[~inputs["present"].astype(bool)]
        lines.append("")
        lines.append(
            f"Inputs: {len(present)} files read"
            + (f", {len(absent)} optional inputs absent" if len(absent) else "")
            + "."
        )
        if len(absent) and "input" in absent:
            lines.append("Absent: " + ", ".join(md_escape(v) for v in absent["input"].tolist()) + ".")
    unusable = unusable_inputs(inputs)
    if unusable:
        lines.append("")
        lines.append(
            f"**{len(unusable)} input file{'s' if len(unusable) != 1 else ''} could not be used**, so what "
            "they hold was not judged (the index lists why): " + ", ".join(md_escape(f) for f in unusable) + "."
        )
    return "\n".join(lines) + "\n"


def _page_dicts(pages: Iterable[PageResult], rel: str) -> list[dict[str, Any]]:
    """The pages as :func:`~meta254lib.report.index_html.render_index` takes them, paths relative to ``rel``."""
    out = []
    for p in pages:
        out.append(
            {
                "name": p.name,
                "title": p.title,
                "href": p.html[len(rel) :],
                "status": p.status,
                "headline": p.headline,
                "error": p.failure.one_line() if p.failure is not None else None,
                "seconds": p.seconds,
                "ipynb": p.ipynb[len(rel) :],
                "tables": [{**t, "csv": t["csv"][len(rel) :], "json": t["json"][len(rel) :]} for t in p.tables],
            }
        )
    return out
