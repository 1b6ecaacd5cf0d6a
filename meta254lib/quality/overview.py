"""The fleet's quality at a glance: how many services, mean and median score, grade counts, failures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.schema import GRADE, SCORE
from .labels import GRADES
from .params import ScoringParams

__all__ = ["quality_overview", "round_or_none"]


def round_or_none(value: Any, ndigits: int = 6) -> float | None:
    """``value`` as a float rounded to ``ndigits``; None when it is missing.

    Examples
    --------
    >>> round_or_none(2.3456789), round_or_none(float("nan")), round_or_none(None), round_or_none(7, 2)
    (2.345679, None, None, 7.0)
    """
    return None if value is None or pd.isna(value) else round(float(value), ndigits)


def quality_overview(scores: pd.DataFrame, params: ScoringParams) -> dict[str, Any]:
    """Summary of a frame of latest scores (:func:`~meta254lib.quality.scores.latest_scores`).

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per service with ``score``, ``grade`` and ``mismatch``.
    params : ScoringParams
        Its ``min_score`` and ``fail_under`` thresholds count the services below them.

    Returns
    -------
    dict
        ``services``, ``mean`` and ``median`` (2 decimals; None without services),
        ``grade_distribution`` (count per grade A-F), ``below_min_score``, ``failing`` and
        ``mismatches`` (recorded scores the implemented formula does not reproduce).

    Examples
    --------
    >>> scores = pd.DataFrame({"score": [91, 65, 50], "grade": ["A", "D", "F"], "mismatch": [False, True, None]})
    >>> quality_overview(scores, ScoringParams())
    {'services': 3, 'mean': 68.67, 'median': 65.0, 'grade_distribution': {'A': 1, 'B': 0, 'C': 0, 'D': 1, 'F': 1}, \
'below_min_score': 2, 'failing': 1, 'mismatches': 1}
    """
    sc = scores[SCORE].astype("float64")
    return {
        "services": len(scores),
        "mean": round_or_none(sc.mean(), 2) if len(sc) else None,
        "median": round_or_none(sc.median(), 2) if len(sc) else None,
        "grade_distribution": {g: int((scores[GRADE] == g).sum()) for g in GRADES},
        "below_min_score": int((sc < params.min_score).sum()),
        "failing": int((sc < params.fail_under).sum()),
        "mismatches": int(scores["mismatch"].fillna(False).astype(bool).sum()),
    }
