"""The service graph in the formats other tools read: GraphML, Graphviz DOT and Mermaid.

The workspace graph already carries only attributes GraphML can write (lists are ``|``-joined text, see
:mod:`meta254lib.graph.attrs`); a graph built by hand is exported from a copy made plain the same way
(:func:`plain_graph`), so ``nx.read_graphml`` reads every export back. Edges are styled by relation; DOT
groups services in one cluster per domain. Impact results export their impacted subgraph through the
same functions (:meth:`meta254lib.impact.analysis.ImpactResult.subgraph`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import networkx as nx

from ..core.names import check_name
from .attrs import encode_list
from .build import parse_relations, relation_view

__all__ = ["EXPORT_FORMATS", "export_graph", "plain_graph", "select_services"]

#: The formats :func:`export_graph` writes.
EXPORT_FORMATS = ("graphml", "dot", "mermaid")
_STYLE = {
    "depends_on": {"dot": "solid", "mermaid": "-->"},
    "consumes_event": {"dot": "dashed", "mermaid": "-.->"},
    "shares_contract": {"dot": "dotted", "mermaid": "---"},
    # the hops of an impact subgraph into a spec or an external change
    "pins_spec": {"dot": "bold", "mermaid": "==>"},
    "uses_external": {"dot": "bold", "mermaid": "==>"},
}


def _plain(value: object) -> str | int | float | bool:
    if isinstance(value, (set, frozenset)):
        return encode_list(sorted(value, key=str))
    if isinstance(value, (list, tuple)):
        return encode_list(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    return "" if value is None else str(value)


def plain_graph(G: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``G`` whose node, edge and graph attributes GraphML can write.

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_edge("a", "b", relation="depends_on", relations=("depends_on",), events=())
    >>> plain_graph(G).edges["a", "b"]
    {'relation': 'depends_on', 'relations': 'depends_on', 'events': ''}
    """
    H = nx.DiGraph()
    H.graph.update({k: _plain(v) for k, v in G.graph.items()})
    H.add_nodes_from((n, {k: _plain(v) for k, v in d.items() if v is not None}) for n, d in G.nodes(data=True))
    H.add_edges_from((u, v, {k: _plain(x) for k, x in d.items() if x is not None}) for u, v, d in G.edges(data=True))
    return H


def select_services(
    G: nx.DiGraph,
    *,
    relations: str | Iterable[str] | None = None,
    team: str | None = None,
    domain: str | None = None,
) -> nx.DiGraph:
    """The subgraph of the chosen relations and of one team's or domain's services (names checked).

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("a", team="t1", domain="d"); G.add_node("b", team="t2", domain="d")
    >>> G.add_edge("a", "b", relation="depends_on", relations=("depends_on",))
    >>> sorted(select_services(G, team="T1").nodes)
    ['a']
    """
    H = relation_view(G, parse_relations(relations)) if relations is not None else G
    keep = set(H.nodes)
    for attr, wanted in (("team", team), ("domain", domain)):
        if wanted:
            known = {str(d.get(attr)) for _, d in G.nodes(data=True) if d.get(attr)}
            name = check_name(attr, wanted, known, case_insensitive=True)
            keep &= {n for n, d in G.nodes(data=True) if d.get(attr) == name}
    return nx.DiGraph(H.subgraph(keep))


def _idents(names: list[object]) -> dict[object, str]:
    """A Mermaid id per node: ``n_`` and the name with other characters as ``_``, made unique by a suffix."""
    ids: dict[object, str] = {}
    taken: set[str] = set()
    for n in names:
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", str(n))
        ident, k = base, 2
        while ident in taken:
            ident, k = f"{base}_{k}", k + 1
        taken.add(ident)
        ids[n] = ident
    return ids


def _dot_text(value: object) -> str:
    """A DOT double-quoted string body: backslashes and quotes escaped, line breaks as spaces."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _mermaid_text(value: object) -> str:
    """A Mermaid label: quotes and the characters that end a label as entity codes."""
    return str(value).replace('"', "#quot;").replace("|", "#124;").replace("\n", " ")


def _dot(G: nx.DiGraph) -> str:
    lines = ["digraph services {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    by_domain: dict[str, list[str]] = {}
    for n, d in sorted(G.nodes(data=True), key=lambda x: str(x[0])):
        group = d.get("domain") or ("changes" if d.get("changed") else "unknown")
        attrs = " [style=filled, fillcolor=mistyrose]" if d.get("changed") else ""
        by_domain.setdefault(str(group), []).append(f'"{_dot_text(n)}"{attrs}')
    for i, (domain, names) in enumerate(sorted(by_domain.items())):
        lines.append(f'  subgraph cluster_{i} {{ label="{_dot_text(domain)}";')
        lines += [f"    {n};" for n in names]
        lines.append("  }")
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        rel = str(d.get("relation", "depends_on"))
        style = _STYLE.get(rel, _STYLE["depends_on"])["dot"]
        lines.append(f'  "{_dot_text(u)}" -> "{_dot_text(v)}" [style={style}, label="{_dot_text(rel)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(G: nx.DiGraph) -> str:
    lines = ["flowchart LR"]
    names = sorted(G.nodes, key=str)
    ids = _idents(names)
    for n in names:
        lines.append(f'  {ids[n]}["{_mermaid_text(n)}"]')
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        rel = str(d.get("relation", "depends_on"))
        arrow = _STYLE.get(rel, _STYLE["depends_on"])["mermaid"]
        lines.append(f"  {ids[u]} {arrow}|{_mermaid_text(rel)}| {ids[v]}")
    return "\n".join(lines) + "\n"


def export_graph(G: nx.DiGraph, fmt: str) -> str:
    """``G`` as GraphML, DOT or Mermaid text.

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("gw", domain="access"); G.add_node("auth", domain="access")
    >>> G.add_edge("gw", "auth", relation="depends_on", relations=("depends_on",))
    >>> export_graph(G, "mermaid").splitlines()[:2]
    ['flowchart LR', '  n_auth["auth"]']
    >>> nx.read_graphml(io.StringIO(export_graph(G, "graphml"))).number_of_edges()
    1
    """
    H = plain_graph(G)
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(H, buf)
        return buf.getvalue().decode("utf-8")
    if fmt == "dot":
        return _dot(H)
    if fmt == "mermaid":
        return _mermaid(H)
    raise ValueError(f"unknown graph format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}")
