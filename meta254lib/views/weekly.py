"""The weekly first screen: the change against last week, a ranked fix-first table with owners, sources.

:func:`weekly_html` and :func:`weekly_markdown` format a :class:`~meta254lib.state.weekly.WeeklyChange`
and the fix-first rows of :func:`~meta254lib.state.fix_first.fix_first` (one per service, ranked severity
high > medium > low, then priority) for the report's ``index.html`` and ``summary.md``. Numbers: scores to one decimal,
counts as integers, dates as ``YYYY-MM-DD`` and times to the minute in UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.clock import to_utc
from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.numfmt import no_negative_zero
from ..core.severity import SEVERITIES
from ..state.weekly import WeeklyChange
from .drift import SEVERITY_COLORS
from .escape import html_escape, is_missing, md_escape, table_slug
from .html_table import sortable_script

__all__ = [
    "fmt_delta",
    "fmt_number",
    "fmt_score",
    "fmt_time",
    "no_negative_zero",
    "to_minute",
    "weekly_html",
    "weekly_markdown",
]


def fmt_score(value: Any) -> str:
    """A score or a number of days to at most one decimal ("n/a" when missing; never ``-0``).

    Examples
    --------
    >>> fmt_score(89.28333), fmt_score(88.98), fmt_score(-0.04), fmt_score(None), fmt_score(12.0)
    ('89.3', '89.0', '0', 'n/a', '12')
    """
    if is_missing(value):
        return "n/a"
    v = float(value)
    text = f"{v:.0f}" if v == int(v) else f"{round(v, 1):.1f}"
    return "0" if text in ("-0", "0", "-0.0", "0.0") else text


def fmt_number(value: Any) -> str:
    """Any number for a table cell: integers as integers, at most one decimal from 1 up, two significant
    digits (at most three decimals) below 1; ``""`` when missing; never ``-0``.

    Scores and days (:func:`fmt_score`) get one decimal; a share or a probability below 1 keeps two
    significant digits so that it does not read 0.

    Examples
    --------
    >>> fmt_number(27.4337), fmt_number(175.027), fmt_number(97.0), fmt_number(-0.0001), fmt_number(None)
    ('27.4', '175', '97', '0', '')
    >>> fmt_number(0.25), fmt_number(0.012345), fmt_number(-0.0049), fmt_number(13.999999999999998)
    ('0.25', '0.012', '-0.005', '14')
    """
    if is_missing(value) or isinstance(value, bool):
        return "" if is_missing(value) else str(value).lower()
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if abs(v) >= 1:
        return fmt_score(v) if round(v, 1) != round(v) else f"{round(v):.0f}"
    digits = min(3, max(2, 1 - math.floor(math.log10(abs(v))))) if v else 0
    text = f"{round(v, digits):.{digits}f}".rstrip("0").rstrip(".") if digits else "0"
    return "0" if text in ("-0", "0", "") else text


def fmt_time(value: Any) -> str:
    """A timestamp to the minute in UTC (``2025-10-06 05:21 UTC``), a date alone at midnight; ``""`` when missing.

    Examples
    --------
    >>> fmt_time(pd.Timestamp("2025-10-06T07:21:55.6+02:00")), fmt_time(pd.Timestamp("2025-10-06")), fmt_time(None)
    ('2025-10-06 05:21 UTC', '2025-10-06', '')
    """
    if is_missing(value):
        return ""
    ts = to_utc(value)
    if (ts.hour, ts.minute, ts.second, ts.microsecond) == (0, 0, 0, 0):
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def fmt_delta(value: Any, *, integer: bool = True) -> str:
    """A week-over-week change with an arrow: ``▲ 3``, ``▼ 27``, ``± 0``.

    Examples
    --------
    >>> fmt_delta(17), fmt_delta(-27), fmt_delta(0), fmt_delta(0.3, integer=False), fmt_delta(None)
    ('▲ 17', '▼ 27', '± 0', '▲ 0.3', 'n/a')
    """
    if is_missing(value):
        return "n/a"
    text = f"{abs(int(value)):,}" if integer else fmt_score(abs(float(value)))
    if text == "0":
        return "± 0"
    return ("▲ " if float(value) > 0 else "▼ ") + text


_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?(?:\+00:00|Z)")


def to_minute(text: str) -> str:
    """ISO UTC timestamps in ``text`` shown to the minute: ``2025-10-06 05:21 UTC``.

    Examples
    --------
    >>> to_minute("quality: snapshot of 2025-10-06T05:21:55.603919+00:00 (newest)")
    'quality: snapshot of 2025-10-06 05:21 UTC (newest)'
    """
    return _ISO.sub(r"\1 \2 UTC", text)


def _badge(severity: str) -> str:
    """A severity badge, coloured by severity (the only use of these colours)."""
    color = SEVERITY_COLORS.get(severity, SEVERITY_COLORS["all"])
    return f'<span class="m254-sev" style="background:{color}">{html_escape(severity)}</span>'


def _tile(label: str, value: str, detail: str = "", cls: str = "") -> str:
    extra = f' data-tile="{html_escape(cls)}"' if cls else ""
    return (
        f'<div class="m254-tile"{extra}><div class="m254-tile-label">{html_escape(label)}</div>'
        f'<div class="m254-tile-value">{value}</div><div class="m254-tile-detail">{detail}</div></div>'
    )


def _tiles_html(change: WeeklyChange) -> str:
    """The change tiles: open by severity with ▲/▼, new, fixed and worsened, detector churn, new high, quality."""
    before = change.backlog_before or {}
    by_sev = " · ".join(
        f"{_badge(s)} {change.backlog_now.get(s, 0):,}"
        + (f" ({fmt_delta(change.backlog_now.get(s, 0) - before[s])})" if s in before else "")
        for s in SEVERITIES
    )
    vs = "no report a week before"
    if change.open_before is not None:
        vs = f"{fmt_delta(change.open_now - change.open_before)} vs {change.open_before:,} a week before"
    q_detail = f"{fmt_delta(change.quality_delta, integer=False)} vs {fmt_score(change.quality_before)} a week before"
    tiles = [
        _tile("Open issues", f"{change.open_now:,}", f"{html_escape(vs)}<br>{by_sev}", "open"),
        _tile(
            "New / fixed / worsened",
            f'<span data-count="new">{change.new:,}</span> / <span data-count="fixed">{change.fixed:,}</span>'
            f' / <span data-count="worsened">{change.worsened:,}</span>',
            "this week, same detector, by issue id; worsened: severity rose",
            "flow",
        ),
        _tile(
            "Detector churn",
            f"+{change.churn_in:,} / −{change.churn_out:,}",
            "appeared / went away only because the report came from another detector"
            + (f"; {change.worsened_churn:,} rated more severe only by it" if change.worsened_churn else ""),
            "churn",
        ),
        _tile(
            "High severity first reported",
            f"{len(change.new_high):,}",
            f"of {len(change.new_issues):,} issues first reported this week",
            "new-high",
        ),
        _tile("Quality mean", fmt_score(change.quality_now), html_escape(q_detail), "quality"),
    ]
    return f'<div class="m254-tiles">{"".join(tiles)}</div>'


#: The fix-first table's visible columns: header and sort type.
_FIX_FIRST_HEADS = (
    ("Service", ""),
    ("Top action", ""),
    ("Severity", "rank"),
    ("Team", ""),
    ("Open / overdue", "num"),
    ("Quality (trend)", "num"),
    ("Blast radius", "num"),
    ("Due", ""),
)
#: Arrows of the quality trend directions.
_TREND_ARROW = {"improving": "▲ ", "declining": "▼ "}


def _quality_text(r: Mapping[str, Any]) -> str:
    """``86 (▼ declining)``: the score and its trend; ``n/a`` without a score."""
    if is_missing(r["quality"]):
        return "n/a"
    trend = str(r["quality_trend"] or "")
    return fmt_score(r["quality"]) + (f" ({_TREND_ARROW.get(trend, '')}{trend})" if trend else "")


def _fix_first_row(r: Mapping[str, Any], plan_href: str | None) -> str:
    """One service's row of the fix-first table."""
    action = html_escape(r["top_action"])
    if plan_href:
        href = f"{plan_href}#plan-item-{table_slug(str(r['item_id']))}"
        title = f"{r['item_id']}, priority {fmt_score(r['priority'])}"
        action = f'<a href="{html_escape(href)}" title="{html_escape(title)}">{action}</a>'
    if r["items"] > 1:
        action += f' <span class="m254-small">+{r["items"] - 1:,} more</span>'
    team = html_escape(r[TEAM])
    owner = "; ".join(v for v in (r["contact"], f"escalation {r['escalation']}" if r["escalation"] else "") if v)
    if r["contact"]:
        team = f'<a href="mailto:{html_escape(r["contact"])}" title="{html_escape(owner)}">{team}</a>'
    elif owner:
        team = f'<span title="{html_escape(owner)}">{team}</span>'
    q = "" if is_missing(r["quality"]) else str(float(r["quality"]))
    slope = "" if is_missing(r["quality_slope"]) else f"slope {fmt_number(r['quality_slope'])} points a week"
    weighted = f"weighted blast radius {fmt_number(r['weighted_blast_radius'])}"
    return (
        f'<tr data-severity="{html_escape(r[SEVERITY])}" data-service="{html_escape(r[SERVICE])}">'
        f"<td>{html_escape(r[SERVICE])}</td><td>{action}</td>"
        f'<td data-v="{r["rank"]}">{_badge(r[SEVERITY])}</td><td>{team}</td>'
        f'<td class="num" data-v="{r["open"]}" data-open="{r["open"]}" data-overdue="{r["overdue"]}">'
        f"{r['open']:,} / {r['overdue']:,}</td>"
        f'<td class="num" data-v="{q}" title="{html_escape(slope)}">{html_escape(_quality_text(r))}</td>'
        f'<td class="num" data-v="{r["blast_radius"]}" title="{html_escape(weighted)}">{r["blast_radius"]:,}</td>'
        f"<td>{html_escape(fmt_time(r['due']))}</td></tr>"
    )


