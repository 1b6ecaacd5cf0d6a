"""Per-service trends over the weekly cells: OLS slope, volatility, change, direction, presence and rank.

``slope_per_week``: ordinary least squares of score on snapshot time (in weeks) over the weekly scores;
``volatility``: population standard deviation of the changes between consecutive weekly scores (a change
across a missing week spans that gap); ``change``: last minus first weekly score; ``direction``: improving
or declining when the slope is outside +/- ``stable_band``; ``presence``: ``added`` when first seen after
the first week that has a snapshot, ``removed`` when last seen before the last such week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.schema import GRADE, QUALITY_TRENDS, SERVICE
from .cells import ScoredWindow, WeeklyCells, WeekPairs
from .labels import grade_of
from .params import ScoringParams
from .window import typed_frame

__all__ = ["service_table"]


def _slopes(cells: WeeklyCells) -> tuple[np.ndarray, np.ndarray]:
    """Weekly scores per service and the OLS slope of score on time in weeks (NaN below 2 points)."""
    present, x, s = cells.present, cells.x, cells.scores
    n_pts = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        xm = np.nansum(x, axis=1) / n_pts
        ym = np.nansum(s, axis=1) / n_pts
        dx = np.where(present, x - xm[:, None], 0.0)
        dy = np.where(present, s - ym[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        slope = np.where((n_pts >= 2) & (sxx > 0), (dx * dy).sum(axis=1) / sxx, np.nan)
    return n_pts, slope


def _volatility(pairs: WeekPairs, n_svc: int) -> np.ndarray:
    """Population standard deviation of each service's week-over-week score changes."""
    diffs = pairs.score_to - pairs.score_from
    cnt = np.bincount(pairs.service, minlength=n_svc).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        dmean = np.bincount(pairs.service, diffs, n_svc) / cnt
        return np.sqrt(np.bincount(pairs.service, (diffs - dmean[pairs.service]) ** 2, n_svc) / cnt)


def _presence(cells: WeeklyCells) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First and last week of each service, its presence label and its missed weeks in between."""
    present, n_weeks = cells.present, cells.present.shape[1]
    rows = np.arange(len(cells.names))
    first = present.argmax(axis=1)
    last = n_weeks - 1 - present[:, ::-1].argmax(axis=1)
    has_snap = cells.snapshots > 0
    first_snap = int(np.argmax(has_snap)) if has_snap.any() else 0
    last_snap = int(n_weeks - 1 - np.argmax(has_snap[::-1])) if has_snap.any() else n_weeks - 1
    added = first > first_snap
    removed = last < last_snap
    presence = np.select(
        [added & removed, added, removed], ["added+removed", "added", "removed"], default="throughout"
    ).astype(object)
    cum = np.cumsum((~present) & has_snap[None, :], axis=1)
    return first, last, presence, cum[rows, last] - cum[rows, first]


def _direction(n_pts: np.ndarray, slope: np.ndarray, stable_band: float, min_points: int) -> np.ndarray:
    """improving / declining / stable by the slope band; insufficient data below ``min_points``."""
    band = float(stable_band)
    return np.where(
        n_pts < min_points,
        "insufficient data",
        np.where(slope >= band, "improving", np.where(slope <= -band, "declining", "stable")),
    ).astype(object)


def _current_rank(sc: ScoredWindow, cells: WeeklyCells) -> np.ndarray:
    """Rank by the unclamped score of the last week (1 = best; NaN when absent that week)."""
    present = cells.present
    if not len(cells.names):
        return pd.Series(np.array([]), dtype="float64").rank(method="min", ascending=False).to_numpy()
    safe = np.where(present[:, -1], cells.idx[:, -1], 0)
    u_last = np.where(present[:, -1], sc.unclamped[safe], np.nan)
    return pd.Series(u_last, dtype="float64").rank(method="min", ascending=False).to_numpy()


def _ints(a: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.array(a, dtype="Float64").round(0).astype("Int64")


def service_table(
    sc: ScoredWindow,
    cells: WeeklyCells,
    pairs: WeekPairs,
    info: pd.DataFrame,
    ends: pd.DatetimeIndex,
    model: str,
    stable_band: float,
    min_points: int,
    p: ScoringParams,
) -> pd.DataFrame:
    """One row per service: slope, volatility, change, direction, presence, grade and rank.

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_TRENDS`, ordered by slope (NaN last), then service.
    """
    n_svc = len(cells.names)
    n_pts, slope = _slopes(cells)
    first, last, presence, gaps = _presence(cells)
    rows = np.arange(n_svc)
    first_score, last_score = cells.scores[rows, first], cells.scores[rows, last]
    svc_df = pd.DataFrame(
        {
            SERVICE: cells.names,
            "model": model,
            "weeks_present": n_pts,
            "first_seen": ends[first],
            "last_seen": ends[last],
            "presence": presence,
            "gaps": gaps,
            "slope_per_week": slope,
            "volatility": _volatility(pairs, n_svc),
            "first_score": _ints(first_score),
            "current": _ints(cells.scores[:, -1]),
            "last_score": _ints(last_score),
            "change": _ints(last_score - first_score),
            "direction": _direction(n_pts, slope, stable_band, min_points),
            GRADE: grade_of(last_score, p.grade_bounds) if n_svc else np.array([], dtype=object),
            "rank": _ints(_current_rank(sc, cells)),
        }
    )
    svc_df = svc_df.merge(info, on=SERVICE, how="left")
    svc_df = svc_df.sort_values(["slope_per_week", SERVICE], na_position="last", kind="stable")
    return typed_frame(svc_df, QUALITY_TRENDS)
