"""Roll-ups of the weekly cells of a quality trend: the platform series and the domain and team series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.schema import DOMAIN, GROUP_TRENDS, QUALITY_PLATFORM, SERVICE, TEAM
from .labels import GRADES, str_take
from .params import ScoringParams
from .window import typed_frame

__all__ = ["group_table", "platform_table"]


def _cell_stats(key: np.ndarray, k: int, score: np.ndarray, grade: np.ndarray) -> dict[str, np.ndarray]:
    """Per-key (0..k-1) count, mean, median, min, max and A..F counts of scores (no Python loop)."""
    n = np.bincount(key, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, score, k) / n
    ser = pd.Series(score).groupby(key)
    med = ser.median().reindex(range(k)).to_numpy(dtype="float64")
    lo = ser.min().reindex(range(k)).to_numpy(dtype="float64")
    hi = ser.max().reindex(range(k)).to_numpy(dtype="float64")
    grades = np.bincount(key * 6 + grade, minlength=k * 6).reshape(k, 6)
    out = {"services": n, "mean": np.where(n > 0, mean, np.nan), "median": med, "min": lo, "max": hi}
    out.update({g: grades[:, i] for i, g in enumerate(GRADES)})
    return out


def platform_table(
    cw: np.ndarray,
    score: np.ndarray,
    grade: np.ndarray,
    ends: pd.DatetimeIndex,
    snapshots: np.ndarray,
    model: str,
    p: ScoringParams,
) -> pd.DataFrame:
    """Per week of the window: the score statistics of the weekly cells, grade counts and threshold counts.

    ``cw`` and ``score``/``grade`` are the week (0-based), score and grade code of each weekly cell.
    """
    n_weeks = len(ends)
    stats = _cell_stats(cw, n_weeks, score, grade)
    out = pd.DataFrame({"week": np.arange(1, n_weeks + 1), "week_end": ends, "model": model, "snapshots": snapshots})
    for c, v in stats.items():
        out[c] = v
    out["below_min_score"] = np.bincount(cw, score < p.min_score, n_weeks).astype("int64")
    out["failing"] = np.bincount(cw, score < p.fail_under, n_weeks).astype("int64")
    return typed_frame(out, QUALITY_PLATFORM)


def group_table(
    cw: np.ndarray,
    cs: np.ndarray,
    score: np.ndarray,
    grade: np.ndarray,
    svc_names: np.ndarray,
    info: pd.DataFrame,
    ends: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Per (domain or team, week): the score statistics and grade counts of the group's weekly cells.

    ``cw``, ``cs`` are the week and service row of each cell; ``svc_names`` names the service rows.
    """
    if not len(cw):
        return typed_frame(pd.DataFrame(), GROUP_TRENDS)
    n_weeks = len(ends)
    lookup = info.set_index(SERVICE).reindex(svc_names)
    frames = []
    for gtype, col in (("domain", DOMAIN), ("team", TEAM)):
        labels = lookup[col].astype(object).where(lookup[col].notna(), "(unknown)").to_numpy()
        gcodes, guniq = pd.factorize(labels, sort=True)
        key = gcodes[cs] * n_weeks + cw
        stats = _cell_stats(key, len(guniq) * n_weeks, score, grade)
        keep = np.nonzero(stats["services"] > 0)[0]
        frame = pd.DataFrame({c: v[keep] for c, v in stats.items() if c not in ("min", "max")})
        frame["group_type"] = gtype
        frame["group"] = str_take(np.asarray(guniq, dtype=object), keep // n_weeks)
        frame["week"] = keep % n_weeks + 1
        frame["week_end"] = ends[keep % n_weeks]
        frames.append(frame)
    return typed_frame(pd.concat(frames, ignore_index=True), GROUP_TRENDS)
