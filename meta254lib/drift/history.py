"""Drift history: the history table with the current run, its filtering, and issue spells.

Works on ``drift_history`` rows (:data:`~meta254lib.core.schema.DRIFT_HISTORY`), from platform and
meta254 reports alike, matched by issue id. Every function takes an explicit ``as_of``: reports
after it are ignored and issues still open are censored at it (default: the last report).

A *spell* is one uninterrupted run of an issue id over successive reports; it is resolved at the
first later report without the id, when that report comes from the same detector (``source``:
``platform`` or ``meta254``). When the report without it comes from another detector, the spell ends
by a *detector change* instead: the other tool may simply never look for that issue (the platform's
``shared_dependency`` rows, for one), so this is no remediation; likewise a spell that starts at a
report whose detector differs from the report before. Exempt rows are not part of the backlog. Weekly flow and
backlog are in :mod:`~meta254lib.drift.flow`; time to remediation, SLOs and KPIs in
:mod:`~meta254lib.drift.kpis`.

Examples
--------
>>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
>>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
>>> issue_spells(h, "2025-01-20")[["issue_id", "open", "duration_days"]].values.tolist()
[['A', False, 14.0], ['B', True, 7.0]]
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd

from ..core.clock import resolve_as_of, to_utc_index
from ..core.errors import ParameterError
from ..core.schema import DRIFT_HISTORY, UTC_TS
from ..core.severity import SEVERITIES, SEVERITY_RANK
from .engine import DriftResult
from .frames import text_col
from .policy import DriftPolicy
from .reportfile import drift_report_filename

__all__ = [
    "END_REASONS",
    "SPELL_COLUMNS",
    "START_REASONS",
    "filter_history",
    "group_values",
    "history_with_current",
    "issue_spells",
    "prepare_history",
    "report_sources",
]

#: The columns of :func:`issue_spells`.
SPELL_COLUMNS: tuple[str, ...] = (
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
    "start_reason",
    "end_reason",
)

#: Values of the spells' ``start_reason`` and ``end_reason`` columns.
START_REASONS: tuple[str, ...] = ("carried_in", "new", "detector_change")
END_REASONS: tuple[str, ...] = ("open", "resolved", "detector_change")


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
    # each part takes the schema's dtypes before the concat: concatenating mixed parts first falls back to
    # object columns and the cast afterwards costs seconds at 10,000 services (0.015 s this way)
    cols, dtypes = list(DRIFT_HISTORY.columns), dict(DRIFT_HISTORY.dtypes.items())
    parts = [f.reindex(columns=cols).astype(dtypes) for f in frames]
    return pd.concat(parts, ignore_index=True)


def _markers(history: pd.DataFrame) -> pd.DataFrame:
    """One row per report with no issue (``issue_id`` NA): the report calendar survives filtering."""
    cols = [c for c in ("report", "report_time", "source") if c in history.columns]
    markers = history[cols].drop_duplicates("report_time").reindex(columns=history.columns)
    # the history's own dtypes where they hold NA (numpy ints and bools do not): a concat of Arrow strings
    # with all-NA object columns costs seconds
    keep = {c: d for c, d in history.dtypes.items() if not (isinstance(d, np.dtype) and d.kind in "biu")}
    return markers.astype(keep)


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
    # one mask, one take: each boolean index copies every column of a history of half a million rows
    keep = history["issue_id"].notna()
    if services is not None:
        keep &= history["service"].isin(list(services))
    if issue_ids is not None:
        keep &= history["issue_id"].isin(list(issue_ids))
    if severity_floor:
        floor = str(severity_floor).strip().lower()
        if floor not in SEVERITY_RANK:
            raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
        keep &= history["severity"].map(SEVERITY_RANK).fillna(len(SEVERITIES)) <= SEVERITY_RANK[floor]
    return pd.concat([history[keep.to_numpy(dtype=bool, na_value=False)], _markers(history)], ignore_index=True)


def prepare_history(
    history: pd.DataFrame | None, as_of: Any, policy: DriftPolicy | None, include_exempt: bool
) -> tuple[pd.DataFrame, pd.DatetimeIndex, pd.Timestamp | None]:
    """The issue rows of ``history`` up to ``as_of``, the report calendar, and the resolved ``as_of``.


    Report markers only add to the calendar; exempt rows are dropped unless ``include_exempt``;

    severities other than high/medium/low take the policy severity of their type (else medium).

    Without ``as_of`` it is the last report.

    """
    policy = policy or DriftPolicy()
    cols = ["report_time", "issue_id", "service", "type", "severity", "subject", "exempt"]
    if history is None or history.empty:
        return (
            pd.DataFrame(columns=cols),
            pd.DatetimeIndex([], tz="UTC"),
            (resolve_as_of(as_of) if as_of is not None else None),
        )
    h = history.reindex(columns=cols)
    times = h["report_time"]
    keep = h["issue_id"].notna()  # report markers only carry the report calendar
    if as_of is not None:
        as_of = resolve_as_of(as_of)
        in_window = times <= as_of
        times, keep = times[in_window], keep & in_window
    reports = to_utc_index(sorted(times.dropna().unique()))
    if as_of is None:
        as_of = reports[-1] if len(reports) else None
    if not include_exempt:
        keep &= ~h["exempt"].astype("boolean").fillna(False).astype(bool)
    # one mask, one take: each boolean index copies every column of a history of a million rows
    h = h[keep] if not keep.all() else h
    sev = h["severity"].astype("str")
    levels = {
        t: (policy.level(t) if policy.level(t) in SEVERITY_RANK else "medium") for t in h["type"].unique().tolist()
    }
    sev = sev.where(sev.isin(list(SEVERITIES)), h["type"].map(levels))
    h = h.assign(severity=sev.astype("str"), subject=text_col(h["subject"]))
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
        open, carried_in, duration_days, start_reason, end_reason`` sorted by first_seen, issue_id.
        ``carried_in`` marks spells present in the first report (their true start is unknown).
        ``resolved_at`` is the first report without the issue, whatever its detector; ``end_reason``
        says ``resolved`` only when that report comes from the same detector (``source``) as the last
        report with it, ``detector_change`` otherwise, ``open`` while it lasts; ``start_reason`` is
        ``carried_in``, ``new`` or ``detector_change`` (the report before is another detector's).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"], utc=True)
    >>> h = pd.DataFrame({"report_time": [t[0], t[1], t[1], t[2]], "issue_id": ["A", "A", "B", "B"],
    ...     "service": "s", "type": "spec_minor_lag", "severity": "medium"})
    >>> issue_spells(h, "2025-01-27")[["issue_id", "resolved_at", "open", "duration_days"]].values.tolist()
    [['A', Timestamp('2025-01-20 00:00:00+0000', tz='UTC'), False, 14.0], ['B', NaT, True, 14.0]]

    The third report from another detector: A's end is a detector change, not a remediation.

    >>> issue_spells(h.assign(source=["platform"] * 3 + ["meta254"]))[["issue_id", "end_reason"]].values.tolist()
    [['A', 'detector_change'], ['B', 'open']]
    """
    key = (id(history), id(policy), str(as_of), include_exempt)
    hit = _SPELLS_MEMO.get(key)
    if hit is not None and hit[0]() is history and hit[1] is policy and hit[2] == _shape(history):
        return hit[3].copy()
    h, reports, as_of = prepare_history(history, as_of, policy, include_exempt)
    if h.empty:
        return _no_spells()
    out = _spell_frame(_spell_runs(h, reports), reports, as_of, report_sources(history, reports))
    if history is not None:
        if len(_SPELLS_MEMO) >= _SPELLS_MEMO_SIZE:
            _SPELLS_MEMO.pop(next(iter(_SPELLS_MEMO)))
        _SPELLS_MEMO[key] = (weakref.ref(history), policy, _shape(history), out)
    return out.copy()


