"""Drift detection that follows the drift remediation runbook, and drift history, flow and KPIs.

Detection (:func:`detect_drift`) is a pure function of the workspace tables (``schema.py``), an
explicit ``as_of`` (default: the catalog's ``generated_at``, never the wall clock) and one
:class:`DriftPolicy`. It returns a :class:`DriftResult` whose ``issues`` frame follows
:data:`~meta254lib.core.schema.DRIFT_ISSUES`.

Detectors (default severity; runbook category)::

    missing_lock           high    Missing Lock Files        contracts pinned, no collected lock file
    spec_major_lag         high    Major Version Lag         pinned major below the registry's latest
    security_lag           high    Security Vulnerabilities  a skipped version carries a `security` change
    breaking_lag           high    Breaking Changes          a skipped version is tagged `breaking` (no major bump)
    vulnerable_dependency  high    Security Vulnerabilities  an OSV advisory affects the pinned version
    deprecated_spec        high    Breaking Changes          pinned version deprecated/removed in the registry
    spec_minor_lag         medium  Minor Version Lag
    feature_lag            medium  Feature Lag               patch-level lag over a `feature` release
    performance_lag        medium  Performance Issues        patch-level lag over a `performance` release
    lock_mismatch          medium  Lock File Mismatch        lock pins another version than the manifest
    dependency_divergence  medium  Dependency Conflicts      another service uses a newer major (minor only: low)
    unknown_event          medium  Unknown Events            event not in config/events-registry.yaml
    dangling_dependency    medium  Dangling Dependencies     internal dependency not in the catalog
    invalid_version        medium  Invalid Version Pins      pin that is not a semantic version
    version_staleness      medium  Version Staleness         last_update > 90 days before as_of (> 180: high)
    spec_patch_lag         low     Patch Version Lag
    bugfix_lag             low     Minor Bug Fixes           patch-level lag over `bugfix` releases only
    documentation_lag      low     Documentation Updates     patch-level lag over `docs` releases only

One spec pin yields at most one lag issue. Its type is the most severe of the semver-distance type
and the types of the change tags of the skipped versions; ties go to the first of
:data:`LAG_PRIORITY`. All lag types are one id family, so the issue keeps its id while it changes.

History, flow, time to remediation and KPIs over successive reports live in
:mod:`meta254lib.drift.history`.

Examples
--------
>>> from meta254lib.core.schema import SERVICES, CONTRACTS, SPEC_VERSIONS, frame_from_records as rec
>>> inputs = DriftInputs(
...     services=rec(SERVICES, [{"service": "gateway", "team": "access"}]),
...     contracts=rec(CONTRACTS, [{"service": "gateway", "spec": "gateway-core", "version": "1.0.0",
...                                "major": 1, "minor": 0, "patch": 0, "valid": True}]),
...     spec_versions=rec(SPEC_VERSIONS, [{"spec": "gateway-core", "version": "1.2.0", "major": 1,
...                                        "minor": 2, "patch": 0, "is_latest": True}]))
>>> r = detect_drift(inputs, as_of="2025-10-10")
>>> r.issues[["service", "type", "severity", "category"]].values.tolist()
[['gateway', 'spec_minor_lag', 'medium', 'Minor Version Lag']]
>>> r.issues.loc[0, "reason"]
'pins gateway-core@1.0.0; latest is 1.2.0, 2 minors behind'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..core.atomic import write_atomic, write_new
from ..core.errors import InputError, ParameterError, UnknownServiceError
from ..core.ids import drift_family, drift_issue_id
from ..core.schema import DRIFT_ISSUES, UTC_TS, frame_from_records
from ..core.settings import DEFAULT_EXTERNAL_ALIASES
from ..core.versions import SemVer, in_osv_range, parse_version, semver_distance, split_pin

__all__ = [
    "CATEGORIES",
    "DRIFT_TYPES",
    "LAG_PRIORITY",
    "SEVERITIES",
    "DriftInputs",
    "DriftPolicy",
    "DriftResult",
    "detect_drift",
    "detect_drift_baseline",
    "drift_report_filename",
    "drift_report_json",
    "filter_issues",
    "lag_matrix",
    "policy_from_config",
    "resolve_as_of",
    "severity_type_matrix",
    "top_issues",
    "write_drift_report",
]

#: The runbook's severities, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_LEVELS = (*SEVERITIES, "off")

#: Drift type -> (runbook category, default severity, remediation following the runbook).
_TYPES: dict[str, tuple[str, str, str]] = {
    "missing_lock": (
        "Missing Lock Files",
        "high",
        "Generate specs.lock.json and commit it with the manifest (runbook 3.2 Update Lock Files).",
    ),
    "spec_major_lag": (
        "Major Version Lag",
        "high",
        "Plan the major upgrade with the Architecture Team; review breaking changes first (runbook 2.2, 3.4).",
    ),
    "security_lag": (
        "Security Vulnerabilities",
        "high",
        "Upgrade to the version with the security fix immediately (runbook: Security Vulnerabilities).",
    ),
    "breaking_lag": (
        "Breaking Changes",
        "high",
        "Review the breaking changes, update API calls, then upgrade (runbook: Breaking API Changes).",
    ),
    "vulnerable_dependency": (
        "Security Vulnerabilities",
        "high",
        "Update to a fixed version immediately and review security policies (runbook: Security Vulnerabilities).",
    ),
    "deprecated_spec": (
        "Breaking Changes",
        "high",
        "Move off the deprecated or removed API version; update API calls (runbook 3.4 Code Changes).",
    ),
    "spec_minor_lag": (
        "Minor Version Lag",
        "medium",
        "Upgrade to the latest minor version and update the manifest and lock file (runbook 3.1-3.3).",
    ),
    "feature_lag": (
        "Feature Lag",
        "medium",
        "Upgrade to pick up the missing features (runbook 3.1-3.3).",
    ),
    "performance_lag": (
        "Performance Issues",
        "medium",
        "Upgrade to the performance-improved version (runbook: Performance Degradation).",
    ),
    "lock_mismatch": (
        "Lock File Mismatch",
        "medium",
        "Regenerate the lock file so it pins what the manifest declares (runbook 3.2).",
    ),
    "dependency_divergence": (
        "Dependency Conflicts",
        "medium",
        "Align the dependency's version across services (runbook: Dependency Conflicts).",
    ),
    "unknown_event": (
        "Unknown Events",
        "medium",
        "Register the event schema in the specs repository, or fix the event name (runbook 4.3).",
    ),
    "dangling_dependency": (
        "Dangling Dependencies",
        "medium",
        "Add the dependency to the catalog, or remove it from the manifest (runbook 3.3).",
    ),
    "invalid_version": (
        "Invalid Version Pins",
        "medium",
        "Pin an exact semantic version (x.y.z) in api_contracts (runbook 3.3, Best Practices).",
    ),
    "version_staleness": (
        "Version Staleness",
        "medium",
        "Review and refresh the service's manifest and dependencies (runbook: Regular Updates).",
    ),
    "spec_patch_lag": (
        "Patch Version Lag",
        "low",
        "Apply the patch update; eligible for automated low-risk remediation.",
    ),
    "bugfix_lag": (
        "Minor Bug Fixes",
        "low",
        "Apply the bug-fix update; eligible for automated low-risk remediation.",
    ),
    "documentation_lag": (
        "Documentation Updates",
        "low",
        "Upgrade when convenient to pick up the documentation improvements.",
    ),
}

#: Every drift type meta254 detects, in the order of the table above.
DRIFT_TYPES: tuple[str, ...] = tuple(_TYPES)
#: Drift type -> runbook category (the platform-doc extras carry their own names).
CATEGORIES: Mapping[str, str] = MappingProxyType({t: v[0] for t, v in _TYPES.items()})
#: Lag types in tie-break order: on equal severity the earlier type names the issue.
LAG_PRIORITY: tuple[str, ...] = (
    "security_lag",
    "spec_major_lag",
    "breaking_lag",
    "spec_minor_lag",
    "feature_lag",
    "performance_lag",
    "bugfix_lag",
    "documentation_lag",
    "spec_patch_lag",
)
#: Change tag of a skipped version -> the lag type it implies.
_TAG_TYPE = {
    "security": "security_lag",
    "breaking": "breaking_lag",
    "feature": "feature_lag",
    "performance": "performance_lag",
    "bugfix": "bugfix_lag",
    "docs": "documentation_lag",
}
_ESCALATION = {"high": "L3", "medium": "L2", "low": "L1"}


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


# =============================================================================================
# Policy
# =============================================================================================


@dataclass(frozen=True)
class DriftPolicy:
    """Every severity rule, SLO and KPI target of the drift engine, with the runbook's defaults.

    Parameters
    ----------
    severity : mapping of str to str
        Drift type -> ``high``, ``medium``, ``low`` or ``off`` (``off`` disables the detector).
        Change tags map to lag types (:data:`_TAG_TYPE`), so ``security_lag: high`` is the rule
        "a lag over a security release is high whatever its distance".
    staleness_warning_days, staleness_critical_days : int
        ``version_staleness`` is medium when ``as_of - last_update`` is over the warning and high
        when it is over the critical number of days.
    divergence_major, divergence_minor : str
        Severity of ``dependency_divergence`` when another service uses a newer major / only a newer
        minor of the same external dependency (patch-only differences are not drift).
    slo_days : mapping of str to int
        Response time per severity: an open issue is within its SLO while its age is below this.
    detection_rate_target, mttr_high_target_days, net_change_target : float
        KPI targets from DRIFT_DETECTION: share of services with drift below 10 %, MTTR of high issues
        below 7 days, net change of open issues per month at or below -10 %.

    Examples
    --------
    >>> p = DriftPolicy()
    >>> p.severity["spec_minor_lag"], p.slo_days["low"], p.staleness_critical_days
    ('medium', 14, 180)
    >>> p.with_overrides({"severity": {"unknown_event": "low"}}).severity["unknown_event"]
    'low'
    """

    severity: Mapping[str, str] = field(default_factory=lambda: _frozen({t: v[1] for t, v in _TYPES.items()}))
    staleness_warning_days: int = 90
    staleness_critical_days: int = 180
    divergence_major: str = "medium"
    divergence_minor: str = "low"
    slo_days: Mapping[str, int] = field(default_factory=lambda: _frozen({"high": 7, "medium": 30, "low": 14}))
    detection_rate_target: float = 0.10
    mttr_high_target_days: float = 7.0
    net_change_target: float = -0.10

    def level(self, drift_type: str) -> str:
        """Severity of a drift type (``off`` when disabled or unknown)."""
        return self.severity.get(drift_type, "off")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (the shape :meth:`with_overrides` accepts).

        Examples
        --------
        >>> DriftPolicy().as_dict()["staleness_days"]
        {'warning': 90, 'critical': 180}
        """
        return {
            "severity": dict(sorted(self.severity.items())),
            "staleness_days": {"warning": self.staleness_warning_days, "critical": self.staleness_critical_days},
            "divergence": {"major": self.divergence_major, "minor": self.divergence_minor},
            "slo_days": dict(self.slo_days),
            "targets": {
                "detection_rate": self.detection_rate_target,
                "mttr_high_days": self.mttr_high_target_days,
                "net_change_per_month": self.net_change_target,
            },
        }

    def with_overrides(self, overrides: Mapping[str, Any] | None, file: str = "config/rules.yaml") -> DriftPolicy:
        """A copy with the ``drift.policy`` mapping of rules.yaml applied.

        Raises
        ------
        InputError
            On an unknown key or a value of the wrong kind, naming ``file`` and the field.
        """
        if not overrides:
            return self
        where = "drift.policy"
        if not isinstance(overrides, Mapping):
            raise InputError(file, where, "a mapping", type(overrides).__name__)
        known = {"severity", "staleness_days", "divergence", "slo_days", "targets"}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(file, f"{where}.{unknown[0]}", f"one of {', '.join(sorted(known))}", repr(unknown[0]))

        def sub(key: str, allowed: Iterable[str]) -> dict[str, Any]:
            value = overrides.get(key) or {}
            if not isinstance(value, Mapping):
                raise InputError(file, f"{where}.{key}", "a mapping", type(value).__name__)
            allowed = set(allowed)
            for k in value:
                if k not in allowed:
                    raise InputError(file, f"{where}.{key}.{k}", f"one of {', '.join(sorted(allowed))}", repr(k))
            return dict(value)

        def lvl(value: Any, fld: str, choices: tuple[str, ...] = _LEVELS) -> str:
            text = str(value).strip().lower() if isinstance(value, str) else value
            if text == "moderate":
                text = "medium"
            if text not in choices:
                raise InputError(file, fld, f"one of {', '.join(choices)}", repr(value))
            return text

        def num(value: Any, fld: str, lo: float | None = None) -> float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise InputError(file, fld, "a number", repr(value))
            if lo is not None and value < lo:
                raise InputError(file, fld, f"a number >= {lo}", repr(value))
            return float(value)

        sev = dict(self.severity)
        for k, v in sub("severity", _TYPES).items():
            sev[k] = lvl(v, f"{where}.severity.{k}")
        stale = sub("staleness_days", ("warning", "critical"))
        warn = int(num(stale.get("warning", self.staleness_warning_days), f"{where}.staleness_days.warning", 0))
        crit = int(num(stale.get("critical", self.staleness_critical_days), f"{where}.staleness_days.critical", 0))
        if crit < warn:
            raise InputError(file, f"{where}.staleness_days.critical", f"a number >= warning ({warn})", repr(crit))
        div = sub("divergence", ("major", "minor"))
        slo = dict(self.slo_days)
        for k, v in sub("slo_days", SEVERITIES).items():
            slo[k] = int(num(v, f"{where}.slo_days.{k}", 0))
        tgt = sub("targets", ("detection_rate", "mttr_high_days", "net_change_per_month"))
        return DriftPolicy(
            severity=_frozen(sev),
            staleness_warning_days=warn,
            staleness_critical_days=crit,
            divergence_major=lvl(div.get("major", self.divergence_major), f"{where}.divergence.major"),
            divergence_minor=lvl(div.get("minor", self.divergence_minor), f"{where}.divergence.minor"),
            slo_days=_frozen(slo),
            detection_rate_target=num(
                tgt.get("detection_rate", self.detection_rate_target), f"{where}.targets.detection_rate"
            ),
            mttr_high_target_days=num(
                tgt.get("mttr_high_days", self.mttr_high_target_days), f"{where}.targets.mttr_high_days"
            ),
            net_change_target=num(
                tgt.get("net_change_per_month", self.net_change_target), f"{where}.targets.net_change_per_month"
            ),
        )


