"""Weekly quality snapshots of the simulated platform: metrics, implemented scores, the snapshot document."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from ..quality.params import ScoringParams
from ..quality.scores import score_history
from .sample_model import Platform, SimService
from .sample_service import advisory_hits

__all__ = ["quality_snapshot", "score_week", "service_metrics"]


# --- quality ----------------------------------------------------------------------------------------------
def service_metrics(
    plat: Platform, svc: SimService, k: int, t: datetime, drift_n: int, pass_flags: bool, contract_broken: bool
) -> dict[str, Any]:
    """A service's quality metrics in week ``k`` (the inputs of its score)."""
    cov, lint, pf, warn, bsr, signed, unit, integ, perf = svc.series[k]
    crit, high = advisory_hits(plat, svc, t) if svc.adv_sources else (0, 0)
    m: dict[str, Any] = {
        "coverage": cov,
        "lint_pass": lint,
        "critical_vulns": crit,
        "high_vulns": high,
        "policy_failures": pf,
        "policy_warnings": warn,
        "build_success_rate": bsr,
        "signed_images": signed,
        "sbom_present": svc.sbom,
        "deployment_freshness_days": (t - svc.last_update(t)).days,
        "drift_issues": drift_n,
    }
    if pass_flags:
        m["unit_pass"] = unit
        m["integration_pass"] = integ
        m["contract_pass"] = not contract_broken
        m["performance_pass"] = perf
    return m


_SCORE_KEYS = (
    "coverage",
    "critical_vulns",
    "high_vulns",
    "policy_failures",
    "integration_pass",
    "contract_pass",
    "performance_pass",
    "deployment_freshness_days",
    "drift_issues",
)


def score_week(
    names: list[str], metrics: list[dict[str, Any]], maturities: list[str], params: ScoringParams
) -> list[int]:
    """Implemented scores of one snapshot, vectorised (:func:`meta254lib.quality.scores.score_history`).

    It is the formula of :func:`meta254lib.quality.scores.implemented_score`, applied to all services at once.
    """
    if not names:
        return []
    frame = pd.DataFrame({"service": names, "maturity": maturities})
    nan = float("nan")
    for key in _SCORE_KEYS:
        frame[key] = pd.Series([nan if m.get(key) is None else float(m[key]) for m in metrics], dtype="float64")
    scored = score_history(frame, "implemented", params, missing_inputs=False)
    if scored["service"].tolist() != names:  # pragma: no cover - score_history keeps row order without times
        raise AssertionError("score_history reordered the rows")
    return [int(x) for x in scored["score"].tolist()]


def _grade(score: int) -> str:
    return "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "D" if score >= 60 else "F"


def _status(score: int) -> str:
    return "failing" if score < 60 else "warning" if score < 70 else "passing"


def quality_snapshot(
    entries: list[tuple[str, dict[str, Any], str, int]],
    t: datetime,
    stamp: Callable[[datetime], str],
    catalog_ts: str,
    rng: random.Random,
) -> dict[str, Any]:
    """The week's quality snapshot document, written the way the platform's ``compute_quality.py`` writes it."""
    services = _snapshot_services(entries, t, stamp, rng)
    scores = sorted(e[3] for e in entries)
    n = len(scores)
    avg = round(sum(scores) / n, 1) if n else 0.0
    below = sorted(name for name, _m, _mat, s in entries if s < 70)
    by_grade = {g: 0 for g in "ABCDF"}
    for sc in scores:
        by_grade[_grade(sc)] += 1
    grades = {g: c for g, c in by_grade.items() if c}
    dist = {
        "excellent": by_grade["A"],
        "good": by_grade["B"],
        "acceptable": by_grade["C"],
        "needs_improvement": by_grade["D"],
        "failing": by_grade["F"],
    }
    median = scores[n // 2] if n else 0
    insights = _insights(entries, avg)
    return {
        "metadata": {
            "generated_at": stamp(t),
            "catalog_timestamp": catalog_ts,
            "total_services": n,
            "computed_at": stamp(t),
        },
        "summary": {
            "avg_quality_score": avg,
            "median_quality_score": median,
            "min_quality_score": scores[0] if n else 0,
            "max_quality_score": scores[-1] if n else 0,
            "services_below_threshold": below,
            "grade_distribution": grades,
        },
        "services": services,
        "global": {
            "avg_score": avg,
            "median_score": median,
            "min_score": scores[0] if n else 0,
            "max_score": scores[-1] if n else 0,
            "services_below_threshold": below,
            "grade_distribution": grades,
            "quality_distribution": dist,
        },
        "insights": insights,
        "thresholds_applied": {"min_score": 70, "fail_under": 60},
    }


def _snapshot_services(
    entries: list[tuple[str, dict[str, Any], str, int]],
    t: datetime,
    stamp: Callable[[datetime], str],
    rng: random.Random,
) -> dict[str, Any]:
    """Each service's score, grade, status, metrics and computation time, in a pool's completion order."""
    order = list(entries)
    for i in range(len(order) - 1):  # completion order of a process pool: nearly sorted
        if rng.random() < 0.15:
            order[i], order[i + 1] = order[i + 1], order[i]
    services: dict[str, Any] = {}
    tick = t - timedelta(microseconds=1500 * len(order) + 20000)
    rnd = rng.random
    for name, metrics, maturity, score in order:
        tick = tick + timedelta(microseconds=300 + int(rnd() * 1200))
        services[name] = {
            "score": score,
            "grade": _grade(score),
            "status": _status(score),
            "metrics": metrics,
            "maturity": maturity,
            "computed_at": stamp(tick),
        }
    return services


def _insights(entries: list[tuple[str, dict[str, Any], str, int]], avg: float) -> list[str]:
    """The snapshot's insight sentences: the platform verdict, then failing, uncovered, vulnerable, stale, drifted."""
    insights = [
        "\U0001f3c6 Platform quality is excellent with strong engineering practices"
        if avg >= 85
        else "\u2705 Platform quality is good with room for improvement"
        if avg >= 75
        else "\u26a0\ufe0f Platform quality needs improvement"
        if avg >= 65
        else "\U0001f6a8 Platform quality is concerning and needs immediate attention"
    ]
    failing = sorted(name for name, _m, _mat, s in entries if s < 60)
    if failing:
        insights.append(f"\U0001f534 {len(failing)} services are failing quality thresholds: {', '.join(failing[:3])}")
    low_cov = sum(1 for e in entries if e[1]["coverage"] < 0.7)
    if low_cov:
        insights.append(f"\U0001f4ca {low_cov} services have low test coverage (< 70%)")
    crit = sum(1 for e in entries if e[1]["critical_vulns"] > 0)
    if crit:
        insights.append(f"\U0001f512 {crit} services have critical vulnerabilities")
    stale = sum(1 for e in entries if e[1]["deployment_freshness_days"] > 90)
    if stale:
        insights.append(f"\u23f0 {stale} services are stale (> 90 days since update)")
    drifted = sum(1 for e in entries if e[1]["drift_issues"] > 0)
    if drifted:
        insights.append(f"\U0001f504 {drifted} services have drift issues affecting quality")
    return insights
