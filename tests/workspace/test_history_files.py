"""Parsers of drift reports (repr issues included) and quality snapshots, on inline literals."""

from __future__ import annotations

import pandas as pd
import pytest

from meta254lib import workspace as L
from meta254lib.core.errors import InputError
from meta254lib.core.ids import drift_issue_id

REPR_SPEC_LAG = (
    "DriftIssue(type='spec_lag', severity='low', service='gateway', description='Service pins "
    "gateway-core@1.0.0 but latest is 1.2.0', current_value='1.0.0', expected_value='1.2.0', "
    "remediation='\U0001f4cb Minor version lag. Upgrade when convenient.')"
)


class TestReprIssues:
    def test_platform_repr(self):
        issue = L.parse_repr_issue(REPR_SPEC_LAG)
        assert issue["current_value"] == "1.0.0" and issue["remediation"].startswith("\U0001f4cb")

    @pytest.mark.parametrize(
        "text,reason",
        [
            ("DriftIssue(type=__import__('os').system('touch /tmp/pwned'))", "not a literal"),
            ("DriftIssue(type='x', severity=open('/etc/passwd').read())", "not a literal"),
            ("DriftIssue(type='x'", "not a DriftIssue"),
            ("__import__('os')", "positional"),
            ("DriftIssue('spec_lag')", "positional"),
            ("DriftIssue(**{'type': 'x'})", "kwargs"),
            ("lambda: 1", "not a DriftIssue"),
        ],
    )
    def test_refuses_code(self, text, reason):
        with pytest.raises(ValueError, match=reason):
            L.parse_repr_issue(text)

    def test_report_keeps_other_issues_when_one_is_hostile(self, tmp_path):
        marker = tmp_path / "pwned"
        doc = {
            "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
            "issues": [f"DriftIssue(type=__import__('os').system('touch {marker}'), service='a')", REPR_SPEC_LAG],
        }
        warnings: list = []
        rows = L.parse_drift_report(doc, "r.json", warnings)
        assert not marker.exists()
        assert [r["service"] for r in rows] == ["gateway"]
        assert warnings == [("r.json", "issues[0]", "unreadable issue (keyword 'type' is not a literal); skipped")]


class TestDriftReport:
    def test_spec_lag_refined_and_id_stable(self):
        rows = L.parse_drift_report(
            {"metadata": {"generated_at": "2025-10-10T00:00:00Z"}, "issues": [REPR_SPEC_LAG]}, "r.json", []
        )
        (row,) = rows
        assert (row["type"], row["raw_type"], row["subject"], row["severity"]) == (
            "spec_minor_lag",
            "spec_lag",
            "gateway-core",
            "low",
        )
        assert row["issue_id"] == drift_issue_id("gateway", "spec_major_lag", "gateway-core")

    def test_moderate_error_unknown_severity(self):
        doc = {
            "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
            "issues": [
                {"type": "version_staleness", "severity": "moderate", "service": "a"},
                {"type": "invalid_version", "severity": "error", "service": "b", "description": "bad pin x@latest"},
                {"type": "version_staleness", "severity": "catastrophic", "service": "c"},
            ],
        }
        warnings: list = []
        rows = L.parse_drift_report(doc, "r.json", warnings)
        assert [(r["severity"], r["raw_severity"]) for r in rows] == [
            ("medium", "moderate"),
            ("error", "error"),
            (None, "catastrophic"),
        ]
        assert rows[1]["subject"] == "x"
        assert warnings[0][1:] == ("issues[2].severity", "unknown severity 'catastrophic'; kept as unknown")

    def test_time_from_file_name_when_metadata_missing(self):
        rows = L.parse_drift_report(
            {"issues": [{"type": "missing_lock", "severity": "high", "service": "a"}]},
            "r.json",
            [],
            report_time=pd.Timestamp("2025-01-02", tz="UTC"),
        )
        assert str(rows[0]["report_time"]) == "2025-01-02 00:00:00+00:00"

    def test_missing_sections(self):
        warnings: list = []
        assert L.parse_drift_report({"metadata": {"generated_at": "2025-10-10"}}, "r.json", warnings) == []
        assert warnings[0][1] == "issues"
        with pytest.raises(InputError, match=r"r\.json: expected a drift report mapping"):
            L.parse_drift_report(["x"], "r.json", [])

    def test_unknown_event_subject(self):
        doc = {
            "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
            "issues": [
                "DriftIssue(type='event_schema_unknown', severity='low', service='auth', "
                "current_value='auth.token.validated.v1')"
            ],
        }
        (row,) = L.parse_drift_report(doc, "r.json", [])
        assert (row["type"], row["subject"]) == ("unknown_event", "auth.token.validated.v1")


class TestQualitySnapshots:
    def test_snapshot_shape(self):
        doc = {
            "metadata": {"generated_at": "2025-10-09T22:31:21Z"},
            "services": {
                "a": {
                    "score": 91,
                    "grade": "A",
                    "status": "passing",
                    "maturity": "beta",
                    "metrics": {"coverage": 0.61, "critical_vulns": 0, "high_vulns": 0, "deployment_freshness_days": 2},
                }
            },
        }
        (row,) = L.parse_quality_snapshot(doc, "q.json", [])
        assert (row["shape"], row["score"], row["coverage"], row["deployment_freshness_days"]) == (
            "snapshot",
            91.0,
            0.61,
            2.0,
        )

    def test_schema_shape_and_bad_score(self):
        warnings: list = []
        doc = {
            "generated_at": "2025-10-09T00:00:00",
            "services": {
                "a": {
                    "coverage": 0.7,
                    "open_critical_vulns": 2,
                    "open_high_vulns": 1,
                    "score": 140,
                    "grade": "A",
                    "status": "passing",
                }
            },
        }
        (row,) = L.parse_quality_snapshot(doc, "q.json", warnings)
        assert (row["shape"], row["critical_vulns"], row["high_vulns"], row["score"]) == ("schema", 2, 1, None)
        assert warnings == [("q.json", "services.a.score", "score 140 outside 0..100; ignored")]

    def test_list_shape_with_an_unusable_name_skips_that_entry(self):
        # found by the fuzzer: a list or mapping as a service name raised TypeError (unhashable)
        warnings: list = []
        doc = {
            "generated_at": "2025-10-09T00:00:00",
            "services": [
                {"name": ["core-api"], "score": 80, "metrics": {"coverage": 0.5}},
                {"name": {"n": 1}, "score": 80},
                {"name": "b", "score": 70, "metrics": {"coverage": 0.9}},
            ],
        }
        (row,) = L.parse_quality_snapshot(doc, "q.json", warnings)
        assert (row["service"], row["score"], row["coverage"]) == ("b", 70.0, 0.9)
        assert [w[:2] for w in warnings] == [("q.json", "services[0].name"), ("q.json", "services[1].name")]
        assert warnings[0][2].startswith("expected a service name, found")
