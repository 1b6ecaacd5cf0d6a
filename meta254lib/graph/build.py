"""The workspace graph: services as nodes, typed relations as edges.

Nodes are catalog services only. Edges run from the dependent to the dependency (``a -> b`` means
"a needs b", so a change to ``b`` can break ``a``). Three relations are derived from the tables:

``depends_on``
    an internal dependency of ``a`` that names catalog service ``b``;
``consumes_event``
    ``a`` consumes an event that ``b`` produces (``a != b``); the event ids are in the edge attribute
    ``events``;
``shares_contract``
    ``a`` and ``b`` pin the same spec (any version), in both directions; the specs are in ``specs``.

A :class:`networkx.DiGraph` holds one edge per ordered pair, so every edge carries ``relations`` (all
relations between the pair, sorted) and ``relation`` (the primary one, by the precedence
``depends_on > consumes_event > shares_contract``).

Every attribute is one GraphML can write (text, number or boolean), so ``nx.write_graphml(G, f)`` works
as is: a list of names is one string, the items joined with ``|`` as the CSV outputs write lists
(:func:`~meta254lib.graph.attrs.encode_list`); read them with :func:`~meta254lib.graph.attrs.attr_list`.
A missing ``domain``, ``team``, ``maturity`` or ``runtime`` is no attribute (``.get`` gives None).

Dependency targets that are not catalog services (``dangling``) and external technologies
(``externals``, canonical names after alias resolution by the loader) are node attributes, never nodes.
Self-loops (a service depending on itself, or consuming its own event) are not edges; a
self-dependency is kept in the node attribute ``self_dependency``.

Examples
--------
>>> import pandas as pd
>>> from meta254lib.core.schema import SERVICES, DEPENDENCIES, EVENTS, CONTRACTS, frame_from_records
>>> services = frame_from_records(SERVICES, [{"service": "a", "domain": "access"}, {"service": "b"}])
>>> deps = frame_from_records(DEPENDENCIES, [
...     {"service": "a", "target": "b", "kind": "internal"},
...     {"service": "a", "target": "redis", "kind": "external"}])
>>> G = build_graph(services, deps, frame_from_records(EVENTS, []), frame_from_records(CONTRACTS, []))
>>> list(G.edges(data="relation")), G.nodes["a"]["externals"], attr_list(G.nodes["a"]["externals"])
([('a', 'b', 'depends_on')], 'redis', ('redis',))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import (
    CONTRACTS,
    DEPENDENCIES,
    DIRECTION,
    DOMAIN,
    EVENT,
    EVENTS,
    KIND,
    MATURITY,
    RUNTIME,
    SERVICE,
    SERVICES,
    SPEC,
    TARGET,
    TEAM,
    VERSION,
    require_columns,
)
from .attrs import attr_list, encode_list, omitted_relations

__all__ = [
    "CONTRACT_PAIR_LIMIT",
    "DEFAULT_RELATIONS",
    "RELATIONS",
    "build_graph",
    "parse_relations",
    "relation_view",
]

#: All relations, in precedence order (the first one present on an edge is its primary ``relation``).
RELATIONS: tuple[str, ...] = ("depends_on", "consumes_event", "shares_contract")
#: The relations an impact analysis follows unless told otherwise.
DEFAULT_RELATIONS: tuple[str, ...] = ("depends_on", "consumes_event")
#: Most ``shares_contract`` edges the workspace graph materialises. Every pair of services pinning the
#: same spec is an edge in both directions, so the count grows with the square of the fleet: 10,000
#: services pinning 52 specs make about 5.7 million edges (gigabytes in networkx). Above this limit
#: the workspace graph leaves the relation out and says so (:func:`~meta254lib.graph.attrs.omitted_relations`).
CONTRACT_PAIR_LIMIT = 100_000

_NODE_ATTRS = (DOMAIN, TEAM, MATURITY, RUNTIME)


def _values(df: pd.DataFrame, column: str) -> list[Any]:
    """A column as a list with missing values (NaN, NA, None) as None; all None when the column is absent.

    Examples
    --------
    >>> _values(pd.DataFrame({"a": pd.Series(["x", None], dtype="str")}), "a"), _values(pd.DataFrame(), "b")
    (['x', None], [])
    """
    if column not in df.columns:
        return [None] * len(df)
    s = df[column]
    values = s.tolist()
    missing = s.isna().to_numpy()
    if missing.any():
        return [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def parse_relations(relations: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validate relation names and return them in precedence order, without duplicates.

    Parameters
    ----------
    relations : str or iterable of str or None
        Relation names, or one comma-separated string (``"depends_on,consumes_event"``).
        ``None`` means :data:`DEFAULT_RELATIONS`.

    Returns
    -------
    tuple of str

    Raises
    ------
    ParameterError
        When a name is not one of :data:`RELATIONS`, or none is given.

    Examples
    --------
    >>> parse_relations("consumes_event, depends_on")
    ('depends_on', 'consumes_event')
    >>> parse_relations(["uses"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: unknown relation(s) 'uses'; choose from depends_on, ...
    """
    if relations is None:
        return DEFAULT_RELATIONS
    if isinstance(relations, str):
        relations = relations.split(",")
    names = [str(r).strip() for r in relations if str(r).strip()]
    unknown = sorted({r for r in names if r not in RELATIONS})
    if unknown:
        raise ParameterError(
            f"unknown relation(s) {', '.join(repr(u) for u in unknown)}; choose from {', '.join(RELATIONS)}"
        )
    if not names:
        raise ParameterError(f"no relation chosen; choose from {', '.join(RELATIONS)}")
    return tuple(r for r in RELATIONS if r in names)


