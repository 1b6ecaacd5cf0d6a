"""Column names and dtypes of every table meta254lib produces, in one place.

Each table is a :class:`TableSchema`: an ordered mapping of column name to pandas dtype plus a
one-line description per column. Loaders build frames with :func:`frame_from_records`, which
returns exactly these columns in this order and with these dtypes; analyses check their inputs
with :func:`require_columns`.

Column-name constants (``SERVICE``, ``TEAM``, ...) are the only spelling of a column name that
code outside this module should use.

Dtype conventions
-----------------
``str``         pandas string dtype (missing = NaN)
``Int64``       nullable integer
``Float64``/``float64``  floats (missing = NaN)
``boolean``     nullable boolean
``bool``        non-null boolean
``datetime64[us, UTC]``  timezone-aware UTC timestamps
``object``      Python tuples (lists of strings, version intervals); never mutable lists

Examples
--------
>>> SERVICES.columns[:3]
('service', 'repo', 'path')
>>> frame_from_records(EVENTS, [{"service": "a", "event": "x.y.z.v1", "direction": "in"}]).dtypes["registered"]
BooleanDtype
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import SchemaError

__all__ = [
    "ADVISORIES",
    "CONTRACTS",
    "DEPENDENCIES",
    "DRIFT_HISTORY",
    "DRIFT_ISSUES",
    "EVENTS",
    "EXEMPTIONS",
    "INPUTS",
    "LOCKFILES",
    "MANIFESTS",
    "QUALITY_HISTORY",
    "SERVICES",
    "SPEC_VERSIONS",
    "TABLES",
    "TEAMS",
    "WARNINGS",
    "TableSchema",
    "empty_frame",
    "frame_from_records",
    "require_columns",
    "schema_markdown",
]

# --- column names shared by several tables ------------------------------------------------------
SERVICE = "service"
TEAM = "team"
DOMAIN = "domain"
MATURITY = "maturity"
RUNTIME = "runtime"
VERSION = "version"
SPEC = "spec"
EVENT = "event"
DIRECTION = "direction"
TARGET = "target"
KIND = "kind"
FILE = "file"
FIELD = "field"
MESSAGE = "message"
SEVERITY = "severity"
SCORE = "score"
GRADE = "grade"
STATUS = "status"
MAJOR = "major"
MINOR = "minor"
PATCH = "patch"

UTC_TS = "datetime64[us, UTC]"


@dataclass(frozen=True)
class TableSchema:
    """Name, ordered columns, dtypes and documentation of one table.

    Parameters
    ----------
    name : str
        The table name, as exposed on the workspace (``ws.services``).
    spec : tuple of (column, dtype, description)
        The columns in order.
    doc : str
        One paragraph on what one row is.
    """

    name: str
    spec: tuple[tuple[str, str, str], ...]
    doc: str = ""
    dtypes: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtypes", {c: d for c, d, _ in self.spec})

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c for c, _, _ in self.spec)


def _t(name: str, doc: str, *spec: tuple[str, str, str]) -> TableSchema:
    return TableSchema(name=name, spec=tuple(spec), doc=doc)


SERVICES = _t(
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

CONTRACTS = _t(
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

DEPENDENCIES = _t(
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

EVENTS = _t(
    "events",
    "One row per event a service consumes (`in`) or produces (`out`).",
    (SERVICE, "str", "service"),
    (EVENT, "str", "event id as written"),
    (DIRECTION, "str", "in | out"),
    ("registered", "boolean", "in config/events-registry.yaml (NA when the registry is absent)"),
)

MANIFESTS = _t(
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

LOCKFILES = _t(
    "lockfiles",
    "One row per spec entry of a collected lock file (`<service>.specs.lock.json`).",
    (SERVICE, "str", "service"),
    (SPEC, "str", "locked spec"),
    (VERSION, "str", "locked version"),
    ("resolved_at", UTC_TS, "resolution time"),
    ("integrity", "str", "integrity string"),
    (FILE, "str", "lock file path relative to the workspace"),
)

SPEC_VERSIONS = _t(
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

ADVISORIES = _t(
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

DRIFT_HISTORY = _t(
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

QUALITY_HISTORY = _t(
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
)

EXEMPTIONS = _t(
    "exemptions",
    "One row per `drift.exemptions` entry of config/rules.yaml.",
    (SERVICE, "str", "service the exemption applies to"),
    ("subject", "str", "spec, dependency or event (`spec` or `subject`); empty = every issue of the service"),
    ("type", "str", "drift type it is limited to, empty = any"),
    ("reason", "str", "reason"),
    ("expires", UTC_TS, "expiry (end of that day, UTC); NA = never"),
)

TEAMS = _t(
    "teams",
    "One row per (team, service) ownership from config/teams.yaml, or derived from repo names.",
    (TEAM, "str", "team name"),
    (SERVICE, "str", "service"),
    ("contact", "str", "contact address"),
    ("slack", "str", "chat channel"),
    ("source", "str", "teams.yaml | repo"),
)

INPUTS = _t(
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

WARNINGS = _t(
    "warnings",
    "One row per problem found while loading that did not stop the load.",
    (FILE, "str", "file, relative to the workspace"),
    (FIELD, "str", "dotted field path"),
    (MESSAGE, "str", "what was wrong and what was done about it"),
)

DRIFT_ISSUES = _t(
    "drift_issues",
    "One row per drift issue of `drift.detect_drift` (ordered by severity, service, type, subject).",
    ("id", "str", "stable issue id (`ids.drift_issue_id(service, type, subject)`), same id week after week"),
    (SERVICE, "str", "service the issue is about"),
    (TEAM, "str", "owning team (services.team), empty when unknown"),
    ("type", "str", "drift type (spec_major_lag, vulnerable_dependency, unknown_event, ...)"),
    (SEVERITY, "str", "high | medium | low, from the drift policy"),
    ("category", "str", "runbook category (`Major Version Lag`, `Security Vulnerabilities`, ...)"),
    ("subject", "str", "spec, dependency or event the issue is about; empty for service-wide issues"),
    ("current", "str", "current value (pinned version, locked version, age, ...)"),
    ("expected", "str", "expected value (latest version, pinned version, threshold, ...)"),
    ("reason", "str", "one line a reviewer understands"),
    ("remediation", "str", "runbook action for the issue"),
    ("advisory_ids", "str", "comma-separated OSV advisory ids, empty when none apply"),
    ("escalation", "str", "runbook escalation level: L1 (low), L2 (medium), L3 (high)"),
    ("major_behind", "Int64", "majors between current and expected (version issues), else NA"),
    ("minor_behind", "Int64", "minors behind (semver distance, Renovate sense), else NA"),
    ("patch_behind", "Int64", "patches behind, else NA"),
    ("libyear", "float64", "years between the release dates of current and expected (spec lags), else NaN"),
    ("age_days", "Int64", "staleness: days between last_update and as_of, else NA"),
    ("exempt", "bool", "an active exemption covers the issue: shown, not counted"),
    ("exemption_reason", "str", "reason of the matching exemption (active or expired), empty if none"),
    ("exemption_expires", UTC_TS, "expiry of the matching exemption, NA if none or never"),
    ("exemption_expired", "bool", "a matching exemption expired before as_of (the issue counts again)"),
    ("as_of", UTC_TS, "the as-of time of the detection run"),
    ("detected_at", UTC_TS, "first report in the drift history with this id, else as_of"),
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        SERVICES,
        CONTRACTS,
        DEPENDENCIES,
        EVENTS,
        MANIFESTS,
        LOCKFILES,
        SPEC_VERSIONS,
        ADVISORIES,
        DRIFT_HISTORY,
        DRIFT_ISSUES,
        QUALITY_HISTORY,
        EXEMPTIONS,
        TEAMS,
        INPUTS,
        WARNINGS,
    )
}


def _coerce(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == UTC_TS:
        return pd.to_datetime(series, utc=True, errors="coerce").astype(UTC_TS)
    if dtype == "object":
        return series.astype(object)
    if dtype == "str":
        return series.astype("str").where(series.notna(), other=pd.NA).astype("str")
    return series.astype(dtype)


def empty_frame(schema: TableSchema) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes.

    Examples
    --------
    >>> empty_frame(WARNINGS).columns.tolist()
    ['file', 'field', 'message']
    """
    return pd.DataFrame({c: pd.Series([], dtype=d if d != UTC_TS else UTC_TS) for c, d, _ in schema.spec})


