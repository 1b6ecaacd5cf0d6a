"""The remediation plan grouped by owner: team, then service, in collapsible ``<details>``.

One summary line per team and per service (items, worst severity as a coloured badge, first due date);
a service opens onto its items (each with an anchor ``plan-item-<id>``) and its step cards, rendered
from the Markdown checklist of :func:`meta254lib.views.plan.service_markdown`. Teams and services are
ordered by worst severity (high > medium > low), then by the first due date, then by name. Colours
mean severity only (:data:`meta254lib.views.drift.SEVERITY_COLORS`).

A plan of at most :data:`MAX_SERVICES` services shows every service. A fleet's plan (5,665 services at
10,000) shows each team's first services in that order (:func:`shown_services`), the services with
step cards and those the caller keeps, and one line per team counting the rest, which the plan table
and its export list in full.

Every value from the inputs is HTML-escaped (the step cards are built from Markdown whose values are
escaped by :func:`~meta254lib.views.escape.md_escape`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..core.severity import SEVERITIES, severity_rank
from .drift import SEVERITY_COLORS
from .escape import html_escape, table_slug
from .html_table import sortable_script

__all__ = [
    "MAX_SERVICES",
    "MIN_SERVICES_PER_TEAM",
    "plan_by_owner_html",
    "severity_badge",
    "show_plan_by_owner",
    "shown_services",
]

#: A plan of at most this many services shows them all; a larger one shows about this many in all.
MAX_SERVICES = 200
#: Services a team shows at least when its plan is cut (its first, by worst severity and due date).
MIN_SERVICES_PER_TEAM = 5
#: The most urgent items (by severity, then priority) whose services are always shown.
URGENT_ITEMS = 50

_CSS = (
    ".m254-plan details{margin:2px 0}"
    ".m254-plan summary{cursor:pointer;padding:3px 4px;line-height:1.5}"
    ".m254-plan details.m254-team>summary{font-size:15px;font-weight:600;background:#f6f8fa;border-radius:4px}"
    ".m254-plan details.m254-svc{margin-left:1.4em}"
    ".m254-plan details.m254-svc>summary{font-size:14px}"
    ".m254-plan .m254-name{display:inline-block;min-width:13em}"
    ".m254-plan .m254-svc-body{margin:0.3em 0 0.8em 1.6em;padding-left:0.8em;border-left:3px solid #d0d7de}"
    ".m254-plan .m254-meta{color:#57606a;font-size:13px}"
    ".m254-plan p.m254-more-services{margin:0.3em 0 0.8em 2.9em}"
    ".m254-sev{display:inline-block;min-width:4.2em;text-align:center;color:#fff;border-radius:3px;"
    "font-size:12px;font-weight:600;padding:0 5px;margin:0 0.4em}"
    ".m254-plan table{border-collapse:collapse;font-size:13px;margin:0.3em 0}"
    ".m254-plan th,.m254-plan td{padding:2px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}"
    ".m254-plan .m254-cards{font-size:13px;max-width:70em}"
    ".m254-plan .m254-cards pre{overflow:auto;background:#f6f8fa;padding:6px;font-size:12px}"
)


def severity_badge(severity: Any) -> str:
    """A coloured badge for a severity (the colour of every drift figure).

    Examples
    --------
    >>> severity_badge("high")
    '<span class="m254-sev" data-severity="high" style="background:#c0392b">high</span>'
    """
    sev = str(severity)
    color = SEVERITY_COLORS.get(sev, "#6e7781")
    text = html_escape(sev)
    return f'<span class="m254-sev" data-severity="{text}" style="background:{color}">{text}</span>'


def _day(ts: Any) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _worst(items: pd.DataFrame) -> str:
    return min(items["severity"].astype(str), key=severity_rank)


def _order(items: pd.DataFrame, key: str) -> list[str]:
    """Values of ``key`` by worst severity, first due date, then name.

    Computed column-wise (a group-by of the two columns, not of every item column): at 10,000 services
    iterating the groups of the whole item frame took 9.5 s of the plan page.

    Examples
    --------
    >>> items = pd.DataFrame({"service": ["b", "a", "c", "b"], "severity": ["low", "medium", "medium", "high"],
    ...                       "due": pd.to_datetime(["2025-10-20", "2025-10-13", "2025-10-06", "2025-11-03"])})
    >>> _order(items, "service")
    ['b', 'c', 'a']
    """
    sev = items["severity"].astype(str)
    ranks = sev.map({v: severity_rank(v) for v in sev.unique()})
    facts = pd.DataFrame({"k": items[key], "r": ranks, "d": items["due"]}).groupby("k", sort=False)
    worst = facts.agg(r=("r", "min"), d=("d", "min"))
    rows = zip(worst["r"].tolist(), worst["d"].tolist(), (str(k) for k in worst.index), strict=True)
    return [name for _, _, name in sorted(rows)]


def shown_services(items: pd.DataFrame, keep: Iterable[str] = ()) -> set[str] | None:
    """The services whose items the page shows, or None for all of them.

    A plan of at most :data:`MAX_SERVICES` services shows all. A larger one shows each team's first
    ``max(MIN_SERVICES_PER_TEAM, MAX_SERVICES // teams)`` services (by worst severity, first due date,
    name) and every service in ``keep``.

    Examples
    --------
    >>> items = pd.DataFrame({"team": "t", "service": [f"s{i:03}" for i in range(250)], "severity": "low",
    ...                       "due": pd.Timestamp("2025-10-20")})
    >>> shown = shown_services(items, keep=["s249"])
    >>> len(shown), "s000" in shown, "s249" in shown, shown_services(items.head(200)) is None
    (201, True, True, True)
    """
    if items["service"].nunique() <= MAX_SERVICES:
        return None
    per_team = max(MIN_SERVICES_PER_TEAM, MAX_SERVICES // max(1, items["team"].nunique()))
    shown = {str(s) for s in keep}
    for _, t_items in items.groupby("team", sort=False):
        shown.update(_order(t_items, "service")[:per_team])
    return shown


def _more_line(items: pd.DataFrame, services: list[str]) -> str:
    """The line under a cut team: how many services and items it has beyond those shown."""
    rest = items[items["service"].isin(services)]
    n_svc = len(services)
    return (
        f'<p class="m254-meta m254-more-services">… and {n_svc:,} more service{"s" if n_svc != 1 else ""} '
        f"with {_count_text(rest)}: the plan table below lists every item, and its export holds all rows.</p>"
    )


def _count_text(items: pd.DataFrame) -> str:
    n = len(items)
    counts = ", ".join(
        f"{int((items['severity'] == s).sum()):,} {s}" for s in SEVERITIES if (items["severity"] == s).any()
    )
    return f"{n:,} item{'s' if n != 1 else ''} ({counts})"


def _summary(items: pd.DataFrame) -> str:
    return (
        f'{severity_badge(_worst(items))}<span class="m254-meta">{_count_text(items)} · '
        f"first due {_day(items['due'].min())}</span>"
    )


def _items_table(items: pd.DataFrame, linked: bool) -> str:
    head = "".join(
        f"<th{' data-type=' + chr(34) + 'rank' + chr(34) if h == 'severity' else ''}>{h}</th>"
        for h in ("item", "severity", "what", "change", "automation", "due", "scheduled")
    )
    rows = []
    for it in items.to_dict("records"):
        what = it["subject"] or str(it["action"]).replace("_", " ")
        change = f"{it['current']} → {it['target']}" if it["current"] and it["target"] else ""
        slug = html_escape(table_slug(it["id"]))
        link = f'<a href="#plan-card-{slug}">{html_escape(it["id"])}</a>' if linked else html_escape(it["id"])
        rows.append(
            f'<tr id="plan-item-{slug}"><td>{link}</td>'
            f'<td data-v="{severity_rank(it["severity"])}">{severity_badge(it["severity"])}</td>'
            f"<td>{html_escape(what)}</td><td>{html_escape(change)}</td>"
            f"<td>{html_escape(it['automation'])}</td><td>{_day(it['due'])}</td><td>{_day(it['scheduled'])}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cards_html(plan: Any, service: str) -> str:
    """The service's step cards as HTML (values in the Markdown are escaped by ``md_escape``)."""
    from .plan import service_markdown

    text = service_markdown(plan, service, level=4)
    lines = text.splitlines()
    body = "\n".join(lines[1:])  # the heading repeats the summary line
    try:
        import mistune
    except ImportError:  # pragma: no cover - mistune ships with nbconvert
        return f"<pre>{html_escape(body)}</pre>"
    html = str(mistune.create_markdown(escape=False, plugins=["task_lists", "table"])(body))
    for item_id in plan.items.loc[plan.items["service"] == service, "id"]:
        # the item's heading (``h5``) becomes the anchor its row in the items table links to
        html = html.replace(f"<h5>{item_id}:", f'<h5 id="plan-card-{html_escape(table_slug(item_id))}">{item_id}:', 1)
    return html


