"""The drift engine: one test class per detector on tiny workspaces, policy, exemptions, reports, CLI,
the upstream oracles, and speed at 10,000 services."""

from __future__ import annotations

import json
import time
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import svc

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
from meta254lib.drift.engine import detect_drift
from meta254lib.drift.inputs import DriftInputs
from meta254lib.drift.lags import lag_matrix
from meta254lib.drift.policy import CATEGORIES, DRIFT_TYPES, DriftPolicy, policy_from_config
from meta254lib.drift.reportfile import drift_report_json, write_drift_report
from meta254lib.drift.select import filter_issues, severity_type_matrix, top_issues

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
