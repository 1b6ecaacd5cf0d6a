"""Change impact: what a set of changes reaches, why, and how much it weighs.

A *change set* mixes four kinds of change (:func:`~meta254lib.impact.changes.parse_change`):

``service:NAME``
    the service itself changes; everything that transitively depends on it is impacted.
``spec:NAME@VERSION``
    a spec upgrade: every service pinning the spec is hit directly (hop ``pins_spec``), then
    everything downstream of those.
``event:ID``
    an event schema change: every consumer of the event is hit directly (hop ``consumes_event``),
    then their dependents. Whether the event has a producer in the catalog is reported.
``external:NAME@VERSION``
    an external technology upgrade: every service using it after alias resolution is hit directly
    (hop ``uses_external``), then their dependents.

The walk is the full reverse transitive closure over the chosen relations (a breadth-first search
from the change, so each service gets its shortest distance), bounded only by ``max_depth``; cycles
are fine. A service named by a ``service:`` change is the change itself and never listed as impacted.
Ties between equally short why-paths are broken by change order, then by service name.

Each impacted service is weighed by :class:`~meta254lib.impact.weights.ImpactWeights` and the total
classified by :class:`~meta254lib.impact.weights.SeverityRule`.

Examples
--------
>>> G = nx.DiGraph()
>>> for n, m in [("auth", "stable"), ("gateway", "stable"), ("metrics", "beta")]:
...     G.add_node(n, domain="access", team="access", maturity=m, externals=(), contracts=(),
...                events_in=(), events_out=())
>>> G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",))
>>> G.add_edge("metrics", "gateway", relation="consumes_event", relations=("consumes_event",))
>>> r = analyse_impact(G, ["service:auth"])
>>> r.impacted[["service", "distance", "why"]].values.tolist()
[['gateway', 1, 'gateway -depends_on-> auth'], ['metrics', 2, 'metrics -consumes_event-> gateway -depends_on-> auth']]
>>> r.summary["blast_radius"], r.summary["weighted_blast_radius"], r.summary["severity"]
(2, 1.6875, 'medium')
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from ..core.errors import ParameterError
from ..core.records import csv_text, json_records, json_value
from ..core.reprs import summary_html, summary_text
from ..core.schema import DOMAIN, IMPACT_CHANGES, IMPACTED, MATURITY, SERVICE, TEAM
from ..graph.build import DEFAULT_RELATIONS, parse_relations, relation_view
from .changes import CONTRACT_HOPS, Change, parse_changes
from .walk import Walk, WhyPaths, resolve_change, walk_dependents
from .weights import ImpactWeights, SeverityRule, Weigher

__all__ = ["IMPACTED_COLUMNS", "ImpactResult", "analyse_impact"]

#: Columns of :attr:`ImpactResult.impacted`, in order.
IMPACTED_COLUMNS: list[str] = list(IMPACTED.columns)


@dataclass(frozen=True)
class ImpactResult:
    """The outcome of :func:`analyse_impact`.

    Attributes
    ----------
    changes : DataFrame
        One row per change, in the given order: ``change, kind, name, version, direct, hits, unique,
        max_distance, producers, pinned, note`` (``direct`` = services hit at the first step).
    impacted : DataFrame
        One row per impacted service, sorted by distance then service: ``service, distance, path,
        relations, why, caused_by, distance_by_change, domain, team, maturity, quality_score,
        drift_issues, weight, tests``. ``path`` runs from the impacted service to the change,
        ``relations`` holds the relation of each hop.
    same_domain : DataFrame
        Services sharing a domain with a change's origin that are *not* reached (never counted):
        ``service, domain, team, maturity, same_domain_as``, sorted by domain then service.
    hits : DataFrame
        ``change, service, distance`` for every (change, impacted service) pair, in change order.
    summary : dict
        ``blast_radius, weighted_blast_radius, max_depth, max_depth_limit, domains, teams,
        by_distance, overlap, same_domain_unreachable, severity, severity_rule, severity_reason,
        relations, changed_services, formula``.
    weights : ImpactWeights
    rule : SeverityRule
    """

    changes: pd.DataFrame
    impacted: pd.DataFrame
    same_domain: pd.DataFrame
    hits: pd.DataFrame
    summary: dict[str, Any]
    weights: ImpactWeights
    rule: SeverityRule

    _repr_html_ = summary_html
    __repr__ = summary_text

    def _summary(self) -> tuple[str, dict[str, Any], pd.DataFrame]:
        s = self.summary
        changes = ", ".join(self.changes["change"].astype(str)) if len(self.changes) else "no change"
        head = f"Impact of {changes}: blast radius {s.get('blast_radius')}, severity {s.get('severity')}"
        numbers = {k: s[k] for k in ("weighted_blast_radius", "max_depth", "as_of", "drift_source") if k in s}
        cols = [c for c in ("service", "distance", "why", "team") if c in self.impacted.columns]
        return head, numbers, self.impacted[cols]

    def subgraph(self, G: nx.DiGraph, *, edges: str = "why", services: Iterable[Any] | None = None) -> nx.DiGraph:
        """The changes, impacted services and why-path edges as a GraphML-writable graph.

        See :func:`~meta254lib.impact.subgraph.impact_subgraph` (``G`` is the graph the analysis ran on);
        export it with :func:`~meta254lib.graph.export.export_graph` (GraphML, DOT, Mermaid).

        Examples
        --------
        >>> G = nx.DiGraph([("b", "a")]); nx.set_edge_attributes(G, "depends_on", "relations")
        >>> sorted(analyse_impact(G, "service:a").subgraph(G).edges)
        [('b', 'a')]
        """
        from .subgraph import impact_subgraph

        return impact_subgraph(self, G, edges=edges, services=services)

    def to_csv(self, table: str = "impacted") -> str:
        """One table as CSV text, lists joined with ``|`` exactly as ``meta254 impact --format csv`` writes them.

        ``table`` is ``impacted`` (the CLI's CSV), ``changes``, ``same_domain`` or ``hits``. Use this (or
        :func:`meta254lib.core.records.csv_text`) rather than ``DataFrame.to_csv``, which writes tuples
        as Python text.

        Examples
        --------
        >>> G = nx.DiGraph([("b", "a")]); nx.set_edge_attributes(G, "depends_on", "relations")
        >>> print(analyse_impact(G, "service:a").to_csv().splitlines()[1].split(",")[:4])
        ['b', '1', 'b|a', 'depends_on']
        """
        frames = {"impacted": self.impacted, "changes": self.changes, "same_domain": self.same_domain}
        frames["hits"] = self.hits
        if table not in frames:
            raise ParameterError(f"unknown table {table!r}: expected one of {', '.join(frames)}")
        return csv_text(frames[table])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``changes``, ``summary``, ``impacted``, ``same_domain_unreachable``, ``hits``,
        ``parameters``."""
        return {
            "changes": json_records(self.changes),
            "summary": json_value(self.summary),
            "impacted": json_records(self.impacted),
            "same_domain_unreachable": json_records(self.same_domain),
            "hits": json_records(self.hits),
            "parameters": {"weights": self.weights.to_dict(), "severity": json_value(self.rule.__dict__)},
        }


