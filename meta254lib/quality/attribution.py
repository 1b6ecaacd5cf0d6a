"""Attribution of score changes to the score components, exactly: the parts add up to the change.

For a change from an earlier score ``b`` to a later score ``a`` of one service (``m`` = maturity
multiplier, ``P_k`` = the weighted part of component ``k``)::

    component_k = (P_k[a] - P_k[b]) * m[a]
    maturity    = raw[b] * (m[a] - m[b])
    clamping    = (score[a] - rounded[a]) - (score[b] - rounded[b])
    rounding    = change - (sum of the above)      # what rounding did; absorbs float noise
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import SCORE
from .labels import str_take
from .params import COMPONENTS

__all__ = ["ATTRIBUTION_COLUMNS", "attribute_changes", "score_columns"]

#: The attribution columns, in order; they sum to the change.
ATTRIBUTION_COLUMNS: tuple[str, ...] = (*COMPONENTS, "maturity", "rounding", "clamping")
#: The columns of a scored frame that attribution reads.
_SCORE_COLUMNS = (SCORE, "_rounded", "raw", "multiplier", *(f"{c}_part" for c in COMPONENTS))


def score_columns(scored: pd.DataFrame | Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    """The columns attribution reads (score, _rounded, raw, multiplier, ``*_part``) as float arrays.

    Examples
    --------
    >>> sorted(score_columns({"score": np.zeros(1)}))
    ['score']
    """
    if isinstance(scored, Mapping):
        return scored
    return {c: scored[c].to_numpy(dtype="float64", na_value=np.nan) for c in _SCORE_COLUMNS}


def attribute_changes(
    scored: pd.DataFrame | Mapping[str, np.ndarray], before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    """Attribute score changes between pairs of rows of a scored frame to the score components.

    Parameters
    ----------
    scored : DataFrame or mapping
        Output of :func:`meta254lib.quality.scores.score_history` (with its private ``_rounded`` column), or
        its columns score, _rounded, raw, multiplier and the ``*_part`` columns as float arrays.
    before, after : array of int
        Positional row numbers of the earlier and later score of each pair.

    Returns
    -------
    DataFrame
        Columns ``change`` and coverage, security, policy, stability, drift, maturity, rounding,
        clamping (they sum to ``change``), and ``driver``.

    Examples
    --------
    >>> from meta254lib.quality.scores import score_history
    >>> h = pd.DataFrame({"service": ["a", "a"], "maturity": ["beta", "beta"], "coverage": [0.9, 0.6],
    ...                   "deployment_freshness_days": [1.0, 1.0]})
    >>> a = attribute_changes(score_history(h), np.array([0]), np.array([1]))
    >>> a[["change", "coverage", "rounding", "driver"]].round(4).astype(object).values.tolist()
    [[-5, -4.75, -0.25, 'coverage']]
    """
    b = np.asarray(before, dtype="int64")
    a = np.asarray(after, dtype="int64")
    cols = score_columns(scored)
    m_a, m_b = cols["multiplier"][a], cols["multiplier"][b]
    score, rounded, raw = cols[SCORE], cols["_rounded"], cols["raw"]
    out: dict[str, Any] = {}
    change = score[a] - score[b]
    total = np.zeros(len(a))
    for c in COMPONENTS:
        part = cols[f"{c}_part"]
        out[c] = (part[a] - part[b]) * m_a
        total = total + out[c]
    out["maturity"] = raw[b] * (m_a - m_b)
    out["clamping"] = (score[a] - rounded[a]) - (score[b] - rounded[b])
    total = total + out["maturity"] + out["clamping"]
    out["rounding"] = change - total
    frame = pd.DataFrame({"change": change.astype("int64"), **{c: out[c] for c in ATTRIBUTION_COLUMNS}})
    names = ATTRIBUTION_COLUMNS
    mags = np.abs(np.column_stack([out[c] for c in names])) if len(a) else np.zeros((0, len(names)))
    frame["driver"] = str_take(names, mags.argmax(axis=1) if len(a) else np.array([], dtype="int64"))
    return frame
