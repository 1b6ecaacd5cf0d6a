"""The weekly cells of a trend window: the last scored snapshot of each (service, week), and the pairs of
consecutive weekly scores of each service (a pair across a missing week spans that gap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import SCORE, SERVICE
from .attribution import score_columns
from .labels import str_take
from .params import ScoringParams
from .scores import score_history
from .window import WEEK, to_us, week_of

__all__ = ["ScoredWindow", "WeekPairs", "WeeklyCells", "score_window", "week_pairs", "weekly_cells"]


@dataclass(frozen=True)
class ScoredWindow:
    """The snapshots of a window, scored, with their times and service codes as arrays.

    ``frame`` is :func:`~meta254lib.quality.scores.score_history` output ordered by time, service;
    ``cols`` its score columns as float arrays; ``t_us`` the snapshot times and ``end_us`` the window
    end in microseconds; ``codes`` index ``names`` (sorted service names).
    """

    frame: pd.DataFrame
    cols: Mapping[str, np.ndarray]
    unclamped: np.ndarray
    t_us: np.ndarray
    end_us: np.int64
    codes: np.ndarray
    names: np.ndarray


@dataclass(frozen=True)
class WeeklyCells:
    """Services x weeks of a window: which scored row is each service's last snapshot of each week.

    ``idx`` holds the row (-1: no snapshot that week), ``scores`` and ``x`` (time in weeks before the
    end) the values (NaN: none). ``cw``, ``cs``, ``rows`` list the present cells by week, then service.
    ``snapshots`` counts the snapshots of each week.
    """

    names: np.ndarray
    labels: Any
    idx: np.ndarray
    present: np.ndarray
    scores: np.ndarray
    x: np.ndarray
    cw: np.ndarray
    cs: np.ndarray
    rows: np.ndarray
    cell_scores: np.ndarray
    snapshots: np.ndarray


@dataclass(frozen=True)
class WeekPairs:
    """Consecutive weekly scores of a service, ordered by week, then service.

    ``service`` is the row in the cells, ``week`` the later week and ``prev`` the earlier one;
    ``before``/``after`` the scored rows and ``score_from``/``score_to`` the scores.
    """

    service: np.ndarray
    week: np.ndarray
    prev: np.ndarray
    before: np.ndarray
    after: np.ndarray
    score_from: np.ndarray
    score_to: np.ndarray


def score_window(
    history: pd.DataFrame, end: pd.Timestamp, weeks: int, lookback: pd.Timedelta, model: str, p: ScoringParams
) -> ScoredWindow:
    """Score the snapshots of the window plus ``lookback`` before it (for the regression peaks).

    Parameters
    ----------
    history : DataFrame
        Quality history per :data:`~meta254lib.core.schema.QUALITY_HISTORY`.
    end : Timestamp
        End of the window (UTC).
    weeks : int
        Window length in weeks.
    lookback : Timedelta
        How far before the window snapshots are still scored.
    model : {"implemented", "documented"}
    p : ScoringParams

    Returns
    -------
    ScoredWindow

    Examples
    --------
    >>> t = pd.date_range("2025-01-05", periods=3, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t[[0, 2]], "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.45], "deployment_freshness_days": 1.0})
    >>> sc = score_window(h, t[-1], 3, pd.Timedelta(days=7), "implemented", ScoringParams())
    >>> sc.names.tolist(), len(sc.frame)
    (['a'], 2)
    >>> cells = weekly_cells(sc, 3)
    >>> cells.scores.tolist(), cells.snapshots.tolist()
    ([[100.0, nan, 90.0]], [1, 0, 1])
    >>> pairs = week_pairs(cells)
    >>> pairs.week.tolist(), pairs.prev.tolist(), pairs.score_to.tolist()
    ([2], [0], [90.0])
    """
    h = history
    if "snapshot_time" in h.columns and len(h):
        times = pd.to_datetime(h["snapshot_time"], utc=True)
        h = h[(times > end - WEEK * weeks - lookback) & (times <= end)]
    scored = score_history(h, model, p, as_of=end, missing_inputs=False)
    codes, names = pd.factorize(scored[SERVICE], sort=True)
    return ScoredWindow(
        frame=scored,
        cols=score_columns(scored),
        unclamped=scored["unclamped"].to_numpy(dtype="float64"),
        t_us=to_us(scored["snapshot_time"]),
        end_us=to_us(pd.Series([end]))[0],
        codes=codes,
        names=np.asarray(names, dtype=object),
    )


def weekly_cells(sc: ScoredWindow, n_weeks: int) -> WeeklyCells:
    """The last snapshot of each (service, week); services without any in the window are left out.

    Parameters
    ----------
    sc : ScoredWindow
        The scored snapshots (:func:`score_window`).
    n_weeks : int
        Window length in weeks.

    Returns
    -------
    WeeklyCells
    """
    wk = week_of(sc.t_us, sc.end_us, n_weeks)
    sel = (wk >= 0) & (sc.codes >= 0)
    full = np.full((len(sc.names), n_weeks), -1, dtype="int64")
    np.maximum.at(full, (sc.codes[sel], wk[sel]), np.nonzero(sel)[0])  # scored is sorted by time
    keep = (full >= 0).any(axis=1)
    names, idx = sc.names[keep], full[keep]
    present = idx >= 0
    safe = np.where(present, idx, 0)
    score_all = sc.cols[SCORE]
    x_all = (sc.t_us - sc.end_us) / (WEEK.value / 1000)
    empty = np.full((len(names), n_weeks), np.nan)
    cw, cs = np.nonzero(present.T)
    rows = idx[cs, cw]
    snap_week = week_of(np.unique(sc.t_us[wk >= 0]), sc.end_us, n_weeks)
    return WeeklyCells(
        names=names,
        labels=str_take(names, np.arange(len(names))),
        idx=idx,
        present=present,
        scores=np.where(present, score_all[safe], np.nan) if len(sc.frame) else empty,
        x=np.where(present, x_all[safe], np.nan) if len(sc.frame) else empty,
        cw=cw,
        cs=cs,
        rows=rows,
        cell_scores=score_all[rows] if len(rows) else np.array([], dtype="float64"),
        snapshots=np.bincount(snap_week[snap_week >= 0], minlength=n_weeks),
    )


def week_pairs(cells: WeeklyCells) -> WeekPairs:
    """Each weekly score with the service's previous weekly score, however many weeks back.

    Parameters
    ----------
    cells : WeeklyCells
        The weekly cells (:func:`weekly_cells`).

    Returns
    -------
    WeekPairs
    """
    present, n_weeks = cells.present, cells.present.shape[1]
    col = np.where(present, np.arange(n_weeks)[None, :], -1)
    acc = np.maximum.accumulate(col, axis=1)
    prev = np.full_like(acc, -1)
    if n_weeks > 1:
        prev[:, 1:] = acc[:, :-1]
    pair_w, pair_s = np.nonzero((present & (prev >= 0)).T)  # ordered by week, then service
    pair_p = prev[pair_s, pair_w]
    return WeekPairs(
        service=pair_s,
        week=pair_w,
        prev=pair_p,
        before=cells.idx[pair_s, pair_p],
        after=cells.idx[pair_s, pair_w],
        score_from=cells.scores[pair_s, pair_p],
        score_to=cells.scores[pair_s, pair_w],
    )