def analyse_impact(
    G: nx.DiGraph,
    changes: str | Change | Iterable[str | Change],
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    quality: pd.Series | Mapping[str, float] | None = None,
    drift: pd.Series | Mapping[str, int] | None = None,
    weights: ImpactWeights | None = None,
    severity: SeverityRule | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ImpactResult:
    """Blast radius, why-paths and weighted impact of a change set.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (:func:`~meta254lib.graph.build.build_graph`; node attributes ``contracts``,
        ``events_in``, ``events_out`` and ``externals`` resolve spec, event and external changes).
    changes : str, Change or iterable of them
        See :func:`~meta254lib.impact.changes.parse_change`.
    relations : str or iterable of str, optional
        Which edges count (default ``depends_on`` + ``consumes_event``).
    max_depth : int, optional
        Stop after this many hops (unbounded when None).
    quality : Series or mapping, optional
        service → latest quality score (:func:`~meta254lib.impact.inputs.latest_quality`).
    drift : Series or mapping, optional
        service → open drift issues (:func:`~meta254lib.impact.inputs.drift_counts`); None leaves the
        drift term out.
    weights : ImpactWeights, optional
    severity : SeverityRule, optional
    aliases : mapping, optional
        External-name aliases for ``external:`` changes (default ``postgres`` → ``postgresql``).

    Returns
    -------
    ImpactResult

    Raises
    ------
    UnknownServiceError
        A ``service:`` change names no catalog service.
    ParameterError
        Bad change, relation, depth or weight.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", domain="d", maturity="beta", contracts=("api@1.0.0",), externals=())
    >>> G.add_node("b", domain="d", maturity="stable", contracts=(), externals=())
    >>> G.add_node("c", domain="d", maturity="beta", contracts=(), externals=())
    >>> G.add_edge("b", "a", relation="depends_on", relations=("depends_on",))
    >>> r = analyse_impact(G, "spec:api@2.0.0")
    >>> r.impacted["why"].tolist(), r.same_domain["service"].tolist()
    (['a -pins_spec-> api@2.0.0', 'b -depends_on-> a -pins_spec-> api@2.0.0'], ['c'])
    """
    change_set = parse_changes(changes)
    chosen = parse_relations(relations)
    _check_max_depth(max_depth)
    weights = weights or ImpactWeights()
    severity = severity or SeverityRule()
    relation_view(G, chosen)  # refuses a relation the graph left out; the walk filters the edges itself
    key = None if all(type(n) is str for n in G) else str  # plain text names sort as themselves

    changed_services = {c.name for c in change_set if c.kind == "service"}
    resolved = [resolve_change(G, c, aliases) for c in change_set]
    walks = [
        walk_dependents(G, list(info["direct"]), 0 if c.kind == "service" else 1, max_depth, chosen, key)
        for c, info in zip(change_set, resolved, strict=True)
    ]
    best, by_change = _nearest_change(change_set, walks, changed_services)
    order = _row_order(walks, best, changed_services)
    cols = _impacted_columns(
        G,
        order,
        best,
        by_change,
        WhyPaths(change_set, walks, text_names=key is None),
        Weigher(weights, quality, drift),
        [c.label for c in change_set],
    )
    impacted = _impacted_frame(cols, bool(order))
    same_domain = _same_domain_frame(G, change_set, resolved, best, changed_services)
    summary = {
        **_counts(impacted, cols, by_change, same_domain, severity, max_depth),
        "relations": list(chosen),
        "changed_services": sorted(changed_services),
        "formula": weights.formula(),
        "drift_given": drift is not None,
        "quality_scores_known": sum(1 for q in cols["quality_score"] if q is not None),
    }
    return ImpactResult(
        changes=_changes_frame(change_set, resolved, by_change),
        impacted=impacted,
        same_domain=same_domain,
        hits=_hits_frame(change_set, walks, changed_services),
        summary=summary,
        weights=weights,
        rule=severity,
    )


def _check_max_depth(max_depth: int | None) -> None:
    """Refuse a depth limit that is not an integer ≥ 1 (None means no limit)."""
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1):
        raise ParameterError(f"max_depth must be an integer ≥ 1 (or omitted for no limit), found {max_depth!r}")


