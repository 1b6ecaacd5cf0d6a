"""The curated sample platform: services, specs, events, advisories and config files (data only).

:mod:`meta254lib.devtools.sample` simulates this platform week by week. Everything here is content: which
services exist and what they depend on, the release history of every spec, which events are
registered when, the OSV advisories, and the text of the config files. The names under "planted"
are the edge cases the sample is meant to contain (see :mod:`meta254lib.devtools.sample`).

Examples
--------
>>> len([d for d in CORE if d.name != RETIRED])
60
>>> sorted({d.runtime for d in CORE})
['go', 'java', 'nodejs', 'python']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ABBR",
    "ADDED",
    "ADVISORIES",
    "ALIASES",
    "CORE",
    "DOMAIN_TEAM",
    "EVENT_NEVER",
    "EVENT_REGISTERED_LATE",
    "EVENT_UNUSED",
    "EXTERNAL_FIXES",
    "FLEET_EXTERNALS",
    "FLEET_SHARE",
    "FROZEN_PINS",
    "INVALID_PIN",
    "LATE_EDGE",
    "LATE_LOCKS",
    "LAYERS",
    "MISSING_LOCKS",
    "NOUNS",
    "NO_MAJOR",
    "NO_MANIFEST",
    "PROMOTED",
    "REPOS",
    "RETIRED",
    "RULES_YAML",
    "RUNTIMES",
    "SPECS",
    "SPEC_LAG_TEXT",
    "STALE_DAYS",
    "TEAM_INFO",
    "TEAM_OVERRIDE",
    "THRESHOLDS_YAML",
    "UPGRADE_POLICIES_YAML",
    "UPSTREAM_SHAPE_SPECS",
    "ServiceDef",
]

# --- the curated platform ----------------------------------------------------------------------
# Domains in layer order (rules.yaml dependency.domain_layers): a dependency may only point to the
# same or a lower layer.
LAYERS = (
    "infrastructure",
    "shared",
    "access",
    "ingestion",
    "data-processing",
    "analytics",
    "ml",
    "observability",
    "security",
)
REPOS = {
    "infrastructure": "infra",
    "shared": "shared",
    "access": "access",
    "ingestion": "ingestion",
    "data-processing": "data-processing",
    "analytics": "analytics",
    "ml": "ml",
    "observability": "observability",
    "security": "security",
}
DOMAIN_TEAM = {
    "infrastructure": "platform-infra",
    "shared": "shared-services",
    "access": "access-team",
    "ingestion": "market-feeds",
    "data-processing": "data-platform",
    "analytics": "quant-analytics",
    "ml": "ml-platform",
    "observability": "sre",
    "security": "security-eng",
}
TEAM_INFO = {
    "platform-infra": ("platform-infra@254carbon.com", "#platform-infra"),
    "shared-services": ("shared-services@254carbon.com", "#shared-services"),
    "access-team": ("access-team@254carbon.com", "#access"),
    "market-feeds": ("market-feeds@254carbon.com", "#market-feeds"),
    "data-platform": ("data-platform@254carbon.com", "#data-platform"),
    "quant-analytics": ("quant@254carbon.com", "#quant-analytics"),
    "portfolio-team": ("portfolio@254carbon.com", "#portfolio"),
    "ml-platform": ("ml-platform@254carbon.com", "#ml-platform"),
    "sre": ("sre@254carbon.com", "#sre-oncall"),
    "security-eng": ("security@254carbon.com", "#security"),
}
TEAM_OVERRIDE = {
    "portfolio-service": "portfolio-team",
    "exposure-calculator": "portfolio-team",
    "position-tracker": "portfolio-team",
}


@dataclass(frozen=True)
class ServiceDef:
    name: str
    domain: str
    runtime: str
    maturity: str
    deps: str = ""
    ext: str = ""
    ein: str = ""
    eout: str = ""
    specs: str = ""


# Priority order: a catalog smaller than this list takes its first entries (the planted cases first).
_d = ServiceDef
CORE: tuple[ServiceDef, ...] = (
    _d("api-gateway", "access", "nodejs", "stable", "auth-service entitlements rate-limiter curve-aggregator",
         "redis@7.0 envoy", "access.entitlement.changed.v1", "ops.metrics.request-count.v1",
         "gateway-core auth-core"),
    _d("auth-service", "access", "go", "stable", "session-store secrets-broker config-service",
         "postgresql@15 redis@7.0", "", "auth.token.issued.v1", "auth-core"),
    _d("entitlements", "access", "java", "stable", "auth-service reference-data", "postgres",
         "auth.token.issued.v1", "access.entitlement.changed.v1", "entitlements-api auth-core"),
    _d("curve-aggregator", "data-processing", "java", "stable", "price-enricher reference-data calendar-service",
         "kafka@3.4 clickhouse@23.8", "market.ticks.normalized.v1", "pricing.curve.updated.v2",
         "curves-api pricing-api"),
    _d("weather-ingest", "ingestion", "python", "beta", "connector-registry load-forecaster object-store-gateway",
         "kafka@3.4 minio", "", "weather.observations.hourly.v1", "ingestion-contract"),
    _d("load-forecaster", "ml", "python", "beta", "feature-store model-serving", "postgres",
         "weather.observations.hourly.v1", "ml.forecast.published.v1", "model-registry-api"),
    _d("portfolio-service", "analytics", "java", "beta", "exposure-calculator reference-data", "postgresql",
         "", "", "scenario-api"),
    _d("exposure-calculator", "analytics", "java", "beta", "position-tracker curve-store", "redis@7.2",
         "portfolio.position.changed.v1", "", "curves-api"),
    _d("position-tracker", "analytics", "go", "beta", "portfolio-service tick-store-writer", "kafka@3.6 postgres",
         "", "portfolio.position.changed.v1", ""),
    _d("market-data-api", "analytics", "nodejs", "stable", "legacy-quotes curve-store entitlements", "redis@7.0",
         "pricing.curve.updated.v2", "", "marketdata-api gateway-core"),
    _d("legacy-quotes", "data-processing", "java", "deprecated", "reference-data", "postgres", "", "",
         "marketdata-api"),
    _d("spp-connector", "ingestion", "python", "experimental", "connector-registry ingest-normalizer",
         "kafka@3.6", "", "market.spp.raw.v1", "ingestion-contract"),
    _d("status-page", "observability", "nodejs", "beta", "alert-router metrics-collector", "",
         "ops.alert.fired.v1", "status.incident.opened.v1", ""),
    _d("model-trainer", "ml", "python", "experimental", "feature-store model-registry",
         "mlflow feature-store postgres", "ml.features.refreshed.v1", "", "model-registry-api"),
    _d("feature-store", "ml", "python", "beta", "object-store-gateway curve-store", "redis@7.2 postgresql@15",
         "", "ml.features.refreshed.v1", "model-registry-api"),
    _d("report-builder", "analytics", "nodejs", "beta", "scenario-runner notification-hub risk-analytics",
         "postgres minio", "scenario.run.completed.v1 backtest.job.completed.v1", "", "scenario-api"),
    _d("risk-analytics", "analytics", "java", "stable", "curve-store exposure-calculator reference-data",
         "clickhouse@23.8 kafka@3.4", "pricing.curve.updated.v2 ml.forecast.published.v1", "",
         "curves-api scenario-api"),
    _d("developer-portal", "access", "nodejs", "beta", "auth-service", "postgres", "", "", "gateway-core"),
    _d("units-converter", "shared", "python", "deprecated", "reference-data", "", "", "", "refdata-api"),
    _d("streaming-gateway", "access", "nodejs", "beta", "auth-service entitlements", "redis@7.0 kafka@3.6",
         "pricing.curve.updated.v2", "", "gateway-core marketdata-api"),
    _d("lineage-tracker", "data-processing", "python", "experimental", "", "elasticsearch@8.11",
         "batch.job.status.v1", "lineage.edge.recorded.v1", "events-envelope"),
    _d("usage-metering", "access", "go", "experimental", "api-gateway", "clickhouse@23.8",
         "ops.metrics.request-count.v1", "", "gateway-core"),
    _d("curve-store", "data-processing", "java", "beta", "object-store-gateway reference-data",
         "clickhouse@23.8 postgresql", "pricing.curve.updated.v2", "", "curves-api"),
    _d("price-enricher", "data-processing", "python", "beta", "reference-data calendar-service",
         "kafka@3.4 redis@7.2", "market.ticks.normalized.v1", "", "pricing-api"),
    _d("slo-reporter", "observability", "python", "beta", "metrics-collector trace-collector", "postgres", "",
         "", "metrics-core"),
    _d("config-service", "infrastructure", "go", "stable", "", "postgresql@15"),
    _d("secrets-broker", "infrastructure", "go", "stable", "config-service"),
    _d("job-scheduler", "infrastructure", "java", "stable", "config-service", "postgresql@15 redis@7.2"),
    _d("object-store-gateway", "infrastructure", "go", "beta", "secrets-broker", "minio"),
    _d("service-registry", "infrastructure", "go", "stable", "config-service"),
    _d("calendar-service", "shared", "python", "stable", "config-service", "postgres", "", "", "refdata-api"),
    _d("reference-data", "shared", "java", "stable", "config-service service-registry",
         "postgresql@15 redis@7.0", "", "reference.instrument.updated.v1", "refdata-api"),
    _d("notification-hub", "shared", "nodejs", "beta", "secrets-broker", "rabbitmq", "ops.alert.fired.v1", "",
         "events-envelope"),
    _d("rate-limiter", "access", "go", "stable", "config-service", "redis@7.0"),
    _d("session-store", "access", "go", "stable", "secrets-broker", "redis@7.2"),
    _d("miso-connector", "ingestion", "python", "stable", "connector-registry calendar-service", "kafka@3.4", "",
         "market.miso.raw.v1", "ingestion-contract"),
    _d("caiso-connector", "ingestion", "python", "stable", "connector-registry calendar-service", "kafka@3.4",
         "", "market.caiso.raw.v1", "ingestion-contract"),
    _d("ercot-connector", "ingestion", "python", "beta", "connector-registry calendar-service", "kafka@3.6", "",
         "market.ercot.raw.v1", "ingestion-contract"),
    _d("pjm-connector", "ingestion", "go", "beta", "connector-registry", "kafka@3.6", "", "market.pjm.raw.v1",
         "ingestion-contract"),
    _d("ingest-normalizer", "ingestion", "java", "stable", "reference-data units-converter", "kafka@3.4",
         "market.miso.raw.v1 market.caiso.raw.v1 market.ercot.raw.v1 market.pjm.raw.v1 market.spp.raw.v1",
         "market.ticks.normalized.v1", "ingestion-contract events-envelope"),
    _d("connector-registry", "ingestion", "python", "beta", "config-service", "postgres"),
    _d("fx-rates-ingest", "ingestion", "go", "beta", "connector-registry reference-data", "kafka@3.6", "",
         "market.fx.rates.v1", "ingestion-contract"),
    _d("data-quality-checker", "data-processing", "python", "beta", "curve-store reference-data",
         "clickhouse@23.8", "market.ticks.normalized.v1", "dq.check.failed.v1", "events-envelope"),
    _d("tick-store-writer", "data-processing", "go", "stable", "object-store-gateway",
         "clickhouse@23.8 kafka@3.6", "market.ticks.normalized.v1"),
    _d("batch-orchestrator", "data-processing", "python", "beta", "job-scheduler", "postgres redis", "",
         "batch.job.status.v1"),
    _d("curve-validator", "data-processing", "python", "beta", "curve-store calendar-service", "kafka@3.6",
         "pricing.curve.updated.v2", "pricing.curve.validated.v1", "curves-api"),
    _d("backtesting-engine", "analytics", "python", "stable", "curve-store tick-store-writer job-scheduler",
         "clickhouse@23.8 postgres", "pricing.curve.updated.v2", "backtest.job.completed.v1",
         "backtest-api curves-api"),
    _d("scenario-runner", "analytics", "python", "beta", "curve-store backtesting-engine", "postgres redis@7.0",
         "scenario.run.requested.v1", "scenario.run.completed.v1", "scenario-api curves-api"),
    _d("model-serving", "ml", "python", "stable", "model-registry feature-store", "redis@7.2",
         "ml.model.promoted.v1", "", "model-registry-api"),
    _d("price-forecaster", "ml", "python", "beta", "feature-store model-serving curve-store", "postgres", "",
         "ml.forecast.published.v1", "model-registry-api curves-api"),
    _d("embedding-indexer", "ml", "python", "experimental", "feature-store", "elasticsearch@8.11",
         "ml.embedding.reindex.requested.v1"),
    _d("model-registry", "ml", "java", "stable", "object-store-gateway", "postgresql@15 mlflow", "",
         "ml.model.promoted.v1", "model-registry-api"),
    _d("metrics-collector", "observability", "go", "stable", "service-registry", "clickhouse@23.8",
         "ops.metrics.request-count.v1", "", "metrics-core"),
    _d("log-shipper", "observability", "go", "stable", "object-store-gateway", "kafka@3.6 elasticsearch@8.11",
         "", "", "metrics-core"),
    _d("trace-collector", "observability", "go", "beta", "", "clickhouse@23.8", "", "", "metrics-core"),
    _d("alert-router", "observability", "nodejs", "beta", "notification-hub metrics-collector", "redis@7.0",
         "dq.check.failed.v1", "ops.alert.fired.v1", "metrics-core events-envelope"),
    _d("audit-trail", "security", "java", "stable", "object-store-gateway", "kafka@3.4 postgresql@15",
         "auth.token.issued.v1 access.entitlement.changed.v1", "", "events-envelope"),
    _d("vuln-scanner", "security", "go", "beta", "service-registry", "postgres", "",
         "security.scan.completed.v1"),
    _d("compliance-reporter", "security", "python", "beta", "audit-trail vuln-scanner", "postgres",
         "security.scan.completed.v1", "", "events-envelope"),
    _d("key-rotation", "security", "go", "stable", "secrets-broker"),
    _d("backtest-scheduler", "analytics", "go", "experimental", "backtesting-engine job-scheduler", "redis@7.2",
         "", "scenario.run.requested.v1", "backtest-api"),
)  # fmt: skip

RETIRED = "legacy-quotes"
ADDED = "spp-connector"
NO_MANIFEST = "status-page"
PROMOTED = ("curve-store", "stable")
LATE_EDGE = ("report-builder", "risk-analytics")
#: Days before ``end`` of a service's last deployment (it never changes again).
STALE_DAYS = {"developer-portal": 120, "units-converter": 230}
#: Pins that never move.
FROZEN_PINS = {("developer-portal", "gateway-core"): "1.0.0", ("legacy-quotes", "marketdata-api"): "3.4.0"}
#: Pins that follow minor and patch releases but never the breaking major.
NO_MAJOR = (("streaming-gateway", "gateway-core"), ("market-data-api", "marketdata-api"))
MISSING_LOCKS = ("developer-portal", "units-converter", "lineage-tracker", "usage-metering")
#: Services whose lock file was added during the window (fraction of the window).
LATE_LOCKS = {"model-trainer": 0.55, "weather-ingest": 0.8}
INVALID_PIN = ("slo-reporter", "metrics-core", "latest")

# Spec histories: (version, days before end, change tags).
SPECS: dict[str, tuple[str, tuple[tuple[str, int, str], ...], tuple[str, ...], tuple[str, ...]]] = {
    "gateway-core": ("Public gateway API contract", (
        ("1.0.0", 540, "feature"), ("1.1.0", 420, "feature"), ("1.2.0", 300, "feature performance"),
        ("1.2.1", 200, "bugfix"), ("1.3.0", 120, "feature docs"), ("2.0.0", 45, "breaking feature")),
        ("1.0.0", "1.1.0"), ()),
    "auth-core": ("Authentication and token API", (
        ("2.0.0", 600, "breaking"), ("2.1.0", 380, "feature"), ("2.2.0", 240, "feature"),
        ("2.3.0", 130, "feature performance"), ("2.3.1", 95, "security bugfix")), ("2.0.0",), ()),
    "entitlements-api": ("Entitlement checks and grants", (
        ("1.4.0", 300, "feature"), ("1.5.0", 160, "feature"), ("1.5.1", 70, "bugfix docs"),
        ("1.6.0", 20, "feature")), (), ()),
    "curves-api": ("Forward curve query and publication API", (
        ("1.9.0", 700, "feature"), ("2.0.0", 500, "breaking"), ("2.1.0", 330, "feature"), ("2.1.1", 250, "bugfix"),
        ("2.1.2", 190, "bugfix"), ("2.2.0", 110, "feature performance"), ("2.2.1", 60, "security"),
        ("2.3.0", 25, "feature"), ("3.0.0-rc.1", 8, "breaking")), ("2.0.0", "2.1.0"), ("1.9.0",)),
    "pricing-api": ("Price enrichment contract", (
        ("1.0.0", 400, "feature"), ("1.0.1", 280, "bugfix"), ("1.1.0", 150, "feature"),
        ("1.1.1", 40, "bugfix docs")), (), ()),
    "marketdata-api": ("Market data snapshot and streaming API", (
        ("3.4.0", 450, "feature"), ("3.5.0", 260, "feature"), ("4.0.0", 140, "breaking performance"),
        ("4.1.0", 35, "feature")), ("3.4.0",), ()),
    "metrics-core": ("Metrics naming and export contract", (
        ("1.8.0", 420, "feature"), ("1.9.0", 300, "feature"), ("1.9.1", 260, "bugfix"),
        ("1.10.0", 150, "feature performance"), ("1.10.1", 90, "bugfix"), ("1.10.2", 12, "docs")), ("1.8.0",), ()),
    "scenario-api": ("Scenario definition and run API", (
        ("0.9.0", 380, "feature"), ("1.0.0", 250, "breaking docs"), ("1.1.0", 120, "feature"),
        ("1.2.0", 50, "feature"), ("1.3.0", 10, "feature performance")), ("0.9.0",), ()),
    "backtest-api": ("Backtest job API", (
        ("1.0.0", 350, "feature"), ("1.1.0", 210, "performance"), ("1.2.0", 80, "feature")), (), ()),
    "model-registry-api": ("Model registration and promotion API", (
        ("0.5.0", 330, "feature"), ("0.6.0", 220, "feature"), ("0.7.0", 130, "breaking feature"),
        ("0.7.1", 66, "bugfix"), ("0.8.0", 15, "feature")), ("0.5.0",), ()),
    "events-envelope": ("Common event envelope schema", (
        ("1.0.0", 600, "feature"), ("1.1.0", 300, "feature"), ("1.1.1", 180, "docs"),
        ("1.2.0", 60, "feature")), (), ()),
    "ingestion-contract": ("Market feed ingestion contract", (
        ("2.0.0", 420, "breaking"), ("2.1.0", 310, "feature"), ("2.2.0", 200, "feature"),
        ("2.3.0", 100, "feature performance"), ("2.4.0", 30, "feature")), (), ()),
    # written in the upstream shape (latest only); the history drives the simulation
    "refdata-api": ("Reference data (instruments, nodes, calendars)", (
        ("1.2.0", 400, "feature"), ("1.3.0", 220, "feature"), ("1.4.0", 70, "feature")), (), ()),
}  # fmt: skip
UPSTREAM_SHAPE_SPECS = ("refdata-api",)

# Events: days before end when registered (None = never registered); absent = registered long ago.
EVENT_REGISTERED_LATE = {"dq.check.failed.v1": 70, "security.scan.completed.v1": 130}
EVENT_NEVER = (
    "ops.metrics.request-count.v1",
    "status.incident.opened.v1",
    "lineage.edge.recorded.v1",
    "ml.embedding.reindex.requested.v1",
    "market.fx.rates.v1",
)
EVENT_UNUSED = ("analytics.export.completed.v1", "curve.compute.requested.v1", "settlement.statement.published.v1")

# OSV advisories: id, package, ecosystem, ranges [(type, [(event, version)])], versions, severity, epss,
# published (days before end), aliases, summary, cvss vector.
ADVISORIES: tuple[dict[str, Any], ...] = (
    {"id": "BIT-redis-2025-90417", "package": "redis", "ecosystem": "Bitnami",
     "ranges": (("SEMVER", (("introduced", "7.0.0"), ("fixed", "7.0.16"))),), "severity": "HIGH", "epss": 0.0213,
     "published": 75, "aliases": ("CVE-2025-90417",),
     "summary": "Lua script sandbox escape in redis 7.0 allows command execution",
     "cvss": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"},
    {"id": "CARBON-2025-0007", "package": "auth-core", "ecosystem": "254carbon-specs",
     "ranges": (("SEMVER", (("introduced", "2.0.0"), ("fixed", "2.3.1"))),), "severity": "CRITICAL",
     "published": 95, "aliases": (), "summary": "auth-core token introspection accepts expired refresh tokens"},
    {"id": "CARBON-2025-0011", "package": "curves-api", "ecosystem": "254carbon-specs",
     "ranges": (("SEMVER", (("introduced", "2.1.0"), ("fixed", "2.2.1"))),), "severity": "CRITICAL",
     "published": 60, "aliases": (), "summary": "curves-api bulk export skips entitlement filtering"},
    {"id": "BIT-kafka-2025-90233", "package": "kafka", "ecosystem": "Bitnami",
     "ranges": (("ECOSYSTEM", (("introduced", "3.4.0"), ("last_affected", "3.4.1"))),), "severity": "MODERATE",
     "epss": 0.0041, "published": 140, "aliases": ("CVE-2025-90233",),
     "summary": "Kafka broker SASL/OAUTHBEARER accepts unvalidated JWKS URLs"},
    {"id": "CARBON-2024-0042", "package": "pricing-api", "ecosystem": "254carbon-specs", "ranges": (),
     "versions": ("1.0.0", "1.0.1"), "severity": "LOW", "published": 100, "aliases": (),
     "summary": "pricing-api error responses echo request headers"},
    {"id": "BIT-postgresql-2024-90877", "package": "postgresql", "ecosystem": "Bitnami",
     "ranges": (("SEMVER", (("introduced", "0"), ("fixed", "13.4.0"))),), "severity": "HIGH", "epss": 0.0127,
     "published": 300, "aliases": ("CVE-2024-90877",),
     "summary": "PostgreSQL extension script search_path hijack before 13.4"},
    {"id": "GHSA-7cq4-9f2m-x3wp", "package": "clickhouse", "ecosystem": "Bitnami",
     "ranges": (("SEMVER", (("introduced", "23.3.0"), ("fixed", "23.8.9"))),), "severity": "HIGH", "epss": 0.1187,
     "published": 20, "aliases": ("CVE-2025-90551",),
     "summary": "ClickHouse HTTP interface heap overflow on crafted compressed input",
     "cvss": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"},
)  # fmt: skip

# Fleet (generated services beyond the curated platform).
ABBR = {
    "infrastructure": "infra",
    "shared": "shrd",
    "access": "acc",
    "ingestion": "ing",
    "data-processing": "dp",
    "analytics": "anl",
    "ml": "ml",
    "observability": "obs",
    "security": "sec",
}
FLEET_SHARE = (0.06, 0.08, 0.10, 0.16, 0.18, 0.14, 0.12, 0.10, 0.06)
NOUNS = ("feed", "router", "cache", "worker", "store", "api", "sync", "agent", "index", "relay", "engine", "hub")
FLEET_EXTERNALS = (
    "redis@7.0",
    "redis@7.2",
    "redis",
    "kafka@3.4",
    "kafka@3.6",
    "kafka",
    "postgresql@15",
    "postgres",
    "postgresql",
    "clickhouse@23.8",
    "clickhouse@24.3",
    "elasticsearch@8.11",
    "mongodb@6.0",
    "rabbitmq",
    "minio",
)
RUNTIMES = ("python", "go", "java", "nodejs")

ALIASES = {"postgres": "postgresql"}
SPEC_LAG_TEXT = {
    "high": "\u26a0\ufe0f Major version lag ({n} major versions behind). Manual review required.",
    "moderate": "\U0001f4e6 Consider upgrading to latest minor version.",
    "low": "\U0001f4cb Minor version lag. Upgrade when convenient.",
}


#: A vulnerable external and what services move to once its advisory is out (probability, days).
EXTERNAL_FIXES = {"redis@7.0": ("redis@7.2", 0.5, (5, 60)), "clickhouse@23.8": ("clickhouse@24.3", 0.3, (3, 15))}


# --- config files -------------------------------------------------------------------------------------------
THRESHOLDS_YAML = """\
# Quality and drift thresholds of the sample platform (read by compute_quality.py and meta254).
# quality.weights must sum to 1.0; the maturity multiplier `overall` scales the weighted score.

