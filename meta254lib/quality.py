"""Quality scores that can be explained: the platform's implemented and documented formulas.

The platform (``compute_quality.py``) implements one formula and documents another
(``docs/QUALITY_SCORING.md``). This module reproduces both from a snapshot's own recorded metrics.

Implemented formula (every weight, target and threshold read from ``config/thresholds.yaml``)::

    cov   = min(coverage / quality.coverage.target, 1) * 100     (target <= 0 -> 100)
    sec   = max(0, 100 - 40*critical_vulns - 20*high_vulns)
    pf    = policy_failures + failed integration/contract/performance tests
    pol   = 100 if pf == 0 else max(0, 100 - 35*pf)
    stab  = 100 if d <= fresh_days else 85 if d <= warning_days else 60 if d <= critical_days else 40
    drift = max(0, 100 - min(drift_issues * penalty_per_issue, 100))
    raw   = base_score + sum(weight_k * dim_k)
    score = clamp(round_half_even(raw * maturity_multipliers[m].overall), 0, 100)

Assumptions: metrics are plain numbers/booleans (missing values take the platform's defaults).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "implemented_score",
]

# --- the platform's defaults (compute_quality.py), used when thresholds.yaml lacks a key ----------
_DEFAULT_WEIGHTS = {"coverage": 0.25, "security": 0.35, "policy": 0.15, "stability": 0.10, "drift": 0.15}
_DEFAULT_COVERAGE_TARGET = 0.75
_DEFAULT_FRESH, _DEFAULT_WARNING, _DEFAULT_CRITICAL = 7, 30, 90
_DEFAULT_PENALTY_PER_ISSUE = 5
_DEFAULT_OVERALL = {"experimental": 0.85, "beta": 0.95, "stable": 1.0, "deprecated": 0.70}
_DEFAULT_FRESHNESS_DAYS = 30  # the platform's value when a service has no last update


def _get(d: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
    cur: Any = d
    for key in path:
        if not isinstance(cur, Mapping) or key not in cur or cur[key] is None:
            return default
        cur = cur[key]
    return cur


def _num(value: Any, default: float = 0.0) -> float:
    if value is None or value is pd.NA:
        return default
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(f) else f


def _flag(value: Any) -> bool:
    """A test pass flag: missing counts as passed (the platform's default); 'passed' is True."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return value.strip().lower() in ("passed", "pass", "true", "yes", "ok", "success")
    return bool(value)


def _freshness_days(metrics: Mapping[str, Any], as_of: Any) -> float:
    days = metrics.get("deployment_freshness_days")
    if days is not None and not (isinstance(days, float) and math.isnan(days)) and days is not pd.NA:
        return float(days)
    last = metrics.get("last_update")
    if last is not None and as_of is not None:
        delta = pd.Timestamp(as_of) - pd.Timestamp(last)
        return float(delta.days)
    return float(_DEFAULT_FRESHNESS_DAYS)


def _overall_multiplier(maturity: str, thresholds: Mapping[str, Any]) -> float:
    mm = _get(thresholds, "maturity_multipliers", default=None)
    if isinstance(mm, Mapping):
        entry = mm.get(maturity)
        if isinstance(entry, Mapping):
            if entry.get("overall") is not None:
                return float(entry["overall"])
            if entry.get("coverage_weight") is not None:
                return float(entry["coverage_weight"])
        return 1.0
    return _DEFAULT_OVERALL.get(maturity, 1.0)


def implemented_score(
    metrics: Mapping[str, Any], maturity: str, thresholds: Mapping[str, Any], *, as_of: Any = None
) -> int:
    """The platform's implemented quality score of one service (``compute_quality.py``).

    Parameters
    ----------
    metrics : mapping
        Snapshot ``metrics``: coverage (0..1), critical_vulns, high_vulns, policy_failures,
        integration_pass, contract_pass, performance_pass, deployment_freshness_days, drift_issues.
        Missing pass flags count as passed; missing counts as 0; missing freshness as 30 days.
    maturity : str
        experimental | beta | stable | deprecated (others: multiplier 1.0).
    thresholds : mapping
        Parsed ``config/thresholds.yaml`` (``{}`` gives the platform's defaults).
    as_of : timestamp-like, optional
        Only used when metrics carry ``last_update`` instead of ``deployment_freshness_days``.

    Returns
    -------
    int
        The score, 0..100 (banker's rounding, then clamping).

    Examples
    --------
    >>> implemented_score({"coverage": 0.61, "deployment_freshness_days": 2}, "beta", {})
    91
    >>> implemented_score({"coverage": 0.65, "critical_vulns": 1, "high_vulns": 2, "policy_failures": 1,
    ...                    "deployment_freshness_days": 45, "drift_issues": 2}, "beta", {})
    55
    """
    q = _get(thresholds, "quality", default={})
    weights = dict(_DEFAULT_WEIGHTS)
    w_cfg = _get(q, "weights", default=None)
    if isinstance(w_cfg, Mapping):
        weights = {k: _num(w_cfg.get(k), 0.0) for k in _DEFAULT_WEIGHTS}
    target = _num(_get(q, "coverage", "target"), _DEFAULT_COVERAGE_TARGET)
    fresh = _num(_get(q, "stability", "fresh_days"), _DEFAULT_FRESH)
    warn = _num(_get(q, "stability", "warning_days"), _DEFAULT_WARNING)
    crit = _num(_get(q, "stability", "critical_days"), _DEFAULT_CRITICAL)
    per_issue = _num(_get(q, "drift", "penalty_per_issue"), _DEFAULT_PENALTY_PER_ISSUE)
    base = _num(_get(q, "base_score"), 0.0)

    coverage = _num(metrics.get("coverage"))
    cov = 100.0 if target <= 0 else min(coverage / target, 1.0) * 100.0
    crit_v, high_v = _num(metrics.get("critical_vulns")), _num(metrics.get("high_vulns"))
    sec = max(0.0, 100.0 - 40.0 * crit_v - 20.0 * high_v)
    pf = _num(metrics.get("policy_failures")) + sum(
        not _flag(metrics.get(k)) for k in ("integration_pass", "contract_pass", "performance_pass")
    )
    pol = 100.0 if pf == 0 else max(0.0, 100.0 - 35.0 * pf)
    d = _freshness_days(metrics, as_of)
    stab = 100.0 if d <= fresh else 85.0 if d <= warn else 60.0 if d <= crit else 40.0
    drift = max(0.0, 100.0 - min(_num(metrics.get("drift_issues")) * per_issue, 100.0))
    raw = base + (
        weights["coverage"] * cov
        + weights["security"] * sec
        + weights["policy"] * pol
        + weights["stability"] * stab
        + weights["drift"] * drift
    )
    score = round(raw * _overall_multiplier(maturity, thresholds))
    return max(0, min(100, score))