def _nearest_change(
    change_set: Sequence[Change], walks: Sequence[Walk], changed_services: set[str]
) -> tuple[dict[Any, tuple[int, int]], dict[Any, dict[str, int]]]:
    """For every reached service: its shortest ``(distance, change index)``, and its distance per change label."""
    best: dict[Any, tuple[int, int]] = {}
    by_change: dict[Any, dict[str, int]] = {}
    for i, (c, walk) in enumerate(zip(change_set, walks, strict=True)):
        label = c.label
        for n, d in walk[0].items():
            if n in changed_services:
                continue
            per = by_change.get(n)
            if per is None:
                by_change[n] = per = {}
            per[label] = d
            b = best.get(n)
            if b is None or (d, i) < b:
                best[n] = (d, i)
    return best, by_change


def _row_order(walks: Sequence[Walk], best: Mapping[Any, tuple[int, int]], changed_services: set[str]) -> list[Any]:
    """The impacted services by distance, then name: one walk already visits them in that order."""
    if len(walks) == 1:
        return [n for n in walks[0][3] if n not in changed_services]
    return sorted(best, key=lambda n: (best[n][0], str(n)))


def _impacted_columns(
    G: nx.DiGraph,
    order: Sequence[Any],
    best: Mapping[Any, tuple[int, int]],
    by_change: Mapping[Any, dict[str, int]],
    paths: WhyPaths,
    weigher: Weigher,
    labels: Sequence[str],
) -> dict[str, list[Any]]:
    """The columns of the impacted table, one entry per service of ``order``."""
    single = len(labels) == 1
    tests_of: dict[tuple[bool, bool], tuple[str, ...]] = {}
    cols: dict[str, list[Any]] = {name: [] for name in IMPACTED_COLUMNS}
    for n in order:
        d, i = best[n]
        path, hops, why = paths.chain(i, n)
        attrs = G.nodes[n]
        maturity = attrs.get(MATURITY)
        q, dr = weigher.inputs(n)
        test_key = (d == 1, bool(hops) and hops[0] in CONTRACT_HOPS)
        tests = tests_of.get(test_key)
        if tests is None:
            tests = tests_of[test_key] = ("unit",) + ("integration",) * test_key[0] + ("contract",) * test_key[1]
        per = by_change[n]
        cols[SERVICE].append(n)
        cols["distance"].append(d)
        cols["path"].append(path)
        cols["relations"].append(hops)
        cols["why"].append(why)
        cols["caused_by"].append((labels[0],) if single else tuple(lbl for lbl in labels if lbl in per))
        cols["distance_by_change"].append(dict(per))
        cols[DOMAIN].append(attrs.get(DOMAIN))
        cols[TEAM].append(attrs.get(TEAM))
        cols[MATURITY].append(maturity)
        cols["quality_score"].append(q)
        cols["drift_issues"].append(dr)
        cols["weight"].append(weigher.weight(maturity, q, dr, d))
        cols["tests"].append(tests)
    return cols