def build_graph(
    services: pd.DataFrame,
    dependencies: pd.DataFrame,
    events: pd.DataFrame,
    contracts: pd.DataFrame,
    *,
    max_contract_pairs: int | None = None,
) -> nx.DiGraph:
    """Build the service graph from the catalog tables.

    Parameters
    ----------
    services : DataFrame
        :data:`~meta254lib.core.schema.SERVICES` rows (``service``, ``domain``, ``team``, ``maturity``,
        ``runtime`` are used).
    dependencies : DataFrame
        :data:`~meta254lib.core.schema.DEPENDENCIES` rows (``service``, ``target``, ``kind``).
    events : DataFrame
        :data:`~meta254lib.core.schema.EVENTS` rows (``service``, ``event``, ``direction`` in/out).
    contracts : DataFrame
        :data:`~meta254lib.core.schema.CONTRACTS` rows (``service``, ``spec``, optional ``version``).
    max_contract_pairs : int, optional
        When the ``shares_contract`` relation would need more ordered pairs than this, it is left
        out: no such edges, and :func:`~meta254lib.graph.attrs.omitted_relations` maps ``"shares_contract"``
        to the reason (``G.graph["omitted"]`` names it, ``G.graph["omitted_shares_contract"]`` says why;
        :func:`relation_view` then refuses to select it). Default: no limit.

    Returns
    -------
    networkx.DiGraph
        Nodes are the services, in catalog order, with attributes ``domain``, ``team``, ``maturity``,
        ``runtime`` (absent when missing), ``externals`` and ``dangling`` (sorted unique names),
        ``self_dependency`` (bool), ``contracts`` (sorted ``spec@version`` pins, ``spec`` alone when the
        version is empty), ``events_in`` and ``events_out`` (sorted event ids). Edges are
        dependent → dependency with ``relations``, ``relation``, ``events`` and ``specs``.
        Lists are stored as ``|``-joined text (:func:`~meta254lib.graph.attrs.attr_list` reads them),
        so the graph is GraphML-writable. Rows naming a service that is not in ``services`` are ignored.

    Raises
    ------
    SchemaError
        When a frame lacks a column used here.

    Examples
    --------
    >>> from meta254lib.core.schema import frame_from_records as rec
    >>> svc = rec(SERVICES, [{"service": s} for s in ("auth", "gateway", "metrics")])
    >>> ev = rec(EVENTS, [{"service": "gateway", "event": "m.c.v1", "direction": "out"},
    ...                   {"service": "metrics", "event": "m.c.v1", "direction": "in"}])
    >>> con = rec(CONTRACTS, [{"service": "auth", "spec": "core"}, {"service": "gateway", "spec": "core"}])
    >>> G = build_graph(svc, rec(DEPENDENCIES, []), ev, con)
    >>> for edge in sorted(G.edges(data="relation")):
    ...     print(*edge)
    auth gateway shares_contract
    gateway auth shares_contract
    metrics gateway consumes_event
    >>> G.edges["metrics", "gateway"]["events"], G.edges["auth", "gateway"]["specs"]
    ('m.c.v1', 'core')
    """
    require_columns(services, SERVICES, [SERVICE])
    require_columns(dependencies, DEPENDENCIES, [SERVICE, TARGET, KIND])
    require_columns(events, EVENTS, [SERVICE, EVENT, DIRECTION])
    require_columns(contracts, CONTRACTS, [SERVICE, SPEC])

    G = nx.DiGraph()
    G.add_nodes_from(_service_nodes(services))
    known = set(G.nodes)
    deps = _dependency_facts(dependencies, known)
    event_labels, events_of = _event_pairs(events, known)
    pinners, pins = _contract_pins(contracts, known)
    omitted = _omitted_contracts(pinners, max_contract_pairs)
    if omitted:
        G.graph["omitted"] = encode_list(omitted)
        G.graph.update({f"omitted_{r}": why for r, why in omitted.items()})
        pinners = {}
    spec_labels = _contract_pairs(pinners)
    G.add_nodes_from(_node_facts(list(G.nodes), deps, pins, events_of))
    G.add_edges_from(_edges(deps.depends, event_labels, spec_labels))
    return G


