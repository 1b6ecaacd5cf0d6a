"""Quality scores that can be explained: the platform's implemented and documented formulas.

The platform (``compute_quality.py``) implements one formula and documents another
(``docs/QUALITY_SCORING.md``). This module recomputes both from each snapshot's own recorded
metrics, decomposes every score into its parts and flags recorded scores that differ from their own
inputs. The constants live in :mod:`meta254lib.quality.params`; model comparison and what-if rescoring
in :mod:`meta254lib.quality.models`.

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

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.clock import to_utc
from ..core.errors import ParameterError
from ..core.schema import GRADE, MATURITY, QUALITY_SCORES, SCORE, SERVICE, STATUS, UTC_TS
from .labels import GRADES, STATUSES, grade_codes, grade_of, status_codes, status_of, str_take
from .params import COMPONENTS, MODELS, ScoringParams

__all__ = ["implemented_score", "latest_scores", "score_history", "score_metrics"]

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


# --- the two formulas, vectorised --------------------------------------------------------------------
#: One model's terms: base, weighted parts by component, uncapped parts (formula order), multiplier.
_Terms = tuple[np.ndarray, dict[str, np.ndarray], tuple[np.ndarray, ...], np.ndarray]


def _clean_inputs(inp: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inputs with the platform's defaults for missing values (0, and 30 days of freshness)."""
    days = inp["deployment_freshness_days"]
    return {
        "coverage": np.nan_to_num(inp["coverage"], nan=0.0),
        "critical": np.nan_to_num(inp["critical_vulns"], nan=0.0),
        "high": np.nan_to_num(inp["high_vulns"], nan=0.0),
        "policy_failures": np.nan_to_num(inp["policy_failures"], nan=0.0),
        "days": np.where(np.isnan(days), 30.0, days),
        "drift": np.nan_to_num(inp["drift_issues"], nan=0.0),
    }


def _implemented_terms(
    inp: Mapping[str, np.ndarray], x: Mapping[str, np.ndarray], maturity: np.ndarray, p: ScoringParams
) -> _Terms:
    """The terms of the implemented formula (``compute_quality.py``)."""
    n, w = len(maturity), p.weights
    target = p.coverage_target
    cov_u = np.full(n, 100.0) if target <= 0 else x["coverage"] / target * 100.0
    cov = np.minimum(cov_u, 100.0) if target > 0 else cov_u
    sec_u = 100.0 - 40.0 * x["critical"] - 20.0 * x["high"]
    sec = np.maximum(0.0, sec_u)
    failed_tests = sum((np.nan_to_num(inp[f], nan=1.0) == 0).astype("float64") for f in _PASS_FLAGS)
    pf = x["policy_failures"] + failed_tests
    pol_u = np.where(pf == 0, 100.0, 100.0 - 35.0 * pf)
    pol = np.maximum(0.0, pol_u)
    days = x["days"]
    stab = np.select([days <= p.fresh_days, days <= p.warning_days, days <= p.critical_days], [100.0, 85.0, 60.0], 40.0)
    drift_u = 100.0 - x["drift"] * p.penalty_per_issue
    drift = np.maximum(0.0, 100.0 - np.minimum(x["drift"] * p.penalty_per_issue, 100.0))
    parts = {
        "coverage": w.coverage * cov,
        "security": w.security * sec,
        "policy": w.policy * pol,
        "stability": w.stability * stab,
        "drift": w.drift * drift,
    }
    uparts = (w.coverage * cov_u, w.security * sec_u, w.policy * pol_u, w.stability * stab, w.drift * drift_u)
    return np.full(n, float(p.base_score)), parts, uparts, _lookup(maturity, p.multipliers, 1.0)


