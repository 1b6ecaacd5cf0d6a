"""Score labels: letter grades and passing / warning / failing status, as scalars or label arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GRADES", "STATUSES", "grade_codes", "grade_of", "status_codes", "status_of", "str_take"]

#: Letter grades, best first.
GRADES: tuple[str, ...] = ("A", "B", "C", "D", "F")
#: Statuses, best first.
STATUSES: tuple[str, ...] = ("passing", "warning", "failing")


def grade_codes(score: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Grade codes of scores: 0..4 for A..F (positions in :data:`GRADES`), -1 for NaN.

    Examples
    --------
    >>> grade_codes(np.array([95.0, 59.0, np.nan]), (90, 80, 70, 60)).tolist()
    [0, 4, -1]
    """
    codes = np.select([score >= bounds[0], score >= bounds[1], score >= bounds[2], score >= bounds[3]], [0, 1, 2, 3], 4)
    return np.where(np.isnan(score), -1, codes)


def status_codes(score: np.ndarray, min_score: float, fail_under: float) -> np.ndarray:
    """Status codes of scores: 0 passing, 1 warning, 2 failing (positions in :data:`STATUSES`), -1 for NaN.

    Examples
    --------
    >>> status_codes(np.array([75.0, 65.0, 50.0, np.nan]), 70, 60).tolist()
    [0, 1, 2, -1]
    """
    codes = np.select([score < fail_under, score < min_score], [2, 1], 0)
    return np.where(np.isnan(score), -1, codes)


def str_take(labels: Any, codes: np.ndarray) -> Any:
    """A pandas ``str`` array of ``labels[codes]`` (code -1 = missing), without re-validating strings.

    Examples
    --------
    >>> list(str_take(["A", "B"], np.array([1, -1, 0])))
    ['B', nan, 'A']
    """
    arr = pd.array(list(labels), dtype="str")
    return arr.take(np.asarray(codes, dtype="int64"), allow_fill=True)


def grade_of(score: Any, bounds: tuple[float, float, float, float] = (90, 80, 70, 60)) -> Any:
    """Letter grade(s) of score(s): A >= 90, B >= 80, C >= 70, D >= 60, else F (NA stays NA).

    Examples
    --------
    >>> grade_of(89), grade_of(90)
    ('B', 'A')
    >>> grade_of(np.array([59.0, 60.0])).tolist()
    ['F', 'D']
    """
    arr = np.asarray(score, dtype="float64")
    out = np.select(
        [arr >= bounds[0], arr >= bounds[1], arr >= bounds[2], arr >= bounds[3], ~np.isnan(arr)],
        ["A", "B", "C", "D", "F"],
        default="",
    ).astype(object)
    out[np.isnan(arr)] = None
    return out.item() if np.ndim(score) == 0 else out


def status_of(score: Any, min_score: float = 70, fail_under: float = 60) -> Any:
    """Status: ``failing`` below fail_under, ``warning`` below min_score, else ``passing``.

    Examples
    --------
    >>> status_of(59), status_of(65), status_of(70)
    ('failing', 'warning', 'passing')
    """
    arr = np.asarray(score, dtype="float64")
    out = np.select(
        [arr < fail_under, arr < min_score, ~np.isnan(arr)], ["failing", "warning", "passing"], default=""
    ).astype(object)
    out[np.isnan(arr)] = None
    return out.item() if np.ndim(score) == 0 else out
