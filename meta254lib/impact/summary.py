"""Fleet-wide summaries of impact: the blast radius of every service, as one table."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pandas as pd

from ..core.schema import BLAST_RADIUS, DOMAIN, SERVICE, TEAM
from ..graph.build import relation_view
from ..graph.reach import blast_radius_all

__all__ = ["blast_radius_table"]


def blast_radius_table(graph: nx.DiGraph, relations: Iterable[str]) -> pd.DataFrame:
    """The blast radius of every service under ``relations``, largest first (then by service).

    Parameters
    ----------
    graph : networkx.DiGraph
        The workspace graph (edges dependent → dependency, nodes with ``domain`` and ``team``).
    relations : iterable of str
        The relations that count (see :func:`~meta254lib.graph.build.parse_relations`).

    Returns
    -------
    pandas.DataFrame
        The :data:`~meta254lib.core.schema.BLAST_RADIUS` columns: ``service``, ``domain``, ``team``,
        ``blast_radius`` (transitive dependents), ``direct_dependents`` and ``dependencies``.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("a", {"domain": "d", "team": "t"}), ("b", {"domain": "d", "team": "t"})])
    >>> G.add_edge("a", "b", relations=("depends_on",))
    >>> blast_radius_table(G, ["depends_on"])[["service", "blast_radius", "direct_dependents", "dependencies"]]
      service  blast_radius  direct_dependents  dependencies
    0       b             1                  1             0
    1       a             0                  0             1
    """
    view = relation_view(graph, tuple(relations))
    radius = blast_radius_all(view)
    table = pd.DataFrame(
        {
            SERVICE: list(radius.index),
            DOMAIN: [graph.nodes[n].get(DOMAIN) for n in radius.index],
            TEAM: [graph.nodes[n].get(TEAM) for n in radius.index],
            "blast_radius": radius.to_numpy(),
            "direct_dependents": [view.in_degree(n) for n in radius.index],
            "dependencies": [view.out_degree(n) for n in radius.index],
        }
    )
    return (
        table[list(BLAST_RADIUS.columns)]
        .sort_values(["blast_radius", SERVICE], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
