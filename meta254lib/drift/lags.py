"""Version lag of a spec pin: how far behind the registry's latest it is, and which lag type that is.

:func:`classify_lag` names the one lag issue of a pin (the most severe of the semver-distance type and
the types of the change tags of the skipped versions; ties go to the first of
:data:`~meta254lib.drift.policy.LAG_PRIORITY`); :func:`lag_matrix` tabulates every pin's distance and
libyear for notebooks and reports.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.severity import SEVERITY_RANK
from ..core.versions import SemVer, parse_version, semver_distance
from .inputs import SpecIndex
from .policy import LAG_PRIORITY, TAG_TYPE, DriftPolicy

__all__ = ["classify_lag", "lag_matrix", "libyear"]

#: Change tag -> how the reason names a skipped version with that tag.
_TAG_PHRASE = {
    "security": "fixed a security issue",
    "breaking": "has breaking changes",
    "feature": "added features",
    "performance": "improved performance",
    "bugfix": "fixed bugs",
    "docs": "improved documentation",
}


def libyear(a: pd.Timestamp | None, b: pd.Timestamp | None) -> float:
    """Years from release ``a`` to release ``b`` (0 when ``b`` is earlier; NaN when either is unknown).

    Examples
    --------
    >>> libyear(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-07-02"))
    1.5
    """
    if a is None or b is None:
        return float("nan")
    return round(max((b - a).total_seconds(), 0.0) / (365.25 * 86400), 3)


def classify_lag(spec: str, pinned: SemVer, index: SpecIndex, policy: DriftPolicy) -> dict[str, Any] | None:
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
    for tag, lag_type in TAG_TYPE.items():
        hit = next((v for v in skipped if tag in v.changes), None)
        if hit is not None:
            candidates.append((lag_type, policy.level(lag_type), hit.text))
    live = [c for c in candidates if c[1] in SEVERITY_RANK]
    if not live:
        return None
    lag_type, severity, cited = min(live, key=lambda c: (SEVERITY_RANK[c[1]], LAG_PRIORITY.index(c[0])))
    pin = f"{spec}@{pinned.text}"
    if cited is None:
        unit = "major" if dist[0] else "minor" if dist[1] else "patch"
        n = dist[0] or dist[1] or dist[2]
        behind = f"{n} {unit}{'es' if unit == 'patch' and n != 1 else 's' if n != 1 else ''} behind"
        if n == 0:
            behind = "a pre-release behind"
        reason = f"pins {pin}; latest is {latest.text}, {behind}"
    else:
        tag = next(t for t, ty in TAG_TYPE.items() if ty == lag_type)
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
        "libyear": libyear(pinned_v.date if pinned_v else None, latest.date),
    }


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
    index = SpecIndex.build(spec_versions)
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
            row["libyear"] = libyear(pv.date if pv else None, latest.date) if sv < latest.semver else 0.0
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
