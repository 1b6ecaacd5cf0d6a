"""The lookup tables a plan reads for every item: services, pins, locks, advisories and each service's impact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from ..core.columns import DOMAIN, MATURITY, RUNTIME, SERVICE, SPEC, TEAM, VERSION
from ..graph.build import DEFAULT_RELATIONS
from ..impact.fleet import fleet_impact
from .fmt import text as _text
from .policy import PlanPolicy
from .targets import SpecVersion

__all__ = ["PlanFacts", "advisory_maps", "impact_by_service", "lock_map", "pin_map", "service_maps"]

#: advisory id -> (row position, epss, severity) of its first row.
AdvisoryIndex = dict[str, tuple[int, Any, Any]]


@dataclass(frozen=True)
class PlanFacts:
    """Everything one plan looks up while it builds its items (read-only)."""

    services: dict[str, dict[str, Any]]
    pins: dict[str, dict[str, str]]
    locks: dict[str, dict[str, dict[str, Any]]]
    spec_index: dict[str, tuple[SpecVersion, ...]]
    advisory_index: AdvisoryIndex
    advisories_by_package: dict[Any, list[dict[str, Any]]]
    quality: dict[str, float | None]
    coverage_target: float
    impact: dict[str, dict[str, Any]]
    escalation: dict[str, dict[str, Any]]
    policy: PlanPolicy
    start_day: pd.Timestamp


def service_maps(services: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """service -> its catalog row (team, team_contact, version, maturity, runtime, coverage, path, domain)."""
    cols = [SERVICE, TEAM, "team_contact", VERSION, MATURITY, RUNTIME, "coverage", "path", DOMAIN]
    s = services.reindex(columns=cols).drop_duplicates(SERVICE)
    return {r[SERVICE]: r for r in s.to_dict("records") if isinstance(r[SERVICE], str)}


def lock_map(lockfiles: pd.DataFrame | None) -> dict[str, dict[str, dict[str, Any]]]:
    """service -> spec -> its first lock entry (``resolved_at`` as ``YYYY-MM-DDTHH:MM:SSZ`` text)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    if lockfiles is None or not len(lockfiles):
        return out
    for r in lockfiles.reindex(columns=[SERVICE, SPEC, VERSION, "resolved_at", "integrity"]).to_dict("records"):
        if isinstance(r[SERVICE], str) and isinstance(r[SPEC], str):
            ts = r["resolved_at"]
            entry = {
                **r,
                "resolved_at": "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            out.setdefault(r[SERVICE], {}).setdefault(r[SPEC], entry)
    return out


def pin_map(contracts: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    """service -> spec -> the version its manifest pins (the first pin of each)."""
    out: dict[str, dict[str, str]] = {}
    if contracts is None or not len(contracts):
        return out
    for svc, spec, ver in contracts.reindex(columns=[SERVICE, SPEC, VERSION]).itertuples(index=False, name=None):
        if isinstance(svc, str) and isinstance(spec, str) and spec:
            out.setdefault(svc, {}).setdefault(spec, _text(ver))
    return out


def advisory_maps(advisories: pd.DataFrame | None) -> tuple[AdvisoryIndex, dict[Any, list[dict[str, Any]]]]:
    """advisory id -> (row position, epss, severity) of its first row; package -> its rows, in order."""
    index: AdvisoryIndex = {}
    by_package: dict[Any, list[dict[str, Any]]] = {}
    for pos, rec in enumerate(advisories.to_dict("records") if advisories is not None else []):
        index.setdefault(rec["advisory_id"], (pos, rec["epss"], rec["severity"]))
        by_package.setdefault(rec["package"], []).append(rec)
    return index, by_package


def impact_by_service(
    graph: nx.DiGraph, services: list[str], quality: pd.Series, drift: pd.Series, policy: PlanPolicy
) -> dict[str, dict[str, Any]]:
    """The impact of changing each planned service, computed for all of them at once.

    One impact analysis per service would visit about half the fleet each time: quadratic in the
    fleet (:func:`~meta254lib.impact.fleet.fleet_impact` is not). ``integration`` is the changed
    service and its direct dependents (they run integration tests), ``contract`` those consuming its
    events or contracts (contract tests too); every dependent runs unit tests.
    """
    fleet = fleet_impact(
        graph, services, relations=DEFAULT_RELATIONS, quality=quality, drift=drift, nearest=policy.dependents_listed
    )
    out: dict[str, dict[str, Any]] = {}
    for r in fleet.table.to_dict("records"):
        out[r[SERVICE]] = {
            "blast_radius": int(r["blast_radius"]),
            "weighted": float(r["weighted_blast_radius"]),
            "severity": str(r["impact_severity"]),
            "severity_reason": str(r["severity_reason"]),
            "dependents": tuple(r["nearest"]),
            "why": tuple(r["nearest_why"]),
            "integration": (r[SERVICE], *tuple(r["direct_dependents"])),
            "contract": tuple(r["contract_dependents"]),
        }
    return out
