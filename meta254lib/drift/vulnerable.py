"""The advisory detector: ``vulnerable_dependency`` when an OSV advisory affects a pinned version."""

from __future__ import annotations

import pandas as pd

from ..core.schema import SERVICE, SEVERITY, SPEC, TARGET, VERSION
from ..core.versions import SemVer, in_osv_range, parse_version
from .frames import issue_frame, no_issues
from .policy import DriftPolicy

__all__ = ["detect_vulnerable"]

#: One advisory of a package: (id, OSV intervals, listed versions, fixed versions as text, severity).
_Advisory = tuple[str, tuple, tuple, str, str]


def _advisories_by_package(advisories: pd.DataFrame) -> dict[str, list[_Advisory]]:
    """The ``ADVISORIES`` rows grouped by affected package (rows without package or id skipped)."""
    by_pkg: dict[str, list[_Advisory]] = {}
    cols = ["advisory_id", "package", "intervals", "versions", "fixed", SEVERITY]
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
    return by_pkg


def _used_versions(contracts: pd.DataFrame, externals: pd.DataFrame, packages: set[str]) -> pd.DataFrame:
    """``service, subject, version``: every valid spec pin and parsed external version of an advised package."""
    pins = contracts[contracts["valid"].astype(bool)].drop_duplicates([SERVICE, SPEC])
    pins = pins[[SERVICE, SPEC, VERSION]].rename(columns={SPEC: "subject"})
    ext = externals[externals["_sv"].notna()][[SERVICE, TARGET, VERSION]].rename(columns={TARGET: "subject"})
    used = pd.concat([pins, ext], ignore_index=True)
    return used[used["subject"].isin(list(packages))]


def _vulnerability(pkg: str, ver: str, sv: SemVer, advisories: list[_Advisory]) -> dict[str, str] | None:
    """The issue fields of ``pkg@ver`` under its package's advisories, or None when none affects it."""
    hits = sorted(a for a in advisories if in_osv_range(sv, a[1], a[2]))
    if not hits:
        return None
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
    return {
        "subject": pkg,
        VERSION: ver,
        "current": ver,
        "expected": f">= {fix}" if fix else "a version outside the advisory ranges",
        "reason": reason,
        "advisory_ids": ",".join(ids),
    }


def detect_vulnerable(
    contracts: pd.DataFrame, externals: pd.DataFrame, advisories: pd.DataFrame, policy: DriftPolicy
) -> pd.DataFrame:
    """``vulnerable_dependency``: spec pins and external versions inside an OSV advisory's affected ranges.

    Parameters
    ----------
    contracts : DataFrame
        ``CONTRACTS`` rows.
    externals : DataFrame
        ``service, target, version, _sv``: external dependencies with their parsed versions.
    advisories : DataFrame
        ``ADVISORIES`` rows.
    policy : DriftPolicy

    Returns
    -------
    DataFrame
        One row per (service, package), with the advisory ids and the lowest fixed version.
    """
    sev = policy.level("vulnerable_dependency")
    if sev == "off" or advisories.empty:
        return no_issues()
    by_pkg = _advisories_by_package(advisories)
    used = _used_versions(contracts, externals, set(by_pkg))
    rows = []
    for pkg, ver in used[["subject", VERSION]].drop_duplicates().itertuples(index=False, name=None):
        sv = parse_version(ver)
        row = _vulnerability(pkg, ver, sv, by_pkg[pkg]) if sv is not None else None
        if row is not None:
            rows.append(row)
    if not rows:
        return no_issues()
    m = used.merge(pd.DataFrame(rows), on=["subject", VERSION])
    m = m.sort_values([SERVICE, "subject", VERSION]).drop_duplicates([SERVICE, "subject"])
    return issue_frame(m, type="vulnerable_dependency", severity=sev)