def _service_nodes(services: pd.DataFrame) -> list[tuple[Any, dict[str, Any]]]:
    """``(name, attributes)`` of each catalog service, first row of a name wins, in catalog order."""
    attrs = [(a, _values(services, a)) for a in _NODE_ATTRS]
    seen: set[Any] = set()
    nodes = []
    for i, name in enumerate(_values(services, SERVICE)):
        if name is None or name in seen:
            continue
        seen.add(name)
        nodes.append((name, {a: column[i] for a, column in attrs if column[i] is not None}))
    return nodes


@dataclass(frozen=True)
class _DependencyFacts:
    """What the dependency rows say: depends_on pairs, externals, dangling targets, self-dependencies."""

    depends: set[tuple[str, str]]
    externals: dict[str, set[str]]
    dangling: dict[str, set[str]]
    self_dep: set[str]


def _dependency_facts(dependencies: pd.DataFrame, known: set[Any]) -> _DependencyFacts:
    """Sort the dependency rows of known services into the facts of :class:`_DependencyFacts`."""
    externals: dict[str, set[str]] = defaultdict(set)
    dangling: dict[str, set[str]] = defaultdict(set)
    self_dep: set[str] = set()
    depends: set[tuple[str, str]] = set()
    for src, tgt, kind in zip(*(_values(dependencies, c) for c in (SERVICE, TARGET, KIND)), strict=True):
        if src not in known or tgt is None:
            continue
        if kind == "external":
            externals[src].add(tgt)
        elif tgt == src:
            self_dep.add(src)
        elif tgt in known:
            depends.add((src, tgt))
        else:
            dangling[src].add(tgt)
    return _DependencyFacts(depends=depends, externals=externals, dangling=dangling, self_dep=self_dep)


def _event_pairs(
    events: pd.DataFrame, known: set[Any]
) -> tuple[dict[tuple[str, str], set[str]], dict[tuple[str, str], set[str]]]:
    """``(consumer, producer) -> event ids`` of the consumes_event edges, and ``(service, in/out) -> event ids``."""
    producers: dict[str, set[str]] = defaultdict(set)
    consumers: dict[str, set[str]] = defaultdict(set)
    events_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for svc, ev, direction in zip(*(_values(events, c) for c in (SERVICE, EVENT, DIRECTION)), strict=True):
        if svc not in known or ev is None:
            continue
        if direction == "out":
            producers[ev].add(svc)
            events_of[(svc, "out")].add(ev)
        elif direction == "in":
            consumers[ev].add(svc)
            events_of[(svc, "in")].add(ev)
    event_labels: dict[tuple[str, str], set[str]] = {}
    for ev, cons in consumers.items():
        for c in cons:
            for p in producers.get(ev, ()):
                if p != c:
                    event_labels.setdefault((c, p), set()).add(ev)
    return event_labels, events_of


