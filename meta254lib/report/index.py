"""The run's own files: ``index.html`` and ``summary.md`` of every target, and ``run.json``."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..remediation.plan import plan_workspace
from ..state.analysis import analysis_state
from ..state.weekly import WeeklyChange, weekly_change
from ..views.escape import html_escape, md_escape
from ..views.weekly import fix_first, weekly_html, weekly_markdown
from ..workspace.workspace import open_workspace
from .index_html import render_index
from .notebooks import NotebookSpec
from .run_model import PageResult, RunState

__all__ = ["summary_md", "unusable_inputs", "write_indexes"]


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
    base_params = _base_params(ws_arg, as_of_shown, week, specs, jobs, generated)
    team_entries = _team_entries(pages, targets)
    inputs = _inputs_for_index(state.get("inputs"))
    weekly = _weekly_facts(ws_arg, state)
    for t, rel in targets:
        tpages = [p for p in pages if p.html.startswith(rel) and (rel or not p.html.startswith("teams/"))]
        params = [*base_params[:3], ("team", t or "all teams"), *base_params[3:], *_kept_params(tpages)]
        title = f"Weekly report {week}" + (f" — team {t}" if t else "")
        first_html, first_md = _first_screen(weekly, t, _page_dicts(tpages, rel))
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
    (tmp / "run.json").write_text(
        json.dumps(run, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def _weekly_facts(ws_arg: Path | str, state: Mapping[str, Any]) -> tuple[Any, Any] | str:
    """The week's change and the remediation plan at the run's as-of, or why they could not be computed."""
    try:
        ws = state.get("workspace") or open_workspace(ws_arg)
        st = analysis_state(ws, state.get("as_of_ts"))
        return weekly_change(st), plan_workspace(ws, st.as_of)
    except Exception as err:  # the index still lists the pages when the workspace cannot be analysed
        return f"{type(err).__name__}: {err}"


def _first_screen(
    weekly: tuple[WeeklyChange, Any] | str, team: str | None, pages: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """The index's first screen (HTML) and ``summary.md``'s weekly part for one target (team or platform)."""
    if isinstance(weekly, str):
        text = f"The change against last week could not be computed: {weekly}"
        return f'<p class="m254-banner m254-banner-failed">{html_escape(text)}</p>', md_escape(text) + "\n"
    change, plan = weekly
    rows = fix_first(plan, team=team, limit=10)
    total = len(fix_first(plan, team=team)) if team else len(plan.items)
    plan_href = next((p["href"] for p in pages if p["name"] == "remediation_plan"), None)
    links = [(str(p["title"]), str(p["href"])) for p in pages]
    html = weekly_html(change, rows, plan_href=plan_href, total_items=total, team=team)
    return html, weekly_markdown(change, rows, links, team=team)


def _base_params(
    ws_arg: Path | str, as_of_shown: str, week: str, specs: Sequence[NotebookSpec], jobs: int, generated: str
) -> list[tuple[str, str]]:
    """The run parameters every index lists (the team goes after the first three)."""
    return [
        ("workspace", str(ws_arg)),
        ("workspace (resolved)", str(Path(ws_arg).resolve())),
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
