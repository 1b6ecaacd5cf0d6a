"""The tables a workspace loads: catalog, manifests, specs, advisories, history, teams, inputs and warnings."""

from __future__ import annotations

from .columns import (
    DIRECTION,
    DOMAIN,
    EVENT,
    FIELD,
    FILE,
    GRADE,
    KIND,
    MAJOR,
    MATURITY,
    MESSAGE,
    MINOR,
    PATCH,
    RUNTIME,
    SCORE,
    SERVICE,
    SEVERITY,
    SPEC,
    STATUS,
    TARGET,
    TEAM,
    UTC_TS,
    VERSION,
)
from .tableschema import table

__all__ = [
    "ADVISORIES",
    "CONTRACTS",
    "DEPENDENCIES",
    "DRIFT_HISTORY",
    "EVENTS",
    "EXEMPTIONS",
    "INPUTS",
    "LOCKFILES",
    "MANIFESTS",
    "QUALITY_HISTORY",
    "SERVICES",
    "SPEC_VERSIONS",
    "TEAMS",
    "WARNINGS",
]

SERVICES = table(
    "services",
    "One row per catalog service (duplicates in the catalog keep the first entry and warn).",
    (SERVICE, "str", "service name, as in the catalog"),
    ("repo", "str", "repository URL"),
    ("path", "str", "path of the service inside its repository"),
    (DOMAIN, "str", "domain (free text; `domain_known` says whether rules.yaml knows it)"),
    ("domain_known", "bool", "the domain has a layer in rules.yaml `dependency.domain_layers`"),
    (VERSION, "str", "the service's own version string, exactly as written"),
    (MATURITY, "str", "experimental | beta | stable | deprecated | other text (warned)"),
    (RUNTIME, "str", "python | nodejs | go | java | docker | other text (warned)"),
    (STATUS, "str", "active | unknown | error (catalog `status`, default active)"),
    (TEAM, "str", "owning team: config/teams.yaml, else derived from the repo name"),
    ("team_contact", "str", "the team's contact (teams.yaml), else empty"),
    ("last_update", UTC_TS, "catalog `last_update` (the manifest file's mtime upstream)"),
    ("coverage", "float64", "quality.coverage, 0..1"),
    ("lint_pass", "boolean", "quality.lint_pass"),
    ("open_critical_vulns", "Int64", "quality.open_critical_vulns (any of the three spellings)"),
    ("signed_images", "boolean", "security.signed_images"),
    ("policy_pass", "boolean", "security.policy_pass"),
    ("n_contracts", "int64", "number of api_contracts pins"),
    ("n_internal", "int64", "number of internal dependencies"),
    ("n_external", "int64", "number of external dependencies"),
    ("has_manifest", "bool", "a collected manifest exists for the service"),
    ("has_lock", "boolean", "a collected lock file exists (NA when no lock file is collected anywhere)"),
)

CONTRACTS = table(
    "contracts",
    "One row per `api_contracts` pin of a service.",
    (SERVICE, "str", "service that pins the spec"),
    (SPEC, "str", "spec name (left of `@`)"),
    (VERSION, "str", "pinned version, exactly as written (right of `@`; empty if none)"),
    (MAJOR, "Int64", "major of the pinned version (NA when it cannot be parsed)"),
    (MINOR, "Int64", "minor"),
    (PATCH, "Int64", "patch"),
    ("prerelease", "str", "pre-release part (`rc.1`), empty if none"),
    ("valid", "bool", "the pin parses as a semantic version"),
    ("raw", "str", "the pin as written in the catalog"),
)

DEPENDENCIES = table(
    "dependencies",
    "One row per dependency string of a service, internal or external.",
    (SERVICE, "str", "the dependent service"),
    (TARGET, "str", "target name after `@version` is split off and aliases are resolved"),
    ("name", "str", "target name as written, without the version"),
    (KIND, "str", "internal | external"),
    (VERSION, "str", "version if written `name@ver`, else NA"),
    ("resolves", "boolean", "internal: the target is a catalog service; NA for external"),
    ("misfiled", "bool", "an external dependency that names a catalog service"),
    ("raw", "str", "the dependency as written"),
)

