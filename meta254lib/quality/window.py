"""The weeks of a trend window: week ends, the week a time falls in, and frames typed to their schemas.

A window of ``weeks`` weeks ends at ``as_of``. Week ``i`` (1 = oldest) ends at ``as_of - 7 days *
(weeks - i)`` and holds the times in ``(end - 7 days, end]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.clock import to_utc
from ..core.errors import ParameterError
from ..core.schema import UTC_TS, TableSchema
from .labels import grade_codes
from .params import ScoringParams

__all__ = [
    "WEEK",
    "grade_num",
    "quality_as_of",
    "to_us",
    "typed_frame",
    "week_ends",
    "week_index",
    "week_of",
]

#: One week.
WEEK = pd.Timedelta(days=7)


def typed_frame(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """A copy of ``df`` with exactly the schema's columns and dtypes (missing ints and bools become 0).

    Examples
    --------
    >>> from meta254lib.core.schema import WARNINGS
    >>> typed_frame(pd.DataFrame({"file": ["a"]}), WARNINGS).columns.tolist()
    ['file', 'field', 'message']
    """
    out = df.reindex(columns=list(schema.columns))
    for c, dtype in schema.dtypes.items():
        if str(out[c].dtype) != dtype:
            if dtype == UTC_TS:
                out[c] = pd.to_datetime(out[c], utc=True).astype(UTC_TS)
            elif dtype in ("int64", "bool"):
                out[c] = out[c].fillna(0).astype(dtype)
            else:
                out[c] = out[c].astype(dtype)
    return out.reset_index(drop=True)


def week_ends(as_of: Any, weeks: int) -> pd.DatetimeIndex:
    """The week ends of a window: ``as_of - 7 days * (weeks - i)`` for i = 1..weeks.

    Examples
    --------
    >>> [str(t.date()) for t in week_ends("2025-10-10", 3)]
    ['2025-09-26', '2025-10-03', '2025-10-10']
    """
    end = to_utc(as_of)
    return pd.DatetimeIndex([end - WEEK * (weeks - i) for i in range(1, weeks + 1)]).as_unit("us")


def to_us(times: Any) -> np.ndarray:
    """Microseconds since the epoch (UTC) of a datetime series or index.

    Examples
    --------
    >>> to_us(pd.Series(pd.to_datetime(["1970-01-01T00:00:01Z"]))).tolist()
    [1000000]
    """
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("us").asi8


def week_of(t_us: np.ndarray, end_us: int, weeks: int) -> np.ndarray:
    """0-based week of each time (microseconds) in the window ending at ``end_us``, -1 outside.

    Examples
    --------
    >>> day = 86_400_000_000
    >>> week_of(np.array([0, -day, -7 * day, -14 * day, day]), 0, 2).tolist()
    [1, 1, 0, -1, -1]
    """
    delta = end_us - np.asarray(t_us, dtype="int64")
    idx = weeks - 1 - np.floor_divide(delta, np.int64(WEEK.value // 1000))
    return np.where((delta >= 0) & (idx >= 0), idx, -1)


def week_index(times: Any, as_of: pd.Timestamp, weeks: int) -> np.ndarray:
    """0-based week of each time in the window ending at ``as_of``, -1 outside.

    Examples
    --------
    >>> week_index(pd.Series(pd.to_datetime(["2025-01-14", "2025-01-01"], utc=True)),
    ...            pd.Timestamp("2025-01-15", tz="UTC"), 2).tolist()
    [1, -1]
    """
    return week_of(to_us(times), int(to_us(pd.Series([as_of]))[0]), weeks)


def grade_num(score: np.ndarray, p: ScoringParams) -> np.ndarray:
    """0..4 for A..F (5 for NaN, so that NaN never equals a grade).

    Examples
    --------
    >>> grade_num(np.array([91.0, np.nan]), ScoringParams()).tolist()
    [0, 5]
    """
    return np.where(np.isnan(score), 5, grade_codes(score, p.grade_bounds))


def quality_as_of(history: pd.DataFrame, as_of: Any = None, fallback: Any = None) -> pd.Timestamp:
    """The as-of time of a quality view: ``as_of`` when given, else the later of ``fallback`` (the
    catalog's generated_at) and the newest snapshot (the platform writes its snapshot just after the
    catalog, so the catalog time alone would exclude the snapshot computed from it).

    Examples
    --------
    >>> h = pd.DataFrame({"snapshot_time": pd.to_datetime(["2025-10-09T22:31:21Z"])})
    >>> str(quality_as_of(h, fallback="2025-10-09T22:30:38Z"))
    '2025-10-09 22:31:21+00:00'
    >>> str(quality_as_of(h, "2025-10-01"))
    '2025-10-01 00:00:00+00:00'
    """
    if as_of is not None:
        return to_utc(as_of)
    times = []
    if fallback is not None:
        times.append(to_utc(fallback))
    if len(history) and "snapshot_time" in history.columns and history["snapshot_time"].notna().any():
        times.append(to_utc(history["snapshot_time"].max()))
    if not times:
        raise ParameterError("as_of: no as_of given and the quality history has no snapshot time")
    return max(times)