def _contract_pins(contracts: pd.DataFrame, known: set[Any]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``spec -> services pinning it`` and ``service -> its pins`` (``spec@version``, ``spec`` without one)."""
    pinners: dict[str, set[str]] = defaultdict(set)
    pins: dict[str, set[str]] = defaultdict(set)
    for svc, spec, version in zip(*(_values(contracts, c) for c in (SERVICE, SPEC, VERSION)), strict=True):
        if svc in known and spec is not None:
            pinners[spec].add(svc)
            pins[svc].add(f"{spec}@{version}" if version else spec)
    return pinners, pins


def _omitted_contracts(pinners: dict[str, set[str]], max_contract_pairs: int | None) -> dict[str, str]:
    """``{"shares_contract": reason}`` when the relation needs more pairs than the limit, else ``{}``."""
    pairs = sum(len(svcs) * (len(svcs) - 1) for svcs in pinners.values())
    if max_contract_pairs is not None and pairs > max_contract_pairs:
        return {
            "shares_contract": f"{pairs:,} ordered pairs of services pin the same spec, more than the "
            f"{max_contract_pairs:,} this graph materialises; the relation is left out"
        }
    return {}


def _contract_pairs(pinners: Mapping[str, set[str]]) -> dict[tuple[str, str], set[str]]:
    """``(a, b) -> specs`` for every ordered pair of services pinning the same spec."""
    spec_labels: dict[tuple[str, str], set[str]] = {}
    for spec, svcs in pinners.items():
        for a in svcs:
            for b in svcs:
                if a != b:
                    spec_labels.setdefault((a, b), set()).add(spec)
    return spec_labels


def _node_facts(
    nodes: list[Any],
    deps: _DependencyFacts,
    pins: Mapping[str, set[str]],
    events_of: Mapping[tuple[str, str], set[str]],
) -> list[tuple[Any, dict[str, Any]]]:
    """The derived attributes of each node: externals, dangling targets, self-dependency, pins, events."""
    return [
        (
            n,
            {
                "externals": encode_list(sorted(deps.externals.get(n, ()))),
                "dangling": encode_list(sorted(deps.dangling.get(n, ()))),
                "self_dependency": n in deps.self_dep,
                "contracts": encode_list(sorted(pins.get(n, ()))),
                "events_in": encode_list(sorted(events_of.get((n, "in"), ()))),
                "events_out": encode_list(sorted(events_of.get((n, "out"), ()))),
            },
        )
        for n in nodes
    ]


def _edges(
    depends: set[tuple[str, str]],
    event_labels: Mapping[tuple[str, str], set[str]],
    spec_labels: Mapping[tuple[str, str], set[str]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every edge, sorted by (dependent, dependency), with its relations, primary relation, events and specs."""
    shapes: dict[tuple[str, ...], tuple[str, str]] = {}  # relations present -> (primary, sorted and encoded)
    for u, v in sorted(depends.union(event_labels, spec_labels)):
        key = (u, v)
        ev, sp = event_labels.get(key), spec_labels.get(key)
        present = tuple(
            r for r, has in zip(RELATIONS, (key in depends, ev is not None, sp is not None), strict=True) if has
        )
        if present not in shapes:
            shapes[present] = (present[0], encode_list(sorted(present)))
        primary, ordered = shapes[present]
        yield (
            u,
            v,
            {
                "relation": primary,
                "relations": ordered,
                "events": encode_list(sorted(ev)) if ev else "",
                "specs": encode_list(sorted(sp)) if sp else "",
            },
        )


def relation_view(G: nx.DiGraph, relations: str | Iterable[str] | None = DEFAULT_RELATIONS) -> nx.DiGraph:
    """A read-only view of ``G`` keeping only edges that have any of the chosen relations.

    Every node is kept, including nodes left without edges.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`build_graph`.
    relations : str or iterable of str, optional
        Relation names (see :func:`parse_relations`); default ``depends_on`` + ``consumes_event``.

    Returns
    -------
    networkx.DiGraph
        A subgraph view (do not mutate it; ``nx.DiGraph(view)`` gives a mutable copy).

    Raises
    ------
    ParameterError
        For an unknown relation name, or one the graph left out
        (:func:`~meta254lib.graph.attrs.omitted_relations`).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", relations=("depends_on",))
    >>> G.add_edge("c", "b", relations=("shares_contract",))
    >>> H = relation_view(G, ["depends_on"])
    >>> list(H.edges), sorted(H.nodes)
    ([('a', 'b')], ['a', 'b', 'c'])
    """
    chosen = frozenset(parse_relations(relations))
    omitted = {r: why for r, why in omitted_relations(G).items() if r in chosen}
    if omitted:
        raise ParameterError(
            "; ".join(f"relation {r!r} is not available for this graph: {why}" for r, why in sorted(omitted.items()))
        )

    def keep(u: str, v: str) -> bool:
        return not chosen.isdisjoint(attr_list(G.edges[u, v].get("relations")))

    return nx.subgraph_view(G, filter_edge=keep)
