"""Time to remediation (Kaplan–Meier), response-time SLOs and the runbook's drift KPIs.

Works on ``drift_history`` rows through the spells of :mod:`meta254lib.drift.history`: issues still
open at ``as_of`` are censored there, so no estimate ignores what is not resolved yet. An issue that
went away only because the next report came from another detector (``end_reason`` ``detector_change``)
is not a remediation: it is censored where it went away, and the KPIs over a window whose reports
come from more than one detector are not judged (``mixed_sources``).

Examples
--------
>>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
>>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
>>> time_to_remediation(h, "2025-01-20", by=None)["median_days"].tolist()
[14.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import UTC_TS
from ..core.severity import SEVERITY_RANK
from .history import group_values, issue_spells, prepare_history
from .policy import DriftPolicy

__all__ = ["kaplan_meier", "kpis", "remediation_survival", "slo_status", "time_to_remediation"]


_NAN = float("nan")


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


def _spell_groups(sp: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    """The spells overall (``all``), then per value of the column ``by``."""
    groups: list[tuple[str, pd.DataFrame]] = [("all", sp)]
    if by:
        groups += [(str(g), sp[sp[by] == g]) for g in group_values(by, sp[by] if len(sp) else pd.Series(dtype="str"))]
    return groups


def remediation_survival(
    history: pd.DataFrame | None, as_of: Any = None, by: str | None = "severity", policy: DriftPolicy | None = None
) -> pd.DataFrame:
    """Kaplan–Meier curves of time to remediation, overall (``group`` = all) and per ``by`` value."""
    sp = issue_spells(history, as_of, policy)
    frames = []
    for name, part in _spell_groups(sp, by):
        km = kaplan_meier(part["duration_days"], part["end_reason"] == "resolved")
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
        ``group, issues, resolved, censored, detector_change, median_days, p25_days, p75_days, p90_days,
        naive_mean_resolved_days``; ``censored`` counts the issues still open and those that went away
        on a detector change (``detector_change``, counted apart too); ``pXX_days`` is the time by
        which XX % of issues are resolved according to the survival curve (NaN when never).
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
    for name, part in _spell_groups(sp, by):
        fixed = (part["end_reason"] == "resolved").to_numpy()
        km = kaplan_meier(part["duration_days"], fixed)
        closed = part.loc[fixed, "duration_days"]
        rows.append(
            {
                "group": name,
                "issues": len(part),
                "resolved": int(fixed.sum()),
                "censored": int((~fixed).sum()),
                "detector_change": int((part["end_reason"] == "detector_change").sum()),
                "median_days": _km_time(km, 0.5) if len(km) else float("nan"),
                "p25_days": _km_time(km, 0.25) if len(km) else float("nan"),
                "p75_days": _km_time(km, 0.75) if len(km) else float("nan"),
                "p90_days": _km_time(km, 0.90) if len(km) else float("nan"),
                "naive_mean_resolved_days": float(closed.mean()) if len(closed) else float("nan"),
            }
        )
    return pd.DataFrame(rows).astype(
        {"issues": "int64", "resolved": "int64", "censored": "int64", "detector_change": "int64"}
    )


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
    _, _, as_of = prepare_history(history, as_of, policy, False)
    o = sp[sp["open"]].copy()
    o["age_days"] = ((as_of - o["first_seen"]) / pd.Timedelta(days=1)).astype("float64") if len(o) else []
    o["slo_days"] = o["severity"].map(dict(policy.slo_days)).astype("int64")
    o["due"] = (o["first_seen"] + pd.to_timedelta(o["slo_days"], unit="D")).astype(UTC_TS)
    o["within_slo"] = (o["age_days"] < o["slo_days"]).astype(bool)
    o["overdue_days"] = (o["age_days"] - o["slo_days"]).clip(lower=0).astype("float64")
    o["_rank"] = o["severity"].map(SEVERITY_RANK)
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


def _window_sources(history: pd.DataFrame | None, as_of: pd.Timestamp | None, days: int) -> list[str]:
    """The detectors (``source``) of the reports of the last ``days`` and of the one before them."""
    if history is None or as_of is None or "source" not in history or history.empty:
        return []
    r = history[["report_time", "source"]].dropna().drop_duplicates()
    r = r[r["report_time"] <= as_of].sort_values("report_time")
    lo = as_of - pd.Timedelta(days=days)
    inside = r[r["report_time"] > lo]
    before = r[r["report_time"] <= lo].tail(1)
    return sorted(set(pd.concat([before, inside])["source"].astype("str")))


def _mixed_note(sources: list[str]) -> str:
    """A note when a window's reports come from more than one detector (empty otherwise)."""
    if len(sources) < 2:
        return ""
    return (
        f"; mixed sources: the window mixes {' and '.join(sources)} reports, whose detectors differ "
        "(issues that came or went with the detector are not counted as new or resolved); not judged"
    )


