"""Selections and counts of a drift run's issues for notebooks and reports: filter, severity × type, most urgent."""

from __future__ import annotations

import pandas as pd

from ..core.errors import ParameterError
from ..core.severity import SEVERITIES, SEVERITY_RANK

__all__ = ["filter_issues", "severity_type_matrix", "top_issues"]


def filter_issues(
    issues: pd.DataFrame,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    include_exempt: bool = True,
) -> pd.DataFrame:
    """Issues of one team / service, at or above a severity, optionally without exempt ones.

    Raises
    ------
    ParameterError
        When ``severity_floor`` is not high, medium or low.

    Examples
    --------
    >>> df = pd.DataFrame({"service": ["a", "b"], "team": ["x", "y"], "severity": ["low", "high"],
    ...                    "exempt": [False, True]})
    >>> filter_issues(df, severity_floor="medium")["service"].tolist()
    ['b']
    >>> filter_issues(df, include_exempt=False)["service"].tolist()
    ['a']
    """
    out = issues
    if team:
        out = out[out["team"] == team]
    if service:
        out = out[out["service"] == service]
    if severity_floor:
        floor = str(severity_floor).strip().lower()
        if floor not in SEVERITY_RANK:
            raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
        out = out[out["severity"].map(SEVERITY_RANK) <= SEVERITY_RANK[floor]]
    if not include_exempt:
        out = out[~out["exempt"].astype(bool)]
    return out.reset_index(drop=True)


def severity_type_matrix(issues: pd.DataFrame) -> pd.DataFrame:
    """Counted issues as a severity × type table (rows high, medium, low; columns sorted types).

    Examples
    --------
    >>> df = pd.DataFrame({"severity": ["high", "low", "low"], "type": ["missing_lock", "x", "x"],
    ...                    "exempt": [False, False, True]})
    >>> severity_type_matrix(df).to_dict("index")
    {'high': {'missing_lock': 1, 'x': 0}, 'medium': {'missing_lock': 0, 'x': 0}, 'low': {'missing_lock': 0, 'x': 1}}
    """
    c = issues[~issues["exempt"].astype(bool)] if "exempt" in issues else issues
    types = sorted(c["type"].unique())
    m = pd.crosstab(c["severity"], c["type"]) if len(c) else pd.DataFrame()
    m = m.reindex(index=list(SEVERITIES), columns=types, fill_value=0).fillna(0).astype("int64")
    m.index.name, m.columns.name = "severity", "type"
    return m


def top_issues(issues: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` most urgent counted issues: severity, then oldest detection, then service.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "severity": ["low", "high"], "service": ["s", "t"],
    ...     "detected_at": pd.to_datetime(["2025-01-01", "2025-02-01"], utc=True), "exempt": [False, False]})
    >>> top_issues(df, 1)["id"].tolist()
    ['b']
    """
    c = issues[~issues["exempt"].astype(bool)].copy()
    c["_rank"] = c["severity"].map(SEVERITY_RANK)
    keys = [k for k in ("_rank", "detected_at", "service", "type", "subject", "id") if k in c]
    return c.sort_values(keys, kind="mergesort").head(n).drop(columns="_rank").reset_index(drop=True)