#: The last spells computed, by (history, policy, as_of, include_exempt): a drift page asks for the spells
#: of one history seven times (backlog, flow, age, survival, time to remediation, KPIs, SLOs), 2-3 s each
#: at 10,000 services. A hit needs the same history object, still alive, with the same shape; histories
#: are not edited in place anywhere in meta254 (filters return new frames).
_SPELLS_MEMO: dict[tuple[int, int, str, bool], tuple[Any, Any, tuple[Any, ...], pd.DataFrame]] = {}
_SPELLS_MEMO_SIZE = 4


def _shape(history: pd.DataFrame) -> tuple[Any, ...]:
    """What a memo hit checks besides identity: rows, columns and the last report time."""
    last = history["report_time"].iloc[-1] if "report_time" in history.columns and len(history) else None
    return (len(history), tuple(history.columns), str(last))


def report_sources(history: pd.DataFrame | None, reports: pd.DatetimeIndex) -> np.ndarray:
    """The detector (``source`` column: ``platform``, ``meta254``) of each report time; None when unknown.

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-06", "2025-01-13"], utc=True)
    >>> report_sources(pd.DataFrame({"report_time": t, "source": ["platform", "meta254"]}), t).tolist()
    ['platform', 'meta254']
    """
    out = np.full(len(reports), None, dtype=object)
    if history is None or "source" not in history.columns or not len(reports):
        return out
    r = history[["report_time", "source"]].dropna().drop_duplicates("report_time")
    pos = reports.get_indexer(pd.DatetimeIndex(pd.to_datetime(r["report_time"], utc=True)))
    ok = pos >= 0
    out[pos[ok]] = r["source"].astype("str").to_numpy()[ok]
    return out