quality:
  base_score: 0
  weights:
    coverage: 0.25
    security: 0.35
    policy: 0.15
    stability: 0.10
    drift: 0.15
  coverage:
    target: 0.75
    weight: 0.25
    excellent_threshold: 0.90
    good_threshold: 0.80
    acceptable_threshold: 0.70
    poor_threshold: 0.50
  security:
    weight: 0.35
    max_critical_vulns: 0
    max_high_vulns: 2
    signed_images_bonus: 10
    sbom_bonus: 5
  policy:
    weight: 0.15
    full_compliance_bonus: 15
    partial_compliance_threshold: 0.80
  stability:
    weight: 0.10
    deployment_frequency_bonus: 5
    staleness_penalty: 10
    fresh_days: 7       # deployed within a week: full marks
    warning_days: 30
    critical_days: 90
  drift:
    weight: 0.15
    penalty_per_issue: 5
    max_penalty: 20

drift_severity:
  spec_lag: {minor_warning: 30, minor_critical: 90, major_warning: 60, major_critical: 180}
  staleness: {warning: 90, critical: 180}
  dependency: {unauthorized_external: warning, directional_violation: error, cycle_detected: error}

maturity_multipliers:
  experimental: {coverage_weight: 0.8, security_weight: 0.6, stability_weight: 0.5, overall: 0.85}
  beta: {coverage_weight: 0.9, security_weight: 0.8, stability_weight: 0.7, overall: 0.95}
  stable: {coverage_weight: 1.0, security_weight: 1.0, stability_weight: 1.0, overall: 1.0}
  deprecated: {coverage_weight: 0.6, security_weight: 0.4, stability_weight: 0.3, overall: 0.7}

