"""Drift history: issue spells, weekly flow, backlog, time to remediation (Kaplan–Meier), SLOs, KPIs.

Works on ``drift_history`` rows (:data:`~meta254lib.core.schema.DRIFT_HISTORY`), from platform and
meta254 reports alike, matched by issue id. Every function takes an explicit ``as_of``: reports
after it are ignored and issues still open are censored at it (default: the last report).

A *spell* is one uninterrupted run of an issue id over successive reports; it is resolved at the
first later report without the id. Exempt rows are not part of the backlog.

Examples
--------
>>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
>>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
>>> time_to_remediation(h, "2025-01-20", by=None)["median_days"].tolist()
[14.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import DRIFT_HISTORY, UTC_TS
from .engine import SEVERITIES, DriftPolicy, DriftResult, drift_report_filename, resolve_as_of

__all__ = [
    "backlog",
    "backlog_age",
    "drift_flow",
    "filter_history",
    "history_with_current",
    "issue_spells",
    "kaplan_meier",
    "kpis",
    "remediation_survival",
    "slo_status",
    "time_to_remediation",
]

_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _str_col(s: pd.Series) -> pd.Series:
    return s.astype("str").where(s.notna(), "")


def history_with_current(history: pd.DataFrame | None, result: DriftResult) -> pd.DataFrame:
    """Drift history before ``result.as_of``, plus the current run as one more report.

    Reports at or after the as-of time are dropped (a rerun replaces its own earlier report). The
    current run also gets a report marker row (``issue_id`` NA; see :func:`filter_history`), so a run
    with no issue still counts as a report in which every earlier issue is resolved.

    Examples
    --------
    >>> from meta254lib.drift.engine import DriftInputs, detect_drift
    >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
    >>> r = detect_drift(DriftInputs(rec(SERVICES, [{"service": "a", "last_update": "2025-01-01"}])),
    ...                  as_of="2025-10-10")
    >>> for row in history_with_current(None, r)[["report", "type", "severity"]].values.tolist():
    ...     print(row)
    ['20251010_000000_drift_report.json', 'version_staleness', 'high']
    ['20251010_000000_drift_report.json', nan, nan]
    """
    name = drift_report_filename(result.as_of)
    i = result.issues
    cur = pd.DataFrame(
        {
            "report": name,
            "report_time": pd.Series(result.as_of, index=i.index, dtype=UTC_TS),
            "source": "meta254",
            "source_issue": [f"{name}#{k}" for k in range(len(i))],
            "issue_id": i["id"],
            "service": i["service"],
            "type": i["type"],
            "raw_type": i["type"],
            "severity": i["severity"],
            "raw_severity": i["severity"],
            "subject": i["subject"],
            "current": i["current"],
            "expected": i["expected"],
            "description": i["reason"],
            "remediation": i["remediation"],
            "exempt": i["exempt"].astype("boolean"),
        }
    )
    marker = pd.DataFrame(
        {"report": [name], "report_time": pd.Series([result.as_of], dtype=UTC_TS), "source": ["meta254"]}
    )
    frames = [cur, marker]
    if history is not None and not history.empty:
        frames.insert(0, history[history["report_time"] < result.as_of])
    out = pd.concat([f.reindex(columns=list(DRIFT_HISTORY.columns)) for f in frames], ignore_index=True)
    return out.astype({c: d for c, d in DRIFT_HISTORY.dtypes.items() if c in out}).reset_index(drop=True)


def _markers(history: pd.DataFrame) -> pd.DataFrame:
    """One row per report with no issue (``issue_id`` NA): the report calendar survives filtering."""
    cols = [c for c in ("report", "report_time", "source") if c in history.columns]
    return history[cols].drop_duplicates("report_time").reindex(columns=history.columns)


def filter_history(
    history: pd.DataFrame | None,
    services: Any = None,
    severity_floor: str | None = None,
    issue_ids: Any = None,
) -> pd.DataFrame | None:
    """History rows of some services / issues, at or above a severity (``None`` passes through).

    Every report keeps one *report marker* row (``issue_id`` NA), so an issue absent from a report
    that no longer has any row after filtering is still seen as absent: spells are not merged
    across it. All functions of this module read markers; filter a history with this function
    rather than with a plain boolean mask. A report with no issue at all in the source files
    leaves no row in ``ws.drift_history`` and cannot be seen.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[2], t[2]], "issue_id": ["A", "B", "A", "B"],
    ...                   "service": ["a", "b", "a", "b"], "severity": ["low", "high", "low", "high"]})
    >>> f = filter_history(h, services=["a"])
    >>> f["issue_id"].tolist()
    ['A', 'A', nan, nan, nan]
    >>> issue_spells(f, "2025-01-20")["spell"].tolist()  # A was absent from the 01-13 report
    [1, 2]
    """
    if history is None:
        return None
    out = history[history["issue_id"].notna()]
    if services is not None:
        out = out[out["service"].isin(list(services))]
    if issue_ids is not None:
        out = out[out["issue_id"].isin(list(issue_ids))]
    if severity_floor:
        floor = str(severity_floor).strip().lower()
        if floor not in _RANK:
            raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
        out = out[out["severity"].map(_RANK).fillna(len(SEVERITIES)) <= _RANK[floor]]
    return pd.concat([out, _markers(history)], ignore_index=True)


def _history(
    history: pd.DataFrame | None, as_of: Any, policy: DriftPolicy | None, include_exempt: bool
) -> tuple[pd.DataFrame, pd.DatetimeIndex, pd.Timestamp | None]:
    policy = policy or DriftPolicy()
    cols = ["report_time", "issue_id", "service", "type", "severity", "subject", "exempt"]
    if history is None or history.empty:
        return (
            pd.DataFrame(columns=cols),
            pd.DatetimeIndex([], tz="UTC"),
            (resolve_as_of(as_of) if as_of is not None else None),
        )
    h = history.reindex(columns=cols)
    if as_of is not None:
        as_of = resolve_as_of(as_of)
        h = h[h["report_time"] <= as_of]
    reports = pd.DatetimeIndex(sorted(h["report_time"].dropna().unique())).tz_convert("UTC")
    if as_of is None:
        as_of = reports[-1] if len(reports) else None
    h = h[h["issue_id"].notna()]  # report markers only carry the report calendar
    if not include_exempt:
        h = h[~h["exempt"].astype("boolean").fillna(False).astype(bool)]
    sev = h["severity"].astype("str")
    levels = {t: (policy.level(t) if policy.level(t) in _RANK else "medium") for t in h["type"].unique().tolist()}
    sev = sev.where(sev.isin(list(SEVERITIES)), h["type"].map(levels))
    h = h.assign(severity=sev.astype("str"), subject=_str_col(h["subject"]))
    return h, reports, as_of


def issue_spells(
    history: pd.DataFrame | None,
    as_of: Any = None,
    policy: DriftPolicy | None = None,
    include_exempt: bool = False,
) -> pd.DataFrame:
    """Each uninterrupted run of an issue id over successive reports (a *spell*).

    A spell starts at the first report that has the id after one that has not, and is resolved
    at the first later report without it. Still present in the last report → open (censored at
    ``as_of``). Exempt rows are left out unless ``include_exempt``. Severities other than
    high/medium/low (``error``, unknown) take the policy severity of their type. Note that a
    report with no issue at all leaves no row in the history and is therefore not seen.

    Parameters
    ----------
    history : DataFrame
        :data:`~meta254lib.core.schema.DRIFT_HISTORY` rows.
    as_of : str or Timestamp, optional
        Reports after it are ignored; open spells are censored at it. Default: the last report.

    Returns
    -------
    DataFrame
        ``issue_id, spell, service, type, severity, subject, first_seen, last_seen, resolved_at,
        open, carried_in, duration_days`` sorted by first_seen, issue_id. ``carried_in`` marks
        spells present in the first report (their true start is unknown).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
    ...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
    >>> issue_spells(h, "2025-01-27")[["issue_id", "resolved_at", "open", "duration_days"]].values.tolist()
    [['A', Timestamp('2025-01-20 00:00:00+0000', tz='UTC'), False, 14.0], ['B', NaT, True, 14.0]]
    """
    h, reports, as_of = _history(history, as_of, policy, include_exempt)
    cols = [
        "issue_id",
        "spell",
        "service",
        "type",
        "severity",
        "subject",
        "first_seen",
        "last_seen",
        "resolved_at",
        "open",
        "carried_in",
        "duration_days",
    ]
    if h.empty:
        out = pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
        for c in ("first_seen", "last_seen", "resolved_at"):
            out[c] = out[c].astype(UTC_TS)
        return out.astype({"spell": "int64", "open": "bool", "carried_in": "bool", "duration_days": "float64"})
    g = h.assign(_r=reports.get_indexer(h["report_time"]))
    g = g.sort_values(["issue_id", "_r"], kind="mergesort").drop_duplicates(["issue_id", "_r"], keep="last")
    iid = g["issue_id"].to_numpy()
    r = g["_r"].to_numpy()
    start = np.ones(len(g), dtype=bool)
    start[1:] = (iid[1:] != iid[:-1]) | (r[1:] != r[:-1] + 1)
    g = g.assign(_spell=np.cumsum(start))
    agg = g.groupby("_spell", sort=True).agg(
        issue_id=("issue_id", "first"),
        service=("service", "last"),
        type=("type", "last"),
        severity=("severity", "last"),
        subject=("subject", "last"),
        _s=("_r", "min"),
        _e=("_r", "max"),
    )
    n = len(reports)
    first = reports[agg["_s"].to_numpy()]
    last = reports[agg["_e"].to_numpy()]
    nxt = agg["_e"].to_numpy() + 1
    nxt_ok = nxt < n
    resolved = pd.Series(pd.NaT, index=agg.index, dtype=UTC_TS)
    resolved[nxt_ok] = reports[nxt[nxt_ok]]
    is_open = nxt >= n
    end = resolved.where(~is_open, as_of)
    out = pd.DataFrame(
        {
            "issue_id": agg["issue_id"].astype("str"),
            "service": agg["service"].astype("str"),
            "type": agg["type"].astype("str"),
            "severity": agg["severity"].astype("str"),
            "subject": agg["subject"].astype("str"),
            "first_seen": pd.Series(first, index=agg.index).astype(UTC_TS),
            "last_seen": pd.Series(last, index=agg.index).astype(UTC_TS),
            "resolved_at": resolved,
            "open": is_open,
            "carried_in": agg["_s"].to_numpy() == 0,
            "duration_days": (
                (end.astype(UTC_TS) - pd.Series(first, index=agg.index).astype(UTC_TS)) / pd.Timedelta(days=1)
            ).astype("float64"),
        }
    )
    out = out.sort_values(["first_seen", "issue_id"], kind="mergesort").reset_index(drop=True)
    out.insert(1, "spell", out.groupby("issue_id").cumcount().astype("int64") + 1)
    return out


def _week(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts, utc=True)
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).astype(UTC_TS)


def _groups(by: str | None, values: pd.Series) -> list[Any]:
    if by is None:
        return [None]
    if by == "severity":
        return list(SEVERITIES)
    return sorted(values.dropna().unique())


def drift_flow(
    history: pd.DataFrame | None,
    as_of: Any = None,
    by: str | None = None,
    policy: DriftPolicy | None = None,
) -> pd.DataFrame:
    """New, resolved and persisting issues per week (weeks start on Monday, UTC).

    ``carried_in`` counts the issues already open in the first report (not new: their start is
    unknown). ``open`` is the number open at the end of the week, so
    ``open = previous open + carried_in + new - resolved`` holds exactly; ``persisting`` counts the
    open ones that started before the week.

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
    """
    sp = issue_spells(history, as_of, policy)
    keys = [by] if by else []
    cols = ["week", *keys, "carried_in", "new", "resolved", "persisting", "open", "net"]
    _, reports, as_of = _history(history, as_of, policy, False)
    if not len(reports):
        return pd.DataFrame(columns=cols)
    weeks = pd.date_range(_week(pd.Series([reports[0]])).iloc[0], _week(pd.Series([as_of])).iloc[0], freq="7D")
    groups = _groups(by, sp[by] if by else pd.Series(dtype="str"))
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
    new = count(sp[~sp["carried_in"]], "_ws")
    resolved = count(sp[sp["resolved_at"].notna()], "_wr")
    same_week = count(sp[sp["resolved_at"].notna() & (sp["_ws"] == sp["_wr"])], "_ws")
    out = pd.DataFrame({"carried_in": carried, "new": new, "resolved": resolved}).reset_index()
    out["open"] = (out["carried_in"] + out["new"] - out["resolved"]).groupby(out["_g"], dropna=False).cumsum()
    started_open = (carried + new - same_week).to_numpy()
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
    h, reports, _ = _history(history, as_of, policy, False)
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
    _, _, as_of = _history(history, as_of, policy, False)
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


def kaplan_meier(durations: Iterable[float], observed: Iterable[bool]) -> pd.DataFrame:
    """The Kaplan–Meier survival curve of "still open" over time.

    Parameters
    ----------
    durations : array of float
        Days from detection to resolution (observed) or to the as-of time (censored).
    observed : array of bool
        True when the issue was resolved, False when it is still open (censored).

    Returns
    -------
    DataFrame
        ``time, at_risk, events, censored, survival``: one row per distinct time, after a first
        row at time 0 with survival 1. Censored issues at a time are still at risk at that time.

    Examples
    --------
    >>> km = kaplan_meier([7, 7, 14, 21, 28], [True, False, True, True, False])
    >>> km[["time", "at_risk", "events", "survival"]].round(4).values.tolist()
    [[0.0, 5.0, 0.0, 1.0], [7.0, 5.0, 1.0, 0.8], [14.0, 3.0, 1.0, 0.5333], [21.0, 2.0, 1.0, 0.2667], \
[28.0, 1.0, 0.0, 0.2667]]
    """
    d = np.asarray(list(durations), dtype="float64")
    e = np.asarray(list(observed), dtype=bool)
    if d.shape != e.shape:
        raise ParameterError("durations and observed must have the same length")
    cols = ["time", "at_risk", "events", "censored", "survival"]
    if d.size == 0:
        return pd.DataFrame(columns=cols, dtype="float64")
    times, inv = np.unique(d, return_inverse=True)
    events = np.bincount(inv, weights=e.astype(float), minlength=len(times))
    total = np.bincount(inv, minlength=len(times)).astype(float)
    at_risk = total[::-1].cumsum()[::-1]
    surv = np.cumprod(1.0 - events / at_risk)
    out = pd.DataFrame(
        {"time": times, "at_risk": at_risk, "events": events, "censored": total - events, "survival": surv}
    )
    if times[0] > 0:
        out = pd.concat(
            [
                pd.DataFrame(
                    {"time": [0.0], "at_risk": [float(d.size)], "events": [0.0], "censored": [0.0], "survival": [1.0]}
                ),
                out,
            ],
            ignore_index=True,
        )
    return out.astype("float64")


def _km_time(curve: pd.DataFrame, q: float) -> float:
    """Smallest time by which a share ``q`` is resolved (survival <= 1 - q); NaN if never."""
    hit = curve[curve["survival"] <= 1.0 - q + 1e-12]
    return float(hit["time"].iloc[0]) if len(hit) else float("nan")


def remediation_survival(
    history: pd.DataFrame | None, as_of: Any = None, by: str | None = "severity", policy: DriftPolicy | None = None
) -> pd.DataFrame:
    """Kaplan–Meier curves of time to remediation, overall (``group`` = all) and per ``by`` value."""
    sp = issue_spells(history, as_of, policy)
    frames = []
    groups: list[tuple[str, pd.DataFrame]] = [("all", sp)]
    if by:
        groups += [(str(g), sp[sp[by] == g]) for g in _groups(by, sp[by] if len(sp) else pd.Series(dtype="str"))]
    for name, part in groups:
        km = kaplan_meier(part["duration_days"], ~part["open"])
        frames.append(km.assign(group=name))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.reindex(columns=["group", "time", "at_risk", "events", "censored", "survival"])


def time_to_remediation(
    history: pd.DataFrame | None, as_of: Any = None, by: str | None = "severity", policy: DriftPolicy | None = None
) -> pd.DataFrame:
    """Time to remediation from the Kaplan–Meier estimate (open issues censored at ``as_of``).

    Returns
    -------
    DataFrame
        ``group, issues, resolved, censored, median_days, p25_days, p75_days, p90_days,
        naive_mean_resolved_days``; ``pXX_days`` is the time by which XX % of issues are resolved
        according to the survival curve (NaN when the curve never gets there).
        ``naive_mean_resolved_days`` is the mean over resolved issues only, shown for contrast: it
        ignores everything still open and is biased low.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
    ...     "service": "s", "type": "x", "severity": ["high", "high", "low", "low"]})
    >>> time_to_remediation(h, "2025-01-20", by=None)[["issues", "resolved", "median_days"]].to_dict("records")
    [{'issues': 2, 'resolved': 1, 'median_days': 14.0}]
    """
    sp = issue_spells(history, as_of, policy)
    rows = []
    groups: list[tuple[str, pd.DataFrame]] = [("all", sp)]
    if by:
        groups += [(str(g), sp[sp[by] == g]) for g in _groups(by, sp[by] if len(sp) else pd.Series(dtype="str"))]
    for name, part in groups:
        km = kaplan_meier(part["duration_days"], ~part["open"])
        closed = part.loc[~part["open"], "duration_days"]
        rows.append(
            {
                "group": name,
                "issues": len(part),
                "resolved": int((~part["open"]).sum()),
                "censored": int(part["open"].sum()),
                "median_days": _km_time(km, 0.5) if len(km) else float("nan"),
                "p25_days": _km_time(km, 0.25) if len(km) else float("nan"),
                "p75_days": _km_time(km, 0.75) if len(km) else float("nan"),
                "p90_days": _km_time(km, 0.90) if len(km) else float("nan"),
                "naive_mean_resolved_days": float(closed.mean()) if len(closed) else float("nan"),
            }
        )
    return pd.DataFrame(rows).astype({"issues": "int64", "resolved": "int64", "censored": "int64"})


def slo_status(history: pd.DataFrame | None, as_of: Any = None, policy: DriftPolicy | None = None) -> pd.DataFrame:
    """Every open issue at ``as_of`` against its response-time SLO (high 7 d, medium 30 d, low 14 d).

    An issue is within its SLO while its age (``as_of`` minus the start of its spell) is below the
    SLO. Sorted: breaches first, then by severity, oldest first.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1]], "issue_id": ["A", "A", "B"],
    ...     "service": "s", "type": "x", "severity": ["high", "high", "low"]})
    >>> slo_status(h, "2025-01-13")[["issue_id", "age_days", "slo_days", "within_slo"]].values.tolist()
    [['A', 7.0, 7, False], ['B', 0.0, 14, True]]
    """
    policy = policy or DriftPolicy()
    sp = issue_spells(history, as_of, policy)
    _, _, as_of = _history(history, as_of, policy, False)
    o = sp[sp["open"]].copy()
    o["age_days"] = ((as_of - o["first_seen"]) / pd.Timedelta(days=1)).astype("float64") if len(o) else []
    o["slo_days"] = o["severity"].map(dict(policy.slo_days)).astype("int64")
    o["due"] = (o["first_seen"] + pd.to_timedelta(o["slo_days"], unit="D")).astype(UTC_TS)
    o["within_slo"] = (o["age_days"] < o["slo_days"]).astype(bool)
    o["overdue_days"] = (o["age_days"] - o["slo_days"]).clip(lower=0).astype("float64")
    o["_rank"] = o["severity"].map(_RANK)
    o = o.sort_values(["within_slo", "_rank", "age_days", "issue_id"], ascending=[True, True, False, True])
    cols = [
        "issue_id",
        "service",
        "type",
        "severity",
        "subject",
        "first_seen",
        "age_days",
        "slo_days",
        "due",
        "within_slo",
        "overdue_days",
    ]
    return o.reindex(columns=cols).reset_index(drop=True)


def _mixed_sources(history: pd.DataFrame | None, as_of: pd.Timestamp | None, days: int) -> str:
    """A note when the reports of the last ``days`` (and the one before) come from different tools."""
    if history is None or as_of is None or "source" not in history or history.empty:
        return ""
    r = history[["report_time", "source"]].dropna().drop_duplicates()
    r = r[r["report_time"] <= as_of].sort_values("report_time")
    lo = as_of - pd.Timedelta(days=days)
    inside = r[r["report_time"] > lo]
    before = r[r["report_time"] <= lo].tail(1)
    sources = sorted(set(pd.concat([before, inside])["source"].astype("str")))
    if len(sources) < 2:
        return ""
    return f"; the window mixes {' and '.join(sources)} reports, whose detectors differ: part of this is detector churn"


def _open_at(sp: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    return sp[(sp["first_seen"] <= t) & (sp["resolved_at"].isna() | (sp["resolved_at"] > t))]


def kpis(
    history: pd.DataFrame | None,
    as_of: Any = None,
    services: int | None = None,
    policy: DriftPolicy | None = None,
    window_days: int = 28,
) -> pd.DataFrame:
    """The runbook's drift KPIs (DRIFT_DETECTION) at ``as_of``, each against its target.

    Parameters
    ----------
    history : DataFrame
        Drift history, ideally including the current run (:func:`history_with_current`).
    services : int, optional
        Catalog size, for the detection rate (NaN without it).
    window_days : int
        Window for accumulation and resolution rates (issues per week over the last N days).

    Returns
    -------
    DataFrame
        ``kpi, label, value, unit, target, met, note``. KPIs: ``drift_detection_rate`` (share of
        services with an open issue; target < 10 %), ``mttr_high_days`` (Kaplan–Meier median time to
        remediation of high issues; target < 7), ``accumulation_rate`` and ``resolution_rate``
        (issues per week; resolution should keep up), ``net_change_per_month`` (relative change of
        open issues over 30 days; target <= -10 %), ``slo_compliance`` (share of open issues within
        their SLO).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-02-10"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[0], t[1], t[2]], "issue_id": ["A", "B", "A", "C"],
    ...     "service": ["s", "u", "s", "s"], "type": "x", "severity": ["high", "low", "high", "high"]})
    >>> k = kpis(h, "2025-02-10", services=10).set_index("kpi")
    >>> float(k.loc["drift_detection_rate", "value"]), float(k.loc["mttr_high_days", "value"])
    (0.1, 35.0)
    >>> bool(k.loc["drift_detection_rate", "met"]), bool(k.loc["mttr_high_days", "met"])
    (False, False)
    """
    policy = policy or DriftPolicy()
    sp = issue_spells(history, as_of, policy)
    _, reports, as_of = _history(history, as_of, policy, False)
    rows = []

    def add(kpi: str, label: str, value: float, unit: str, target: float | None, met: Any, note: str) -> None:
        rows.append(
            {"kpi": kpi, "label": label, "value": value, "unit": unit, "target": target, "met": met, "note": note}
        )

    nan = float("nan")
    open_now = _open_at(sp, as_of) if as_of is not None else sp.iloc[0:0]
    n_with = int(open_now["service"].nunique())
    rate = round(n_with / services, 4) if services else nan
    add(
        "drift_detection_rate",
        "Drift detection rate",
        rate,
        "share",
        policy.detection_rate_target,
        pd.NA if math.isnan(rate) else rate < policy.detection_rate_target,
        f"{n_with} of {services if services else '?'} services have open drift",
    )
    high = sp[sp["severity"] == "high"]
    km = kaplan_meier(high["duration_days"], ~high["open"])
    mttr = _km_time(km, 0.5) if len(km) else nan
    add(
        "mttr_high_days",
        "MTTR, high severity (KM median)",
        mttr,
        "days",
        policy.mttr_high_target_days,
        pd.NA if math.isnan(mttr) else mttr < policy.mttr_high_target_days,
        f"{len(high)} high spells, {int(high['open'].sum())} still open (censored)"
        + ("; median not reached" if len(high) and math.isnan(mttr) else ""),
    )
    weeks = window_days / 7.0
    lo = as_of - pd.Timedelta(days=window_days) if as_of is not None else None
    mixed = _mixed_sources(history, as_of, max(window_days, 30))
    if lo is not None and len(reports) and reports[0] <= lo:
        new = int(((sp["first_seen"] > lo) & (sp["first_seen"] <= as_of) & ~sp["carried_in"]).sum())
        res = int(((sp["resolved_at"] > lo) & (sp["resolved_at"] <= as_of)).sum())
        acc_v, res_v = round(new / weeks, 4), round(res / weeks, 4)
        note = f"{new} new and {res} resolved in the last {window_days} days{mixed}"
    else:
        acc_v = res_v = nan
        note = f"history shorter than {window_days} days"
    add("accumulation_rate", "Accumulation rate", acc_v, "issues/week", None, pd.NA, note)
    add(
        "resolution_rate",
        "Resolution rate",
        res_v,
        "issues/week",
        acc_v,
        pd.NA if math.isnan(res_v) else res_v >= acc_v,
        "target: resolve at least as many as accumulate",
    )
    month = as_of - pd.Timedelta(days=30) if as_of is not None else None
    if month is not None and len(reports) and reports[0] <= month:
        before = len(_open_at(sp, month))
        now = len(open_now)
        net = round((now - before) / before, 4) if before else nan
        note = f"{before} open 30 days earlier, {now} open now{mixed}"
    else:
        net, note = nan, "history shorter than 30 days"
    add(
        "net_change_per_month",
        "Net change of open issues per month",
        net,
        "share",
        policy.net_change_target,
        pd.NA if math.isnan(net) else net <= policy.net_change_target,
        note,
    )
    slo = slo_status(history, as_of, policy) if as_of is not None else pd.DataFrame(columns=["within_slo"])
    share = round(float(slo["within_slo"].mean()), 4) if len(slo) else nan
    add(
        "slo_compliance",
        "Open issues within response SLO",
        share,
        "share",
        None,
        pd.NA,
        f"{int(slo['within_slo'].sum()) if len(slo) else 0} of {len(slo)} open issues within SLO",
    )
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype("float64")
    out["target"] = pd.to_numeric(out["target"], errors="coerce").astype("float64")
    out["met"] = out["met"].astype("boolean")
    return out
