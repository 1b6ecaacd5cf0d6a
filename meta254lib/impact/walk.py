"""The walk of an impact analysis: where each change lands, the breadth-first search up from there, and the
why-path of every service it reaches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from ..core.errors import UnknownServiceError
from ..graph.attrs import attr_list
from ..graph.rules import canonical_external
from .changes import ORIGIN_HOP, Change

__all__ = ["Walk", "WhyPaths", "misfiled_dependents", "misfiled_notes", "resolve_change", "walk_dependents"]

#: One walk of :func:`walk_dependents`: ``dist, parent, hop, order``.
Walk = tuple[dict[Any, int], dict[Any, Any], dict[Any, str], list[Any]]


def walk_dependents(
    G: nx.DiGraph,
    starts: Sequence[Any],
    start_dist: int,
    max_depth: int | None,
    chosen: tuple[str, ...],
    key: Callable[[Any], Any] | None = str,
) -> tuple[dict[Any, int], dict[Any, Any], dict[Any, str], list[Any]]:
    """Breadth-first walk from ``starts`` up the edges of ``G`` that have any relation in ``chosen``.

    Those are the edges of ``relation_view(G, chosen)``; filtering them here, only where the walk
    goes, spares the view's per-edge checks. Each level is walked in ``key`` order, each node's
    predecessors in ``key`` order, and the first node to reach a predecessor is its parent.
    ``key=None`` (only when every node is a ``str``) sorts the nodes themselves, the order of
    ``str``; the predecessors are then not sorted, since no two names tie and the order of the
    next level does not depend on the order they were found in.

    Parameters
    ----------
    G : networkx.DiGraph
        Edges dependent → dependency, each with ``relations`` (encoded text or a tuple, see
        :func:`~meta254lib.graph.attrs.attr_list`).
    starts : sequence
        The services hit first.
    start_dist : int
        Their distance (0 for a changed service, 1 for the services a spec, event or external change hits).
    max_depth : int or None
        Stop at this distance (no limit when None).
    chosen : tuple of str
        The relations that count, in precedence order.
    key : callable or None
        Sort key of the nodes (None: the nodes themselves, only when every node is a ``str``).

    Returns
    -------
    tuple
        ``dist``, ``parent`` (``None`` for a start), ``hop`` (the relation of the edge to the parent:
        the first of ``chosen`` it has) and ``order``: every reached node, by distance, then in ``key`` order.

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a"), ("c", "b")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> dist, parent, hop, order = walk_dependents(G, ["a"], 0, None, ("depends_on",))
    >>> order, parent["c"], hop["c"]
    (['a', 'b', 'c'], 'b', 'depends_on')
    """
    wanted = frozenset(chosen)
    pred = G.pred
    dist = dict.fromkeys(starts, start_dist)
    parent: dict[Any, Any] = dict.fromkeys(starts)
    hop: dict[Any, str] = {}
    hop_of: dict[Any, str | None] = {}  # relations attribute of an edge -> its hop (None: not chosen)
    frontier = sorted(dist, key=key)
    order = list(frontier)
    d = start_dist
    while frontier and (max_depth is None or d < max_depth):
        nxt = []
        for u in frontier:
            into = pred[u]
            # predecessors in key order; with text names no two sort alike, so the sorted frontier
            # below comes out the same whatever order they are visited in
            for p in into if key is None else sorted(into, key=key):
                if p in dist:
                    continue
                attrs = into[p]
                raw = attrs.get("relations", "")
                if type(raw) is not str and not isinstance(raw, (tuple, frozenset)):
                    raw = attr_list(raw)  # a list or set on a graph built by hand
                if raw in hop_of:
                    h = hop_of[raw]
                else:
                    rels = attr_list(raw)
                    h = None if wanted.isdisjoint(rels) else next((r for r in chosen if r in rels), None)
                    hop_of[raw] = h
                if h is None:
                    continue
                dist[p] = d + 1
                parent[p] = u
                hop[p] = h
                nxt.append(p)
        frontier = sorted(nxt, key=key)
        order.extend(frontier)
        d += 1
    return dist, parent, hop, order


def resolve_change(G: nx.DiGraph, change: Change, aliases: Mapping[str, str] | None) -> dict[str, Any]:
    """The services a change hits directly, plus facts for the changes table.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (node attributes ``contracts``, ``events_in``, ``events_out``, ``externals``).
    change : Change
    aliases : mapping or None
        External-name aliases (None: the default ones).

    Returns
    -------
    dict
        ``direct`` (services hit at the first step, sorted), ``producers`` (event producers),
        ``pinned`` (``service@version`` pins of a spec), ``note`` (what is missing), and for an
        external change ``canonical`` (its alias-resolved name).

    Raises
    ------
    UnknownServiceError
        A ``service:`` change names no node of ``G``.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", contracts=("api@1.0.0",)); G.add_node("b", contracts=("api@2.0.0",))
    >>> info = resolve_change(G, Change("spec", "api", "2.0.0"), None)
    >>> info["direct"], info["pinned"], info["note"]
    (('a', 'b'), ('a@1.0.0', 'b@2.0.0'), '')
    """
    info: dict[str, Any] = {"direct": (), "producers": (), "pinned": (), "note": ""}
    if change.kind == "service":
        if change.name not in G:
            raise UnknownServiceError(change.name, [str(n) for n in G.nodes])
        return {**info, "direct": (change.name,)}
    if change.kind == "spec":
        return {**info, **_spec_hits(G, change)}
    if change.kind == "event":
        return {**info, **_event_hits(G, change)}
    return {**info, **_external_hits(G, change, aliases)}


def _spec_hits(G: nx.DiGraph, change: Change) -> dict[str, Any]:
    """The pinners of a spec: ``direct``, ``pinned`` and ``note``."""
    pins = []
    for n in G.nodes:
        for pin in attr_list(G.nodes[n].get("contracts")):
            spec, _, ver = str(pin).partition("@")
            if spec == change.name:
                pins.append((n, ver))
    note = ""
    if not pins:
        note = f"no catalog service pins spec {change.name}"
    elif change.version and all(v == change.version for _, v in pins):
        note = f"every pinner already pins {change.version}"
    return {
        "direct": tuple(sorted({n for n, _ in pins}, key=str)),
        "pinned": tuple(sorted(f"{n}@{v}" if v else str(n) for n, v in pins)),
        "note": note,
    }


def _event_hits(G: nx.DiGraph, change: Change) -> dict[str, Any]:
    """The consumers (``direct``) and producers of an event, and a ``note`` on what is missing."""
    consumers = sorted((n for n in G.nodes if change.name in attr_list(G.nodes[n].get("events_in"))), key=str)
    producers = sorted((n for n in G.nodes if change.name in attr_list(G.nodes[n].get("events_out"))), key=str)
    notes = []
    if not producers:
        notes.append("no producer in the catalog")
    if not consumers:
        notes.append("no consumer in the catalog")
    return {"direct": tuple(consumers), "producers": tuple(producers), "note": "; ".join(notes)}


def _external_hits(G: nx.DiGraph, change: Change, aliases: Mapping[str, str] | None) -> dict[str, Any]:
    """The users of an external technology after alias resolution: ``direct``, ``note`` and ``canonical``."""
    canon = canonical_external(change.name, aliases)
    users = sorted(
        (
            n
            for n in G.nodes
            if canon in {canonical_external(e, aliases) for e in attr_list(G.nodes[n].get("externals"))}
        ),
        key=str,
    )
    notes = []
    if canon != change.name.lower():
        notes.append(f"{change.name} resolves to {canon}")
    if not users:
        notes.append(f"no catalog service uses {canon}")
    return {"direct": tuple(users), "note": "; ".join(notes), "canonical": canon}


def misfiled_dependents(G: nx.DiGraph, reached: Iterable[Any]) -> dict[Any, tuple[Any, ...]]:
    """The services that name a reached service among their *externals* (a misfiled internal dependency).

    Such a dependency is no ``depends_on`` edge, so an impact analysis does not walk it: the catalog
    declares it external, and meta254 does not guess it is internal. It is listed instead, as the reason
    those services are not counted (:func:`misfiled_notes`). Services already reached are left out.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (node attribute ``externals``: canonical names).
    reached : iterable
        The changed and impacted services.

    Returns
    -------
    dict
        reached service → the sorted services naming it among their externals (only services with any).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("emb", externals=()); G.add_node("idx", externals=("emb", "redis"))
    >>> misfiled_dependents(G, ["emb"])
    {'emb': ('idx',)}
    """
    seen = set(reached)
    found: dict[Any, set[Any]] = {}
    for n, externals in G.nodes(data="externals"):
        if n in seen:
            continue
        for e in attr_list(externals):
            if e in seen and e != n:
                found.setdefault(e, set()).add(n)
    return {t: tuple(sorted(found[t], key=str)) for t in sorted(found, key=str)}


def misfiled_notes(misfiled: Mapping[Any, Sequence[Any]]) -> list[str]:
    """One note per service of :func:`misfiled_dependents`: who lists it as external, and why they do not count.

    Examples
    --------
    >>> misfiled_notes({"emb": ("idx", "search")})  # doctest: +NORMALIZE_WHITESPACE
    ['idx and search list emb among their externals; a misfiled internal dependency is not a depends_on
      edge, so they are not counted here (move emb to their dependencies.internal to count them)']
    """
    notes = []
    for target, users in misfiled.items():
        names = [str(u) for u in users]
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        their = "its" if len(names) == 1 else "their"
        notes.append(
            f"{who} list{'s' if len(names) == 1 else ''} {target} among {their} externals; a misfiled internal "
            f"dependency is not a depends_on edge, so {'it is' if len(names) == 1 else 'they are'} not counted "
            f"here (move {target} to {their} dependencies.internal to count {'it' if len(names) == 1 else 'them'})"
        )
    return notes


def _why(path: Sequence[Any], hops: Sequence[str]) -> str:
    """The why-text of a path: ``a -depends_on-> b -pins_spec-> api@2``."""
    parts = [str(path[0])]
    for node, rel in zip(path[1:], hops, strict=True):
        parts.append(f"-{rel}-> {node}")
    return " ".join(parts)


class WhyPaths:
    """Path to the change, relation of each hop and why-text of a service in one walk (memoised).

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a"), ("c", "b")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> walk = walk_dependents(G, ["a"], 1, None, ("depends_on",))
    >>> WhyPaths([Change("spec", "api", "2")], [walk], text_names=True).chain(0, "c")[2]
    'c -depends_on-> b -depends_on-> a -pins_spec-> api@2'
    """

    def __init__(self, change_set: Sequence[Change], walks: Sequence[Walk], *, text_names: bool) -> None:
        self.change_set = change_set
        self.walks = walks
        self.text_names = text_names
        self.memo: list[dict[Any, tuple[tuple, tuple, str]]] = [{} for _ in change_set]

    def chain(self, i: int, n: Any) -> tuple[tuple, tuple, str]:
        """``(path, hops, why)`` of ``n`` in walk ``i``."""
        memo = self.memo[i]
        got = memo.get(n)
        if got is not None:
            return got
        _, parent, hop, _ = self.walks[i]
        stack = []
        cur = n
        while cur not in memo and parent[cur] is not None:
            stack.append(cur)
            cur = parent[cur]
        if cur not in memo:  # the walk's start
            c = self.change_set[i]
            if c.kind == "service":
                path, hops = (cur,), ()
            else:
                path, hops = (cur, c.target), (ORIGIN_HOP[c.kind],)
            memo[cur] = (path, hops, _why(path, hops))
        for x in reversed(stack):
            path, hops, why = memo[parent[x]]
            h = hop[x]
            path, hops = (x, *path), (h, *hops)
            memo[x] = (path, hops, f"{x} -{h}-> {why}" if self.text_names else _why(path, hops))
        return memo[n]
