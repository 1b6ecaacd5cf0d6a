"""The weekly first screen: the change against last week, a ranked fix-first table with owners, sources.

:func:`fix_first` ranks a remediation plan's items (severity high > medium > low, then priority);
:func:`weekly_html` and :func:`weekly_markdown` format a :class:`~meta254lib.state.weekly.WeeklyChange`
and those rows for the report's ``index.html`` and ``summary.md``. Numbers: scores to one decimal,
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
from ..core.severity import SEVERITIES, SEVERITY_RANK
from ..remediation.result import RemediationPlan
from ..state.weekly import WeeklyChange
from .drift import SEVERITY_COLORS
from .escape import html_escape, is_missing, md_escape, table_slug
from .html_table import sortable_script

__all__ = [
    "FIX_FIRST_COLUMNS",
    "fix_first",
    "fmt_delta",
    "fmt_number",
    "fmt_score",
    "fmt_time",
    "no_negative_zero",
    "to_minute",
    "weekly_html",
    "weekly_markdown",
]

#: Columns of :func:`fix_first`.
FIX_FIRST_COLUMNS = ("rank", SERVICE, "what", SEVERITY, TEAM, "contact", "due", "escalation", "priority", "id")


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


_NEG_ZERO = re.compile(r"(?<![\w.])[-+−](0(?:\.0+)?)(?![\w.])")


def no_negative_zero(text: str) -> str:
    """``text`` with every signed zero (``-0.00``, ``+0.0``, ``−0``) written unsigned.

    Examples
    --------
    >>> no_negative_zero("r = -0.00 (lag 1), r = +0.0, -0.05 and v-0.0")
    'r = 0.00 (lag 1), r = 0.0, -0.05 and v-0.0'
    """
    return _NEG_ZERO.sub(r"\1", text)


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


def _what(row: Mapping[str, Any]) -> str:
    """``security fix redis 7.0 → 7.2``: the action, its subject and current → target."""
    parts = [str(row.get("action") or "").replace("_", " ")]
    if not is_missing(row.get("subject")) and str(row.get("subject")):
        parts.append(str(row["subject"]))
    cur, tgt = row.get("current"), row.get("target")
    if not is_missing(cur) and str(cur) and not is_missing(tgt) and str(tgt):
        parts.append(f"{cur} → {tgt}")
    return " ".join(parts)


def fix_first(plan: RemediationPlan, *, team: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The plan's items ranked high > medium > low, then by priority (:data:`FIX_FIRST_COLUMNS`).

    Parameters
    ----------
    plan : RemediationPlan
        The remediation plan at the as-of.
    team : str, optional
        Only the items this team owns.
    limit : int, optional
        At most this many rows.
    """
    items = plan.items
    if team is not None:
        items = items[items[TEAM].astype(str) == team]
    rank = items[SEVERITY].map(SEVERITY_RANK).fillna(len(SEVERITIES))
    items = items.assign(_r=rank, _p=-items["priority"].astype(float)).sort_values(["_r", "_p", "id"], kind="mergesort")
    if limit is not None:
        items = items.head(limit)
    rows = [
        {
            "rank": k + 1,
            SERVICE: str(r[SERVICE]),
            "what": _what(r),
            SEVERITY: str(r[SEVERITY]),
            TEAM: "" if is_missing(r.get(TEAM)) else str(r[TEAM]),
            "contact": "" if is_missing(r.get("team_contact")) else str(r["team_contact"]),
            "due": "" if is_missing(r.get("due")) else pd.Timestamp(r["due"]).strftime("%Y-%m-%d"),
            "escalation": " ".join(
                str(r[c]) for c in ("escalation", "escalation_name") if not is_missing(r.get(c)) and str(r[c])
            ),
            "priority": round(float(r["priority"]), 1),
            "id": str(r["id"]),
        }
        for k, r in enumerate(items.to_dict("records"))
    ]
    return pd.DataFrame(rows, columns=list(FIX_FIRST_COLUMNS))


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
    """The change tiles: open by severity with ▲/▼, new and fixed, detector churn, new high, quality."""
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
            "New / fixed this week",
            f'<span data-count="new">{change.new:,}</span> / <span data-count="fixed">{change.fixed:,}</span>',
            "same detector, by issue id",
            "flow",
        ),
        _tile(
            "Detector churn",
            f"+{change.churn_in:,} / −{change.churn_out:,}",
            "appeared / went away only because the report came from another detector",
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


def _fix_first_table(rows: pd.DataFrame, plan_href: str | None) -> str:
    """The fix-first table: sortable (severity by rank), each item linked to its row on the plan page."""
    heads = ("#", "Service", "What", "Severity", "Team", "Due", "Escalation", "Priority")
    types = {"#": "num", "Severity": "rank", "Priority": "num"}
    head = "".join(f'<th data-type="{types[h]}">{h}</th>' if h in types else f"<th>{h}</th>" for h in heads)
    body = []
    for r in rows.to_dict("records"):
        team = html_escape(r[TEAM])
        if r["contact"]:
            team = f'<a href="mailto:{html_escape(r["contact"])}" title="{html_escape(r["contact"])}">{team}</a>'
        what = html_escape(r["what"])
        if plan_href:
            href = f"{plan_href}#plan-item-{table_slug(str(r['id']))}"
            what = f'<a href="{html_escape(href)}" title="{html_escape(r["id"])}">{what}</a>'
        body.append(
            f'<tr data-severity="{html_escape(r[SEVERITY])}"><td class="num">{r["rank"]}</td>'
            f"<td>{html_escape(r[SERVICE])}</td><td>{what}</td>"
            f'<td data-v="{SEVERITY_RANK.get(str(r[SEVERITY]), len(SEVERITIES))}">{_badge(r[SEVERITY])}</td>'
            f"<td>{team}</td><td>{html_escape(r['due'])}</td><td>{html_escape(r['escalation'])}</td>"
            f'<td class="num">{fmt_score(r["priority"])}</td></tr>'
        )
    more = f' <a class="m254-small" href="{html_escape(plan_href)}">the full plan</a>' if plan_href else ""
    return (
        f'<h2 id="fix-first">Fix first{more}</h2>'
        f'<table class="m254-fix-first" id="m254-fix-first"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{sortable_script('m254-fix-first')}"
    )


def weekly_html(
    change: WeeklyChange,
    rows: pd.DataFrame,
    *,
    plan_href: str | None = None,
    total_items: int | None = None,
    team: str | None = None,
) -> str:
    """The index's first screen: change tiles, the fix-first table, new high-severity issues, sources.

    Parameters
    ----------
    change : WeeklyChange
        The change against last week.
    rows : DataFrame
        :func:`fix_first` rows to show.
    plan_href : str, optional
        Link to the plan page.
    total_items : int, optional
        How many plan items there are in all (said under the table).
    team : str, optional
        The team of a team index: the change stays platform-wide, the fix-first rows are the team's.
    """
    note = ""
    if total_items is not None and total_items > len(rows):
        note = f'<p class="m254-small">Top {len(rows):,} of {total_items:,} plan items.</p>'
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
        f"- New this week: **{change.new:,}**; fixed this week: **{change.fixed:,}** (same detector, by issue id).",
        f"- Detector churn: +{change.churn_in:,} / −{change.churn_out:,} (a report from another detector).",
        f"- Quality mean: **{fmt_score(change.quality_now)}** ({fmt_delta(change.quality_delta, integer=False)}"
        f" vs {fmt_score(change.quality_before)} a week before).",
        "",
        f"### Fix first (top {len(rows):,}" + (f", team {md_escape(team)})" if team else ")"),
        "",
        "| # | Service | What | Severity | Team (contact) | Due | Escalation |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows.to_dict("records"):
        owner = md_escape(r[TEAM]) + (f" ({md_escape(r['contact'])})" if r["contact"] else "")
        lines.append(
            f"| {r['rank']} | {md_escape(r[SERVICE])} | {md_escape(r['what'])} | {md_escape(r[SEVERITY])} | "
            f"{owner} | {md_escape(r['due'])} | {md_escape(r['escalation'])} |"
        )
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
