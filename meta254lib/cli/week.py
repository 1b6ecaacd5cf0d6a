"""``meta254 week``: the index's first screen in a terminal: what changed, what needs attention, what first.

The numbers are those of the weekly report's index, from the same functions
(:func:`~meta254lib.report.index_first.weekly_facts`, :func:`~meta254lib.report.index_first.attention_counts`,
:func:`~meta254lib.state.fix_first.fix_first`), so the command and the page never disagree.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: week [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from ..core.errors import EXIT_OK
from ..core.severity import SEVERITIES
from ..remediation.shared_items import fleet_items
from ..report.index_first import ATTENTION, FIX_FIRST_ROWS, attention_counts
from ..state.fix_first import fix_first
from ..state.weekly import weekly_change
from .common import as_of_option, debug_option, format_option, open_state, render, run_command, workspace_option

if TYPE_CHECKING:
    from ..state.weekly import WeeklyChange

__all__ = ["TABLE_COLUMNS", "change_lines", "command"]

#: The fix-first columns of the table output, most useful first (a narrow terminal leaves out the last ones).
TABLE_COLUMNS = (
    "rank",
    "service",
    "severity",
    "top_action",
    "team",
    "open",
    "overdue",
    "quality",
    "quality_trend",
    "blast_radius",
    "due",
    "contact",
)


def _delta(now: int, before: int | None) -> str:
    """``now`` with its change against ``before``: ``12 (▲3)``, ``9 (▼1)``, ``4 (=)``, or ``4`` alone.

    Examples
    --------
    >>> _delta(12, 9), _delta(9, 10), _delta(4, 4), _delta(4, None)
    ('12 (▲3)', '9 (▼1)', '4 (=)', '4')
    """
    if before is None:
        return f"{now:,}"
    diff = now - before
    arrow = "=" if diff == 0 else f"▲{diff:,}" if diff > 0 else f"▼{-diff:,}"
    return f"{now:,} ({arrow})"


def change_lines(change: WeeklyChange, counts: dict[str, int]) -> list[str]:
    """The heading of the table output: open issues by severity against last week, the flow, the attention counts.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> change = NS(as_of=pd.Timestamp("2025-10-06", tz="UTC"), backlog_now={"high": 3, "medium": 2, "low": 0},
    ...     backlog_before={"high": 1, "medium": 2, "low": 1}, before_source="meta254 report of 2025-09-29 00:00 UTC",
    ...     open_now=5, open_before=4, new=2, fixed=1, worsened=0, churn_in=0, churn_out=0, worsened_churn=0)
    >>> print("\\n".join(change_lines(change, {"slo_overdue": 1, "expired_exemptions": 0, "quality_regressions": 2})))
    Week to 2025-10-06: 5 (▲1) open issues: high 3 (▲2), medium 2 (=), low 0 (▼1)
    Against: meta254 report of 2025-09-29 00:00 UTC
    This week: 2 new, 1 fixed, 0 worsened; detector churn: 0 in, 0 out, 0 rated more severe
    Needs attention: SLO overdue 1; Expired exemptions 0; Quality regressions this week 2
    """
    before = change.backlog_before or {}
    by_severity = ", ".join(
        f"{s} {_delta(int(change.backlog_now.get(s, 0)), before.get(s) if change.backlog_before else None)}"
        for s in SEVERITIES
    )
    return [
        f"Week to {change.as_of:%Y-%m-%d}: {_delta(change.open_now, change.open_before)} open issues: {by_severity}",
        f"Against: {change.before_source or 'no drift report a week before the as-of'}",
        f"This week: {change.new:,} new, {change.fixed:,} fixed, {change.worsened:,} worsened; detector churn: "
        f"{change.churn_in:,} in, {change.churn_out:,} out, {change.worsened_churn:,} rated more severe",
        "Needs attention: " + "; ".join(f"{label} {counts[key]:,}" for key, label, _ in ATTENTION),
    ]


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    """The fix-first rows as the terminal shows them: due as YYYY-MM-DD, the most useful columns first."""
    t = rows.copy()
    if "due" in t:
        t["due"] = t["due"].map(lambda v: "" if pd.isna(v) or v == "" else pd.Timestamp(v).strftime("%Y-%m-%d"))
    return t.reindex(columns=[c for c in TABLE_COLUMNS if c in t.columns])


@click.command("week")
@workspace_option
@as_of_option
@click.option("--team", "-t", "team", default=None, help="Only this team's services.")
@click.option(
    "--limit",
    "limit",
    type=click.IntRange(min=0),
    default=FIX_FIRST_ROWS,
    show_default=True,
    help="Fix-first rows to show (0: every service with plan items).",
)
@format_option(help_text="Output format; csv is the fix-first table, json the change and the rows.")
@debug_option
@run_command
def command(workspace: Path, as_of: str | None, team: str | None, limit: int, fmt: str, debug: bool) -> int:
    """What changed in the week to --as-of, what needs attention, and which services to fix first.

    The weekly report's first screen: open issues by severity against last week's drift report; new,
    fixed and worsened issues (detector churn apart); SLO-overdue issues, expired exemptions and quality
    regressions; then one row per service with plan items, ranked by its top item (severity high >
    medium > low, then priority), with its team, open and overdue issues, quality and trend, blast
    radius and due date.
    """
    st = open_state(workspace, as_of)
    change = weekly_change(st)
    counts = attention_counts(st, team)
    rows = fix_first(st, fleet_items(st), team=team, limit=limit or None)
    payload: dict[str, Any] = {"change": change.to_dict(), "attention": counts, "fix_first": rows}
    title = "\n".join(change_lines(change, counts)) + f"\nFix first ({len(rows):,} services):"
    text = render(rows if fmt == "csv" else _table(rows), payload, fmt, title=title)
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK
