"""Drift flow on the weeks of the quality trend: backlog by severity, new and resolved issues, time to fix.

The issue spells, the backlog per report and the severity rules come from the drift package
(:mod:`meta254lib.drift.history`, :mod:`meta254lib.drift.flow`, :mod:`meta254lib.drift.kpis`); this
module only puts them on the trend weeks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.clock import to_utc
from ..core.schema import DRIFT_WEEKLY, SERVICE, SEVERITY
from ..core.severity import SEVERITIES
from ..drift.flow import backlog
from ..drift.history import issue_spells
from ..drift.kpis import time_to_remediation
from .window import WEEK, to_us, typed_frame, week_ends

if TYPE_CHECKING:
    from ..drift.policy import DriftPolicy

__all__ = ["backlog_source", "drift_mttr", "drift_weekly", "service_backlog"]


def _week_of_times(times: pd.Series, ends: pd.DatetimeIndex) -> np.ndarray:
    """0-based index of the first week end at or after each time (len(ends) when after the window,
    -1 when before it; NaT -> len(ends))."""
    t = pd.to_datetime(times, utc=True)
    out = np.searchsorted(ends.asi8, pd.DatetimeIndex(t).as_unit("us").asi8, side="left")
    out = np.where(t.isna().to_numpy(), len(ends), out)
    start = (ends[0] - WEEK).value // 1000
    return np.where(pd.DatetimeIndex(t).as_unit("us").asi8 <= start, -1, out)


def _drift_upto(drift_history: pd.DataFrame | None, end: pd.Timestamp) -> pd.DataFrame | None:
    """Drift history rows up to ``end``; None when no report is left."""
    if drift_history is None or not len(drift_history):
        return None
    d = drift_history[pd.to_datetime(drift_history["report_time"], utc=True) <= end]
    return d if len(d) else None


def drift_weekly(
    drift_history: pd.DataFrame, *, as_of: Any, weeks: int = 12, policy: DriftPolicy | None = None
) -> pd.DataFrame:
    """Drift backlog by severity at each week end, and new / resolved issues per week.

    The issue spells, the backlog per report and the severity rules come from
    :mod:`meta254lib.drift.history` (exempt issues left out; ``error`` and unknown severities take
    their type's policy severity); this function only puts them on the weeks of the quality trend
    (``(end - 7 days, end]``). The backlog at a week end is the latest report at or before it (NA
    before the first report); *new* counts spells that started in the week (not those already open in
    the first report), *resolved* those whose first report without the issue falls in the week, both
    only when the report before came from the same detector; ``detector_in`` / ``detector_out`` count
    those that came or went only because the detector (``source``) changed: detector churn, not
    remediation. ``out.attrs["backlog_source"]`` describes what the last backlog counts
    (:func:`backlog_source`).

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.DRIFT_WEEKLY`, ordered by week, severity (high, medium, low, all).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-15"], utc=True)
    >>> dh = pd.DataFrame({"report": ["r1", "r1", "r2", "r3"], "report_time": t[[0, 0, 1, 2]],
    ...                    "issue_id": ["x", "y", "y", "z"], "severity": ["high", "low", "low", "high"],
    ...                    "service": ["a", "b", "b", "a"], "type": "spec_minor_lag"})
    >>> f = drift_weekly(dh, as_of="2025-01-15", weeks=2)
    >>> f.query("severity == 'all'")[["backlog", "new", "resolved", "reports"]].astype(object).values.tolist()
    [[1.0, 0, 1, 1], [1.0, 1, 1, 1]]
    >>> g = drift_weekly(dh.assign(source=["platform"] * 3 + ["meta254"]), as_of="2025-01-15", weeks=2)
    >>> g.query("severity == 'all'")[["new", "resolved", "detector_in", "detector_out"]].values.tolist()[-1]
    [0, 0, 1, 1]
    """
    end = to_utc(as_of)
    ends = week_ends(end, weeks)
    sevs = (*SEVERITIES, "all")
    dh = _drift_upto(drift_history, end)
    bl = backlog(dh, end, policy) if dh is not None else pd.DataFrame()
    spells = issue_spells(dh, end, policy) if dh is not None else pd.DataFrame()
    at, reports, table = _reports_by_week(bl, ends)
    flows = {
        "new": _events(spells, "first_seen", "start_reason", "new", ends),
        "resolved": _events(spells, "resolved_at", "end_reason", "resolved", ends),
        "detector_in": _events(spells, "first_seen", "start_reason", "detector_change", ends),
        "detector_out": _events(spells, "resolved_at", "end_reason", "detector_change", ends),
    }
    rows = []
    for k, sev in enumerate(sevs):
        counts = [_count_by_week(w, part, sev, weeks) for part, w in flows.values()]
        for i in range(weeks):
            value = table[at[i], k] if at[i] >= 0 else np.nan
            rows.append((i + 1, ends[i], sev, value, *(int(c[i]) for c in counts), int(reports[i])))
    out = pd.DataFrame(rows, columns=["week", "week_end", SEVERITY, "backlog", *flows, "reports"])
    out["_s"] = out[SEVERITY].map({s: i for i, s in enumerate(sevs)})
    out = typed_frame(out.sort_values(["week", "_s"], kind="stable"), DRIFT_WEEKLY)
    out.attrs["backlog_source"] = backlog_source(dh, end)
    return out


def _events(
    spells: pd.DataFrame, time_col: str, reason_col: str, reason: str, ends: pd.DatetimeIndex
) -> tuple[pd.DataFrame, np.ndarray]:
    """The spells whose ``reason_col`` is ``reason``, and the week index of their ``time_col``."""
    if not len(spells):
        return spells, np.array([], dtype="int64")
    part = spells[spells[reason_col] == reason]
    return part, (_week_of_times(part[time_col], ends) if len(part) else np.array([], dtype="int64"))


def backlog_source(drift_history: pd.DataFrame | None, as_of: Any) -> str:
    """What the drift backlog at ``as_of`` counts: which report, from which detector, in which unit.

    The backlog counts the issue ids (one per service, type and subject; exempt ones left out) of
    the latest report at or before ``as_of``. A platform report counts its issues its own way (a
    shared dependency once for every service that uses it), so its own total differs; the issues of
    ``meta254 drift`` come from meta254's detectors, which differ from the platform's.

    Examples
    --------
    >>> dh = pd.DataFrame({"report": "r.json", "report_time": pd.to_datetime(["2025-10-10"] * 3, utc=True),
    ...     "source": "platform", "source_issue": ["r.json#0", "r.json#0", "r.json#1"],
    ...     "issue_id": ["A", "B", "C"], "exempt": False})
    >>> s = backlog_source(dh, "2025-10-11")
    >>> s.split(": ")[0]
    'counted per service, type and subject from the platform report of 2025-10-10 00:00 UTC'
    >>> s.split(": ")[1].split(";")[0]
    '3 issue ids (the report itself lists 2 issues, a shared dependency once for all its services)'
    """
    dh = _drift_upto(drift_history, to_utc(as_of))
    if dh is None:
        return ""
    when = pd.to_datetime(dh["report_time"], utc=True)
    rep = dh[when == when.max()]
    source = str(rep["source"].dropna().iloc[0]) if "source" in rep and rep["source"].notna().any() else "drift"
    rows = rep[rep["issue_id"].notna()]
    if "exempt" in rows:
        rows = rows[~rows["exempt"].astype("boolean").fillna(False).astype(bool)]
    ids = rows["issue_id"].nunique()
    text = f"counted per service, type and subject from the {source} report of {when.max():%Y-%m-%d %H:%M} UTC: "
    text += f"{ids} issue ids"
    if source == "platform":
        native = rows["source_issue"].nunique() if "source_issue" in rows else 0
        if native and native != ids:
            text += f" (the report itself lists {native} issues, a shared dependency once for all its services)"
        text += "; `meta254 drift` counts what meta254's own detectors find, which differs"
    return text


def _reports_by_week(bl: pd.DataFrame, ends: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each week: the row of ``bl`` (backlog per report) current at its end (-1: none yet) and the
    number of reports in it; and ``bl`` as a float table of the severities and the total."""
    weeks = len(ends)
    if not len(bl):
        return np.full(weeks, -1), np.zeros(weeks, dtype="int64"), np.zeros((0, len(SEVERITIES) + 1))
    at = np.searchsorted(to_us(bl["report_time"]), ends.asi8, side="right") - 1
    report_week = _week_of_times(bl["report_time"], ends)
    reports = np.bincount(report_week[(report_week >= 0) & (report_week < weeks)], minlength=weeks)
    return at, reports, bl.reindex(columns=[*SEVERITIES, "total"]).to_numpy(dtype="float64")


def _count_by_week(week: np.ndarray, spells: pd.DataFrame, severity: str, weeks: int) -> np.ndarray:
    """Spells per week (``week``: the week of each spell's event) of one severity, or of all."""
    if severity == "all" or not len(week):
        sel = np.ones(len(week), bool)
    else:
        sel = (spells[SEVERITY] == severity).to_numpy()
    w = week[sel]
    return np.bincount(w[(w >= 0) & (w < weeks)], minlength=weeks)


def drift_mttr(drift_history: pd.DataFrame, *, as_of: Any, policy: DriftPolicy | None = None) -> pd.DataFrame:
    """Time to remediation by severity, as the drift history computes it (Kaplan–Meier, open issues
    censored at ``as_of``): :func:`meta254lib.drift.kpis.time_to_remediation`."""
    end = to_utc(as_of)
    return time_to_remediation(_drift_upto(drift_history, end), end, by="severity", policy=policy)


def service_backlog(
    drift_history: pd.DataFrame, services: np.ndarray, ends: pd.DatetimeIndex, policy: DriftPolicy | None = None
) -> np.ndarray:
    """Services x weeks: open (non-exempt) drift issues at each week end (NaN before the first report)."""
    n_s, n_w = len(services), len(ends)
    out = np.full((n_s, n_w), np.nan)
    drift_history = _drift_upto(drift_history, ends[-1])
    if not n_s or drift_history is None:
        return out
    bl = backlog(drift_history, ends[-1], policy)
    if not len(bl):
        return out
    first_report = pd.to_datetime(bl["report_time"], utc=True).min()
    sp = issue_spells(drift_history, ends[-1], policy)
    code = pd.Index(services).get_indexer(sp[SERVICE].astype(object))
    sp = sp[code >= 0]
    code = code[code >= 0]
    counts = np.zeros((n_s, n_w + 1))
    if len(sp):
        # open at week end e: first_seen <= e < resolved_at
        w0 = np.searchsorted(ends.asi8, pd.DatetimeIndex(sp["first_seen"]).as_unit("us").asi8, side="left")
        res = pd.DatetimeIndex(sp["resolved_at"]).as_unit("us")
        w1 = np.where(res.isna(), n_w, np.searchsorted(ends.asi8, res.asi8, side="left"))
        np.add.at(counts, (code, w0), 1.0)
        np.add.at(counts, (code, w1), -1.0)
    open_ = np.cumsum(counts, axis=1)[:, :n_w]
    have_report = np.asarray(ends >= first_report)
    out[:, have_report] = open_[:, have_report]
    return out
