"""The fix-first rows: one row per service with plan items, ranked, with what the pages say about it.

:func:`fix_first` takes a remediation plan's items (:data:`~meta254lib.core.schema_outputs.PLAN_ITEMS`; this
layer sits below the planner, so the caller passes them) and the analysis state, and gives one row per
service (:data:`FIX_FIRST_COLUMNS`). Each figure is read from the source the pages show it from:

- **top action, severity, due, escalation, priority**: the service's top plan item, items ranked severity
  high > medium > low, then priority (highest first), then id; services are ranked by their top item;
- **open**: the counted (not exempt) open drift issues of the service, :attr:`AnalysisState.drift_counts`
  (the backlog by service; the drift overview's ``drift_issues`` table less its exempt rows);
- **overdue**: of those, the ones past their response-time SLO: the drift overview's ``slo_status`` table
  (:func:`slo_rows`, shared with the index's "SLO overdue" count);
- **quality**: the implemented score of :meth:`AnalysisState.quality_scores` (the quality page's current
  scores); **quality trend** and slope: the quality trends page's ``service_trends`` (:func:`trend_report`);
- **blast radius**: the services a change to the service impacts, and the weighted blast radius, from
  :meth:`AnalysisState.impact` of ``service:<name>`` (the numbers ``meta254 impact --service`` prints).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.schema_outputs import FIX_FIRST
from ..core.severity import SEVERITIES, SEVERITY_RANK
from ..core.tableschema import frame_from_records
from ..drift.history import filter_history, history_with_current
from ..drift.kpis import slo_status
from ..quality.trends import TrendReport, workspace_trends
from ..workspace.scope_inventory import team_services
from .analysis import AnalysisState

__all__ = ["FIX_FIRST_COLUMNS", "fix_first", "rank_items", "slo_rows", "top_action", "trend_report"]

#: Columns of :func:`fix_first`.
FIX_FIRST_COLUMNS: tuple[str, ...] = FIX_FIRST.columns

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached(state: AnalysisState, key: tuple, build: Any) -> Any:
    """``build()`` once per (state, key)."""
    per_state = _CACHE.setdefault(state, {})
    if key not in per_state:
        per_state[key] = build()
    return per_state[key]


def slo_rows(state: AnalysisState, team: str | None = None) -> pd.DataFrame:
    """The drift overview's ``slo_status`` table: every open issue against its SLO (the team's services only).

    :func:`~meta254lib.drift.kpis.slo_status` on the drift history with the state's run appended, as the
    drift overview page computes it; kept per state and team.

    Examples
    --------
    >>> import meta254lib as m
    >>> rows = slo_rows(m.analysis_state(m.open_workspace("data/sample")))  # doctest: +SKIP
    >>> len(rows), int(rows["within_slo"].eq(False).sum())  # doctest: +SKIP
    (75, 25)
    """

    def build() -> pd.DataFrame:
        ws, result = state.ws, state.drift
        recorded = ws.drift_history if ws.has_input("drift_history") else None
        services = team_services(ws, team)
        history = filter_history(history_with_current(recorded, result), services=services, severity_floor="low")
        return slo_status(history, result.as_of, policy=result.policy)

    return _cached(state, ("slo", team), build)


def trend_report(state: AnalysisState, team: str | None = None) -> TrendReport:
    """The quality trends page's report: :func:`~meta254lib.quality.trends.workspace_trends` to the quality as-of.

    Kept per state and team.

    Examples
    --------
    >>> import meta254lib as m
    >>> trend_report(m.analysis_state(m.open_workspace("data/sample"))).services["direction"].iloc[0]  # doctest: +SKIP
    'declining'
    """
    return _cached(state, ("trends", team), lambda: workspace_trends(state.ws, as_of=state.quality_as_of, team=team))


def _text(value: Any) -> str:
    """``value`` as text, ``""`` when missing."""
    if value is None or (not isinstance(value, (str, tuple, list)) and pd.isna(value)):
        return ""
    return str(value)


def top_action(item: Mapping[str, Any]) -> str:
    """A plan item's action in words: the action, its subject and current → target.

    Examples
    --------
    >>> top_action({"action": "security_fix", "subject": "redis", "current": "7.0", "target": "7.2"})
    'security fix redis 7.0 → 7.2'
    >>> top_action({"action": "refresh_service", "subject": "", "current": None, "target": None})
    'refresh service'
    """
    parts = [_text(item.get("action")).replace("_", " ")]
    if _text(item.get("subject")):
        parts.append(_text(item["subject"]))
    current, target = _text(item.get("current")), _text(item.get("target"))
    if current and target:
        parts.append(f"{current} → {target}")
    return " ".join(p for p in parts if p)


def rank_items(items: pd.DataFrame, team: str | None = None) -> pd.DataFrame:
    """Plan items ranked severity high > medium > low, then priority (highest first), then id.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["a", "b", "c"], "severity": ["low", "high", "high"],
    ...                       "priority": [9.0, 1.0, 2.0], "team": ["x", "x", "y"]})
    >>> rank_items(items)["id"].tolist(), rank_items(items, "x")["id"].tolist()
    (['c', 'b', 'a'], ['b', 'a'])
    """
    if team is not None:
        items = items[items[TEAM].astype(str) == team]
    rank = items[SEVERITY].map(SEVERITY_RANK).fillna(len(SEVERITIES))
    ordered = items.assign(_r=rank, _p=-pd.to_numeric(items["priority"], errors="coerce").fillna(0.0))
    ordered = ordered.sort_values(["_r", "_p", "id"], kind="mergesort")
    return ordered.drop(columns=["_r", "_p"]).reset_index(drop=True)


def fix_first(
    state: AnalysisState, items: pd.DataFrame, *, team: str | None = None, limit: int | None = None
) -> pd.DataFrame:
    """One row per service with plan items, ranked by its top item (:data:`FIX_FIRST_COLUMNS`).

    Parameters
    ----------
    state : AnalysisState
        The analysis state the plan was made at (its drift, quality, trends and impact are read).
    items : DataFrame
        The plan's items (``plan_workspace(ws, state.as_of).items``).
    team : str, optional
        Only the services of the items this team owns.
    limit : int, optional
        At most this many rows.

    Returns
    -------
    DataFrame
        See the module docstring for the source of each column.

    Examples
    --------
    >>> import meta254lib as m
    >>> ws = m.open_workspace("data/sample"); st = m.analysis_state(ws)  # doctest: +SKIP
    >>> rows = fix_first(st, m.plan_workspace(ws, st.as_of).items, limit=1)  # doctest: +SKIP
    >>> rows[["service", "severity", "open", "overdue", "blast_radius"]].values.tolist()  # doctest: +SKIP
    [['reference-data', 'high', 2, 0, 37]]
    """
    ranked = rank_items(items, team)
    per_service = ranked[SERVICE].astype(str).value_counts()
    top = ranked.drop_duplicates(SERVICE, keep="first")
    if limit is not None:
        top = top.head(limit)
    if not len(top):
        return frame_from_records(FIX_FIRST, [])
    slo = slo_rows(state, team)
    overdue = slo.loc[slo["within_slo"].eq(False), SERVICE].astype(str).value_counts()
    open_counts = state.drift_counts
    scores = state.quality_scores().set_index(SERVICE)["score"]
    trends = trend_report(state, team).services.set_index(SERVICE)
    records = []
    for k, item in enumerate(top.to_dict("records")):
        service = str(item[SERVICE])
        impact = state.impact([f"service:{service}"]).summary
        records.append(
            {
                "rank": k + 1,
                SERVICE: service,
                TEAM: _text(item.get(TEAM)),
                "contact": _text(item.get("team_contact")),
                "escalation": " ".join(t for t in (_text(item.get(c)) for c in ("escalation", "escalation_name")) if t),
                SEVERITY: _text(item.get(SEVERITY)),
                "top_action": top_action(item),
                "item_id": _text(item.get("id")),
                "items": int(per_service.get(service, 0)),
                "due": item.get("due"),
                "priority": float(item["priority"]),
                "open": int(open_counts.get(service, 0)),
                "overdue": int(overdue.get(service, 0)),
                "quality": scores.get(service, pd.NA),
                "quality_trend": _text(trends["direction"].get(service)) if "direction" in trends else "",
                "quality_slope": trends["slope_per_week"].get(service, float("nan"))
                if "slope_per_week" in trends
                else float("nan"),
                "blast_radius": int(impact.get("blast_radius", 0)),
                "weighted_blast_radius": float(impact.get("weighted_blast_radius", 0.0)),
            }
        )
    return frame_from_records(FIX_FIRST, records)