EVENTS = table(
    "events",
    "One row per event a service consumes (`in`) or produces (`out`).",
    (SERVICE, "str", "service"),
    (EVENT, "str", "event id as written"),
    (DIRECTION, "str", "in | out"),
    ("registered", "boolean", "in config/events-registry.yaml (NA when the registry is absent)"),
)

MANIFESTS = table(
    "manifests",
    "One row per collected service manifest (`manifests/collected/<service>.yaml`).",
    (SERVICE, "str", "service name from the manifest (file stem when the name is missing)"),
    (FILE, "str", "manifest path relative to the workspace"),
    (DOMAIN, "str", "domain"),
    (VERSION, "str", "version"),
    (MATURITY, "str", "maturity"),
    (RUNTIME, "str", "runtime"),
    ("api_contracts", "object", "tuple of contract pins"),
    ("in_catalog", "bool", "the service is in the catalog"),
    ("differs_from_catalog", "str", "comma-separated fields whose value differs from the catalog entry"),
    ("modified", UTC_TS, "file modification time"),
)

LOCKFILES = table(
    "lockfiles",
    "One row per spec entry of a collected lock file (`<service>.specs.lock.json`).",
    (SERVICE, "str", "service"),
    (SPEC, "str", "locked spec"),
    (VERSION, "str", "locked version"),
    ("resolved_at", UTC_TS, "resolution time"),
    ("integrity", "str", "integrity string"),
    (FILE, "str", "lock file path relative to the workspace"),
)

SPEC_VERSIONS = table(
    "spec_versions",
    "One row per released version of a spec in config/specs-index.json (upstream shape: the latest only).",
    (SPEC, "str", "spec name"),
    (VERSION, "str", "version as written"),
    (MAJOR, "Int64", "major"),
    (MINOR, "Int64", "minor"),
    (PATCH, "Int64", "patch"),
    ("prerelease", "str", "pre-release part, empty if none"),
    ("release_date", UTC_TS, "release date (NA in the upstream shape)"),
    ("changes", "str", "comma-separated change tags: feature, performance, bugfix, docs, security, breaking"),
    ("deprecated", "bool", "listed under `deprecated`"),
    ("removed", "bool", "listed under `removed`"),
    ("is_latest", "bool", "the spec's latest version"),
    ("description", "str", "spec description"),
)

ADVISORIES = table(
    "advisories",
    "One row per (OSV advisory, affected package).",
    ("advisory_id", "str", "OSV id"),
    ("aliases", "str", "comma-separated aliases (CVE ids)"),
    ("package", "str", "affected package name (alias-resolved)"),
    ("ecosystem", "str", "package ecosystem (PyPI, npm, Go, Maven, ...), empty if none"),
    ("summary", "str", "one-line summary"),
    (SEVERITY, "str", "critical | high | medium | low | unknown"),
    ("cvss", "float64", "CVSS base score when given as a number"),
    ("epss", "float64", "EPSS probability when given (database_specific.epss)"),
    ("intervals", "object", "tuple of (introduced, fixed, last_affected) strings; '' for open ends"),
    ("versions", "object", "tuple of explicitly listed affected versions"),
    ("fixed", "str", "comma-separated fixed versions"),
    ("published", UTC_TS, "published time"),
    (FILE, "str", "advisory file path relative to the workspace"),
)

DRIFT_HISTORY = table(
    "drift_history",
    "One row per issue per drift report; a comma-joined service list is exploded to one row each.",
    ("report", "str", "report file name"),
    ("report_time", UTC_TS, "report time: metadata.generated_at, else the file name"),
    ("source", "str", "platform | meta254"),
    ("source_issue", "str", "`<report>#<index>`: the issue in its source report"),
    ("issue_id", "str", "stable id of the issue (same service, family and subject give the same id)"),
    (SERVICE, "str", "service"),
    ("type", "str", "drift type, normalised to meta254 names"),
    ("raw_type", "str", "drift type as written"),
    (SEVERITY, "str", "high | medium | low | error (`moderate` becomes medium)"),
    ("raw_severity", "str", "severity as written"),
    ("subject", "str", "spec, dependency or event the issue is about; empty if none"),
    ("current", "str", "current value"),
    ("expected", "str", "expected value"),
    ("description", "str", "description"),
    ("remediation", "str", "remediation text"),
    ("exempt", "boolean", "exempt, when the report says so (meta254 reports); NA otherwise"),
)

