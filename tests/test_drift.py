"""The drift engine: one test class per detector on tiny workspaces, policy, exemptions, reports, CLI,
the upstream oracles, equivalence with the per-row baseline, and speed at 10,000 services."""

from __future__ import annotations

import json
import math
import re
import time
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import svc
from hypothesis import given, settings
from hypothesis import strategies as st

from meta254lib import InputError, ParameterError, UnknownServiceError, open_workspace
from meta254lib.cli import main
from meta254lib.core.ids import drift_issue_id
from meta254lib.core.schema import (
    CONTRACTS,
    DEPENDENCIES,
    DRIFT_ISSUES,
    EVENTS,
    LOCKFILES,
    SERVICES,
    SPEC_VERSIONS,
    frame_from_records,
)
from meta254lib.drift.engine import (
    CATEGORIES,
    DRIFT_TYPES,
    DriftInputs,
    DriftPolicy,
    detect_drift,
    detect_drift_baseline,
    drift_report_json,
    filter_issues,
    lag_matrix,
    policy_from_config,
    severity_type_matrix,
    top_issues,
    write_drift_report,
)

AS_OF = "2025-10-10"

#: The spec registry of WORKSPACE.md, plus specs for each change tag.
REGISTRY = {
    "gateway-core": {
        "description": "Core gateway API",
        "versions": [
            {"version": "1.0.0", "release_date": "2025-01-10", "changes": ["feature"]},
            {"version": "1.1.0", "release_date": "2025-04-02", "changes": ["feature", "performance"]},
            {"version": "1.1.1", "release_date": "2025-05-20", "changes": ["security", "bugfix"]},
            {"version": "2.0.0", "release_date": "2025-09-01", "changes": ["breaking", "feature"]},
        ],
        "deprecated": ["1.0.0"],
        "removed": [],
    },
    "tags-api": {
        "versions": [
            {"version": "1.0.0", "release_date": "2024-01-01", "changes": []},
            {"version": "1.0.1", "release_date": "2024-02-01", "changes": ["docs"]},
            {"version": "1.0.2", "release_date": "2024-03-01", "changes": ["bugfix", "docs"]},
            {"version": "1.0.3", "release_date": "2024-04-01", "changes": ["performance"]},
            {"version": "1.0.4", "release_date": "2024-05-01", "changes": ["feature"]},
            {"version": "1.1.0", "release_date": "2024-06-01", "changes": ["docs"]},
            {"version": "1.2.0", "release_date": "2024-07-01", "changes": ["breaking"]},
        ],
        "removed": ["1.0.0"],
    },
    "plain-api": {"latest_version": "3.4.5", "description": "upstream shape, no history"},
}


def run(make_ws, services, files=None, as_of=AS_OF, **kw):
    ws = open_workspace(make_ws(services=services, files=files))
    return detect_drift(ws, as_of=as_of, **kw)


def rows(result, *cols, type=None):
    df = result.issues if type is None else result.issues[result.issues["type"] == type]
    return df[list(cols)].values.tolist()


def pinned(make_ws, pin, registry=REGISTRY):
    return run(make_ws, [svc("gw", api_contracts=[pin])], {"config/specs-index.json": registry})


class TestSpecLag:
    def test_two_minor_lag_in_upstream_shape_is_medium(self, make_ws):
        r = run(
            make_ws,
            [svc("gateway", api_contracts=["gateway-core@1.0.0"])],
            {"config/specs-index.json": {"gateway-core": {"latest_version": "1.2.0"}}},
        )
        assert rows(r, "id", "type", "severity", "category", "current", "expected", "reason") == [
            [
                "DRIFT-0a29a82aa5",
                "spec_minor_lag",
                "medium",
                "Minor Version Lag",
                "1.0.0",
                "1.2.0",
                "pins gateway-core@1.0.0; latest is 1.2.0, 2 minors behind",
            ]
        ]
        assert r.issues.loc[0, ["major_behind", "minor_behind", "patch_behind"]].tolist() == [0, 2, 0]

    def test_security_change_skipped_is_high_whatever_the_distance(self, make_ws):
        r = pinned(make_ws, "gateway-core@1.0.0")
        assert rows(r, "type", "severity", "category", "reason", type="security_lag") == [
            [
                "security_lag",
                "high",
                "Security Vulnerabilities",
                "pins gateway-core@1.0.0; 1.1.1 fixed a security issue (latest 2.0.0)",
            ]
        ]
        # libyear: 2025-01-10 -> 2025-09-01 is 234 days
        assert r.issues.loc[r.issues.type == "security_lag", "libyear"].item() == round(234 / 365.25, 3)

    def test_major_lag_is_high(self, make_ws):
        r = pinned(make_ws, "gateway-core@1.1.1")
        assert rows(r, "type", "severity", "category", "reason") == [
            ["spec_major_lag", "high", "Major Version Lag", "pins gateway-core@1.1.1; latest is 2.0.0, 1 major behind"]
        ]

    def test_plain_patch_lag_is_low(self, make_ws):
        r = pinned(make_ws, "plain-api@3.4.2")
        assert rows(r, "type", "severity", "category", "reason") == [
            ["spec_patch_lag", "low", "Patch Version Lag", "pins plain-api@3.4.2; latest is 3.4.5, 3 patches behind"]
        ]

    @pytest.mark.parametrize(
        ("pin", "reason"),
        [
            ("tags-api@1.1.0", "pins tags-api@1.1.0; 1.2.0 has breaking changes"),  # one minor behind
            ("tags-api@1.0.4", "pins tags-api@1.0.4; 1.2.0 has breaking changes"),  # over docs and breaking
        ],
    )
    def test_breaking_release_skipped_is_high(self, make_ws, pin, reason):
        r = pinned(make_ws, pin)
        assert rows(r, "type", "severity", "category", "reason") == [
            ["breaking_lag", "high", "Breaking Changes", reason]
        ]

    @pytest.mark.parametrize(
        ("latest", "pin", "lag_type", "severity", "category", "reason"),
        [
            (
                "1.0.1",
                "1.0.0",
                "documentation_lag",
                "low",
                "Documentation Updates",
                "pins tags-api@1.0.0; 1.0.1 improved documentation",
            ),
            ("1.0.2", "1.0.0", "bugfix_lag", "low", "Minor Bug Fixes", "pins tags-api@1.0.0; 1.0.2 fixed bugs"),
            (
                "1.0.3",
                "1.0.1",
                "performance_lag",
                "medium",
                "Performance Issues",
                "pins tags-api@1.0.1; 1.0.3 improved performance",
            ),
            ("1.0.4", "1.0.1", "feature_lag", "medium", "Feature Lag", "pins tags-api@1.0.1; 1.0.4 added features"),
            (
                "1.1.0",
                "1.0.4",
                "spec_minor_lag",
                "medium",
                "Minor Version Lag",
                "pins tags-api@1.0.4; latest is 1.1.0, 1 minor behind",
            ),
        ],
    )
    def test_change_tags_of_skipped_versions(self, make_ws, latest, pin, lag_type, severity, category, reason):
        reg = {"tags-api": dict(REGISTRY["tags-api"], latest_version=latest, removed=[])}
        r = pinned(make_ws, f"tags-api@{pin}", reg)
        assert rows(r, "type", "severity", "category", "reason") == [[lag_type, severity, category, reason]]

    def test_lag_types_share_one_id(self, make_ws):
        ids = {
            pinned(make_ws, p).issues.query("subject == 'gateway-core' and type != 'deprecated_spec'")["id"].item()
            for p in ("gateway-core@1.0.0", "gateway-core@1.1.1")
        }
        assert ids == {drift_issue_id("gw", "spec_lag", "gateway-core")}

    def test_current_or_ahead_is_no_issue(self, make_ws):
        assert pinned(make_ws, "plain-api@3.4.5").issues.empty
        assert pinned(make_ws, "plain-api@4.0.0").issues.empty

    def test_unknown_spec_is_reported_as_not_assessed_once(self, make_ws):
        r = run(
            make_ws,
            [svc("a", api_contracts=["nope@1.0.0"]), svc("b", api_contracts=["nope@2.0.0"])],
            {"config/specs-index.json": REGISTRY},
        )
        assert r.issues.empty
        assert r.not_assessed.query("check == 'spec_lag'")["reason"].tolist() == [
            "1 pinned spec not in the spec registry: nope"
        ]

    def test_policy_can_lower_a_lag(self, make_ws):
        policy = DriftPolicy().with_overrides({"severity": {"security_lag": "medium", "spec_major_lag": "medium"}})
        r = run(
            make_ws,
            [svc("gw", api_contracts=["gateway-core@1.0.0"])],
            {"config/specs-index.json": REGISTRY},
            policy=policy,
        )
        # breaking_lag (high) now outranks the security and major candidates
        assert rows(r, "type", "severity", type="breaking_lag") == [["breaking_lag", "high"]]


