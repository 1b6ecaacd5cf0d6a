"""The shape every detector returns: the issue-row columns, and the small column helpers they share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..core.versions import SemVer, parse_version

__all__ = ["ISSUE_COLS", "issue_frame", "no_issues", "parse_versions", "text_col"]

#: The columns of a detector's output, before assembly into ``DRIFT_ISSUES``.
ISSUE_COLS: tuple[str, ...] = (
    "service",
    "type",
    "severity",
    "subject",
    "current",
    "expected",
    "reason",
    "advisory_ids",
    "major_behind",
    "minor_behind",
    "patch_behind",
    "libyear",
    "age_days",
)


def issue_frame(df: pd.DataFrame, **const: Any) -> pd.DataFrame:
    """A copy of ``df`` with the constant columns ``const`` set, reduced to :data:`ISSUE_COLS`.

    Examples
    --------
    >>> issue_frame(pd.DataFrame({"service": ["a"]}), type="unknown_event").columns[:4].tolist()
    ['service', 'type', 'severity', 'subject']
    """
    out = df.copy()
    for k, v in const.items():
        out[k] = v
    return out.reindex(columns=list(ISSUE_COLS))


def no_issues() -> pd.DataFrame:
    """An empty detector output."""
    return issue_frame(pd.DataFrame(columns=list(ISSUE_COLS)))


def text_col(s: pd.Series) -> pd.Series:
    """A column as text, missing values as ``""``.

    Examples
    --------
    >>> text_col(pd.Series(["a", None])).tolist()
    ['a', '']
    """
    return s.astype("str").where(s.notna(), "")


def parse_versions(values: Iterable[Any]) -> dict[Any, SemVer | None]:
    """Each distinct non-missing value, parsed once (``None`` when it is not a version)."""
    return {v: parse_version(v) for v in pd.Series(values, dtype=object).dropna().unique().tolist()}