def _switched(sources: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Whether report ``before[k]`` and report ``after[k]`` come from two different known detectors."""
    a, b = sources[before], sources[after]
    return np.array([x is not None and y is not None and x != y for x, y in zip(a, b, strict=True)], dtype=bool)


def _no_spells() -> pd.DataFrame:
    """An empty :func:`issue_spells` frame, with its dtypes."""
    out = pd.DataFrame({c: pd.Series([], dtype="str") for c in SPELL_COLUMNS})
    for c in ("first_seen", "last_seen", "resolved_at"):
        out[c] = out[c].astype(UTC_TS)
    return out.astype({"spell": "int64", "open": "bool", "carried_in": "bool", "duration_days": "float64"})


def _spell_runs(h: pd.DataFrame, reports: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per spell: its issue's last attributes and the first (``_s``) and last (``_e``) report index.

    Spells are ordered by issue id, then report; an issue listed twice in one report counts once (its
    later row). The attributes are each column's last non-missing value within the spell. Worked out on
    row positions (one sort of two integer keys), so only the rows that end a spell are copied: the
    frame-wide sort and group-by took 0.7 s per call on a history of a million rows.
    """
    r_all = reports.get_indexer(h["report_time"]).astype(np.int64)
    codes, _ = pd.factorize(h["issue_id"], sort=True)  # code order is the ids' sorted order
    order = np.lexsort((r_all, codes))  # stable: rows of one issue and report keep their order
    c, r = codes[order], r_all[order]
    last = np.ones(len(order), dtype=bool)  # drop_duplicates(keep="last") on (issue, report)
    last[:-1] = (c[1:] != c[:-1]) | (r[1:] != r[:-1])
    order, c, r = order[last], c[last], r[last]
    start = np.ones(len(order), dtype=bool)
    start[1:] = (c[1:] != c[:-1]) | (r[1:] != r[:-1] + 1)
    first_at = np.flatnonzero(start)
    end_at = np.append(first_at[1:] - 1, len(order) - 1) if len(order) else first_at
    index = pd.RangeIndex(1, len(first_at) + 1, name="_spell")
    out = {"issue_id": h["issue_id"].iloc[order[first_at]].set_axis(index)}
    for col in ("service", "type", "severity", "subject"):
        out[col] = _last_present(h[col], order, first_at, end_at).set_axis(index)
    out["_s"], out["_e"] = r[first_at], r[end_at]
    return pd.DataFrame(out, index=index)


def _last_present(col: pd.Series, order: np.ndarray, first_at: np.ndarray, end_at: np.ndarray) -> pd.Series:
    """Per spell, the last non-missing value of ``col`` over its rows (``order``), else missing."""
    present = col.notna().to_numpy()[order]
    pos = np.where(present, np.arange(len(order)), -1)
    latest = np.maximum.accumulate(pos) if len(pos) else pos  # the last present row up to each row
    at_end = latest[end_at]
    ok = at_end >= first_at  # a present row inside the spell
    rows = order[np.where(ok, at_end, end_at)]
    vals = col.iloc[rows]
    return vals.where(ok) if not ok.all() else vals


def _spell_frame(
    agg: pd.DataFrame, reports: pd.DatetimeIndex, as_of: pd.Timestamp, sources: np.ndarray
) -> pd.DataFrame:
    """The spell runs dated by the report calendar: seen, resolved, open, duration, start and end reasons."""
    n = len(reports)
    s_idx, e_idx = agg["_s"].to_numpy(), agg["_e"].to_numpy()
    first = reports[s_idx]
    last = reports[e_idx]
    nxt = e_idx + 1
    nxt_ok = nxt < n
    resolved = pd.Series(pd.NaT, index=agg.index, dtype=UTC_TS)
    resolved[nxt_ok] = reports[nxt[nxt_ok]]
    is_open = nxt >= n
    end = resolved.where(~is_open, as_of)
    switched_out = _switched(sources, e_idx, np.minimum(nxt, n - 1)) & nxt_ok
    switched_in = _switched(sources, np.maximum(s_idx - 1, 0), s_idx) & (s_idx > 0)
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
            "carried_in": s_idx == 0,
            "duration_days": (
                (end.astype(UTC_TS) - pd.Series(first, index=agg.index).astype(UTC_TS)) / pd.Timedelta(days=1)
            ).astype("float64"),
            "start_reason": np.where(s_idx == 0, "carried_in", np.where(switched_in, "detector_change", "new")),
            "end_reason": np.where(is_open, "open", np.where(switched_out, "detector_change", "resolved")),
        }
    )
    out = out.astype({"start_reason": "str", "end_reason": "str"})
    out = out.sort_values(["first_seen", "issue_id"], kind="mergesort").reset_index(drop=True)
    out.insert(1, "spell", out.groupby("issue_id").cumcount().astype("int64") + 1)
    return out


def group_values(by: str | None, values: pd.Series) -> list[Any]:
    """The groups of a split ``by`` a spell column: severities in runbook order, else the sorted values."""
    if by is None:
        return [None]
    if by == "severity":
        return list(SEVERITIES)
    return sorted(values.dropna().unique())