class TestDeprecatedSpec:
    def test_deprecated_and_removed_pins_are_high(self, make_ws):
        r = run(
            make_ws,
            [svc("gw", api_contracts=["gateway-core@1.0.0", "tags-api@1.0.0"])],
            {"config/specs-index.json": REGISTRY},
        )
        assert rows(r, "id", "severity", "category", "current", "expected", "reason", type="deprecated_spec") == [
            [
                drift_issue_id("gw", "deprecated_spec", "gateway-core"),
                "high",
                "Breaking Changes",
                "1.0.0 (deprecated)",
                "2.0.0",
                "pins gateway-core@1.0.0, which the spec registry marks deprecated; latest is 2.0.0",
            ],
            [
                drift_issue_id("gw", "deprecated_spec", "tags-api"),
                "high",
                "Breaking Changes",
                "1.0.0 (removed)",
                "1.2.0",
                "pins tags-api@1.0.0, which the spec registry marks removed; latest is 1.2.0",
            ],
        ]


class TestInvalidVersion:
    def test_unparseable_pins(self, make_ws):
        r = run(
            make_ws,
            [
                svc(
                    "gw",
                    api_contracts=["gateway-core@latest"],
                    dependencies={"internal": [], "external": ["redis@seven"]},
                )
            ],
        )
        assert rows(r, "id", "severity", "category", "subject", "current", "reason") == [
            [
                drift_issue_id("gw", "invalid_version", "gateway-core"),
                "medium",
                "Invalid Version Pins",
                "gateway-core",
                "latest",
                "pins gateway-core@latest, which is not a semantic version",
            ],
            [
                drift_issue_id("gw", "invalid_version", "redis"),
                "medium",
                "Invalid Version Pins",
                "redis",
                "seven",
                "depends on redis@seven, whose version does not parse",
            ],
        ]


class TestVulnerableDependency:
    ADVISORY: ClassVar[dict] = {
        "id": "GHSA-aaaa-bbbb-cccc",
        "summary": "redis RCE",
        "aliases": ["CVE-2025-0001"],
        "affected": [
            {
                "package": {"name": "redis"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "7.0.0"}, {"fixed": "7.0.12"}]}],
            }
        ],
        "database_specific": {"severity": "HIGH"},
    }
    SPEC_ADVISORY: ClassVar[dict] = {
        "id": "OSV-2025-7",
        "summary": "gateway-core auth bypass",
        "affected": [{"package": {"name": "gateway-core"}, "versions": ["1.1.0"]}],
    }

    def test_advisory_on_external_and_on_spec_pin(self, make_ws):
        r = run(
            make_ws,
            [
                svc(
                    "a",
                    api_contracts=["gateway-core@1.1.0"],
                    dependencies={"internal": [], "external": ["redis@7.0", "kafka"]},
                ),
                svc("b", dependencies={"internal": [], "external": ["redis@7.2"]}),
            ],
            {"advisories/GHSA-aaaa-bbbb-cccc.json": self.ADVISORY, "advisories/OSV-2025-7.json": self.SPEC_ADVISORY},
        )
        got = r.issues[r.issues.type == "vulnerable_dependency"]
        assert got[
            ["service", "subject", "severity", "category", "advisory_ids", "expected", "reason"]
        ].values.tolist() == [
            [
                "a",
                "gateway-core",
                "high",
                "Security Vulnerabilities",
                "OSV-2025-7",
                "a version outside the advisory ranges",
                "pins gateway-core@1.1.0; OSV-2025-7 (unknown) affects it, no fixed version published",
            ],
            [
                "a",
                "redis",
                "high",
                "Security Vulnerabilities",
                "GHSA-aaaa-bbbb-cccc",
                ">= 7.0.12",
                "pins redis@7.0; GHSA-aaaa-bbbb-cccc (high) affects it, fixed in 7.0.12",
            ],
        ]
        assert got["id"].tolist() == [
            drift_issue_id("a", "vulnerable_dependency", s) for s in ("gateway-core", "redis")
        ]
        payload = json.loads(drift_report_json(r))
        assert [i["advisory_ids"] for i in payload["issues"] if i["type"] == "vulnerable_dependency"] == [
            ["OSV-2025-7"],
            ["GHSA-aaaa-bbbb-cccc"],
        ]

    def test_without_advisories_not_assessed(self, make_ws):
        r = run(make_ws, [svc("a", dependencies={"internal": [], "external": ["redis@7.0"]})])
        assert "vulnerable_dependency" in r.not_assessed["check"].tolist()


