"""Release-train checks against the catalog: participants resolved by name, spec requirements against pins.

Examples
--------
>>> resolve_participant("curve", ["curve-service", "curves", "auth"])
(None, ('curves', 'curve-service'))
>>> resolve_participant("auth", ["auth"])
('auth', ())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.names import closest
from ..core.versions import parse_version
from .trains_file import Requirement

__all__ = ["check_requirement", "resolve_participant", "satisfies"]


def resolve_participant(name: str, catalog: Iterable[str]) -> tuple[str | None, tuple[str, ...]]:
    """The catalog service a participant names, or ``None`` and the "did you mean" names.

    The suggestions are :func:`~meta254lib.core.names.closest` (the one did-you-mean rule of every
    name a user types): close spellings first, then longer names holding it (``curve`` → ``curve-service``).

    Examples
    --------
    >>> resolve_participant("curve-agregator", ["curve-aggregator", "curve-store", "auth"])
    (None, ('curve-aggregator',))
    """
    names = sorted(set(catalog))
    if name in names:
        return name, ()
    return None, tuple(closest(name, names))


def satisfies(requirement: Requirement, version: Any) -> bool | None:
    """Whether ``version`` meets the requirement (``None`` when it is not a version).

    Examples
    --------
    >>> from packaging.specifiers import SpecifierSet
    >>> req = Requirement("gateway-core", SpecifierSet(">=1.2.0"), "gateway-core >=1.2.0")
    >>> satisfies(req, "1.0.0"), satisfies(req, "v1.2"), satisfies(req, "latest")
    (False, True, None)
    """
    parsed = parse_version(version) if isinstance(version, str) else None
    if parsed is None:
        return None
    return requirement.specifier.contains(parsed.text, prereleases=True)


def _registry(requirement: Requirement, registry: pd.DataFrame) -> tuple[str | None, str | None]:
    """(latest version in the registry, highest version meeting the requirement), ``None`` each when absent."""
    rows = registry[(registry["spec"] == requirement.spec) & ~registry["removed"].astype(bool)]
    versions = [(parse_version(v), v) for v in rows["version"]]
    versions = sorted((p, v) for p, v in versions if p is not None)
    if not versions:
        return None, None
    meeting = [p.text for p, _ in versions if requirement.specifier.contains(p.text, prereleases=True)]
    return versions[-1][0].text, (meeting[-1] if meeting else None)


def check_requirement(
    requirement: Requirement,
    participants: Sequence[str],
    contracts: pd.DataFrame,
    registry: pd.DataFrame,
    items: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One spec requirement checked against the participants' pins and the spec registry.

    Returns
    -------
    dict
        ``requirement, spec, specifier, registry_latest, registry_meets`` (the highest registry version
        meeting it), ``pinned_by`` (``service@version``), ``blockers`` (participants whose pin does not
        meet it), ``status`` and ``note``. Status: ``satisfied`` (every pin meets it), ``blocked`` (a pin
        does not), ``unsatisfiable`` (the registry holds the spec but no version meets it), ``not pinned``
        (no participant pins the spec).
    """
    pins = contracts[(contracts["spec"] == requirement.spec) & contracts["service"].isin(list(participants))]
    pins = pins.sort_values(["service", "version"], kind="stable")
    pinned = tuple(f"{s}@{v}" for s, v in zip(pins["service"], pins["version"], strict=True))
    blockers = tuple(
        s for s, v in zip(pins["service"], pins["version"], strict=True) if satisfies(requirement, v) is not True
    )
    latest, meets = _registry(requirement, registry)
    in_registry = latest is not None
    notes = []
    if not in_registry:
        notes.append(f"{requirement.spec} is not in the spec registry: whether a version meets it is not assessed")
    elif meets is None:
        notes.append(f"no registry version of {requirement.spec} meets {requirement.specifier} (latest {latest})")
    else:
        notes.append(f"the registry has {meets}")
    if blockers:
        bad = ", ".join(p for p in pinned if p.split("@")[0] in blockers)
        notes.insert(0, f"pinned below the requirement: {bad}")
        fixes = sorted({i for b in blockers for i in (items or {}).get(b, ())})
        if fixes:
            notes.append("plan item(s) " + ", ".join(fixes) + " upgrade the pin")
    if in_registry and meets is None:
        status = "unsatisfiable"
    elif blockers:
        status = "blocked"
    elif not pinned:
        status = "not pinned"
        notes.insert(0, "no participant pins " + requirement.spec)
    else:
        status = "satisfied"
    return {
        "requirement": requirement.text,
        "spec": requirement.spec,
        "specifier": str(requirement.specifier),
        "registry_latest": latest,
        "registry_meets": meets,
        "pinned_by": pinned,
        "blockers": blockers,
        "status": status,
        "note": "; ".join(notes),
    }