def _documented_terms(
    inp: Mapping[str, np.ndarray], x: Mapping[str, np.ndarray], maturity: np.ndarray, p: ScoringParams
) -> _Terms:
    """The terms of the documented formula (``QUALITY_SCORING.md``)."""
    n, w = len(maturity), p.weights
    target = _lookup(maturity, p.doc_coverage_targets, p.coverage_target)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov_u = np.where(target > 0, x["coverage"] / target * 100.0 * w.coverage, 100.0 * w.coverage)
    cov_p = np.minimum(cov_u, 100.0 * w.coverage)
    signed = np.nan_to_num(inp["signed_images"], nan=0.0)
    sbom = np.nan_to_num(inp["sbom_present"], nan=0.0)
    bonus = p.signed_images_bonus * signed + p.sbom_bonus * sbom
    crit, high, pfail = x["critical"], x["high"], x["policy_failures"]
    sec_u = (100.0 - 20.0 * crit - 10.0 * high) * w.security + bonus
    sec_p = np.maximum(0.0, 100.0 - 20.0 * crit - 10.0 * high) * w.security + bonus
    pol_p = np.where(pfail == 0, p.policy_bonus * w.policy, -p.policy_penalty * pfail * w.policy)
    stab_p = np.select(
        [x["days"] <= p.fresh_days, x["days"] > p.warning_days],
        [p.fresh_bonus * w.stability, -p.stale_penalty * w.stability],
        0.0,
    )
    drift_u = -(x["drift"] * p.penalty_per_issue) * w.drift
    drift_p = -np.minimum(x["drift"] * p.penalty_per_issue, p.doc_max_drift_penalty) * w.drift
    parts = {"coverage": cov_p, "security": sec_p, "policy": pol_p, "stability": stab_p, "drift": drift_p}
    uparts = (cov_u, sec_u, pol_p, stab_p, drift_u)
    return np.full(n, float(p.doc_base_score)), parts, uparts, _lookup(maturity, p.doc_multipliers, 1.0)


def _round(scaled: np.ndarray, model: str, p: ScoringParams) -> np.ndarray:
    """The model's rounding: half to even (implemented, as Python's round()), half up or truncation."""
    if model == "implemented":
        return np.rint(scaled)
    if p.doc_rounding == "half_up":
        return np.floor(scaled + 0.5)
    return np.trunc(scaled)


def _score_arrays(
    inp: Mapping[str, np.ndarray], maturity: np.ndarray, model: str, p: ScoringParams
) -> dict[str, np.ndarray]:
    """Both formulas over aligned arrays; returns the decomposition as arrays."""
    if model == "implemented":
        terms = _implemented_terms
    elif model == "documented":
        terms = _documented_terms
    else:
        raise ParameterError(f"unknown scoring model {model!r}; choose one of {', '.join(MODELS)}")
    base, parts, uparts, mult = terms(inp, _clean_inputs(inp), maturity, p)
    raw = base + parts["coverage"] + parts["security"] + parts["policy"] + parts["stability"] + parts["drift"]
    scaled = raw * mult
    rounded = _round(scaled, model, p)
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


def _identity_columns(h: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """snapshot, snapshot_time, service and maturity of the rows to score, in scoring order."""
    n = len(order)
    identity = n == len(h) and bool(np.all(order == np.arange(len(h))))
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
    return out


def _missing_inputs(inp: Mapping[str, np.ndarray], index: pd.Index) -> pd.Series:
    """Comma-separated names of the core inputs each row lacks (empty when none)."""
    miss = pd.Series("", index=index, dtype="str")
    for c in _CORE_INPUTS:
        flag = np.isnan(inp[c])
        if flag.any():
            miss = miss.where(~flag, miss + np.where(miss == "", "", ",") + c)
    return miss


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
    inp = {k: v[order] for k, v in _inputs_from_frame(h).items()}
    mat = _maturity_array(h)[order]
    arr = _score_arrays(inp, mat, model, p)
    impl = arr if model == "implemented" else _score_arrays(inp, mat, "implemented", p)
    n = len(order)
    out = _identity_columns(h, order)
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
    out[GRADE] = str_take(GRADES, grade_codes(arr["score"], p.grade_bounds))
    out[STATUS] = str_take(STATUSES, status_codes(arr["score"], p.min_score, p.fail_under))
    rec = _col(h, SCORE)[order]
    out["recorded_score"] = pd.array(np.where(np.isnan(rec), np.nan, rec), dtype="Float64")
    mism = pd.array(rec != impl["score"], dtype="boolean")
    mism[np.isnan(rec)] = pd.NA
    out["mismatch"] = mism
    out["missing_inputs"] = _missing_inputs(inp, out.index) if missing_inputs else pd.Series([pd.NA] * n, dtype="str")
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