class TestLocks:
    LOCK: ClassVar[dict] = {
        "version": "1.0",
        "dependencies": {"gateway-core": {"version": "1.1.0"}, "old-api": {"version": "1.0.0"}},
    }

    def test_missing_lock_and_mismatch(self, make_ws):
        r = run(
            make_ws,
            [
                svc("a", api_contracts=["gateway-core@1.2.0", "auth-spec@3.0.0"]),
                svc("b", api_contracts=["x@1.0.0"]),
                svc("c"),
            ],
            {"manifests/collected/a.specs.lock.json": self.LOCK},
        )
        assert rows(r, "service", "type", "severity", "category", "subject", "current", "expected", "reason") == [
            [
                "b",
                "missing_lock",
                "high",
                "Missing Lock Files",
                "",
                "no specs.lock.json",
                "manifests/collected/b.specs.lock.json",
                "pins 1 spec (x) but has no collected lock file",
            ],
            [
                "a",
                "lock_mismatch",
                "medium",
                "Lock File Mismatch",
                "auth-spec",
                "(not locked)",
                "3.0.0",
                "pins auth-spec@3.0.0 but the lock file does not lock auth-spec",
            ],
            [
                "a",
                "lock_mismatch",
                "medium",
                "Lock File Mismatch",
                "gateway-core",
                "1.1.0",
                "1.2.0",
                "lock file has gateway-core@1.1.0 but the manifest pins 1.2.0",
            ],
            [
                "a",
                "lock_mismatch",
                "medium",
                "Lock File Mismatch",
                "old-api",
                "1.0.0",
                "(not pinned)",
                "lock file locks old-api@1.0.0 but the manifest does not pin old-api",
            ],
        ]
        assert r.issues.loc[0, "id"] == drift_issue_id("b", "missing_lock", "")
        assert "missing_lock" not in r.not_assessed["check"].tolist()

    def test_no_lock_anywhere_is_not_assessed_not_flagged(self, make_ws):
        r = run(make_ws, [svc(f"s{i}", api_contracts=["x@1.0.0"]) for i in range(5)])
        assert r.issues.empty
        assert (
            r.not_assessed.query("check in ['missing_lock', 'lock_mismatch']")["reason"].tolist()
            == ["no lock file is collected anywhere; lock checks not assessed"] * 2
        )

    def test_equal_versions_written_differently_match(self, make_ws):
        lock = {"version": "1.0", "dependencies": {"x": {"version": "v1.0"}}}
        r = run(make_ws, [svc("a", api_contracts=["x@1.0.0"])], {"manifests/collected/a.specs.lock.json": lock})
        assert r.issues.empty


class TestDivergence:
    def test_majors_medium_minors_low_patches_ignored(self, make_ws):
        ext = {
            "a": ["redis@6.2", "postgres@14", "kafka@3.5.1"],
            "b": ["redis@7.2", "postgresql@15", "kafka@3.5.3"],
            "c": ["redis@7.0", "kafka"],
        }
        r = run(make_ws, [svc(s, dependencies={"internal": [], "external": e}) for s, e in ext.items()])
        assert rows(r, "service", "severity", "category", "subject", "current", "expected", "reason") == [
            [
                "a",
                "medium",
                "Dependency Conflicts",
                "postgresql",
                "14",
                "15",
                "uses postgresql@14; 1 other service uses postgresql@15 (a newer major)",
            ],
            [
                "a",
                "medium",
                "Dependency Conflicts",
                "redis",
                "6.2",
                "7.2",
                "uses redis@6.2; 1 other service uses redis@7.2 (a newer major)",
            ],
            [
                "c",
                "low",
                "Dependency Conflicts",
                "redis",
                "7.0",
                "7.2",
                "uses redis@7.0; 1 other service uses redis@7.2 (a newer minor)",
            ],
        ]
        assert r.issues.loc[0, "id"] == drift_issue_id("a", "shared_dependency", "postgresql")


class TestStaleness:
    @pytest.mark.parametrize(
        ("last", "expected"),
        [
            ("2025-07-12T00:00:00+00:00", []),  # exactly 90 days: not over 90
            ("2025-07-11T12:00:00+00:00", []),  # 90.5 days counts as 90 whole days
            ("2025-07-10T00:00:00+00:00", [["medium", "2025-07-10 (92 days old)"]]),
            ("2025-04-13T00:00:00+00:00", [["medium", "2025-04-13 (180 days old)"]]),
            ("2025-04-12T00:00:00+00:00", [["high", "2025-04-12 (181 days old)"]]),
        ],
    )
    def test_thresholds(self, make_ws, last, expected):
        assert rows(run(make_ws, [svc("a", last_update=last)]), "severity", "current") == expected

    def test_reason_and_config_thresholds(self, make_ws):
        files = {"config/thresholds.yaml": {"drift_severity": {"staleness": {"warning": 30, "critical": 60}}}}
        r = run(make_ws, [svc("a", last_update="2025-08-01T00:00:00+00:00")], files)
        assert rows(r, "id", "severity", "category", "age_days", "reason") == [
            [
                drift_issue_id("a", "version_staleness", ""),
                "high",
                "Version Staleness",
                70,
                "last updated 2025-08-01, 70 days before as-of (over 60 days is high)",
            ]
        ]


class TestEventsAndDangling:
    def test_unknown_event_once_per_service_and_event(self, make_ws):
        files = {"config/events-registry.yaml": {"events": ["known.event.x.v1"]}}
        r = run(
            make_ws,
            [
                svc(
                    "search",
                    events_in=["search.index.updated.v1", "known.event.x.v1"],
                    events_out=["search.index.updated.v1"],
                )
            ],
            files,
        )
        assert rows(r, "id", "severity", "category", "subject", "current", "reason") == [
            [
                drift_issue_id("search", "unknown_event", "search.index.updated.v1"),
                "medium",
                "Unknown Events",
                "search.index.updated.v1",
                "in+out",
                "consumed and produced event search.index.updated.v1 is not in the events registry",
            ]
        ]

    def test_no_registry_no_event_issues(self, make_ws):
        r = run(make_ws, [svc("a", events_in=["x.y.z.v1"])])
        assert r.issues.empty
        assert r.not_assessed.query("check == 'unknown_event'")["input"].tolist() == ["config/events-registry.yaml"]

    def test_dangling_dependency(self, make_ws):
        r = run(make_ws, [svc("a", dependencies={"internal": ["b", "ghost", "ghost@1.0.0"], "external": []}), svc("b")])
        assert rows(r, "id", "severity", "category", "subject", "reason") == [
            [
                drift_issue_id("a", "dangling_dependency", "ghost"),
                "medium",
                "Dangling Dependencies",
                "ghost",
                "depends on ghost, which is not in the catalog",
            ]
        ]