quality_grades:
  A: {min_score: 90, description: Excellent}
  B: {min_score: 80, description: Good}
  C: {min_score: 70, description: Acceptable}
  D: {min_score: 60, description: Needs Improvement}
  F: {min_score: 0, description: Failing}

platform_health:
  excellent: 85
  good: 75
  acceptable: 65
  concerning: 55
  min_healthy_services: 0.80
  max_failing_services: 0.10
  critical_services_min_score: 85

alerting:
  quality_drop_threshold: 10   # points lost ...
  quality_drop_window: 7       # ... within this many days
  max_drift_issues: 5
  max_critical_drift: 2
  max_dependency_violations: 3
"""

RULES_YAML = """\
# Validation rules of the sample platform: dependency direction, allowed externals, quality gates,
# drift policy and manifest patterns. A dependency may point to the same or a lower domain layer.

dependency:
  enforce_directionality: true
  forbid_cycles: true
  allowed_external: [redis, clickhouse, postgresql, mongodb, elasticsearch, kafka, rabbitmq, nginx, envoy, istio,
    cert-manager]
  # spellings of one technology (left) and the name it is checked under (right)
  aliases:
    postgres: postgresql
  domain_layers:
    infrastructure: 1
    shared: 2
    access: 3
    ingestion: 4
    data-processing: 5
    analytics: 6
    ml: 7
    observability: 8
    security: 9

