"""The weekly first screen and summary.md's weekly part, from a hand-made change and two fix-first rows."""

from __future__ import annotations

import re

import pandas as pd

from meta254lib.core.schema_outputs import FIX_FIRST
from meta254lib.core.tableschema import frame_from_records
from meta254lib.state.weekly import NEW_ISSUE_COLUMNS, WeeklyChange
from meta254lib.views.weekly import weekly_html, weekly_markdown

XSS = "<script>alert(1)</script>"
AS_OF = pd.Timestamp("2025-10-10T06:00:00Z")


def _change(worsened: int = 2, worsened_churn: int = 3) -> WeeklyChange:
    new = pd.DataFrame(
        [["DRIFT-1", "auth", "core", "vulnerable_dependency", "high", "redis", AS_OF, False]],
        columns=list(NEW_ISSUE_COLUMNS),
    )
    return WeeklyChange(
        as_of=AS_OF,
        before_time=AS_OF - pd.Timedelta(days=7),
        before_source="platform report of 2025-10-03 06:00 UTC",
        backlog_now={"high": 3, "medium": 1, "low": 0},
        backlog_before={"high": 1, "medium": 1, "low": 2},
        new=1,
        fixed=2,
        churn_in=0,
        churn_out=0,
        new_issues=new,
        quality_now=81.25,
        quality_before=80.0,
        sources={"backlog": "open issues: drift: meta254 run at 2025-10-10T06:00:00.123456+00:00"},
        worsened=worsened,
        worsened_churn=worsened_churn,
    )


def _rows() -> pd.DataFrame:
    common = {"escalation": "L3 Architecture Team", "due": "2025-10-17T00:00:00Z", "weighted_blast_radius": 1.62}
    return frame_from_records(
        FIX_FIRST,
        [
            {
                **common,
                "rank": 1,
                "service": "auth",
                "team": "core",
                "contact": "core@example.org",
                "severity": "high",
                "top_action": "security fix redis 7.0 → 7.2",
                "item_id": "PLAN-1",
                "items": 3,
                "priority": 7.853,
                "open": 2,
                "overdue": 1,
                "quality": 84,
                "quality_trend": "declining",
                "quality_slope": -7.44,
                "blast_radius": 2,
            },
            {
                **common,
                "rank": 2,
                "service": XSS,
                "team": "money",
                "contact": "",
                "escalation": "",
                "severity": "medium",
                "top_action": "refresh service",
                "item_id": "PLAN-2",
                "items": 1,
                "due": "2025-11-09T00:00:00Z",
                "priority": 3.4,
                "open": 1,
                "overdue": 0,
                "quality": pd.NA,
                "quality_trend": "",
                "quality_slope": float("nan"),
                "blast_radius": 0,
            },
        ],
    )


def _cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html)]


def test_fix_first_table_has_eight_columns_one_row_per_service():
    html = weekly_html(_change(), _rows(), plan_href="remediation_plan.html", total_services=35)
    table = html[html.index('<table class="m254-fix-first"') : html.index("</table>")]
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    assert heads == [
        "Service",
        "Top action",
        "Severity",
        "Team",
        "Open / overdue",
        "Quality (trend)",
        "Blast radius",
        "Due",
    ]
    rows = re.findall(r"<tr data-severity.*?</tr>", table)
    assert _cells(rows[0]) == [
        "auth",
        "security fix redis 7.0 → 7.2 +2 more",
        "high",
        "core",
        "2 / 1",
        "84 (▼ declining)",
        "2",
        "2025-10-17",
    ]
    assert _cells(rows[1])[4:] == ["1 / 0", "n/a", "0", "2025-11-09"]
    assert 'href="remediation_plan.html#plan-item-plan-1" title="PLAN-1, priority 7.9"' in rows[0]
    assert 'href="mailto:core@example.org" title="core@example.org; escalation L3 Architecture Team"' in rows[0]
    assert 'data-open="2" data-overdue="1"' in rows[0] and 'title="weighted blast radius 1.6"' in rows[0]
    # severity sorts by the ranking; hostile text escaped
    assert '<td data-v="1"><span class="m254-sev"' in rows[0] and '<td data-v="2"><span' in rows[1]
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rows[1]
    assert "Top 2 of 35 services with plan items" in html


def test_tiles_show_new_fixed_and_worsened_with_churn_apart():
    html = weekly_html(_change(), _rows())
    flow = re.search(r'data-tile="flow">(.*?)</div></div>', html).group(1)
    assert "New / fixed / worsened" in flow and "this week, same detector" in flow
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts == {"new": "1", "fixed": "2", "worsened": "2"}
    assert "3 rated more severe only by it" in html
    assert "3 rated more severe" not in weekly_html(_change(worsened_churn=0), _rows())
    assert ".123456" not in html and "2025-10-10 06:00 UTC" in html  # sources to the minute


def test_summary_markdown_carries_deltas_fix_first_owners_new_high_and_links():
    md = weekly_markdown(_change(), _rows(), [("Remediation plan", "remediation_plan.html")])
    lines = md.splitlines()
    assert "- **Open issues: 4** (± 0 vs 4 a week before): high 3 (▲ 2), medium 1 (± 0), low 0 (▼ 2)." in lines
    assert (
        "- New this week: **1**; fixed this week: **2**; worsened this week: **2** "
        "(same detector, by issue id; worsened: severity rose)."
    ) in lines
    assert "- Detector churn: +0 / −0 (a report from another detector); 3 rated more severe only by it." in lines
    assert "### Fix first (top 2)" in lines
    assert (
        "| 1 | auth | security fix redis 7.0 → 7.2 (+2 more) | high | core (core@example.org) | 2 / 1 | "
        "84 (▼ declining) | 2 | 2025-10-17 | L3 Architecture Team |"
    ) in lines
    assert "| 2 | &lt;script&gt;alert(1)&lt;/script&gt; | refresh service | medium | money | 1 / 0 | n/a | 0 | " in md
    assert "### High-severity issues first reported this week (1)" in lines
    assert "- auth (core): vulnerable dependency redis" in lines
    assert "- [Remediation plan](remediation_plan.html)" in lines