class TestPolicy:
    def test_defaults_follow_the_runbook(self):
        p = DriftPolicy()
        high = {t for t in DRIFT_TYPES if p.severity[t] == "high"}
        assert {"missing_lock", "spec_major_lag", "vulnerable_dependency", "deprecated_spec", "security_lag"} <= high
        assert {t for t in DRIFT_TYPES if p.severity[t] == "low"} == {
            "spec_patch_lag",
            "bugfix_lag",
            "documentation_lag",
        }
        assert (p.divergence_major, p.divergence_minor) == ("medium", "low")
        assert dict(p.slo_days) == {"high": 7, "medium": 30, "low": 14}
        assert set(CATEGORIES) == set(DRIFT_TYPES)

    def test_rules_yaml_override_and_errors(self, make_ws):
        files = {
            "config/rules.yaml": {
                "drift": {"policy": {"severity": {"dangling_dependency": "off"}, "divergence": {"minor": "medium"}}}
            }
        }
        r = run(
            make_ws,
            [
                svc("a", dependencies={"internal": ["ghost"], "external": ["redis@7.0"]}),
                svc("b", dependencies={"internal": [], "external": ["redis@7.2"]}),
            ],
            files,
        )
        assert rows(r, "type", "severity") == [["dependency_divergence", "medium"]]
        assert r.to_payload()["metadata"]["policy"]["severity"]["dangling_dependency"] == "off"
        with pytest.raises(
            InputError, match=r"config/rules.yaml: drift.policy.severity.unknown_event: expected one of"
        ):
            policy_from_config({}, {"drift": {"policy": {"severity": {"unknown_event": "urgent"}}}})
        with pytest.raises(InputError, match=r"drift.policy.staleness_days.critical: expected a number >= warning"):
            policy_from_config({}, {"drift": {"policy": {"staleness_days": {"warning": 100, "critical": 50}}}})

    def test_policy_is_frozen(self):
        p = DriftPolicy()
        with pytest.raises(AttributeError):
            p.staleness_warning_days = 1
        with pytest.raises(TypeError):
            p.severity["missing_lock"] = "low"


class TestExemptions:
    SERVICES: ClassVar[list] = [
        svc("a", api_contracts=["plain-api@3.0.0"], last_update="2025-01-01T00:00:00+00:00"),
        svc("b", api_contracts=["plain-api@3.2.0"]),
    ]

    def files(self, *exemptions):
        return {"config/specs-index.json": REGISTRY, "config/rules.yaml": {"drift": {"exemptions": list(exemptions)}}}

    def test_active_hidden_from_counts_expired_unhidden_and_listed(self, make_ws):
        r = run(
            make_ws,
            self.SERVICES,
            self.files(
                {"service": "a", "spec": "plain-api", "reason": "waiting for review", "expires": "2025-12-31"},
                {"service": "b", "spec": "plain-api", "reason": "old deal", "expires": "2025-10-01"},
            ),
        )
        got = rows(r, "service", "type", "exempt", "exemption_reason", "exemption_expired")
        assert got == [
            ["a", "version_staleness", False, "", False],
            ["a", "spec_minor_lag", True, "waiting for review", False],
            ["b", "spec_minor_lag", False, "old deal", True],
        ]
        s = r.summary()
        assert (s["total_issues"], s["exempt"], s["by_severity"]) == (2, 1, {"high": 1, "medium": 1, "low": 0})
        assert [(e["service"], e["subject"], e["expires"]) for e in s["expired_exemptions"]] == [
            ("b", "plain-api", "2025-10-01T23:59:59.999999+00:00")
        ]
        assert r.exemptions["status"].tolist() == ["active", "expired"]

    def test_service_wide_exemption_and_expiry_day_inclusive(self, make_ws):
        r = run(make_ws, self.SERVICES, self.files({"service": "a", "reason": "sunset", "expires": "2025-10-10"}))
        assert r.issues.query("service == 'a'")["exempt"].tolist() == [True, True]
        late = run(make_ws, self.SERVICES, self.files({"service": "a", "reason": "sunset", "expires": "2025-10-09"}))
        assert late.issues.query("service == 'a'")["exempt"].tolist() == [False, False]

    def test_unused_exemption_is_reported(self, make_ws):
        r = run(make_ws, self.SERVICES, self.files({"service": "a", "spec": "nothing", "reason": "x"}))
        assert r.exemptions["status"].tolist() == ["active, unused"]


class TestResultAndReport:
    def test_as_of_defaults_to_catalog_generated_at(self, make_ws):
        ws = open_workspace(make_ws(services=[svc("a")]))
        assert str(detect_drift(ws).as_of) == "2025-10-10 00:00:00+00:00"
        with pytest.raises(ParameterError):
            detect_drift(DriftInputs(frame_from_records(SERVICES, [{"service": "a"}])))

    def test_schema_and_order(self, make_ws):
        r = pinned(make_ws, "gateway-core@1.0.0")
        assert tuple(r.issues.columns) == DRIFT_ISSUES.columns
        assert dict(r.issues.dtypes.astype(str)) == {c: d for c, d in DRIFT_ISSUES.dtypes.items()}
        assert r.issues["severity"].tolist() == ["high", "high"]

    def test_json_is_byte_identical_and_independent_of_row_order(self, make_ws):
        services = [
            svc("b", api_contracts=["plain-api@1.0.0"], events_in=["u.v.w.v1"]),
            svc("a", api_contracts=["plain-api@3.4.0"], last_update="2025-01-01T00:00:00+00:00"),
        ]
        files = {"config/specs-index.json": REGISTRY, "config/events-registry.yaml": {"events": []}}
        a = drift_report_json(run(make_ws, services, files))
        b = drift_report_json(run(make_ws, services, files))
        assert a == b
        ws = open_workspace(make_ws(services=services, files=files))
        inp = DriftInputs.from_workspace(ws)
        shuffled = DriftInputs(
            **{
                **inp.__dict__,
                "services": inp.services.iloc[::-1],
                "events": inp.events.iloc[::-1],
                "contracts": inp.contracts.iloc[::-1],
            }
        )
        assert drift_report_json(detect_drift(shuffled, as_of=AS_OF)) == a
        payload = json.loads(a)
        assert payload["summary"]["issues_by_severity"] == {"high": 2, "medium": 1, "low": 1}
        assert payload["metadata"]["generator"].startswith("meta254")

    def test_write_report_archive_latest_and_reload(self, make_ws):
        root = make_ws(
            services=[svc("a", api_contracts=["plain-api@3.4.0"])], files={"config/specs-index.json": REGISTRY}
        )
        r = detect_drift(open_workspace(root), as_of="2025-10-10T12:30:00Z")
        path = write_drift_report(root, r)
        assert path.name == "20251010_123000_drift_report.json"
        latest = root / "analysis/reports/drift/latest_drift_report.json"
        assert latest.read_bytes() == path.read_bytes()
        assert write_drift_report(root, r) == path  # same content: fine
        other = detect_drift(
            open_workspace(root),
            as_of="2025-10-10T12:30:00Z",
            policy=DriftPolicy().with_overrides({"severity": {"spec_patch_lag": "medium"}}),
        )
        with pytest.raises(ParameterError, match="already exists with different content"):
            write_drift_report(root, other)
        assert latest.read_bytes() == path.read_bytes()
        # the loader reads our report back with our ids
        hist = open_workspace(root).drift_history
        assert set(hist["issue_id"]) == set(r.issues["id"])
        assert set(hist["source"]) == {"meta254"}
        # the next run dates the persisting issue from the first report
        nxt = detect_drift(open_workspace(root), as_of="2025-10-17")
        assert str(nxt.issues.loc[0, "detected_at"]) == "2025-10-10 12:30:00+00:00"

    def test_views(self, make_ws):
        r = run(
            make_ws,
            [
                svc("a", team="access", api_contracts=["gateway-core@1.0.0"]),
                svc("b", team="data", api_contracts=["plain-api@3.4.4"]),
            ],
            {"config/specs-index.json": REGISTRY},
        )
        assert filter_issues(r.issues, team="data")["service"].tolist() == ["b"]
        assert filter_issues(r.issues, severity_floor="high")["service"].tolist() == ["a", "a"]
        with pytest.raises(ParameterError):
            filter_issues(r.issues, severity_floor="urgent")
        m = severity_type_matrix(r.issues)
        assert m.loc["high"].to_dict() == {"deprecated_spec": 1, "security_lag": 1, "spec_patch_lag": 0}
        assert top_issues(r.issues, 2)["type"].tolist() == ["deprecated_spec", "security_lag"]
        ws = open_workspace(
            make_ws(
                services=[svc("a", api_contracts=["gateway-core@1.0.0", "x@1"])],
                files={"config/specs-index.json": REGISTRY},
            )
        )
        lm = lag_matrix(ws.contracts, ws.spec_versions)
        assert lm[["spec", "pinned", "latest", "status", "distance", "libyear"]].fillna(-1).values.tolist() == [
            ["gateway-core", "1.0.0", "2.0.0", "behind", "1 major", 0.641],
            ["x", "1", "", "unknown spec", "", -1],
        ]

    def test_for_service(self, make_ws):
        r = run(make_ws, [svc("a", api_contracts=["x@bad"]), svc("b", api_contracts=["y@bad"])])
        assert r.for_service("b").summary()["services"] == 1
        assert r.for_service("b").issues["service"].tolist() == ["b"]
        with pytest.raises(UnknownServiceError):
            r.for_service("zzz")


