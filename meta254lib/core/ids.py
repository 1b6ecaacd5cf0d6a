"""Stable identifiers for drift issues and drift-type vocabulary shared by loaders and analyses.

An issue keeps its id from one report to the next as long as its service, its *family* and its
subject stay the same: a spec lag that grows from one minor to two is the same issue.

Examples
--------
>>> drift_issue_id("gateway", "spec_minor_lag", "gateway-core")
'DRIFT-0a29a82aa5'
>>> drift_issue_id("gateway", "spec_lag", "gateway-core") == drift_issue_id("gateway", "spec_major_lag", "gateway-core")
True
"""

from __future__ import annotations

import hashlib

__all__ = [
    "DRIFT_TYPE_ALIASES",
    "DRIFT_TYPE_FAMILY",
    "SEVERITY_ALIASES",
    "drift_family",
    "drift_issue_id",
    "normalise_severity",
]

#: Upstream drift type names mapped to meta254 names (``spec_lag`` is refined by the loader).
DRIFT_TYPE_ALIASES: dict[str, str] = {
    "event_schema_unknown": "unknown_event",
    "missing_lock_file": "missing_lock",
    "security_vulnerability": "vulnerable_dependency",
    "major_version_lag": "spec_major_lag",
    "minor_version_lag": "spec_minor_lag",
    "patch_version_lag": "spec_patch_lag",
    "breaking_change": "deprecated_spec",
}

#: Drift types that are one issue family (their id ignores which member they are).
DRIFT_TYPE_FAMILY: dict[str, str] = {
    "spec_lag": "spec_lag",
    "spec_major_lag": "spec_lag",
    "spec_minor_lag": "spec_lag",
    "spec_patch_lag": "spec_lag",
    "feature_lag": "spec_lag",
    "performance_lag": "spec_lag",
    "documentation_lag": "spec_lag",
    "bugfix_lag": "spec_lag",
    "security_lag": "spec_lag",
    "breaking_lag": "spec_lag",
    "shared_dependency": "dependency_divergence",
    "dependency_divergence": "dependency_divergence",
    "lock_mismatch": "lock",
    "missing_lock": "missing_lock",
}

#: Severity spellings mapped to the runbook's three levels (``error`` is kept as a marker).
SEVERITY_ALIASES: dict[str, str] = {
    "high": "high",
    "critical": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "info": "low",
    "error": "error",
}


def drift_family(drift_type: str) -> str:
    """The family a drift type belongs to (itself when it has none).

    Examples
    --------
    >>> drift_family("spec_patch_lag"), drift_family("unknown_event")
    ('spec_lag', 'unknown_event')
    """
    t = DRIFT_TYPE_ALIASES.get(drift_type, drift_type)
    return DRIFT_TYPE_FAMILY.get(t, t)


def drift_issue_id(service: str, drift_type: str, subject: str | None) -> str:
    """A stable id for the issue (service, family of the type, subject).

    Parameters
    ----------
    service : str
        The service the issue is about.
    drift_type : str
        Any drift type name, upstream or meta254.
    subject : str or None
        The spec, dependency or event; ``None`` or ``""`` when the issue has none.
    """
    key = f"{service}\x1f{drift_family(drift_type)}\x1f{subject or ''}"
    return "DRIFT-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def normalise_severity(value: object) -> str | None:
    """Map a severity spelling to ``high|medium|low|error``; ``None`` when unknown.

    Examples
    --------
    >>> normalise_severity("moderate"), normalise_severity("HIGH"), normalise_severity("bogus")
    ('medium', 'high', None)
    """
    if not isinstance(value, str):
        return None
    return SEVERITY_ALIASES.get(value.strip().lower())