forbidden_reverse_edges:
  - pattern: "access -> data-processing"
    description: "Edge services read curves through the analytics APIs, not from the processing layer"
    severity: error
  - pattern: "shared -> domain-specific"
    description: "Shared services stay domain-agnostic"
    severity: error
  - pattern: "infrastructure -> application"
    description: "Infrastructure does not call application services"
    severity: warning

quality:
  min_score: 70
  fail_under: 60
  weights: {coverage: 0.25, security: 0.35, policy: 0.15, stability: 0.10, drift: 0.15}
  coverage_thresholds: {experimental: 0.50, beta: 0.70, stable: 0.80, deprecated: 0.60}
  security_requirements:
    experimental: {signed_images: false, policy_pass: false}
    beta: {signed_images: true, policy_pass: true}
    stable: {signed_images: true, policy_pass: true}
    deprecated: {signed_images: false, policy_pass: false}

manifest:
  required_fields: [name, repo, domain, version, maturity, dependencies]
  recommended_fields: [runtime, api_contracts, events_in, events_out, quality, security]
  validation_patterns:
    name: "^[a-z][a-z0-9-]*[a-z0-9]$"
    version: "^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$"
    domain: "^(access|ingestion|data-processing|analytics|ml|infrastructure|shared|security|observability)$"
    maturity: "^(experimental|beta|stable|deprecated)$"
    runtime: "^(python|nodejs|go|java|docker)$"

