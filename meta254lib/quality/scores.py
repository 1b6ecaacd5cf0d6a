"""Quality scores that can be explained: the platform's implemented and documented formulas.

The platform (``compute_quality.py``) implements one formula and documents another
(``docs/QUALITY_SCORING.md``). This module recomputes both from each snapshot's own recorded
metrics, decomposes every score into its parts, flags recorded scores that differ from their own
inputs, and rescoring the whole history under other weights ("what-if").

**implemented** (``compute_quality.py``; weights, target, thresholds and multipliers from
``config/thresholds.yaml``)::

    cov   = min(coverage / quality.coverage.target, 1) * 100         (target <= 0 -> 100)
    sec   = max(0, 100 - 40*critical_vulns - 20*high_vulns)
    pf    = policy_failures + failed integration/contract/performance tests
    pol   = 100 if pf == 0 else max(0, 100 - 35*pf)
    stab  = 100 if d <= fresh_days else 85 if d <= warning_days else 60 if d <= critical_days else 40
    drift = max(0, 100 - min(drift_issues * penalty_per_issue, 100))
    raw   = base_score + w_cov*cov + w_sec*sec + w_pol*pol + w_stab*stab + w_drift*drift
    score = clamp(round_half_even(raw * maturity_multipliers[m].overall), 0, 100)

``d`` is the snapshot's ``deployment_freshness_days`` (30 when missing, the platform's default).

**documented** (``QUALITY_SCORING.md``; the appendix rounds, its step 8 truncates)::

    raw   = 50
          + min(coverage / target_by_maturity * 100 * w_cov, 100 * w_cov)   (targets .5/.7/.8/.6)
          + max(0, 100 - 20*critical - 10*high) * w_sec + 10*signed_images + 5*sbom_present
          + (15 * w_pol if policy_failures == 0 else -5 * policy_failures * w_pol)
          + (5 * w_stab if d <= 7 else -10 * w_stab if d > 30 else 0)
          - min(5 * drift_issues, 20) * w_drift
    score = clamp(round_half_up(raw * multiplier[m]), 0, 100)             (.8/.9/1.0/.6)

Both models decompose a score the same way (columns of :data:`~meta254lib.core.schema.QUALITY_SCORES`)::

    score = base + coverage_part + security_part + policy_part + stability_part + drift_part
            + maturity_adj + rounding + clamping

where ``maturity_adj = raw * (multiplier - 1)``, ``rounding`` is what rounding added and
``clamping`` what the 0..100 clamp added. ``unclamped`` is ``raw * multiplier`` with every cap
and floor removed and no rounding: it keeps ordering services where the score saturates at 100.

Assumptions: inputs follow :data:`~meta254lib.core.schema.QUALITY_HISTORY`; missing counts are 0,
missing test-pass flags count as passed, missing coverage is 0 (all as the platform does). Grades are
A >= 90, B >= 80, C >= 70, D >= 60, else F; status is failing below ``fail_under``, warning below
``min_score``, else passing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import (
    GRADE,
    MATURITY,
    MODEL_COMPARISON,
    QUALITY_SCORES,
    QUALITY_WHATIF,
    SCORE,
    SERVICE,
    STATUS,
    UTC_TS,
)

__all__ = [
    "COMPONENTS",
    "MODELS",
    "ScoringParams",
    "Weights",
    "compare_models",
    "grade_of",
    "implemented_score",
    "latest_scores",
    "model_formula",
    "score_history",
    "score_metrics",
    "status_of",
    "str_take",
    "to_utc",
    "what_if",
]

#: The scoring models offered.
MODELS: tuple[str, ...] = ("implemented", "documented")
#: The score components, in formula order.
COMPONENTS: tuple[str, ...] = ("coverage", "security", "policy", "stability", "drift")
#: Score inputs whose absence is listed in ``missing_inputs``.
_CORE_INPUTS = (
    "coverage",
    "critical_vulns",
    "high_vulns",
    "policy_failures",
    "deployment_freshness_days",
    "drift_issues",
)
_PASS_FLAGS = ("integration_pass", "contract_pass", "performance_pass")
_GRADE_LABELS = ("A", "B", "C", "D", "F")
_STATUS_LABELS = ("passing", "warning", "failing")


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


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column as float array (NaN = missing); absent column = all NaN."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    s = frame[name]
    if s.dtype == object or str(s.dtype) in ("str", "string"):
        s = s.map(_flag_value)
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(dtype="float64", na_value=np.nan)


def _flag_value(v: Any) -> float:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return np.nan
    if isinstance(v, str):
        return 1.0 if v.strip().lower() in ("passed", "pass", "true", "yes", "ok", "success") else 0.0
    return float(v)


def _lookup(maturity: np.ndarray, table: Mapping[str, float], default: float) -> np.ndarray:
    codes, uniques = pd.factorize(maturity)
    values = np.array([float(table.get(u, default)) for u in uniques] + [default], dtype="float64")
    return values[codes]  # code -1 (missing) picks the trailing default


def _grade_codes(score: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """0..4 for A..F, -1 for NaN."""
    codes = np.select([score >= bounds[0], score >= bounds[1], score >= bounds[2], score >= bounds[3]], [0, 1, 2, 3], 4)
    return np.where(np.isnan(score), -1, codes)


def _status_codes(score: np.ndarray, min_score: float, fail_under: float) -> np.ndarray:
    """0 passing, 1 warning, 2 failing, -1 for NaN."""
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


# --- the two formulas, vectorised --------------------------------------------------------------------
def _score_arrays(inp: Mapping[str, np.ndarray], maturity: np.ndarray, model: str, p: ScoringParams) -> dict:
    """Both formulas over aligned arrays; returns the decomposition as arrays."""
    n = len(maturity)
    cov_in = np.nan_to_num(inp["coverage"], nan=0.0)
    crit = np.nan_to_num(inp["critical_vulns"], nan=0.0)
    high = np.nan_to_num(inp["high_vulns"], nan=0.0)
    pfail = np.nan_to_num(inp["policy_failures"], nan=0.0)
    days = np.where(np.isnan(inp["deployment_freshness_days"]), 30.0, inp["deployment_freshness_days"])
    drift_n = np.nan_to_num(inp["drift_issues"], nan=0.0)
    w = p.weights
    if model == "implemented":
        target = p.coverage_target
        cov_u = np.full(n, 100.0) if target <= 0 else cov_in / target * 100.0
        cov = np.minimum(cov_u, 100.0) if target > 0 else cov_u
        sec_u = 100.0 - 40.0 * crit - 20.0 * high
        sec = np.maximum(0.0, sec_u)
        failed_tests = sum((np.nan_to_num(inp[f], nan=1.0) == 0).astype("float64") for f in _PASS_FLAGS)
        pf = pfail + failed_tests
        pol_u = np.where(pf == 0, 100.0, 100.0 - 35.0 * pf)
        pol = np.maximum(0.0, pol_u)
        stab = np.select(
            [days <= p.fresh_days, days <= p.warning_days, days <= p.critical_days], [100.0, 85.0, 60.0], 40.0
        )
        drift_u = 100.0 - drift_n * p.penalty_per_issue
        drift = np.maximum(0.0, 100.0 - np.minimum(drift_n * p.penalty_per_issue, 100.0))
        base = np.full(n, float(p.base_score))
        parts = {
            "coverage": w.coverage * cov,
            "security": w.security * sec,
            "policy": w.policy * pol,
            "stability": w.stability * stab,
            "drift": w.drift * drift,
        }
        uparts = (w.coverage * cov_u, w.security * sec_u, w.policy * pol_u, w.stability * stab, w.drift * drift_u)
        mult = _lookup(maturity, p.multipliers, 1.0)
    elif model == "documented":
        target = _lookup(maturity, p.doc_coverage_targets, p.coverage_target)
        with np.errstate(divide="ignore", invalid="ignore"):
            cov_u = np.where(target > 0, cov_in / target * 100.0 * w.coverage, 100.0 * w.coverage)
        cov_p = np.minimum(cov_u, 100.0 * w.coverage)
        signed = np.nan_to_num(inp["signed_images"], nan=0.0)
        sbom = np.nan_to_num(inp["sbom_present"], nan=0.0)
        bonus = p.signed_images_bonus * signed + p.sbom_bonus * sbom
        sec_u = (100.0 - 20.0 * crit - 10.0 * high) * w.security + bonus
        sec_p = np.maximum(0.0, 100.0 - 20.0 * crit - 10.0 * high) * w.security + bonus
        pol_p = np.where(pfail == 0, p.policy_bonus * w.policy, -p.policy_penalty * pfail * w.policy)
        stab_p = np.select(
            [days <= p.fresh_days, days > p.warning_days],
            [p.fresh_bonus * w.stability, -p.stale_penalty * w.stability],
            0.0,
        )
        drift_u = -(drift_n * p.penalty_per_issue) * w.drift
        drift_p = -np.minimum(drift_n * p.penalty_per_issue, p.doc_max_drift_penalty) * w.drift
        base = np.full(n, float(p.doc_base_score))
        parts = {"coverage": cov_p, "security": sec_p, "policy": pol_p, "stability": stab_p, "drift": drift_p}
        uparts = (cov_u, sec_u, pol_p, stab_p, drift_u)
        mult = _lookup(maturity, p.doc_multipliers, 1.0)
    else:
        raise ParameterError(f"unknown scoring model {model!r}; choose one of {', '.join(MODELS)}")
    raw = base + parts["coverage"] + parts["security"] + parts["policy"] + parts["stability"] + parts["drift"]
    scaled = raw * mult
    if model == "implemented":
        rounded = np.rint(scaled)  # round half to even, as Python's round()
    elif p.doc_rounding == "half_up":
        rounded = np.floor(scaled + 0.5)
    else:
        rounded = np.trunc(scaled)
    final = np.clip(rounded, 0.0, 100.0)
    unclamped = (base + uparts[0] + uparts[1] + uparts[2] + uparts[3] + uparts[4]) * mult
    return {
        "base": base,
        **{f"{c}_part": parts[c] for c in COMPONENTS},
        "raw": raw,
        "multiplier": mult,
        "maturity_adj": scaled - raw,
        "rounding": rounded - scaled,
        "clamping": final - rounded,
        "score": final,
        "unclamped": unclamped,
        "_scaled": scaled,
        "_rounded": rounded,
    }


def _inputs_from_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    names = (*_CORE_INPUTS, *_PASS_FLAGS, "signed_images", "sbom_present")
    return {c: _col(frame, c) for c in names}


def _maturity_array(frame: pd.DataFrame) -> np.ndarray:
    if MATURITY not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[MATURITY].astype(object).where(frame[MATURITY].notna(), "").to_numpy(dtype=object)


def score_metrics(
    metrics: Mapping[str, Any], maturity: str, params: ScoringParams | None = None, model: str = "implemented"
) -> dict[str, Any]:
    """Score one service's metrics and return the decomposition as a dict.

    Parameters
    ----------
    metrics : mapping
        Snapshot ``metrics`` (see :func:`implemented_score`); documented also reads signed_images,
        sbom_present.
    maturity : str
        Service maturity.
    params : ScoringParams, optional
        Defaults to :class:`ScoringParams` ().
    model : {"implemented", "documented"}

    Returns
    -------
    dict
        base, coverage_part ... drift_part, raw, multiplier, maturity_adj, rounding, clamping,
        score (int), unclamped, grade, status, model.

    Examples
    --------
    >>> ex2 = {"coverage": 0.65, "critical_vulns": 1, "high_vulns": 2, "policy_failures": 1,
    ...        "deployment_freshness_days": 45, "drift_issues": 2}
    >>> d = score_metrics(ex2, "beta", model="documented")
    >>> d["score"], d["grade"], round(d["raw"], 2), d["multiplier"]
    (82, 'B', 90.96, 0.9)
    >>> score_metrics(ex2, "beta")["score"]
    55
    """
    p = params or ScoringParams()
    frame = pd.DataFrame([{k: metrics.get(k) for k in (*_CORE_INPUTS, *_PASS_FLAGS)}])
    frame["signed_images"] = metrics.get("signed_images")
    frame["sbom_present"] = metrics.get("sbom_present")
    arr = _score_arrays(_inputs_from_frame(frame), np.array([maturity or ""], dtype=object), model, p)
    out: dict[str, Any] = {k: float(v[0]) for k, v in arr.items() if not k.startswith("_")}
    out["score"] = int(out["score"])
    out["grade"] = grade_of(out["score"], p.grade_bounds)
    out["status"] = status_of(out["score"], p.min_score, p.fail_under)
    out["model"] = model
    return out


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
        Parsed ``config/thresholds.yaml``. Absent keys take the platform's intended defaults (weights
        .25/.35/.15/.10/.15, target .75, 7/30/90 days, 5 per drift issue, multipliers .85/.95/1/.7).
        (Upstream, a *missing file* zeroes every weight through a key mismatch; not reproduced.)
    as_of : timestamp-like, optional
        Only used when metrics carry ``last_update`` instead of ``deployment_freshness_days``:
        the days are ``(as_of - last_update).days``.

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
    m = dict(metrics)
    if m.get("deployment_freshness_days") is None and m.get("last_update") is not None and as_of is not None:
        m["deployment_freshness_days"] = (to_utc(as_of) - to_utc(m["last_update"])).days
    return score_metrics(m, maturity, ScoringParams.from_config(thresholds))["score"]


def model_formula(model: str, params: ScoringParams | None = None) -> str:
    """The formula of a model with the parameters filled in, one line per part (for reports).

    Examples
    --------
    >>> print(model_formula("implemented").splitlines()[0])
    implemented (compute_quality.py): score = clamp(round_half_even((0 + 0.25*cov + 0.35*sec + 0.15*pol + 0.1*stab + 0.15*drift) * m), 0, 100)
    """  # noqa: E501
    p = params or ScoringParams()
    w = p.weights
    if model == "implemented":
        mult = ", ".join(f"{k} {v:g}" for k, v in p.multipliers.items())
        return "\n".join(
            [
                f"implemented (compute_quality.py): score = clamp(round_half_even(({p.base_score:g} + "
                f"{w.coverage:g}*cov + {w.security:g}*sec + {w.policy:g}*pol + {w.stability:g}*stab + "
                f"{w.drift:g}*drift) * m), 0, 100)",
                f"cov = min(coverage/{p.coverage_target:g}, 1)*100; sec = max(0, 100-40*critical-20*high); "
                "pol = 100 if no failures else max(0, 100-35*failures incl. failed integration/contract/"
                "performance tests)",
                f"stab = 100 if days<={p.fresh_days:g}, 85 if <={p.warning_days:g}, 60 if <={p.critical_days:g}, "
                f"else 40; drift = max(0, 100-{p.penalty_per_issue:g}*issues); m by maturity: {mult}",
            ]
        )
    if model == "documented":
        mult = ", ".join(f"{k} {v:g}" for k, v in p.doc_multipliers.items())
        tgt = ", ".join(f"{k} {v:g}" for k, v in p.doc_coverage_targets.items())
        rounding = "round_half_up" if p.doc_rounding == "half_up" else "truncate"
        return "\n".join(
            [
                f"documented (QUALITY_SCORING.md): score = clamp({rounding}(({p.doc_base_score:g} + cov + sec + "
                "pol + stab - drift) * m), 0, 100)",
                f"cov = min(coverage/target*{100 * w.coverage:g}, {100 * w.coverage:g}) (targets {tgt}); "
                f"sec = max(0, 100-20*critical-10*high)*{w.security:g} + {p.signed_images_bonus:g} if signed "
                f"+ {p.sbom_bonus:g} if SBOM",
                f"pol = {p.policy_bonus * w.policy:g} if no failures else -{p.policy_penalty * w.policy:g}*failures; "
                f"stab = +{p.fresh_bonus * w.stability:g} if days<={p.fresh_days:g}, "
                f"-{p.stale_penalty * w.stability:g} if days>{p.warning_days:g}; "
                f"drift = min({p.penalty_per_issue:g}*issues, {p.doc_max_drift_penalty:g})*{w.drift:g}; "
                f"m by maturity: {mult}",
            ]
        )
    raise ParameterError(f"unknown scoring model {model!r}; choose one of {', '.join(MODELS)}")


# --- frames ---------------------------------------------------------------------------------------
def to_utc(value: Any) -> pd.Timestamp:
    """A timestamp in UTC; naive values are taken as UTC.

    Examples
    --------
    >>> to_utc("2025-10-09")
    Timestamp('2025-10-09 00:00:00+0000', tz='UTC')
    """
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _prepare(history: pd.DataFrame, as_of: Any = None) -> np.ndarray:
    """Positions of the rows to score, ordered by (snapshot_time, service): at most one per
    (service, snapshot_time) (the last one wins), none after as_of, none without a snapshot time."""
    h = history
    if "snapshot_time" not in h.columns:
        return np.arange(len(h))
    t = pd.DatetimeIndex(pd.to_datetime(h["snapshot_time"], utc=True)).as_unit("us").asi8
    ok = h["snapshot_time"].notna().to_numpy()
    if as_of is not None:
        ok = ok & (t <= pd.DatetimeIndex([to_utc(as_of)]).as_unit("us").asi8[0])
    codes = pd.factorize(h[SERVICE], sort=True)[0] if SERVICE in h.columns else np.zeros(len(h), dtype="int64")
    rows = np.nonzero(ok)[0]
    order = rows[np.lexsort((codes[rows], t[rows]))]
    ts, cs = t[order], codes[order]
    keep = np.ones(len(order), dtype=bool)
    keep[:-1] = ~((ts[1:] == ts[:-1]) & (cs[1:] == cs[:-1]))
    return order[keep]


def score_history(
    history: pd.DataFrame,
    model: str = "implemented",
    params: ScoringParams | None = None,
    *,
    as_of: Any = None,
    missing_inputs: bool = True,
) -> pd.DataFrame:
    """Recompute every row of a quality history with one model and decompose each score.

    Parameters
    ----------
    history : DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_HISTORY` (only service and the metric columns are needed).
    model : {"implemented", "documented"}
    params : ScoringParams, optional
        Defaults to :class:`ScoringParams` ().
    as_of : timestamp-like, optional
        Drop snapshots after it.
    missing_inputs : bool
        Fill the ``missing_inputs`` column (costs a little on large histories).

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_SCORES`, ordered by snapshot_time, service. Duplicate
        (service, snapshot_time) rows keep the last one. ``mismatch`` compares the recorded score
        with the *implemented* recomputation (the platform wrote it with that formula), whatever the model.

    Examples
    --------
    >>> h = pd.DataFrame({"service": ["a", "b"], "maturity": ["stable", "beta"], "score": [100.0, 90.0],
    ...                   "coverage": [0.85, 0.61], "deployment_freshness_days": [5.0, 2.0]})
    >>> s = score_history(h)
    >>> s[["service", "score", "recorded_score", "mismatch"]].astype(object).values.tolist()
    [['a', 100, 100.0, False], ['b', 91, 90.0, True]]
    >>> parts = ["base", "coverage_part", "security_part", "policy_part", "stability_part", "drift_part",
    ...          "maturity_adj", "rounding", "clamping"]
    >>> bool(np.allclose(s[parts].sum(axis=1), s["score"].astype(float)))
    True
    """
    p = params or ScoringParams()
    if model not in MODELS:
        raise ParameterError(f"unknown scoring model {model!r}; choose one of {', '.join(MODELS)}")
    h = history
    order = _prepare(h, as_of)
    identity = len(order) == len(h) and bool(np.all(order == np.arange(len(h))))
    inp = {k: v[order] for k, v in _inputs_from_frame(h).items()}
    mat = _maturity_array(h)[order]
    arr = _score_arrays(inp, mat, model, p)
    impl = arr if model == "implemented" else _score_arrays(inp, mat, "implemented", p)
    n = len(order)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for c in ("snapshot", "snapshot_time", SERVICE, MATURITY):
        if c == "snapshot_time" and c in h.columns and str(h[c].dtype) != UTC_TS:
            out[c] = pd.to_datetime(h[c], utc=True).astype(UTC_TS).array.take(order)
        elif c in h.columns:
            out[c] = h[c].array if identity else h[c].array.take(order)
        else:
            out[c] = (
                pd.Series([pd.NaT] * n, dtype=UTC_TS) if c == "snapshot_time" else pd.Series([pd.NA] * n, dtype="str")
            )
    out["model"] = str_take([model], np.zeros(n, dtype="int64"))
    for c in (
        "base",
        *(f"{c}_part" for c in COMPONENTS),
        "raw",
        "multiplier",
        "maturity_adj",
        "rounding",
        "clamping",
    ):
        out[c] = arr[c]
    out[SCORE] = pd.array(arr["score"].astype("int64"), dtype="Int64")
    out["unclamped"] = arr["unclamped"]
    out[GRADE] = str_take(_GRADE_LABELS, _grade_codes(arr["score"], p.grade_bounds))
    out[STATUS] = str_take(_STATUS_LABELS, _status_codes(arr["score"], p.min_score, p.fail_under))
    rec = _col(h, SCORE)[order]
    out["recorded_score"] = pd.array(np.where(np.isnan(rec), np.nan, rec), dtype="Float64")
    mism = pd.array(rec != impl["score"], dtype="boolean")
    mism[np.isnan(rec)] = pd.NA
    out["mismatch"] = mism
    if missing_inputs:
        miss = pd.Series("", index=out.index, dtype="str")
        for c in _CORE_INPUTS:
            flag = np.isnan(inp[c])
            if flag.any():
                miss = miss.where(~flag, miss + np.where(miss == "", "", ",") + c)
        out["missing_inputs"] = miss
    else:
        out["missing_inputs"] = pd.Series([pd.NA] * n, dtype="str")
    out["_scaled"] = arr["_scaled"]
    out["_rounded"] = arr["_rounded"]
    for c, dtype in QUALITY_SCORES.dtypes.items():
        if str(out[c].dtype) != dtype:
            out[c] = out[c].astype(dtype)
    return out[[*QUALITY_SCORES.columns, "_scaled", "_rounded"]]


def _public(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[[c for c in scores.columns if not c.startswith("_")]]


def latest_scores(
    history: pd.DataFrame,
    model: str = "implemented",
    params: ScoringParams | None = None,
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """Each service's decomposed score in its latest snapshot at or before ``as_of``.

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_SCORES`, one row per service, ordered by score
        descending, then service. A service missing from the latest snapshot keeps its own latest row.

    Examples
    --------
    >>> h = pd.DataFrame({"service": ["a", "a"], "maturity": ["stable", "stable"], "coverage": [0.3, 0.9],
    ...                   "snapshot_time": pd.to_datetime(["2025-01-01", "2025-01-08"], utc=True)})
    >>> latest_scores(h, as_of="2025-01-05")["score"].tolist()
    [84]
    """
    s = score_history(history, model, params, as_of=as_of)
    s = s.drop_duplicates(SERVICE, keep="last")
    s = s.sort_values([SCORE, "unclamped", SERVICE], ascending=[False, False, True], kind="stable")
    return _public(s).reset_index(drop=True)


def compare_models(history: pd.DataFrame, params: ScoringParams | None = None, *, as_of: Any = None) -> pd.DataFrame:
    """Implemented and documented scores side by side per service (latest snapshot at or before as_of).

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.MODEL_COMPARISON`, ordered by ``difference`` (documented minus
        implemented) descending, then service.

    Examples
    --------
    >>> h = pd.DataFrame({"service": ["ex2"], "maturity": ["beta"], "coverage": [0.65], "critical_vulns": [1],
    ...                   "high_vulns": [2], "policy_failures": [1], "deployment_freshness_days": [45.0],
    ...                   "drift_issues": [2]})
    >>> compare_models(h)[["implemented_score", "implemented_grade", "documented_score",
    ...                    "documented_grade", "difference"]].astype(object).values.tolist()[0]
    [55, 'F', 82, 'B', 27]
    """
    impl = latest_scores(history, "implemented", params, as_of=as_of).set_index(SERVICE)
    doc = latest_scores(history, "documented", params, as_of=as_of).set_index(SERVICE)
    doc = doc.reindex(impl.index)
    out = pd.DataFrame({SERVICE: impl.index.astype("str")})
    out["snapshot_time"] = impl["snapshot_time"].array
    out[MATURITY] = impl[MATURITY].array
    out["recorded_score"] = impl["recorded_score"].array
    for name, fr in (("implemented", impl), ("documented", doc)):
        out[f"{name}_score"] = fr[SCORE].array
        out[f"{name}_grade"] = fr[GRADE].array
    out["difference"] = out["documented_score"] - out["implemented_score"]
    out["grade_differs"] = (out["implemented_grade"] != out["documented_grade"]).astype("bool")
    for c in COMPONENTS:
        out[f"{c}_implemented"] = impl[f"{c}_part"].to_numpy()
        out[f"{c}_documented"] = doc[f"{c}_part"].to_numpy()
    out = out.sort_values(["difference", SERVICE], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    for c, dtype in MODEL_COMPARISON.dtypes.items():
        if str(out[c].dtype) != dtype:
            out[c] = out[c].astype(dtype)
    return out[list(MODEL_COMPARISON.columns)]


def _ranks(scores: pd.DataFrame) -> pd.Series:
    """Rank within each snapshot by the unclamped score (1 = best; ties share the lower rank)."""
    key = scores["snapshot_time"] if scores["snapshot_time"].notna().any() else scores["snapshot"]
    return scores["unclamped"].groupby(key.to_numpy(), dropna=False).rank(method="min", ascending=False)


def what_if(
    history: pd.DataFrame,
    params: ScoringParams,
    base_params: ScoringParams | None = None,
    model: str = "implemented",
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """Rescore the whole history under other parameters and show which grades and ranks change.

    Parameters
    ----------
    history : DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_HISTORY`.
    params : ScoringParams
        The alternative (e.g. ``base.with_weights(coverage=0.4, security=0.2)``).
    base_params : ScoringParams, optional
        The baseline (defaults to :class:`ScoringParams` ()).
    model : {"implemented", "documented"}
    as_of : timestamp-like, optional

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.QUALITY_WHATIF`, one row per (snapshot, service), ordered by
        snapshot_time, service. Ranks are within a snapshot, by the *unclamped* score (so services
        saturated at 100 are still ordered), 1 = best.

    Examples
    --------
    >>> h = pd.DataFrame({"service": ["a", "b"], "maturity": ["stable", "stable"], "coverage": [0.9, 0.5],
    ...                   "critical_vulns": [1, 0], "deployment_freshness_days": [2.0, 2.0]})
    >>> w = what_if(h, ScoringParams().with_weights(coverage=0.5, security=0.1))
    >>> w[["service", "base_score", "score", "base_rank", "rank", "grade_changed"]].astype(object).values.tolist()
    [['a', 86, 96, 2, 1, True], ['b', 92, 83, 1, 2, True]]
    """
    base = score_history(history, model, base_params, as_of=as_of, missing_inputs=False)
    new = score_history(history, model, params, as_of=as_of, missing_inputs=False)
    out = pd.DataFrame(
        {
            "snapshot_time": base["snapshot_time"],
            SERVICE: base[SERVICE],
            "model": model,
            "base_score": base[SCORE],
            "base_grade": base[GRADE],
            "base_rank": _ranks(base).astype("Int64"),
            SCORE: new[SCORE],
            GRADE: new[GRADE],
            "rank": _ranks(new).astype("Int64"),
            "unclamped": new["unclamped"],
        }
    )
    out["score_change"] = (out[SCORE] - out["base_score"]).astype("Int64")
    out["grade_changed"] = (out[GRADE] != out["base_grade"]).astype("bool")
    out["rank_change"] = (out["base_rank"] - out["rank"]).astype("Int64")
    for c, dtype in QUALITY_WHATIF.dtypes.items():
        if str(out[c].dtype) != dtype:
            out[c] = out[c].astype(dtype)
    return out[list(QUALITY_WHATIF.columns)].reset_index(drop=True)
