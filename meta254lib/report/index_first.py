"""The index's first screen: the change against last week, what needs attention, and the fix-first rows.

:func:`weekly_facts` computes the week's facts once per run; :func:`first_screen` formats them for one
index (platform-wide or a team's) as HTML and as ``summary.md``'s weekly part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.clock import to_utc_index
from ..core.columns import SERVICE
from ..core.schema_outputs import FIX_FIRST
from ..core.tableschema import empty_frame
from ..remediation.shared_items import fleet_items
from ..state.analysis import analysis_state
from ..state.fix_first import fix_first, rank_items, slo_rows, trend_report
from ..state.weekly import weekly_change
from ..views.escape import html_escape, md_escape
from ..views.weekly import weekly_html, weekly_markdown
from ..workspace.scope_inventory import service_rows, team_services
from ..workspace.workspace import open_workspace

__all__ = ["ATTENTION", "FIX_FIRST_ROWS", "attention_counts", "first_screen", "weekly_facts"]

#: Fix-first rows on the first screen and in ``summary.md``.
FIX_FIRST_ROWS = 10

#: What :func:`attention_counts` counts, as the first screen labels them.
ATTENTION = (
    ("slo_overdue", "SLO overdue", "open issues past their response-time SLO (drift overview)"),
    ("expired_exemptions", "Expired exemptions", "exemptions past their expiry date (drift overview)"),
    ("quality_regressions", "Quality regressions this week", "score drops in the week to the as-of (quality trends)"),
)


def weekly_facts(ws_arg: Path | str, state: Mapping[str, Any]) -> tuple[Any, Any, Any] | str:
    """The week's change, the remediation plan and the analysis state at the run's as-of, or why they could
    not be computed (one line).

    Parameters
    ----------
    ws_arg : Path or str
        The workspace as given (opened unless ``state`` carries the open ``workspace``).
    state : mapping
        What the run found: ``workspace`` and ``as_of_ts`` are read.
    """
    if "weekly_facts" in state:  # computed while the pages ran (report.context.prepare_indexes)
        return state["weekly_facts"]
    try:
        ws = state.get("workspace") or open_workspace(ws_arg)
        st = analysis_state(ws, state.get("as_of_ts"))
        return weekly_change(st), fleet_items(st), st
    except Exception as err:  # the index still lists the pages when the workspace cannot be analysed
        return f"{type(err).__name__}: {err}"


def attention_counts(st: Any, team: str | None = None) -> dict[str, int]:
    """The first screen's "needs attention" counts, computed as the pages compute them.

    ``slo_overdue``: open issues past their SLO (:func:`~meta254lib.state.fix_first.slo_rows`, the drift
    overview's ``slo_status`` table); ``expired_exemptions``: exemptions whose status is ``expired`` (its
    ``exemptions`` table); ``quality_regressions``: regressions of the quality trends page's report
    (:func:`~meta254lib.state.fix_first.trend_report`) in the week to the quality as-of (its
    ``regressions`` table, that week's rows).

    Parameters
    ----------
    st : AnalysisState
        The run's analysis state.
    team : str, optional
        Count this team's services only.

    Examples
    --------
    >>> import meta254lib as m
    >>> attention_counts(m.analysis_state(m.open_workspace("data/sample")))  # doctest: +SKIP
    {'slo_overdue': 25, 'expired_exemptions': 1, 'quality_regressions': 0}
    """
    slo = slo_rows(st, team)
    overdue = int(slo["within_slo"].eq(False).sum()) if "within_slo" in slo else 0
    exemptions = service_rows(st.drift.exemptions, team_services(st.ws, team))
    expired = int(exemptions["status"].eq("expired").sum()) if exemptions is not None and "status" in exemptions else 0
    regressions = trend_report(st, team).regressions
    week_start = st.quality_as_of - pd.Timedelta(days=7)
    if regressions is not None and len(regressions) and "time" in regressions:
        times = to_utc_index(regressions["time"])
        this_week = int(((times > week_start) & (times <= st.quality_as_of)).sum())
    else:
        this_week = 0
    return {"slo_overdue": overdue, "expired_exemptions": expired, "quality_regressions": this_week}


def _attention_html(counts: Mapping[str, int] | str) -> tuple[str, str]:
    """The "needs attention" line of the first screen (HTML) and of ``summary.md``."""
    if isinstance(counts, str):
        text = f"SLO, exemption and regression counts could not be computed: {counts}"
        return f'<p class="m254-attention">{html_escape(text)}</p>', f"- {md_escape(text)}\n"
    html = " · ".join(
        f'<span data-attention="{key}" title="{html_escape(note)}">{html_escape(label)}: '
        f'<strong data-count="{key}">{counts[key]:,}</strong></span>'
        for key, label, note in ATTENTION
    )
    md = "- " + "; ".join(f"{label}: **{counts[key]:,}**" for key, label, _ in ATTENTION) + ".\n"
    return f'<p class="m254-attention">Needs attention: {html}</p>', md


def _failed(text: str) -> tuple[str, str]:
    """A failure line for the first screen (HTML) and ``summary.md``."""
    return f'<p class="m254-banner m254-banner-failed">{html_escape(text)}</p>', md_escape(text) + "\n"


def first_screen(
    weekly: tuple[Any, Any, Any] | str, team: str | None, pages: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """The index's first screen (HTML) and ``summary.md``'s weekly part for one target (team or platform).

    Parameters
    ----------
    weekly : tuple or str
        What :func:`weekly_facts` returned.
    team : str, optional
        The team of a team index (the fix-first rows and the attention counts are the team's).
    pages : sequence of mappings
        The index's pages (``name``, ``title``, ``href``): the plan page is linked, every page listed.
    """
    if isinstance(weekly, str):
        return _failed(f"The change against last week could not be computed: {weekly}")
    change, items, st = weekly
    try:
        counts: dict[str, int] | str = attention_counts(st, team)
    except Exception as err:  # the rest of the first screen still shows
        counts = f"{type(err).__name__}: {err}"
    attention_html, attention_md = _attention_html(counts)
    failed = ("", "")
    try:
        rows = fix_first(st, items, team=team, limit=FIX_FIRST_ROWS)
    except Exception as err:  # the change and the counts still show
        rows = empty_frame(FIX_FIRST)
        failed = _failed(f"The fix-first table could not be computed: {type(err).__name__}: {err}")
    total = int(rank_items(items, team)[SERVICE].nunique())
    plan_href = next((p["href"] for p in pages if p["name"] == "remediation_plan"), None)
    links = [(str(p["title"]), str(p["href"])) for p in pages]
    html = weekly_html(change, rows, plan_href=plan_href, total_services=total, team=team)
    md = weekly_markdown(change, rows, links, team=team)
    return failed[0] + attention_html + html, failed[1] + _after_first_list(md, attention_md)


def _after_first_list(md: str, line: str) -> str:
    """``md`` with ``line`` appended to its first bullet list (the week's deltas).

    Examples
    --------
    >>> print(_after_first_list("### This week\\n\\n- a\\n- b\\n\\n### Next\\n", "- c\\n"), end="")
    ### This week
    <BLANKLINE>
    - a
    - b
    - c
    <BLANKLINE>
    ### Next
    """
    lines = md.splitlines(keepends=True)
    first = next((i for i, text in enumerate(lines) if text.startswith("- ")), None)
    if first is None:
        return line + md
    end = first
    while end < len(lines) and lines[end].startswith("- "):
        end += 1
    return "".join(lines[:end]) + line + "".join(lines[end:])