release:
  enable_release_trains: true
  max_train_size: 6
  quality_gates: {min_score: 80, max_critical_vulns: 0, all_tests_passing: true}

drift:
  block_on_missing_lock: true
  warn_on_minor_spec_lag: true
  staleness_thresholds:
    warning: 90
    critical: 180
  auto_upgrade: {patch_versions: true, minor_versions: true, major_versions: false}
  # An exemption hides the matching drift issue until it expires (end of that day, UTC).
"""

UPGRADE_POLICIES_YAML = """\
# Upgrade policies of the sample platform: what may be upgraded automatically, when, and with whose review.

auto_upgrade:
  patch:
    enabled: true
    require_tests: false
    require_review: false
    max_services_per_pr: 10
    description: "Patch releases (bug and security fixes) merge automatically"
  minor:
    enabled: true
    require_tests: true
    require_review: false
    max_services_per_pr: 5
    description: "Minor releases merge automatically once tests pass"
  major:
    enabled: false
    require_tests: true
    require_review: true
    max_services_per_pr: 1
    description: "Breaking releases need a reviewed migration, one service at a time"

service_policies:
{service_policies}
scheduling:
  max_concurrent_prs: 3
  pr_creation_delay: 5          # minutes between two upgrade PRs
  business_hours: {{start: "09:00", end: "17:00", timezone: UTC}}
  allowed_days: [1, 2, 3, 4]    # Monday..Thursday (0 = Sunday); no upgrades before the weekend