def _fix_first_table(rows: pd.DataFrame, plan_href: str | None) -> str:
    """The fix-first table: one row per service, sortable (severity by the ranking), linked to the plan page."""
    head = "".join(f'<th data-type="{t}">{h}</th>' if t else f"<th>{h}</th>" for h, t in _FIX_FIRST_HEADS)
    body = "".join(_fix_first_row(r, plan_href) for r in rows.to_dict("records"))
    more = f' <a class="m254-small" href="{html_escape(plan_href)}">the full plan</a>' if plan_href else ""
    return (
        f'<h2 id="fix-first">Fix first{more}</h2>'
        f'<table class="m254-fix-first" id="m254-fix-first"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{sortable_script('m254-fix-first')}"
    )


def weekly_html(
    change: WeeklyChange,
    rows: pd.DataFrame,
    *,
    plan_href: str | None = None,
    total_services: int | None = None,
    team: str | None = None,
) -> str:
    """The index's first screen: change tiles, the fix-first table, new high-severity issues, sources.

    Parameters
    ----------
    change : WeeklyChange
        The change against last week.
    rows : DataFrame
        :func:`~meta254lib.state.fix_first.fix_first` rows to show.
    plan_href : str, optional
        Link to the plan page.
    total_services : int, optional
        How many services have plan items in all (said under the table).
    team : str, optional
        The team of a team index: the change stays platform-wide, the fix-first rows are the team's.
    """
    shown = f"Top {len(rows):,} of {total_services:,} services" if (total_services or 0) > len(rows) else "Services"
    note = (
        f'<p class="m254-small">{shown} with plan items, each ranked by its top item (severity, then priority). '
        "Open / overdue: counted open drift issues / those past their response-time SLO. Quality: the current "
        "score and its trend. Blast radius: services a change to it impacts (impact analysis).</p>"
    )
    parts = [
        '<section class="m254-weekly" aria-label="This week">',
        f'<h2 id="this-week">This week (to {change.as_of.strftime("%Y-%m-%d %H:%M")} UTC)'
        + (f' <span class="m254-small">platform-wide; fix first: team {html_escape(team)}</span>' if team else "")
        + "</h2>",
        _tiles_html(change),
        _fix_first_table(rows, plan_href),
        note,
        _new_high_html(change.new_high),
        '<p class="m254-small m254-sources">Sources: '
        + html_escape(to_minute("; ".join(change.sources.values())))
        + ".</p>",
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


def _new_high_html(new_high: pd.DataFrame) -> str:
    """The new high-severity issues, one line each, behind a summary line."""
    if not len(new_high):
        return '<p id="new-high">No high-severity issue first reported this week.</p>'
    all_churn = bool(new_high["churn"].all())
    items = "".join(
        f"<li>{html_escape(r[SERVICE])} ({html_escape(r[TEAM] or 'no team')}): "
        f"{html_escape(str(r['type']).replace('_', ' '))} {html_escape(r['subject'])}"
        + (" <em>(detector churn)</em>" if r["churn"] and not all_churn else "")
        + "</li>"
        for r in new_high.to_dict("records")
    )
    how = ", all by detector churn (a report from another detector)" if all_churn else ""
    return (
        f'<details id="new-high" open><summary>{_badge("high")} {len(new_high):,} high-severity issues first '
        f'reported this week{how}</summary><ul class="m254-new-high">{items}</ul></details>'
    )


def _fix_first_markdown(rows: pd.DataFrame) -> list[str]:
    """The fix-first rows as a Markdown table, with each service's owner and escalation."""
    lines = [
        "| # | Service | Top action | Severity | Team (contact) | Open / overdue | Quality (trend) | Blast radius "
        "| Due | Escalation |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows.to_dict("records"):
        owner = md_escape(r[TEAM]) + (f" ({md_escape(r['contact'])})" if r["contact"] else "")
        action = md_escape(r["top_action"]) + (f" (+{r['items'] - 1:,} more)" if r["items"] > 1 else "")
        lines.append(
            f"| {r['rank']} | {md_escape(r[SERVICE])} | {action} | {md_escape(r[SEVERITY])} | {owner} | "
            f"{r['open']:,} / {r['overdue']:,} | {md_escape(_quality_text(r))} | {r['blast_radius']:,} | "
            f"{md_escape(fmt_time(r['due']))} | {md_escape(r['escalation'])} |"
        )
    return lines


def weekly_markdown(
    change: WeeklyChange, rows: pd.DataFrame, links: Sequence[tuple[str, str]] = (), *, team: str | None = None
) -> str:
    """``summary.md``'s weekly part: the deltas, the fix-first rows with owners, new high issues, links.

    ``team`` names a team summary: the deltas stay platform-wide, the fix-first rows are the team's.
    """
    before = change.backlog_before or {}
    sev = ", ".join(
        f"{s} {change.backlog_now.get(s, 0):,}"
        + (f" ({fmt_delta(change.backlog_now.get(s, 0) - before[s])})" if s in before else "")
        for s in SEVERITIES
    )
    vs = (
        f" ({fmt_delta(change.open_now - change.open_before)} vs {change.open_before:,} a week before)"
        if change.open_before is not None
        else ""
    )
    lines = [
        "### This week" + (" (platform-wide)" if team else ""),
        "",
        f"- **Open issues: {change.open_now:,}**{vs}: {sev}.",
        f"- New this week: **{change.new:,}**; fixed this week: **{change.fixed:,}**; worsened this week: "
        f"**{change.worsened:,}** (same detector, by issue id; worsened: severity rose).",
        f"- Detector churn: +{change.churn_in:,} / −{change.churn_out:,} (a report from another detector)"
        + (f"; {change.worsened_churn:,} rated more severe only by it." if change.worsened_churn else "."),
        f"- Quality mean: **{fmt_score(change.quality_now)}** ({fmt_delta(change.quality_delta, integer=False)}"
        f" vs {fmt_score(change.quality_before)} a week before).",
        "",
        f"### Fix first (top {len(rows):,}" + (f", team {md_escape(team)})" if team else ")"),
        "",
        *_fix_first_markdown(rows),
    ]
    lines += ["", f"### High-severity issues first reported this week ({len(change.new_high):,})", ""]
    for r in change.new_high.to_dict("records"):
        churn = " (detector churn)" if r["churn"] else ""
        lines.append(
            f"- {md_escape(r[SERVICE])} ({md_escape(r[TEAM] or 'no team')}): "
            f"{md_escape(str(r['type']).replace('_', ' '))} {md_escape(r['subject'])}{churn}"
        )
    if not len(change.new_high):
        lines.append("None.")
    if links:
        lines += ["", "### Pages", ""] + [f"- [{md_escape(t)}]({h})" for t, h in links]
    lines += ["", "Sources: " + md_escape(to_minute("; ".join(change.sources.values()))) + "."]
    return "\n".join(lines) + "\n"
