"""The cross-check of ``catalog/dependency-graph.yaml`` against the catalog's services and dependencies."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core import schema as S
from .files import WorkspaceFiles

__all__ = ["graph_diff", "read_dependency_graph"]


def read_dependency_graph(io: WorkspaceFiles) -> tuple[str, set[str], set[tuple[str, str]]] | None:
    """``(file, nodes, edges)`` of the platform's dependency graph file, or ``None`` when absent or unusable."""
    paths = io.find("dependency_graph")
    if not paths:
        return None
    rel = io.rel(paths[0])
    doc = io.load(paths[0], "dependency_graph")
    if not isinstance(doc, dict):
        return None
    nodes_doc = doc.get("nodes")
    nodes: set[str] = set()
    if isinstance(nodes_doc, dict):
        for members in nodes_doc.values():
            if isinstance(members, list):
                nodes.update(str(m) for m in members)
    elif isinstance(nodes_doc, list):
        nodes.update(str(n.get("name", n)) if isinstance(n, dict) else str(n) for n in nodes_doc)
    edges = set()
    for e in doc.get("edges") or []:
        if isinstance(e, dict) and "from" in e and "to" in e:
            edges.add((str(e["from"]), str(e["to"])))
    return rel, nodes, edges


def graph_diff(
    io: WorkspaceFiles,
    graph: tuple[str, set[str], set[tuple[str, str]]],
    services: pd.DataFrame,
    dependencies: pd.DataFrame,
) -> dict[str, Any]:
    """How the graph file (see :func:`read_dependency_graph`) disagrees with the catalog; warned when it does."""
    rel, nodes, edges = graph
    names = set(services[S.SERVICE])
    internal = dependencies[S.KIND] == "internal"
    cat_edges = set(zip(dependencies.loc[internal, S.SERVICE], dependencies.loc[internal, S.TARGET], strict=True))
    cat_edges = {(a, b) for a, b in cat_edges if b in names}
    diff: dict[str, Any] = {
        "file": rel,
        "graph_nodes": len(nodes),
        "catalog_services": len(names),
        "nodes_not_in_catalog": sorted(nodes - names),
        "services_not_in_graph": sorted(names - nodes),
        "graph_edges": len(edges),
        "catalog_edges": len(cat_edges),
        "edges_not_in_catalog": sorted(edges - cat_edges),
        "edges_not_in_graph": sorted(cat_edges - edges),
    }
    diff["agrees"] = not (
        diff["nodes_not_in_catalog"]
        or diff["services_not_in_graph"]
        or diff["edges_not_in_catalog"]
        or diff["edges_not_in_graph"]
    )
    io.rows[rel] = len(nodes)
    if not diff["agrees"]:
        io.warn(
            rel,
            "",
            f"disagrees with the catalog: {len(nodes)} graph nodes vs {len(names)} services "
            f"({len(diff['nodes_not_in_catalog'])} not in the catalog, {len(diff['services_not_in_graph'])} "
            f"services missing), {len(edges)} edges vs {len(cat_edges)} catalog edges",
        )
    return diff
