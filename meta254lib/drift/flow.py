"""Drift flow over the report calendar: new, resolved and persisting issues per week, and the open backlog.

Works on ``drift_history`` rows through the spells of :mod:`meta254lib.drift.history` (exempt issues
left out). Weeks start on Monday, UTC.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import UTC_TS
from ..core.severity import SEVERITIES
from .history import group_values, issue_spells, prepare_history
from .policy import DriftPolicy

__all__ = ["backlog", "backlog_age", "drift_flow"]


def _week(ts: pd.Series) -> pd.Series:
    """The Monday (UTC midnight) of each time's week."""
    ts = pd.to_datetime(ts, utc=True)
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).astype(UTC_TS)


def drift_flow(
    history: pd.DataFrame | None,
    as_of: Any = None,
    by: str | None = None,
    policy: DriftPolicy | None = None,
) -> pd.DataFrame:
    """New, resolved and persisting issues per week (weeks start on Monday, UTC).

    ``carried_in`` counts the issues already open in the first report (not new: their start is
    unknown). ``new`` and ``resolved`` count only what one detector saw appear and go away;
    ``detector_in`` and ``detector_out`` count the issues that appeared or went away only because a
    report came from another detector than the report before (``source``; see
    :func:`~meta254lib.drift.history.issue_spells`): detector churn, not remediation. ``open`` is the
    number open at the end of the week, so
    ``open = previous open + carried_in + new + detector_in - resolved - detector_out`` holds exactly;
    ``persisting`` counts the open ones that started before the week; ``net`` is ``new - resolved``.

    Parameters
    ----------
    by : str, optional
        A spell column to split by (``severity``, ``type``, ``service``); default none.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
    ...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
    >>> f = drift_flow(h, "2025-01-20")
    >>> f[["carried_in", "new", "resolved", "persisting", "open"]].values.tolist()
    [[1, 0, 0, 0, 1], [0, 1, 0, 1, 2], [0, 0, 1, 1, 1]]
    >>> g = drift_flow(h.assign(source=["platform"] * 3 + ["meta254"]), "2025-01-20")
    >>> g[["resolved", "detector_out", "open"]].values.tolist()[-1]
    [0, 1, 1]
    """
    sp = issue_spells(history, as_of, policy)
    keys = [by] if by else []
    cols = ["week", *keys, "carried_in", "new", "resolved", "detector_in", "detector_out", "persisting", "open", "net"]
    _, reports, as_of = prepare_history(history, as_of, policy, False)
    if not len(reports):
        return pd.DataFrame(columns=cols)
    weeks = pd.date_range(_week(pd.Series([reports[0]])).iloc[0], _week(pd.Series([as_of])).iloc[0], freq="7D")
    groups = group_values(by, sp[by] if by else pd.Series(dtype="str"))
    idx = pd.MultiIndex.from_product([weeks, groups], names=["week", "_g"])
    sp = sp.assign(_g=sp[by] if by else None, _ws=_week(sp["first_seen"]), _wr=_week(sp["resolved_at"]))

    def count(df: pd.DataFrame, col: str) -> pd.Series:
        if df.empty:
            return pd.Series(0, index=idx, dtype="int64")
        s = df.groupby([col, "_g"], dropna=False).size() if by else df.groupby([col]).size()
        if not by:
            s.index = pd.MultiIndex.from_arrays([s.index, [None] * len(s)])
        s.index = s.index.set_names(["week", "_g"])
        return s.reindex(idx, fill_value=0)

    carried = count(sp[sp["carried_in"]], "_ws")
    new = count(sp[sp["start_reason"] == "new"], "_ws")
    det_in = count(sp[sp["start_reason"] == "detector_change"], "_ws")
    resolved = count(sp[sp["end_reason"] == "resolved"], "_wr")
    det_out = count(sp[sp["end_reason"] == "detector_change"], "_wr")
    same_week = count(sp[sp["resolved_at"].notna() & (sp["_ws"] == sp["_wr"])], "_ws")
    out = pd.DataFrame(
        {"carried_in": carried, "new": new, "resolved": resolved, "detector_in": det_in, "detector_out": det_out}
    ).reset_index()
    change = out["carried_in"] + out["new"] + out["detector_in"] - out["resolved"] - out["detector_out"]
    out["open"] = change.groupby(out["_g"], dropna=False).cumsum()
    started_open = (carried + new + det_in - same_week).to_numpy()
    out["persisting"] = out["open"].to_numpy() - started_open
    out["net"] = out["new"] - out["resolved"]
    if by:
        out = out.rename(columns={"_g": by})
    out = out.reindex(columns=cols)
    for c in cols[1 + len(keys) :]:
        out[c] = out[c].astype("int64")
    return out.reset_index(drop=True)


