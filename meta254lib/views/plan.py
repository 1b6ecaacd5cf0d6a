"""Views of a remediation plan: Markdown checklists to paste into an issue, a wave Gantt, a burn-down.

:func:`plan_markdown` writes one checklist per service: a ``##`` heading per service, a ``###``
heading per item, the runbook phases as ``- [ ]`` task lists, and the manifest diff, the proposed
lock file and the commands in fenced code blocks. Every string that comes from the inputs is escaped
with :func:`~meta254lib.views.escape.md_escape`, so a service name or a reason can never open a tag, a
link or a heading; code blocks are fenced with more backticks than they contain.

Figures import plotly lazily.

Examples
--------
>>> from meta254lib.remediation import build_plan, PlanInputs
>>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
>>> from meta254lib.drift import DriftInputs, detect_drift
>>> services = rec(SERVICES, [{"service": "a_b", "team": "t", "version": "1.0.0", "runtime": "python",
...                             "last_update": "2025-01-01"}])
>>> plan = build_plan(PlanInputs(detect_drift(DriftInputs(services), as_of="2025-10-10").issues, services))
>>> md = plan_markdown(plan)
>>> md.splitlines()[0], "## a\\\\_b" in md, "- [ ] " in md
('# Remediation plan as of 2025-10-10', True, True)
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..core.severity import SEVERITIES
from ..remediation.result import RemediationPlan
from .drift import SEVERITY_COLORS
from .escape import md_escape
from .plan_owner import plan_by_owner_html, show_plan_by_owner

__all__ = [
    "GANTT_MAX_ROWS",
    "NOTES_MAX_LINES",
    "burndown_figure",
    "fence",
    "notes_table",
    "plan_by_owner_html",
    "plan_gantt",
    "plan_markdown",
    "service_markdown",
    "show_plan_by_owner",
    "show_plan_notes",
]

#: A plan with more Gantt rows (one per wave and service) than this draws items per week instead.
#: The sample's plan has 35 rows; a 10,000-service fleet's has about 6,000 (1,588 waves).
GANTT_MAX_ROWS = 120
#: Warnings and notes listed on the page as text; more are shown as a table (top rows, full export).
NOTES_MAX_LINES = 40


def fence(text: str, lang: str = "") -> str:
    """A fenced code block that ``text`` cannot close early.

    Examples
    --------
    >>> print(fence("a ``` b", "bash"))
    ````bash
    a ``` b
    ````
    """
    runs = [len(m) for m in re.findall(r"`+", text)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{ticks}{lang}\n{body}{ticks}"


def _day(ts: Any) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _item_markdown(plan: RemediationPlan, it: dict[str, Any], level: int = 3) -> list[str]:
    e = md_escape
    what = it["subject"] or it["action"].replace("_", " ")
    move = f" {e(it['current'])} → {e(it['target'])}" if it["current"] and it["target"] else ""
    out = [f"{'#' * level} {e(it['id'])}: {e(what)}{move}", ""]
    esc = f"{e(it['escalation'])} {e(it['escalation_name'])}".strip()
    contact = f" ({e(it['escalation_contact'])})" if it["escalation_contact"] else ""
    out.append(
        f"Severity **{e(it['severity'])}** · escalation **{esc}**{contact} · automation "
        f"**{e(it['automation'])}** · due **{_day(it['due'])}** · wave {int(it['wave'])}, "
        f"{e(it['batch'])} on {_day(it['scheduled'])} · priority {it['priority']:g}"
    )
    out.append("")
    closes = f"Closes {', '.join(e(i) for i in it['issue_ids'])}. " if len(it["issue_ids"]) else ""
    left = tuple(it.get("leaves_open") or ())
    if left:
        then = f" (follow-up {e(it['follow_up'])})" if it.get("follow_up") else ""
        closes += f"Leaves {', '.join(e(i) for i in left)} open{then}. "
    out.append(f"{closes}{e(it['automation_reason'])}")
    out.append("")
    for phase in plan.steps.get(it["id"], ()):
        out.append(f"**{e(phase['phase'])}**")
        out.append("")
        out.extend(f"- [ ] {e(line)}" for line in phase["lines"])
        for block in phase["blocks"]:
            out.append("")
            out.append(f"{e(block['title'])}:")
            out.append("")
            out.append(fence(block["text"], block["lang"]))
        out.append("")
    rb = plan.rollback.get(it["id"])
    if rb:
        out.append(f"**{e(rb['title'])}**")
        out.append("")
        out.extend(f"- [ ] {e(line)}" for line in rb["lines"])
        out.append("")
        out.append(fence("\n".join(rb["commands"]) + "\n", "bash"))
        out.append("")
    return out


