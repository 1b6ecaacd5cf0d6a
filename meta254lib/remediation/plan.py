"""Remediation plans: the drift remediation runbook, instantiated per service, ordered and scheduled.

:func:`build_plan` turns the drift issues of one run (:data:`~meta254lib.core.schema.DRIFT_ISSUES`), the
workspace tables and graph, and one :class:`PlanPolicy` into a :class:`RemediationPlan`:

- **items** (:data:`~meta254lib.core.schema.PLAN_ITEMS`): one per actionable issue or group of issues.
  Exempt issues and issues below ``severity_floor`` are left out. Issues one change fixes are grouped
  the way update bots group: every non-security issue on one service's pin of one spec (its patch or
  minor lag, a lock mismatch, a deprecated version), all unknown events of one service (one registry
  change), and all security issues on one package of one service. Security issues are never grouped
  with anything else and are scheduled at ``as_of``, whatever their wave;
- **target versions**: a security fix targets the *lowest* version outside every advisory range of
  the package (:func:`lowest_fixed_version`; ranges may overlap); a spec lag targets the latest version
  the upgrade policy upgrades automatically, with the registry's latest shown as the alternative
  (a major or breaking lag targets the latest and shows the automatic step as the alternative);
- **automation class** (:func:`automation_class`)::

      automated  patch upgrade, no breaking change, auto_upgrade.patch.enabled, quality >= 70
      approval   1-3 minors, no breaking change, auto_upgrade.minor.enabled, quality >= 80
      manual     everything else: major or breaking changes, staleness, unknown events, missing locks
                 (a lock is proposed but needs checking), policy off, quality too low, no fix

  ``auto_upgrade.<type>`` is read as a mapping with ``enabled`` (the platform's scripts test the
  mapping itself, which is always true); a plain boolean is accepted too;
- **priority** (:meth:`PlanPolicy.priority_formula`)::

      priority = S[severity] × (1 + E) × (1 + ln(1 + W))

  ``S`` high 4, medium 2, low 1; ``E`` the exposure: ``1 − ∏(1 − epss)`` over the item's advisories
  that carry EPSS, else the highest advisory severity (critical 1, high 0.75, medium 0.5, low 0.25),
  0 without advisory; ``W`` the weighted blast radius of the service (as
  :func:`~meta254lib.impact.analysis.analyse_impact` gives it, computed for every planned service at once by
  :func:`~meta254lib.impact.fleet.fleet_impact`); an item
  names its nearest ``dependents_listed`` dependents with why-paths and counts them all;
- **waves**: the topological generations of the ``depends_on`` graph over the planned services and
  everything between them (:func:`~meta254lib.impact.analysis.deploy_waves`), so a provider is upgraded before
  its consumers; services on a cycle share a wave, with a warning. Within a wave, items ship in pull
  request batches (same spec, target and update type; at most ``max_services_per_pr``), at most
  ``max_concurrent_prs`` a day, on ``scheduling.allowed_days`` (0 = Sunday), in hours that no
  maintenance window blocks for the operation; the next wave starts the day after;
- **runbook steps** per item (Assessment, Planning, Implementation, Testing, Deployment, Monitoring,
  Rollback) with the exact ``service-manifest.yaml`` diff, a proposed ``specs.lock.json`` and the
  commands;
- **calendar**, **burn-down** (backlog and expected implemented quality score per week, each week
  rescored with the fixed issues removed), **communications** (who to notify per wave, and when: the
  owners, the teams owning the direct dependents of what changes, the escalation levels and channels).

:func:`track_progress` checks an earlier plan against a later drift report.

Examples
--------
>>> from meta254lib.core.schema import SERVICES, CONTRACTS, SPEC_VERSIONS, frame_from_records as rec
>>> from meta254lib.drift.engine import DriftInputs, detect_drift
>>> services = rec(SERVICES, [{"service": "gateway", "team": "access", "version": "0.1.0",
...                             "maturity": "stable", "runtime": "python", "coverage": 0.88}])
>>> contracts = rec(CONTRACTS, [{"service": "gateway", "spec": "gateway-core", "version": "1.0.0",
...                               "major": 1, "minor": 0, "patch": 0, "valid": True}])
>>> specs = rec(SPEC_VERSIONS, [{"spec": "gateway-core", "version": "1.2.0", "major": 1, "minor": 2,
...                               "patch": 0, "is_latest": True}])
>>> issues = detect_drift(DriftInputs(services, contracts, spec_versions=specs), as_of="2025-10-10").issues
>>> inputs = PlanInputs(issues=issues, services=services, contracts=contracts, spec_versions=specs,
...                     quality=pd.Series({"gateway": 100}))
>>> plan = build_plan(inputs, as_of="2025-10-10")
>>> plan.items[["service", "current", "target", "severity", "escalation", "automation"]].values.tolist()
[['gateway', '1.0.0', '1.2.0', 'medium', 'L2', 'approval']]
>>> str(plan.items.loc[0, "due"].date())
'2025-11-09'
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import json
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._version import __version__
from ..core.errors import InputError, ParameterError, UnknownServiceError
from ..core.schema import (
    DRIFT_ISSUES,
    PLAN_BURNDOWN,
    PLAN_CALENDAR,
    PLAN_COMMUNICATIONS,
    PLAN_ITEMS,
    PLAN_PROGRESS,
    PLAN_WAVES,
    frame_from_records,
    require_columns,
)
from ..core.settings import DEFAULT_ESCALATION
from ..core.versions import SemVer, in_osv_range, parse_version
from ..graph.build import DEFAULT_RELATIONS, relation_view
from ..impact.analysis import deploy_waves
from ..impact.fleet import fleet_impact

__all__ = [
    "AUTOMATION_CLASSES",
    "RISK_RULE",
    "MaintenanceWindow",
    "PlanInputs",
    "PlanPolicy",
    "ProgressResult",
    "RemediationPlan",
    "automation_class",
    "build_plan",
    "lowest_fixed_version",
    "manifest_diff",
    "plan_items_from_payload",
    "plan_policy_from_config",
    "plan_workspace",
    "policy_target",
    "propose_lock",
    "runtime_commands",
    "track_progress",
]

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_LEVEL = {"high": "L3", "medium": "L2", "low": "L1"}
#: The automation classes, least to most human work.
AUTOMATION_CLASSES: tuple[str, ...] = ("automated", "approval", "manual")
#: How ``risk_level`` is decided.
RISK_RULE = (
    "high: major or breaking change, security issue without a fixed version, coverage < 50 %, or impact "
    "severity high/critical; medium: minor upgrade, a change that is not a version bump, coverage below the "
    "coverage target, or impact severity medium; low: otherwise"
)
_POLICY_FILE = "config/upgrade-policies.yaml"
_SECURITY_TYPES = frozenset({"vulnerable_dependency", "security_lag"})
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
_LAG_TYPES = _PIN_TYPES - {"deprecated_spec", "lock_mismatch"}
_BREAKING_TYPES = frozenset({"spec_major_lag", "breaking_lag", "deprecated_spec"})
_ACTION_OF_TYPE = {
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
_RUNTIME_UPGRADE: dict[str, tuple[str, str]] = {
    "python": ("pip install --upgrade {pkg}=={v}", "pip freeze > requirements.txt"),
    "nodejs": ("npm install {pkg}@{v}", "npm audit fix"),
    "go": ("go get {pkg}@v{v}", "go mod tidy"),
    "java": (
        "mvn versions:use-dep-version -Dincludes={pkg} -DdepVersion={v} -DforceVersion=true",
        "mvn dependency:tree -Dincludes={pkg}",
    ),
}
_ECOSYSTEM_RUNTIME = {"pypi": "python", "npm": "nodejs", "go": "go", "maven": "java"}
_TEST_SUITES: dict[str, tuple[str, str]] = {
    "python": ("python -m pytest tests/", "python -m pytest tests/integration/"),
    "nodejs": ("npm test", "npm run test:integration"),
    "go": ("go test ./...", "go test -tags=integration ./..."),
    "java": ("mvn test", "mvn verify"),
}
_ADVISORY_EXPOSURE = {"critical": 1.0, "high": 0.75, "medium": 0.5, "low": 0.25, "unknown": 0.5}


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


def _text(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return str(v)


def _day(ts: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert("UTC").normalize().as_unit("us")


def _iso_day(ts: Any) -> str | None:
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


# =============================================================================================
# Policy
# =============================================================================================


def _parse_cron_field(text: str, lo: int, hi: int, file: str, fld: str) -> frozenset[int]:
    out: set[int] = set()
    for token in str(text).split(","):
        token = token.strip()
        m = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", token)
        if not m:
            raise InputError(file, fld, "a cron field of numbers, ranges (a-b), lists (a,b), * and /step", repr(text))
        base, step = m.group(1), int(m.group(2) or 1)
        if step < 1:
            raise InputError(file, fld, "a step of at least 1", repr(text))
        if base == "*":
            a, b = lo, hi
        elif "-" in base:
            a, b = (int(x) for x in base.split("-"))
        else:
            a = b = int(base)
        if a < lo or b > hi or a > b:
            raise InputError(file, fld, f"values from {lo} to {hi}", repr(text))
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class MaintenanceWindow:
    """A maintenance window of upgrade-policies.yaml: hours during which some operations are blocked.

    The window covers the times its cron expression matches, hour by hour (the minute field is
    ignored). Day-of-month and day-of-week combine as in cron: when both are restricted, either
    matches. A window that fires once a day at midnight (hour and minute ``0``, such as
    ``0 0 * * 0,6``) covers those whole days. Day of week 0 and 7 are Sunday.

    Examples
    --------
    >>> w = MaintenanceWindow.from_config({"name": "Business Hours", "cron": "0 9-17 * * 1-5",
    ...                                    "blocked_operations": ["major_upgrades"]}, 0)
    >>> monday_9 = pd.Timestamp("2025-10-13 09:00")
    >>> w.blocks("major_upgrades", monday_9), w.blocks("minor_upgrades", monday_9)
    (True, False)
    >>> q = MaintenanceWindow.from_config({"name": "Quarter-end", "cron": "0 0 28-31 3,6,9,12 *",
    ...                                    "blocked_operations": ["all_upgrades"]}, 1)
    >>> [q.blocks("patch_upgrades", pd.Timestamp(t)) for t in ("2025-12-29 15:00", "2025-12-27 15:00")]
    [True, False]
    """

    name: str
    cron: str
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int] | None
    days_of_week: frozenset[int] | None
    blocked: tuple[str, ...]
    timezone: str = "UTC"

    @classmethod
    def from_config(cls, entry: Any, index: int, file: str = _POLICY_FILE) -> MaintenanceWindow:
        """Parse one ``maintenance_windows.windows[i]`` entry."""
        where = f"maintenance_windows.windows[{index}]"
        if not isinstance(entry, Mapping):
            raise InputError(file, where, "a mapping with name, cron, blocked_operations", type(entry).__name__)
        cron = entry.get("cron")
        if not isinstance(cron, str) or len(cron.split()) != 5:
            raise InputError(file, f"{where}.cron", "a five-field cron expression", repr(cron))
        minute, hour, dom, month, dow = cron.split()
        blocked = entry.get("blocked_operations") or []
        if not isinstance(blocked, list) or not all(isinstance(b, str) for b in blocked):
            raise InputError(file, f"{where}.blocked_operations", "a list of operation names", repr(blocked))
        fld = f"{where}.cron"
        _parse_cron_field(minute, 0, 59, file, fld)
        hours = _parse_cron_field(hour, 0, 23, file, fld)
        if hour.strip() == "0" and minute.strip() == "0":
            hours = frozenset(range(24))
        days = None if dow == "*" else frozenset({0 if d == 7 else d for d in _parse_cron_field(dow, 0, 7, file, fld)})
        tz = entry.get("timezone") or "UTC"
        _tz(str(tz), file, f"{where}.timezone")
        return cls(
            name=str(entry.get("name") or f"window {index + 1}"),
            cron=cron,
            hours=hours,
            days_of_month=None if dom == "*" else _parse_cron_field(dom, 1, 31, file, fld),
            months=None if month == "*" else _parse_cron_field(month, 1, 12, file, fld),
            days_of_week=days,
            blocked=tuple(str(b) for b in blocked),
            timezone=str(tz),
        )

    def covers(self, local: pd.Timestamp) -> bool:
        """Whether the window covers that local time."""
        if local.hour not in self.hours:
            return False
        if self.months is not None and local.month not in self.months:
            return False
        dom_ok = self.days_of_month is not None and local.day in self.days_of_month
        dow_ok = self.days_of_week is not None and (local.weekday() + 1) % 7 in self.days_of_week
        if self.days_of_month is None and self.days_of_week is None:
            return True
        if self.days_of_month is None:
            return dow_ok
        if self.days_of_week is None:
            return dom_ok
        return dom_ok or dow_ok

    def blocks(self, operation: str, local: pd.Timestamp) -> bool:
        """Whether the window blocks ``operation`` at that local time."""
        blocked = operation in self.blocked or "all_upgrades" in self.blocked or "all" in self.blocked
        return blocked and self.covers(local)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "cron": self.cron,
            "blocked_operations": list(self.blocked),
            "timezone": self.timezone,
        }


def _tz(name: str, file: str, fld: str) -> Any:
    if name.upper() == "UTC":
        return "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(file, fld, "an IANA time zone name such as UTC or Europe/Berlin", repr(name)) from None


@dataclass(frozen=True)
class PlanPolicy:
    """Every rule of the remediation plan, with the runbook's and upgrade-policies.yaml's defaults.

    Build it from a workspace with :func:`plan_policy_from_config`; tweak it with
    :func:`dataclasses.replace`.

    Parameters
    ----------
    response_days : mapping
        Severity -> days from ``as_of`` to the due date (high 7, medium 30, low 14 = next sprint).
    auto_enabled : mapping
        Update type -> ``auto_upgrade.<type>.enabled`` (patch True, minor True, major False).
    descriptions : mapping
        Update type -> ``auto_upgrade.<type>.description`` (quoted in automation reasons).
    require_tests, require_review : mapping
        Update type -> ``auto_upgrade.<type>.require_tests`` / ``require_review``.
    max_services_per_pr : mapping
        Update type -> services one pull request may touch (patch 10, minor 5, major 1).
    testing : mapping
        Update type -> ``testing_requirements.<type>`` flags (run_unit_tests, run_integration_tests,
        run_e2e_tests, require_test_coverage).
    automated_min_quality, approval_min_quality : float
        Quality score needed for ``automated`` (70) and ``approval`` (80).
    approval_max_minors : int
        Most minors an ``approval`` upgrade may skip (3).
    allowed_days : tuple of int
        ``scheduling.allowed_days``, 0 = Sunday (Monday to Friday).
    business_hours : tuple of (int, int)
        ``scheduling.business_hours`` start and end hour (9, 17), in ``business_timezone``.
    max_concurrent_prs : int
        Pull requests opened per day at most (3).
    windows : tuple of MaintenanceWindow
        ``maintenance_windows.windows``.
    severity_weights, advisory_exposure : mapping
        ``S`` and the advisory-severity exposure of the priority formula.
    monitor_days : int
        Days after deployment to re-check drift (7).
    notice_days : int
        Allowed days before a wave starts to notify the teams (2).
    auto_rollback : bool
        ``rollback.auto_rollback``; rollback_triggers the triggers set to true.
    channels : mapping
        ``notifications.channels`` (auto_upgrades, manual_reviews, failures).
    dependents_listed : int
        Dependents an item names, nearest first, with their why-paths (20); its blast radius counts
        them all, and ``meta254 impact --change service:NAME`` lists every one.
    source : str
        Where the upgrade policy came from.

    Examples
    --------
    >>> p = PlanPolicy()
    >>> p.response_days["medium"], p.auto_enabled["major"], p.max_services_per_pr["minor"]
    (30, False, 5)
    >>> print(p.priority_formula())  # doctest: +NORMALIZE_WHITESPACE
    priority = S[severity] × (1 + E) × (1 + ln(1 + W)); S: high 4, medium 2, low 1;
    E = 1 − ∏(1 − epss) over the item's advisories with EPSS, else advisory severity
    (critical 1, high 0.75, medium 0.5, low 0.25, unknown 0.5), 0 without advisory;
    W = weighted blast radius of the service
    """

    response_days: Mapping[str, int] = field(default_factory=lambda: _frozen({"high": 7, "medium": 30, "low": 14}))
    auto_enabled: Mapping[str, bool] = field(
        default_factory=lambda: _frozen({"patch": True, "minor": True, "major": False})
    )
    descriptions: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    require_tests: Mapping[str, bool] = field(
        default_factory=lambda: _frozen({"patch": False, "minor": True, "major": True})
    )
    require_review: Mapping[str, bool] = field(
        default_factory=lambda: _frozen({"patch": False, "minor": False, "major": True})
    )
    max_services_per_pr: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"patch": 10, "minor": 5, "major": 1})
    )
    testing: Mapping[str, Mapping[str, bool]] = field(
        default_factory=lambda: _frozen(
            {
                "patch": _frozen({"run_unit_tests": True, "run_integration_tests": False, "run_e2e_tests": False}),
                "minor": _frozen({"run_unit_tests": True, "run_integration_tests": True, "run_e2e_tests": False}),
                "major": _frozen({"run_unit_tests": True, "run_integration_tests": True, "run_e2e_tests": True}),
            }
        )
    )
    automated_min_quality: float = 70.0
    approval_min_quality: float = 80.0
    approval_max_minors: int = 3
    allowed_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    business_hours: tuple[int, int] = (9, 17)
    business_timezone: str = "UTC"
    max_concurrent_prs: int = 3
    windows: tuple[MaintenanceWindow, ...] = ()
    severity_weights: Mapping[str, float] = field(default_factory=lambda: _frozen({"high": 4, "medium": 2, "low": 1}))
    advisory_exposure: Mapping[str, float] = field(default_factory=lambda: _frozen(_ADVISORY_EXPOSURE))
    monitor_days: int = 7
    notice_days: int = 2
    auto_rollback: bool = False
    rollback_triggers: tuple[str, ...] = ("test_failures", "deployment_failures", "health_check_failures")
    channels: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    dependents_listed: int = 20
    source: str = "defaults (no config/upgrade-policies.yaml)"

    def __post_init__(self) -> None:
        for s in SEVERITIES:
            v = self.response_days.get(s)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ParameterError(f"response_days[{s!r}] must be an integer >= 0, found {v!r}")
        if not self.allowed_days:
            raise ParameterError("allowed_days must name at least one day (0 = Sunday .. 6 = Saturday)")
        if self.max_concurrent_prs < 1:
            raise ParameterError(f"max_concurrent_prs must be >= 1, found {self.max_concurrent_prs}")
        n = self.dependents_listed
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ParameterError(f"dependents_listed must be an integer >= 0, found {self.dependents_listed!r}")

    def priority_formula(self) -> str:
        """The priority formula with the weights written in."""
        s = ", ".join(f"{k} {self.severity_weights[k]:g}" for k in SEVERITIES)
        e = ", ".join(f"{k} {v:g}" for k, v in self.advisory_exposure.items())
        return (
            f"priority = S[severity] × (1 + E) × (1 + ln(1 + W)); S: {s}; "
            "E = 1 − ∏(1 − epss) over the item's advisories with EPSS, else advisory severity "
            f"({e}), 0 without advisory; W = weighted blast radius of the service"
        )

    def priority(self, severity: str, exposure: float, weighted_blast_radius: float) -> float:
        """The priority of one item (rounded to 3 decimals).

        Examples
        --------
        >>> PlanPolicy().priority("medium", 0.0, 0.0), PlanPolicy().priority("high", 0.75, 1.0)
        (2.0, 11.852)
        """
        s = float(self.severity_weights.get(severity, 1.0))
        w = max(float(weighted_blast_radius or 0.0), 0.0)
        return round(s * (1.0 + float(exposure or 0.0)) * (1.0 + math.log1p(w)), 3)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return {
            "source": self.source,
            "response_days": dict(self.response_days),
            "auto_upgrade": {
                t: {
                    "enabled": bool(self.auto_enabled.get(t, False)),
                    "require_tests": bool(self.require_tests.get(t, False)),
                    "require_review": bool(self.require_review.get(t, False)),
                    "max_services_per_pr": int(self.max_services_per_pr.get(t, 1)),
                }
                for t in ("patch", "minor", "major")
            },
            "quality": {
                "automated_min": self.automated_min_quality,
                "approval_min": self.approval_min_quality,
                "approval_max_minors": self.approval_max_minors,
            },
            "scheduling": {
                "allowed_days": list(self.allowed_days),
                "business_hours": [self.business_hours[0], self.business_hours[1]],
                "business_timezone": self.business_timezone,
                "max_concurrent_prs": self.max_concurrent_prs,
                "maintenance_windows": [w.as_dict() for w in self.windows],
            },
            "priority_formula": self.priority_formula(),
            "monitor_days": self.monitor_days,
            "notice_days": self.notice_days,
            "rollback": {"auto_rollback": self.auto_rollback, "triggers": list(self.rollback_triggers)},
            "dependents_listed": self.dependents_listed,
        }


def _hour(value: Any, file: str, fld: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        # YAML 1.1 reads an unquoted 09:00 as the sexagesimal integer 540 (minutes)
        return value // 60 if value >= 24 else value
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", str(value).strip()) if value is not None else None
    if not m or int(m.group(1)) > 24:
        raise InputError(file, fld, "a time HH:MM", repr(value))
    return int(m.group(1))


def plan_policy_from_config(
    upgrade_policies: Mapping[str, Any] | None,
    response_days: Mapping[str, int] | None = None,
    *,
    file: str = _POLICY_FILE,
) -> PlanPolicy:
    """The plan policy of a workspace: defaults, then ``config/upgrade-policies.yaml``.

    Parameters
    ----------
    upgrade_policies : mapping or None
        Parsed upgrade-policies.yaml (``{}`` or None when absent: the defaults, which equal the
        platform's committed file).
    response_days : mapping, optional
        Severity -> days; pass the drift policy's ``slo_days`` so due dates and SLOs agree.

    Raises
    ------
    InputError
        When a key has a value of the wrong kind, naming the file and the field.

    Examples
    --------
    >>> p = plan_policy_from_config({"auto_upgrade": {"minor": {"enabled": False, "max_services_per_pr": 2}},
    ...                              "scheduling": {"allowed_days": [1, 3]}})
    >>> p.auto_enabled["minor"], p.max_services_per_pr["minor"], p.allowed_days
    (False, 2, (1, 3))
    >>> plan_policy_from_config({"auto_upgrade": {"patch": True}}).auto_enabled["patch"]
    True
    >>> plan_policy_from_config({"scheduling": {"allowed_days": ["monday"]}})
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: config/upgrade-policies.yaml: scheduling.allowed_days: expected a list of \
day numbers 0 (Sunday) to 6 (Saturday), found ['monday']
    """
    base = PlanPolicy()
    kw: dict[str, Any] = {}
    if response_days:
        kw["response_days"] = _frozen({**base.response_days, **{k: int(v) for k, v in response_days.items()}})
    doc = upgrade_policies or {}
    if not isinstance(doc, Mapping):
        raise InputError(file, "", "a mapping", type(doc).__name__)
    if not doc:
        return replace(base, **kw)
    kw["source"] = file

    def mapping(value: Any, fld: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise InputError(file, fld, "a mapping", type(value).__name__)
        return value

    def flag(value: Any, fld: str) -> bool:
        if not isinstance(value, bool):
            raise InputError(file, fld, "true or false", repr(value))
        return value

    def count(value: Any, fld: str, lo: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise InputError(file, fld, f"an integer >= {lo}", repr(value))
        return value

    auto = mapping(doc.get("auto_upgrade"), "auto_upgrade")
    enabled, desc = dict(base.auto_enabled), {}
    tests, review, per_pr = dict(base.require_tests), dict(base.require_review), dict(base.max_services_per_pr)
    for t in ("patch", "minor", "major"):
        if t not in auto:
            continue
        entry = auto[t]
        fld = f"auto_upgrade.{t}"
        if isinstance(entry, bool):  # the shape the platform's scripts assume
            enabled[t] = entry
            continue
        entry = mapping(entry, fld)
        if "enabled" in entry:
            enabled[t] = flag(entry["enabled"], f"{fld}.enabled")
        if "require_tests" in entry:
            tests[t] = flag(entry["require_tests"], f"{fld}.require_tests")
        if "require_review" in entry:
            review[t] = flag(entry["require_review"], f"{fld}.require_review")
        if "max_services_per_pr" in entry:
            per_pr[t] = count(entry["max_services_per_pr"], f"{fld}.max_services_per_pr")
        if entry.get("description") is not None:
            desc[t] = str(entry["description"]).strip()
    kw.update(
        auto_enabled=_frozen(enabled),
        descriptions=_frozen(desc),
        require_tests=_frozen(tests),
        require_review=_frozen(review),
        max_services_per_pr=_frozen(per_pr),
    )
    testing_doc = mapping(doc.get("testing_requirements"), "testing_requirements")
    testing = {t: dict(v) for t, v in base.testing.items()}
    for t in ("patch", "minor", "major"):
        for k, v in mapping(testing_doc.get(t), f"testing_requirements.{t}").items():
            testing[t][str(k)] = flag(v, f"testing_requirements.{t}.{k}")
    kw["testing"] = _frozen({t: _frozen(v) for t, v in testing.items()})

    sched = mapping(doc.get("scheduling"), "scheduling")
    if "allowed_days" in sched:
        days = sched["allowed_days"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 7 for d in days)
        ):
            raise InputError(file, "scheduling.allowed_days", "a list of day numbers 0 (Sunday) to 6 (Saturday)", days)
        kw["allowed_days"] = tuple(sorted({0 if d == 7 else d for d in days}))
    if "max_concurrent_prs" in sched:
        kw["max_concurrent_prs"] = count(sched["max_concurrent_prs"], "scheduling.max_concurrent_prs")
    bh = mapping(sched.get("business_hours"), "scheduling.business_hours")
    if bh:
        start = _hour(bh.get("start", "09:00"), file, "scheduling.business_hours.start")
        end = _hour(bh.get("end", "17:00"), file, "scheduling.business_hours.end")
        if end <= start:
            raise InputError(file, "scheduling.business_hours.end", f"a time after the start ({start:02d}:00)", end)
        kw["business_hours"] = (start, end)
        tz = str(bh.get("timezone") or "UTC")
        _tz(tz, file, "scheduling.business_hours.timezone")
        kw["business_timezone"] = tz
    mw = mapping(doc.get("maintenance_windows"), "maintenance_windows")
    windows = mw.get("windows") or []
    if not isinstance(windows, list):
        raise InputError(file, "maintenance_windows.windows", "a list of windows", type(windows).__name__)
    kw["windows"] = tuple(MaintenanceWindow.from_config(w, i, file) for i, w in enumerate(windows))
    rb = mapping(doc.get("rollback"), "rollback")
    if "auto_rollback" in rb:
        kw["auto_rollback"] = flag(rb["auto_rollback"], "rollback.auto_rollback")
    triggers = mapping(rb.get("triggers"), "rollback.triggers")
    if triggers:
        kw["rollback_triggers"] = tuple(sorted(str(k) for k, v in triggers.items() if v is True))
    notif = mapping(doc.get("notifications"), "notifications")
    channels = mapping(notif.get("channels"), "notifications.channels")
    kw["channels"] = _frozen({str(k): str(v) for k, v in sorted(channels.items()) if v is not None})
    return replace(base, **kw)


# =============================================================================================
# Versions: registry targets and security fixes
# =============================================================================================


@dataclass(frozen=True)
class _SpecVersion:
    semver: SemVer
    text: str
    tags: tuple[str, ...]
    deprecated: bool
    removed: bool


def _spec_index(spec_versions: pd.DataFrame | None) -> dict[str, tuple[_SpecVersion, ...]]:
    if spec_versions is None or len(spec_versions) == 0:
        return {}
    out: dict[str, list[_SpecVersion]] = {}
    cols = ["spec", "version", "changes", "deprecated", "removed"]
    for spec, text, changes, dep, rem in spec_versions.reindex(columns=cols).itertuples(index=False, name=None):
        sv = parse_version(text)
        if sv is None or not isinstance(spec, str):
            continue
        tags = tuple(sorted({t.strip() for t in changes.split(",") if t.strip()})) if isinstance(changes, str) else ()
        out.setdefault(spec, []).append(_SpecVersion(sv, str(text), tags, dep is True, rem is True))
    return {s: tuple(sorted(v, key=lambda x: x.semver.key)) for s, v in sorted(out.items())}


def _update_type(current: SemVer, target: SemVer) -> str:
    if target.major != current.major:
        return "major"
    if target.minor != current.minor:
        return "minor"
    return "patch"


def policy_target(
    current: str,
    versions: Sequence[str | tuple[str, Sequence[str], bool]],
    policy: PlanPolicy | None = None,
    *,
    beyond_auto: bool = False,
) -> tuple[str, str, str]:
    """The target of a spec upgrade: the latest version the upgrade policy upgrades automatically.

    Parameters
    ----------
    current : str
        The pinned version.
    versions : sequence
        The registry's versions: plain strings, or ``(version, change tags, unusable)`` where unusable
        marks a deprecated or removed version. Pre-releases, unusable versions and versions not above
        ``current`` are never targets.
    policy : PlanPolicy, optional
    beyond_auto : bool
        The issue needs more than the policy upgrades automatically (a major or breaking lag): the
        target is then the latest version, and the automatic step is the alternative.

    Returns
    -------
    (target, alternative, reason)
        ``target`` is ``""`` when nothing newer is usable.

    Examples
    --------
    >>> policy_target("1.0.0", ["1.1.0", "1.2.0", "2.0.0"])
    ('1.2.0', '2.0.0 (latest; major: auto_upgrade.major.enabled is false)', \
'latest version the upgrade policy upgrades automatically (minor)')
    >>> policy_target("1.0.0", ["1.1.0", "2.0.0"], beyond_auto=True)[:2]
    ('2.0.0', '1.1.0 (the latest automatic minor step; leaves the major lag open)')
    >>> policy_target("1.2.0", ["1.2.0"])
    ('', '', 'no usable registry version above 1.2.0')
    """
    policy = policy or PlanPolicy()
    cur = parse_version(current)
    if cur is None:
        return "", "", f"current version {current!r} does not parse"
    cands: list[tuple[SemVer, str]] = []
    for v in versions:
        text, unusable = (v, False) if isinstance(v, str) else (v[0], bool(v[2]))
        sv = parse_version(text)
        if sv is None or sv.prerelease or unusable or not cur < sv:
            continue
        cands.append((sv, sv.text))
    if not cands:
        return "", "", f"no usable registry version above {cur.text}"
    cands.sort(key=lambda c: c[0].key)
    latest = cands[-1]
    auto = [c for c in cands if policy.auto_enabled.get(_update_type(cur, c[0]), False)]
    best = auto[-1] if auto else None
    if beyond_auto or best is None:
        alt = ""
        if best is not None and best[1] != latest[1]:
            kind = _update_type(cur, best[0])
            alt = f"{best[1]} (the latest automatic {kind} step; leaves the {_update_type(cur, latest[0])} lag open)"
        why = "latest registry version (the issue needs it)" if beyond_auto else "latest registry version"
        if best is None:
            why += f"; the upgrade policy upgrades no {_update_type(cur, latest[0])} release automatically"
        return latest[1], alt, why
    kind = _update_type(cur, best[0])
    reason = f"latest version the upgrade policy upgrades automatically ({kind})"
    alt = ""
    if best[1] != latest[1]:
        lk = _update_type(cur, latest[0])
        alt = f"{latest[1]} (latest; {lk}: auto_upgrade.{lk}.enabled is false)"
    return best[1], alt, reason


def lowest_fixed_version(
    current: str,
    advisories: Iterable[Mapping[str, Any]],
    known_versions: Iterable[str] = (),
) -> tuple[str, str]:
    """The lowest version above ``current`` that no advisory of the package affects.

    Candidates are every ``fixed`` bound of every advisory of the package plus the ``known_versions``
    (the spec registry's). Because ranges may overlap, a version that fixes one advisory can still be
    inside another's range; the answer is the lowest candidate outside *all* of them.

    Parameters
    ----------
    current : str
        The pinned version.
    advisories : iterable of mapping
        ``ADVISORIES`` rows of one package: ``advisory_id``, ``intervals`` (tuples of introduced,
        fixed, last_affected), ``versions``.
    known_versions : iterable of str
        Other versions that exist (spec registry).

    Returns
    -------
    (version, reason)
        ``version`` is ``""`` when no candidate is safe.

    Examples
    --------
    >>> advs = [{"advisory_id": "A", "intervals": (("1.0.0", "1.4.0", ""),), "versions": ()},
    ...         {"advisory_id": "B", "intervals": (("1.3.0", "1.5.2", ""),), "versions": ()},
    ...         {"advisory_id": "C", "intervals": (("0", "1.2.0", ""),), "versions": ()}]
    >>> lowest_fixed_version("1.1.0", advs)
    ('1.5.2', 'lowest version outside the ranges of A, B, C (candidates checked: 1.2.0, 1.4.0, 1.5.2)')
    >>> lowest_fixed_version("3.4", [{"advisory_id": "K", "intervals": (("3.4.0", "", "3.4.1"),)}])
    ('', 'no fixed version published for K (last affected 3.4.1)')
    """
    cur = parse_version(current)
    advs = sorted(
        ({"id": str(a.get("advisory_id", "")), **dict(a)} for a in advisories),
        key=lambda a: a["id"],
    )
    if cur is None:
        return "", f"current version {current!r} does not parse"

    def tup(v: Any) -> tuple:
        return tuple(v) if isinstance(v, (tuple, list)) else ()

    cands: dict[tuple, SemVer] = {}
    last_affected: list[str] = []
    for a in advs:
        for _intro, fixed, last in tup(a.get("intervals")):
            p = parse_version(fixed) if fixed else None
            if p is not None and not p.prerelease:
                cands.setdefault(p.key, p)
            if last:
                last_affected.append(str(last))
    for k in known_versions:
        p = parse_version(k)
        if p is not None and not p.prerelease:
            cands.setdefault(p.key, p)
    ids = ", ".join(a["id"] for a in advs)
    checked = []
    for key in sorted(cands):
        c = cands[key]
        if not cur < c:
            continue
        checked.append(c.text)
        if not any(in_osv_range(c, tup(a.get("intervals")), tup(a.get("versions"))) for a in advs):
            return c.text, f"lowest version outside the ranges of {ids} (candidates checked: {', '.join(checked)})"
    if last_affected:
        return "", f"no fixed version published for {ids} (last affected {', '.join(sorted(set(last_affected)))})"
    return "", f"no fixed version published for {ids}"


# =============================================================================================
# Manifest edit, lock proposal, commands
# =============================================================================================


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], key_idx: int) -> int:
    k = _indent(lines[key_idx])
    j = key_idx + 1
    while j < len(lines):
        s = lines[j].strip()
        if s and not s.startswith("#"):
            ind = _indent(lines[j])
            if ind < k or (ind == k and not s.startswith("-")):
                break
        j += 1
    return j


def _find_key(lines: list[str], start: int, end: int, key: str, indent: int | None) -> int | None:
    pat = re.compile(rf"^(\s*){re.escape(key)}\s*:(\s.*)?$")
    for i in range(start, end):
        m = pat.match(lines[i])
        if m and (indent is None or len(m.group(1)) == indent):
            return i
    return None


def _same_pin(value: str, old: str) -> bool:
    if value == old:
        return True
    vn, _, vv = value.rpartition("@")
    on, _, ov = old.rpartition("@")
    if not vn or vn != on:
        return False
    a, b = parse_version(vv), parse_version(ov)
    return a is not None and b is not None and a == b and (a.text == vv or b.text == ov)


def manifest_diff(text: str, section: str, old: str, new: str, file: str = "service-manifest.yaml") -> str:
    """Unified diff of the manifest edit that changes the one list entry ``old`` into ``new``.

    Parameters
    ----------
    text : str
        The manifest's YAML text.
    section : str
        ``api_contracts`` or ``dependencies.external`` (a dotted path of mapping keys to a list).
    old, new : str
        The entry as written now (``gateway-core@1.0.0``) and as it should be.
    file : str
        Path shown in the ``---``/``+++`` headers (``a/`` and ``b/`` are prefixed).

    Returns
    -------
    str
        The diff (ending with a newline), or ``""`` when the entry is not in that list. Quotes and
        trailing comments on the line are kept; nothing else changes.

    Examples
    --------
    >>> yml = "name: gateway\\napi_contracts:\\n- gateway-core@1.0.0\\n- 'auth-spec@3.0.0'  # auth\\nversion: 0.1.0\\n"
    >>> print(manifest_diff(yml, "api_contracts", "auth-spec@3.0.0", "auth-spec@3.1.0"), end="")
    --- a/service-manifest.yaml
    +++ b/service-manifest.yaml
    @@ -1,5 +1,5 @@
     name: gateway
     api_contracts:
     - gateway-core@1.0.0
    -- 'auth-spec@3.0.0'  # auth
    +- 'auth-spec@3.1.0'  # auth
     version: 0.1.0
    >>> manifest_diff(yml, "api_contracts", "nope@1.0.0", "nope@2.0.0")
    ''
    """
    lines = text.splitlines()
    start, end, indent = 0, len(lines), 0
    key_idx = None
    for key in section.split("."):
        key_idx = _find_key(lines, start, end, key, indent)
        if key_idx is None:
            return ""
        start, end, indent = key_idx + 1, _block_end(lines, key_idx), None
    assert key_idx is not None
    new_lines = list(lines)
    line = lines[key_idx]
    value = line.split(":", 1)[1]
    hit = None
    if value.strip().startswith("["):  # flow style on the key line
        m = re.search(r"\[(.*)\]", value)
        if m:
            for tok in m.group(1).split(","):
                bare = tok.strip().strip("'\"")
                if _same_pin(bare, old):
                    head, _, rest = line.partition(":")
                    new_lines[key_idx] = head + ":" + rest.replace(bare, new, 1)
                    hit = key_idx
                    break
    else:
        item = re.compile(r"^(\s*-\s*)(['\"]?)([^'\"#\s]+)\2(\s*(?:#.*)?)$")
        for i in range(start, end):
            m = item.match(lines[i])
            if m and _indent(lines[i]) >= _indent(lines[key_idx]) and _same_pin(m.group(3), old):
                new_lines[i] = f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(4)}"
                hit = i
                break
    if hit is None:
        return ""
    diff = difflib.unified_diff(lines, new_lines, fromfile=f"a/{file}", tofile=f"b/{file}", lineterm="")
    return "\n".join(diff) + "\n"


def propose_lock(
    pins: Mapping[str, str],
    changes: Mapping[str, str] | None = None,
    existing: Mapping[str, Mapping[str, Any]] | None = None,
    resolved_at: str = "",
) -> str:
    """A proposed ``specs.lock.json``: every pin of the service, with the changed ones moved.

    Entries whose version is unchanged keep the existing lock's ``resolved_at`` and ``integrity``;
    new or moved entries get ``resolved_at`` and no ``integrity`` (the resolver computes it; check it
    before committing).

    Examples
    --------
    >>> print(propose_lock({"gateway-core": "1.0.0"}, {"gateway-core": "1.2.0"}, resolved_at="2025-10-10T00:00:00Z"))
    {
      "dependencies": {
        "gateway-core": {
          "resolved_at": "2025-10-10T00:00:00Z",
          "version": "1.2.0"
        }
      },
      "version": "1.0"
    }
    """
    changes = changes or {}
    existing = existing or {}
    deps: dict[str, dict[str, Any]] = {}
    for spec in sorted(set(pins) | set(changes)):
        version = changes.get(spec, pins.get(spec, ""))
        old = existing.get(spec) or {}
        entry: dict[str, Any] = {"version": version}
        pv, ov = parse_version(version), parse_version(_text(old.get("version")))
        if old and pv is not None and ov is not None and pv == ov and spec not in changes:
            for k in ("resolved_at", "integrity"):
                if _text(old.get(k)):
                    entry[k] = _text(old.get(k))
        else:
            entry["resolved_at"] = resolved_at
        deps[spec] = entry
    return json.dumps({"version": "1.0", "dependencies": deps}, indent=2, sort_keys=True, ensure_ascii=False)


def runtime_commands(runtime: str, ecosystem: str, package: str, version: str) -> tuple[tuple[str, ...], str]:
    """Package-manager commands for a security fix, and a note.

    The commands are those of the service's runtime (runbook 3.1): ``pip install --upgrade pkg==X``
    then ``pip freeze``, ``npm install pkg@X`` then ``npm audit fix``, ``go get mod@vX`` then
    ``go mod tidy``, or Maven's ``versions:use-dep-version``. They are given when the advisory names a
    language ecosystem (PyPI, npm, Go, Maven); when that ecosystem belongs to another runtime than the
    service's, the ecosystem's tool is used and the note says so. Other ecosystems (container images,
    the spec registry) get no command: the manifest pin is the change.

    Examples
    --------
    >>> runtime_commands("python", "PyPI", "requests", "2.32.4")
    (('pip install --upgrade requests==2.32.4', 'pip freeze > requirements.txt'), '')
    >>> runtime_commands("go", "Go", "golang.org/x/net", "0.38.0")[0]
    ('go get golang.org/x/net@v0.38.0', 'go mod tidy')
    >>> runtime_commands("python", "Bitnami", "redis", "7.0.16")
    ((), 'ecosystem Bitnami is not a python package ecosystem: upgrade redis to 7.0.16 where it is deployed')
    """
    if not ecosystem or not version:
        return (), ""
    eco_runtime = _ECOSYSTEM_RUNTIME.get(ecosystem.strip().lower())
    if eco_runtime is None:
        return (), (
            f"ecosystem {ecosystem} is not a {runtime or 'language'} package ecosystem: "
            f"upgrade {package} to {version} where it is deployed"
        )
    note = ""
    if eco_runtime != runtime:
        note = f"the advisory's ecosystem {ecosystem} belongs to {eco_runtime}, not the service's runtime {runtime}"
    v = version[1:] if eco_runtime == "go" and version.startswith("v") else version
    first, second = _RUNTIME_UPGRADE[eco_runtime]
    # package and version come from advisories: quoted for the shell (unchanged for ordinary names)
    pkg, v = shlex.quote(package), shlex.quote(v)
    return (first.format(pkg=pkg, v=v), second.format(pkg=pkg, v=v)), note


# =============================================================================================
# Inputs
# =============================================================================================


@dataclass(frozen=True)
class PlanInputs:
    """Everything :func:`build_plan` reads. Optional tables default to empty.

    Parameters
    ----------
    issues : DataFrame
        :data:`~meta254lib.core.schema.DRIFT_ISSUES` rows of one drift run (exempt ones included).
    services : DataFrame
        ``SERVICES`` (team, team_contact, version, maturity, runtime, coverage, path).
    graph : networkx.DiGraph, optional
        The workspace graph (edges dependent -> dependency with ``relations``); default: the services
        as isolated nodes.
    contracts, spec_versions, advisories, lockfiles, teams : DataFrame, optional
        ``CONTRACTS``, ``SPEC_VERSIONS``, ``ADVISORIES``, ``LOCKFILES``, ``TEAMS``.
    quality : Series, optional
        service -> implemented quality score at as_of.
    quality_metrics : DataFrame, optional
        The latest ``QUALITY_HISTORY`` row per service (for the expected-score projection).
    quality_params : ScoringParams, optional
    manifests : mapping, optional
        service -> (collected manifest file, its text).
    escalation : mapping, optional
        ``L1``/``L2``/``L3`` -> ``{name, contact}`` (teams.yaml), default the runbook's.
    policy : PlanPolicy, optional
    workspace : str
        How to name the workspace in commands (``meta254 drift --workspace ...``).
    notes : tuple of str
        What was missing from the inputs and what that means.
    """

    issues: pd.DataFrame
    services: pd.DataFrame
    graph: nx.DiGraph | None = None
    contracts: pd.DataFrame | None = None
    spec_versions: pd.DataFrame | None = None
    advisories: pd.DataFrame | None = None
    lockfiles: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    quality: pd.Series | None = None
    quality_metrics: pd.DataFrame | None = None
    quality_params: Any = None
    manifests: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    escalation: Mapping[str, Mapping[str, str]] | None = None
    policy: PlanPolicy | None = None
    workspace: str = "."
    notes: tuple[str, ...] = ()

    @classmethod
    def from_workspace(cls, ws: Any, as_of: Any = None, *, workspace: str | None = None) -> PlanInputs:
        """Run drift detection on an open workspace and collect every input of the plan."""
        from ..drift.engine import detect_drift, policy_from_config
        from ..quality.scores import ScoringParams, latest_scores

        when = ws.resolve_as_of(as_of)
        drift = detect_drift(ws, as_of=when)
        params = ScoringParams.from_config(ws.thresholds, ws.rules)
        qh = ws.quality_history
        notes = []
        quality = None
        metrics = None
        if len(qh):
            scores = latest_scores(qh, "implemented", params, as_of=when)
            if len(scores):
                quality = scores.set_index("service")["score"]
                h = qh[qh["snapshot_time"] <= when].sort_values(["snapshot_time", "service"], kind="stable")
                metrics = h.drop_duplicates("service", keep="last").reset_index(drop=True)
        if quality is None:
            notes.append(
                "no quality snapshot at or before as_of: automation needs a score, so version items are manual"
            )
        for row in drift.not_assessed.itertuples(index=False):
            notes.append(f"not assessed by drift detection: {row.check} ({row.reason})")
        manifests: dict[str, tuple[str, str]] = {}
        if ws.has_input("manifests"):
            for svc, rel in ws.manifests[["service", "file"]].itertuples(index=False, name=None):
                if isinstance(svc, str) and isinstance(rel, str) and svc not in manifests:
                    path = ws.root / rel
                    if path.is_file():
                        manifests[svc] = (rel, path.read_text(encoding="utf-8"))
        upgrade = ws.upgrade_policies
        if not upgrade:
            notes.append("no config/upgrade-policies.yaml: the platform's default policy is used")
        slo = policy_from_config(ws.thresholds, ws.rules).slo_days
        return cls(
            issues=drift.issues,
            services=ws.services,
            graph=ws.graph,
            contracts=ws.contracts,
            spec_versions=ws.spec_versions if ws.has_input("spec_registry") else None,
            advisories=ws.advisories if ws.has_input("advisories") else None,
            lockfiles=ws.lockfiles if ws.has_input("lockfiles") else None,
            teams=ws.teams,
            quality=quality,
            quality_metrics=metrics,
            quality_params=params,
            manifests=manifests,
            escalation=ws.escalation,
            policy=plan_policy_from_config(upgrade, slo),
            workspace=str(workspace if workspace is not None else ws.root),
            notes=tuple(notes),
        )


# =============================================================================================
# Grouping and per-item facts
# =============================================================================================


def _group_key(row: Mapping[str, Any]) -> tuple[str, str]:
    t, subject = row["type"], _text(row["subject"])
    if t in _SECURITY_TYPES or row.get("category") == "Security Vulnerabilities":
        return "security", subject
    if t in _PIN_TYPES:
        return "pin", subject
    if t == "unknown_event":
        return "events", ""
    return t, subject


def _item_id(service: str, kind: str, subject: str) -> str:
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

    def pol(t: str) -> str:
        d = policy.descriptions.get(t)
        flags = (
            f"require_tests: {str(policy.require_tests.get(t, False)).lower()}, "
            f"require_review: {str(policy.require_review.get(t, False)).lower()}"
        )
        quoted = f' ("{d}"; {flags})' if d else f" ({flags})"
        return f"{policy.source} auto_upgrade.{t}.enabled: {str(bool(policy.auto_enabled.get(t))).lower()}{quoted}"

    q_text = "no quality score" if quality is None or pd.isna(quality) else f"quality score {int(quality)}"
    if breaking or update_type == "major":
        what = "a major upgrade" if update_type == "major" else "a change over breaking releases"
        return "manual", (
            f"manual: {move} is {what}; the runbook sends major and breaking changes to manual review "
            f"(L3 Architecture Team); {pol('major')}"
        )
    if update_type == "patch":
        ok_policy = bool(policy.auto_enabled.get("patch"))
        ok_q = quality is not None and not pd.isna(quality) and quality >= policy.automated_min_quality
        if ok_policy and ok_q:
            return "automated", (
                f"automated: {move} is a patch upgrade with no breaking change; {pol('patch')}; "
                f"{service}'s {q_text} >= {policy.automated_min_quality:g} ({quality_source}); "
                "runbook: low-risk changes are remediated automatically"
            )
        why = []
        if not ok_policy:
            why.append(pol("patch"))
        if not ok_q:
            why.append(f"{service}'s {q_text} is below {policy.automated_min_quality:g} needed to automate")
        return "manual", f"manual: {move} is a patch upgrade, but " + "; ".join(why)
    ok_policy = bool(policy.auto_enabled.get("minor"))
    ok_q = quality is not None and not pd.isna(quality) and quality >= policy.approval_min_quality
    ok_dist = 1 <= minors <= policy.approval_max_minors
    if ok_policy and ok_q and ok_dist:
        return "approval", (
            f"approval: {move} is a minor upgrade ({distance}, within 1–{policy.approval_max_minors}) with no "
            f"breaking change; {pol('minor')}; {service}'s {q_text} >= {policy.approval_min_quality:g} "
            f"({quality_source}); runbook: medium-risk changes are semi-automated and need approval"
        )
    why = []
    if not ok_dist:
        why.append(f"it skips {distance or 'an unknown number of minors'}, more than {policy.approval_max_minors}")
    if not ok_policy:
        why.append(pol("minor"))
    if not ok_q:
        why.append(f"{service}'s {q_text} is below {policy.approval_min_quality:g} needed for approval")
    return "manual", f"manual: {move} is a minor upgrade, but " + "; ".join(why)


def _risk(
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


# =============================================================================================
# Scheduling
# =============================================================================================


def _sun0(day: pd.Timestamp) -> int:
    return (day.weekday() + 1) % 7


def _operation(item: Mapping[str, Any]) -> str:
    if item["security"]:
        return "security_upgrades"
    return {"major": "major_upgrades", "minor": "minor_upgrades", "patch": "patch_upgrades"}.get(
        item["update_type"], "other_changes"
    )


def _window(day: pd.Timestamp, operation: str, policy: PlanPolicy) -> tuple[list[int], str]:
    """Allowed UTC hours of ``day`` for ``operation`` and the rule that set them."""
    utc = pd.date_range(day, periods=24, freq="h")
    local: dict[str, list[pd.Timestamp]] = {}

    def hours_in(tz: str) -> list[pd.Timestamp]:
        # one conversion per time zone and day (hour h of the UTC day, seen in tz)
        if tz not in local:
            local[tz] = list(utc if tz.upper() == "UTC" else utc.tz_convert(_tz(tz, _POLICY_FILE, "timezone")))
        return local[tz]

    blocked_by: dict[int, str] = {}
    for h in range(24):
        for w in policy.windows:
            if w.blocks(operation, hours_in(w.timezone)[h]):
                blocked_by.setdefault(h, w.name)
                break
    lo, hi = policy.business_hours
    business = [h for h, t in enumerate(hours_in(policy.business_timezone)) if lo <= t.hour < hi]
    ok = [h for h in business if h not in blocked_by]
    if ok:
        rule = "business hours"
        if len(ok) < len(business):
            names = sorted({blocked_by[h] for h in business if h in blocked_by})
            rule += f" outside maintenance window(s) {', '.join(names)}"
        return ok, rule
    free = [h for h in range(24) if h not in blocked_by]
    if free:
        names = sorted({blocked_by[h] for h in business if h in blocked_by})
        return free, f"outside business hours: maintenance window(s) {', '.join(names)} block {operation} then"
    return [], "every hour is blocked"


def _fmt_hours(hours: list[int]) -> str:
    runs: list[tuple[int, int]] = []
    for h in sorted(hours):
        if runs and runs[-1][1] == h:
            runs[-1] = (runs[-1][0], h + 1)
        else:
            runs.append((h, h + 1))
    return ", ".join(f"{a:02d}:00–{b:02d}:00" for a, b in runs) + " UTC"


def _first_slot(
    start: pd.Timestamp,
    operation: str,
    policy: PlanPolicy,
    used: Mapping[pd.Timestamp, int],
    limit: int = 400,
    windows: dict[tuple[pd.Timestamp, str], tuple[list[int], str]] | None = None,
) -> tuple[pd.Timestamp, str, bool]:
    """The first allowed day from ``start`` with a free pull-request slot and an hour for ``operation``.

    ``windows`` memoises :func:`_window` across calls of one plan (a day's window never changes).
    """
    windows = {} if windows is None else windows
    day = start
    for _ in range(limit):
        if _sun0(day) in policy.allowed_days and used.get(day, 0) < policy.max_concurrent_prs:
            key = (day, operation)
            if key not in windows:
                windows[key] = _window(day, operation, policy)
            hours, rule = windows[key]
            if hours:
                return day, f"{_fmt_hours(hours)} ({rule})", True
        day = day + pd.Timedelta(days=1)
    return start, f"no allowed day within {limit} days leaves an hour for {operation}", False


def _next_allowed(day: pd.Timestamp, policy: PlanPolicy, step: int = 1) -> pd.Timestamp:
    d = day + pd.Timedelta(days=step)
    for _ in range(14):
        if _sun0(d) in policy.allowed_days:
            return d
        d = d + pd.Timedelta(days=step)
    return d


# =============================================================================================
# The plan
# =============================================================================================


@dataclass(frozen=True)
class RemediationPlan:
    """A remediation plan (see the module docstring).

    Attributes
    ----------
    items : DataFrame
        :data:`~meta254lib.core.schema.PLAN_ITEMS`, ordered by wave, priority (descending), id.
    steps : mapping
        item id -> tuple of runbook phases, each ``{"phase", "lines", "blocks"}`` where ``blocks`` are
        ``{"title", "lang", "text"}`` code blocks.
    rollback : mapping
        item id -> ``{"title", "lines", "commands"}``: the immediate-rollback recipe.
    waves, calendar, burndown, communications : DataFrame
        :data:`~meta254lib.core.schema.PLAN_WAVES`, ``PLAN_CALENDAR``, ``PLAN_BURNDOWN``, ``PLAN_COMMUNICATIONS``.
    summary : dict
    warnings, notes : tuple of str
    as_of : Timestamp
    policy : PlanPolicy
    parameters : dict
        ``team``, ``service``, ``severity_floor``, ``workspace``.
    escalation : mapping
        The escalation levels used.
    """

    items: pd.DataFrame
    steps: Mapping[str, tuple[dict[str, Any], ...]]
    rollback: Mapping[str, dict[str, Any]]
    waves: pd.DataFrame
    calendar: pd.DataFrame
    burndown: pd.DataFrame
    communications: pd.DataFrame
    summary: dict[str, Any]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    as_of: pd.Timestamp
    policy: PlanPolicy
    parameters: dict[str, Any]
    escalation: Mapping[str, Mapping[str, str]]

    def table(self) -> pd.DataFrame:
        """A compact view of the items for tables (dates as YYYY-MM-DD, tuples joined)."""
        cols = [
            "wave",
            "id",
            "service",
            "team",
            "severity",
            "escalation",
            "action",
            "subject",
            "current",
            "target",
            "automation",
            "priority",
            "due",
            "scheduled",
            "batch",
        ]
        t = self.items.reindex(columns=cols).copy()
        for c in ("due", "scheduled"):
            t[c] = t[c].map(_iso_day).astype("str")
        return t.reset_index(drop=True)

    def to_payload(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (the CLI's ``--format json``)."""
        items = []
        for rec in _records(self.items):
            rec["steps"] = [dict(s) for s in self.steps.get(rec["id"], ())]
            rec["rollback"] = dict(self.rollback.get(rec["id"], {}))
            for c in ("due", "scheduled", "recheck"):
                rec[c] = _iso_day(rec[c])
            items.append(rec)

        def dated(df: pd.DataFrame, cols: Iterable[str]) -> list[dict[str, Any]]:
            out = _records(df)
            for r in out:
                for c in cols:
                    r[c] = _iso_day(r[c])
            return out

        return {
            "as_of": self.as_of.isoformat(),
            "generator": f"meta254 {__version__}",
            "parameters": dict(self.parameters),
            "policy": self.policy.as_dict(),
            "priority_formula": self.policy.priority_formula(),
            "risk_rule": RISK_RULE,
            "escalation": {k: dict(v) for k, v in sorted(self.escalation.items())},
            "summary": self.summary,
            "items": items,
            "waves": dated(self.waves, ("start", "end")),
            "calendar": dated(self.calendar, ("date",)),
            "burndown": dated(self.burndown, ("week_end",)),
            "communications": dated(self.communications, ("notify_on",)),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """Deterministic JSON text: sorted keys, rows in plan order, no wall clock."""
        return json.dumps(self.to_payload(), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"

    def headline(self) -> str:
        """One line for the report index.

        Examples
        --------
        >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
        >>> from meta254lib.drift.engine import DriftInputs, detect_drift
        >>> svc = rec(SERVICES, [{"service": "a", "last_update": "2025-01-01"}])
        >>> build_plan(PlanInputs(detect_drift(DriftInputs(svc), as_of="2025-10-10").issues, svc)).headline()
        '1 remediation item for 1 service: 0 automated, 0 approval, 1 manual; 0 security fixes; \
backlog 1 → 0 by 2025-10-10; 0 scheduled after their due date'
        """
        s = self.summary
        a = s["by_automation"]
        n = s["items"]
        return (
            f"{n} remediation item{'s' if n != 1 else ''} for {s['services']} "
            f"service{'s' if s['services'] != 1 else ''}: "
            f"{a['automated']} automated, {a['approval']} approval, {a['manual']} manual; "
            f"{s['security_items']} security fix{'es' if s['security_items'] != 1 else ''}; backlog "
            f"{s['backlog_start']} → {s['backlog_end']} by {s['plan_end'] or _iso_day(self.as_of)}; "
            f"{s['late_items']} scheduled after their due date"
        )

    def card_services(self, limit: int | None = 10) -> list[str]:
        """Services ordered by their most urgent item (highest priority, then earliest wave), at most ``limit``.

        Examples
        --------
        >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
        >>> from meta254lib.drift.engine import DriftInputs, detect_drift
        >>> rows = [{"service": s, "last_update": d} for s, d in (("a", "2025-06-01"), ("b", "2025-01-01"))]
        >>> svc = rec(SERVICES, rows)
        >>> build_plan(PlanInputs(detect_drift(DriftInputs(svc), as_of="2025-10-10").issues, svc)).card_services()
        ['b', 'a']
        """
        if not len(self.items):
            return []
        top = self.items.assign(_p=-self.items["priority"]).sort_values(["_p", "wave", "service"], kind="mergesort")
        names = list(dict.fromkeys(top["service"]))
        return names if limit is None else names[:limit]

    def escalation_summary(self) -> pd.DataFrame:
        """``level, name, contact, items, high, medium, low, teams, services`` per escalation level."""
        rows = []
        for lvl, sev in (("L1", "low"), ("L2", "medium"), ("L3", "high")):
            sel = self.items[self.items["escalation"] == lvl]
            info = self.escalation.get(lvl, {})
            rows.append(
                {
                    "level": lvl,
                    "name": _text(info.get("name")),
                    "contact": _text(info.get("contact")),
                    "handles": sev,
                    "items": len(sel),
                    "teams": ", ".join(sorted({t for t in sel["team"] if _text(t)})),
                    "services": len(set(sel["service"])),
                }
            )
        return pd.DataFrame(rows)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, tuple):
                row[k] = list(v)
            elif isinstance(v, pd.Timestamp):
                row[k] = v.isoformat() if not pd.isna(v) else None
            elif v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                row[k] = None
            elif hasattr(v, "item") and not isinstance(v, (str, bytes)):
                row[k] = v.item()
            else:
                row[k] = v
        out.append(row)
    return out


def _service_maps(services: pd.DataFrame) -> dict[str, dict[str, Any]]:
    cols = ["service", "team", "team_contact", "version", "maturity", "runtime", "coverage", "path", "domain"]
    s = services.reindex(columns=cols).drop_duplicates("service")
    return {r["service"]: r for r in s.to_dict("records") if isinstance(r["service"], str)}


def _lock_map(lockfiles: pd.DataFrame | None) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    if lockfiles is None or not len(lockfiles):
        return out
    for r in lockfiles.reindex(columns=["service", "spec", "version", "resolved_at", "integrity"]).to_dict("records"):
        if isinstance(r["service"], str) and isinstance(r["spec"], str):
            ts = r["resolved_at"]
            r["resolved_at"] = "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.setdefault(r["service"], {}).setdefault(r["spec"], r)
    return out


def _pins(contracts: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if contracts is None or not len(contracts):
        return out
    for svc, spec, ver in contracts.reindex(columns=["service", "spec", "version"]).itertuples(index=False, name=None):
        if isinstance(svc, str) and isinstance(spec, str) and spec:
            out.setdefault(svc, {}).setdefault(spec, _text(ver))
    return out


def _advisory_maps(
    advisories: pd.DataFrame | None,
) -> tuple[dict[str, tuple[int, Any, Any]], dict[Any, list[dict[str, Any]]]]:
    """advisory id -> (row position, epss, severity) of its first row; package -> its rows, in order."""
    index: dict[str, tuple[int, Any, Any]] = {}
    by_package: dict[Any, list[dict[str, Any]]] = {}
    for pos, rec in enumerate(advisories.to_dict("records") if advisories is not None else []):
        index.setdefault(rec["advisory_id"], (pos, rec["epss"], rec["severity"]))
        by_package.setdefault(rec["package"], []).append(rec)
    return index, by_package


def _exposure(
    advisory_ids: Sequence[str], index: Mapping[str, tuple[int, Any, Any]], policy: PlanPolicy
) -> tuple[float, str]:
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


def _closes(recs: Sequence[Mapping[str, Any]], action: str, target: str) -> tuple[str, ...]:
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
            if r["type"] in _LAG_TYPES or r["type"] == "security_lag"
            else None
        )
        if exp is None or not tgt < exp:
            out.append(r["id"])
    return tuple(sorted(out))


def _floor_rank(severity_floor: str | None) -> int:
    if severity_floor is None or severity_floor == "":
        return len(SEVERITIES) - 1
    floor = str(severity_floor).strip().lower()
    if floor not in _RANK:
        raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
    return _RANK[floor]


def build_plan(
    inputs: PlanInputs,
    as_of: Any = None,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    policy: PlanPolicy | None = None,
) -> RemediationPlan:
    """Build the remediation plan of one drift run.

    The whole fleet is planned (so every view shows the same waves and dates); ``team`` and
    ``service`` then restrict what the plan shows, its burn-down and its communications.

    Parameters
    ----------
    inputs : PlanInputs
    as_of : str or Timestamp, optional
        Default: the issues' ``as_of``.
    team, service : str, optional
        Show only this team's / service's items.
    severity_floor : {"low", "medium", "high"}, optional
        Leave out issues below this severity (default: plan everything).
    policy : PlanPolicy, optional
        Default: ``inputs.policy``, else :class:`PlanPolicy` ().

    Returns
    -------
    RemediationPlan

    Raises
    ------
    ParameterError
        Bad ``severity_floor`` or ``as_of``, unknown team.
    UnknownServiceError
        ``service`` is not in the catalog.
    """
    from ..drift.engine import resolve_as_of

    issues = inputs.issues
    require_columns(issues, DRIFT_ISSUES, ["id", "service", "type", "severity", "subject", "current", "expected"])
    policy = policy or inputs.policy or PlanPolicy()
    default_as_of = issues["as_of"].dropna().max() if "as_of" in issues and len(issues) else None
    as_of = resolve_as_of(as_of, default_as_of)
    start_day = _day(as_of)
    floor = _floor_rank(severity_floor)
    svc = _service_maps(inputs.services)
    known_services = sorted(svc)
    if service and service not in svc:
        raise UnknownServiceError(service, known_services)
    known_teams = sorted({_text(r["team"]) for r in svc.values() if _text(r["team"])})
    if team and team not in known_teams:
        raise ParameterError(f"unknown team {team!r} (known: {', '.join(known_teams)})")
    escalation = {k: dict(v) for k, v in (inputs.escalation or DEFAULT_ESCALATION).items()}
    G = inputs.graph if inputs.graph is not None else nx.DiGraph()
    if inputs.graph is None:
        for n, r in svc.items():
            G.add_node(n, team=r["team"], maturity=r["maturity"], domain=r["domain"])
    warnings: list[str] = []
    notes = list(inputs.notes)

    iss = issues.copy()
    iss["exempt"] = iss["exempt"].astype(bool) if "exempt" in iss else False
    for c in ("subject", "current", "expected", "reason", "advisory_ids", "category"):
        iss[c] = iss[c].map(_text) if c in iss else ""
    counted = iss[~iss["exempt"]]
    # a boolean mask even when there is no issue (an empty object Series would select columns instead)
    actionable = counted[counted["severity"].map(lambda s: _RANK.get(s, 99) <= floor).astype(bool)]
    actionable = actionable[actionable["service"].isin(known_services)]

    # --- group -------------------------------------------------------------------------------
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rec in actionable.sort_values(["service", "type", "subject", "id"], kind="mergesort").to_dict("records"):
        kind, subject = _group_key(rec)
        groups.setdefault((rec["service"], kind, subject), []).append(rec)

    spec_index = _spec_index(inputs.spec_versions)
    pins = _pins(inputs.contracts)
    locks = _lock_map(inputs.lockfiles)
    adv = inputs.advisories
    quality = inputs.quality if inputs.quality is not None else pd.Series(dtype="Float64")
    q_map = {str(k): (None if pd.isna(v) else float(v)) for k, v in quality.items()}
    cov_target = float(getattr(inputs.quality_params, "coverage_target", 0.75) or 0.75)
    drift_by_service = counted.groupby("service").size().astype("int64")
    adv_index, adv_by_package = _advisory_maps(adv)

    # the impact of changing each planned service, for all of them at once (one impact analysis per
    # service would visit about half the fleet each time: quadratic in the fleet)
    fleet = fleet_impact(
        G,
        sorted({s for s, _, _ in groups}),
        relations=DEFAULT_RELATIONS,
        quality=quality,
        drift=drift_by_service,
        nearest=policy.dependents_listed,
    )
    impact_by_service: dict[str, dict[str, Any]] = {}
    for r in fleet.table.to_dict("records"):
        direct = tuple(r["direct_dependents"])
        impact_by_service[r["service"]] = {
            "blast_radius": int(r["blast_radius"]),
            "weighted": float(r["weighted_blast_radius"]),
            "severity": str(r["impact_severity"]),
            "severity_reason": str(r["severity_reason"]),
            "dependents": tuple(r["nearest"]),
            "why": tuple(r["nearest_why"]),
            # the changed service runs unit and integration tests; its direct dependents integration
            # tests, those consuming its events or contracts contract tests too; every dependent unit tests
            "integration": (r["service"], *direct),
            "contract": tuple(r["contract_dependents"]),
        }

    resolved_at = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    raw_items: list[dict[str, Any]] = []
    for (s, kind, subject), recs in sorted(groups.items()):
        info = svc[s]
        types = tuple(sorted({r["type"] for r in recs}))
        ids = tuple(sorted({r["id"] for r in recs}))
        severity = min((r["severity"] for r in recs), key=lambda x: _RANK.get(x, 99))
        security = kind == "security"
        runtime = _text(info["runtime"])
        current, target, alternative, target_reason, update_type = "", "", "", "", "none"
        breaking_list: list[str] = []
        breaking_text = "none (not a version change)"
        ecosystem = ""
        advisory_ids: list[str] = []
        section = ""
        if kind == "pin" or (security and subject in pins.get(s, {})):
            section = "api_contracts"
        elif security or kind == "dependency_divergence":
            section = "dependencies.external"
        if kind == "pin":
            has_lag = any(t in _LAG_TYPES or t == "deprecated_spec" for t in types)
            action = "upgrade_spec" if has_lag else "fix_lock"
            current = pins.get(s, {}).get(subject) or next((r["current"] for r in recs if r["current"]), "")
            if has_lag:
                vers = [(v.text, v.tags, v.deprecated or v.removed) for v in spec_index.get(subject, ())]
                beyond = any(t in _BREAKING_TYPES for t in types)
                target, alternative, target_reason = policy_target(current, vers, policy, beyond_auto=beyond)
                if not target:
                    target = max((r["expected"] for r in recs if parse_version(r["expected"])), default="")
                    target_reason = target_reason + "; the drift issue's expected version is used"
            else:
                lock_v = next((r["current"] for r in recs if r["type"] == "lock_mismatch"), "")
                target, target_reason = current, "the manifest's pin (the lock file should follow it)"
                current = lock_v
        elif security:
            action = "security_fix"
            rec_ext = next((r for r in recs if r["type"] == "vulnerable_dependency"), None)
            current = pins.get(s, {}).get(subject) or (rec_ext or recs[0])["current"]
            advisory_ids = sorted({a for r in recs for a in r["advisory_ids"].split(",") if a})
            candidates: list[tuple[SemVer, str, str]] = []
            if advisory_ids and adv_by_package:
                rows = adv_by_package.get(subject, [])
                known = [v.text for v in spec_index.get(subject, ()) if not (v.deprecated or v.removed)]
                fix, why = lowest_fixed_version(current, rows, known)
                ecos = sorted({_text(r["ecosystem"]) for r in rows if r["advisory_id"] in advisory_ids} - {""})
                ecosystem = ecos[0] if ecos else ""
                if fix:
                    candidates.append((parse_version(fix), fix, why))  # type: ignore[arg-type]
                else:
                    target_reason = why
            if "security_lag" in types:
                cur_sv = parse_version(current)
                lag_rec = next(r for r in recs if r["type"] == "security_lag")
                latest = parse_version(lag_rec["expected"])
                sec = [
                    v
                    for v in spec_index.get(subject, ())
                    if "security" in v.tags
                    and cur_sv is not None
                    and cur_sv < v.semver
                    and (latest is None or v.semver <= latest)
                ]
                if sec:
                    v = sec[-1]
                    candidates.append(
                        (v.semver, v.semver.text, f"the last skipped release tagged security ({v.semver.text})")
                    )
            advisory_fixed = any(c[2].startswith("lowest") for c in candidates)
            if candidates and (advisory_fixed or not advisory_ids):
                best = max(candidates, key=lambda c: c[0].key)
                target = best[1]
                target_reason = "; ".join(c[2] for c in sorted(candidates, key=lambda c: c[0].key))
                if len(candidates) > 1:
                    target_reason = f"the highest of: {target_reason}"
            if target:
                latest_reg = [v for v in spec_index.get(subject, ()) if not (v.deprecated or v.removed)]
                if latest_reg and latest_reg[-1].semver.text != parse_version(target).text:  # type: ignore[union-attr]
                    alternative = f"{latest_reg[-1].semver.text} (latest registry version; not needed for the fix)"
        else:
            action = _ACTION_OF_TYPE.get(types[0], "review")
            if kind == "dependency_divergence":
                current, target = recs[0]["current"], recs[0]["expected"]
                target_reason = "the newest version another service uses"
            elif kind == "invalid_version":
                current = recs[0]["current"]
            elif kind == "missing_lock":
                target_reason = "a lock file locking every pin of the manifest"
        cur_sv, tgt_sv = parse_version(current), parse_version(target)
        if cur_sv is not None and tgt_sv is not None and cur_sv < tgt_sv and action in ("upgrade_spec", "security_fix"):
            update_type = _update_type(cur_sv, tgt_sv)
        if action in ("upgrade_spec", "security_fix") and cur_sv is not None and tgt_sv is not None:
            versions = spec_index.get(subject, ())
            breaking_list = [v.semver.text for v in versions if cur_sv < v.semver <= tgt_sv and "breaking" in v.tags]
            history = any(v.tags for v in versions)
            parts = []
            if breaking_list:
                parts.append("releases tagged breaking: " + ", ".join(breaking_list))
            if update_type == "major":
                parts.append(f"major bump {cur_sv.major} → {tgt_sv.major}")
            if "deprecated_spec" in types:
                parts.append(f"{current} is deprecated or removed in the registry")
            if parts:
                breaking_text = "; ".join(parts)
            elif versions and history:
                breaking_text = f"none tagged between {cur_sv.text} and {tgt_sv.text}"
            elif versions:
                breaking_text = (
                    f"none expected for a {update_type} upgrade (the spec registry has no change history for {subject})"
                )
            else:
                breaking_text = f"unknown ({subject} is not in the spec registry; semver says {update_type})"
        breaking = bool(breaking_list) or any(t in _BREAKING_TYPES for t in types)
        q = q_map.get(s)
        automation, automation_reason = automation_class(
            action=action,
            service=s,
            current=current,
            target=target,
            update_type=update_type,
            breaking=breaking,
            quality=q,
            policy=policy,
            target_reason=target_reason,
        )
        if any(t == "lock_mismatch" for t in types) and action == "upgrade_spec":
            automation_reason += "; the lock mismatch on this pin is closed by regenerating the lock with the upgrade"
        impact = impact_by_service[s]
        blast = impact["blast_radius"]
        weighted = impact["weighted"]
        cov = info["coverage"]
        cov = float("nan") if cov is None or pd.isna(cov) else float(cov)
        risk_level, risk = _risk(
            update_type=update_type,
            breaking_text=breaking_text,
            breaking=breaking,
            security_without_fix=security and not target,
            coverage=cov,
            coverage_target=cov_target,
            blast=blast,
            weighted=weighted,
            impact_severity=impact["severity"],
            maturity=_text(info["maturity"]),
            version_change=action in ("upgrade_spec", "security_fix"),
        )
        closes = _closes(recs, action, target)
        exposure, exposure_text = _exposure(advisory_ids, adv_index, policy)
        priority = policy.priority(severity, exposure, weighted)
        lvl = _LEVEL[severity]
        raw_items.append(
            {
                "id": _item_id(s, kind, subject),
                "service": s,
                "team": _text(info["team"]),
                "team_contact": _text(info["team_contact"]),
                "action": action,
                "subject": subject,
                "issue_ids": ids,
                "issue_types": types,
                "severity": severity,
                "security": security,
                "escalation": lvl,
                "escalation_name": _text(escalation.get(lvl, {}).get("name")),
                "escalation_contact": _text(escalation.get(lvl, {}).get("contact")),
                "due": start_day + pd.Timedelta(days=int(policy.response_days[severity])),
                "current": current,
                "target": target,
                "alternative": alternative,
                "target_reason": target_reason,
                "update_type": update_type,
                "automation": automation,
                "automation_reason": automation_reason,
                "quality_score": None if q is None else int(q),
                "coverage": cov,
                "maturity": _text(info["maturity"]),
                "breaking": breaking_text,
                "blast_radius": blast,
                "weighted_blast_radius": weighted,
                "impact_severity": impact["severity"],
                "dependents": impact["dependents"],
                "risk_level": risk_level,
                "risk": risk,
                "exposure": exposure,
                "priority": priority,
                "_exposure_text": exposure_text,
                "_recs": recs,
                "_section": section,
                "_ecosystem": ecosystem,
                "_advisories": tuple(advisory_ids),
                "_runtime": runtime,
                "_impact": impact,
                "_closes": closes,
            }
        )

    # --- waves -------------------------------------------------------------------------------
    plan_services = sorted({it["service"] for it in raw_items})
    wave_of: dict[str, int] = {}
    wave_warning: dict[int, str] = {}
    if plan_services:
        # the planned services and everything depending on them, in provider-first waves
        H_dep = relation_view(G, ("depends_on",))
        members = set(plan_services)
        todo = list(plan_services)
        while todo:
            for p in H_dep.predecessors(todo.pop()):
                if p not in members:
                    members.add(p)
                    todo.append(p)
        planned = set(plan_services)
        gens = []
        for w in deploy_waves(H_dep, members).itertuples(index=False):
            mine = [x for x in w.services if x in planned]
            if mine:
                gens.append((mine, w.warning))
        for k, (mine, warning) in enumerate(gens, start=1):
            for x in mine:
                wave_of[x] = k
            if warning:
                wave_warning[k] = warning
                warnings.append(f"wave {k}: {warning}")
    for it in raw_items:
        it["wave"] = wave_of.get(it["service"], 1)

    # --- batches and schedule ----------------------------------------------------------------
    sec_items = sorted((it for it in raw_items if it["security"]), key=lambda i: (-i["priority"], i["id"]))
    for k, it in enumerate(sec_items, start=1):
        it["batch"] = f"SEC-{k}"
        it["scheduled"] = start_day
        it["window"] = "immediately (security fix: not held back by waves, allowed days or maintenance windows)"
    used: dict[pd.Timestamp, int] = {}
    windows: dict[tuple[pd.Timestamp, str], tuple[list[int], str]] = {}
    cursor = start_day
    n_waves = max((it["wave"] for it in raw_items), default=0)
    wave_span: dict[int, tuple[pd.Timestamp | None, pd.Timestamp | None, int]] = {}
    in_wave = _by_wave(raw_items)
    for w in range(1, n_waves + 1):
        regular = sorted(
            (it for it in in_wave.get(w, ()) if not it["security"]), key=lambda i: (-i["priority"], i["id"])
        )
        batches: list[list[dict[str, Any]]] = []
        open_batch: dict[tuple, list[dict[str, Any]]] = {}
        for it in regular:
            if it["action"] == "upgrade_spec" and it["automation"] in ("automated", "approval"):
                key = (it["subject"], it["target"], it["update_type"], it["automation"])
                cap = int(policy.max_services_per_pr.get(it["update_type"], 1))
                b = open_batch.get(key)
                if b is not None and len(b) < cap:
                    b.append(it)
                    continue
                b = [it]
                open_batch[key] = b
                batches.append(b)
            else:
                batches.append([it])
        days = []
        for k, b in enumerate(batches, start=1):
            op = _operation(b[0])
            day, window, ok = _first_slot(cursor, op, policy, used, windows=windows)
            if not ok:
                warnings.append(f"wave {w} batch {k}: {window}; scheduled on {_iso_day(day)} and needs an exception")
            used[day] = used.get(day, 0) + 1
            days.append(day)
            for it in b:
                it["batch"] = f"W{w}-PR{k}"
                it["scheduled"] = day
                it["window"] = window
        if days:
            wave_span[w] = (min(days), max(days), len(batches))
            cursor = _next_allowed(max(days), policy)
        else:
            wave_span[w] = (None, None, 0)
    for it in raw_items:
        it["on_time"] = bool(it["scheduled"] <= it["due"])
        it["recheck"] = it["scheduled"] + pd.Timedelta(days=policy.monitor_days)
        if not it["on_time"]:
            warnings.append(
                f"{it['id']} ({it['service']} {it['subject'] or it['action']}): scheduled {_iso_day(it['scheduled'])} "
                f"after its due date {_iso_day(it['due'])}"
            )

    # --- steps, diffs, locks, commands ---------------------------------------------------------
    steps: dict[str, tuple[dict[str, Any], ...]] = {}
    rollback: dict[str, dict[str, Any]] = {}
    for it in raw_items:
        _fill_steps(it, svc[it["service"]], inputs, policy, pins, locks, resolved_at, steps, rollback)

    # --- order and scope ---------------------------------------------------------------------
    raw_items.sort(key=lambda i: (i["wave"], -i["priority"], i["id"]))
    scoped = [it for it in raw_items if (not team or it["team"] == team) and (not service or it["service"] == service)]
    items = frame_from_records(PLAN_ITEMS, scoped)
    if len(items):
        items["issue_ids"] = [tuple(x) for x in items["issue_ids"]]
    scope_services = (
        set(svc)
        if not (team or service)
        else {s for s, r in svc.items() if (not team or _text(r["team"]) == team) and (not service or s == service)}
    )

    waves = _waves_frame(scoped, wave_span, wave_warning)
    calendar = _calendar(scoped, waves, start_day, policy)
    burndown = _burndown(
        counted[counted["service"].isin(list(scope_services))], scoped, start_day, inputs, scope_services
    )
    direct_of = {s: imp["integration"][1:] for s, imp in impact_by_service.items()}
    team_of = {s: _text(r["team"]) for s, r in svc.items()}
    comms = _communications(scoped, waves, start_day, policy, inputs.teams, escalation, direct_of, team_of)

    summary = _summary(items, counted, actionable, iss, scope_services, floor, burndown, waves)
    shown = set(items["id"])
    if severity_floor:
        notes.append(f"severity floor {severity_floor}: issues below it are not planned (they stay in the backlog)")
    return RemediationPlan(
        items=items,
        steps={k: v for k, v in steps.items() if k in shown},
        rollback={k: v for k, v in rollback.items() if k in shown},
        waves=waves,
        calendar=calendar,
        burndown=burndown,
        communications=comms,
        summary=summary,
        warnings=tuple(w for w in warnings if _warning_in_scope(w, scoped, team, service)),
        notes=tuple(notes),
        as_of=as_of,
        policy=policy,
        parameters={
            "team": team,
            "service": service,
            "severity_floor": severity_floor,
            "workspace": inputs.workspace,
        },
        escalation=escalation,
    )


def _warning_in_scope(w: str, scoped: list[dict[str, Any]], team: str | None, service: str | None) -> bool:
    if not (team or service):
        return True
    m = re.match(r"(PLAN-[0-9a-f]{10})", w)
    if m:
        return any(it["id"] == m.group(1) for it in scoped)
    m = re.match(r"wave (\d+)", w)
    if m:
        return any(it["wave"] == int(m.group(1)) for it in scoped)
    return True


def _listing(names: Sequence[str], total: int, limit: int) -> str:
    """``a, b, c`` — at most ``limit`` names, then how many more; ``none`` for no name.

    Examples
    --------
    >>> _listing(["a", "b", "c"], 7, 2), _listing([], 0, 5)
    ('a, b, and 5 more', 'none')
    """
    if total <= 0:
        return "none"
    shown = list(names[:limit])
    more = total - len(shown)
    return ", ".join(shown) + (f", and {more} more" if more > 0 else "")


def _fill_steps(
    it: dict[str, Any],
    info: Mapping[str, Any],
    inputs: PlanInputs,
    policy: PlanPolicy,
    pins: Mapping[str, Mapping[str, str]],
    locks: Mapping[str, Mapping[str, Mapping[str, Any]]],
    resolved_at: str,
    steps: dict[str, tuple[dict[str, Any], ...]],
    rollback: dict[str, dict[str, Any]],
) -> None:
    s, subject = it["service"], it["subject"]
    current, target = it["current"], it["target"]
    path = _text(info.get("path")).strip("/")
    manifest_file = f"{path}/service-manifest.yaml" if path else "service-manifest.yaml"
    collected = inputs.manifests.get(s)
    ws = shlex.quote(inputs.workspace)
    impact = it["_impact"]
    recs = it["_recs"]
    runtime = it["_runtime"]
    diff = ""
    diff_note = ""
    section = it["_section"]
    if (
        section
        and current
        and target
        and current != target
        and it["action"]
        in (
            "upgrade_spec",
            "security_fix",
            "align_dependency",
        )
    ):
        old_entry, new_entry = f"{subject}@{current}", f"{subject}@{target}"
        if collected is None:
            diff_note = f"no collected manifest for {s}: change {section} entry {old_entry} to {new_entry} by hand"
        else:
            diff = manifest_diff(collected[1], section, old_entry, new_entry, manifest_file)
            if not diff:
                diff_note = f"{collected[0]} has no {section} entry {old_entry}: edit the manifest by hand"
    proposed_lock = ""
    service_pins = dict(pins.get(s, {}))
    lock_change: dict[str, str] = {}
    if it["action"] in ("upgrade_spec", "security_fix") and section == "api_contracts" and target:
        lock_change = {subject: target}
    if service_pins and (lock_change or it["action"] in ("add_lock", "fix_lock")):
        proposed_lock = propose_lock(service_pins, lock_change, locks.get(s), resolved_at)
    it["manifest_file"] = manifest_file if diff else ""
    it["manifest_diff"] = diff
    it["proposed_lock"] = proposed_lock

    # Assessment
    near = [f"{d} ({w})" for d, w in zip(impact["dependents"], impact["why"], strict=True)][:10]
    more = len(impact["dependents"]) - len(near)
    assessment = [
        f"{len(it['issue_ids'])} issue(s): " + "; ".join(f"{r['type']} {r['severity']}: {r['reason']}" for r in recs),
        f"Impact: blast radius {it['blast_radius']} (weighted {it['weighted_blast_radius']:g}), severity "
        f"{it['impact_severity']}; {impact['severity_reason']}",
        "Dependent services: " + (", ".join(near) + (f", and {more} more" if more > 0 else "") if near else "none"),
        f"Risk {it['risk_level']}: {it['risk']}",
    ]
    if it["_exposure_text"]:
        assessment.append(
            f"Exposure {it['exposure']:g} ({it['_exposure_text']}); advisories {', '.join(it['_advisories'])}"
        )
    sw = float(policy.severity_weights.get(it["severity"], 1.0))
    assessment.append(
        f"Priority {it['priority']:g} = {sw:g} × (1 + {it['exposure']:g}) × "
        f"(1 + ln(1 + {it['weighted_blast_radius']:g})) "
        "(S[severity] × (1 + E) × (1 + ln(1 + W)))"
    )

    # Planning
    changes = []
    if target and current and it["action"] in ("upgrade_spec", "security_fix", "align_dependency"):
        where = "api_contracts" if section == "api_contracts" else "dependencies.external"
        changes.append(f"Change {subject} {current} → {target} ({it['update_type']}) in service-manifest.yaml {where}")
        if it["alternative"]:
            changes.append(f"Alternative: {it['alternative']}")
    if proposed_lock:
        changes.append("Regenerate specs.lock.json (proposed below; check it against what the service resolves)")
    if it["action"] == "register_events":
        evs = ", ".join(r["subject"] for r in recs)
        changes.append(f"Register the event schema(s) {evs} in the specs repository, or correct the event names")
    elif it["action"] == "fix_dependency":
        changes.append(f"Add {subject} to the catalog, or remove it from dependencies.internal")
    elif it["action"] == "refresh_service":
        changes.append("Review the service's manifest, pins and dependencies; release it so last_update is fresh")
    elif it["action"] == "fix_version_pin":
        changes.append(f"Pin {subject} to an exact semantic version x.y.z")
    integ, contract = impact["integration"], impact["contract"]
    listed = policy.dependents_listed
    blast = it["blast_radius"]
    unit = _listing((s, *impact["dependents"]), blast + 1, listed + 1)
    if blast > len(impact["dependents"]):
        unit += f" (every dependent: meta254 impact --workspace {ws} --change {shlex.quote('service:' + s)})"
    testing_req = [
        "Unit tests: " + unit,
        "Integration tests: " + _listing(integ, len(integ), listed + 1),
        "Contract tests (direct dependents across an event or contract): " + _listing(contract, len(contract), listed),
    ]
    tr = policy.testing.get(it["update_type"]) if it["update_type"] != "none" else None
    if tr and tr.get("run_e2e_tests"):
        testing_req.append(f"End-to-end tests (testing_requirements.{it['update_type']}.run_e2e_tests)")
    version = _text(info.get("version"))
    rb_mode = "automatic" if policy.auto_rollback else "manual (rollback.auto_rollback is false)"
    planning = [
        *changes,
        *testing_req,
        f"Rollback strategy: {rb_mode}; revert the {'manifest and lock ' if diff or proposed_lock else ''}change "
        f"and redeploy {s} {version or '(current)'}"
        + (f"; triggers: {', '.join(policy.rollback_triggers)}" if policy.rollback_triggers else ""),
        f"Timeline: wave {it['wave']}, batch {it['batch']}, scheduled {_iso_day(it['scheduled'])}, "
        f"{it['window']}; due {_iso_day(it['due'])}",
    ]

    # Implementation
    impl_lines: list[str] = []
    blocks: list[dict[str, str]] = []
    commands: list[str] = []
    if diff:
        impl_lines.append(f"Apply the edit to {manifest_file} (text from {collected[0]})")  # type: ignore[index]
        blocks.append({"title": f"{manifest_file}", "lang": "diff", "text": diff})
    elif diff_note:
        impl_lines.append(diff_note)
    if proposed_lock:
        impl_lines.append("Write the proposed specs.lock.json (entries without integrity are filled by the resolver)")
        blocks.append({"title": "specs.lock.json (proposed)", "lang": "json", "text": proposed_lock + "\n"})
    if it["security"] and target:
        cmds, note = runtime_commands(runtime, it["_ecosystem"], subject, target)
        if cmds:
            impl_lines.append(f"Update the {runtime or 'service'} dependency (runbook 3.1)")
            commands.extend(cmds)
        if note:
            impl_lines.append(note[0].upper() + note[1:])
    if it["action"] == "upgrade_spec":
        impl_lines.append("Update imports, calls and configuration for the new spec version (runbook 3.4)")
    if not impl_lines:
        impl_lines.append(changes[0] if changes else it["automation_reason"])
    impl_cmds = list(commands)
    if impl_cmds:
        blocks.append({"title": "commands", "lang": "bash", "text": "\n".join(impl_cmds) + "\n"})

    # Testing
    unit_cmd, integ_cmd = _TEST_SUITES.get(runtime, ("", ""))
    test_lines = []
    test_cmds = []
    run_integ = tr.get("run_integration_tests", True) if tr else True
    if unit_cmd:
        test_cmds.append(unit_cmd)
        if run_integ:
            test_cmds.append(integ_cmd)
    else:
        test_lines.append(f"Run {s}'s unit and integration suites (runtime {runtime or 'unknown'})")
    if test_cmds:
        test_lines.append(f"{runtime} suites of {s}: " + "; ".join(test_cmds))
    if contract or integ:
        compat = sorted(set(contract) | (set(integ) - {s})) or [s]
        test_lines.append(
            "Compatibility (runbook 4.3): "
            + _listing(compat, len(compat), listed)
            + ": verify API contracts and event schemas against the change"
        )
    if tr and tr.get("run_e2e_tests"):
        test_lines.append("Run the end-to-end suite")
    commands.extend(test_cmds)

    # Deployment
    checks = [
        f"meta254 validate --workspace {ws} --service {shlex.quote(s)}",
        f"meta254 quality --workspace {ws} --service {shlex.quote(s)}",
        f"meta254 drift --workspace {ws} --service {shlex.quote(s)}",
    ]
    commands.extend(checks)
    deploy_lines = [
        "Pre-deployment checks (runbook 5.1): validate the manifests, confirm "
        f"{s}'s quality score in `meta254 quality` stays >= {policy.automated_min_quality:g}, and confirm "
        f"`meta254 drift --service {s}` no longer lists {', '.join(it['issue_ids'])}",
        "Deploy to staging, run smoke tests, then deploy to production (runbook 5.2)",
    ]
    if it["automation"] == "approval":
        deploy_lines.append("Get the approval before merging (runbook: medium-risk changes, --require-approval)")
    elif it["automation"] == "manual":
        deploy_lines.append(f"Review by {it['escalation_name'] or it['escalation']} before merging")
    # Monitoring
    watch = ", ".join(it["dependents"][:5]) if it["dependents"] else "no dependent service"
    monitor_lines = [
        f"Watch {s}'s health metrics, error rates and alerts after the deployment, and {watch}",
        f"Re-check drift on {_iso_day(it['recheck'])}: meta254 drift --workspace {ws} --service {shlex.quote(s)}"
        + f" (expect {', '.join(it['issue_ids'])} gone)",
    ]
    it["commands"] = tuple(commands)
    steps[it["id"]] = (
        {"phase": "Assessment", "lines": assessment, "blocks": []},
        {"phase": "Planning", "lines": planning, "blocks": []},
        {"phase": "Implementation", "lines": impl_lines, "blocks": blocks},
        {
            "phase": "Testing",
            "lines": test_lines,
            "blocks": [_block("tests", "bash", test_cmds)] if test_cmds else [],
        },
        {
            "phase": "Deployment",
            "lines": deploy_lines,
            "blocks": [_block("pre-deployment checks", "bash", checks)],
        },
        {"phase": "Monitoring", "lines": monitor_lines, "blocks": []},
    )
    prev = version or "<previous-version>"
    # names and versions come from the workspace: quote them for the shell (a no-op for ordinary names)
    q_s, q_prev = shlex.quote(s), (shlex.quote(version) if version else prev)
    rb_cmds = [
        "git checkout <previous-commit>",
        f"docker build -t {q_s}:{q_prev} .",
        f"docker push {q_s}:{q_prev}",
        f"kubectl set image deployment/{q_s} {q_s}={q_s}:{q_prev}",
    ]
    rb_lines = [f"Roll {s} back to its current version {prev} (runbook: Immediate Rollback)"]
    if diff:
        rb_lines.append(f"The manifest goes back to {subject}@{current}")
    rollback[it["id"]] = {"title": "Immediate rollback", "lines": rb_lines, "commands": rb_cmds}


def _block(title: str, lang: str, lines: Sequence[str]) -> dict[str, str]:
    return {"title": title, "lang": lang, "text": "\n".join(lines) + "\n"}


def _by_wave(items: Iterable[Mapping[str, Any]]) -> dict[int, list[Any]]:
    """wave -> its items, in the given order."""
    out: dict[int, list[Any]] = {}
    for it in items:
        out.setdefault(it["wave"], []).append(it)
    return out


def _waves_frame(
    scoped: list[dict[str, Any]],
    span: Mapping[int, tuple[pd.Timestamp | None, pd.Timestamp | None, int]],
    warning: Mapping[int, str],
) -> pd.DataFrame:
    rows = []
    in_wave = _by_wave(scoped)
    for w in sorted(in_wave):
        mine = in_wave[w]
        regular = [it for it in mine if not it["security"]]
        start, end = (None, None)
        if regular:
            days = [it["scheduled"] for it in regular]
            start, end = min(days), max(days)
        rows.append(
            {
                "wave": w,
                "start": start,
                "end": end,
                "services": tuple(sorted({it["service"] for it in mine})),
                "items": len(mine),
                "prs": len({it["batch"] for it in regular}),
                "cycle": bool(warning.get(w)),
                "warning": warning.get(w, ""),
            }
        )
    return frame_from_records(PLAN_WAVES, rows)


def _calendar(
    scoped: list[dict[str, Any]], waves: pd.DataFrame, start: pd.Timestamp, policy: PlanPolicy
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {
            "date": start,
            "milestone": "plan starts",
            "wave": None,
            "items": len(scoped),
            "services": tuple(sorted({it["service"] for it in scoped})),
            "detail": f"{len(scoped)} item(s) in {len(waves)} wave(s)",
        }
    ]
    sec = [it for it in scoped if it["security"]]
    if sec:
        rows.append(
            {
                "date": start,
                "milestone": "security fixes start",
                "wave": None,
                "items": len(sec),
                "services": tuple(sorted({it["service"] for it in sec})),
                "detail": "security fixes are not held back by waves or scheduling",
            }
        )
    in_wave = _by_wave(scoped)
    for w in waves.itertuples(index=False):
        if pd.isna(w.start):
            continue
        mine = [it for it in in_wave.get(w.wave, ()) if not it["security"]]
        svcs = tuple(sorted({it["service"] for it in mine}))
        rows.append(
            {
                "date": w.start,
                "milestone": f"wave {w.wave} starts",
                "wave": w.wave,
                "items": len(mine),
                "services": svcs,
                "detail": f"{w.prs} pull request(s)" + (f"; {w.warning}" if w.warning else ""),
            }
        )
        rows.append(
            {
                "date": w.end,
                "milestone": f"wave {w.wave} deployed",
                "wave": w.wave,
                "items": len(mine),
                "services": svcs,
                "detail": f"consumers in wave {w.wave + 1} may start the next allowed day",
            }
        )
    for sev in SEVERITIES:
        mine = [it for it in scoped if it["severity"] == sev]
        if mine:
            due = start + pd.Timedelta(days=int(policy.response_days[sev]))
            late = sum(1 for it in mine if not it["on_time"])
            rows.append(
                {
                    "date": due,
                    "milestone": f"{sev} items due",
                    "wave": None,
                    "items": len(mine),
                    "services": tuple(sorted({it["service"] for it in mine})),
                    "detail": f"response time {policy.response_days[sev]} days"
                    + (f"; {late} scheduled after it" if late else ""),
                }
            )
    if scoped:
        last = max(it["recheck"] for it in scoped)
        rows.append(
            {
                "date": last,
                "milestone": "final drift re-check",
                "wave": None,
                "items": len(scoped),
                "services": tuple(sorted({it["service"] for it in scoped})),
                "detail": f"{policy.monitor_days} days after the last deployment",
            }
        )
    rows.sort(key=lambda r: (r["date"], r["wave"] if r["wave"] is not None else -1, r["milestone"]))
    return frame_from_records(PLAN_CALENDAR, rows)


def _burndown(
    counted: pd.DataFrame,
    scoped: list[dict[str, Any]],
    start: pd.Timestamp,
    inputs: PlanInputs,
    scope: set[str],
) -> pd.DataFrame:
    fixed_on: dict[str, pd.Timestamp] = {}
    for it in scoped:
        for i in it["_closes"]:
            fixed_on[i] = it["scheduled"] + pd.Timedelta(days=1)  # deployed by the end of that day
    last = max(fixed_on.values(), default=start)
    weeks = max(4, math.ceil((last - start).days / 7) + 1)
    weeks = min(weeks, 104)
    metrics = inputs.quality_metrics
    rows = []
    # when each issue is fixed (NaT: not by this plan), and when each item is done, read once
    fixed = pd.to_datetime(counted["id"].map(fixed_on), utc=True)
    done = sorted(it["scheduled"] + pd.Timedelta(days=1) for it in scoped)
    for k in range(weeks + 1):
        end = start + pd.Timedelta(days=7 * k)
        open_ = counted[~(fixed <= end).to_numpy(dtype=bool)]
        by_sev = open_["severity"].value_counts()
        rows.append(
            {
                "week": k,
                "week_end": end,
                "backlog": len(open_),
                "high": int(by_sev.get("high", 0)),
                "medium": int(by_sev.get("medium", 0)),
                "low": int(by_sev.get("low", 0)),
                "items_done": bisect.bisect_right(done, end),
            }
        )
    out = pd.DataFrame(rows)
    out["expected_quality"] = float("nan")
    out["expected_quality_min"] = float("nan")
    out["services_scored"] = 0
    if metrics is not None and len(metrics):
        m = metrics[metrics["service"].isin(list(scope))].drop_duplicates("service", keep="last")
        if len(m):
            scores = _weekly_scores(m.reset_index(drop=True), counted["service"], fixed, start, weeks, inputs)
            out["expected_quality"] = [round(float(x), 2) for x in scores.sum(axis=1) / scores.shape[1]]
            out["expected_quality_min"] = scores.min(axis=1).astype("float64")
            out["services_scored"] = scores.shape[1]
    return frame_from_records(PLAN_BURNDOWN, out.to_dict("records"))


def _weekly_scores(
    metrics: pd.DataFrame,
    issue_services: pd.Series,
    fixed: pd.Series,
    start: pd.Timestamp,
    weeks: int,
    inputs: PlanInputs,
) -> np.ndarray:
    """Implemented quality score of each service (columns) at the end of each week (rows), its open
    drift issues being those not fixed by then.

    A service's score changes only when one of its issues is fixed, so each distinct (service, open
    issues) pair is scored once, not once per week: a few times the fleet rather than weeks × fleet rows.
    """
    from ..quality.scores import score_history

    pos = {svc: j for j, svc in enumerate(metrics["service"])}
    n, rows_w = len(metrics), weeks + 1
    week_ns = 7 * 86_400 * 10**9
    total = np.zeros(n, dtype=np.int64)
    closed = np.zeros((rows_w, n), dtype=np.int64)  # issues fixed during week k (by its end)
    for svc, when in zip(issue_services, fixed, strict=True):
        j = pos.get(svc)
        if j is None:
            continue
        total[j] += 1
        if not pd.isna(when):
            k = max(0, -(-(when - start).value // week_ns))  # first week whose end is at or after the fix
            if k <= weeks:
                closed[k, j] += 1
    open_counts = total[None, :] - np.cumsum(closed, axis=0)
    keys, inverse = np.unique(open_counts * n + np.arange(n)[None, :], return_inverse=True)
    pairs = metrics.take(keys % n).drop(columns=["snapshot_time", "snapshot"], errors="ignore")
    pairs = pairs.assign(drift_issues=keys // n).reset_index(drop=True)
    scored = score_history(pairs, "implemented", inputs.quality_params, missing_inputs=False)
    return scored["score"].to_numpy(dtype="int64")[inverse.reshape(rows_w, n)]


def _communications(
    scoped: list[dict[str, Any]],
    waves: pd.DataFrame,
    start: pd.Timestamp,
    policy: PlanPolicy,
    teams: pd.DataFrame | None,
    escalation: Mapping[str, Mapping[str, str]],
    direct_of: Mapping[str, tuple[str, ...]],
    team_of: Mapping[str, str],
) -> pd.DataFrame:
    contact: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for r in teams.reindex(columns=["team", "contact", "slack"]).to_dict("records"):
            t = _text(r["team"])
            if t and t not in contact:
                contact[t] = (_text(r["contact"]), _text(r["slack"]))
    groups: list[tuple[int, pd.Timestamp, list[dict[str, Any]], str]] = []
    sec = [it for it in scoped if it["security"]]
    if sec:
        groups.append((0, start, sec, "security fixes start now"))
    in_wave = _by_wave(scoped)
    for w in waves.itertuples(index=False):
        mine = [it for it in in_wave.get(w.wave, ()) if not it["security"]]
        if not mine or pd.isna(w.start):
            continue
        notify = w.start
        for _ in range(policy.notice_days):
            prev = _next_allowed(notify, policy, step=-1)
            if prev < start:
                break
            notify = prev
        notify = max(notify, start)
        groups.append((w.wave, notify, mine, f"wave {w.wave} runs {_iso_day(w.start)} to {_iso_day(w.end)}"))
    rows = []
    for wave, day, mine, when in groups:
        owners: dict[str, list[str]] = {}
        for it in mine:
            owners.setdefault(it["team"] or "(no team)", []).append(it["service"])
        for t in sorted(owners):
            svcs = tuple(sorted(set(owners[t])))
            n = sum(1 for it in mine if it["service"] in svcs)
            c, sl = contact.get(t, ("", ""))
            rows.append(
                {
                    "wave": wave,
                    "notify_on": day,
                    "audience": t,
                    "role": "owner",
                    "contact": c,
                    "channel": sl,
                    "services": svcs,
                    "message": f"{when}: {n} item(s) to land for {', '.join(svcs)}",
                }
            )
        # the teams owning services that call or consume a changed service directly: they run the
        # integration and contract tests (services further away hear of it when their provider moves)
        changed = {it["service"] for it in mine}
        direct: dict[str, set[str]] = {}
        for x in changed:
            for d in direct_of.get(x, ()):
                t = team_of.get(d, "")
                if t and t not in owners and d not in changed:
                    direct.setdefault(t, set()).add(d)
        for t in sorted(direct):
            svcs = tuple(sorted(direct[t]))
            c, sl = contact.get(t, ("", ""))
            rows.append(
                {
                    "wave": wave,
                    "notify_on": day,
                    "audience": t,
                    "role": "dependent",
                    "contact": c,
                    "channel": sl,
                    "services": svcs,
                    "message": f"{when}: services you own depend directly on what changes "
                    f"({_listing(svcs, len(svcs), policy.dependents_listed)}); "
                    "run your integration and contract tests",
                }
            )
        for lvl, sev in (("L3", "high"), ("L2", "medium"), ("L1", "low")):
            sel = [it for it in mine if it["severity"] == sev]
            if not sel:
                continue
            info = escalation.get(lvl, {})
            rows.append(
                {
                    "wave": wave,
                    "notify_on": day,
                    "audience": f"{lvl} {_text(info.get('name'))}".strip(),
                    "role": "escalation",
                    "contact": _text(info.get("contact")),
                    "channel": _text(info.get("slack")),
                    "services": tuple(sorted({it["service"] for it in sel})),
                    "message": f"{when}: {len(sel)} {sev}-severity item(s) escalate to {lvl}",
                }
            )
        for key, label in (("auto_upgrades", "automated"), ("manual_reviews", "approval or manual")):
            sel = [it for it in mine if (it["automation"] == "automated") == (key == "auto_upgrades")]
            ch = policy.channels.get(key, "")
            if sel and ch:
                rows.append(
                    {
                        "wave": wave,
                        "notify_on": day,
                        "audience": ch,
                        "role": "channel",
                        "contact": "",
                        "channel": ch,
                        "services": tuple(sorted({it["service"] for it in sel})),
                        "message": f"{when}: {len(sel)} {label} item(s) (notifications.channels.{key})",
                    }
                )
    return frame_from_records(PLAN_COMMUNICATIONS, rows)


def _summary(
    items: pd.DataFrame,
    counted: pd.DataFrame,
    actionable: pd.DataFrame,
    issues: pd.DataFrame,
    scope: set[str],
    floor: int,
    burndown: pd.DataFrame,
    waves: pd.DataFrame,
) -> dict[str, Any]:
    in_scope = counted[counted["service"].isin(list(scope))]
    exempt = issues[issues["exempt"] & issues["service"].isin(list(scope))]
    below = in_scope[in_scope["severity"].map(lambda s: _RANK.get(s, 99) > floor)]
    by_level = {}
    for lvl in ("L1", "L2", "L3"):
        sel = items[items["escalation"] == lvl]
        by_level[lvl] = {"items": len(sel), "teams": sorted({t for t in sel["team"] if t})}
    first = burndown.iloc[0] if len(burndown) else None
    last = burndown.iloc[-1] if len(burndown) else None

    def q(v: Any) -> float | None:
        return None if v is None or pd.isna(v) else float(v)

    return {
        "items": len(items),
        "services": int(items["service"].nunique()) if len(items) else 0,
        "issues_planned": int(sum(len(x) for x in items["issue_ids"])) if len(items) else 0,
        "issues_exempt": len(exempt),
        "issues_below_floor": len(below),
        "by_severity": {s: int((items["severity"] == s).sum()) for s in SEVERITIES},
        "by_escalation": by_level,
        "by_automation": {a: int((items["automation"] == a).sum()) for a in AUTOMATION_CLASSES},
        "security_items": int(items["security"].sum()) if len(items) else 0,
        "late_items": int((~items["on_time"]).sum()) if len(items) else 0,
        "waves": len(waves),
        "plan_end": _iso_day(items["scheduled"].max()) if len(items) else None,
        "backlog_start": int(first["backlog"]) if first is not None else len(in_scope),
        "backlog_end": int(last["backlog"]) if last is not None else len(in_scope),
        "expected_quality_start": q(first["expected_quality"]) if first is not None else None,
        "expected_quality_end": q(last["expected_quality"]) if last is not None else None,
    }


def plan_workspace(
    ws: Any,
    as_of: Any = None,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    workspace: str | None = None,
) -> RemediationPlan:
    """:func:`build_plan` on an open workspace (drift detection, quality, policy and manifests included).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "auth", "domain": "access", "maturity": "stable", "version": "1.0.0",
    ...                   "last_update": "2025-01-01T00:00:00Z", "dependencies": {"internal": [], "external": []}}]}))
    >>> plan = plan_workspace(m.open_workspace(root))
    >>> plan.items[["service", "action", "severity", "automation", "escalation"]].values.tolist()
    [['auth', 'refresh_service', 'high', 'manual', 'L3']]
    """
    return build_plan(
        PlanInputs.from_workspace(ws, as_of, workspace=workspace),
        as_of=ws.resolve_as_of(as_of),
        team=team,
        service=service,
        severity_floor=severity_floor,
    )


# =============================================================================================
# Progress tracking
# =============================================================================================


@dataclass(frozen=True)
class ProgressResult:
    """The outcome of :func:`track_progress`.

    Attributes
    ----------
    items : DataFrame
        :data:`~meta254lib.core.schema.PLAN_PROGRESS`, in plan order.
    new_issues : DataFrame
        Counted issues of the later report that no plan item covers (``id, service, type, severity``).
    summary : dict
        ``plan_as_of``, ``report_as_of``, counts per status, ``came_back`` ids.
    """

    items: pd.DataFrame
    new_issues: pd.DataFrame
    summary: dict[str, Any]

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready dict."""
        rows = _records(self.items)
        for r in rows:
            r["due"] = _iso_day(r["due"])
            r["scheduled"] = _iso_day(r["scheduled"])
        return {"summary": self.summary, "items": rows, "new_issues": _records(self.new_issues)}


def plan_items_from_payload(payload: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Items and as-of of a plan read back from its JSON (``meta254 plan --format json``).

    Raises
    ------
    InputError
        When the payload lacks ``as_of`` or ``items`` or an item lacks ``id``/``issue_ids``/``due``.

    Examples
    --------
    >>> items, when = plan_items_from_payload({"as_of": "2025-10-10T00:00:00+00:00", "items": [
    ...     {"id": "PLAN-1", "service": "a", "severity": "low", "issue_ids": ["D1"], "due": "2025-10-24"}]})
    >>> items.loc[0, "issue_ids"], str(items.loc[0, "due"].date()), when.isoformat()
    (('D1',), '2025-10-24', '2025-10-10T00:00:00+00:00')
    """
    if not isinstance(payload, Mapping) or "items" not in payload or "as_of" not in payload:
        raise InputError("plan", "", "a plan JSON object with as_of and items")
    rows = []
    for i, it in enumerate(payload["items"]):
        if not isinstance(it, Mapping) or not all(k in it for k in ("id", "issue_ids", "due")):
            raise InputError("plan", f"items[{i}]", "an item with id, issue_ids and due")
        rows.append({**it, "issue_ids": tuple(it["issue_ids"])})
    df = frame_from_records(PLAN_ITEMS, rows)
    if len(df):
        df["issue_ids"] = [tuple(x) for x in df["issue_ids"]]
    return df, pd.Timestamp(payload["as_of"]).tz_convert("UTC")


def track_progress(
    plan: RemediationPlan | pd.DataFrame | Mapping[str, Any],
    later: pd.DataFrame,
    *,
    plan_as_of: Any = None,
    as_of: Any = None,
    history: pd.DataFrame | None = None,
) -> ProgressResult:
    """Which items of an earlier plan are done, which are overdue, and which issues came back.

    Parameters
    ----------
    plan : RemediationPlan, DataFrame or mapping
        The earlier plan, its items (``PLAN_ITEMS``; give ``plan_as_of``) or its JSON payload.
    later : DataFrame
        A later drift run (``DRIFT_ISSUES``: ``id``, ``exempt``, ``detected_at``), or drift report rows
        (``DRIFT_HISTORY``: ``issue_id``, ``report_time``), whose newest report at or before ``as_of``
        is the later report and whose earlier reports after the plan count as history.
    as_of : timestamp-like, optional
        When the later report was taken (default: its ``as_of`` / newest ``report_time``).
    history : DataFrame, optional
        ``DRIFT_HISTORY`` rows between the plan and the later report.

    Returns
    -------
    ProgressResult
        Status per item: ``done`` (none of its issues present), ``overdue`` (some present after the
        due date), ``partial`` (some gone, some present, not yet due), ``open`` (all present, not yet
        due). An issue *came back* when it is present in the later report but was absent from a report
        taken after the plan, or when its current episode started after the plan (``detected_at``).

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["P1", "P2"], "service": ["a", "b"], "severity": ["low", "high"],
    ...     "issue_ids": [("D1",), ("D2", "D3")], "due": pd.to_datetime(["2025-10-24", "2025-10-17"], utc=True),
    ...     "scheduled": pd.to_datetime(["2025-10-13", "2025-10-10"], utc=True)})
    >>> later = pd.DataFrame({"id": ["D3", "D9"], "service": ["b", "c"], "type": ["x", "y"],
    ...     "severity": ["high", "low"], "exempt": [False, False],
    ...     "detected_at": pd.to_datetime(["2025-10-01", "2025-10-19"], utc=True)})
    >>> r = track_progress(items, later, plan_as_of="2025-10-10", as_of="2025-10-20")
    >>> r.items[["id", "status", "days_overdue"]].astype(object).values.tolist()
    [['P1', 'done', <NA>], ['P2', 'overdue', 3]]
    >>> r.new_issues["id"].tolist()
    ['D9']
    """
    from ..drift.engine import resolve_as_of

    if isinstance(plan, RemediationPlan):
        items, p_as_of = plan.items, plan.as_of
    elif isinstance(plan, pd.DataFrame):
        items, p_as_of = plan, resolve_as_of(plan_as_of)
    else:
        items, p_as_of = plan_items_from_payload(plan)
    if plan_as_of is not None:
        p_as_of = resolve_as_of(plan_as_of)
    hist = history
    if "issue_id" in later.columns and "report_time" in later.columns:
        rep = later.dropna(subset=["report_time"])
        when = resolve_as_of(as_of, rep["report_time"].max() if len(rep) else None)
        rep = rep[rep["report_time"] <= when]
        latest_time = rep["report_time"].max()
        latest = rep[rep["report_time"] == latest_time]
        if "exempt" in latest:
            latest = latest[~latest["exempt"].astype("boolean").fillna(False).astype(bool)]
        present = set(latest["issue_id"])
        earlier = rep[(rep["report_time"] > p_as_of) & (rep["report_time"] < latest_time)]
        hist = earlier if hist is None else pd.concat([hist, earlier], ignore_index=True)
        later_rows = latest.rename(columns={"issue_id": "id"}).drop_duplicates("id")
        detected: dict[str, pd.Timestamp] = {}
    else:
        when = resolve_as_of(as_of, later["as_of"].max() if "as_of" in later and len(later) else None)
        cur = later[~later["exempt"].astype(bool)] if "exempt" in later else later
        present = set(cur["id"])
        later_rows = cur
        detected = dict(zip(cur["id"], cur["detected_at"], strict=True)) if "detected_at" in cur else {}
    gone_between: set[str] = set()
    if hist is not None and len(hist):
        h = hist[(hist["report_time"] > p_as_of) & (hist["report_time"] < when)]
        for _t, rep_rows in h.groupby("report_time", sort=True):
            gone_between |= set().union(*[set(x) for x in items["issue_ids"]]) - set(rep_rows["issue_id"])
    rows = []
    planned: set[str] = set()
    for it in items.to_dict("records"):
        ids = tuple(it["issue_ids"])
        planned |= set(ids)
        open_ = tuple(i for i in ids if i in present)
        closed = tuple(i for i in ids if i not in present)
        back = tuple(
            i
            for i in open_
            if i in gone_between or (i in detected and not pd.isna(detected[i]) and detected[i] > p_as_of)
        )
        due = pd.Timestamp(it["due"])
        if not open_:
            status = "done"
        elif when > due + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1):
            status = "overdue"
        elif closed:
            status = "partial"
        else:
            status = "open"
        rows.append(
            {
                "id": it["id"],
                "service": it.get("service"),
                "severity": it.get("severity"),
                "due": due,
                "scheduled": it.get("scheduled"),
                "status": status,
                "open_issues": open_,
                "closed_issues": closed,
                "came_back": back,
                "days_overdue": (when.normalize() - due.normalize()).days if status == "overdue" else None,
            }
        )
    out = frame_from_records(PLAN_PROGRESS, rows)
    for c in ("open_issues", "closed_issues", "came_back"):
        if len(out):
            out[c] = [tuple(x) for x in out[c]]
    cols = [c for c in ("id", "service", "type", "severity") if c in later_rows.columns]
    new = later_rows[~later_rows["id"].isin(list(planned))].reindex(columns=cols)
    new = new.sort_values(["service", "id"], kind="mergesort").reset_index(drop=True) if len(new) else new
    summary = {
        "plan_as_of": p_as_of.isoformat(),
        "report_as_of": when.isoformat(),
        "items": len(out),
        **{s: int((out["status"] == s).sum()) for s in ("done", "partial", "open", "overdue")},
        "came_back": sorted({i for x in out["came_back"] for i in x}),
        "new_issues": len(new),
    }
    return ProgressResult(items=out, new_issues=new, summary=summary)
