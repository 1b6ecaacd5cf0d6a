"""Comparing scoring models: the formulas as text, implemented vs documented side by side, and what-if rescoring."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import GRADE, MATURITY, MODEL_COMPARISON, QUALITY_WHATIF, SCORE, SERVICE
from .params import COMPONENTS, MODELS, ScoringParams
from .scores import latest_scores, score_history

__all__ = ["compare_models", "model_formula", "what_if"]


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
    # grouped by the column itself: its numpy copy would be an object array of Timestamps (seconds at 10k)
    return scores["unclamped"].groupby(key, dropna=False).rank(method="min", ascending=False)


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