def backlog(history: pd.DataFrame | None, as_of: Any = None, policy: DriftPolicy | None = None) -> pd.DataFrame:
    """Open (non-exempt) issues per report, by severity.

    Returns
    -------
    DataFrame
        ``report_time, high, medium, low, total, services`` (services with at least one open issue).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1]], "issue_id": ["A", "A", "B"],
    ...     "service": ["s", "s", "u"], "type": "x", "severity": ["high", "high", "low"]})
    >>> backlog(h)[["high", "low", "total", "services"]].values.tolist()
    [[1, 0, 1, 1], [1, 1, 2, 2]]
    """
    h, reports, _ = prepare_history(history, as_of, policy, False)
    cols = ["report_time", *SEVERITIES, "total", "services"]
    if not len(reports):
        return pd.DataFrame(columns=cols)
    h = h.drop_duplicates(["report_time", "issue_id"])
    counts = pd.crosstab(h["report_time"], h["severity"]) if len(h) else pd.DataFrame()
    counts = counts.reindex(index=reports, columns=list(SEVERITIES), fill_value=0).fillna(0).astype("int64")
    counts["total"] = counts.sum(axis=1)
    svc = h.groupby("report_time")["service"].nunique() if len(h) else pd.Series(dtype="int64")
    counts["services"] = svc.reindex(reports, fill_value=0).astype("int64").to_numpy()
    counts.index.name = "report_time"
    return counts.reset_index().reindex(columns=cols)


#: Upper ends (days) of the backlog age buckets.
_AGE_BINS = (7, 30, 90, 180)


def backlog_age(
    history: pd.DataFrame | None,
    as_of: Any = None,
    bins: tuple[int, ...] = _AGE_BINS,
    policy: DriftPolicy | None = None,
) -> pd.DataFrame:
    """Open issues at ``as_of`` by age (days since the spell started) and severity.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-03-10"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1]], "issue_id": ["A", "A", "B"],
    ...     "service": "s", "type": "x", "severity": ["high", "high", "low"]})
    >>> backlog_age(h, "2025-03-10").set_index("age")["total"].to_dict()
    {'0-7 d': 1, '8-30 d': 0, '31-90 d': 1, '91-180 d': 0, '> 180 d': 0}
    """
    sp = issue_spells(history, as_of, policy)
    _, _, as_of = prepare_history(history, as_of, policy, False)
    edges = [0, *bins]
    labels = [f"{lo + (1 if i else 0)}-{hi} d" for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
    labels.append(f"> {bins[-1]} d")
    cols = ["age", *SEVERITIES, "total"]
    o = sp[sp["open"]]
    age = ((as_of - o["first_seen"]) / pd.Timedelta(days=1)) if len(o) else pd.Series(dtype="float64")
    bucket = pd.cut(age, bins=[-np.inf, *bins, np.inf], labels=labels, right=True)
    t = pd.crosstab(bucket, o["severity"]) if len(o) else pd.DataFrame()
    t = t.reindex(index=labels, columns=list(SEVERITIES), fill_value=0).fillna(0).astype("int64")
    t["total"] = t.sum(axis=1)
    t.index.name = "age"
    return t.reset_index().reindex(columns=cols)
