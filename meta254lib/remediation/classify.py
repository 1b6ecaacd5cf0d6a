"""How one plan item is classified: its issue group, action, automation class, risk, exposure and what it closes."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.versions import parse_version
from .fmt import text as _text
from .policy import PlanPolicy

__all__ = [
    "ACTION_OF_TYPE",
    "AUTOMATION_CLASSES",
    "BREAKING_TYPES",
    "ESCALATION_LEVEL",
    "LAG_TYPES",
    "RISK_RULE",
    "SECURITY_TYPES",
    "automation_class",
    "closed_issues",
    "exposure",
    "group_key",
    "item_id",
    "risk",
]

#: Escalation level of each severity (the runbook's L1-L3).
ESCALATION_LEVEL = {"high": "L3", "medium": "L2", "low": "L1"}
#: The automation classes, least to most human work.
AUTOMATION_CLASSES: tuple[str, ...] = ("automated", "approval", "manual")
#: How ``risk_level`` is decided.
RISK_RULE = (
    "high: major or breaking change, security issue without a fixed version, coverage < 50 %, or impact "
    "severity high/critical; medium: minor upgrade, a change that is not a version bump, coverage below the "
    "coverage target, or impact severity medium; low: otherwise"
)
SECURITY_TYPES = frozenset({"vulnerable_dependency", "security_lag"})
_PIN_TYPES = frozenset(
    {
        "spec_major_lag",
        "spec_minor_lag",
        "spec_patch_lag",
        "breaking_lag",
        "feature_lag",
        "performance_lag",
        "bugfix_lag",
        "documentation_lag",
        "deprecated_spec",
        "lock_mismatch",
    }
)
LAG_TYPES = _PIN_TYPES - {"deprecated_spec", "lock_mismatch"}
BREAKING_TYPES = frozenset({"spec_major_lag", "breaking_lag", "deprecated_spec"})
ACTION_OF_TYPE = {
    "missing_lock": "add_lock",
    "unknown_event": "register_events",
    "dangling_dependency": "fix_dependency",
    "dependency_divergence": "align_dependency",
    "invalid_version": "fix_version_pin",
    "version_staleness": "refresh_service",
}
_MANUAL_REASON = {
    "add_lock": (
        "missing lock file: a specs.lock.json is proposed from the manifest pins, but it must be checked "
        "against what the service really resolves before it is committed (runbook 3.2)"
    ),
    "register_events": (
        "unknown events: register the event schemas in the specs repository (events-registry.yaml is "
        "generated from it) or correct the event names; nothing can be upgraded automatically"
    ),
    "fix_dependency": "dangling dependency: add the service to the catalog or remove the dependency (runbook 3.3)",
    "align_dependency": (
        "external dependency version: aligning it changes what the service deploys with; the upgrade "
        "policy covers spec upgrades only"
    ),
    "fix_version_pin": "invalid version pin: choosing the exact version to pin needs the owning team",
    "refresh_service": (
        "version staleness: review the service's manifest and dependencies (runbook: Regular Updates); "
        "there is no single version to move to"
    ),
    "fix_lock": (
        "lock file mismatch: whether the manifest or the lock file is right needs checking; the proposed "
        "lock follows the manifest"
    ),
    "review": "drift type without an automatic remediation",
}


def group_key(row: Mapping[str, Any]) -> tuple[str, str]:
    """``(kind, subject)`` of the group one issue joins: the issues one change fixes.

    Examples
    --------
    >>> group_key({"type": "spec_minor_lag", "subject": "gateway-core"})
    ('pin', 'gateway-core')
    >>> group_key({"type": "unknown_event", "subject": "x"})
    ('event', 'x')
    """
    t, subject = row["type"], _text(row["subject"])
    if t in SECURITY_TYPES or row.get("category") == "Security Vulnerabilities":
        return "security", subject
    if t in _PIN_TYPES:
        return "pin", subject
    if t == "unknown_event":
        return "event", subject
    return t, subject


def item_id(service: str, kind: str, subject: str) -> str:
    """The stable id of a plan item (``PLAN-`` and 10 hex digits of its group).

    Examples
    --------
    >>> item_id("gateway", "pin", "gateway-core")[:5]
    'PLAN-'
    """
    key = f"{service}\x1f{kind}\x1f{subject}"
    return "PLAN-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def automation_class(
    *,
    action: str,
    service: str,
    current: str,
    target: str,
    update_type: str,
    breaking: bool,
    quality: float | None,
    policy: PlanPolicy,
    quality_source: str = "implemented score",
    target_reason: str = "",
) -> tuple[str, str]:
    """``(class, reason)`` of one item, following upgrade-policies.yaml and the runbook.

    Examples
    --------
    >>> c, why = automation_class(action="upgrade_spec", service="gateway", current="1.0.0", target="1.2.0",
    ...                           update_type="minor", breaking=False, quality=100, policy=PlanPolicy())
    >>> c, "auto_upgrade.minor.enabled: true" in why, "quality score 100 >= 80" in why
    ('approval', True, True)
    >>> automation_class(action="upgrade_spec", service="a", current="1.0.0", target="1.0.1",
    ...                  update_type="patch", breaking=False, quality=65, policy=PlanPolicy())[0]
    'manual'
    """
    if action not in ("upgrade_spec", "security_fix"):
        return "manual", "manual: " + _MANUAL_REASON.get(action, _MANUAL_REASON["review"])
    if not target:
        return "manual", f"manual: no target version ({target_reason or 'none found'})"
    cur = parse_version(current)
    tgt = parse_version(target)
    move = f"{current} → {target}"
    if cur is not None and tgt is not None and update_type == "minor":
        minors = tgt.minor - cur.minor
        distance = f"{minors} minor{'s' if minors != 1 else ''}"
    else:
        minors, distance = 0, ""
    q_text = "no quality score" if quality is None or pd.isna(quality) else f"quality score {int(quality)}"
    if breaking or update_type == "major":
        what = "a major upgrade" if update_type == "major" else "a change over breaking releases"
        return "manual", (
            f"manual: {move} is {what}; the runbook sends major and breaking changes to manual review "
            f"(L3 Architecture Team); {_policy_text(policy, 'major')}"
        )
    if update_type == "patch":
        return _patch_class(move, service, quality, q_text, policy, quality_source)
    return _minor_class(move, minors, distance, service, quality, q_text, policy, quality_source)


def _policy_text(policy: PlanPolicy, t: str) -> str:
    """How the upgrade policy treats update type ``t``, quoted in automation reasons."""
    d = policy.descriptions.get(t)
    flags = (
        f"require_tests: {str(policy.require_tests.get(t, False)).lower()}, "
        f"require_review: {str(policy.require_review.get(t, False)).lower()}"
    )
    quoted = f' ("{d}"; {flags})' if d else f" ({flags})"
    return f"{policy.source} auto_upgrade.{t}.enabled: {str(bool(policy.auto_enabled.get(t))).lower()}{quoted}"


def _quality_at_least(quality: float | None, minimum: float) -> bool:
    return quality is not None and not pd.isna(quality) and quality >= minimum


def _patch_class(
    move: str, service: str, quality: float | None, q_text: str, policy: PlanPolicy, quality_source: str
) -> tuple[str, str]:
    """A patch upgrade is automated when the policy allows it and the quality score is high enough."""
    failed = _failed(
        (bool(policy.auto_enabled.get("patch")), _policy_text(policy, "patch")),
        _quality_check(service, quality, policy.automated_min_quality, "automation"),
    )
    reason = (
        f"automated: {move} is a patch upgrade with no breaking change; {_policy_text(policy, 'patch')}; "
        f"{service}'s {q_text} >= {policy.automated_min_quality:g} ({quality_source}); "
        "runbook: low-risk changes are remediated automatically"
    )
    return _verdict(move, "patch", failed, "automated", reason)


def _minor_class(
    move: str,
    minors: int,
    distance: str,
    service: str,
    quality: float | None,
    q_text: str,
    policy: PlanPolicy,
    quality_source: str,
) -> tuple[str, str]:
    """A minor upgrade needs approval when the policy allows it, it skips few minors and quality is high."""
    failed = _failed(
        (
            1 <= minors <= policy.approval_max_minors,
            f"it skips {distance or 'an unknown number of minors'}, more than {policy.approval_max_minors}",
        ),
        (bool(policy.auto_enabled.get("minor")), _policy_text(policy, "minor")),
        _quality_check(service, quality, policy.approval_min_quality, "approval"),
    )
    reason = (
        f"approval: {move} is a minor upgrade ({distance}, within 1–{policy.approval_max_minors}) with no "
        f"breaking change; {_policy_text(policy, 'minor')}; {service}'s {q_text} >= "
        f"{policy.approval_min_quality:g} ({quality_source}); runbook: medium-risk changes are semi-automated "
        "and need approval"
    )
    return _verdict(move, "minor", failed, "approval", reason)


def _quality_check(service: str, quality: float | None, minimum: float, needs: str) -> tuple[bool, str]:
    """Whether the quality score reaches ``minimum``, and the reason (a sentence) when it does not.

    Examples
    --------
    >>> _quality_check("gateway", None, 80, "approval")
    (False, 'gateway has no quality score; approval needs a score of 80 or more')
    >>> _quality_check("gateway", 75, 80, "approval")
    (False, "gateway's quality score 75 is below the 80 approval needs")
    """
    if quality is None or pd.isna(quality):
        return False, f"{service} has no quality score; {needs} needs a score of {minimum:g} or more"
    return _quality_at_least(
        quality, minimum
    ), f"{service}'s quality score {int(quality)} is below the {minimum:g} {needs} needs"


def _verdict(move: str, kind: str, failed: Sequence[str], cls: str, reason: str) -> tuple[str, str]:
    """``(cls, reason)`` when no check failed, else ``manual`` with the failed checks."""
    if failed:
        return "manual", f"manual: {move} is a {kind} upgrade, but " + "; ".join(failed)
    return cls, reason


def _failed(*checks: tuple[bool, str]) -> list[str]:
    """The reasons of the checks that failed, in order."""
    return [why for ok, why in checks if not ok]


def risk(
    *,
    update_type: str,
    breaking_text: str,
    breaking: bool,
    security_without_fix: bool,
    coverage: float,
    coverage_target: float,
    blast: int,
    weighted: float,
    impact_severity: str,
    maturity: str,
    version_change: bool,
) -> tuple[str, str]:
    """``(risk level, reason)`` of one item: see :data:`RISK_RULE`.

    Examples
    --------
    >>> risk(update_type="patch", breaking_text="none", breaking=False, security_without_fix=False, coverage=0.9,
    ...      coverage_target=0.75, blast=0, weighted=0.0, impact_severity="low", maturity="stable",
    ...      version_change=True)[0]
    'low'
    """
    cov = "unknown" if math.isnan(coverage) else f"{round(coverage * 100)} %"
    text = (
        f"breaking changes: {breaking_text}; coverage {cov} (target {round(coverage_target * 100)} %); "
        f"blast radius {blast} service{'s' if blast != 1 else ''} (weighted {weighted:g}, impact {impact_severity}); "
        f"maturity {maturity or 'unknown'}"
    )
    low_cov = not math.isnan(coverage) and coverage < 0.5
    if breaking or update_type == "major" or security_without_fix or low_cov or impact_severity in ("high", "critical"):
        level = "high"
    elif (
        update_type == "minor"
        or not version_change
        or (not math.isnan(coverage) and coverage < coverage_target)
        or math.isnan(coverage)
        or impact_severity == "medium"
    ):
        level = "medium"
    else:
        level = "low"
    return level, text


def exposure(
    advisory_ids: Sequence[str], index: Mapping[str, tuple[int, Any, Any]], policy: PlanPolicy
) -> tuple[float, str]:
    """``(E, how)``: the exposure of an item's advisories for the priority formula.

    ``index`` maps advisory id -> (row position, epss, severity). With EPSS, ``E = 1 − ∏(1 − epss)``;
    without, the exposure of the highest advisory severity; 0 without advisory.

    Examples
    --------
    >>> exposure(["A", "B"], {"A": (0, 0.5, "high"), "B": (1, 0.5, "low")}, PlanPolicy())
    (0.75, 'EPSS 0.5, 0.5')
    """
    if not advisory_ids or not index:
        return 0.0, ""
    sel = sorted(index[a] for a in set(advisory_ids) if a in index)  # in the advisories' row order
    epss = [float(e) for _, e, _ in sel if e is not None and not pd.isna(e)]
    if epss:
        p = 1.0
        for e in epss:
            p *= 1.0 - min(max(e, 0.0), 1.0)
        return round(1.0 - p, 4), "EPSS " + ", ".join(f"{e:g}" for e in epss)
    sevs = [str(s) for _, _, s in sel if isinstance(s, str)]
    if not sevs:
        return float(policy.advisory_exposure.get("unknown", 0.5)), "advisory severity unknown"
    best = max(sevs, key=lambda s: policy.advisory_exposure.get(s, 0.0))
    return float(policy.advisory_exposure.get(best, 0.5)), f"advisory severity {best}"


def closed_issues(recs: Sequence[Mapping[str, Any]], action: str, target: str) -> tuple[str, ...]:
    """Ids of the issues the item's change closes (a fix without a target closes nothing)."""
    if action not in ("upgrade_spec", "security_fix"):
        return tuple(sorted(r["id"] for r in recs))
    tgt = parse_version(target)
    if tgt is None:
        return ()
    out = []
    for r in recs:
        exp = (
            parse_version(r["expected"].lstrip(">= ").strip())
            if r["type"] in LAG_TYPES or r["type"] == "security_lag"
            else None
        )
        if exp is None or not tgt < exp:
            out.append(r["id"])
    return tuple(sorted(out))
