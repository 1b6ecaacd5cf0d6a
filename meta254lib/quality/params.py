"""The constants of both quality-scoring models: dimension weights and every threshold, read from config.

:class:`ScoringParams` holds what ``config/thresholds.yaml`` (implemented formula) and
``docs/QUALITY_SCORING.md`` / rules.yaml (documented formula) set; :mod:`meta254lib.quality.scores`
applies them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.errors import ParameterError

__all__ = ["COMPONENTS", "MODELS", "ScoringParams", "Weights"]

#: The scoring models offered.
MODELS: tuple[str, ...] = ("implemented", "documented")
#: The score components, in formula order.
COMPONENTS: tuple[str, ...] = ("coverage", "security", "policy", "stability", "drift")


@dataclass(frozen=True)
class Weights:
    """Dimension weights (``quality.weights`` of thresholds.yaml; the platform's values by default).

    Examples
    --------
    >>> Weights().security
    0.35
    >>> round(sum(Weights().as_dict().values()), 10)
    1.0
    """

    coverage: float = 0.25
    security: float = 0.35
    policy: float = 0.15
    stability: float = 0.10
    drift: float = 0.15

    def as_dict(self) -> dict[str, float]:
        """The weights keyed by component, in formula order."""
        return {c: float(getattr(self, c)) for c in COMPONENTS}


@dataclass(frozen=True)
class ScoringParams:
    """Every constant of both scoring models; defaults are thresholds.yaml's / the document's values.

    Build it from a workspace with :meth:`from_config`; change weights with :meth:`with_weights`.

    Parameters
    ----------
    weights : Weights
        Shared by both models (the documented one scales its points by the same weights).
    base_score : float
        implemented: ``quality.base_score`` (0).
    coverage_target : float
        implemented: ``quality.coverage.target`` (0.75), the same for every maturity.
    fresh_days, warning_days, critical_days : float
        Stability thresholds in days (7, 30, 90).
    penalty_per_issue : float
        Drift penalty per issue (5).
    multipliers : mapping
        implemented: maturity -> ``maturity_multipliers.<m>.overall`` (else ``coverage_weight``); 1.0 for
        any other maturity.
    min_score, fail_under : float
        Status thresholds (70, 60): thresholds.yaml ``quality.*``, else rules.yaml ``quality.*``.
    grade_bounds : tuple
        Lower bounds of A, B, C, D (90, 80, 70, 60); below D is F.
    doc_base_score : float
        documented: base points (50).
    doc_coverage_targets : mapping
        documented: coverage target by maturity (rules.yaml ``quality.coverage_thresholds``; .5/.7/.8/.6).
    doc_multipliers : mapping
        documented: maturity multipliers (.8/.9/1.0/.6).
    doc_max_drift_penalty : float
        documented: ``quality.drift.max_penalty`` (20).
    policy_bonus, policy_penalty : float
        documented: points for full compliance (15) and per failure (5), both times the policy weight.
    fresh_bonus, stale_penalty : float
        documented: points for a deployment within ``fresh_days`` (5) and after ``warning_days`` (10),
        times the stability weight.
    signed_images_bonus, sbom_bonus : float
        documented: points added for signed images (10) and an SBOM (5).
    doc_rounding : str
        documented: ``half_up`` (the appendix) or ``truncate`` (the document's step 8, ``int()``).

    Examples
    --------
    >>> p = ScoringParams().with_weights(coverage=0.4, security=0.2)
    >>> p.weights.coverage, p.weights.policy
    (0.4, 0.15)
    >>> ScoringParams.from_config({"quality": {"coverage": {"target": 0.8}}}).coverage_target
    0.8
    """

    weights: Weights = field(default_factory=Weights)
    base_score: float = 0.0
    coverage_target: float = 0.75
    fresh_days: float = 7.0
    warning_days: float = 30.0
    critical_days: float = 90.0
    penalty_per_issue: float = 5.0
    multipliers: Mapping[str, float] = field(
        default_factory=lambda: {"experimental": 0.85, "beta": 0.95, "stable": 1.0, "deprecated": 0.70}
    )
    min_score: float = 70.0
    fail_under: float = 60.0
    grade_bounds: tuple[float, float, float, float] = (90.0, 80.0, 70.0, 60.0)
    doc_base_score: float = 50.0
    doc_coverage_targets: Mapping[str, float] = field(
        default_factory=lambda: {"experimental": 0.50, "beta": 0.70, "stable": 0.80, "deprecated": 0.60}
    )
    doc_multipliers: Mapping[str, float] = field(
        default_factory=lambda: {"experimental": 0.8, "beta": 0.9, "stable": 1.0, "deprecated": 0.6}
    )
    doc_max_drift_penalty: float = 20.0
    policy_bonus: float = 15.0
    policy_penalty: float = 5.0
    fresh_bonus: float = 5.0
    stale_penalty: float = 10.0
    signed_images_bonus: float = 10.0
    sbom_bonus: float = 5.0
    doc_rounding: str = "half_up"

    def __post_init__(self) -> None:
        if self.doc_rounding not in ("half_up", "truncate"):
            raise ParameterError(f"doc_rounding must be 'half_up' or 'truncate', not {self.doc_rounding!r}")

    @classmethod
    def from_config(
        cls, thresholds: Mapping[str, Any] | None = None, rules: Mapping[str, Any] | None = None
    ) -> ScoringParams:
        """Read every constant from parsed thresholds.yaml (and rules.yaml); absent keys keep defaults.

        Examples
        --------
        >>> p = ScoringParams.from_config({"maturity_multipliers": {"beta": {"coverage_weight": 0.9}}})
        >>> p.multipliers["beta"], p.multipliers.get("stable", 1.0)
        (0.9, 1.0)
        """
        thresholds = thresholds or {}
        rules = rules or {}
        d = cls()
        q = _get(thresholds, "quality", default={})
        rq = _get(rules, "quality", default={})
        kw: dict[str, Any] = {}
        w_cfg = _get(q, "weights")
        if isinstance(w_cfg, Mapping):
            kw["weights"] = Weights(**{c: _num(w_cfg.get(c), 0.0) for c in COMPONENTS})
        simple = {
            "base_score": ("base_score",),
            "coverage_target": ("coverage", "target"),
            "fresh_days": ("stability", "fresh_days"),
            "warning_days": ("stability", "warning_days"),
            "critical_days": ("stability", "critical_days"),
            "penalty_per_issue": ("drift", "penalty_per_issue"),
            "doc_max_drift_penalty": ("drift", "max_penalty"),
            "policy_bonus": ("policy", "full_compliance_bonus"),
            "fresh_bonus": ("stability", "deployment_frequency_bonus"),
            "stale_penalty": ("stability", "staleness_penalty"),
            "signed_images_bonus": ("security", "signed_images_bonus"),
            "sbom_bonus": ("security", "sbom_bonus"),
        }
        for name, path in simple.items():
            v = _get(q, *path)
            if v is not None:
                kw[name] = _num(v, getattr(d, name))
        for name in ("min_score", "fail_under"):
            v = _get(q, name)
            if v is None:
                v = _get(rq, name)
            if v is not None:
                kw[name] = _num(v, getattr(d, name))
        mm = _get(thresholds, "maturity_multipliers")
        if isinstance(mm, Mapping):
            mult: dict[str, float] = {}
            for m, entry in mm.items():
                if isinstance(entry, Mapping):
                    if entry.get("overall") is not None:
                        mult[str(m)] = _num(entry["overall"], 1.0)
                    elif entry.get("coverage_weight") is not None:
                        mult[str(m)] = _num(entry["coverage_weight"], 1.0)
            kw["multipliers"] = mult
        ct = _get(rq, "coverage_thresholds")
        if isinstance(ct, Mapping):
            kw["doc_coverage_targets"] = {str(k): _num(v, 0.0) for k, v in ct.items() if v is not None}
        return cls(**kw)

    def with_weights(self, **weights: float) -> ScoringParams:
        """A copy with some weights replaced (``coverage=0.4``); unknown names raise ParameterError."""
        unknown = sorted(set(weights) - set(COMPONENTS))
        if unknown:
            raise ParameterError(f"unknown weight(s) {', '.join(unknown)}; known: {', '.join(COMPONENTS)}")
        new = dataclasses.replace(self.weights, **{k: float(v) for k, v in weights.items()})
        return dataclasses.replace(self, weights=new)


# --- small helpers ---------------------------------------------------------------------------------
def _get(d: Any, *path: str, default: Any = None) -> Any:
    cur: Any = d
    for key in path:
        if not isinstance(cur, Mapping) or cur.get(key) is None:
            return default
        cur = cur[key]
    return cur


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return float(value)
    if value is None or value is pd.NA:
        return default
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(f) else f
