"""The change against last week: backlog, new and fixed issues, new high-severity issues, quality mean.

:func:`weekly_change` compares the analysis state at the as-of with the week before it:

- **backlog now**: the state's :attr:`~meta254lib.state.analysis.AnalysisState.backlog` (meta254's run);
- **backlog a week before**: the open issues of last week's drift report, the newest report of the drift
  history at or before ``as_of - 7 days`` (:func:`~meta254lib.drift.flow.backlog`);
- **new and fixed this week**, by issue id, from the issue spells of the drift history with the current
  run appended (:func:`~meta254lib.drift.history.issue_spells`): a spell that started in the week is new,
  one resolved in the week is fixed. A spell that started or ended only because the report came from
  another detector (the platform's report, then meta254's run) is *detector churn*, counted apart;
  so ``before + new + churn_in - fixed - churn_out = now`` holds exactly;
- **worsened**, by issue id: an issue counted (not exempt) in last week's report and in the current run
  whose severity rank is higher now than in last week's report (``low → medium``, ``medium → high``,
  ``low → high``), the most severe row of an id in a report standing for it. It is *worsened* when the
  reports of the week (last week's, those after it, then the current run) show a rise between two
  consecutive reports of the same detector; otherwise the rise came only with a report from another
  detector, and it is *detector churn*, counted apart (``worsened_churn``). So
  ``worsened + worsened_churn`` is exactly the number of ids open in both whose severity rose;
- **quality**: the platform mean score of each state's bound snapshot
  (``analysis_state(ws, as_of)`` and ``analysis_state(ws, as_of - 7 days)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.severity import SEVERITIES, SEVERITY_RANK
from ..drift.flow import backlog
from ..drift.history import history_with_current, issue_spells
from .analysis import AnalysisState, analysis_state

__all__ = ["NEW_ISSUE_COLUMNS", "WEEK", "WORSENED_COLUMNS", "WeeklyChange", "weekly_change"]

#: The comparison window.
WEEK = pd.Timedelta(days=7)
#: Columns of :attr:`WeeklyChange.new_issues`.
NEW_ISSUE_COLUMNS = ("id", SERVICE, TEAM, "type", SEVERITY, "subject", "first_seen", "churn")
#: Columns of :attr:`WeeklyChange.worsened_issues`.
WORSENED_COLUMNS = ("id", SERVICE, TEAM, "type", "subject", "severity_before", SEVERITY, "churn")


@dataclass(frozen=True)
class WeeklyChange:
    """What changed in the week ending at ``as_of`` (see the module docstring for each field's source)."""

    as_of: pd.Timestamp
    before_time: pd.Timestamp | None
    before_source: str | None
    backlog_now: dict[str, int]
    backlog_before: dict[str, int] | None
    new: int
    fixed: int
    churn_in: int
    churn_out: int
    new_issues: pd.DataFrame
    quality_now: float | None
    quality_before: float | None
    sources: dict[str, str]
    worsened: int = 0
    worsened_churn: int = 0
    worsened_issues: pd.DataFrame | None = None

    @property
    def open_now(self) -> int:
        """Open issues now."""
        return int(sum(self.backlog_now.values()))

    @property
    def open_before(self) -> int | None:
        """Open issues in last week's report (None without one)."""
        return None if self.backlog_before is None else int(sum(self.backlog_before.values()))

    @property
    def new_high(self) -> pd.DataFrame:
        """The high-severity issues first reported this week (new or by detector churn)."""
        return self.new_issues[self.new_issues[SEVERITY] == "high"].reset_index(drop=True)

    @property
    def quality_delta(self) -> float | None:
        """Week-over-week change of the platform mean quality score."""
        if self.quality_now is None or self.quality_before is None:
            return None
        return self.quality_now - self.quality_before

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the new issues as records)."""
        return {
            "as_of": self.as_of.isoformat(),
            "before_time": self.before_time.isoformat() if self.before_time is not None else None,
            "backlog_now": dict(self.backlog_now),
            "backlog_before": dict(self.backlog_before) if self.backlog_before is not None else None,
            "new": self.new,
            "fixed": self.fixed,
            "churn_in": self.churn_in,
            "churn_out": self.churn_out,
            "worsened": self.worsened,
            "worsened_churn": self.worsened_churn,
            "new_high": len(self.new_high),
            "quality_now": self.quality_now,
            "quality_before": self.quality_before,
            "sources": dict(self.sources),
        }


def _mean_score(state: AnalysisState) -> float | None:
    """The platform mean quality score of the state's bound snapshot (None without scores)."""
    if state.quality.time is None:
        return None
    scores = pd.to_numeric(state.quality_scores()["score"], errors="coerce").dropna()
    return float(scores.mean()) if len(scores) else None


