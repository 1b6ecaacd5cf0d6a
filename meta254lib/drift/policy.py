"""The drift policy: the runbook's drift types and tags, and every severity rule, SLO and KPI target.

:class:`DriftPolicy` holds the rules; :func:`policy_from_config` reads them from a workspace's
``config/thresholds.yaml`` and ``config/rules.yaml``. The type tables below (category, default
severity, remediation of each drift type) are the single source the detectors and reports read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..core.errors import InputError
from ..core.severity import SEVERITIES

__all__ = [
    "CATEGORIES",
    "DRIFT_TYPES",
    "LAG_PRIORITY",
    "REMEDIATIONS",
    "TAG_TYPE",
    "DriftPolicy",
    "policy_from_config",
]

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
#: Drift type -> the runbook remediation step.
REMEDIATIONS: Mapping[str, str] = MappingProxyType({t: v[2] for t, v in _TYPES.items()})

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
TAG_TYPE = {
    "security": "security_lag",
    "breaking": "breaking_lag",
    "feature": "feature_lag",
    "performance": "performance_lag",
    "bugfix": "bugfix_lag",
    "docs": "documentation_lag",
}


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class DriftPolicy:
    """Every severity rule, SLO and KPI target of the drift engine, with the runbook's defaults.

    Parameters
    ----------
    severity : mapping of str to str
        Drift type -> ``high``, ``medium``, ``low`` or ``off`` (``off`` disables the detector).
        Change tags map to lag types (:data:`TAG_TYPE`), so ``security_lag: high`` is the rule
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