def service_markdown(plan: RemediationPlan, service: str, level: int = 2) -> str:
    """The checklist of one service: a heading of ``level`` (``##``), one sub-heading per item.

    Returns ``""`` when the plan has no item for the service. Use ``level=3`` to nest the card under a
    notebook section.
    """
    if not 1 <= level <= 5:
        raise ValueError(f"level must be 1 to 5, not {level}")
    items = plan.items[plan.items["service"] == service]
    if not len(items):
        return ""
    e = md_escape
    first = items.iloc[0]
    team = f" (team {e(first['team'])})" if first["team"] else ""
    lines = [f"{'#' * level} {e(service)}{team}", ""]
    if first["team_contact"]:
        lines += [f"Team contact: {e(first['team_contact'])}", ""]
    lines.append(f"{len(items)} item(s); check each box as it is done.")
    lines.append("")
    for it in items.to_dict("records"):
        lines.extend(_item_markdown(plan, it, level + 1))
    return "\n".join(lines).rstrip("\n") + "\n"


def plan_markdown(plan: RemediationPlan, service: str | None = None) -> str:
    """The plan as GitHub Markdown: a title, the priority formula, then one checklist per service.

    Parameters
    ----------
    plan : RemediationPlan
    service : str, optional
        Only this service's checklist (still with the title).
    """
    e = md_escape
    s = plan.summary
    lines = [
        f"# Remediation plan as of {plan.as_of.strftime('%Y-%m-%d')}",
        "",
        f"{s['items']} item(s) for {s['services']} service(s) in {s['waves']} wave(s); "
        f"{s['by_automation']['automated']} automated, {s['by_automation']['approval']} approval, "
        f"{s['by_automation']['manual']} manual; {s['security_items']} security fix(es).",
        "",
        f"Priority: {e(plan.policy.priority_formula())}.",
        "",
    ]
    if plan.warnings:
        lines += [f"> Warning: {e(w)}" for w in plan.warnings] + [""]
    services = [service] if service else list(dict.fromkeys(sorted(plan.items["service"])))
    for svc in services:
        block = service_markdown(plan, svc)
        if block:
            lines.append(block)
    if not len(plan.items):
        lines.append("No actionable drift issue: nothing to plan.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _due_lines(fig: Any, plan: RemediationPlan, annotate: bool = True) -> None:
    """A dotted line at the as-of day and a dashed one at each planned severity's due date."""
    fig.add_vline(x=_day(plan.as_of), line_dash="dot", line_color="grey")
    for sev, days in plan.policy.response_days.items():
        if (plan.items["severity"] == sev).any():
            due = plan.as_of.normalize() + pd.Timedelta(days=int(days))
            label = {"annotation_text": f"{sev} due"} if annotate else {}
            fig.add_vline(x=_day(due), line_dash="dash", line_color="#555", **label)


def _schedule_by_week(plan: RemediationPlan, n_rows: int) -> Any:
    """The fleet-size Gantt: items scheduled by the end of each week (Monday), cumulative, stacked by
    severity, security fixes hatched; the hover gives the week's own items, services and waves."""
    import plotly.graph_objects as go

    items = plan.items
    day = pd.to_datetime(items["scheduled"], utc=True).dt.normalize()
    frame = pd.DataFrame(
        {
            "week": (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).map(_day),  # the Monday of the week
            "severity": items["severity"].astype(str),
            "security": items["security"].astype(bool),
            "wave": items["wave"].astype(int),
            "service": items["service"],
        }
    )
    weeks = sorted(frame["week"].unique())
    fig = go.Figure()
    for cls in SEVERITIES:
        for security in (True, False):
            sub = frame[(frame["severity"] == cls) & (frame["security"] == security)]
            if not len(sub):
                continue
            g = sub.groupby("week", sort=True).agg(
                items=("wave", "size"), services=("service", "nunique"), first=("wave", "min"), last=("wave", "max")
            )
            g = g.reindex(weeks)
            done = g["items"].fillna(0).astype(int).cumsum()
            fig.add_trace(
                go.Scatter(
                    name=f"{cls} (security)" if security else cls,
                    x=weeks,
                    y=done.tolist(),
                    mode="lines",
                    stackgroup="items",
                    line={"color": SEVERITY_COLORS[cls], "width": 0.5, "shape": "hv"},
                    fillcolor=SEVERITY_COLORS[cls],
                    fillpattern={"shape": "/" if security else ""},
                    text=[
                        f"that week {int(n)} items on {int(k)} services, waves {int(w0)}–{int(w1)}" if n > 0 else ""
                        for n, k, w0, w1 in zip(
                            g["items"].fillna(0),
                            g["services"].fillna(0),
                            g["first"].fillna(0),
                            g["last"].fillna(0),
                            strict=True,
                        )
                    ],
                    hovertemplate="%{y:,} by the week of %{x|%Y-%m-%d}; %{text}<extra>%{fullData.name}</extra>",
                )
            )
    _due_lines(fig, plan, annotate=False)
    fig.update_layout(
        title=f"Items scheduled by each week, cumulative: {len(items):,} items in {items['wave'].nunique():,} waves "
        f"({n_rows:,} wave and service rows)",
        xaxis={"type": "date", "title": "week scheduled (dashed: due dates; hatched: security fixes)"},
        yaxis={"title": "items scheduled (cumulative)"},
        legend_title_text="severity",
        hovermode="x unified",
    )
    return fig


def plan_gantt(plan: RemediationPlan) -> Any:
    """A plotly Gantt chart: one bar per item on its scheduled day, by wave and service.

    Bars are coloured by severity (the colours of every drift figure); security fixes are hatched;
    dashed lines mark the as-of day and each severity's due date. A plan of more than
    :data:`GANTT_MAX_ROWS` wave and service rows (a fleet) shows the items scheduled by each week instead,
    cumulative and stacked by severity, with each week's own items, services and waves in the hover.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    items = plan.items
    if not len(items):
        fig.update_layout(title="Remediation waves (no item)")
        return fig
    rows = items.sort_values(["wave", "scheduled", "service", "id"], kind="mergesort")
    labels = [f"W{int(w)} · {s}" for w, s in zip(rows["wave"], rows["service"], strict=True)]
    order = list(dict.fromkeys(labels))
    if len(order) > GANTT_MAX_ROWS:
        return _schedule_by_week(plan, len(order))
    for cls in SEVERITIES:
        sel = rows["severity"] == cls
        if not sel.any():
            continue
        sub = rows[sel]
        fig.add_trace(
            go.Bar(
                name=cls,
                orientation="h",
                y=[lab for lab, k in zip(labels, sel, strict=True) if k],
                x=[86_400_000] * len(sub),
                base=[_day(d) for d in sub["scheduled"]],
                marker={
                    "color": SEVERITY_COLORS[cls],
                    "pattern": {"shape": ["/" if x else "" for x in sub["security"]]},
                },
                customdata=list(
                    zip(
                        sub["id"],
                        sub["subject"].where(sub["subject"] != "", sub["action"]),
                        sub["target"],
                        [_day(d) for d in sub["due"]],
                        sub["batch"],
                        sub["automation"],
                        strict=True,
                    )
                ),
                hovertemplate="%{y}<br>%{customdata[0]} %{customdata[1]} → %{customdata[2]}"
                "<br>%{customdata[4]} on %{base|%Y-%m-%d}, due %{customdata[3]}, %{customdata[5]}"
                "<extra>%{fullData.name}</extra>",
            )
        )
    _due_lines(fig, plan)
    fig.update_layout(
        title=f"Remediation waves from {_day(plan.as_of)} (hatched: security fixes)",
        barmode="overlay",
        xaxis={"type": "date", "title": "scheduled day"},
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "title": ""},
        height=max(320, 22 * len(order) + 140),
        legend_title_text="severity",
    )
    return fig


def burndown_figure(plan: RemediationPlan) -> Any:
    """Projected drift backlog per week (stacked by severity) and expected quality (right axis)."""
    import plotly.graph_objects as go

    b = plan.burndown
    x = [_day(d) for d in b["week_end"]]
    q = b["expected_quality"].dropna()
    q_range = [max(0.0, float(q.min()) - 10.0), 100.0] if len(q) else [0.0, 100.0]
    fig = go.Figure()
    for sev in SEVERITIES:
        colour = SEVERITY_COLORS[sev]
        fig.add_trace(go.Bar(name=f"{sev} open", x=x, y=b[sev].tolist(), marker_color=colour))
    if b["expected_quality"].notna().any():
        fig.add_trace(
            go.Scatter(
                name="expected quality (mean)",
                x=x,
                y=b["expected_quality"].tolist(),
                yaxis="y2",
                mode="lines+markers",
                line={"color": "black"},
            )
        )
    fig.update_layout(
        title="Projected drift backlog and expected quality score as the plan executes",
        barmode="stack",
        xaxis={"title": "week ending"},
        yaxis={"title": "open drift issues"},
        yaxis2={"title": "implemented quality score", "overlaying": "y", "side": "right", "range": q_range},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def notes_table(plan: RemediationPlan) -> pd.DataFrame:
    """The plan's warnings then notes as a table: ``kind`` (warning or note) and ``text``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> notes_table(SimpleNamespace(warnings=("w1",), notes=("n1",))).values.tolist()
    [['warning', 'w1'], ['note', 'n1']]
    """
    rows = [("warning", str(w)) for w in plan.warnings] + [("note", str(n)) for n in plan.notes]
    return pd.DataFrame(rows, columns=["kind", "text"])


def show_plan_notes(plan: RemediationPlan) -> None:
    """Show the plan's warnings and notes: a list, or at fleet size a count and a table.

    Up to :data:`NOTES_MAX_LINES` lines are listed as Markdown (values escaped). More (thousands of
    items scheduled after their due date at 10,000 services) are counted, the notes listed, and every
    line shown in a table whose export holds them all.
    """
    from .display import show_markdown, show_table

    lines = notes_table(plan)
    if len(lines) <= NOTES_MAX_LINES:
        show_markdown("\n".join(f"- {md_escape(t)}" for t in lines["text"]) or "No warnings.")
        return
    late = int(lines["text"].str.contains(" after its due date ", regex=False).sum())
    cycles = int(lines["text"].str.contains(": cycle ", regex=False).sum())
    notes = [f"- {md_escape(t)}" for t in lines.loc[lines["kind"] == "note", "text"]]
    show_markdown(
        "\n".join(
            [
                f"{len(lines) - len(notes):,} warnings: {late:,} items scheduled after their due date, "
                f"{cycles:,} dependency cycles deploying together, {len(lines) - len(notes) - late - cycles:,} "
                "others. All are in the table below.",
                "",
                *notes,
            ]
        )
    )
    show_table(lines, "warnings", caption="Warnings and notes")
