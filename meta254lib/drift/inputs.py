"""What drift detection reads: the :class:`DriftInputs` tables and the index of the spec registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..core.schema import TABLES, empty_frame
from ..core.versions import SemVer, parse_version
from .policy import DriftPolicy, policy_from_config

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["DriftInputs", "SpecIndex", "SpecVersion", "input_frame"]


@dataclass(frozen=True)
class DriftInputs:
    """The tables drift detection reads. ``None`` means the input is absent (not assessed).

    Parameters
    ----------
    services, contracts, dependencies, events : DataFrame
        Catalog tables (``SERVICES``, ``CONTRACTS``, ``DEPENDENCIES``, ``EVENTS``).
    spec_versions : DataFrame, optional
        ``SPEC_VERSIONS``; ``None`` when config/specs-index.json is absent.
    lockfiles : DataFrame, optional
        ``LOCKFILES``; ``None`` when no lock file is collected anywhere.
    advisories : DataFrame, optional
        ``ADVISORIES``; ``None`` when advisories/ is absent.
    events_registry : frozenset of str, optional
        Registered event ids; ``None`` when config/events-registry.yaml is absent.
    exemptions : DataFrame, optional
        ``EXEMPTIONS`` rows (rules.yaml ``drift.exemptions``).
    history : DataFrame, optional
        ``DRIFT_HISTORY`` rows; used to date each issue's first detection.
    generated_at : Timestamp, optional
        Catalog ``metadata.generated_at``: the default ``as_of``.
    policy : DriftPolicy, optional
        The workspace's policy (:func:`policy_from_config`); the default policy when ``None``.
    """

    services: pd.DataFrame
    contracts: pd.DataFrame | None = None
    dependencies: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    spec_versions: pd.DataFrame | None = None
    lockfiles: pd.DataFrame | None = None
    advisories: pd.DataFrame | None = None
    events_registry: frozenset[str] | None = None
    exemptions: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    generated_at: pd.Timestamp | None = None
    policy: DriftPolicy | None = None

    @classmethod
    def from_workspace(cls, ws: Workspace) -> DriftInputs:
        """Collect the inputs of an open workspace (absent optional inputs become ``None``)."""

        def has(name: str) -> bool:
            return bool(ws.has_input(name))

        return cls(
            services=ws.services,
            contracts=ws.contracts,
            dependencies=ws.dependencies,
            events=ws.events,
            spec_versions=ws.spec_versions if has("spec_registry") else None,
            lockfiles=ws.lockfiles if has("lockfiles") else None,
            advisories=ws.advisories if has("advisories") else None,
            events_registry=ws.events_registry,
            exemptions=ws.exemptions,
            history=ws.drift_history if has("drift_history") else None,
            generated_at=ws.generated_at,
            policy=policy_from_config(ws.thresholds, ws.rules),
        )


def input_frame(df: pd.DataFrame | None, schema_name: str) -> pd.DataFrame:
    """``df``, or an empty frame of the table ``schema_name`` when the input is absent.

    Examples
    --------
    >>> list(input_frame(None, "events").columns)[:2]
    ['service', 'event']
    """
    return empty_frame(TABLES[schema_name]) if df is None else df


@dataclass(frozen=True)
class SpecVersion:
    """One version of a spec in the registry: parsed version, change tags, release date, state."""

    semver: SemVer
    text: str
    changes: tuple[str, ...]
    date: pd.Timestamp | None
    deprecated: bool
    removed: bool


@dataclass(frozen=True)
class SpecIndex:
    """The spec registry by spec: its latest version and all its versions in ascending order."""

    latest: dict[str, SpecVersion]
    versions: dict[str, tuple[SpecVersion, ...]]  # ascending

    @classmethod
    def build(cls, spec_versions: pd.DataFrame | None) -> SpecIndex:
        """The index of ``SPEC_VERSIONS`` rows (empty when the registry is absent)."""
        latest: dict[str, SpecVersion] = {}
        versions: dict[str, list[SpecVersion]] = {}
        if spec_versions is None or spec_versions.empty:
            return cls({}, {})
        cols = ["spec", "version", "changes", "release_date", "deprecated", "removed", "is_latest"]
        df = spec_versions.reindex(columns=cols)
        for spec, text, changes, date, dep, rem, is_latest in df.itertuples(index=False, name=None):
            sv = parse_version(text)
            if sv is None or not isinstance(spec, str):
                continue
            tags = (
                tuple(sorted({t.strip() for t in changes.split(",") if t.strip()})) if isinstance(changes, str) else ()
            )
            v = SpecVersion(sv, sv.text, tags, None if pd.isna(date) else date, dep is True, rem is True)
            versions.setdefault(spec, []).append(v)
            if is_latest is True:
                latest[spec] = v
        out = {s: tuple(sorted(vs, key=lambda v: v.semver.key)) for s, vs in versions.items()}
        for spec, vs in out.items():
            if spec not in latest:
                finals = [v for v in vs if not v.semver.prerelease] or list(vs)
                latest[spec] = finals[-1]
        return cls(latest, out)

    def find(self, spec: str, sv: SemVer) -> SpecVersion | None:
        """The registry entry of ``spec`` at version ``sv``, if the registry lists it."""
        for v in self.versions.get(spec, ()):
            if v.semver == sv:
                return v
        return None