def policy_from_config(
    thresholds: Mapping[str, Any] | None = None, rules: Mapping[str, Any] | None = None
) -> DriftPolicy:
    """The drift policy of a workspace: runbook defaults, then thresholds.yaml, then rules.yaml.

    ``config/thresholds.yaml`` → ``drift_severity.staleness.{warning, critical}`` sets the staleness
    thresholds; ``config/rules.yaml`` → ``drift.policy`` (keys ``severity``, ``staleness_days``,
    ``divergence``, ``slo_days``, ``targets``; see :meth:`DriftPolicy.as_dict`) overrides anything.

    Examples
    --------
    >>> p = policy_from_config({"drift_severity": {"staleness": {"warning": 60, "critical": 120}}},
    ...                        {"drift": {"policy": {"severity": {"invalid_version": "high"}}}})
    >>> p.staleness_warning_days, p.staleness_critical_days, p.severity["invalid_version"]
    (60, 120, 'high')
    >>> policy_from_config(None, {"drift": {"policy": {"severty": {}}}})
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: config/rules.yaml: drift.policy.severty: expected one of divergence, \
severity, slo_days, staleness_days, targets, found 'severty'
    """
    policy = DriftPolicy()
    stale = ((thresholds or {}).get("drift_severity") or {}).get("staleness") if thresholds else None
    if isinstance(stale, Mapping) and stale:
        policy = policy.with_overrides(
            {"staleness_days": {k: stale[k] for k in ("warning", "critical") if k in stale}},
            file="config/thresholds.yaml",
        )
    drift_cfg = (rules or {}).get("drift") if rules else None
    if isinstance(drift_cfg, Mapping) and drift_cfg.get("policy") is not None:
        policy = policy.with_overrides(drift_cfg["policy"], file="config/rules.yaml")
    return policy


# =============================================================================================
# Inputs and clock
# =============================================================================================


def resolve_as_of(as_of: Any, default: Any = None) -> pd.Timestamp:
    """The as-of time as a UTC timestamp: ``as_of`` if given, else ``default`` (catalog generated_at).

    A date without a time means midnight UTC; naive times are read as UTC.

    Raises
    ------
    ParameterError
        When neither is given or the value does not parse.

    Examples
    --------
    >>> resolve_as_of("2025-10-10")
    Timestamp('2025-10-10 00:00:00+0000', tz='UTC')
    >>> resolve_as_of(None, "2025-10-09T22:30:38.509155+00:00").isoformat()
    '2025-10-09T22:30:38.509155+00:00'
    """
    value = as_of if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()) else default
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        raise ParameterError("as_of is required: give a date (YYYY-MM-DD) or a catalog with metadata.generated_at")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(f"as_of {value!r} is not a date or time (expected YYYY-MM-DD[THH:MM:SS])") from None
    if pd.isna(ts):
        raise ParameterError(f"as_of {value!r} is not a date or time")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.as_unit("us")


@dataclass(frozen=True)
class DriftInputs:
    """The tables drift detection reads. ``None`` means the input is absent (not assessed).

    Parameters
    ----------
    services, contracts, dependencies, events : DataFrame
        Catalog tables (``SERVICES``, ``CONTRACTS``, ``DEPENDENCIES``, ``EVENTS``).
    spec_versions : DataFrame, optional
        ``SPEC_VERSIONS``; ``None`` when config/specs-index.json is absent.
    lockfiles : DataFrame, optional
        ``LOCKFILES``; ``None`` when no lock file is collected anywhere.
    advisories : DataFrame, optional
        ``ADVISORIES``; ``None`` when advisories/ is absent.
    events_registry : frozenset of str, optional
        Registered event ids; ``None`` when config/events-registry.yaml is absent.
    exemptions : DataFrame, optional
        ``EXEMPTIONS`` rows (rules.yaml ``drift.exemptions``).
    history : DataFrame, optional
        ``DRIFT_HISTORY`` rows; used to date each issue's first detection.
    generated_at : Timestamp, optional
        Catalog ``metadata.generated_at``: the default ``as_of``.
    policy : DriftPolicy, optional
        The workspace's policy (:func:`policy_from_config`); the default policy when ``None``.
    """

    services: pd.DataFrame
    contracts: pd.DataFrame | None = None
    dependencies: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    spec_versions: pd.DataFrame | None = None
    lockfiles: pd.DataFrame | None = None
    advisories: pd.DataFrame | None = None
    events_registry: frozenset[str] | None = None
    exemptions: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    generated_at: pd.Timestamp | None = None
    policy: DriftPolicy | None = None

    @classmethod
    def from_workspace(cls, ws: Any) -> DriftInputs:
        """Collect the inputs of an open workspace (absent optional inputs become ``None``)."""

        def has(name: str) -> bool:
            return bool(ws.has_input(name))

        return cls(
            services=ws.services,
            contracts=ws.contracts,
            dependencies=ws.dependencies,
            events=ws.events,
            spec_versions=ws.spec_versions if has("spec_registry") else None,
            lockfiles=ws.lockfiles if has("lockfiles") else None,
            advisories=ws.advisories if has("advisories") else None,
            events_registry=ws.events_registry,
            exemptions=ws.exemptions,
            history=ws.drift_history if has("drift_history") else None,
            generated_at=ws.generated_at,
            policy=policy_from_config(ws.thresholds, ws.rules),
        )


