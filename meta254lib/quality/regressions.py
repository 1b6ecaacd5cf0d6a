"""Quality regressions: drops of at least ``drop_threshold`` points from the peak of the preceding days.

A drop of at least ``alerting.quality_drop_threshold`` points (10) from the highest score in the
preceding ``alerting.quality_drop_window`` days (7), both read from thresholds.yaml. A run of snapshots
below the same peak is one regression (its first snapshot). Regressions are found over individual
snapshots, not weekly cells.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..core.schema import QUALITY_REGRESSIONS, SCORE, SERVICE
from .attribution import attribute_changes
from .window import WEEK, typed_frame, week_of

__all__ = ["find_regressions"]


def find_regressions(
    scored: Mapping[str, np.ndarray],
    codes: np.ndarray,
    names: np.ndarray,
    t_us: np.ndarray,
    end_us: int,
    ends: pd.DatetimeIndex,
    drop_threshold: float,
    drop_window_days: float,
    model: str,
) -> pd.DataFrame:
    """The regressions of a scored window, with the attribution of each drop.

    Parameters
    ----------
    scored : mapping
        Score columns of the scored snapshots (:func:`~meta254lib.quality.attribution.score_columns`).
    codes, names : ndarray
        Service code of each scored row (-1: none) and the names of the codes.
    t_us : ndarray
        Snapshot time of each scored row, in microseconds.
    end_us : int
        End of the window, in microseconds.
    ends : DatetimeIndex
        The week ends of the window.
    drop_threshold, drop_window_days : float
        The regression rule.
    model : str
        Scoring model, named in the table.

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_REGRESSIONS`, ordered by time, then service.
    """
    ok = codes >= 0
    if not ok.any():
        return typed_frame(pd.DataFrame(), QUALITY_REGRESSIONS)
    snap_times = np.unique(t_us[ok])
    t_code = np.searchsorted(snap_times, t_us)
    idx = np.full((len(names), len(snap_times)), -1, dtype="int64")
    idx[codes[ok], t_code[ok]] = np.nonzero(ok)[0]
    score = scored[SCORE]
    z = np.where(idx >= 0, score[np.where(idx >= 0, idx, 0)], np.nan)
    window = int(pd.Timedelta(days=float(drop_window_days)).value // 1000)
    start_us = end_us - len(ends) * (WEEK.value // 1000)
    arr = _drop_events(z, snap_times, window, start_us, drop_threshold)
    if not len(arr):
        return typed_frame(pd.DataFrame(), QUALITY_REGRESSIONS)
    arr = arr[np.lexsort((arr[:, 0], arr[:, 2]))]  # by time, then service
    b_rows, a_rows = idx[arr[:, 0], arr[:, 1]], idx[arr[:, 0], arr[:, 2]]
    attr = attribute_changes(scored, b_rows, a_rows)
    wk = week_of(snap_times[arr[:, 2]], end_us, len(ends))
    times = pd.to_datetime(snap_times, unit="us", utc=True)
    out = pd.DataFrame(
        {
            SERVICE: names[arr[:, 0]],
            "model": model,
            "time": times[arr[:, 2]],
            "week": wk + 1,
            "week_end": ends[wk],
            "from_time": times[arr[:, 1]],
            "from_score": score[b_rows],
            "to_score": score[a_rows],
            "drop": score[b_rows] - score[a_rows],
        }
    )
    return typed_frame(pd.concat([out, attr.drop(columns="change")], axis=1), QUALITY_REGRESSIONS)


def _drop_events(
    z: np.ndarray, snap_times: np.ndarray, window: int, start_us: int, drop_threshold: float
) -> np.ndarray:
    """Rows (service, peak snapshot, snapshot) of the first snapshot of each run below a peak.

    ``z`` is services x snapshots (NaN: absent); only snapshots after ``start_us`` are reported.
    """
    n_s, n_t = z.shape
    lo = np.searchsorted(snap_times, snap_times - window, side="left")
    found = []
    prev_flag = np.zeros(n_s, dtype=bool)
    prev_peak = np.full(n_s, -1)
    for j in range(n_t):
        k0 = lo[j]
        if k0 >= j:
            prev_flag[:] = False
            continue
        peak = np.fmax.reduce(z[:, k0:j], axis=1)
        peak_at = _latest_peak(z, peak, k0, j)
        flag = (peak - z[:, j]) >= drop_threshold
        new = flag & ~(prev_flag & (prev_peak == peak_at))
        if snap_times[j] > start_us:
            s_new = np.nonzero(new)[0]
            found.append(np.column_stack([s_new, peak_at[s_new], np.full(len(s_new), j)]))
        absent = np.isnan(z[:, j])
        prev_peak = np.where(flag, peak_at, prev_peak)
        prev_flag = flag | (prev_flag & absent)
    return np.concatenate(found) if found else np.empty((0, 3), dtype="int64")


def _latest_peak(z: np.ndarray, peak: np.ndarray, k0: int, j: int) -> np.ndarray:
    """Per service, the latest snapshot in ``[k0, j)`` holding the peak (-1: none)."""
    peak_at = np.full(z.shape[0], -1)
    for k in range(j - 1, k0 - 1, -1):
        hit = (peak_at < 0) & (z[:, k] == peak)
        peak_at[hit] = k
    return peak_at