def _open_at(sp: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """The spells open at time ``t``."""
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
        ``kpi, label, value, unit, target, met, mixed_sources, note``. ``mixed_sources`` marks the
        window KPIs whose window mixes reports of two detectors: their ``met`` is NA (not judged).
        KPIs: ``drift_detection_rate`` (share of
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
    _, reports, as_of = prepare_history(history, as_of, policy, False)
    open_now = _open_at(sp, as_of) if as_of is not None else sp.iloc[0:0]
    mixed = _mixed_note(_window_sources(history, as_of, max(window_days, 30)))
    rows = [
        _detection_rate(open_now, services, policy),
        _mttr_high(sp, policy),
        *_flow_rates(sp, reports, as_of, window_days, mixed),
        _net_change(sp, reports, as_of, len(open_now), mixed, policy),
        _slo_compliance(history, as_of, policy),
    ]
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype("float64")
    out["target"] = pd.to_numeric(out["target"], errors="coerce").astype("float64")
    window = out["kpi"].isin(["accumulation_rate", "resolution_rate", "net_change_per_month"]).to_numpy()
    out.insert(6, "mixed_sources", window & bool(mixed))
    out["met"] = out["met"].astype("boolean").mask(out["mixed_sources"], pd.NA)
    return out


def _kpi(kpi: str, label: str, value: float, unit: str, target: float | None, met: Any, note: str) -> dict[str, Any]:
    """One row of the :func:`kpis` frame."""
    return {"kpi": kpi, "label": label, "value": value, "unit": unit, "target": target, "met": met, "note": note}


def _detection_rate(open_now: pd.DataFrame, services: int | None, policy: DriftPolicy) -> dict[str, Any]:
    """``drift_detection_rate``: share of the catalog's services with an open issue."""
    n_with = int(open_now["service"].nunique())
    rate = round(n_with / services, 4) if services else _NAN
    return _kpi(
        "drift_detection_rate",
        "Drift detection rate",
        rate,
        "share",
        policy.detection_rate_target,
        pd.NA if math.isnan(rate) else rate < policy.detection_rate_target,
        f"{n_with} of {services if services else '?'} services have open drift",
    )


def _mttr_high(sp: pd.DataFrame, policy: DriftPolicy) -> dict[str, Any]:
    """``mttr_high_days``: Kaplan–Meier median time to remediation of high spells."""
    high = sp[sp["severity"] == "high"]
    km = kaplan_meier(high["duration_days"], high["end_reason"] == "resolved")
    churn = int((high["end_reason"] == "detector_change").sum())
    mttr = _km_time(km, 0.5) if len(km) else _NAN
    return _kpi(
        "mttr_high_days",
        "MTTR, high severity (KM median)",
        mttr,
        "days",
        policy.mttr_high_target_days,
        pd.NA if math.isnan(mttr) else mttr < policy.mttr_high_target_days,
        f"{len(high)} high spells, {int(high['open'].sum())} still open (censored)"
        + (f", {churn} gone on a detector change (censored)" if churn else "")
        + ("; median not reached" if len(high) and math.isnan(mttr) else ""),
    )


def _flow_rates(
    sp: pd.DataFrame, reports: pd.DatetimeIndex, as_of: pd.Timestamp | None, window_days: int, mixed: str
) -> list[dict[str, Any]]:
    """``accumulation_rate`` and ``resolution_rate``: new and resolved issues per week over the window."""
    weeks = window_days / 7.0
    lo = as_of - pd.Timedelta(days=window_days) if as_of is not None else None
    if lo is not None and len(reports) and reports[0] <= lo:
        came = (sp["first_seen"] > lo) & (sp["first_seen"] <= as_of)
        went = (sp["resolved_at"] > lo) & (sp["resolved_at"] <= as_of)
        new = int((came & (sp["start_reason"] == "new")).sum())
        res = int((went & (sp["end_reason"] == "resolved")).sum())
        d_in = int((came & (sp["start_reason"] == "detector_change")).sum())
        d_out = int((went & (sp["end_reason"] == "detector_change")).sum())
        acc_v, res_v = round(new / weeks, 4), round(res / weeks, 4)
        note = f"{new} new and {res} resolved in the last {window_days} days"
        if d_in or d_out:
            note += f"; {d_in} appeared and {d_out} went away on a detector change (not counted)"
        note += mixed
    else:
        acc_v = res_v = _NAN
        note = f"history shorter than {window_days} days"
    return [
        _kpi("accumulation_rate", "Accumulation rate", acc_v, "issues/week", None, pd.NA, note),
        _kpi(
            "resolution_rate",
            "Resolution rate",
            res_v,
            "issues/week",
            acc_v,
            pd.NA if math.isnan(res_v) else res_v >= acc_v,
            "target: resolve at least as many as accumulate",
        ),
    ]


def _net_change(
    sp: pd.DataFrame,
    reports: pd.DatetimeIndex,
    as_of: pd.Timestamp | None,
    now: int,
    mixed: str,
    policy: DriftPolicy,
) -> dict[str, Any]:
    """``net_change_per_month``: relative change of the open issues over the last 30 days."""
    month = as_of - pd.Timedelta(days=30) if as_of is not None else None
    if month is not None and len(reports) and reports[0] <= month:
        before = len(_open_at(sp, month))
        net = round((now - before) / before, 4) if before else _NAN
        note = f"{before} open 30 days earlier, {now} open now{mixed}"
    else:
        net, note = _NAN, "history shorter than 30 days"
    return _kpi(
        "net_change_per_month",
        "Net change of open issues per month",
        net,
        "share",
        policy.net_change_target,
        pd.NA if math.isnan(net) else net <= policy.net_change_target,
        note,
    )


def _slo_compliance(history: pd.DataFrame | None, as_of: pd.Timestamp | None, policy: DriftPolicy) -> dict[str, Any]:
    """``slo_compliance``: share of the open issues within their response SLO."""
    slo = slo_status(history, as_of, policy) if as_of is not None else pd.DataFrame(columns=["within_slo"])
    share = round(float(slo["within_slo"].mean()), 4) if len(slo) else _NAN
    return _kpi(
        "slo_compliance",
        "Open issues within response SLO",
        share,
        "share",
        None,
        pd.NA,
        f"{int(slo['within_slo'].sum()) if len(slo) else 0} of {len(slo)} open issues within SLO",
    )