def _frame(df: pd.DataFrame | None, schema_name: str) -> pd.DataFrame:
    from ..core.schema import TABLES, empty_frame

    return empty_frame(TABLES[schema_name]) if df is None else df


# =============================================================================================
# Spec registry index (small: one entry per spec version) and lag classification
# =============================================================================================


@dataclass(frozen=True)
class _Version:
    semver: SemVer
    text: str
    changes: tuple[str, ...]
    date: pd.Timestamp | None
    deprecated: bool
    removed: bool


@dataclass(frozen=True)
class _SpecIndex:
    latest: dict[str, _Version]
    versions: dict[str, tuple[_Version, ...]]  # ascending

    @classmethod
    def build(cls, spec_versions: pd.DataFrame | None) -> _SpecIndex:
        latest: dict[str, _Version] = {}
        versions: dict[str, list[_Version]] = {}
        if spec_versions is None or spec_versions.empty:
            return cls({}, {})
        cols = ["spec", "version", "changes", "release_date", "deprecated", "removed", "is_latest"]
        df = spec_versions.reindex(columns=cols)
        for spec, text, changes, date, dep, rem, is_latest in df.itertuples(index=False, name=None):
            sv = parse_version(text)
            if sv is None or not isinstance(spec, str):
                continue
            tags = (
                tuple(sorted({t.strip() for t in changes.split(",") if t.strip()})) if isinstance(changes, str) else ()
            )
            v = _Version(sv, sv.text, tags, None if pd.isna(date) else date, dep is True, rem is True)
            versions.setdefault(spec, []).append(v)
            if is_latest is True:
                latest[spec] = v
        out = {s: tuple(sorted(vs, key=lambda v: v.semver.key)) for s, vs in versions.items()}
        for spec, vs in out.items():
            if spec not in latest:
                finals = [v for v in vs if not v.semver.prerelease] or list(vs)
                latest[spec] = finals[-1]
        return cls(latest, out)

    def find(self, spec: str, sv: SemVer) -> _Version | None:
        for v in self.versions.get(spec, ()):
            if v.semver == sv:
                return v
        return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_TAG_PHRASE = {
    "security": "fixed a security issue",
    "breaking": "has breaking changes",
    "feature": "added features",
    "performance": "improved performance",
    "bugfix": "fixed bugs",
    "docs": "improved documentation",
}


def _libyear(a: pd.Timestamp | None, b: pd.Timestamp | None) -> float:
    if a is None or b is None:
        return float("nan")
    return round(max((b - a).total_seconds(), 0.0) / (365.25 * 86400), 3)


def _classify_lag(spec: str, pinned: SemVer, index: _SpecIndex, policy: DriftPolicy) -> dict[str, Any] | None:
    """The lag issue of one (spec, pinned version) pair, or None (not behind, unknown spec, disabled)."""
    latest = index.latest.get(spec)
    if latest is None or not pinned < latest.semver:
        return None
    dist = semver_distance(pinned, latest.semver)
    base = "spec_major_lag" if dist[0] else "spec_minor_lag" if dist[1] else "spec_patch_lag"
    candidates: list[tuple[str, str, str | None]] = [(base, policy.level(base), None)]
    skipped = [
        v
        for v in index.versions.get(spec, ())
        if pinned < v.semver <= latest.semver and (not v.semver.prerelease or v is latest)
    ]
    for tag, lag_type in _TAG_TYPE.items():
        hit = next((v for v in skipped if tag in v.changes), None)
        if hit is not None:
            candidates.append((lag_type, policy.level(lag_type), hit.text))
    live = [c for c in candidates if c[1] in _RANK]
    if not live:
        return None
    lag_type, severity, cited = min(live, key=lambda c: (_RANK[c[1]], LAG_PRIORITY.index(c[0])))
    pin = f"{spec}@{pinned.text}"
    if cited is None:
        unit = "major" if dist[0] else "minor" if dist[1] else "patch"
        n = dist[0] or dist[1] or dist[2]
        behind = f"{n} {unit}{'es' if unit == 'patch' and n != 1 else 's' if n != 1 else ''} behind"
        if n == 0:
            behind = "a pre-release behind"
        reason = f"pins {pin}; latest is {latest.text}, {behind}"
    else:
        tag = next(t for t, ty in _TAG_TYPE.items() if ty == lag_type)
        reason = f"pins {pin}; {cited} {_TAG_PHRASE[tag]}"
        if cited != latest.text:
            reason += f" (latest {latest.text})"
    pinned_v = index.find(spec, pinned)
    return {
        "type": lag_type,
        "severity": severity,
        "current": pinned.text,
        "expected": latest.text,
        "reason": reason,
        "major_behind": dist[0],
        "minor_behind": dist[1],
        "patch_behind": dist[2],
        "libyear": _libyear(pinned_v.date if pinned_v else None, latest.date),
    }


# =============================================================================================
# Detectors (vectorised over services; Python only over unique version pairs)
# =============================================================================================

_ISSUE_COLS = (
    "service",
    "type",
    "severity",
    "subject",
    "current",
    "expected",
    "reason",
    "advisory_ids",
    "major_behind",
    "minor_behind",
    "patch_behind",
    "libyear",
    "age_days",
)


def _issues(df: pd.DataFrame, **const: Any) -> pd.DataFrame:
    out = df.copy()
    for k, v in const.items():
        out[k] = v
    return out.reindex(columns=list(_ISSUE_COLS))


def _str_col(s: pd.Series) -> pd.Series:
    return s.astype("str").where(s.notna(), "")


def _parsed(values: Iterable[Any]) -> dict[Any, SemVer | None]:
    return {v: parse_version(v) for v in pd.Series(values, dtype=object).dropna().unique().tolist()}


def _detect_lags(contracts: pd.DataFrame, index: _SpecIndex, policy: DriftPolicy) -> pd.DataFrame:
    valid = contracts[contracts["valid"].astype(bool) & contracts["spec"].isin(list(index.latest))]
    pairs = valid[["spec", "version"]].drop_duplicates()
    rows = []
    for spec, ver in pairs.itertuples(index=False, name=None):
        sv = parse_version(ver)
        if sv is None:
            continue
        r = _classify_lag(spec, sv, index, policy)
        if r is not None:
            rows.append({"spec": spec, "version": ver, **r})
    if not rows:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    lag = pd.DataFrame(rows)
    m = valid[["service", "spec", "version"]].drop_duplicates(["service", "spec"]).merge(lag, on=["spec", "version"])
    return _issues(m.assign(subject=m["spec"]))


def _detect_deprecated(contracts: pd.DataFrame, index: _SpecIndex, policy: DriftPolicy) -> pd.DataFrame:
    if policy.level("deprecated_spec") == "off":
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    valid = contracts[contracts["valid"].astype(bool) & contracts["spec"].isin(list(index.versions))]
    rows = []
    for spec, ver in valid[["spec", "version"]].drop_duplicates().itertuples(index=False, name=None):
        sv = parse_version(ver)
        v = index.find(spec, sv) if sv is not None else None
        if v is None or not (v.deprecated or v.removed):
            continue
        state = "removed" if v.removed else "deprecated"
        latest = index.latest[spec].text
        rows.append(
            {
                "spec": spec,
                "version": ver,
                "current": f"{v.text} ({state})",
                "expected": latest,
                "reason": f"pins {spec}@{v.text}, which the spec registry marks {state}; latest is {latest}",
            }
        )
    if not rows:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    m = valid[["service", "spec", "version"]].drop_duplicates(["service", "spec"]).merge(pd.DataFrame(rows))
    return _issues(m.assign(subject=m["spec"]), type="deprecated_spec", severity=policy.level("deprecated_spec"))