class TestCli:
    def test_json_table_csv_and_exit_codes(self, make_ws):
        root = make_ws(
            services=[svc("a", api_contracts=["gateway-core@1.0.0"]), svc("b")],
            files={"config/specs-index.json": REGISTRY},
        )
        runner = CliRunner()
        args = ["drift", "--workspace", str(root), "--as-of", AS_OF]
        one = runner.invoke(main, [*args, "--format", "json"])
        two = runner.invoke(main, [*args, "--format", "json"])
        assert one.exit_code == 0 and one.output == two.output
        payload = json.loads(one.output)
        assert payload["as_of"] == "2025-10-10T00:00:00+00:00"
        assert {"services", "services_with_drift", "by_severity", "by_type", "not_assessed"} <= set(payload["summary"])
        assert payload["summary"]["services"] == 2 and payload["summary"]["services_with_drift"] == 1
        need = {"id", "service", "type", "severity", "category", "subject", "current", "expected", "reason", "exempt"}
        assert all(need <= set(i) for i in payload["issues"])
        csv = runner.invoke(main, [*args, "--format", "csv"])
        assert csv.output.splitlines()[0] == ",".join(DRIFT_ISSUES.columns)
        table = runner.invoke(main, [*args, "--service", "a"])
        assert table.exit_code == 0 and "security_lag" in table.output and "2 issue(s) counted" in table.output
        assert runner.invoke(main, [*args, "--service", "zzz"]).exit_code == 2
        assert runner.invoke(main, [*args, "--fail-on", "high"]).exit_code == 1
        assert runner.invoke(main, [*args, "--as-of", "not-a-date"]).exit_code == 2

    def test_write(self, make_ws):
        root = make_ws(services=[svc("a", api_contracts=["x@bad"])])
        res = CliRunner().invoke(
            main, ["drift", "--workspace", str(root), "--as-of", AS_OF, "--write", "--format", "json"]
        )
        assert res.exit_code == 0
        written = (root / "analysis/reports/drift/20251010_000000_drift_report.json").read_text(encoding="utf-8")
        assert written in res.output  # stdout carries the same JSON (+ the stderr note)


@pytest.fixture(scope="module")
def upstream_ws(upstream):
    return open_workspace(upstream)


@pytest.mark.upstream
class TestUpstream:
    """The issue's oracles on ../shared/upstream."""

    @pytest.fixture
    def ws(self, upstream_ws):
        return upstream_ws

    def test_as_of_2025_10_10(self, ws):
        r = detect_drift(ws, as_of="2025-10-10")
        by_type = r.issues.groupby("type").size().to_dict()
        assert by_type == {"dangling_dependency": 7, "spec_minor_lag": 1, "unknown_event": 17}
        lag = r.issues[r.issues.type.str.contains("lag")]
        assert lag[["service", "subject", "current", "expected", "severity"]].values.tolist() == [
            ["gateway", "gateway-core", "1.0.0", "1.2.0", "medium"]
        ]
        events = ws.events[~ws.events.event.isin(list(ws.events_registry))]
        assert len(events) == 18
        assert r.issues.query("type == 'unknown_event' and service == 'search-service'")["current"].tolist() == [
            "in+out"
        ]
        assert set(r.not_assessed["check"]) >= {"missing_lock", "lock_mismatch"}
        assert "missing_lock" not in set(r.issues["type"])

    def test_as_of_2026_04_10_everything_stale(self, ws):
        r = detect_drift(ws, as_of="2026-04-10")
        stale = r.issues[r.issues.type == "version_staleness"]
        assert len(stale) == 24 and set(stale["severity"]) == {"high"}
        assert stale["age_days"].min() >= 180

    def test_byte_identical(self, ws):
        assert drift_report_json(detect_drift(ws, as_of="2025-10-10")) == drift_report_json(
            detect_drift(open_workspace(ws.root), as_of="2025-10-10")
        )


# --- the per-row baseline and speed ---------------------------------------------------------------


