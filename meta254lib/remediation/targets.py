"""Version targets: the spec registry index, the policy's spec-upgrade target and the lowest security fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.versions import SemVer, in_osv_range, parse_version, update_type
from .policy import PlanPolicy

__all__ = ["SpecVersion", "lowest_fixed_version", "policy_target", "security_target", "spec_index"]


@dataclass(frozen=True)
class SpecVersion:
    """One registry version of a spec: parsed, as written, its change tags, deprecated or removed."""

    semver: SemVer
    text: str
    tags: tuple[str, ...]
    deprecated: bool
    removed: bool


def spec_index(spec_versions: pd.DataFrame | None) -> dict[str, tuple[SpecVersion, ...]]:
    """spec -> its parseable registry versions, oldest first (``SPEC_VERSIONS`` rows).

    Examples
    --------
    >>> idx = spec_index(pd.DataFrame({"spec": ["a", "a", "a"], "version": ["1.1.0", "latest", "1.0.0"],
    ...                                "changes": ["breaking, feature", None, ""]}))
    >>> [(v.text, v.tags) for v in idx["a"]]
    [('1.0.0', ()), ('1.1.0', ('breaking', 'feature'))]
    """
    if spec_versions is None or len(spec_versions) == 0:
        return {}
    out: dict[str, list[SpecVersion]] = {}
    cols = ["spec", "version", "changes", "deprecated", "removed"]
    for spec, text, changes, dep, rem in spec_versions.reindex(columns=cols).itertuples(index=False, name=None):
        sv = parse_version(text)
        if sv is None or not isinstance(spec, str):
            continue
        tags = tuple(sorted({t.strip() for t in changes.split(",") if t.strip()})) if isinstance(changes, str) else ()
        out.setdefault(spec, []).append(SpecVersion(sv, str(text), tags, dep is True, rem is True))
    return {s: tuple(sorted(v, key=lambda x: x.semver.key)) for s, v in sorted(out.items())}


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
    auto = [c for c in cands if policy.auto_enabled.get(update_type(cur, c[0]), False)]
    best = auto[-1] if auto else None
    if beyond_auto or best is None:
        alt = ""
        if best is not None and best[1] != latest[1]:
            kind = update_type(cur, best[0])
            alt = f"{best[1]} (the latest automatic {kind} step; leaves the {update_type(cur, latest[0])} lag open)"
        why = "latest registry version (the issue needs it)" if beyond_auto else "latest registry version"
        if best is None:
            why += f"; the upgrade policy upgrades no {update_type(cur, latest[0])} release automatically"
        return latest[1], alt, why
    kind = update_type(cur, best[0])
    reason = f"latest version the upgrade policy upgrades automatically ({kind})"
    alt = ""
    if best[1] != latest[1]:
        lk = update_type(cur, latest[0])
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


_Candidate = tuple[SemVer, str, str]


def _advisory_candidate(
    current: str, rows: Sequence[Mapping[str, Any]], known: Sequence[str]
) -> tuple[_Candidate | None, str]:
    """The lowest version outside every advisory range of the package, or ``None`` and why not."""
    fix, why = lowest_fixed_version(current, rows, known)
    if fix:
        return (parse_version(fix), fix, why), why  # type: ignore[return-value]
    return None, why


def _security_release_candidate(current: str, latest_text: str, versions: Sequence[SpecVersion]) -> _Candidate | None:
    """The last skipped registry release tagged ``security`` (a ``security_lag``), if any."""
    cur = parse_version(current)
    latest = parse_version(latest_text)
    sec = [
        v
        for v in versions
        if "security" in v.tags and cur is not None and cur < v.semver and (latest is None or v.semver <= latest)
    ]
    if not sec:
        return None
    v = sec[-1]
    return v.semver, v.semver.text, f"the last skipped release tagged security ({v.semver.text})"


def security_target(
    current: str,
    advisory_ids: Sequence[str],
    advisory_rows: Sequence[Mapping[str, Any]] | None,
    lag_expected: str | None,
    versions: Sequence[SpecVersion],
) -> tuple[str, str, str]:
    """The target of a security fix: the highest of the advisories' lowest fix and the skipped security release.

    Parameters
    ----------
    current : str
        The pinned version.
    advisory_ids : sequence of str
        The advisories the item's issues name.
    advisory_rows : sequence of mapping or None
        ``ADVISORIES`` rows of the package; ``None`` when the advisories were not checked.
    lag_expected : str or None
        The ``expected`` version of the item's ``security_lag`` issue, ``None`` without one.
    versions : sequence of SpecVersion
        The spec registry's versions of the package.

    Returns
    -------
    (target, alternative, reason)
        ``target`` is ``""`` when no fix is known; an advisory without a fixed version blocks the
        security-release candidate.

    Examples
    --------
    >>> advs = [{"advisory_id": "A", "intervals": (("0", "1.2.0", ""),), "versions": ()}]
    >>> security_target("1.0.0", ["A"], advs, None, ())
    ('1.2.0', '', 'lowest version outside the ranges of A (candidates checked: 1.2.0)')
    """
    candidates: list[_Candidate] = []
    reason = ""
    usable = [v for v in versions if not (v.deprecated or v.removed)]
    if advisory_rows is not None:
        found, why = _advisory_candidate(current, advisory_rows, [v.text for v in usable])
        if found is not None:
            candidates.append(found)
        else:
            reason = why
    if lag_expected is not None:
        found_release = _security_release_candidate(current, lag_expected, versions)
        if found_release is not None:
            candidates.append(found_release)
    advisory_fixed = any(c[2].startswith("lowest") for c in candidates)
    target = ""
    if candidates and (advisory_fixed or not advisory_ids):
        target = max(candidates, key=lambda c: c[0].key)[1]
        reason = "; ".join(c[2] for c in sorted(candidates, key=lambda c: c[0].key))
        if len(candidates) > 1:
            reason = f"the highest of: {reason}"
    alternative = ""
    if target and usable and usable[-1].semver.text != parse_version(target).text:  # type: ignore[union-attr]
        alternative = f"{usable[-1].semver.text} (latest registry version; not needed for the fix)"
    return target, alternative, reason
