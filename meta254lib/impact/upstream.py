"""The other direction: what a service depends on, transitively, with the path that explains each hop.

Impact analysis walks *up* to the dependents a change breaks; this walks *down* the same edges to the
services a service needs (``meta254 impact --direction dependencies``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx
import pandas as pd

from ..core.columns import DOMAIN, SERVICE, TEAM
from ..core.errors import UnknownServiceError
from ..graph.attrs import attr_list
from ..graph.build import DEFAULT_RELATIONS, parse_relations

__all__ = ["DEPENDENCY_COLUMNS", "dependencies_of"]

#: Columns of :func:`dependencies_of`.
DEPENDENCY_COLUMNS = ("service", "distance", "why", "domain", "team")


def dependencies_of(
    G: nx.DiGraph,
    services: Iterable[str],
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
) -> pd.DataFrame:
    """Every service the given services depend on, nearest first, with a why-path per service.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (edges dependent -> dependency, attribute ``relations``).
    services : iterable of str
    relations : str or iterable of str, optional
    max_depth : int, optional
        Stop after this many hops.

    Returns
    -------
    DataFrame
        :data:`DEPENDENCY_COLUMNS`, sorted by distance then service.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("gateway", "auth", relations=("depends_on",)); G.add_edge("auth", "db", relations=("depends_on",))
    >>> dependencies_of(G, ["gateway"])[["service", "distance", "why"]].values.tolist()
    [['auth', 1, 'gateway -depends_on-> auth'], ['db', 2, 'gateway -depends_on-> auth -depends_on-> db']]
    """
    chosen = set(parse_relations(relations))
    starts = list(services)
    for s in starts:
        if s not in G:
            raise UnknownServiceError(s, [str(n) for n in G.nodes])
    why = {s: str(s) for s in starts}
    dist = {s: 0 for s in starts}
    queue = deque(sorted(starts, key=str))
    while queue:
        u = queue.popleft()
        if max_depth is not None and dist[u] >= max_depth:
            continue
        for v in sorted(G.successors(u), key=str):
            edge = G.edges[u, v]
            rels = [r for r in attr_list(edge.get("relations", (edge.get("relation"),))) if r in chosen]
            if v in dist or not rels:
                continue
            dist[v] = dist[u] + 1
            why[v] = f"{why[u]} -{rels[0]}-> {v}"
            queue.append(v)
    rows = [
        {SERVICE: n, "distance": d, "why": why[n], DOMAIN: G.nodes[n].get(DOMAIN), TEAM: G.nodes[n].get(TEAM)}
        for n, d in dist.items()
        if d > 0
    ]
    rows.sort(key=lambda r: (r["distance"], str(r[SERVICE])))
    return pd.DataFrame(rows, columns=list(DEPENDENCY_COLUMNS))