def _detect_invalid(contracts: pd.DataFrame, externals: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    sev = policy.level("invalid_version")
    if sev == "off":
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    bad = contracts[~contracts["valid"].astype(bool)]
    spec = _str_col(bad["spec"])
    ver = _str_col(bad["version"])
    subject = spec.where(spec != "", _str_col(bad["raw"]) if "raw" in bad else "")
    reason = np.where(
        ver == "",
        "pins " + subject + " without a version",
        "pins " + subject + "@" + ver + ", which is not a semantic version",
    )
    a = pd.DataFrame(
        {
            "service": bad["service"].to_numpy(),
            "subject": subject.to_numpy(),
            "current": np.where(ver == "", "(no version)", ver),
            "expected": "a semantic version x.y.z",
            "reason": reason,
        }
    )
    ext = externals[externals["_sv"].isna()]
    b = pd.DataFrame(
        {
            "service": ext["service"].to_numpy(),
            "subject": ext["target"].to_numpy(),
            "current": ext["version"].to_numpy(),
            "expected": "a version such as 7.2 or 7.2.1",
            "reason": (
                "depends on " + ext["target"] + "@" + ext["version"] + ", whose version does not parse"
            ).to_numpy(),
        }
    )
    out = pd.concat([a, b], ignore_index=True).drop_duplicates(["service", "subject"])
    return _issues(out, type="invalid_version", severity=sev)


def _detect_staleness(services: pd.DataFrame, as_of: pd.Timestamp, policy: DriftPolicy) -> pd.DataFrame:
    s = services[services["last_update"].notna()] if "last_update" in services else services.iloc[0:0]
    if s.empty:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    last = pd.to_datetime(s["last_update"], utc=True)
    age = ((as_of - last) // pd.Timedelta(days=1)).astype("int64")
    warn, crit = policy.staleness_warning_days, policy.staleness_critical_days
    sev = np.where(age > crit, "high", np.where(age > warn, "medium", ""))
    if policy.level("version_staleness") == "off":
        sev[:] = ""
    keep = sev != ""
    s, age, last, sev = s[keep], age[keep], last[keep], sev[keep]
    day = last.dt.strftime("%Y-%m-%d")
    limit = np.where(sev == "high", crit, warn)
    reason = (
        "last updated "
        + day
        + ", "
        + age.astype("str")
        + " days before as-of (over "
        + pd.Series(limit, index=s.index).astype("str")
        + " days is "
        + pd.Series(sev, index=s.index)
        + ")"
    )
    out = pd.DataFrame(
        {
            "service": s["service"],
            "subject": "",
            "current": day + " (" + age.astype("str") + " days old)",
            "expected": f"updated within {warn} days",
            "reason": reason,
            "age_days": age,
            "severity": sev,
        }
    )
    return _issues(out, type="version_staleness")


def _detect_unknown_events(events: pd.DataFrame, registry: frozenset[str], policy: DriftPolicy) -> pd.DataFrame:
    sev = policy.level("unknown_event")
    ev = events[~events["event"].isin(list(registry))] if sev != "off" else events.iloc[0:0]
    ev = ev[ev["event"].notna()].drop_duplicates(["service", "event", "direction"])
    if ev.empty:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    code = ev["direction"].map({"in": 1, "out": 2}).fillna(0).astype("int64")
    g = ev.assign(_code=code).groupby(["service", "event"], sort=True)["_code"].sum().reset_index()
    used = g["_code"].map({1: "in", 2: "out", 3: "in+out"}).fillna("used").astype("str")
    label = used.map({"in": "consumed", "out": "produced", "in+out": "consumed and produced"}).fillna("used")
    out = pd.DataFrame(
        {
            "service": g["service"],
            "subject": g["event"],
            "current": used,
            "expected": "registered in config/events-registry.yaml",
            "reason": label + " event " + g["event"] + " is not in the events registry",
        }
    )
    return _issues(out, type="unknown_event", severity=sev)


def _detect_dangling(deps: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    sev = policy.level("dangling_dependency")
    if sev == "off":
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    d = deps[(deps["kind"] == "internal") & (deps["resolves"] == False)]  # noqa: E712 (nullable boolean)
    d = d.drop_duplicates(["service", "target"])
    out = pd.DataFrame(
        {
            "service": d["service"],
            "subject": d["target"],
            "current": "depends on " + d["target"],
            "expected": "a catalog service",
            "reason": "depends on " + d["target"] + ", which is not in the catalog",
        }
    )
    return _issues(out, type="dangling_dependency", severity=sev)


def _detect_divergence(externals: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    ok = externals[externals["_sv"].notna()].copy()
    if ok.empty:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    uniq = {v: sv for v, sv in _parsed(ok["version"]).items() if sv is not None}
    order = sorted(uniq, key=lambda v: (uniq[v].key, v))
    ok["_key"] = ok["version"].map({v: i for i, v in enumerate(order)}).astype("int64")
    ok = ok.sort_values(["service", "target", "_key"]).drop_duplicates(["service", "target"])
    ok["_maj"] = ok["version"].map({v: sv.major for v, sv in uniq.items()}).astype("int64")
    ok["_min"] = ok["version"].map({v: sv.minor for v, sv in uniq.items()}).astype("int64")
    top = ok.sort_values(["target", "_key"], ascending=[True, False]).drop_duplicates("target")
    top = top[["target", "version", "_maj", "_min", "_key"]].rename(
        columns={"version": "_tver", "_maj": "_tmaj", "_min": "_tmin", "_key": "_tkey"}
    )
    users = ok.groupby(["target", "_key"]).size().rename("_n").reset_index()
    top = top.merge(users.rename(columns={"_key": "_tkey"}), on=["target", "_tkey"])
    m = ok.merge(top, on="target")
    major = m["_maj"] < m["_tmaj"]
    minor = (m["_maj"] == m["_tmaj"]) & (m["_min"] < m["_tmin"])
    m["severity"] = np.where(major, policy.divergence_major, np.where(minor, policy.divergence_minor, "off"))
    if policy.level("dependency_divergence") == "off":
        m["severity"] = "off"
    m = m[m["severity"].isin(list(SEVERITIES))]
    if m.empty:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    major = m["_maj"] < m["_tmaj"]
    kind = np.where(major, "a newer major", "a newer minor")
    n = m["_n"].astype("int64")
    who = np.where(n == 1, "1 other service uses ", n.astype("str") + " other services use ")
    out = pd.DataFrame(
        {
            "service": m["service"],
            "subject": m["target"],
            "current": m["version"],
            "expected": m["_tver"],
            "reason": "uses "
            + m["target"]
            + "@"
            + m["version"]
            + "; "
            + who
            + m["target"]
            + "@"
            + m["_tver"]
            + " ("
            + kind
            + ")",
            "severity": m["severity"],
            "major_behind": (m["_tmaj"] - m["_maj"]).astype("int64"),
            "minor_behind": np.where(major, m["_tmin"], m["_tmin"] - m["_min"]),
        }
    )
    return _issues(out, type="dependency_divergence")


def _detect_vulnerable(
    contracts: pd.DataFrame, externals: pd.DataFrame, advisories: pd.DataFrame, policy: DriftPolicy
) -> pd.DataFrame:
    sev = policy.level("vulnerable_dependency")
    if sev == "off" or advisories.empty:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    by_pkg: dict[str, list[tuple[str, tuple, tuple, str, str]]] = {}
    cols = ["advisory_id", "package", "intervals", "versions", "fixed", "severity"]
    for aid, pkg, intervals, versions, fixed, asev in advisories.reindex(columns=cols).itertuples(
        index=False, name=None
    ):
        if not isinstance(pkg, str) or not isinstance(aid, str):
            continue
        by_pkg.setdefault(pkg, []).append(
            (
                aid,
                tuple(intervals) if isinstance(intervals, tuple | list) else (),
                tuple(versions) if isinstance(versions, tuple | list) else (),
                fixed if isinstance(fixed, str) else "",
                asev if isinstance(asev, str) else "unknown",
            )
        )
    pins = contracts[contracts["valid"].astype(bool)].drop_duplicates(["service", "spec"])
    pins = pins[["service", "spec", "version"]].rename(columns={"spec": "subject"})
    ext = externals[externals["_sv"].notna()][["service", "target", "version"]].rename(columns={"target": "subject"})
    used = pd.concat([pins, ext], ignore_index=True)
    used = used[used["subject"].isin(list(by_pkg))]
    rows = []
    for pkg, ver in used[["subject", "version"]].drop_duplicates().itertuples(index=False, name=None):
        sv = parse_version(ver)
        if sv is None:
            continue
        hits = sorted(a for a in by_pkg[pkg] if in_osv_range(sv, a[1], a[2]))
        if not hits:
            continue
        fixes = []
        for a in hits:
            fx = sorted(
                (p for p in (parse_version(f) for f in a[3].split(",") if f.strip()) if p is not None and p > sv),
                key=lambda p: p.key,
            )
            if fx:
                fixes.append(fx[0])
        ids = [a[0] for a in hits]
        fix = max(fixes, key=lambda p: p.key).text if len(fixes) == len(hits) else ""
        which = f"{ids[0]} ({hits[0][4]})" if len(ids) == 1 else f"{len(ids)} advisories ({', '.join(ids)})"
        reason = f"pins {pkg}@{ver}; {which} {'affects' if len(ids) == 1 else 'affect'} it"
        reason += f", fixed in {fix}" if fix else ", no fixed version published"
        rows.append(
            {
                "subject": pkg,
                "version": ver,
                "current": ver,
                "expected": f">= {fix}" if fix else "a version outside the advisory ranges",
                "reason": reason,
                "advisory_ids": ",".join(ids),
            }
        )
    if not rows:
        return _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))
    m = used.merge(pd.DataFrame(rows), on=["subject", "version"])
    m = m.sort_values(["service", "subject", "version"]).drop_duplicates(["service", "subject"])
    return _issues(m, type="vulnerable_dependency", severity=sev)


def _detect_locks(
    services: pd.DataFrame, contracts: pd.DataFrame, lockfiles: pd.DataFrame, policy: DriftPolicy
) -> pd.DataFrame:
    pins = contracts[["service", "spec", "version"]].dropna(subset=["spec"]).drop_duplicates(["service", "spec"])
    locked_services = set(lockfiles["service"].dropna().unique().tolist())
    if "has_lock" in services and services["has_lock"].notna().any():
        locked_services |= set(services.loc[services["has_lock"] == True, "service"].tolist())  # noqa: E712
    parts = []
    sev_missing = policy.level("missing_lock")
    if sev_missing != "off":
        first = pins.sort_values(["service", "spec"], kind="mergesort").drop_duplicates("service")
        size = pins.groupby("service", sort=True).size().rename("size").reset_index()
        counts = size.merge(first[["service", "spec"]].rename(columns={"spec": "min"}), on="service")
        counts = counts[~counts["service"].isin(list(locked_services))]
        counts = counts[counts["service"].isin(list(services["service"]))]
        n = counts["size"].astype("int64")
        specs = np.where(n == 1, counts["min"], counts["min"] + ", ...")
        parts.append(
            _issues(
                pd.DataFrame(
                    {
                        "service": counts["service"],
                        "subject": "",
                        "current": "no specs.lock.json",
                        "expected": "manifests/collected/" + counts["service"] + ".specs.lock.json",
                        "reason": "pins "
                        + np.where(n == 1, "1 spec", n.astype("str") + " specs")
                        + " ("
                        + specs
                        + ") but has no collected lock file",
                    }
                ),
                type="missing_lock",
                severity=sev_missing,
            )
        )
    sev_mis = policy.level("lock_mismatch")
    if sev_mis != "off":
        p = pins[pins["service"].isin(list(locked_services))]
        lk = lockfiles[["service", "spec", "version"]].dropna(subset=["spec"]).drop_duplicates(["service", "spec"])
        m = p.merge(lk, on=["service", "spec"], how="outer", suffixes=("_pin", "_lock"), indicator=True)
        norm = {
            v: (sv.text if sv is not None else v)
            for v, sv in _parsed(pd.concat([m["version_pin"], m["version_lock"]]).dropna()).items()
        }
        pin_n = m["version_pin"].map(norm)
        lock_n = m["version_lock"].map(norm)
        both = m["_merge"] == "both"
        bad = (both & (pin_n != lock_n)) | (m["_merge"] != "both")
        m = m[bad]
        pin_s, lock_s = _str_col(m["version_pin"]), _str_col(m["version_lock"])
        which = m["_merge"].astype("str")
        reason = np.where(
            which == "left_only",
            "pins " + m["spec"] + "@" + pin_s + " but the lock file does not lock " + m["spec"],
            np.where(
                which == "right_only",
                "lock file locks " + m["spec"] + "@" + lock_s + " but the manifest does not pin " + m["spec"],
                "lock file has " + m["spec"] + "@" + lock_s + " but the manifest pins " + pin_s,
            ),
        )
        parts.append(
            _issues(
                pd.DataFrame(
                    {
                        "service": m["service"],
                        "subject": m["spec"],
                        "current": np.where(which == "left_only", "(not locked)", lock_s),
                        "expected": np.where(which == "right_only", "(not pinned)", pin_s),
                        "reason": reason,
                    }
                ),
                type="lock_mismatch",
                severity=sev_mis,
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else _issues(pd.DataFrame(columns=list(_ISSUE_COLS)))


# =============================================================================================
# Exemptions, history dating, assembly
# =============================================================================================


def _apply_exemptions(issues: pd.DataFrame, exemptions: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    out = issues.copy()
    out["exempt"] = False
    out["exemption_reason"] = ""
    out["exemption_expires"] = pd.Series(pd.NaT, index=out.index, dtype=UTC_TS)
    out["exemption_expired"] = False
    if exemptions is None or exemptions.empty or out.empty:
        return out
    ex = exemptions.reindex(columns=["service", "subject", "type", "reason", "expires"]).reset_index(drop=True)
    ex = ex.assign(_ex=np.arange(len(ex)), _subj=_str_col(ex["subject"]), _type=_str_col(ex["type"]))
    ex["_fam"] = ex["_type"].map(lambda t: drift_family(t) if t else "")
    families = {t: drift_family(t) for t in out["type"].unique().tolist()}
    left = out[["id", "service", "subject", "type"]].assign(_fam=out["type"].map(families))
    m = left.merge(ex, on="service", suffixes=("", "_ex"))
    m = m[((m["_subj"] == "") | (m["_subj"] == m["subject"])) & ((m["_fam_ex"] == "") | (m["_fam_ex"] == m["_fam"]))]
    if m.empty:
        return out
    expires = pd.to_datetime(m["expires"], utc=True)
    m = m.assign(_active=expires.isna() | (as_of <= expires), _exp=expires)
    m["_never"] = m["_exp"].isna()
    m = m.sort_values(["id", "_active", "_never", "_exp", "_ex"], ascending=[True, False, False, False, True])
    best = m.drop_duplicates("id").set_index("id")
    idx = out["id"]
    out["exempt"] = idx.map(best["_active"]).fillna(False).astype(bool)
    out["exemption_reason"] = _str_col(idx.map(best["reason"]))
    out["exemption_expires"] = idx.map(best["_exp"]).astype(UTC_TS)
    out["exemption_expired"] = idx.map(~best["_active"]).fillna(False).astype(bool)
    return out


def _exemption_table(exemptions: pd.DataFrame | None, issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    cols = ["service", "subject", "type", "reason", "expires", "status", "issues", "issue_ids"]
    if exemptions is None or exemptions.empty:
        return pd.DataFrame({c: pd.Series([], dtype=UTC_TS if c == "expires" else "str") for c in cols}).astype(
            {"issues": "int64"}
        )
    ex = exemptions.reindex(columns=["service", "subject", "type", "reason", "expires"]).reset_index(drop=True)
    expires = pd.to_datetime(ex["expires"], utc=True)
    status = np.where(expires.notna() & (expires < as_of), "expired", "active")
    subj, typ = _str_col(ex["subject"]), _str_col(ex["type"])
    matched = []
    for svc, s, t in zip(ex["service"], subj, typ, strict=True):
        sel = issues[issues["service"] == svc]
        if s:
            sel = sel[sel["subject"] == s]
        if t:
            sel = sel[sel["type"].map(drift_family) == drift_family(t)]
        matched.append(sorted(sel["id"]))
    out = pd.DataFrame(
        {
            "service": ex["service"].astype("str"),
            "subject": subj,
            "type": typ,
            "reason": _str_col(ex["reason"]),
            "expires": expires.astype(UTC_TS),
            "status": np.where([len(x) == 0 for x in matched], np.char.add(status.astype(str), ", unused"), status),
            "issues": [len(x) for x in matched],
            "issue_ids": [",".join(x) for x in matched],
        }
    )
    return out.sort_values(["service", "subject", "type", "expires"], kind="mergesort").reset_index(drop=True)


def _detected_at(ids: pd.Series, history: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.Series:
    as_of_s = pd.Series(as_of, index=ids.index, dtype=UTC_TS)
    if history is None or history.empty:
        return as_of_s
    h = history[history["report_time"] < as_of]
    if h.empty:
        return as_of_s
    # The start of each id's open spell (see drift_history.issue_spells: a spell is an unbroken run
    # over successive reports; it is open when it reaches the last report). Only the ids asked for
    # are looked at, with integer codes, which keeps this linear and cheap on a year of history.
    reports = pd.DatetimeIndex(sorted(h["report_time"].dropna().unique())).tz_convert("UTC")
    h = h[h["issue_id"].isin(set(ids.dropna().tolist()))]
    if h.empty:
        return as_of_s
    code, uniques = pd.factorize(h["issue_id"], sort=False)
    rep = reports.get_indexer(h["report_time"])
    order = np.lexsort((rep, code))
    c, r = code[order], rep[order]
    keep = np.ones(len(c), dtype=bool)
    keep[1:] = (c[1:] != c[:-1]) | (r[1:] != r[:-1])
    c, r = c[keep], r[keep]
    start = np.ones(len(c), dtype=bool)
    start[1:] = (c[1:] != c[:-1]) | (r[1:] != r[:-1] + 1)
    spell_start = np.maximum.accumulate(np.where(start, np.arange(len(c)), 0))  # index of each row's spell start
    last = np.ones(len(c), dtype=bool)
    last[:-1] = c[1:] != c[:-1]
    is_open = last & (r == len(reports) - 1)
    if not is_open.any():  # (mapping through an empty Series would fail on the dtype)
        return as_of_s
    first_seen = pd.Series(reports[r[spell_start[is_open]]], index=pd.Index(uniques[c[is_open]]))
    return ids.map(first_seen).astype(UTC_TS).fillna(as_of_s)


def _finish(parts: list[pd.DataFrame], inputs: DriftInputs, as_of: pd.Timestamp) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return frame_from_records(DRIFT_ISSUES, [])
    df = pd.concat(parts, ignore_index=True)
    df = df[df["severity"].isin(list(SEVERITIES))]
    for c in ("subject", "current", "expected", "reason", "advisory_ids"):
        df[c] = _str_col(df[c])
    df["id"] = [
        drift_issue_id(s, t, j)
        for s, t, j in zip(df["service"].tolist(), df["type"].tolist(), df["subject"].tolist(), strict=True)
    ]
    df = df.drop_duplicates("id")
    df["category"] = df["type"].map(CATEGORIES)
    df["remediation"] = df["type"].map({t: v[2] for t, v in _TYPES.items()})
    df["escalation"] = df["severity"].map(_ESCALATION)
    teams = inputs.services.drop_duplicates("service").set_index("service")
    team = teams["team"] if "team" in teams else pd.Series(dtype="str")
    df["team"] = _str_col(df["service"].map(team))
    df["as_of"] = pd.Series(as_of, index=df.index, dtype=UTC_TS)
    df = _apply_exemptions(df, inputs.exemptions, as_of)
    df["detected_at"] = _detected_at(df["id"], inputs.history, as_of)
    df["_rank"] = df["severity"].map(_RANK)
    df = df.sort_values(["_rank", "service", "type", "subject", "id"], kind="mergesort").reset_index(drop=True)
    out = {}
    for c, dtype, _ in DRIFT_ISSUES.spec:
        s = df[c]
        if dtype in ("Int64", "float64"):
            s = pd.to_numeric(s, errors="coerce")
        out[c] = s.astype(dtype) if dtype != "str" else _str_col(s).astype("str")
    return pd.DataFrame(out)


@dataclass(frozen=True)
class DriftResult:
    """The outcome of one drift run.

    Attributes
    ----------
    issues : DataFrame
        :data:`~meta254lib.core.schema.DRIFT_ISSUES` rows, exempt ones included (``exempt`` True).
    not_assessed : DataFrame
        ``check, input, reason``: each check that lacked its input, once.
    exemptions : DataFrame
        Every configured exemption with ``status`` (active / expired, ``, unused`` when it matched
        nothing) and the ids it matched.
    as_of : Timestamp
    services : int
        Number of catalog services assessed.
    policy : DriftPolicy
    catalog_timestamp : Timestamp or None
    service_names : tuple of str
        The services assessed, sorted.
    """

    issues: pd.DataFrame
    not_assessed: pd.DataFrame
    exemptions: pd.DataFrame
    as_of: pd.Timestamp
    services: int
    policy: DriftPolicy
    catalog_timestamp: pd.Timestamp | None = None
    service_names: tuple[str, ...] = ()

    def for_service(self, service: str) -> DriftResult:
        """The same run restricted to one service (issues, exemptions, ``services`` = 1).

        Raises
        ------
        UnknownServiceError
            When the service was not assessed.
        """
        if service not in self.service_names:
            raise UnknownServiceError(service, list(self.service_names))
        return replace(
            self,
            issues=self.issues[self.issues["service"] == service].reset_index(drop=True),
            exemptions=self.exemptions[self.exemptions["service"] == service].reset_index(drop=True),
            services=1,
            service_names=(service,),
        )

    @property
    def counted(self) -> pd.DataFrame:
        """The issues that count: everything not covered by an active exemption."""
        return self.issues[~self.issues["exempt"]]

    def summary(self) -> dict[str, Any]:
        """Counts of the counted issues, and what was not assessed.

        Examples
        --------
        >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
        >>> detect_drift(DriftInputs(rec(SERVICES, [{"service": "a"}])), as_of="2025-01-01").summary()["by_severity"]
        {'high': 0, 'medium': 0, 'low': 0}
        """
        c = self.counted
        by_sev = {s: int((c["severity"] == s).sum()) for s in SEVERITIES}
        by_type = {str(k): int(v) for k, v in sorted(c["type"].value_counts().items())}
        with_drift = int(c["service"].nunique())
        return {
            "services": int(self.services),
            "services_with_drift": with_drift,
            "drift_detection_rate": round(with_drift / self.services, 4) if self.services else None,
            "total_issues": len(c),
            "by_severity": by_sev,
            "by_type": by_type,
            "by_category": {str(k): int(v) for k, v in sorted(c["category"].value_counts().items())},
            "issues_by_severity": dict(by_sev),
            "issues_by_type": dict(by_type),
            "exempt": int(self.issues["exempt"].sum()),
            "expired_exemptions": _records(self.exemptions[self.exemptions["status"].str.startswith("expired")]),
            "not_assessed": _records(self.not_assessed),
        }

    def recommendations(self) -> list[str]:
        """Runbook-style next steps, most urgent first (deterministic text)."""
        s = self.summary()
        out = []
        names = {"high": ("L3", "Architecture Team"), "medium": ("L2", "Platform Team"), "low": ("L1", "Service Team")}
        c = self.counted
        for sev in SEVERITIES:
            n = s["by_severity"][sev]
            if not n:
                continue
            lvl, team = names[sev]
            out.append(
                f"{n} {sev}-severity issue{'s' if n != 1 else ''}: respond within {self.policy.slo_days[sev]} days "
                f"(escalation {lvl}, {team})"
            )
            for cat, k in sorted(c[c["severity"] == sev]["category"].value_counts().items()):
                out.append(f"  - {k} {cat}")
        if not out:
            out.append("No drift issues counted")
        if s["exempt"]:
            out.append(f"{s['exempt']} issue(s) exempt by config/rules.yaml drift.exemptions")
        for e in s["expired_exemptions"]:
            out.append(f"Exemption for {e['service']} {e['subject'] or '(all)'} expired {e['expires'][:10]}: review it")
        for na in s["not_assessed"]:
            out.append(f"Not assessed: {na['check']} ({na['reason']})")
        return out

    def to_payload(self) -> dict[str, Any]:
        """The report: a superset of the platform's drift report, and the CLI's JSON output.

        Keys: ``as_of``, ``metadata`` (generated_at = as_of, catalog_timestamp, generator,
        total_services, total_issues, overall_healthy, policy), ``summary`` (see :meth:`summary`),
        ``issues`` (dicts with every DRIFT_ISSUES column plus the platform's ``description``,
        ``current_value``, ``expected_value``), ``exemptions`` and ``recommendations``.
        """
        s = self.summary()
        issues = _records(self.issues)
        for d in issues:
            d["advisory_ids"] = [a for a in d["advisory_ids"].split(",") if a] if d["advisory_ids"] else []
            d["description"] = d["reason"]
            d["current_value"] = d["current"]
            d["expected_value"] = d["expected"]
        return {
            "as_of": _iso(self.as_of),
            "metadata": {
                "generated_at": _iso(self.as_of),
                "as_of": _iso(self.as_of),
                "catalog_timestamp": _iso(self.catalog_timestamp),
                "generator": f"meta254 {__version__}",
                "total_services": int(self.services),
                "total_issues": s["total_issues"],
                "overall_healthy": s["by_severity"]["high"] == 0,
                "policy": self.policy.as_dict(),
            },
            "summary": s,
            "issues": issues,
            "exemptions": _records(self.exemptions),
            "recommendations": self.recommendations(),
        }


def _iso(ts: Any) -> str | None:
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    return pd.Timestamp(ts).isoformat()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp):
                row[k] = _iso(v)
            elif v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                row[k] = None
            elif isinstance(v, np.integer):
                row[k] = int(v)
            elif isinstance(v, np.floating):
                row[k] = float(v)
            elif isinstance(v, np.bool_):
                row[k] = bool(v)
            else:
                row[k] = v
        out.append(row)
    return out


def _not_assessed(inputs: DriftInputs, contracts: pd.DataFrame, index: _SpecIndex) -> pd.DataFrame:
    rows = []
    lock_file = "manifests/collected/*.specs.lock.json"
    if inputs.lockfiles is None:
        for check in ("missing_lock", "lock_mismatch"):
            rows.append((check, lock_file, "no lock file is collected anywhere; lock checks not assessed"))
    if inputs.spec_versions is None:
        for check in ("spec_lag", "deprecated_spec"):
            rows.append((check, "config/specs-index.json", "no spec registry; pinned versions not compared"))
    else:
        pinned = set(contracts.loc[contracts["valid"].astype(bool), "spec"].dropna().unique().tolist())
        unknown = sorted(pinned - set(index.latest))
        if unknown:
            rows.append(
                (
                    "spec_lag",
                    "config/specs-index.json",
                    f"{_plural(len(unknown), 'pinned spec')} not in the spec registry: {', '.join(unknown)}",
                )
            )
    if inputs.advisories is None:
        rows.append(("vulnerable_dependency", "advisories/*.json", "no OSV advisories; vulnerabilities not assessed"))
    if inputs.events_registry is None:
        rows.append(("unknown_event", "config/events-registry.yaml", "no events registry; events not checked"))
    svc = inputs.services
    if "last_update" not in svc or svc["last_update"].isna().any():
        n = int(svc["last_update"].isna().sum()) if "last_update" in svc else len(svc)
        if n:
            rows.append(("version_staleness", "catalog", f"{_plural(n, 'service')} without last_update"))
    return pd.DataFrame(rows, columns=["check", "input", "reason"]).astype("str")


def detect_drift(
    inputs: Any,
    as_of: Any = None,
    policy: DriftPolicy | None = None,
) -> DriftResult:
    """Detect every drift type of the runbook over one workspace.

    Parameters
    ----------
    inputs : DriftInputs or workspace
        The tables; an open workspace (``meta254lib.open_workspace``) is converted with
        :meth:`DriftInputs.from_workspace`.
    as_of : str or Timestamp, optional
        The as-of time; default the catalog's ``generated_at``.
    policy : DriftPolicy, optional
        Default: the inputs' policy (workspace config), else :class:`DriftPolicy`.

    Returns
    -------
    DriftResult

    Examples
    --------
    >>> from meta254lib.core.schema import SERVICES, EVENTS, frame_from_records as rec
    >>> inputs = DriftInputs(rec(SERVICES, [{"service": "search"}]), events=rec(EVENTS, [
    ...     {"service": "search", "event": "search.index.updated.v1", "direction": d} for d in ("in", "out")]),
    ...     events_registry=frozenset())
    >>> r = detect_drift(inputs, as_of="2025-10-10")
    >>> r.issues[["type", "subject", "current"]].values.tolist()
    [['unknown_event', 'search.index.updated.v1', 'in+out']]
    >>> r.not_assessed["check"].tolist()
    ['missing_lock', 'lock_mismatch', 'spec_lag', 'deprecated_spec', 'vulnerable_dependency', 'version_staleness']
    """
    if not isinstance(inputs, DriftInputs):
        inputs = DriftInputs.from_workspace(inputs)
    policy = policy or inputs.policy or DriftPolicy()
    as_of = resolve_as_of(as_of, inputs.generated_at)
    services = inputs.services
    contracts = _frame(inputs.contracts, "contracts")
    deps = _frame(inputs.dependencies, "dependencies")
    events = _frame(inputs.events, "events")
    index = _SpecIndex.build(inputs.spec_versions)

    ext = deps[(deps["kind"] == "external") & deps["version"].notna() & (_str_col(deps["version"]) != "")]
    ext = ext[["service", "target", "version"]].drop_duplicates()
    ext = ext.assign(_sv=ext["version"].map(_parsed(ext["version"])))

    parts = [
        _detect_lags(contracts, index, policy),
        _detect_deprecated(contracts, index, policy),
        _detect_invalid(contracts, ext, policy),
        _detect_staleness(services, as_of, policy),
        _detect_dangling(deps, policy),
        _detect_divergence(ext, policy),
    ]
    if inputs.events_registry is not None:
        parts.append(_detect_unknown_events(events, inputs.events_registry, policy))
    if inputs.advisories is not None:
        parts.append(_detect_vulnerable(contracts, ext, inputs.advisories, policy))
    if inputs.lockfiles is not None:
        parts.append(_detect_locks(services, contracts, inputs.lockfiles, policy))
    issues = _finish(parts, inputs, as_of)
    return DriftResult(
        issues=issues,
        not_assessed=_not_assessed(inputs, contracts, index),
        exemptions=_exemption_table(inputs.exemptions, issues, as_of),
        as_of=as_of,
        services=int(services["service"].nunique()),
        policy=policy,
        catalog_timestamp=inputs.generated_at,
        service_names=tuple(sorted(services["service"].dropna().unique())),
    )


# =============================================================================================
# Views for notebooks and reports
# =============================================================================================


def filter_issues(
    issues: pd.DataFrame,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    include_exempt: bool = True,
) -> pd.DataFrame:
    """Issues of one team / service, at or above a severity, optionally without exempt ones.

    Raises
    ------
    ParameterError
        When ``severity_floor`` is not high, medium or low.

    Examples
    --------
    >>> df = pd.DataFrame({"service": ["a", "b"], "team": ["x", "y"], "severity": ["low", "high"],
    ...                    "exempt": [False, True]})
    >>> filter_issues(df, severity_floor="medium")["service"].tolist()
    ['b']
    >>> filter_issues(df, include_exempt=False)["service"].tolist()
    ['a']
    """
    out = issues
    if team:
        out = out[out["team"] == team]
    if service:
        out = out[out["service"] == service]
    if severity_floor:
        floor = str(severity_floor).strip().lower()
        if floor not in _RANK:
            raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
        out = out[out["severity"].map(_RANK) <= _RANK[floor]]
    if not include_exempt:
        out = out[~out["exempt"].astype(bool)]
    return out.reset_index(drop=True)


def severity_type_matrix(issues: pd.DataFrame) -> pd.DataFrame:
    """Counted issues as a severity × type table (rows high, medium, low; columns sorted types).

    Examples
    --------
    >>> df = pd.DataFrame({"severity": ["high", "low", "low"], "type": ["missing_lock", "x", "x"],
    ...                    "exempt": [False, False, True]})
    >>> severity_type_matrix(df).to_dict("index")
    {'high': {'missing_lock': 1, 'x': 0}, 'medium': {'missing_lock': 0, 'x': 0}, 'low': {'missing_lock': 0, 'x': 1}}
    """
    c = issues[~issues["exempt"].astype(bool)] if "exempt" in issues else issues
    types = sorted(c["type"].unique())
    m = pd.crosstab(c["severity"], c["type"]) if len(c) else pd.DataFrame()
    m = m.reindex(index=list(SEVERITIES), columns=types, fill_value=0).fillna(0).astype("int64")
    m.index.name, m.columns.name = "severity", "type"
    return m


def top_issues(issues: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` most urgent counted issues: severity, then oldest detection, then service.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "severity": ["low", "high"], "service": ["s", "t"],
    ...     "detected_at": pd.to_datetime(["2025-01-01", "2025-02-01"], utc=True), "exempt": [False, False]})
    >>> top_issues(df, 1)["id"].tolist()
    ['b']
    """
    c = issues[~issues["exempt"].astype(bool)].copy()
    c["_rank"] = c["severity"].map(_RANK)
    keys = [k for k in ("_rank", "detected_at", "service", "type", "subject", "id") if k in c]
    return c.sort_values(keys, kind="mergesort").head(n).drop(columns="_rank").reset_index(drop=True)


def lag_matrix(contracts: pd.DataFrame, spec_versions: pd.DataFrame | None) -> pd.DataFrame:
    """Every spec pin against the registry's latest: semver distance and libyear.

    Returns
    -------
    DataFrame
        ``service, spec, pinned, latest, status, distance, major_behind, minor_behind,
        patch_behind, libyear`` where ``status`` is current | behind | ahead | unknown spec |
        invalid pin, and ``libyear`` is the years between the pinned and latest release dates
        (NaN when either date is unknown). Sorted by service, spec.

    Examples
    --------
    >>> from meta254lib.core.schema import CONTRACTS, SPEC_VERSIONS, frame_from_records as rec
    >>> c = rec(CONTRACTS, [{"service": "g", "spec": "core", "version": "1.0.0", "valid": True}])
    >>> v = rec(SPEC_VERSIONS, [
    ...     {"spec": "core", "version": "1.0.0", "release_date": "2024-01-01", "is_latest": False},
    ...     {"spec": "core", "version": "2.1.0", "release_date": "2025-07-02", "is_latest": True}])
    >>> lag_matrix(c, v)[["pinned", "latest", "distance", "libyear"]].values.tolist()
    [['1.0.0', '2.1.0', '1 major', 1.5]]
    """
    index = _SpecIndex.build(spec_versions)
    c = contracts[["service", "spec", "version", "valid"]].drop_duplicates(["service", "spec"])
    rows = {}
    for spec, ver, valid in c[["spec", "version", "valid"]].drop_duplicates().itertuples(index=False, name=None):
        sv = parse_version(ver) if valid else None
        latest = index.latest.get(spec)
        row: dict[str, Any] = {"latest": latest.text if latest else ""}
        if sv is None:
            row["status"] = "invalid pin"
        elif latest is None:
            row["status"] = "unknown spec"
        else:
            d = semver_distance(sv, latest.semver)
            row.update(major_behind=d[0], minor_behind=d[1], patch_behind=d[2])
            pv = index.find(spec, sv)
            row["libyear"] = _libyear(pv.date if pv else None, latest.date) if sv < latest.semver else 0.0
            if sv < latest.semver:
                row["status"] = "behind"
                unit = "major" if d[0] else "minor" if d[1] else "patch"
                k = d[0] or d[1] or d[2]
                row["distance"] = f"{k} {unit}" if k else "pre-release"
            else:
                row["status"] = "current" if sv == latest.semver else "ahead"
                row["distance"] = "0"
        rows[(spec, ver)] = row
    lookup = pd.DataFrame([{"spec": k[0], "version": k[1], **v} for k, v in rows.items()])
    cols = [
        "service",
        "spec",
        "pinned",
        "latest",
        "status",
        "distance",
        "major_behind",
        "minor_behind",
        "patch_behind",
        "libyear",
    ]
    if lookup.empty:
        return pd.DataFrame(columns=cols)
    m = c.merge(lookup, on=["spec", "version"], how="left").rename(columns={"version": "pinned"})
    m = m.reindex(columns=cols)
    for k in ("major_behind", "minor_behind", "patch_behind"):
        m[k] = m[k].astype("Int64")
    m["libyear"] = m["libyear"].astype("float64")
    m["distance"] = m["distance"].astype("str").where(m["distance"].notna(), "")
    return m.sort_values(["service", "spec"], kind="mergesort").reset_index(drop=True)


# =============================================================================================
# Report files
# =============================================================================================


def drift_report_filename(as_of: Any) -> str:
    """``<YYYYmmdd_HHMMSS>_drift_report.json`` for an as-of time (UTC).

    Examples
    --------
    >>> drift_report_filename("2025-10-10T17:39:11Z")
    '20251010_173911_drift_report.json'
    """
    return f"{resolve_as_of(as_of):%Y%m%d_%H%M%S}_drift_report.json"


def drift_report_json(result: DriftResult) -> str:
    """The report as deterministic JSON text (sorted keys, UTF-8, two-space indent, final newline)."""
    return json.dumps(result.to_payload(), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> bool:
    """Write through :mod:`meta254lib.core.atomic`; ``exclusive`` never replaces an existing file.

    Returns False when ``exclusive`` and the file already existed.
    """
    if exclusive:
        return write_new(path, data)
    write_atomic(path, data)
    return True


def write_drift_report(root: str | Path, result: DriftResult) -> Path:
    """Write ``analysis/reports/drift/<as_of>_drift_report.json`` and update ``latest_drift_report.json``.

    Both writes are atomic (temporary file, then link/replace). An existing archive file with the
    same content is left alone; one with different content is never overwritten.

    Returns
    -------
    Path
        The archive file.

    Raises
    ------
    ParameterError
        When the archive file exists with different content.
    """
    folder = Path(root) / "analysis" / "reports" / "drift"
    folder.mkdir(parents=True, exist_ok=True)
    data = drift_report_json(result).encode("utf-8")
    path = folder / drift_report_filename(result.as_of)
    if not _write_atomic(path, data, exclusive=True) and path.read_bytes() != data:
        rel = path.relative_to(Path(root)).as_posix()
        raise ParameterError(
            f"{rel} already exists with different content; refusing to overwrite it "
            "(choose another --as-of, or move the old report away)"
        )
    _write_atomic(folder / "latest_drift_report.json", data)
    return path


# =============================================================================================
# Baseline for the benchmark: a straightforward per-row loop over catalog dicts
# =============================================================================================


def _raw_spec_index(doc: Mapping[str, Any] | None) -> _SpecIndex | None:
    if doc is None:
        return None
    latest: dict[str, _Version] = {}
    versions: dict[str, tuple[_Version, ...]] = {}
    for spec, body in doc.items():
        if not isinstance(body, Mapping):
            continue
        dep, rem = set(body.get("deprecated") or ()), set(body.get("removed") or ())
        vs = []
        for item in body.get("versions") or ():
            item = {"version": item} if isinstance(item, str) else item
            sv = parse_version(str(item.get("version")))
            if sv is None:
                continue
            date = pd.Timestamp(item["release_date"], tz="UTC") if item.get("release_date") else None
            changes = list(item.get("changes") or ())
            if item.get("breaking") is True:
                changes.append("breaking")
            text = str(item.get("version"))
            vs.append(_Version(sv, sv.text, tuple(sorted(set(changes))), date, text in dep, text in rem))
        lv = parse_version(str(body.get("latest_version"))) if body.get("latest_version") else None
        if lv is not None and all(v.semver != lv for v in vs):
            vs.append(_Version(lv, lv.text, (), None, False, False))
        if not vs:
            continue
        vs.sort(key=lambda v: v.semver.key)
        versions[spec] = tuple(vs)
        if lv is not None:
            latest[spec] = next(v for v in vs if v.semver == lv)
        else:
            latest[spec] = ([v for v in vs if not v.semver.prerelease] or vs)[-1]
    return _SpecIndex(latest, versions)


def _osv_intervals(ranges: Any) -> tuple[tuple[str, str, str], ...]:
    out = []
    for rng in ranges or ():
        lo = None
        for ev in rng.get("events") or ():
            if "introduced" in ev:
                lo = str(ev["introduced"])
            elif "fixed" in ev and lo is not None:
                out.append((lo, str(ev["fixed"]), ""))
                lo = None
            elif "last_affected" in ev and lo is not None:
                out.append((lo, "", str(ev["last_affected"])))
                lo = None
        if lo is not None:
            out.append((lo, "", ""))
    return tuple(out)


def detect_drift_baseline(
    catalog: Mapping[str, Any],
    *,
    as_of: Any,
    specs_index: Mapping[str, Any] | None = None,
    events_registry: Iterable[str] | None = None,
    lockfiles: Mapping[str, Mapping[str, Any]] | None = None,
    advisories: Iterable[Mapping[str, Any]] | None = None,
    aliases: Mapping[str, str] | None = None,
    policy: DriftPolicy | None = None,
) -> pd.DataFrame:
    """The benchmark's baseline: the same detectors as a plain loop over the catalog's service dicts.

    It reads the raw documents (catalog, specs-index.json, the events registry's list, lock files by
    service, OSV records) and checks every row on its own, with no caching and no pandas. It covers
    every detector except exemptions and history dating, so its issues (ids, types, severities,
    current, expected) equal :func:`detect_drift`'s on the same data.

    Returns
    -------
    DataFrame
        ``id, service, type, severity, subject, current, expected, reason``, in the order of
        :data:`~meta254lib.core.schema.DRIFT_ISSUES`.

    Examples
    --------
    >>> cat = {"services": [{"name": "gw", "api_contracts": ["core@1.0.0"], "dependencies": {"internal": ["x"]}}]}
    >>> detect_drift_baseline(cat, as_of="2025-10-10", specs_index={"core": {"latest_version": "2.0.0"}})[
    ...     ["type", "severity", "subject"]].values.tolist()
    [['spec_major_lag', 'high', 'core'], ['dangling_dependency', 'medium', 'x']]
    """
    policy = policy or DriftPolicy()
    as_of = resolve_as_of(as_of)
    aliases = {k.lower(): v for k, v in (DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases).items()}
    index = _raw_spec_index(specs_index)
    registry = set(events_registry) if events_registry is not None else None
    adv: list[tuple[str, str, tuple, tuple, str, str]] = []
    for doc in advisories or ():
        sev = str((doc.get("database_specific") or {}).get("severity") or "unknown").lower()
        for aff in doc.get("affected") or ():
            name = str((aff.get("package") or {}).get("name") or "")
            fixed = ",".join(
                str(ev["fixed"]) for rng in aff.get("ranges") or () for ev in rng.get("events") or () if "fixed" in ev
            )
            adv.append(
                (
                    str(doc.get("id")),
                    aliases.get(name.lower(), name),
                    _osv_intervals(aff.get("ranges")),
                    tuple(str(v) for v in aff.get("versions") or ()),
                    fixed,
                    sev,
                )
            )
    services = [s for s in catalog.get("services") or () if isinstance(s, Mapping) and s.get("name")]
    names = {s["name"] for s in services}
    issues: list[dict[str, Any]] = []
    seen_svc: set[str] = set()

    def add(service: str, kind: str, severity: str, subject: str, current: str, expected: str, reason: str) -> None:
        if severity in _RANK:
            issues.append(
                {
                    "service": service,
                    "type": kind,
                    "severity": severity,
                    "subject": subject,
                    "current": current,
                    "expected": expected,
                    "reason": reason,
                }
            )

    def vulnerable(service: str, pkg: str, ver: str, sv: SemVer) -> None:
        hits = sorted(a for a in adv if a[1] == pkg and in_osv_range(sv, a[2], a[3]))
        if not hits:
            return
        fixes = []
        for a in hits:
            fx = [p for p in (parse_version(f) for f in a[4].split(",") if f) if p is not None and p > sv]
            if fx:
                fixes.append(min(fx, key=lambda p: p.key))
        fix = max(fixes, key=lambda p: p.key).text if len(fixes) == len(hits) else ""
        add(
            service,
            "vulnerable_dependency",
            policy.level("vulnerable_dependency"),
            pkg,
            ver,
            f">= {fix}" if fix else "a version outside the advisory ranges",
            f"pins {pkg}@{ver}; affected by {', '.join(a[0] for a in hits)}",
        )

    externals: list[tuple[str, str, str, SemVer]] = []
    for svc in services:
        name = svc["name"]
        if name in seen_svc:
            continue
        seen_svc.add(name)
        pinned: dict[str, str] = {}  # first pin of each spec (lock checks)
        checked: set[str] = set()  # specs whose first valid pin was checked
        for pin in svc.get("api_contracts") or ():
            spec, ver = split_pin(str(pin))
            pinned.setdefault(spec, ver)
            sv = parse_version(ver) if ver else None
            if sv is None:
                add(
                    name,
                    "invalid_version",
                    policy.level("invalid_version"),
                    spec,
                    ver or "(no version)",
                    "a semantic version x.y.z",
                    f"pins {spec}@{ver}, which is not a semantic version",
                )
                continue
            if spec in checked:
                continue
            checked.add(spec)
            if index is not None and spec in index.latest:
                lag = _classify_lag(spec, sv, index, policy)
                if lag is not None:
                    add(name, lag["type"], lag["severity"], spec, lag["current"], lag["expected"], lag["reason"])
                v = index.find(spec, sv)
                if v is not None and (v.deprecated or v.removed) and policy.level("deprecated_spec") != "off":
                    state = "removed" if v.removed else "deprecated"
                    add(
                        name,
                        "deprecated_spec",
                        policy.level("deprecated_spec"),
                        spec,
                        f"{v.text} ({state})",
                        index.latest[spec].text,
                        f"pins {spec}@{v.text}, marked {state}",
                    )
            if advisories is not None:
                vulnerable(name, spec, ver, sv)
        last = svc.get("last_update")
        if last and policy.level("version_staleness") != "off":
            ts = pd.Timestamp(last)
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            age = (as_of - ts).days
            sev = (
                "high"
                if age > policy.staleness_critical_days
                else "medium"
                if age > policy.staleness_warning_days
                else ""
            )
            if sev:
                add(
                    name,
                    "version_staleness",
                    sev,
                    "",
                    f"{ts:%Y-%m-%d} ({age} days old)",
                    f"updated within {policy.staleness_warning_days} days",
                    f"last updated {ts:%Y-%m-%d}",
                )
        if registry is not None:
            used: dict[str, set[str]] = {}
            for direction in ("in", "out"):
                for ev in svc.get(f"events_{direction}") or ():
                    if ev not in registry:
                        used.setdefault(ev, set()).add(direction)
            for ev, dirs in used.items():
                add(
                    name,
                    "unknown_event",
                    policy.level("unknown_event"),
                    ev,
                    "in+out" if len(dirs) == 2 else next(iter(dirs)),
                    "registered in config/events-registry.yaml",
                    f"event {ev} is not in the events registry",
                )
        deps = svc.get("dependencies") or {}
        dangling_seen = set()
        for dep in deps.get("internal") or ():
            target, _ = split_pin(str(dep))
            if target not in names and target not in dangling_seen:
                dangling_seen.add(target)
                add(
                    name,
                    "dangling_dependency",
                    policy.level("dangling_dependency"),
                    target,
                    f"depends on {target}",
                    "a catalog service",
                    f"depends on {target}, which is not in the catalog",
                )
        ext_seen: dict[str, tuple[str, SemVer]] = {}
        for dep in deps.get("external") or ():
            dname, ver = split_pin(str(dep))
            target = aliases.get(dname.lower(), dname)
            if not ver:
                continue
            sv = parse_version(ver)
            if sv is None:
                add(
                    name,
                    "invalid_version",
                    policy.level("invalid_version"),
                    target,
                    ver,
                    "a version such as 7.2 or 7.2.1",
                    f"depends on {target}@{ver}, whose version does not parse",
                )
                continue
            if target not in ext_seen or sv < ext_seen[target][1]:
                ext_seen[target] = (ver, sv)
            if advisories is not None:
                vulnerable(name, target, ver, sv)
        externals.extend((name, t, v, sv) for t, (v, sv) in ext_seen.items())
        if lockfiles is not None and pinned:
            lock = lockfiles.get(name)
            if lock is None:
                add(
                    name,
                    "missing_lock",
                    policy.level("missing_lock"),
                    "",
                    "no specs.lock.json",
                    f"manifests/collected/{name}.specs.lock.json",
                    "pins specs but has no collected lock file",
                )
            else:
                locked = {k: str((v or {}).get("version")) for k, v in (lock.get("dependencies") or {}).items()}
                for spec in sorted(set(pinned) | set(locked)):
                    p, lk = pinned.get(spec), locked.get(spec)
                    ps, ls = parse_version(p) if p else None, parse_version(lk) if lk else None
                    same = p is not None and lk is not None and ((ps is not None and ps == ls) or p == lk)
                    if not same:
                        add(
                            name,
                            "lock_mismatch",
                            policy.level("lock_mismatch"),
                            spec,
                            lk if lk is not None else "(not locked)",
                            p if p is not None else "(not pinned)",
                            f"lock file and manifest disagree on {spec}",
                        )
    newest: dict[str, tuple[str, SemVer]] = {}
    for _, target, ver, sv in externals:
        if target not in newest or newest[target][1] < sv:
            newest[target] = (ver, sv)
    if policy.level("dependency_divergence") != "off":
        for name, target, ver, sv in externals:
            tver, tsv = newest[target]
            if sv.major < tsv.major:
                sev = policy.divergence_major
            elif sv.major == tsv.major and sv.minor < tsv.minor:
                sev = policy.divergence_minor
            else:
                continue
            add(name, "dependency_divergence", sev, target, ver, tver, f"uses {target}@{ver}; others use {tver}")
    for d in issues:
        d["id"] = drift_issue_id(d["service"], d["type"], d["subject"])
    cols = ["id", "service", "type", "severity", "subject", "current", "expected", "reason"]
    out = pd.DataFrame(issues, columns=cols).drop_duplicates("id")
    out["_rank"] = out["severity"].map(_RANK)
    out = out.sort_values(["_rank", "service", "type", "subject", "id"], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)
