"""The plan's counts (:func:`plan_summary`): items, services, issues planned, classes, backlog and when it ends."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.severity import SEVERITIES, severity_rank
from .classify import AUTOMATION_CLASSES
from .fmt import iso_day

__all__ = ["plan_summary"]


def plan_summary(
    items: pd.DataFrame,
    counted: pd.DataFrame,
    issues: pd.DataFrame,
    scope: set[str],
    floor: int,
    burndown: pd.DataFrame,
    waves: pd.DataFrame,
) -> dict[str, Any]:
    """The plan's counts: items, services, issues planned, exempt and below the floor, per class, backlog.

    Parameters
    ----------
    items : DataFrame
        The shown ``PLAN_ITEMS``.
    counted, issues : DataFrame
        The counted (not exempt) issues and every issue (``exempt`` boolean).
    scope : set of str
        The services shown.
    floor : int
        Rank of the lowest severity planned.
    burndown, waves : DataFrame
        ``PLAN_BURNDOWN`` and ``PLAN_WAVES`` of the shown items.

    Returns
    -------
    dict
        JSON-ready.
    """
    in_scope = counted[counted[SERVICE].isin(list(scope))]
    exempt = issues[issues["exempt"] & issues[SERVICE].isin(list(scope))]
    below = in_scope[in_scope[SEVERITY].map(lambda s: severity_rank(s) > floor)]
    first = burndown.iloc[0] if len(burndown) else None
    last = burndown.iloc[-1] if len(burndown) else None
    return {
        "items": len(items),
        "services": len({s for it in items.itertuples() for s in (it.services or (it.service,))}),
        "issues_planned": int(sum(len(x) for x in items["issue_ids"])) if len(items) else 0,
        "issues_exempt": len(exempt),
        "issues_below_floor": len(below),
        "by_severity": {s: int((items[SEVERITY] == s).sum()) for s in SEVERITIES},
        "by_escalation": _by_escalation(items),
        "by_automation": {a: int((items["automation"] == a).sum()) for a in AUTOMATION_CLASSES},
        "security_items": int(items["security"].sum()) if len(items) else 0,
        "late_items": int((~items["on_time"]).sum()) if len(items) else 0,
        "waves": len(waves),
        "plan_end": iso_day(items["scheduled"].max()) if len(items) else None,
        "backlog_start": int(first["backlog"]) if first is not None else len(in_scope),
        "backlog_end": int(last["backlog"]) if last is not None else len(in_scope),
        "backlog_end_date": _backlog_end_date(burndown),
        "expected_quality_start": _score(first["expected_quality"]) if first is not None else None,
        "expected_quality_end": _score(last["expected_quality"]) if last is not None else None,
    }


def _backlog_end_date(burndown: pd.DataFrame) -> str | None:
    """The first burn-down week end at which the backlog reaches its final value (``None`` without weeks)."""
    if not len(burndown):
        return None
    reached = burndown[burndown["backlog"] == burndown["backlog"].iloc[-1]]
    return iso_day(reached["week_end"].iloc[0])


def _by_escalation(items: pd.DataFrame) -> dict[str, dict[str, Any]]:
    by_level = {}
    for lvl in ("L1", "L2", "L3"):
        sel = items[items["escalation"] == lvl]
        by_level[lvl] = {"items": len(sel), "teams": sorted({t for t in sel[TEAM] if t})}
    return by_level


def _score(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)