review_requirements:
  patch: {{required_reviewers: [], optional_reviewers: [platform-team], min_approvals: 0}}
  minor: {{required_reviewers: [], optional_reviewers: [platform-team, service-owners], min_approvals: 1}}
  major: {{required_reviewers: [architecture-team, platform-team], optional_reviewers: [service-owners],
    min_approvals: 2}}

testing_requirements:
  patch: {{run_unit_tests: true, run_integration_tests: false, run_e2e_tests: false, require_test_coverage: false}}
  minor: {{run_unit_tests: true, run_integration_tests: true, run_e2e_tests: false, require_test_coverage: true}}
  major: {{run_unit_tests: true, run_integration_tests: true, run_e2e_tests: true, require_test_coverage: true}}

rollback:
  auto_rollback: false
  triggers: {{test_failures: true, deployment_failures: true, health_check_failures: true}}

maintenance_windows:
  windows:
    - name: Trading hours
      cron: "0 13-21 * * 1-5"
      timezone: UTC
      blocked_operations: [major_upgrades]
    - name: Weekend
      cron: "0 0 * * 0,6"
      timezone: UTC
      blocked_operations: [all_upgrades]
    - name: Quarter-end close
      cron: "0 0 28-31 3,6,9,12 *"
      timezone: UTC
      blocked_operations: [all_upgrades]
"""
