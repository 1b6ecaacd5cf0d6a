"""The side inputs of the weighted impact: latest quality scores and open drift counts, as of a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.clock import history_cutoff, to_utc
from ..core.schema import SCORE, SERVICE

if TYPE_CHECKING:
    from ..workspace.heads import HistoryHeads
    from ..workspace.workspace import Workspace

__all__ = ["drift_as_of", "drift_counts", "latest_quality", "quality_as_of"]


def latest_quality(quality_history: pd.DataFrame | None, as_of: Any = None) -> pd.Series:
    """Scores of the newest quality snapshot written by the end of ``as_of``'s day (all snapshots when None).

    Parameters
    ----------
    quality_history : DataFrame or None
        :data:`~meta254lib.core.schema.QUALITY_HISTORY` rows (``snapshot_time``, ``service``, ``score``).
    as_of : timestamp-like, optional

    Returns
    -------
    pandas.Series
        service → score (``Float64``) of that one snapshot, sorted by service; empty when there is none.

    Examples
    --------
    >>> h = pd.DataFrame({"snapshot_time": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01"], utc=True),
    ...                   "service": ["a", "a", "b"], "score": [80.0, 90.0, 70.0]})
    >>> latest_quality(h).to_dict(), latest_quality(h, as_of="2025-01-15").to_dict()
    ({'a': 90.0, 'b': 70.0}, {'a': 80.0})
    """
    empty = pd.Series([], dtype="Float64", name=SCORE, index=pd.Index([], name=SERVICE, dtype=object))
    if quality_history is None or len(quality_history) == 0:
        return empty
    h = quality_history.dropna(subset=["snapshot_time"])
    if as_of is not None:
        h = h[h["snapshot_time"] <= history_cutoff(as_of)]
    if len(h) == 0:
        return empty
    newest = h[h["snapshot_time"] == h["snapshot_time"].max()]
    s = newest.drop_duplicates(SERVICE, keep="last").set_index(SERVICE)[SCORE].astype("Float64")
    s.index = pd.Index(s.index.astype(object), name=SERVICE, dtype=object)
    return s.sort_index()


def drift_counts(drift_issues: pd.DataFrame | None, as_of: Any = None) -> pd.Series | None:
    """Open drift issues per service, from a drift run or from the drift report history.

    Parameters
    ----------
    drift_issues : DataFrame or None
        Either the issues of a drift run (:data:`~meta254lib.core.schema.DRIFT_ISSUES`, ``detect_drift(ws).issues``):
        every row counts; or :data:`~meta254lib.core.schema.DRIFT_HISTORY` rows (they have ``report_time``):
        only the newest report at or before ``as_of`` counts. Rows marked ``exempt`` never count.
    as_of : timestamp-like, optional
        Only used with history rows.

    Returns
    -------
    pandas.Series or None
        service → count (``int64``), sorted by service; None when there is nothing to count from, so the
        weight's drift term is left out rather than taken as zero.

    Examples
    --------
    >>> h = pd.DataFrame({"report_time": pd.to_datetime(["2025-01-01"] * 3, utc=True),
    ...                   "service": ["a", "a", "b"], "exempt": [pd.NA, pd.NA, True]})
    >>> drift_counts(h).to_dict()
    {'a': 2}
    >>> drift_counts(pd.DataFrame({"service": ["b", "a", "b"], "exempt": [False, False, False]})).to_dict()
    {'a': 1, 'b': 2}
    """
    if drift_issues is None:
        return None
    h = drift_issues
    if "report_time" in h.columns:
        if len(h) == 0:
            return None
        h = h.dropna(subset=["report_time"])
        if as_of is not None:
            h = h[h["report_time"] <= to_utc(as_of)]
        if len(h) == 0:
            return None
        h = h[h["report_time"] == h["report_time"].max()]
    if "exempt" in h.columns:
        h = h[~h["exempt"].astype("boolean").fillna(False).astype(bool)]
    counts = h.groupby(h[SERVICE].astype(object)).size().astype("int64")
    counts.index = pd.Index(counts.index, name=SERVICE, dtype=object)
    return counts.sort_index()


def quality_as_of(
    ws: Workspace, heads: HistoryHeads | None, when: pd.Timestamp
) -> tuple[pd.Series, str | None, list[str]]:
    """Scores of the newest snapshot by the end of ``when``'s day, its time, and notes.

    From ``heads`` (:meth:`~meta254lib.workspace.workspace.Workspace.history_heads`) when the answer lies in
    them (no snapshot at all, the newest one, or none yet), else from the full history; the same
    values either way.

    Parameters
    ----------
    ws : Workspace
    heads : HistoryHeads or None
        The newest history rows of ``ws`` (None: read the full history).
    when : pandas.Timestamp
        The as-of time (UTC).

    Returns
    -------
    tuple
        The scores (:func:`latest_quality`), the ISO time of the snapshot used (None when none), and
        notes on what is missing.
    """
    cutoff = history_cutoff(when)
    times = heads.snapshot_times if heads is not None else None
    if times is not None and (not times or cutoff >= times[-1] or cutoff < times[0]):
        if times and cutoff >= times[-1]:
            return latest_quality(heads.quality, when), times[-1].isoformat(), []
        quality = latest_quality(heads.quality.iloc[:0])
        first = times[0].isoformat() if times else None
    else:
        qh = ws.quality_history
        quality = latest_quality(qh, when)
        if len(quality):
            return quality, qh.loc[qh["snapshot_time"] <= cutoff, "snapshot_time"].max().isoformat(), []
        first = qh["snapshot_time"].min().isoformat() if len(qh) and qh["snapshot_time"].notna().any() else None
    if first is not None:
        note = f"no quality snapshot by the end of the as_of day; the earliest is {first}: quality scores are NA"
    else:
        note = "no quality snapshot in the workspace: quality scores are NA"
    return quality, None, [note]


def drift_as_of(ws: Workspace, heads: HistoryHeads | None, when: pd.Timestamp) -> pd.Series | None:
    """:func:`drift_counts` of ``ws.drift_history`` as of ``when``, from ``heads`` when they hold the answer.

    Parameters
    ----------
    ws, heads, when
        As for :func:`quality_as_of`.

    Returns
    -------
    pandas.Series or None
        service → open drift issues; None when no report is as old as ``when``.
    """
    times = heads.report_times if heads is not None else None
    if times is None or (times and times[0] <= when < times[-1]):
        return drift_counts(ws.drift_history, when) if len(ws.drift_history) else None
    if not times or when < times[0]:
        return None
    counts = heads.drift_counts
    out = pd.Series(
        counts["issues"].to_numpy(dtype="int64"),
        index=pd.Index(counts[SERVICE].tolist(), name=SERVICE, dtype=object),
    )
    return out.sort_index()