def _urgent_services(items: pd.DataFrame) -> list[str]:
    """Services of the :data:`URGENT_ITEMS` most urgent items (severity, then priority: the weekly
    page's fix-first order, whose rows link to their items here)."""
    ranked = items.assign(_r=items["severity"].map(severity_rank), _p=-items["priority"].astype(float))
    return [str(s) for s in ranked.sort_values(["_r", "_p", "id"], kind="mergesort").head(URGENT_ITEMS)["service"]]


def _service_html(plan: Any, service: str, s_items: pd.DataFrame, with_cards: set[str], svc_open: str) -> str:
    card = (
        f'<div class="m254-cards">{_cards_html(plan, service)}</div>'
        if service in with_cards
        else f'<p class="m254-meta">Step cards: <code>meta254 plan --service {html_escape(service)} '
        "--format markdown</code></p>"
    )
    return (
        f'<details class="m254-svc" id="plan-svc-{html_escape(table_slug(service))}"{svc_open}>'
        f'<summary><span class="m254-name">{html_escape(service)}</span>{_summary(s_items)}</summary>'
        f'<div class="m254-svc-body">{_items_table(s_items, service in with_cards)}{card}</div></details>'
    )


def plan_by_owner_html(
    plan: Any, open_services: bool = False, cards: bool | Iterable[str] = True, keep: Iterable[str] = ()
) -> str:
    """The plan's items grouped by team, then service, in collapsible ``<details>``.

    Parameters
    ----------
    plan : RemediationPlan
    open_services : bool, default False
        Open every service's details (useful when the page shows one team or service).
    cards : bool or iterable of str, default True
        Include the step cards of every service (True), of none (False) or of the services named. A
        service without its cards in the page names the command that writes them.
    keep : iterable of str, optional
        Services shown even when a fleet-size plan is cut (:func:`shown_services`), e.g. those of the
        plan table's first rows, whose item ids link here. Services with step cards and those of the
        most urgent items are always shown.

    Returns
    -------
    str
        One HTML fragment; teams are open, services collapsed (unless ``open_services``).
    """
    items = plan.items
    if not len(items):
        return '<div class="m254-plan"><p>No actionable drift issue: nothing to plan.</p></div>'
    with_cards = set(items["service"]) if cards is True else set() if cards is False else set(cards)
    shown = shown_services(items, [*keep, *with_cards, *_urgent_services(items)])
    parts = ['<div class="m254-plan" id="m254-plan-by-owner">']
    svc_open = " open" if open_services else ""
    for team in _order(items, "team"):
        t_items = items[items["team"] == team]
        n_svc = t_items["service"].nunique()
        contact = str(t_items["team_contact"].iloc[0] or "")
        parts.append(
            f'<details class="m254-team" open><summary>{html_escape(team or "(no team)")}'
            f"{' · ' + html_escape(contact) if contact else ''} {_summary(t_items)}"
            f'<span class="m254-meta"> · {n_svc:,} service{"s" if n_svc != 1 else ""}</span></summary>'
        )
        rows_of = t_items.groupby("service", sort=False).indices  # row positions: only shown services are cut out
        hidden = []
        for service in _order(t_items, "service"):
            if shown is None or service in shown:
                parts.append(_service_html(plan, service, t_items.iloc[rows_of[service]], with_cards, svc_open))
            else:
                hidden.append(service)
        if hidden:
            parts.append(_more_line(t_items, hidden))
        parts.append("</details>")
    parts.append(f"</div><style>{_CSS}</style>{sortable_script('m254-plan-by-owner')}")
    return "".join(parts)


def show_plan_by_owner(
    plan: Any, open_services: bool = False, cards: bool | Iterable[str] = True, keep: Iterable[str] = ()
) -> None:
    """Display :func:`plan_by_owner_html` (a plain-text outline outside a kernel)."""
    from .display import _publish

    items = plan.items
    lines = []
    for team in _order(items, "team") if len(items) else []:
        names = _order(items[items["team"] == team], "service")
        more = f" and {len(names) - 10:,} more" if len(names) > 10 else ""
        lines.append(f"{team}: {int((items['team'] == team).sum())} item(s) on {', '.join(names[:10])}{more}")
    html = plan_by_owner_html(plan, open_services, cards, keep)
    _publish({"text/plain": "\n".join(lines) or "No item.", "text/html": html}, {"meta254": {"plan_by_owner": True}})