def _impacted_frame(cols: Mapping[str, list[Any]], any_rows: bool) -> pd.DataFrame:
    """The impacted table from its columns, with the schema's dtypes."""
    if any_rows:
        impacted = pd.DataFrame(cols, columns=IMPACTED_COLUMNS)
    else:
        impacted = pd.DataFrame([], columns=IMPACTED_COLUMNS)
    impacted["distance"] = impacted["distance"].astype("int64")
    impacted["quality_score"] = impacted["quality_score"].astype("Float64")
    impacted["drift_issues"] = impacted["drift_issues"].astype("Int64")
    impacted["weight"] = impacted["weight"].astype("float64")
    return impacted


def _hits_frame(change_set: Sequence[Change], walks: Sequence[Walk], changed_services: set[str]) -> pd.DataFrame:
    """``change, service, distance`` for every (change, impacted service) pair, in change order."""
    hit_cols: dict[str, list[Any]] = {"change": [], SERVICE: [], "distance": []}
    for c, (dist, _, _, reached) in zip(change_set, walks, strict=True):
        members = [n for n in reached if n not in changed_services]
        hit_cols["change"].extend([c.label] * len(members))
        hit_cols[SERVICE].extend(members)
        hit_cols["distance"].extend([dist[n] for n in members])
    if hit_cols[SERVICE]:
        hits = pd.DataFrame(hit_cols)
    else:
        hits = pd.DataFrame([], columns=["change", SERVICE, "distance"])
    hits["distance"] = hits["distance"].astype("int64")
    return hits


