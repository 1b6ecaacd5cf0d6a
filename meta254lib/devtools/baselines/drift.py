"""The drift benchmark's baseline: every drift detector as a plain per-row loop over the raw documents.

`meta254 bench` times :func:`~meta254lib.drift.engine.detect_drift` against
:func:`detect_drift_baseline`, and the tests check that both find the same issues. Never used by the
product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ...core.clock import resolve_as_of, to_utc
from ...core.ids import drift_issue_id
from ...core.settings import DEFAULT_EXTERNAL_ALIASES
from ...core.severity import SEVERITY_RANK
from ...core.versions import SemVer, in_osv_range, parse_version, split_pin
from ...drift.inputs import SpecIndex, SpecVersion
from ...drift.lags import classify_lag
from ...drift.policy import DriftPolicy

__all__ = ["detect_drift_baseline"]

#: One affected package of an OSV record: (id, package, intervals, versions, fixed versions, severity).
_Advisory = tuple[str, str, tuple, tuple, str, str]


def _raw_spec_index(doc: Mapping[str, Any] | None) -> SpecIndex | None:
    """The spec index of a raw ``config/specs-index.json`` document (None when absent)."""
    if doc is None:
        return None
    latest: dict[str, SpecVersion] = {}
    versions: dict[str, tuple[SpecVersion, ...]] = {}
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
            date = to_utc(item["release_date"]) if item.get("release_date") else None
            changes = list(item.get("changes") or ())
            if item.get("breaking") is True:
                changes.append("breaking")
            text = str(item.get("version"))
            vs.append(SpecVersion(sv, sv.text, tuple(sorted(set(changes))), date, text in dep, text in rem))
        lv = parse_version(str(body.get("latest_version"))) if body.get("latest_version") else None
        if lv is not None and all(v.semver != lv for v in vs):
            vs.append(SpecVersion(lv, lv.text, (), None, False, False))
        if not vs:
            continue
        vs.sort(key=lambda v: v.semver.key)
        versions[spec] = tuple(vs)
        if lv is not None:
            latest[spec] = next(v for v in vs if v.semver == lv)
        else:
            latest[spec] = ([v for v in vs if not v.semver.prerelease] or vs)[-1]
    return SpecIndex(latest, versions)


def _osv_intervals(ranges: Any) -> tuple[tuple[str, str, str], ...]:
    """``(introduced, fixed, last_affected)`` intervals of OSV ``ranges`` events."""
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


def _raw_advisories(advisories: Iterable[Mapping[str, Any]] | None, aliases: Mapping[str, str]) -> list[_Advisory]:
    """One entry per affected package of the raw OSV records (package names through ``aliases``)."""
    adv: list[_Advisory] = []
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
    return adv


@dataclass
class _Run:
    """The documents of one baseline run, and the issues found so far (in the order found)."""

    policy: DriftPolicy
    as_of: pd.Timestamp
    aliases: Mapping[str, str]
    index: SpecIndex | None
    registry: set[str] | None
    advisories: list[_Advisory] | None
    lockfiles: Mapping[str, Mapping[str, Any]] | None
    names: set[str]
    issues: list[dict[str, Any]] = field(default_factory=list)
    externals: list[tuple[str, str, str, SemVer]] = field(default_factory=list)

    def add(
        self, service: str, kind: str, severity: str, subject: str, current: str, expected: str, reason: str
    ) -> None:
        """Record one issue unless its severity is ``off``."""
        if severity in SEVERITY_RANK:
            self.issues.append(
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

    def vulnerable(self, service: str, pkg: str, ver: str, sv: SemVer) -> None:
        """``vulnerable_dependency`` when an advisory of ``pkg`` affects ``ver``."""
        hits = sorted(a for a in self.advisories or () if a[1] == pkg and in_osv_range(sv, a[2], a[3]))
        if not hits:
            return
        fixes = []
        for a in hits:
            fx = [p for p in (parse_version(f) for f in a[4].split(",") if f) if p is not None and p > sv]
            if fx:
                fixes.append(min(fx, key=lambda p: p.key))
        fix = max(fixes, key=lambda p: p.key).text if len(fixes) == len(hits) else ""
        self.add(
            service,
            "vulnerable_dependency",
            self.policy.level("vulnerable_dependency"),
            pkg,
            ver,
            f">= {fix}" if fix else "a version outside the advisory ranges",
            f"pins {pkg}@{ver}; affected by {', '.join(a[0] for a in hits)}",
        )

    def spec_pin(self, name: str, spec: str, sv: SemVer) -> None:
        """Lag and deprecation of the first valid pin of ``spec``."""
        index, policy = self.index, self.policy
        if index is None or spec not in index.latest:
            return
        lag = classify_lag(spec, sv, index, policy)
        if lag is not None:
            self.add(name, lag["type"], lag["severity"], spec, lag["current"], lag["expected"], lag["reason"])
        v = index.find(spec, sv)
        if v is not None and (v.deprecated or v.removed) and policy.level("deprecated_spec") != "off":
            state = "removed" if v.removed else "deprecated"
            self.add(
                name,
                "deprecated_spec",
                policy.level("deprecated_spec"),
                spec,
                f"{v.text} ({state})",
                index.latest[spec].text,
                f"pins {spec}@{v.text}, marked {state}",
            )

    def pins(self, name: str, svc: Mapping[str, Any]) -> dict[str, str]:
        """Every spec pin of a service; returns the first pin of each spec (for the lock checks)."""
        pinned: dict[str, str] = {}
        checked: set[str] = set()  # specs whose first valid pin was checked
        for pin in svc.get("api_contracts") or ():
            spec, ver = split_pin(str(pin))
            pinned.setdefault(spec, ver)
            sv = parse_version(ver) if ver else None
            if sv is None:
                self.add(
                    name,
                    "invalid_version",
                    self.policy.level("invalid_version"),
                    spec,
                    ver or "(no version)",
                    "a semantic version x.y.z",
                    f"pins {spec}@{ver}, which is not a semantic version",
                )
                continue
            if spec in checked:
                continue
            checked.add(spec)
            self.spec_pin(name, spec, sv)
            if self.advisories is not None:
                self.vulnerable(name, spec, ver, sv)
        return pinned

    def staleness(self, name: str, svc: Mapping[str, Any]) -> None:
        """``version_staleness`` of a service's ``last_update``."""
        last, policy = svc.get("last_update"), self.policy
        if not last or policy.level("version_staleness") == "off":
            return
        ts = to_utc(last)
        age = (self.as_of - ts).days
        sev = (
            "high" if age > policy.staleness_critical_days else "medium" if age > policy.staleness_warning_days else ""
        )
        if sev:
            self.add(
                name,
                "version_staleness",
                sev,
                "",
                f"{ts:%Y-%m-%d} ({age} days old)",
                f"updated within {policy.staleness_warning_days} days",
                f"last updated {ts:%Y-%m-%d}",
            )

    def events(self, name: str, svc: Mapping[str, Any]) -> None:
        """``unknown_event`` for each event not in the registry."""
        if self.registry is None:
            return
        used: dict[str, set[str]] = {}
        for direction in ("in", "out"):
            for ev in svc.get(f"events_{direction}") or ():
                if ev not in self.registry:
                    used.setdefault(ev, set()).add(direction)
        for ev, dirs in used.items():
            self.add(
                name,
                "unknown_event",
                self.policy.level("unknown_event"),
                ev,
                "in+out" if len(dirs) == 2 else next(iter(dirs)),
                "registered in config/events-registry.yaml",
                f"event {ev} is not in the events registry",
            )

    def internal(self, name: str, deps: Mapping[str, Any]) -> None:
        """``dangling_dependency`` for each internal dependency outside the catalog."""
        dangling_seen = set()
        for dep in deps.get("internal") or ():
            target, _ = split_pin(str(dep))
            if target not in self.names and target not in dangling_seen:
                dangling_seen.add(target)
                self.add(
                    name,
                    "dangling_dependency",
                    self.policy.level("dangling_dependency"),
                    target,
                    f"depends on {target}",
                    "a catalog service",
                    f"depends on {target}, which is not in the catalog",
                )

    def external(self, name: str, deps: Mapping[str, Any]) -> None:
        """Invalid and vulnerable external versions; keeps each dependency's lowest version for divergence."""
        ext_seen: dict[str, tuple[str, SemVer]] = {}
        for dep in deps.get("external") or ():
            dname, ver = split_pin(str(dep))
            target = self.aliases.get(dname.lower(), dname)
            if not ver:
                continue
            sv = parse_version(ver)
            if sv is None:
                self.add(
                    name,
                    "invalid_version",
                    self.policy.level("invalid_version"),
                    target,
                    ver,
                    "a version such as 7.2 or 7.2.1",
                    f"depends on {target}@{ver}, whose version does not parse",
                )
                continue
            if target not in ext_seen or sv < ext_seen[target][1]:
                ext_seen[target] = (ver, sv)
            if self.advisories is not None:
                self.vulnerable(name, target, ver, sv)
        self.externals.extend((name, t, v, sv) for t, (v, sv) in ext_seen.items())

    def locks(self, name: str, pinned: Mapping[str, str]) -> None:
        """``missing_lock`` or ``lock_mismatch`` of a service with pins."""
        if self.lockfiles is None or not pinned:
            return
        lock = self.lockfiles.get(name)
        if lock is None:
            self.add(
                name,
                "missing_lock",
                self.policy.level("missing_lock"),
                "",
                "no specs.lock.json",
                f"manifests/collected/{name}.specs.lock.json",
                "pins specs but has no collected lock file",
            )
            return
        locked = {k: str((v or {}).get("version")) for k, v in (lock.get("dependencies") or {}).items()}
        for spec in sorted(set(pinned) | set(locked)):
            p, lk = pinned.get(spec), locked.get(spec)
            ps, ls = parse_version(p) if p else None, parse_version(lk) if lk else None
            same = p is not None and lk is not None and ((ps is not None and ps == ls) or p == lk)
            if not same:
                self.add(
                    name,
                    "lock_mismatch",
                    self.policy.level("lock_mismatch"),
                    spec,
                    lk if lk is not None else "(not locked)",
                    p if p is not None else "(not pinned)",
                    f"lock file and manifest disagree on {spec}",
                )

    def service(self, svc: Mapping[str, Any]) -> None:
        """Every per-service check of one catalog entry."""
        name = svc["name"]
        pinned = self.pins(name, svc)
        self.staleness(name, svc)
        self.events(name, svc)
        deps = svc.get("dependencies") or {}
        self.internal(name, deps)
        self.external(name, deps)
        self.locks(name, pinned)

    def divergence(self) -> None:
        """``dependency_divergence`` against the newest version of each external dependency."""
        newest: dict[str, tuple[str, SemVer]] = {}
        for _, target, ver, sv in self.externals:
            if target not in newest or newest[target][1] < sv:
                newest[target] = (ver, sv)
        if self.policy.level("dependency_divergence") == "off":
            return
        for name, target, ver, sv in self.externals:
            tver, tsv = newest[target]
            if sv.major < tsv.major:
                sev = self.policy.divergence_major
            elif sv.major == tsv.major and sv.minor < tsv.minor:
                sev = self.policy.divergence_minor
            else:
                continue
            self.add(name, "dependency_divergence", sev, target, ver, tver, f"uses {target}@{ver}; others use {tver}")

    def frame(self) -> pd.DataFrame:
        """The issues found, with ids, deduplicated and sorted like ``DRIFT_ISSUES``."""
        rows = [{**d, "id": drift_issue_id(d["service"], d["type"], d["subject"])} for d in self.issues]
        cols = ["id", "service", "type", "severity", "subject", "current", "expected", "reason"]
        out = pd.DataFrame(rows, columns=cols).drop_duplicates("id")
        out["_rank"] = out["severity"].map(SEVERITY_RANK)
        out = out.sort_values(["_rank", "service", "type", "subject", "id"], kind="mergesort")
        return out.drop(columns="_rank").reset_index(drop=True)


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
    current, expected) equal :func:`~meta254lib.drift.engine.detect_drift`'s on the same data.

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
    alias_map = {k.lower(): v for k, v in (DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases).items()}
    services = [s for s in catalog.get("services") or () if isinstance(s, Mapping) and s.get("name")]
    run = _Run(
        policy=policy or DriftPolicy(),
        as_of=resolve_as_of(as_of),
        aliases=alias_map,
        index=_raw_spec_index(specs_index),
        registry=set(events_registry) if events_registry is not None else None,
        advisories=_raw_advisories(advisories, alias_map) if advisories is not None else None,
        lockfiles=lockfiles,
        names={s["name"] for s in services},
    )
    seen: set[str] = set()
    for svc in services:
        if svc["name"] not in seen:
            seen.add(svc["name"])
            run.service(svc)
    run.divergence()
    return run.frame()
