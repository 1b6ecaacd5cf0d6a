"""The plan's burn-down: open drift issues per week and the expected implemented quality score.

Each week's score is recomputed with the issues fixed by then removed from each service's metrics.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.columns import SERVICE, SEVERITY
from ..core.schema import PLAN_BURNDOWN, frame_from_records
from ..quality.scores import score_history
from .inputs import PlanInputs

__all__ = ["burndown"]


def burndown(
    counted: pd.DataFrame,
    scoped: Sequence[dict[str, Any]],
    start: pd.Timestamp,
    inputs: PlanInputs,
    scope: set[str],
) -> pd.DataFrame:
    """:data:`~meta254lib.core.schema.PLAN_BURNDOWN`: backlog and expected quality at the end of each week.

    Parameters
    ----------
    counted : DataFrame
        The counted (not exempt) drift issues of the services in scope.
    scoped : sequence of dict
        The shown plan items (``_closes`` the issue ids each fixes, ``scheduled`` its day).
    start : Timestamp
        The plan's first day (week 0).
    inputs : PlanInputs
        For ``quality_metrics`` and ``quality_params``.
    scope : set of str
        The services shown.

    Returns
    -------
    DataFrame
        At least four weeks, at most 104, until every planned fix is deployed.
    """
    fixed_on: dict[str, pd.Timestamp] = {}
    for it in scoped:
        for i in it["_closes"]:
            fixed_on[i] = it["scheduled"] + pd.Timedelta(days=1)  # deployed by the end of that day
    last = max(fixed_on.values(), default=start)
    weeks = max(4, math.ceil((last - start).days / 7) + 1)
    weeks = min(weeks, 104)
    metrics = inputs.quality_metrics
    rows = []
    # when each issue is fixed (NaT: not by this plan), and when each item is done, read once
    fixed = pd.to_datetime(counted["id"].map(fixed_on), utc=True)
    done = sorted(it["scheduled"] + pd.Timedelta(days=1) for it in scoped)
    for k in range(weeks + 1):
        end = start + pd.Timedelta(days=7 * k)
        open_ = counted[~(fixed <= end).to_numpy(dtype=bool)]
        by_sev = open_[SEVERITY].value_counts()
        rows.append(
            {
                "week": k,
                "week_end": end,
                "backlog": len(open_),
                "high": int(by_sev.get("high", 0)),
                "medium": int(by_sev.get("medium", 0)),
                "low": int(by_sev.get("low", 0)),
                "items_done": bisect.bisect_right(done, end),
            }
        )
    out = pd.DataFrame(rows)
    out["expected_quality"] = float("nan")
    out["expected_quality_min"] = float("nan")
    out["services_scored"] = 0
    if metrics is not None and len(metrics):
        m = metrics[metrics[SERVICE].isin(list(scope))].drop_duplicates(SERVICE, keep="last")
        if len(m):
            scores = _weekly_scores(m.reset_index(drop=True), counted[SERVICE], fixed, start, weeks, inputs)
            out["expected_quality"] = [round(float(x), 2) for x in scores.sum(axis=1) / scores.shape[1]]
            out["expected_quality_min"] = scores.min(axis=1).astype("float64")
            out["services_scored"] = scores.shape[1]
    return frame_from_records(PLAN_BURNDOWN, out.to_dict("records"))


def _weekly_scores(
    metrics: pd.DataFrame,
    issue_services: pd.Series,
    fixed: pd.Series,
    start: pd.Timestamp,
    weeks: int,
    inputs: PlanInputs,
) -> np.ndarray:
    """Implemented quality score of each service (columns) at the end of each week (rows), its open
    drift issues being those not fixed by then.

    A service's score changes only when one of its issues is fixed, so each distinct (service, open
    issues) pair is scored once, not once per week: a few times the fleet rather than weeks × fleet rows.
    """
    pos = {svc: j for j, svc in enumerate(metrics[SERVICE])}
    n, rows_w = len(metrics), weeks + 1
    week_ns = 7 * 86_400 * 10**9
    total = np.zeros(n, dtype=np.int64)
    closed = np.zeros((rows_w, n), dtype=np.int64)  # issues fixed during week k (by its end)
    for svc, when in zip(issue_services, fixed, strict=True):
        j = pos.get(svc)
        if j is None:
            continue
        total[j] += 1
        if not pd.isna(when):
            k = max(0, -(-(when - start).value // week_ns))  # first week whose end is at or after the fix
            if k <= weeks:
                closed[k, j] += 1
    open_counts = total[None, :] - np.cumsum(closed, axis=0)
    keys, inverse = np.unique(open_counts * n + np.arange(n)[None, :], return_inverse=True)
    pairs = metrics.take(keys % n).drop(columns=["snapshot_time", "snapshot"], errors="ignore")
    pairs = pairs.assign(drift_issues=keys // n).reset_index(drop=True)
    scored = score_history(pairs, "implemented", inputs.quality_params, missing_inputs=False)
    return scored["score"].to_numpy(dtype="int64")[inverse.reshape(rows_w, n)]