def synthetic_workspace(n: int, seed: int = 3) -> tuple[dict, dict[str, object], dict]:
    """A synthetic platform: catalog dict, workspace files, and the raw docs for the baseline."""
    rnd = np.random.default_rng(seed)
    specs = {}
    tags = ["feature", "performance", "bugfix", "docs", "security", "breaking"]
    for k in range(12):
        vs = [
            {
                "version": f"{1 + j // 4}.{j % 4}.{k % 2}",
                "release_date": f"2024-{1 + j:02d}-15",
                "changes": sorted(set(rnd.choice(tags, size=int(rnd.integers(0, 3))).tolist())),
            }
            for j in range(8)
        ]
        specs[f"spec-{k}"] = {"versions": vs, "deprecated": [vs[1]["version"]]}
    events = [f"dom.e{k}.x.v1" for k in range(30)]
    names = [f"svc-{i:04d}" for i in range(n)]
    services, locks = [], {}
    for i, name in enumerate(names):
        pins = []
        for k in rnd.choice(12, size=int(rnd.integers(1, 4)), replace=False).tolist():
            pins.append(f"spec-{k}@{specs[f'spec-{k}']['versions'][int(rnd.integers(0, 8))]['version']}")
        if i % 53 == 0:
            pins.append("spec-11@latest")
        internal = [names[int(rnd.integers(0, i))] for _ in range(2)] if i else []
        if i % 37 == 0:
            internal.append("ghost")
        external = [f"{e}@{rnd.choice(['6.2', '7.0', '7.2', '14', '15'])}" for e in ("redis", "postgres")]
        services.append(
            svc(
                name,
                api_contracts=pins,
                events_in=[events[int(rnd.integers(0, 30))]],
                events_out=[events[int(rnd.integers(0, 30))]],
                dependencies={"internal": internal, "external": [*external, "kafka"]},
                last_update=f"2025-{int(rnd.integers(1, 11)):02d}-{int(rnd.integers(1, 29)):02d}T00:00:00+00:00",
            )
        )
        if i % 4:
            lock = {p.split("@")[0]: {"version": p.split("@")[1]} for p in pins}
            if i % 29 == 0:
                lock[pins[0].split("@")[0]] = {"version": "0.0.1"}
            locks[name] = {"version": "1.0", "dependencies": lock}
    advisories = [
        {
            "id": "GHSA-r",
            "affected": [
                {
                    "package": {"name": "redis"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "6.0.0"}, {"fixed": "6.2.9"}]}],
                }
            ],
            "database_specific": {"severity": "HIGH"},
        },
        {"id": "OSV-s", "affected": [{"package": {"name": "spec-2"}, "versions": ["1.1.0", "1.1.1"]}]},
    ]
    catalog = {"metadata": {"generated_at": "2025-10-10T00:00:00+00:00"}, "services": services}
    files: dict[str, object] = {
        "catalog/service-index.json": catalog,
        "config/specs-index.json": specs,
        "config/events-registry.yaml": {"events": events[:20]},
    }
    files.update({f"manifests/collected/{k}.specs.lock.json": v for k, v in locks.items()})
    files.update({f"advisories/{a['id']}.json": a for a in advisories})
    raw = {"specs_index": specs, "events_registry": events[:20], "lockfiles": locks, "advisories": advisories}
    return catalog, files, raw


def test_baseline_finds_the_same_issues(tmp_path):
    from conftest import write_workspace

    catalog, files, raw = synthetic_workspace(400)
    ws = open_workspace(write_workspace(tmp_path / "syn", files))
    fast = detect_drift(ws, as_of=AS_OF)
    slow = detect_drift_baseline(catalog, as_of=AS_OF, **raw)
    cols = ["id", "service", "type", "severity", "subject", "current", "expected"]
    assert len(set(fast.issues["type"])) >= 12
    pd.testing.assert_frame_equal(
        fast.issues[cols].reset_index(drop=True).astype(object), slow[cols].reset_index(drop=True).astype(object)
    )


def synthetic_frames(n: int, seed: int = 5) -> DriftInputs:
    """DriftInputs for ``n`` services built directly as frames (no files), for the speed test."""
    rnd = np.random.default_rng(seed)
    names = np.array([f"svc-{i:05d}" for i in range(n)])
    versions = [f"{1 + j // 4}.{j % 4}.0" for j in range(8)]
    sv_rows = [
        {
            "spec": f"spec-{k}",
            "version": v,
            "major": int(v[0]),
            "minor": int(v[2]),
            "patch": 0,
            "release_date": f"2024-{1 + j:02d}-01",
            "changes": ["feature", "docs", "security", "bugfix"][j % 4],
            "deprecated": j == 0,
            "is_latest": j == 7,
        }
        for k in range(50)
        for j, v in enumerate(versions)
    ]
    per = rnd.integers(1, 4, size=n)
    svc_col = np.repeat(names, per)
    spec_col = np.array([f"spec-{k}" for k in rnd.integers(0, 50, size=len(svc_col))])
    ver_col = np.array(versions)[rnd.integers(0, 8, size=len(svc_col))]
    contracts = pd.DataFrame({"service": svc_col, "spec": spec_col, "version": ver_col, "valid": True})
    contracts = contracts.drop_duplicates(["service", "spec"])
    internal = pd.DataFrame(
        {
            "service": np.repeat(names, 3),
            "target": names[rnd.integers(0, n, size=3 * n)],
            "kind": "internal",
            "resolves": True,
        }
    )
    internal.loc[internal.index % 50 == 0, ["target", "resolves"]] = ["ghost", False]
    external = pd.DataFrame(
        {
            "service": np.repeat(names, 2),
            "target": np.tile(["redis", "postgresql"], n),
            "kind": "external",
            "version": np.array(["6.2", "7.0", "7.2", "15"])[rnd.integers(0, 4, 2 * n)],
        }
    )
    events = pd.DataFrame(
        {
            "service": np.repeat(names, 2),
            "event": [f"e.{k}.x.v1" for k in rnd.integers(0, 300, 2 * n)],
            "direction": np.tile(["in", "out"], n),
        }
    )
    locked = contracts[contracts.index % 5 != 0]
    last = pd.Timestamp("2025-10-10", tz="UTC") - pd.to_timedelta(rnd.integers(0, 400, size=n), unit="D")
    return DriftInputs(
        services=frame_from_records(
            SERVICES,
            [
                {"service": s, "team": f"t{i % 40}", "last_update": t}
                for i, (s, t) in enumerate(zip(names, last, strict=True))
            ],
        ),
        contracts=frame_from_records(CONTRACTS, contracts.to_dict("records")),
        dependencies=frame_from_records(DEPENDENCIES, pd.concat([internal, external]).to_dict("records")),
        events=frame_from_records(EVENTS, events.to_dict("records")),
        spec_versions=frame_from_records(SPEC_VERSIONS, sv_rows),
        lockfiles=frame_from_records(LOCKFILES, locked.to_dict("records")),
        events_registry=frozenset(f"e.{k}.x.v1" for k in range(200)),
        generated_at=pd.Timestamp("2025-10-10", tz="UTC"),
    )


def test_ten_thousand_services_within_two_seconds():
    inputs = synthetic_frames(10_000)
    detect_drift(inputs)  # warm up imports and caches
    cpu = time.process_time()
    r = detect_drift(inputs)
    used = time.process_time() - cpu
    assert r.services == 10_000 and len(r.issues) > 20_000
    assert used <= 2.0, f"drift detection for 10,000 services took {used:.2f} s of CPU"


# --- history: spells, flow, backlog, Kaplan–Meier, SLOs, KPIs (hand-computed) ---------------------

from meta254lib.drift.history import (  # noqa: E402
    backlog,
    backlog_age,
    drift_flow,
    filter_history,
    history_with_current,
    issue_spells,
    kaplan_meier,
    kpis,
    slo_status,
    time_to_remediation,
)

WEEKS = pd.to_datetime(["2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29"], utc=True)
#: issue -> (service, type, severity, reports it is in, exempt)
HISTORY = {
    "A": ("s1", "spec_major_lag", "high", (0, 1), False),
    "B": ("s2", "missing_lock", "high", (1, 2, 3, 4), False),
    "C": ("s3", "unknown_event", "medium", (1,), False),
    "D": ("s4", "spec_patch_lag", "low", (2,), False),
    "D2": ("s4", "spec_patch_lag", "low", (4,), False),  # D again, after a week away
    "E": ("s5", "lock_mismatch", "medium", (1, 2, 3, 4), True),
    "F": ("s1", "invalid_version", "error", (3, 4), False),
}
HIST_AS_OF = "2025-10-06"


