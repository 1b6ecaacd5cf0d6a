"""The plan policy: every rule of the remediation plan, and how config/upgrade-policies.yaml sets it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ..core.errors import InputError, ParameterError
from ..core.severity import SEVERITIES
from .windows import POLICY_FILE, MaintenanceWindow, zone

__all__ = ["ADVISORY_EXPOSURE", "PlanPolicy", "plan_policy_from_config"]

#: Exposure of an advisory without EPSS, by its severity.
ADVISORY_EXPOSURE = {"critical": 1.0, "high": 0.75, "medium": 0.5, "low": 0.25, "unknown": 0.5}
_UPDATE_TYPES = ("patch", "minor", "major")


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


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
    advisory_exposure: Mapping[str, float] = field(default_factory=lambda: _frozen(ADVISORY_EXPOSURE))
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


class _Reader:
    """Typed reads of upgrade-policies.yaml values; a value of the wrong kind names the file and field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def mapping(self, value: Any, fld: str) -> Mapping[str, Any]:
        """A mapping (``{}`` for a missing value)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise InputError(self.file, fld, "a mapping", type(value).__name__)
        return value

    def flag(self, value: Any, fld: str) -> bool:
        """``true`` or ``false``."""
        if not isinstance(value, bool):
            raise InputError(self.file, fld, "true or false", repr(value))
        return value

    def count(self, value: Any, fld: str, lo: int = 1) -> int:
        """An integer of at least ``lo``."""
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise InputError(self.file, fld, f"an integer >= {lo}", repr(value))
        return value


def plan_policy_from_config(
    upgrade_policies: Mapping[str, Any] | None,
    response_days: Mapping[str, int] | None = None,
    *,
    file: str = POLICY_FILE,
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
    base = PlanPolicy()
    kw: dict[str, Any] = {}
    if response_days:
        kw["response_days"] = _frozen({**base.response_days, **{k: int(v) for k, v in response_days.items()}})
    doc = upgrade_policies or {}
    if not isinstance(doc, Mapping):
        raise InputError(file, "", "a mapping", type(doc).__name__)
    if not doc:
        return replace(base, **kw)
    read = _Reader(file)
    kw["source"] = file
    kw.update(_auto_upgrade(read, doc, base))
    kw["testing"] = _testing(read, doc, base)
    kw.update(_scheduling(read, read.mapping(doc.get("scheduling"), "scheduling")))
    kw["windows"] = _windows(read, doc)
    kw.update(_rollback(read, read.mapping(doc.get("rollback"), "rollback")))
    notif = read.mapping(doc.get("notifications"), "notifications")
    channels = read.mapping(notif.get("channels"), "notifications.channels")
    kw["channels"] = _frozen({str(k): str(v) for k, v in sorted(channels.items()) if v is not None})
    return replace(base, **kw)


def _auto_upgrade(read: _Reader, doc: Mapping[str, Any], base: PlanPolicy) -> dict[str, Any]:
    """The ``auto_upgrade.<type>`` settings as PlanPolicy fields."""
    auto = read.mapping(doc.get("auto_upgrade"), "auto_upgrade")
    enabled, desc = dict(base.auto_enabled), {}
    tests, review, per_pr = dict(base.require_tests), dict(base.require_review), dict(base.max_services_per_pr)
    for t in _UPDATE_TYPES:
        if t not in auto:
            continue
        entry = auto[t]
        fld = f"auto_upgrade.{t}"
        if isinstance(entry, bool):  # the shape the platform's scripts assume
            enabled[t] = entry
            continue
        entry = read.mapping(entry, fld)
        if "enabled" in entry:
            enabled[t] = read.flag(entry["enabled"], f"{fld}.enabled")
        if "require_tests" in entry:
            tests[t] = read.flag(entry["require_tests"], f"{fld}.require_tests")
        if "require_review" in entry:
            review[t] = read.flag(entry["require_review"], f"{fld}.require_review")
        if "max_services_per_pr" in entry:
            per_pr[t] = read.count(entry["max_services_per_pr"], f"{fld}.max_services_per_pr")
        if entry.get("description") is not None:
            desc[t] = str(entry["description"]).strip()
    return {
        "auto_enabled": _frozen(enabled),
        "descriptions": _frozen(desc),
        "require_tests": _frozen(tests),
        "require_review": _frozen(review),
        "max_services_per_pr": _frozen(per_pr),
    }


def _testing(read: _Reader, doc: Mapping[str, Any], base: PlanPolicy) -> Mapping[str, Mapping[str, bool]]:
    """``testing_requirements.<type>`` flags over the defaults."""
    testing_doc = read.mapping(doc.get("testing_requirements"), "testing_requirements")
    testing = {t: dict(v) for t, v in base.testing.items()}
    for t in _UPDATE_TYPES:
        for k, v in read.mapping(testing_doc.get(t), f"testing_requirements.{t}").items():
            testing[t][str(k)] = read.flag(v, f"testing_requirements.{t}.{k}")
    return _frozen({t: _frozen(v) for t, v in testing.items()})


def _scheduling(read: _Reader, sched: Mapping[str, Any]) -> dict[str, Any]:
    """``scheduling``: allowed days, pull requests a day, business hours and their time zone."""
    file = read.file
    kw: dict[str, Any] = {}
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
        kw["max_concurrent_prs"] = read.count(sched["max_concurrent_prs"], "scheduling.max_concurrent_prs")
    bh = read.mapping(sched.get("business_hours"), "scheduling.business_hours")
    if bh:
        start = _hour(bh.get("start", "09:00"), file, "scheduling.business_hours.start")
        end = _hour(bh.get("end", "17:00"), file, "scheduling.business_hours.end")
        if end <= start:
            raise InputError(file, "scheduling.business_hours.end", f"a time after the start ({start:02d}:00)", end)
        kw["business_hours"] = (start, end)
        tz = str(bh.get("timezone") or "UTC")
        zone(tz, file, "scheduling.business_hours.timezone")
        kw["business_timezone"] = tz
    return kw


def _windows(read: _Reader, doc: Mapping[str, Any]) -> tuple[MaintenanceWindow, ...]:
    """``maintenance_windows.windows``."""
    mw = read.mapping(doc.get("maintenance_windows"), "maintenance_windows")
    windows = mw.get("windows") or []
    if not isinstance(windows, list):
        raise InputError(read.file, "maintenance_windows.windows", "a list of windows", type(windows).__name__)
    return tuple(MaintenanceWindow.from_config(w, i, read.file) for i, w in enumerate(windows))


def _rollback(read: _Reader, rb: Mapping[str, Any]) -> dict[str, Any]:
    """``rollback``: automatic rollback and the triggers set to true."""
    kw: dict[str, Any] = {}
    if "auto_rollback" in rb:
        kw["auto_rollback"] = read.flag(rb["auto_rollback"], "rollback.auto_rollback")
    triggers = read.mapping(rb.get("triggers"), "rollback.triggers")
    if triggers:
        kw["rollback_triggers"] = tuple(sorted(str(k) for k, v in triggers.items() if v is True))
    return kw
