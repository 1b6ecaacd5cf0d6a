"""The impacted subgraph of an impact result: the changes, the impacted services and the why-path edges.

It is a plain :class:`networkx.DiGraph` with GraphML-writable attributes, so it exports the same ways as
the workspace graph (:func:`meta254lib.graph.export.export_graph`: GraphML, DOT, Mermaid); ``meta254
impact --format graphml|dot|mermaid`` writes it.

Nodes
    every impacted service, with its workspace graph attributes plus ``kind`` (``service``),
    ``changed`` (False), ``distance``, ``weight``, ``why`` and ``caused_by`` (``|``-joined change labels);
    every change: a ``service:`` change is its service (``changed`` True, ``distance`` 0), any other
    change is a node named by its label (``spec:auth-core@3.0.0``) with ``kind``, ``name``, ``version``,
    ``changed`` True and ``distance`` 0.
Edges (``edges="why"``, the default)
    one per impacted service: the first hop of its why-path (``relation`` is the hop: ``depends_on``,
    ``consumes_event``, ``shares_contract``, or ``pins_spec`` / ``consumes_event`` / ``uses_external``
    into a spec, event or external change). Followed from any impacted service, these edges reach a
    change by a shortest path, so the subgraph is the forest of why-paths and has as many edges as
    impacted services.
Edges (``edges="all"``)
    every workspace-graph edge of the analysed relations among the kept services (with the graph's edge
    attributes), plus the first hop into each spec, event or external change: what else ties the
    impacted services together, beyond the paths that explain them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..core.errors import ParameterError
from ..core.records import json_value
from ..graph.attrs import encode_list
from ..graph.build import relation_view
from .changes import ORIGIN_HOP, Change

if TYPE_CHECKING:
    from .analysis import ImpactResult

__all__ = ["SUBGRAPH_EDGES", "impact_subgraph"]

#: The edge sets :func:`impact_subgraph` offers.
SUBGRAPH_EDGES = ("why", "all")


def _changes(result: ImpactResult) -> list[Change]:
    return [Change(str(c.kind), str(c.name), str(c.version or "")) for c in result.changes.itertuples(index=False)]


def _end_node(path: tuple[Any, ...], hops: tuple[str, ...], changes: list[Change], G: nx.DiGraph) -> Any:
    """The node a why-path ends at: a changed service, or the label of the spec, event or external change."""
    end, last = path[-1], hops[-1] if hops else ""
    for c in changes:
        if c.kind == "service" and c.name == end and end in G:
            return end
        if c.kind != "service" and c.target == end and ORIGIN_HOP[c.kind] == last:
            return c.label
    return end


def _first_hops(result: ImpactResult, G: nx.DiGraph, changes: list[Change]) -> dict[Any, tuple[Any, str]]:
    """impacted service → (the next node of its why-path, the relation of that hop)."""
    hops: dict[Any, tuple[Any, str]] = {}
    imp = result.impacted
    for service, path, rels in zip(imp["service"], imp["path"], imp["relations"], strict=True):
        path, rels = tuple(path), tuple(rels)
        nxt = path[1] if len(path) > 2 else _end_node(path, rels, changes, G)
        hops[service] = (nxt, rels[0] if rels else "depends_on")
    return hops


def _kept(services: Iterable[Any] | None, hops: dict[Any, tuple[Any, str]]) -> list[Any]:
    """The impacted services to keep: all, or the chosen ones and every service on their why-paths."""
    if services is None:
        return list(hops)
    wanted = set(services)
    keep: set[Any] = set()
    for s in hops:
        if s not in wanted:
            continue
        while s in hops and s not in keep:
            keep.add(s)
            s = hops[s][0]
    return [s for s in hops if s in keep]


def _plain(value: Any) -> Any:
    """A table cell as a GraphML-writable value: lists ``|``-joined, numpy scalars as Python, missing as None."""
    value = json_value(value)
    return encode_list(value) if isinstance(value, list) else value


def impact_subgraph(
    result: ImpactResult,
    G: nx.DiGraph,
    *,
    edges: str = "why",
    services: Iterable[Any] | None = None,
) -> nx.DiGraph:
    """The changes and impacted services of ``result`` as a graph (see the module text).

    Parameters
    ----------
    result : ImpactResult
        From :func:`~meta254lib.impact.analysis.analyse_impact` on ``G``.
    G : networkx.DiGraph
        The graph the analysis ran on (node attributes and, for ``edges="all"``, its edges).
    edges : {"why", "all"}
        ``why``: one edge per impacted service, the first hop of its why-path; ``all``: every edge of
        the analysed relations among the kept services, plus the hops into non-service changes.
    services : iterable, optional
        Keep only these impacted services and the services on their why-paths (the changes always
        stay). Default: every impacted service.

    Returns
    -------
    networkx.DiGraph
        Dependent → dependency, like the workspace graph.

    Raises
    ------
    ParameterError
        For an unknown ``edges``.

    Examples
    --------
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> G = nx.DiGraph([("b", "a"), ("c", "b"), ("c", "a")])
    >>> nx.set_edge_attributes(G, "depends_on", "relation"); nx.set_edge_attributes(G, "depends_on", "relations")
    >>> H = impact_subgraph(analyse_impact(G, "service:a"), G)
    >>> sorted(H.edges(data="relation")), H.nodes["a"]["changed"], H.nodes["c"]["distance"]
    ([('b', 'a', 'depends_on'), ('c', 'a', 'depends_on')], True, 1)
    >>> sorted(impact_subgraph(analyse_impact(G, "spec:api@2"), G).nodes)
    ['spec:api@2']
    """
    if edges not in SUBGRAPH_EDGES:
        raise ParameterError(f"unknown edges {edges!r}: expected one of {', '.join(SUBGRAPH_EDGES)}")
    changes = _changes(result)
    hops = _first_hops(result, G, changes)
    kept = _kept(services, hops)
    H = nx.DiGraph()
    for c in changes:
        if c.kind == "service":
            attrs = dict(G.nodes[c.name]) if c.name in G else {}
            H.add_node(c.name, **{**attrs, "kind": "service", "changed": True, "distance": 0})
        else:
            H.add_node(c.label, kind=c.kind, name=c.name, version=c.version, changed=True, distance=0)
    rows = result.impacted.set_index("service", drop=False)
    for s in kept:
        row = rows.loc[s]
        facts = {k: _plain(row[k]) for k in ("distance", "weight", "why", "caused_by")}
        attrs = {**(dict(G.nodes[s]) if s in G else {}), "kind": "service", "changed": False, **facts}
        H.add_node(s, **{k: v for k, v in attrs.items() if v is not None})
    for s in kept:
        nxt, hop = hops[s]
        if edges == "why" or not G.has_edge(s, nxt):
            base = dict(G.edges[s, nxt]) if G.has_edge(s, nxt) else {}
            H.add_edge(s, nxt, **{**base, "relation": hop, "relations": base.get("relations", hop)})
    if edges == "all":
        view = relation_view(G, result.summary["relations"])
        H.add_edges_from((u, v, dict(d)) for u, v, d in view.subgraph([n for n in H if n in G]).edges(data=True))
    return H