def _changes_frame(
    change_set: Sequence[Change], resolved: Sequence[dict[str, Any]], by_change: Mapping[Any, dict[str, int]]
) -> pd.DataFrame:
    """One row per change: what it hits directly, how many it reaches, and notes."""
    change_rows = []
    for c, info in zip(change_set, resolved, strict=True):
        label = c.label
        mine = [n for n, per in by_change.items() if label in per]
        change_rows.append(
            {
                "change": label,
                "kind": c.kind,
                "name": c.name,
                "version": c.version,
                "direct": tuple(info["direct"]) if c.kind != "service" else (),
                "hits": len(mine),
                "unique": sum(1 for n in mine if len(by_change[n]) == 1),
                "max_distance": max((by_change[n][label] for n in mine), default=0),
                "producers": tuple(info["producers"]),
                "pinned": tuple(info["pinned"]),
                "note": info["note"],
            }
        )
    return pd.DataFrame(change_rows, columns=list(IMPACT_CHANGES.columns))


def _same_domain_frame(
    G: nx.DiGraph,
    change_set: Sequence[Change],
    resolved: Sequence[dict[str, Any]],
    best: Mapping[Any, tuple[int, int]],
    changed_services: set[str],
) -> pd.DataFrame:
    """Same-domain services the change does not reach: listed, never counted."""
    origin_domains: dict[str, list[str]] = {}
    for c, info in zip(change_set, resolved, strict=True):
        for n in info["direct"]:
            dom = G.nodes[n].get(DOMAIN)
            if dom is not None and c.label not in origin_domains.setdefault(dom, []):
                origin_domains[dom].append(c.label)
    same_rows = []
    if origin_domains:
        for n, attrs in G.nodes(data=True):
            dom = attrs.get(DOMAIN)
            if dom in origin_domains and n not in best and n not in changed_services:
                same_rows.append(
                    {
                        SERVICE: n,
                        DOMAIN: dom,
                        TEAM: attrs.get(TEAM),
                        MATURITY: attrs.get(MATURITY),
                        "same_domain_as": tuple(origin_domains[dom]),
                    }
                )
    same_rows.sort(key=lambda r: (str(r[DOMAIN]), str(r[SERVICE])))
    return pd.DataFrame(same_rows, columns=[SERVICE, DOMAIN, TEAM, MATURITY, "same_domain_as"])


def _counts(
    impacted: pd.DataFrame,
    cols: Mapping[str, list[Any]],
    by_change: Mapping[Any, dict[str, int]],
    same_domain: pd.DataFrame,
    severity: SeverityRule,
    max_depth: int | None,
) -> dict[str, Any]:
    """The counting part of the summary: blast radius, weight, depth, reach, overlap and severity."""
    weighted = round(float(impacted["weight"].sum()), 4) if len(impacted) else 0.0
    level, reason = severity.classify(weighted, len(impacted))
    distances = cols["distance"]  # ascending
    return {
        "blast_radius": len(impacted),
        "weighted_blast_radius": weighted,
        "max_depth": int(distances[-1]) if distances else 0,
        "max_depth_limit": max_depth,
        "domains": sorted({d for d in set(cols[DOMAIN]) if d is not None and not pd.isna(d)}),
        "teams": sorted({t for t in set(cols[TEAM]) if t is not None and not pd.isna(t)}),
        "by_distance": {str(d): len(list(group)) for d, group in itertools.groupby(distances)},
        "overlap": sorted(str(n) for n, per in by_change.items() if len(per) > 1),
        "same_domain_unreachable": len(same_domain),
        "severity": level,
        "severity_reason": reason,
        "severity_rule": severity.text(),
    }