@pytest.fixture
def history():
    rows_ = []
    for key, (service, kind, sev, reports, exempt) in HISTORY.items():
        for r in reports:
            rows_.append(
                {
                    "report": f"r{r}.json",
                    "report_time": WEEKS[r],
                    "issue_id": key.rstrip("2"),
                    "service": service,
                    "type": kind,
                    "severity": sev,
                    "subject": "",
                    "exempt": exempt,
                }
            )
    return pd.DataFrame(rows_)


def test_spells(history):
    sp = issue_spells(history, HIST_AS_OF)
    got = sp[["issue_id", "spell", "severity", "open", "carried_in", "duration_days"]].values.tolist()
    assert got == [
        ["A", 1, "high", False, True, 14.0],
        ["B", 1, "high", True, False, 28.0],
        ["C", 1, "medium", False, False, 7.0],
        ["D", 1, "low", False, False, 7.0],
        ["F", 1, "medium", True, False, 14.0],  # `error` takes invalid_version's policy severity
        ["D", 2, "low", True, False, 7.0],
    ]
    assert str(sp.loc[0, "resolved_at"]) == "2025-09-15 00:00:00+00:00"


def test_kaplan_meier_by_hand(history):
    km = kaplan_meier([14, 28, 7, 14, 7, 14], [True, False, True, True, False, False])
    assert km[["time", "at_risk", "events", "censored"]].values.tolist() == [
        [0, 6, 0, 0],
        [7, 6, 1, 1],
        [14, 4, 2, 1],
        [28, 1, 0, 1],
    ]
    assert km["survival"].round(6).tolist() == [1.0, round(5 / 6, 6), round(5 / 12, 6), round(5 / 12, 6)]
    ttr = time_to_remediation(history, HIST_AS_OF).set_index("group")
    assert ttr.loc["all", ["issues", "resolved", "censored"]].tolist() == [6, 3, 3]
    # by hand: S(7) = 4/6, S(14) = 4/6 * 2/3 = 4/9, then only censored
    assert ttr.loc["all", ["median_days", "p25_days"]].tolist() == [14.0, 7.0]
    assert np.isnan(ttr.loc["all", "p75_days"])  # the curve never drops to 25 %
    assert ttr.loc["all", "naive_mean_resolved_days"] == pytest.approx(28 / 3)
    assert ttr["median_days"].to_dict() == {"all": 14.0, "high": 14.0, "medium": 7.0, "low": 7.0}


def test_flow_backlog_and_age(history):
    f = drift_flow(history, HIST_AS_OF)
    assert f["week"].dt.strftime("%m-%d").tolist() == ["09-01", "09-08", "09-15", "09-22", "09-29", "10-06"]
    assert f[["carried_in", "new", "resolved", "persisting", "open"]].values.tolist() == [
        [1, 0, 0, 0, 1],
        [0, 2, 0, 1, 3],
        [0, 1, 2, 1, 2],
        [0, 1, 1, 1, 2],
        [0, 1, 0, 2, 3],
        [0, 0, 0, 3, 3],
    ]
    by = drift_flow(history, HIST_AS_OF, by="severity")
    assert by.groupby("severity")["new"].sum().to_dict() == {"high": 1, "low": 2, "medium": 2}
    b = backlog(history, HIST_AS_OF)
    assert b[["high", "medium", "low", "total", "services"]].values.tolist() == [
        [1, 0, 0, 1, 1],
        [2, 1, 0, 3, 3],
        [1, 0, 1, 2, 2],
        [1, 1, 0, 2, 2],
        [1, 1, 1, 3, 3],
    ]
    assert backlog_age(history, HIST_AS_OF).set_index("age")["total"].to_dict() == {
        "0-7 d": 1,
        "8-30 d": 2,
        "31-90 d": 0,
        "91-180 d": 0,
        "> 180 d": 0,
    }


def test_slo_and_kpis(history):
    slo = slo_status(history, HIST_AS_OF)
    assert slo[["issue_id", "age_days", "slo_days", "within_slo", "overdue_days"]].values.tolist() == [
        ["B", 28.0, 7, False, 21.0],
        ["F", 14.0, 30, True, 0.0],
        ["D", 7.0, 14, True, 0.0],
    ]
    k = kpis(history, HIST_AS_OF, services=10).set_index("kpi")
    assert k["value"].round(4).to_dict() == {
        "drift_detection_rate": 0.3,
        "mttr_high_days": 14.0,
        "accumulation_rate": 0.75,
        "resolution_rate": 0.75,
        "net_change_per_month": 2.0,
        "slo_compliance": 0.6667,
    }
    assert k["met"].astype(object).where(k["met"].notna(), None).to_dict() == {
        "drift_detection_rate": False,
        "mttr_high_days": False,
        "accumulation_rate": None,
        "resolution_rate": True,
        "net_change_per_month": False,
        "slo_compliance": None,
    }


def test_kpi_notes_flag_a_change_of_detector(history):
    assert "detector churn" not in " ".join(kpis(history, HIST_AS_OF)["note"])
    mixed = history.assign(source=np.where(history["report_time"] < WEEKS[3], "platform", "meta254"))
    notes = kpis(mixed, HIST_AS_OF).set_index("kpi")["note"]
    assert notes["accumulation_rate"].endswith(
        "the window mixes meta254 and platform reports, whose detectors differ: part of this is detector churn"
    )


def test_history_with_current_replaces_reports_from_as_of(history, make_ws):
    r = run(make_ws, [svc("s9", api_contracts=["x@bad"])], as_of="2025-09-29")
    h = history_with_current(history, r)
    assert sorted(h["report"].unique()) == [
        "20250929_000000_drift_report.json",
        "r0.json",
        "r1.json",
        "r2.json",
        "r3.json",
    ]
    assert h.loc[h.report.str.startswith("2025"), ["service", "type", "source"]].fillna("-").values.tolist() == [
        ["s9", "invalid_version", "meta254"],
        ["-", "-", "meta254"],  # the report marker
    ]
    # an empty run still resolves what was open before it
    empty = run(make_ws, [svc("s9")], as_of="2025-10-06")
    assert issue_spells(history_with_current(history, empty), "2025-10-06")["open"].sum() == 0


# --- data/sample: KPI figures against a hand computation for three chosen issues -------------------

_KV = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _raw_issue(item):
    """A platform issue as a dict: dict issues as they are, repr strings read with a regex (no eval)."""
    if isinstance(item, dict):
        return item
    return {k: v[1:-1] for k, v in _KV.findall(item)}