def _new_issues(spells: pd.DataFrame, start: pd.Timestamp, state: AnalysisState) -> pd.DataFrame:
    """Open spells that started after ``start`` (new or by detector churn), with the owning team, high first."""
    started = spells[spells["open"] & (spells["first_seen"] > start) & (spells["start_reason"] != "carried_in")]
    teams = state.ws.services.set_index(SERVICE)[TEAM] if len(state.ws.services) else pd.Series(dtype="str")
    out = pd.DataFrame(
        {
            "id": started["issue_id"].astype(str),
            SERVICE: started[SERVICE].astype(str),
            TEAM: started[SERVICE].map(teams.to_dict()).fillna(""),
            "type": started["type"].astype(str),
            SEVERITY: started[SEVERITY].astype(str),
            "subject": started["subject"].fillna("").astype(str),
            "first_seen": started["first_seen"],
            "churn": started["start_reason"] == "detector_change",
        }
    )
    rank = out[SEVERITY].map(SEVERITY_RANK).fillna(len(SEVERITIES))
    out = out.assign(_r=rank).sort_values(["_r", SERVICE, "type", "subject", "id"], kind="mergesort")
    return out.drop(columns="_r").reset_index(drop=True).reindex(columns=list(NEW_ISSUE_COLUMNS))


def _worsened(history: pd.DataFrame, before: pd.Timestamp | None, state: AnalysisState) -> pd.DataFrame:
    """Issues open in last week's report and now whose severity rose (:data:`WORSENED_COLUMNS`), most severe
    first; ``churn`` when no two consecutive reports of one detector show the rise."""
    if before is None or not len(history):
        return pd.DataFrame(columns=list(WORSENED_COLUMNS))
    rows = history[
        history["issue_id"].notna() & (history["report_time"] >= before) & (history["report_time"] <= state.as_of)
    ]
    rows = rows[~rows["exempt"].astype("boolean").fillna(False).astype(bool)]
    rows = rows.assign(
        _rank=rows[SEVERITY].map(SEVERITY_RANK).fillna(len(SEVERITIES)), issue_id=rows["issue_id"].astype(str)
    )
    # one row per (issue, report): its most severe row
    per = rows.sort_values(["issue_id", "report_time", "_rank"], kind="mergesort").drop_duplicates(
        ["issue_id", "report_time"], keep="first"
    )
    first, last = per.groupby("issue_id").head(1), per.groupby("issue_id").tail(1)
    both = first[first["report_time"] == before].set_index("issue_id")
    now = last[last["report_time"] == state.as_of].set_index("issue_id")
    ids = both.index.intersection(now.index)
    rose = ids[now.loc[ids, "_rank"].to_numpy() < both.loc[ids, "_rank"].to_numpy()]
    grouped = per.groupby("issue_id", sort=False)
    step = (per["_rank"] < grouped["_rank"].shift()) & (per["source"] == grouped["source"].shift())
    same_detector = set(per.loc[step, "issue_id"])
    teams = state.ws.services.set_index(SERVICE)[TEAM].to_dict() if len(state.ws.services) else {}
    cur = now.loc[rose]
    out = pd.DataFrame(
        {
            "id": list(rose),
            SERVICE: cur[SERVICE].astype(str).to_numpy(),
            TEAM: [str(teams.get(v) or "") for v in cur[SERVICE]],
            "type": cur["type"].astype(str).to_numpy(),
            "subject": cur["subject"].fillna("").astype(str).to_numpy(),
            "severity_before": both.loc[rose, SEVERITY].astype(str).to_numpy(),
            SEVERITY: cur[SEVERITY].astype(str).to_numpy(),
            "churn": [i not in same_detector for i in rose],
        }
    )
    out = out.assign(_r=out[SEVERITY].map(SEVERITY_RANK)).sort_values(["_r", SERVICE, "type", "subject", "id"])
    return out.drop(columns="_r").reset_index(drop=True).reindex(columns=list(WORSENED_COLUMNS))