def frame_from_records(schema: TableSchema, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a frame with exactly the schema's columns, in order, with its dtypes.

    Keys missing from a record become missing values; keys not in the schema are dropped.

    Examples
    --------
    >>> df = frame_from_records(WARNINGS, [{"file": "a.yaml", "message": "bad"}])
    >>> df.loc[0, "file"], pd.isna(df.loc[0, "field"])
    ('a.yaml', True)
    """
    records = list(records)
    if not records:
        return empty_frame(schema)
    cols = schema.columns
    data = {c: [r.get(c) for r in records] for c in cols}
    out = {}
    for c, dtype, _ in schema.spec:
        values = data[c]
        if dtype == "object":
            s = pd.Series(values, dtype=object)
        elif dtype == "str":
            s = pd.Series(values, dtype="str")
        elif dtype == UTC_TS:
            s = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="mixed")
            s = s.astype(UTC_TS)
        elif dtype in ("bool", "int64"):
            s = pd.Series([v if v is not None else (False if dtype == "bool" else 0) for v in values], dtype=dtype)
        else:
            s = pd.Series(values, dtype=object).astype(dtype)
        out[c] = s
    return pd.DataFrame(out)


def require_columns(df: pd.DataFrame, schema: TableSchema | str, columns: Iterable[str] | None = None) -> None:
    """Raise :class:`SchemaError` unless ``df`` has the schema's columns (or the given subset).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"file": []}), WARNINGS, ["file"])
    >>> require_columns(pd.DataFrame({"file": []}), WARNINGS)
    Traceback (most recent call last):
    ...
    meta254lib.errors.SchemaError: table 'warnings' is missing column(s): field, message
    """
    if isinstance(schema, str):
        schema = TABLES[schema]
    wanted = list(columns) if columns is not None else list(schema.columns)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise SchemaError(schema.name, missing)


def schema_markdown() -> str:
    """All table schemas as Markdown, for the README and the reports.

    Examples
    --------
    >>> "### services" in schema_markdown()
    True
    """
    parts = []
    for t in TABLES.values():
        parts.append(f"### {t.name}\n\n{t.doc}\n\n| column | dtype | meaning |\n|---|---|---|")
        parts.extend(f"| `{c}` | `{d}` | {desc} |" for c, d, desc in t.spec)
        parts.append("")
    return "\n".join(parts)
