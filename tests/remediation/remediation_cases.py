"""Shared inputs of the remediation tests: tiny inline services, issues, specs, pins, advisories and plans."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd

from meta254lib.core.ids import drift_issue_id
from meta254lib.core.schema import (
    ADVISORIES,
    CONTRACTS,
    DEPENDENCIES,
    SERVICES,
    SPEC_VERSIONS,
)
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.core.versions import parse_version
from meta254lib.drift.engine import detect_drift
from meta254lib.drift.inputs import DriftInputs
from meta254lib.remediation import (
    PlanInputs,
    build_plan,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "remediation_plan.ipynb"
AS_OF = "2025-10-10"  # a Friday


# --- tiny inline inputs ------------------------------------------------------------------------------


def _services(*names: str, **per: dict) -> pd.DataFrame:
    rows = []
    for n in names:
        row = {
            "service": n,
            "team": "core",
            "team_contact": "core@example.com",
            "version": "0.3.0",
            "maturity": "stable",
            "runtime": "python",
            "coverage": 0.85,
            "domain": "access",
            "last_update": "2025-10-01",
        }
        row.update(per.get(n, {}))
        rows.append(row)
    return rec(SERVICES, rows)


def _issue(service: str, type_: str, severity: str, subject: str = "", **kw) -> dict:
    return {
        "id": drift_issue_id(service, type_, subject),
        "service": service,
        "team": kw.pop("team", "core"),
        "type": type_,
        "severity": severity,
        "category": kw.pop("category", ""),
        "subject": subject,
        "current": kw.pop("current", ""),
        "expected": kw.pop("expected", ""),
        "reason": kw.pop("reason", f"{type_} on {service}"),
        "advisory_ids": kw.pop("advisory_ids", ""),
        "exempt": kw.pop("exempt", False),
        "as_of": AS_OF,
        **kw,
    }


def _graph(services: pd.DataFrame, edges=()) -> nx.DiGraph:
    G = nx.DiGraph()
    for r in services.to_dict("records"):
        G.add_node(r["service"], team=r["team"], maturity=r["maturity"], domain=r["domain"], contracts=(), externals=())
    for a, b in edges:
        G.add_edge(a, b, relation="depends_on", relations=("depends_on",))
    return G


def _spec(spec: str, *versions: tuple[str, str]) -> list[dict]:
    out = []
    for i, (v, tags) in enumerate(versions):
        p = parse_version(v)
        out.append(
            {
                "spec": spec,
                "version": v,
                "major": p.major,
                "minor": p.minor,
                "patch": p.patch,
                "changes": tags,
                "is_latest": i == len(versions) - 1,
            }
        )
    return out


def _pin(service: str, spec: str, version: str) -> dict:
    p = parse_version(version)
    return {
        "service": service,
        "spec": spec,
        "version": version,
        "major": p.major,
        "minor": p.minor,
        "patch": p.patch,
        "valid": True,
        "raw": f"{spec}@{version}",
    }


def _plan_from(services, contracts=(), specs=(), *, quality=None, deps=(), advisories=None, **kw):
    c = rec(CONTRACTS, list(contracts))
    sv = rec(SPEC_VERSIONS, list(specs)) if specs else None
    d = rec(DEPENDENCIES, list(deps))
    adv = rec(ADVISORIES, advisories) if advisories is not None else None
    issues = detect_drift(
        DriftInputs(services, contracts=c, dependencies=d, spec_versions=sv, advisories=adv), as_of=AS_OF
    ).issues
    inputs = PlanInputs(
        issues=issues,
        services=services,
        graph=kw.pop("graph", None),
        contracts=c,
        spec_versions=sv,
        advisories=adv,
        quality=pd.Series(quality if quality is not None else dict.fromkeys(services["service"], 90)),
        manifests=kw.pop("manifests", {}),
    )
    return build_plan(inputs, as_of=AS_OF, **kw)


def _adv(aid: str, package: str, *intervals, versions=(), severity="high", epss=None, ecosystem="PyPI"):
    fixed = ",".join(f for _, f, _ in intervals if f)
    return {
        "advisory_id": aid,
        "package": package,
        "ecosystem": ecosystem,
        "severity": severity,
        "epss": epss,
        "intervals": tuple(intervals),
        "versions": tuple(versions),
        "fixed": fixed,
    }


OVERLAPPING = [
    _adv("A", "curves-api", ("2.0.0", "2.2.0", "")),
    _adv("B", "curves-api", ("2.1.5", "2.3.1", "")),
    _adv("C", "curves-api", ("0", "2.1.1", "")),
    _adv("D", "curves-api", ("3.0.0", "3.0.2", "")),
]
