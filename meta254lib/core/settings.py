"""Defaults shared by loaders and analyses: enumerations, aliases, escalation, workspace layout.

Every value here can be overridden from the workspace's config files; these are the values used
when a file or key is absent.

Examples
--------
>>> DEFAULT_EXTERNAL_ALIASES["postgres"]
'postgresql'
>>> DEFAULT_ESCALATION["L2"]["name"]
'Platform Team'
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ESCALATION",
    "DEFAULT_EXTERNAL_ALIASES",
    "DEFAULT_MANIFEST_URL",
    "DEFAULT_STALE_AFTER_DAYS",
    "KNOWN_DOMAINS",
    "KNOWN_MATURITIES",
    "KNOWN_RUNTIMES",
    "LAYOUT",
    "OSV_URL",
    "SERVICE_NAME_PATTERN",
]

#: Maturity levels of the service-manifest schema.
KNOWN_MATURITIES: tuple[str, ...] = ("experimental", "beta", "stable", "deprecated")

#: Runtimes of the service-manifest schema.
KNOWN_RUNTIMES: tuple[str, ...] = ("python", "nodejs", "go", "java", "docker")

#: Domains of the service-manifest schema (rules.yaml `dependency.domain_layers` takes precedence).
KNOWN_DOMAINS: tuple[str, ...] = (
    "access",
    "data-processing",
    "analytics",
    "ingestion",
    "ml",
    "infrastructure",
    "shared",
    "security",
    "observability",
)

#: The manifest schema's service-name pattern.
SERVICE_NAME_PATTERN = r"^[a-z][a-z0-9-]*[a-z0-9]$"

#: External dependency aliases used when rules.yaml has no `dependency.aliases` (alias -> canonical).
DEFAULT_EXTERNAL_ALIASES: dict[str, str] = {
    "postgres": "postgresql",
    "mongo": "mongodb",
    "elastic": "elasticsearch",
}

#: Escalation levels of the drift remediation runbook (teams.yaml `escalation` overrides).
DEFAULT_ESCALATION: dict[str, dict[str, str]] = {
    "L1": {"name": "Service Team", "contact": "", "handles": "low"},
    "L2": {"name": "Platform Team", "contact": "platform-team@254carbon.com", "handles": "medium"},
    "L3": {"name": "Architecture Team", "contact": "", "handles": "high"},
}

#: Where each input lives inside a workspace (globs for multi-file inputs).
LAYOUT: dict[str, tuple[str, ...]] = {
    "catalog": ("catalog/service-index.yaml", "catalog/service-index.json"),
    "dependency_graph": ("catalog/dependency-graph.yaml",),
    "latest_quality": ("catalog/latest_quality_snapshot.json",),
    "release_trains": ("catalog/release-trains.yaml",),
    "manifests": ("manifests/collected/*.yaml",),
    "collection_summary": ("manifests/collected/collection-summary.json",),
    "lockfiles": ("manifests/collected/*.specs.lock.json",),
    "thresholds": ("config/thresholds.yaml",),
    "rules": ("config/rules.yaml",),
    "upgrade_policies": ("config/upgrade-policies.yaml",),
    "events_registry": ("config/events-registry.yaml",),
    "spec_registry": ("config/specs-index.json",),
    "teams": ("config/teams.yaml",),
    "advisories": ("advisories/*.json",),
    "drift_reports": ("analysis/reports/drift/*_drift_report.json",),
    "quality_history": ("analysis/historical/quality/quality_*.json",),
}

#: Where a service's manifest lives in its repository, from the catalog's ``repo`` and ``path``
#: (placeholders ``{repo}``, ``{path}``, ``{service}``; ``repo`` loses a trailing ``/`` or ``.git``).
#: GitHub's form; GitLab is ``{repo}/-/blob/HEAD/{path}/service-manifest.yaml``.
DEFAULT_MANIFEST_URL = "{repo}/blob/HEAD/{path}/service-manifest.yaml"

#: The OSV page of an advisory id, used when the advisory lists no ``references``.
OSV_URL = "https://osv.dev/vulnerability/{id}"

#: A report warns that its data is stale when the newest input is older than this at render time.
DEFAULT_STALE_AFTER_DAYS = 14
