"""Drift detection on the simulated catalog, as the platform's ``detect_drift.py`` does it, and its report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import sample_content as C
from .sample_model import VERSION_KEYS, Platform, SimService, cached_version

#: One drift issue: type, severity, service, description, current value, expected value, remediation.
Issue = tuple[str, str, str, str, str, str, str]

__all__ = ["detect_issues", "drift_report"]


# --- drift detection, as detect_drift.py does it -------------------------------------------------------
def detect_issues(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """The issues ``detect_drift.py`` reports for the catalog at ``t``, in its order and with its texts.

    Order: spec lag (``high`` when a major behind, ``moderate`` when more than two minors, else ``low``;
    unparsable pins are ``invalid_version``/``error``), missing locks, staleness (> 90 days moderate,
    > 180 high), externals shared by more than three services (exact strings), unregistered events.
    """
    return [
        *_spec_lag(plat, t, active),
        *_missing_locks(plat, t, active),
        *_staleness(plat, t, active),
        *_shared_externals(plat, t, active),
        *_unregistered_events(plat, t, active),
    ]


def _spec_lag(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """Pins behind the spec's latest release at ``t``, and unparsable pins."""
    issues: list[Issue] = []
    latest_now = {name: spec.latest_at(t) for name, spec in plat.specs.items()}
    for s in active:  # spec lag
        for pin in s.pins:
            latest = latest_now[pin.spec]
            if latest is None:
                continue
            cur = pin.at(t)
            cv = cached_version(cur)
            if cv is None:
                issues.append(
                    (
                        "invalid_version",
                        "error",
                        s.name,
                        f"Invalid version format: {pin.spec}@{cur}",
                        cur,
                        latest.version,
                        "\u274c Fix the version pin to a valid semantic version.",
                    )
                )
                continue
            if VERSION_KEYS[cur] < VERSION_KEYS[latest.version]:
                major = latest.sv.major - cv.major
                minor = latest.sv.minor - cv.minor
                sev = "high" if major > 0 else "moderate" if minor > 2 else "low"
                issues.append(
                    (
                        "spec_lag",
                        sev,
                        s.name,
                        f"Service pins {pin.spec}@{cur} but latest is {latest.version}",
                        cur,
                        latest.version,
                        C.SPEC_LAG_TEXT[sev].format(n=major),
                    )
                )
    return issues


def _missing_locks(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """Services that pin contracts but have no lock file at ``t``."""
    issues: list[Issue] = []
    for s in active:  # missing locks
        if s.pins and not s.has_lock(t):
            issues.append(
                (
                    "missing_lock",
                    "high",
                    s.name,
                    f"Service pins {len(s.pins)} API contract(s) but has no specs.lock.json",
                    "no lock file",
                    "specs.lock.json present",
                    "\U0001f512 Generate specs.lock.json and commit it with the manifest.",
                )
            )
    return issues


def _staleness(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """Services whose deployed version is more than 90 days old at ``t``."""
    issues: list[Issue] = []
    for s in active:  # staleness
        days = (t - s.last_update(t)).days
        if days > 90:
            v = s.version_at(t)
            issues.append(
                (
                    "version_staleness",
                    "high" if days > 180 else "moderate",
                    s.name,
                    f"Service version {v} is {days} days old",
                    f"{v} ({days} days old)",
                    "< 90 days old",
                    "\u23f0 Cut a maintenance release or confirm the service is still owned.",
                )
            )
    return issues


def _shared_externals(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """External dependencies (exact strings) shared by more than three services."""
    issues: list[Issue] = []
    groups: dict[str, list[str]] = {}
    for s in active:  # shared externals (exact strings)
        for e in s.ext_at(t):
            groups.setdefault(e, []).append(s.name)
    for e, users in groups.items():
        if len(users) > 3:
            issues.append(
                (
                    "shared_dependency",
                    "low",
                    ", ".join(users),
                    f"Shared external dependency: {e} used by {len(users)} services",
                    f"used by {len(users)} services",
                    "consistent versions across services",
                    "Monitor for version conflicts in shared dependencies",
                )
            )
    return issues


def _unregistered_events(plat: Platform, t: datetime, active: list[SimService]) -> list[Issue]:
    """Events not registered at ``t``."""
    issues: list[Issue] = []
    for s in active:  # unregistered events
        for e in (*s.ein, *s.eout):
            when = plat.registry.get(e)
            if when is None or when > t:
                issues.append(
                    (
                        "event_schema_unknown",
                        "low",
                        s.name,
                        f"Event schema not found in registry: {e}",
                        e,
                        "registered event schema",
                        "Register event schema or verify naming convention",
                    )
                )
    return issues


_ISSUE_KEYS = ("type", "severity", "service", "description", "current_value", "expected_value", "remediation")


def _issue_repr(issue: tuple[str, ...]) -> str:
    return "DriftIssue(" + ", ".join(f"{k}={v!r}" for k, v in zip(_ISSUE_KEYS, issue, strict=True)) + ")"


def drift_report(
    issues: list[tuple[str, ...]], t: datetime, stamp: Callable[[datetime], str], catalog_ts: str, n: int, as_repr: bool
) -> dict[str, Any]:
    """The week's drift report document, its issues as repr strings (older weeks) or dicts."""
    by_sev = {"high": 0, "moderate": 0, "low": 0, "error": 0}
    by_type: dict[str, int] = {}
    for i in issues:
        by_sev[i[1]] += 1
        by_type[i[0]] = by_type.get(i[0], 0) + 1
    urgent = by_sev["high"] + by_sev["error"]
    recs: list[str] = []
    if urgent:
        recs.append(f"\U0001f6a8 {urgent} high-priority issues require immediate attention")
        urgent_types: dict[str, int] = {}
        for i in issues:
            if i[1] in ("high", "error"):
                urgent_types[i[0]] = urgent_types.get(i[0], 0) + 1
        recs.extend(f"  - {c} {k} issues" for k, c in urgent_types.items())
    elif issues:
        recs.append("\u2705 No critical drift issues detected")
    return {
        "metadata": {
            "generated_at": stamp(t),
            "catalog_timestamp": catalog_ts,
            "total_services": n,
            "total_issues": len(issues),
            "overall_healthy": urgent == 0,
        },
        "summary": {"issues_by_severity": by_sev, "issues_by_type": by_type},
        "issues": [_issue_repr(i) if as_repr else dict(zip(_ISSUE_KEYS, i, strict=True)) for i in issues],
        "recommendations": recs,
    }