QUALITY_HISTORY = table(
    "quality_history",
    "One row per service per quality snapshot.",
    ("snapshot", "str", "snapshot file name"),
    ("snapshot_time", UTC_TS, "metadata.generated_at, top-level generated_at, else the file name"),
    ("shape", "str", "snapshot | readme | schema: which of the three upstream shapes"),
    (SERVICE, "str", "service"),
    (SCORE, "Float64", "recorded score (NA when absent)"),
    (GRADE, "str", "recorded grade"),
    (STATUS, "str", "recorded status"),
    (MATURITY, "str", "maturity recorded in the snapshot (else the catalog's)"),
    ("coverage", "Float64", "test coverage 0..1"),
    ("lint_pass", "boolean", "lint passed"),
    ("critical_vulns", "Int64", "critical vulnerabilities (critical_vulns | open_critical_vulns | vuln_critical)"),
    ("high_vulns", "Int64", "high vulnerabilities (high_vulns | open_high_vulns | vuln_high)"),
    ("policy_failures", "Int64", "policy failures"),
    ("policy_warnings", "Int64", "policy warnings"),
    ("build_success_rate", "Float64", "build success rate 0..1"),
    ("signed_images", "boolean", "signed images"),
    ("sbom_present", "boolean", "SBOM present"),
    ("deployment_freshness_days", "Float64", "days since the last deployment"),
    ("drift_issues", "Int64", "drift issues counted into the score"),
    ("unit_pass", "boolean", "unit tests passed (newer snapshots)"),
    ("integration_pass", "boolean", "integration tests passed"),
    ("contract_pass", "boolean", "contract tests passed"),
    ("performance_pass", "boolean", "performance tests passed"),
    ("catalog_time", UTC_TS, "metadata.catalog_timestamp: the catalog the snapshot was computed from (NaT if absent)"),
)

EXEMPTIONS = table(
    "exemptions",
    "One row per `drift.exemptions` entry of config/rules.yaml.",
    (SERVICE, "str", "service the exemption applies to"),
    ("subject", "str", "spec, dependency or event (`spec` or `subject`); empty = every issue of the service"),
    ("type", "str", "drift type it is limited to, empty = any"),
    ("reason", "str", "reason"),
    ("expires", UTC_TS, "expiry (end of that day, UTC); NA = never"),
)

TEAMS = table(
    "teams",
    "One row per (team, service) ownership from config/teams.yaml, or derived from repo names.",
    (TEAM, "str", "team name"),
    (SERVICE, "str", "service"),
    ("contact", "str", "contact address"),
    ("slack", "str", "chat channel"),
    ("source", "str", "teams.yaml | repo"),
)

INPUTS = table(
    "inputs",
    "One row per input the workspace may hold: found files, and optional inputs that are absent.",
    ("input", "str", "logical input (catalog, manifests, drift_reports, ...)"),
    (FILE, "str", "path relative to the workspace (a glob for absent multi-file inputs)"),
    ("present", "bool", "the file exists"),
    ("required", "bool", "the workspace cannot load without it"),
    ("modified", UTC_TS, "file modification time"),
    ("timestamp", UTC_TS, "the artifact's own timestamp (metadata.generated_at), when it has one"),
    ("bytes", "Int64", "file size"),
    ("rows", "Int64", "rows it contributed to its table"),
    ("warnings", "int64", "warnings raised while reading it"),
    ("note", "str", "what is missing because of it, or how it was read"),
)

WARNINGS = table(
    "warnings",
    "One row per problem found while loading that did not stop the load.",
    (FILE, "str", "file, relative to the workspace"),
    (FIELD, "str", "dotted field path"),
    (MESSAGE, "str", "what was wrong and what was done about it"),
)