def _before(history: pd.DataFrame, state: AnalysisState, start: pd.Timestamp) -> tuple[Any, Any, Any]:
    """Last week's report time, its open issues by severity, and its source (Nones without one)."""
    per_report = backlog(history, state.as_of, state.policy)
    earlier = per_report[per_report["report_time"] <= start] if len(per_report) else per_report
    if not len(earlier):
        return None, None, None
    row = earlier.iloc[-1]
    time = pd.Timestamp(row["report_time"])
    sources = history.loc[history["report_time"] == time, "source"].dropna().astype(str).unique()
    source = f"{'/'.join(sorted(sources)) or 'drift'} report of {time.strftime('%Y-%m-%d %H:%M')} UTC"
    return time, {s: int(row[s]) for s in SEVERITIES}, source


def weekly_change(state: AnalysisState) -> WeeklyChange:
    """The change in the week ending at the state's as-of.

    Parameters
    ----------
    state : AnalysisState
        The analysis state at the as-of; the state a week before is ``analysis_state(ws, as_of - 7 days)``.

    Returns
    -------
    WeeklyChange
        On ``data/sample``: 102 open a week before, 0 new, 5 fixed, 37 in and 59 out by detector churn,
        75 open now; 0 worsened, and 25 rated more severe only by the change of detector (low → medium).
    """
    start = state.as_of - WEEK
    history = history_with_current(state.ws.drift_history, state.drift)
    spells = issue_spells(history, state.as_of, state.policy)
    began = spells[spells["first_seen"] > start]
    ended = spells[spells["resolved_at"].notna() & (spells["resolved_at"] > start)]
    before_time, backlog_before, before_source = _before(history, state, start)
    previous = analysis_state(state.ws, start, policy=None)
    worse = _worsened(history, before_time, state)
    sources = {
        "backlog": f"open issues: {state.drift_source}",
        "backlog_before": f"a week before: {before_source or 'no drift report a week before the as-of'}",
        "flow": (
            "new and fixed: issue spells of the drift history with the current run appended; worsened: last "
            "week's report against the current run, by issue id"
        ),
        "quality": state.quality.source,
        "quality_before": f"a week before: {previous.quality.source}",
    }
    return WeeklyChange(
        as_of=state.as_of,
        before_time=before_time,
        before_source=before_source,
        backlog_now=dict(state.backlog.by_severity),
        backlog_before=backlog_before,
        new=int((began["start_reason"] == "new").sum()),
        fixed=int((ended["end_reason"] == "resolved").sum()),
        churn_in=int((began["start_reason"] == "detector_change").sum()),
        churn_out=int((ended["end_reason"] == "detector_change").sum()),
        new_issues=_new_issues(spells, start, state),
        quality_now=_mean_score(state),
        quality_before=_mean_score(previous),
        sources=sources,
        worsened=int((~worse["churn"].astype(bool)).sum()),
        worsened_churn=int(worse["churn"].astype(bool).sum()),
        worsened_issues=worse,
    )
