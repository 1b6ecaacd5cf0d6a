"""Benchmark baseline for the quality trends: per-service slopes with a Python loop over ``numpy.polyfit``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ...core.schema import SCORE, SERVICE
from ...quality.params import ScoringParams
from ...quality.scores import score_history
from ...quality.window import WEEK, quality_as_of, week_index

__all__ = ["trends_baseline_polyfit"]


def trends_baseline_polyfit(
    history: pd.DataFrame,
    *,
    as_of: Any = None,
    weeks: int = 12,
    model: str = "implemented",
    params: ScoringParams | None = None,
) -> pd.DataFrame:
    """Baseline for the benchmark: per-service slopes with a Python loop over ``numpy.polyfit``.

    Same weekly cells as :func:`~meta254lib.quality.trends.quality_trends` (so the slopes agree); only the
    slope step differs.

    Returns
    -------
    DataFrame
        service, n, slope_per_week; ordered by service.

    Examples
    --------
    >>> t = pd.date_range("2025-01-05", periods=4, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.75, 0.45, 0.45], "deployment_freshness_days": 1.0})
    >>> round(float(trends_baseline_polyfit(h, as_of=t[-1], weeks=4)["slope_per_week"].iloc[0]), 6)
    -4.0
    """
    end = quality_as_of(history, as_of)
    scored = score_history(history, model, params, as_of=end, missing_inputs=False)
    wk = week_index(scored["snapshot_time"], end, weeks)
    cells = scored.assign(_wk=wk)[wk >= 0].drop_duplicates([SERVICE, "_wk"], keep="last")
    x_all = (cells["snapshot_time"] - end) / WEEK
    cells = cells.assign(_x=x_all.to_numpy(dtype="float64"), _y=cells[SCORE].to_numpy(dtype="float64"))
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        for svc, grp in cells.groupby(SERVICE, sort=True):
            n = len(grp)
            slope = float(np.polyfit(grp["_x"].to_numpy(), grp["_y"].to_numpy(), 1)[0]) if n >= 2 else np.nan
            rows.append((svc, n, slope))
    return pd.DataFrame(rows, columns=[SERVICE, "n", "slope_per_week"])
