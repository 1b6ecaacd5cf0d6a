"""Drift detection that follows the drift remediation runbook: :func:`detect_drift` and its :class:`DriftResult`.

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
:data:`~meta254lib.drift.policy.LAG_PRIORITY`. All lag types are one id family, so the issue keeps
its id while it changes.

The detectors live in :mod:`~meta254lib.drift.detectors`, :mod:`~meta254lib.drift.locks` and
:mod:`~meta254lib.drift.vulnerable`; exemptions in :mod:`~meta254lib.drift.exemptions`. History,
flow, time to remediation and KPIs over successive reports live in :mod:`meta254lib.drift.history`,
:mod:`~meta254lib.drift.flow` and :mod:`~meta254lib.drift.kpis`.

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

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..core.clock import resolve_as_of, to_utc_index
from ..core.errors import UnknownServiceError
from ..core.ids import drift_issue_id
from ..core.records import json_records
from ..core.reprs import summary_html, summary_text
from ..core.schema import DRIFT_ISSUES, UTC_TS, frame_from_records
from ..core.severity import SEVERITIES, SEVERITY_RANK
from .detectors import (
    detect_dangling,
    detect_deprecated,
    detect_divergence,
    detect_invalid,
    detect_lags,
    detect_staleness,
    detect_unknown_events,
)
from .exemptions import apply_exemptions, exemption_table
from .frames import parse_versions, text_col
from .inputs import DriftInputs, SpecIndex, input_frame
from .locks import detect_locks
from .policy import CATEGORIES, REMEDIATIONS, DriftPolicy
from .vulnerable import detect_vulnerable

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["DriftResult", "detect_drift"]

#: Severity -> escalation level of the runbook.
_ESCALATION = {"high": "L3", "medium": "L2", "low": "L1"}


def _plural(n: int, word: str) -> str:
    """``n word`` with an ``s`` unless ``n`` is 1."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _detected_at(ids: pd.Series, history: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.Series:
    """When each issue id was first detected: the start of its open spell in ``history``, else ``as_of``."""
    as_of_s = pd.Series(as_of, index=ids.index, dtype=UTC_TS)
    if history is None or history.empty:
        return as_of_s
    h = history[history["report_time"] < as_of]
    if h.empty:
        return as_of_s
    # The start of each id's open spell (see drift_history.issue_spells: a spell is an unbroken run
    # over successive reports; it is open when it reaches the last report). Only the ids asked for
    # are looked at, with integer codes, which keeps this linear and cheap on a year of history.
    reports = to_utc_index(sorted(h["report_time"].dropna().unique()))
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
    """The detector outputs assembled into sorted :data:`~meta254lib.core.schema.DRIFT_ISSUES` rows."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return frame_from_records(DRIFT_ISSUES, [])
    df = pd.concat(parts, ignore_index=True)
    df = df[df["severity"].isin(list(SEVERITIES))]
    for c in ("subject", "current", "expected", "reason", "advisory_ids"):
        df[c] = text_col(df[c])
    df["id"] = [
        drift_issue_id(s, t, j)
        for s, t, j in zip(df["service"].tolist(), df["type"].tolist(), df["subject"].tolist(), strict=True)
    ]
    df = df.drop_duplicates("id")
    df["category"] = df["type"].map(CATEGORIES)
    df["remediation"] = df["type"].map(REMEDIATIONS)
    df["escalation"] = df["severity"].map(_ESCALATION)
    teams = inputs.services.drop_duplicates("service").set_index("service")
    team = teams["team"] if "team" in teams else pd.Series(dtype="str")
    df["team"] = text_col(df["service"].map(team))
    df["as_of"] = pd.Series(as_of, index=df.index, dtype=UTC_TS)
    df = apply_exemptions(df, inputs.exemptions, as_of)
    df["detected_at"] = _detected_at(df["id"], inputs.history, as_of)
    df["_rank"] = df["severity"].map(SEVERITY_RANK)
    df = df.sort_values(["_rank", "service", "type", "subject", "id"], kind="mergesort").reset_index(drop=True)
    out = {}
    for c, dtype, _ in DRIFT_ISSUES.spec:
        s = df[c]
        if dtype in ("Int64", "float64"):
            s = pd.to_numeric(s, errors="coerce")
        out[c] = s.astype(dtype) if dtype != "str" else text_col(s).astype("str")
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

    _repr_html_ = summary_html
    __repr__ = summary_text

    def _summary(self) -> tuple[str, dict[str, Any], pd.DataFrame]:
        s = self.summary()
        sev = s["by_severity"]
        head = f"Drift as of {self.as_of:%Y-%m-%d %H:%M} UTC: {s['total_issues']} open issue(s)"
        numbers = {
            **{k: sev.get(k, 0) for k in ("high", "medium", "low")},
            "exempt": s["exempt"],
            "services with drift": f"{s['services_with_drift']} of {s['services']}",
        }
        cols = ["severity", "service", "subject", "reason"]
        return head, numbers, self.counted[cols]

    def for_service(self, service: str) -> DriftResult:
        """The same run restricted to one service (issues, exemptions, ``services`` = 1).

        Raises
        ------
        UnknownServiceError
            When the service was not assessed.
        """
        if service not in self.service_names:
            raise UnknownServiceError(service, list(self.service_names))
        return self.for_services([service])

    def for_services(self, services: Iterable[str]) -> DriftResult:
        """The same run restricted to some services (a team's or a domain's), the others left out."""
        keep = sorted(set(services) & set(self.service_names))
        return replace(
            self,
            issues=self.issues[self.issues["service"].isin(keep)].reset_index(drop=True),
            exemptions=self.exemptions[self.exemptions["service"].isin(keep)].reset_index(drop=True),
            services=len(keep),
            service_names=tuple(keep),
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
            "expired_exemptions": json_records(self.exemptions[self.exemptions["status"].str.startswith("expired")]),
            "not_assessed": json_records(self.not_assessed),
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
        issues = json_records(self.issues)
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
            "exemptions": json_records(self.exemptions),
            "recommendations": self.recommendations(),
        }


def _externals(deps: pd.DataFrame) -> pd.DataFrame:
    """``service, target, version, _sv``: the distinct versioned external dependencies, parsed."""
    ext = deps[(deps["kind"] == "external") & deps["version"].notna() & (text_col(deps["version"]) != "")]
    ext = ext[["service", "target", "version"]].drop_duplicates()
    return ext.assign(_sv=ext["version"].map(parse_versions(ext["version"])))


def _iso(ts: Any) -> str | None:
    """ISO text of a time, None when missing (a text time is parsed first, unlike ``json_value``)."""
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    return pd.Timestamp(ts).isoformat()


def _not_assessed(inputs: DriftInputs, contracts: pd.DataFrame, index: SpecIndex) -> pd.DataFrame:
    """``check, input, reason``: each check that lacked its input."""
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
    inputs: DriftInputs | Workspace,
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
    contracts = input_frame(inputs.contracts, "contracts")
    deps = input_frame(inputs.dependencies, "dependencies")
    events = input_frame(inputs.events, "events")
    index = SpecIndex.build(inputs.spec_versions)

    ext = _externals(deps)

    parts = [
        detect_lags(contracts, index, policy),
        detect_deprecated(contracts, index, policy),
        detect_invalid(contracts, ext, policy),
        detect_staleness(services, as_of, policy),
        detect_dangling(deps, policy),
        detect_divergence(ext, policy),
    ]
    if inputs.events_registry is not None:
        parts.append(detect_unknown_events(events, inputs.events_registry, policy))
    if inputs.advisories is not None:
        parts.append(detect_vulnerable(contracts, ext, inputs.advisories, policy))
    if inputs.lockfiles is not None:
        parts.append(detect_locks(services, contracts, inputs.lockfiles, policy))
    issues = _finish(parts, inputs, as_of)
    return DriftResult(
        issues=issues,
        not_assessed=_not_assessed(inputs, contracts, index),
        exemptions=exemption_table(inputs.exemptions, issues, as_of),
        as_of=as_of,
        services=int(services["service"].nunique()),
        policy=policy,
        catalog_timestamp=inputs.generated_at,
        service_names=tuple(sorted(services["service"].dropna().unique())),
    )
