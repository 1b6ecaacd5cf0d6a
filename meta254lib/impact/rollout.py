"""Testing and rollout advice for an impact result: tests to run, deploy waves, rollback and whom to tell.

The waves and deploy cycles read :data:`DEPLOY_RELATIONS` only (``depends_on``: event consumption is
asynchronous and does not order deploys), whatever relations the impact analysis walked; the remediation
plan's waves and the graph's cycles read the same constant, and :func:`wave_rule` states it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from ..core.records import json_records
from ..core.schema import SERVICE, TEAM
from ..graph.build import relation_view
from ..graph.rules import DEPLOY_RELATIONS, wave_rule
from .analysis import ImpactResult

__all__ = ["DEPLOY_RELATIONS", "RolloutPlan", "deploy_waves", "rollout_plan", "wave_rule"]


@dataclass(frozen=True)
class RolloutPlan:
    """Testing and rollout advice for an impact result.

    Attributes
    ----------
    tests : DataFrame
        ``service, role, distance, unit, integration, contract, reason``; changed services first
        (role ``changed``), then impacted ones by distance and name.
    waves : DataFrame
        ``wave, services, cycle, warning``: deploy wave 1 first; providers go before consumers;
        services on one dependency cycle share a wave (``cycle`` true and a warning). Only the
        :data:`DEPLOY_RELATIONS` edges order the waves.
    rollback : DataFrame
        ``step, wave, services``: the waves in reverse order.
    teams : DataFrame
        ``team, services, n_services, owns_change, nearest_distance, contact, slack``, sorted by
        nearest distance then team.
    warnings : list of str
    rule : str
        Which relations order the waves (:func:`wave_rule`), to state wherever the waves are shown.
    """

    tests: pd.DataFrame
    waves: pd.DataFrame
    rollback: pd.DataFrame
    teams: pd.DataFrame
    warnings: list[str]
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "tests": json_records(self.tests),
            "waves": json_records(self.waves),
            "rollback": json_records(self.rollback),
            "teams": json_records(self.teams),
            "warnings": list(self.warnings),
            "wave_rule": self.rule,
        }


def deploy_waves(H: nx.DiGraph, members: Iterable[Any]) -> pd.DataFrame:
    """Deploy waves of a set of services: providers before their consumers, a cycle in one wave.

    The waves are the topological generations of the condensation of ``H`` restricted to
    ``members`` (edges run dependent → dependency, so a dependency's generation comes first).
    Linear in the members and the edges among them.

    Parameters
    ----------
    H : networkx.DiGraph
        The graph whose edges order the deploys (a :func:`~meta254lib.graph.build.relation_view`).
    members : iterable
        The services to deploy.

    Returns
    -------
    DataFrame
        ``wave, services, cycle, warning``; ``services`` sorted by name, ``cycle`` true when a wave holds
        the members of a cycle (``warning`` then names them).

    Examples
    --------
    >>> H = nx.DiGraph([("gateway", "auth"), ("metrics", "gateway"), ("gateway", "metrics")])
    >>> deploy_waves(H, ["auth", "gateway", "metrics"])[["wave", "services", "cycle"]].values.tolist()
    [[1, ('auth',), False], [2, ('gateway', 'metrics'), True]]
    """
    sub = nx.DiGraph(H.subgraph(set(members)))
    C = nx.condensation(sub)
    wave_rows = []
    for i, generation in enumerate(nx.topological_generations(C.reverse(copy=False))):
        services: list[Any] = []
        cyc = []
        for c in generation:
            mem = sorted(C.nodes[c]["members"], key=str)
            services.extend(mem)
            if len(mem) > 1:
                cyc.append(mem)
        warning = ""
        if cyc:
            warning = "; ".join(
                "cycle " + " ↔ ".join(map(str, m)) + ": deploy together, with backward-compatible changes"
                for m in sorted(cyc, key=lambda m: [str(x) for x in m])
            )
        wave_rows.append(
            {"wave": i + 1, "services": tuple(sorted(services, key=str)), "cycle": bool(cyc), "warning": warning}
        )
    return pd.DataFrame(wave_rows, columns=["wave", "services", "cycle", "warning"])


def rollout_plan(
    G: nx.DiGraph,
    result: ImpactResult,
    *,
    teams: pd.DataFrame | None = None,
) -> RolloutPlan:
    """Which tests to run, in which waves to deploy, how to roll back and whom to tell.

    Tests: every impacted service needs unit tests; those at distance 1 (talking to the change
    directly) also integration tests; those whose first hop towards the change crosses an interface
    (``consumes_event``, ``shares_contract``, ``pins_spec``) also contract tests. Changed services need
    unit and integration tests.

    Waves: the changed and impacted services, ordered by the topological generations of their
    :data:`DEPLOY_RELATIONS` edges (``depends_on``, whatever relations the analysis walked) so that a
    provider deploys before its consumers; the members of a dependency cycle share one wave. A cycle
    through ``consumes_event`` edges is no deploy cycle.

    Parameters
    ----------
    G : networkx.DiGraph
    result : ImpactResult
    teams : DataFrame, optional
        :data:`~meta254lib.core.schema.TEAMS` rows for contacts.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for n in ("auth", "gateway", "metrics"):
    ...     G.add_node(n, team="t-" + n, maturity="beta")
    >>> G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",))
    >>> G.add_edge("metrics", "gateway", relation="consumes_event", relations=("consumes_event",))
    >>> G.add_edge("gateway", "metrics", relation="depends_on", relations=("depends_on",))
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> plan = rollout_plan(G, analyse_impact(G, "service:auth"))
    >>> plan.waves[["wave", "services", "cycle"]].values.tolist()
    [[1, ('auth', 'metrics'), False], [2, ('gateway',), False]]
    >>> plan.rollback["services"].tolist()
    [('gateway',), ('auth', 'metrics')]
    >>> plan.rule.split(";")[0]
    'waves: depends_on edges only'
    """
    H = relation_view(G, DEPLOY_RELATIONS)
    changed = list(result.summary["changed_services"])
    impacted = result.impacted
    waves = deploy_waves(H, set(changed) | set(impacted[SERVICE]))
    wave_rows = waves.to_dict("records")
    return RolloutPlan(
        tests=_test_plan(changed, impacted),
        waves=waves,
        rollback=_rollback(wave_rows),
        teams=_teams_to_tell(G, changed, impacted, _contacts(teams)),
        warnings=[f"wave {w['wave']}: {w['warning']}" for w in wave_rows if w["warning"]],
        rule=wave_rule(),
    )


def _test_plan(changed: list[Any], impacted: pd.DataFrame) -> pd.DataFrame:
    """Which tests each changed and impacted service needs, and why."""
    test_rows = [
        {
            SERVICE: n,
            "role": "changed",
            "distance": 0,
            "unit": True,
            "integration": True,
            "contract": False,
            "reason": "the changed service itself",
        }
        for n in changed
    ]
    for r in impacted.itertuples(index=False):
        contract = "contract" in r.tests
        reason = f"{r.relations[0]} {r.path[1]}" if r.distance == 1 else f"{r.distance} hops: {r.why}"
        test_rows.append(
            {
                SERVICE: r.service,
                "role": "impacted",
                "distance": int(r.distance),
                "unit": True,
                "integration": "integration" in r.tests,
                "contract": contract,
                "reason": reason,
            }
        )
    return pd.DataFrame(test_rows, columns=[SERVICE, "role", "distance", "unit", "integration", "contract", "reason"])


def _rollback(wave_rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rollback steps: the deploy waves in reverse order."""
    return pd.DataFrame(
        [{"step": k + 1, "wave": w["wave"], "services": w["services"]} for k, w in enumerate(reversed(wave_rows))],
        columns=["step", "wave", "services"],
    )


def _contacts(teams: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """team → ``(contact, slack)`` from the teams table (the first row of a team wins)."""
    contact: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for rec in teams.to_dict("records"):
            t = rec.get(TEAM)
            if t is not None and not pd.isna(t) and t not in contact:
                c = rec.get("contact")
                s = rec.get("slack")
                contact[t] = ("" if c is None or pd.isna(c) else str(c), "" if s is None or pd.isna(s) else str(s))
    return contact


def _teams_to_tell(
    G: nx.DiGraph, changed: list[Any], impacted: pd.DataFrame, contact: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """One row per team owning a changed or impacted service, nearest first."""
    team_services: dict[str, list[tuple[int, Any]]] = {}
    owns: set[str] = set()
    for n in changed:
        t = G.nodes[n].get(TEAM) or "<no team>"
        team_services.setdefault(t, []).append((0, n))
        owns.add(t)
    for r in impacted.itertuples(index=False):
        t = r.team if r.team is not None and not pd.isna(r.team) else "<no team>"
        team_services.setdefault(t, []).append((int(r.distance), r.service))
    team_rows = []
    for t, items in team_services.items():
        team_rows.append(
            {
                TEAM: t,
                "services": tuple(sorted((n for _, n in items), key=str)),
                "n_services": len(items),
                "owns_change": t in owns,
                "nearest_distance": min(d for d, _ in items),
                "contact": contact.get(t, ("", ""))[0],
                "slack": contact.get(t, ("", ""))[1],
            }
        )
    team_rows.sort(key=lambda r: (r["nearest_distance"], r[TEAM]))
    return pd.DataFrame(
        team_rows, columns=[TEAM, "services", "n_services", "owns_change", "nearest_distance", "contact", "slack"]
    )