def _hand_reports(root):
    """Every archived report of the workspace: (UTC time, [(service, family, subject, severity)])."""
    out = []
    for path in sorted((root / "analysis" / "reports" / "drift").glob("2*_drift_report.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        when = pd.Timestamp(doc["metadata"]["generated_at"])
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        keys = []
        for item in doc["issues"]:
            i = _raw_issue(item)
            kind = i.get("type", "")
            if kind == "missing_lock":
                keys.append((i["service"], "missing_lock", "", i["severity"]))
            elif kind == "spec_lag":
                keys.append(
                    (i["service"], "spec_lag", re.search(r"pins (\S+)@", i["description"]).group(1), i["severity"])
                )
            elif kind == "event_schema_unknown":
                keys.append((i["service"], "unknown_event", i["current_value"], i["severity"]))
        out.append((when, keys))
    return out


def _hand_km_median(days, closed):
    """Kaplan–Meier by hand: S(t) = product over event times t_i <= t of (1 - d_i / n_i); first t with S <= 1/2."""
    surv = 1.0
    for t in sorted({d for d, c in zip(days, closed, strict=True) if c}):
        at_risk = sum(d >= t for d in days)
        events = sum(d == t and c for d, c in zip(days, closed, strict=True))
        surv *= 1 - events / at_risk
        if surv <= 0.5:
            return t
    return math.nan


def _hand_spells(reports, key):
    """[(start, end or None)] for one (service, family, subject): consecutive runs over the reports."""
    present = [any(k[:3] == key for k in keys) for _, keys in reports]
    spells, start = [], None
    for (when, _), here in zip(reports, present, strict=True):
        if here and start is None:
            start = when
        elif not here and start is not None:
            spells.append((start, when))
            start = None
    if start is not None:
        spells.append((start, None))
    return spells


@pytest.mark.slow
def test_sample_kpis_match_a_hand_computation_for_three_issues(sample):
    reports = _hand_reports(sample)
    as_of = reports[-1][0]
    first = reports[0][0]
    candidates = {}
    for _, keys in reports:
        for k in keys:
            candidates.setdefault(k[1], set()).add(k[:3])
    window = as_of - pd.Timedelta(days=28)

    def spells_of(key):
        return _hand_spells(reports, key)

    # chosen: a lag fixed more than once (the last time within 28 days), a lag that appeared within 28 days
    # and is still open, and a missing lock that was fixed (high severity: the MTTR)
    fixed = next(
        k
        for k in sorted(candidates["spec_lag"])
        if len(spells_of(k)) > 1 and any(e is not None and window < e <= as_of for _, e in spells_of(k))
    )
    new_open = next(
        k for k in sorted(candidates["spec_lag"]) if spells_of(k)[-1][1] is None and spells_of(k)[-1][0] > window
    )
    lock = next(k for k in sorted(candidates["missing_lock"]) if spells_of(k)[-1][1] is not None)
    chosen = [fixed, new_open, lock]
    sev = {"high": "high", "moderate": "medium", "medium": "medium", "low": "low"}
    spells = []  # (key, start, end, severity of its last appearance)
    for key in chosen:
        for start, end in _hand_spells(reports, key):
            last = [
                k[3] for when, keys in reports for k in keys if k[:3] == key and when < (end or as_of + pd.Timedelta(1))
            ]
            spells.append((key, start, end, sev[last[-1]]))
    days = [((end or as_of) - start) / pd.Timedelta(days=1) for _, start, end, _ in spells]
    closed = [end is not None for _, _, end, _ in spells]

    ws = open_workspace(sample)
    ids = {drift_issue_id(s, f, j) for s, f, j in chosen}
    h = filter_history(ws.drift_history, issue_ids=ids)
    sp = issue_spells(h, as_of)
    assert sorted(sp["duration_days"].round(6)) == sorted(round(d, 6) for d in days)
    assert sorted(~sp["open"]) == sorted(closed)

    median = _hand_km_median(days, closed)
    ttr = time_to_remediation(h, as_of, by=None)
    assert ttr.loc[0, "resolved"] == sum(closed)
    assert ttr.loc[0, "median_days"] == pytest.approx(median, nan_ok=True)

    month = as_of - pd.Timedelta(days=30)
    is_open = [end is None for _, _, end, _ in spells]
    open_services = {key[0] for (key, *_), o in zip(spells, is_open, strict=True) if o}
    new = sum(window < start <= as_of and start > first for _, start, _, _ in spells)
    resolved = sum(end is not None and window < end <= as_of for _, _, end, _ in spells)
    open_then = sum(start <= month and (end is None or end > month) for _, start, end, _ in spells)
    slo = {"high": 7, "medium": 30, "low": 14}
    ages = [((as_of - start) / pd.Timedelta(days=1), slo[s]) for (_, start, end, s) in spells if end is None]
    high = [(d, c) for d, c, (_, _, _, s) in zip(days, closed, spells, strict=True) if s == "high"]
    k = kpis(h, as_of, services=60).set_index("kpi")["value"]
    assert k["drift_detection_rate"] == pytest.approx(round(len(open_services) / 60, 4))
    assert k["accumulation_rate"] == pytest.approx(new / 4)
    assert k["resolution_rate"] == pytest.approx(resolved / 4)
    net = round((sum(is_open) - open_then) / open_then, 4) if open_then else math.nan
    assert k["net_change_per_month"] == pytest.approx(net, nan_ok=True)
    assert k["slo_compliance"] == pytest.approx(round(sum(a < s for a, s in ages) / len(ages), 4))
    assert k["mttr_high_days"] == pytest.approx(
        _hand_km_median([d for d, _ in high], [c for _, c in high]), nan_ok=True
    )
    assert len(spells) >= 4 and sum(closed) >= 2 and new >= 1 and resolved >= 1 and high


@settings(max_examples=25, deadline=None, database=None)
@given(st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=1, max_size=8))
def test_flow_identity_and_spells_on_random_histories(presence):
    """open = previous open + carried in + new - resolved, and spells tile each issue's presence exactly."""
    times = pd.date_range("2025-01-06", periods=6, freq="7D", tz="UTC")
    rows_ = [
        {"report_time": times[r], "issue_id": f"I{i}", "service": f"s{i % 3}", "type": "x", "severity": "low"}
        for i, pres in enumerate(presence)
        for r, here in enumerate(pres)
        if here
    ]
    rows_ += [{"report_time": t, "issue_id": None} for t in times]  # report markers: every week is a report
    h = pd.DataFrame(rows_)
    as_of = times[-1]
    f = drift_flow(h, as_of)
    assert (f["open"].diff().fillna(f["open"]) == f["carried_in"] + f["new"] - f["resolved"]).all()
    sp = issue_spells(h, as_of)
    for i, pres in enumerate(presence):
        weeks = sp[sp["issue_id"] == f"I{i}"]
        covered = sorted(r for s in weeks.itertuples() for r in range(6) if s.first_seen <= times[r] <= s.last_seen)
        assert covered == [r for r, here in enumerate(pres) if here]
        assert int(weeks["open"].sum()) == int(pres[-1])
    assert f["open"].iloc[-1] == sum(p[-1] for p in presence)
