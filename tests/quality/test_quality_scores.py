"""Tests for meta254lib.quality.scores, .params and .models: both scoring models, decomposition, mismatch flag,
what-if."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import meta254lib.quality as q
from meta254lib.core.errors import ParameterError

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "upstream"
PARTS = [
    "base",
    "coverage_part",
    "security_part",
    "policy_part",
    "stability_part",
    "drift_part",
    "maturity_adj",
    "rounding",
    "clamping",
]

# QUALITY_SCORING.md appendix A (inputs as written there; deployment_days -> deployment_freshness_days)
EX1 = {"coverage": 0.85, "critical_vulns": 0, "high_vulns": 0, "policy_failures": 0,
       "deployment_freshness_days": 5, "drift_issues": 0}  # fmt: skip
EX2 = {"coverage": 0.65, "critical_vulns": 1, "high_vulns": 2, "policy_failures": 1,
       "deployment_freshness_days": 45, "drift_issues": 2}  # fmt: skip
EX3 = {"coverage": 0.45, "critical_vulns": 2, "high_vulns": 3, "policy_failures": 3,
       "deployment_freshness_days": 120, "drift_issues": 5}  # fmt: skip
EXAMPLES = [(EX1, "stable"), (EX2, "beta"), (EX3, "beta")]


def _upstream_snapshot() -> tuple[dict, dict, dict]:
    path = UPSTREAM / "catalog" / "latest_quality_snapshot.json"
    if not path.is_file():
        pytest.skip(f"upstream quality snapshot not found at {path}")
    snap = json.loads(path.read_text(encoding="utf-8"))
    thresholds = yaml.safe_load((UPSTREAM / "config" / "thresholds.yaml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((UPSTREAM / "config" / "rules.yaml").read_text(encoding="utf-8"))
    return snap, thresholds, rules


@pytest.mark.upstream
def test_implemented_score_reproduces_all_24_upstream_scores():
    snap, thresholds, _ = _upstream_snapshot()
    services = snap["services"]
    assert len(services) == 24
    got = {name: q.implemented_score(v["metrics"], v["maturity"], thresholds) for name, v in services.items()}
    assert got == {name: v["score"] for name, v in services.items()}


@pytest.mark.upstream
def test_upstream_history_decomposes_and_matches(upstream):
    from meta254lib import open_workspace

    ws = open_workspace(upstream)
    params = q.ScoringParams.from_config(ws.thresholds, ws.rules)
    s = q.score_history(ws.quality_history, "implemented", params)
    assert len(s) == 24
    assert (s["score"] == s["recorded_score"].astype("Int64")).all()
    assert not s["mismatch"].any()
    assert np.allclose(s[PARTS].sum(axis=1), s["score"].astype(float), atol=1e-9, rtol=0)
    assert s["grade"].value_counts().to_dict() == {"A": 21, "C": 3}
    assert sorted(s.loc[s["grade"] == "C", "service"]) == ["data-quality", "mlflow-server", "orchestrator-service"]


@pytest.mark.parametrize(
    ("example", "implemented", "documented"),
    [(0, (100, "A"), (100, "A")), (1, (55, "F"), (82, "B")), (2, (29, "F"), (63, "D"))],
)
def test_worked_examples(example, implemented, documented):
    metrics, maturity = EXAMPLES[example]
    impl = q.score_metrics(metrics, maturity, model="implemented")
    doc = q.score_metrics(metrics, maturity, model="documented")
    assert (impl["score"], impl["grade"]) == implemented
    assert (doc["score"], doc["grade"]) == documented
    for d in (impl, doc):
        assert sum(d[c] for c in PARTS) == pytest.approx(d["score"], abs=1e-9)


def test_documented_parts_follow_the_appendix():
    d = q.score_metrics(EX2, "beta", model="documented")
    assert d["base"] == 50
    assert d["coverage_part"] == pytest.approx(23.2142857, abs=1e-6)
    assert d["security_part"] == pytest.approx(21.0)
    assert d["policy_part"] == pytest.approx(-0.75)
    assert d["stability_part"] == pytest.approx(-1.0)
    assert d["drift_part"] == pytest.approx(-1.5)
    assert d["raw"] == pytest.approx(90.9642857, abs=1e-6)
    assert d["multiplier"] == 0.9
    # Ex.1 saturates: 112.75 clamped to 100, the clamp is explicit
    d1 = q.score_metrics(EX1, "stable", model="documented")
    assert d1["raw"] == pytest.approx(112.75)
    assert (d1["rounding"], d1["clamping"]) == (pytest.approx(0.25), -13.0)
    # the document's step 8 truncates instead of rounding: 81.87 -> 81
    trunc = q.ScoringParams(doc_rounding="truncate")
    assert q.score_metrics(EX2, "beta", trunc, model="documented")["score"] == 81


def test_implemented_parts_and_bankers_rounding():
    d = q.score_metrics(EX2, "beta")
    assert d["coverage_part"] == pytest.approx(0.25 * 0.65 / 0.75 * 100)
    assert d["security_part"] == pytest.approx(0.35 * 20)
    assert d["policy_part"] == pytest.approx(0.15 * 65)
    assert d["stability_part"] == pytest.approx(0.10 * 60)
    assert d["drift_part"] == pytest.approx(0.15 * 90)
    assert d["multiplier"] == 0.95
    # 98.5 -> 98 and 95.5 -> 96: round half to even, as Python's round()
    assert (
        q.score_metrics({"coverage": 0.75, "deployment_freshness_days": 1, "drift_issues": 2}, "stable")["score"] == 98
    )
    assert (
        q.score_metrics({"coverage": 0.75, "deployment_freshness_days": 1, "drift_issues": 6}, "stable")["score"] == 96
    )


def test_failed_tests_count_as_policy_failures_and_missing_flags_pass():
    base = {"coverage": 0.75, "deployment_freshness_days": 1}
    assert q.score_metrics(base, "stable")["score"] == 100
    assert q.score_metrics({**base, "integration_pass": False}, "stable")["policy_part"] == pytest.approx(0.15 * 65)
    assert q.score_metrics({**base, "contract_pass": "passed"}, "stable")["policy_part"] == pytest.approx(15.0)
    # freshness missing: the platform's 30 days (85 points)
    assert q.score_metrics({"coverage": 0.75}, "stable")["stability_part"] == pytest.approx(8.5)


def test_params_from_config():
    t = {
        "quality": {"weights": {"coverage": 0.5, "security": 0.5}, "coverage": {"target": 0.5},
                    "stability": {"fresh_days": 3}, "drift": {"penalty_per_issue": 10, "max_penalty": 30}},
        "maturity_multipliers": {"beta": {"coverage_weight": 0.9}, "stable": {"overall": 0.99}},
    }  # fmt: skip
    p = q.ScoringParams.from_config(t, {"quality": {"min_score": 75, "coverage_thresholds": {"beta": 0.6}}})
    assert p.weights == q.Weights(coverage=0.5, security=0.5, policy=0.0, stability=0.0, drift=0.0)
    assert (p.coverage_target, p.fresh_days, p.warning_days, p.penalty_per_issue) == (0.5, 3.0, 30.0, 10.0)
    assert p.multipliers == {"beta": 0.9, "stable": 0.99}
    assert (p.min_score, p.fail_under, p.doc_max_drift_penalty) == (75.0, 60.0, 30.0)
    assert p.doc_coverage_targets == {"beta": 0.6}
    # an unknown maturity gets multiplier 1.0, as upstream
    assert q.score_metrics({"coverage": 0.5, "deployment_freshness_days": 1}, "incubating", p)["multiplier"] == 1.0
    # the implemented_score wrapper reads the same keys
    assert (
        q.implemented_score({"coverage": 0.25, "deployment_freshness_days": 1}, "stable", t) == 74
    )  # (25 + 50) * 0.99


def test_implemented_score_uses_last_update_with_as_of():
    m = {"coverage": 0.75, "last_update": "2025-09-01T00:00:00Z"}
    assert q.implemented_score(m, "stable", {}, as_of="2025-09-05") == 100  # 4 days: fresh
    assert q.implemented_score(m, "stable", {}, as_of="2025-10-20") == 96  # 49 days: 60 points, 4 fewer


def test_score_history_mismatch_missing_inputs_and_dedup():
    h = pd.DataFrame(
        {
            "snapshot": ["s1", "s1", "s2", "s2"],
            "snapshot_time": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-08", "2025-01-08"], utc=True),
            "service": ["b", "a", "a", "a"],
            "maturity": ["stable"] * 4,
            "score": [100.0, None, 90.0, 99.0],
            "coverage": [0.75, 0.75, 0.75, None],
            "deployment_freshness_days": [1.0, 1.0, 1.0, 1.0],
        }
    )
    s = q.score_history(h)
    # ordered by time then service; the duplicate (a, 2025-01-08) keeps its last row
    assert s[["snapshot", "service"]].values.tolist() == [["s1", "a"], ["s1", "b"], ["s2", "a"]]
    assert s["score"].tolist() == [100, 100, 75]
    assert s["mismatch"].tolist() == [pd.NA, False, True]
    assert s["missing_inputs"].tolist() == [
        "critical_vulns,high_vulns,policy_failures,drift_issues",
        "critical_vulns,high_vulns,policy_failures,drift_issues",
        "coverage,critical_vulns,high_vulns,policy_failures,drift_issues",
    ]
    assert list(q.score_history(h, as_of="2025-01-05")["service"]) == ["a", "b"]


def test_documented_model_keeps_mismatch_against_implemented():
    h = pd.DataFrame({"service": ["x"], "maturity": ["beta"], "score": [55.0], **{k: [v] for k, v in EX2.items()}})
    s = q.score_history(h, "documented")
    assert s["score"].tolist() == [82]
    assert s["model"].tolist() == ["documented"]
    assert s["mismatch"].tolist() == [False]


def test_unclamped_orders_saturated_services():
    h = pd.DataFrame(
        {"service": ["a", "b", "c"], "maturity": ["stable"] * 3, "coverage": [0.80, 0.95, 0.60],
         "deployment_freshness_days": [1.0, 1.0, 1.0]}
    )  # fmt: skip
    s = q.latest_scores(h)
    assert s["service"].tolist() == ["b", "a", "c"]
    assert s["score"].tolist() == [100, 100, 95]
    assert s["unclamped"].round(4).tolist() == [
        pytest.approx(106.6667, abs=1e-4),
        pytest.approx(101.6667, abs=1e-4),
        95.0,
    ]


def test_what_if_changes_grades_and_ranks_over_history():
    t = pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-08", "2025-01-08"], utc=True)
    h = pd.DataFrame(
        {"snapshot_time": t, "service": ["a", "b", "a", "b"], "maturity": "stable",
         "coverage": [0.9, 0.5, 0.9, 0.5], "critical_vulns": [1, 0, 0, 0], "deployment_freshness_days": 2.0}
    )  # fmt: skip
    alt = q.ScoringParams().with_weights(coverage=0.5, security=0.1)
    w = q.what_if(h, alt)
    assert w[["service", "base_score", "score", "base_rank", "rank"]].astype(object).values.tolist() == [
        ["a", 86, 96, 2, 1],
        ["b", 92, 83, 1, 2],
        ["a", 100, 100, 1, 1],
        ["b", 92, 83, 2, 2],
    ]
    assert w["grade_changed"].tolist() == [True, True, False, True]
    assert w["rank_change"].tolist() == [1, -1, 0, 0]


def test_compare_models_upstream_shape():
    h = pd.DataFrame({"service": ["x", "y"], "maturity": ["beta", "stable"],
                      **{k: [EX2[k], EX1[k]] for k in EX2}})  # fmt: skip
    c = q.compare_models(h)
    assert c[["service", "implemented_score", "documented_score", "difference", "grade_differs"]].astype(
        object
    ).values.tolist() == [["x", 55, 82, 27, True], ["y", 100, 100, 0, False]]


def test_errors():
    with pytest.raises(ParameterError, match="unknown scoring model 'x'"):
        q.score_history(pd.DataFrame({"service": ["a"]}), "x")
    with pytest.raises(ParameterError, match="unknown weight"):
        q.ScoringParams().with_weights(speed=1.0)
    with pytest.raises(ParameterError, match="doc_rounding"):
        q.ScoringParams(doc_rounding="banker")


def test_model_formula_names_the_model_and_weights():
    p = q.ScoringParams().with_weights(coverage=0.4)
    assert "0.4*cov" in q.model_formula("implemented", p)
    assert q.model_formula("documented", p).startswith("documented (QUALITY_SCORING.md)")
