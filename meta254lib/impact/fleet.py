"""The impact of changing each of many services, computed for all of them at once.

:func:`~meta254lib.impact.analysis.analyse_impact` answers "what breaks if this service changes" with one
reverse breadth-first search and a row per impacted service. A remediation plan asks that question
for every service it touches: thousands of searches over the same graph, each visiting about half
the fleet on a deep-chain graph, which grows with the square of the fleet. This module gives the
same numbers from passes shared by all services:

- **blast radius**: ancestor bitsets from one pass over the condensation
  (:func:`~meta254lib.graph.reach.ancestor_bitsets`);
- **weighted blast radius**: the weight of a dependent depends on its distance
  (``decay ** (distance - 1)``), so the services at exactly distance ``d`` of every service are
  found together, layer by layer: ``within[d][v] = OR over dependents p of v of (within[d-1][p] | p)``,
  one OR per edge and layer. A layer's weights are summed with a byte lookup table (for each byte
  position of the bitset and each of its 256 values, the weight of the services those bits stand
  for), so a service costs one table look-up per byte. Weights are rounded to 4 decimals per
  service, as impact analysis rounds them, and summed as integers of 1/10,000: the result equals
  ``analyse_impact(G, "service:S").summary["weighted_blast_radius"]`` exactly. The layers stop
  once every weight rounds to zero (distance 17 with the default weights: ``2 · 0.5**16 < 0.00005``)
  or when no set grows any more; with ``decay = 1`` one table over the whole ancestor set suffices.
- **nearest dependents and their why-paths**: a breadth-first search per service that stops after
  the layer reaching ``nearest`` services. It visits the frontier and predecessors in the same
  order as impact analysis, so the parents, and so the paths, are the ones impact analysis prints.

Examples
--------
>>> G = nx.DiGraph()
>>> for n, mat in (("auth", "stable"), ("gateway", "stable"), ("metrics", "beta"), ("ui", "beta")):
...     G.add_node(n, maturity=mat, team="t-" + n)
>>> G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",))
>>> G.add_edge("metrics", "gateway", relation="consumes_event", relations=("consumes_event",))
>>> G.add_edge("ui", "gateway", relation="depends_on", relations=("depends_on",))
>>> fi = fleet_impact(G)
>>> auth = fi.table.set_index("service").loc["auth"]
>>> int(auth.blast_radius), float(auth.weighted_blast_radius), auth.nearest
(3, 2.125, ('gateway', 'metrics', 'ui'))
>>> fi.table.set_index("service").loc["gateway", "contract_dependents"]
('metrics',)
>>> fi.dependents_by_team(["gateway"])
{'t-metrics': ('metrics',), 't-ui': ('ui',)}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..core.errors import ParameterError, UnknownServiceError
from ..core.schema import FLEET_IMPACT, MATURITY, SERVICE, TEAM, frame_from_records
from ..graph.attrs import attr_list
from ..graph.build import DEFAULT_RELATIONS, parse_relations, relation_view
from ..graph.reach import ancestor_bits_of, decode_bits
from .changes import CONTRACT_HOPS
from .weights import ImpactWeights, SeverityRule, Weigher

__all__ = ["FleetImpact", "fleet_impact"]

#: Weights are summed as integers of this many parts of one (impact analysis rounds to 4 decimals).
_UNITS = 10_000
#: Rows gathered per block when summing a layer's weights (bounds the temporary index array).
_BLOCK = 1024
# _BITS[b, k] = bit k of the byte value b (little-endian bit order inside a byte, as int.to_bytes gives)
_BITS = ((np.arange(256, dtype=np.int64)[:, None] >> np.arange(8, dtype=np.int64)) & 1).astype(np.int64)


@dataclass(frozen=True)
class FleetImpact:
    """The result of :func:`fleet_impact`.

    Attributes
    ----------
    table : DataFrame
        :data:`~meta254lib.core.schema.FLEET_IMPACT`, one row per requested service, in the order asked.
    nodes : list
        The graph's nodes; bit ``i`` of a bitset stands for ``nodes[i]``.
    bits : dict
        node → bitset of its transitive dependents (itself excluded).
    teams : dict
        node → owning team ("" when unknown).
    """

    table: pd.DataFrame
    nodes: list[Any]
    bits: Mapping[Any, int]
    teams: Mapping[Any, str]

    def dependents(self, services: Iterable[Any]) -> set[Any]:
        """Every service that transitively depends on any of ``services`` (those excluded).

        Examples
        --------
        >>> G = nx.DiGraph([("b", "a"), ("c", "b"), ("d", "c")])
        >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
        >>> fi = fleet_impact(G, ["a"])
        >>> sorted(fi.dependents(["a", "b"]))
        ['c', 'd']
        """
        chosen = list(services)
        union = 0
        for s in chosen:
            union |= self.bits.get(s, 0)
        found = decode_bits(union, self.nodes)
        return found - set(chosen)

    def dependents_by_team(self, services: Iterable[Any], exclude: Iterable[str] = ()) -> dict[str, tuple[Any, ...]]:
        """The dependents of ``services`` grouped by owning team, teams and services sorted.

        Services without a team and teams in ``exclude`` are left out.

        Examples
        --------
        >>> G = nx.DiGraph([("b", "a"), ("c", "a")])
        >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
        >>> nx.set_node_attributes(G, {"a": "x", "b": "y", "c": "x"}, "team")
        >>> fleet_impact(G, ["a"]).dependents_by_team(["a"])
        {'x': ('c',), 'y': ('b',)}
        """
        skip = set(exclude)
        out: dict[str, list[Any]] = {}
        for n in self.dependents(services):
            t = self.teams.get(n, "")
            if t and t not in skip:
                out.setdefault(t, []).append(n)
        return {t: tuple(sorted(out[t], key=str)) for t in sorted(out)}


def _text(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


class _LayerSums:
    """Sums per-service integer weights over bitsets, one byte look-up per 8 services."""

    def __init__(self, n: int) -> None:
        self.nbytes = max((n + 7) // 8, 1)
        self.offsets = (np.arange(self.nbytes, dtype=np.intp) * 256)[None, :]

    def table(self, units: np.ndarray) -> np.ndarray:
        padded = np.zeros(self.nbytes * 8, dtype=np.int64)
        padded[: len(units)] = units
        # table[j, b] = sum of units[8j + k] over the bits k set in b
        return (padded.reshape(self.nbytes, 8) @ _BITS.T).ravel()

    def sums(self, table: np.ndarray, sets: list[int]) -> np.ndarray:
        out = np.zeros(len(sets), dtype=np.int64)
        nb = self.nbytes
        for lo in range(0, len(sets), _BLOCK):
            block = sets[lo : lo + _BLOCK]
            codes = np.frombuffer(b"".join(x.to_bytes(nb, "little") for x in block), dtype=np.uint8)
            at = np.flatnonzero(codes)  # a layer is sparse: only its non-zero bytes are looked up
            vals = table[(at % nb) * 256 + codes[at]]
            out[lo : lo + len(block)] = np.bincount(at // nb, weights=vals, minlength=len(block)).astype(np.int64)
        return out


def _units(base: list[float], factor: float) -> np.ndarray:
    # exactly ImpactWeights.weight: round(base * decay ** (d - 1), 4), then in integer 1/10,000 parts
    return np.array([round(round(b * factor, 4) * _UNITS) for b in base], dtype=np.int64)


def fleet_impact(
    G: nx.DiGraph,
    services: Iterable[Any] | None = None,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    quality: pd.Series | Mapping[str, float] | None = None,
    drift: pd.Series | Mapping[str, int] | None = None,
    weights: ImpactWeights | None = None,
    severity: SeverityRule | None = None,
    nearest: int = 20,
) -> FleetImpact:
    """Blast radius, weighted blast radius, severity and nearest dependents of each service.

    For every service ``s`` the numbers equal those of ``analyse_impact(G, f"service:{s}", ...)``
    with the same arguments (no depth limit); see the module docstring for how they are shared.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (edges dependent → dependency, node attributes ``maturity`` and ``team``).
    services : iterable, optional
        The services to report on, in this order (default: every node). Unknown names raise.
    relations : str or iterable of str, optional
        Which edges count (default ``depends_on`` + ``consumes_event``).
    quality : Series or mapping, optional
        service → latest quality score.
    drift : Series or mapping, optional
        service → open drift issues; None leaves the drift term out.
    weights : ImpactWeights, optional
    severity : SeverityRule, optional
    nearest : int
        How many of the nearest dependents to list with their why-paths (≥ 0).

    Returns
    -------
    FleetImpact

    Raises
    ------
    UnknownServiceError
        A requested service is not a node of ``G``.
    ParameterError
        Bad relation or ``nearest``.

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a"), ("c", "b"), ("a", "c"), ("d", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> t = fleet_impact(G, ["a", "d"], nearest=2).table
    >>> t[["service", "blast_radius", "weighted_blast_radius", "impact_severity"]].values.tolist()
    [['a', 3, 2.1875, 'medium'], ['d', 0, 0.0, 'none']]
    >>> t.loc[0, "nearest_why"]
    ('b -depends_on-> a', 'd -depends_on-> a')
    """
    if isinstance(nearest, bool) or not isinstance(nearest, int) or nearest < 0:
        raise ParameterError(f"nearest must be an integer ≥ 0, found {nearest!r}")
    chosen = parse_relations(relations)
    relation_view(G, chosen)  # raises for a relation the graph left out
    weights = weights or ImpactWeights()
    severity = severity or SeverityRule()
    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    wanted = list(nodes) if services is None else list(services)
    rows_idx = _row_indices(wanted, index)
    succ, preds, hop = _chosen_edges(G, chosen, index)
    found = ancestor_bits_of(succ)
    base = _base_weights(G, nodes, quality, drift, weights)
    totals = _weighted_totals(preds, found, rows_idx, base, weights.decay)
    walk = _NearestWalk.of(nodes, preds, hop)
    records = [
        _fleet_record(s, si, nodes, found, totals, severity, walk, nearest)
        for s, si in zip(wanted, rows_idx, strict=True)
    ]
    return FleetImpact(
        table=frame_from_records(FLEET_IMPACT, records),
        nodes=nodes,
        bits=dict(zip(nodes, found, strict=True)),
        teams={n: _text(G.nodes[n].get(TEAM)) for n in nodes},
    )


def _row_indices(wanted: list[Any], index: Mapping[Any, int]) -> list[int]:
    """The node index of each requested service; an unknown name raises."""
    for s in wanted:
        if s not in index:
            raise UnknownServiceError(str(s), [str(n) for n in index])
    return [index[s] for s in wanted]


def _chosen_edges(
    G: nx.DiGraph, chosen: tuple[str, ...], index: Mapping[Any, int]
) -> tuple[list[list[int]], list[list[int]], dict[tuple[int, int], str]]:
    """The chosen edges, read once: successor and predecessor lists, and the relation impact analysis names
    for each hop."""
    keep = frozenset(chosen)
    succ: list[list[int]] = [[] for _ in index]
    preds: list[list[int]] = [[] for _ in index]
    hop: dict[tuple[int, int], str] = {}
    for u, v, data in G.edges(data=True):
        rels = attr_list(data.get("relations"))
        if keep.isdisjoint(rels):
            continue
        iu, iv = index[u], index[v]
        succ[iu].append(iv)
        preds[iv].append(iu)
        hop[iu, iv] = next((r for r in chosen if r in rels), data.get("relation", "depends_on"))
    return succ, preds, hop


def _base_weights(
    G: nx.DiGraph,
    nodes: list[Any],
    quality: pd.Series | Mapping[str, float] | None,
    drift: pd.Series | Mapping[str, int] | None,
    weights: ImpactWeights,
) -> list[float]:
    """:meth:`ImpactWeights.base` of every node (its weight before the distance decay)."""
    inputs = Weigher(weights, quality, drift).inputs
    drift_given = drift is not None
    return [weights.base(G.nodes[n].get(MATURITY), *inputs(n), drift_given=drift_given) for n in nodes]


@dataclass(frozen=True)
class _NearestWalk:
    """What the nearest-dependents walk needs: names, predecessors in impact analysis's visiting order (by
    name), each node's rank in that order, and the relation of each hop."""

    names: list[str]
    preds_sorted: list[list[int]]
    rank: list[int]
    hop: Mapping[tuple[int, int], str]

    @classmethod
    def of(cls, nodes: list[Any], preds: list[list[int]], hop: Mapping[tuple[int, int], str]) -> _NearestWalk:
        order = {n: i for i, n in enumerate(sorted(nodes, key=str))}
        rank = [order[n] for n in nodes]
        return cls(
            names=[str(n) for n in nodes],
            preds_sorted=[sorted(ps, key=rank.__getitem__) for ps in preds],
            rank=rank,
            hop=hop,
        )


def _fleet_record(
    s: Any,
    si: int,
    nodes: list[Any],
    found: list[int],
    totals: Mapping[int, int],
    severity: SeverityRule,
    walk: _NearestWalk,
    nearest: int,
) -> dict[str, Any]:
    """The :data:`~meta254lib.core.schema.FLEET_IMPACT` row of service ``s`` (node index ``si``)."""
    radius = found[si].bit_count()
    weighted = round(int(totals[si]) / _UNITS, 4)
    level, reason = severity.classify(weighted, radius)
    direct = [p for p in walk.preds_sorted[si] if p != si]
    near, why = _nearest(walk.names, walk.preds_sorted, walk.rank, walk.hop, si, nearest)
    return {
        SERVICE: s,
        "blast_radius": radius,
        "weighted_blast_radius": weighted,
        "impact_severity": level,
        "severity_reason": reason,
        "direct_dependents": tuple(nodes[p] for p in direct),
        "contract_dependents": tuple(nodes[p] for p in direct if walk.hop[p, si] in CONTRACT_HOPS),
        "nearest": tuple(nodes[i] for i in near),
        "nearest_why": why,
    }


def _weighted_totals(
    preds: list[list[int]],
    found: list[int],
    rows_idx: list[int],
    base: list[float],
    decay: float,
) -> dict[int, int]:
    """node index → weighted blast radius in integer 1/10,000 parts, for the requested rows."""
    n = len(preds)
    sums = _LayerSums(n)
    rows = sorted(set(rows_idx))
    totals = dict.fromkeys(rows, 0)
    if not rows:
        return totals
    if decay == 1:
        got = sums.sums(sums.table(_units(base, 1.0)), [found[i] for i in rows])
        return dict(zip(rows, got.tolist(), strict=True))
    one = [1 << i for i in range(n)]
    within = [0] * n  # within[v]: dependents of v at distance <= d (v itself excluded)
    d = 0
    while True:
        d += 1
        units = _units(base, decay ** (d - 1))
        if not units.any():
            break  # every weight at this distance rounds to 0, and so at every larger one
        plus = [w | b for w, b in zip(within, one, strict=True)]
        grown = []
        for v in range(n):
            acc = 0
            for p in preds[v]:
                acc |= plus[p]
            grown.append(acc & ~one[v])
        changed = [i for i in rows if grown[i] != within[i]]
        if changed:
            got = sums.sums(sums.table(units), [grown[i] & ~within[i] for i in changed])
            for i, g in zip(changed, got.tolist(), strict=True):
                totals[i] += g
        if grown == within:
            break
        within = grown
    return totals


def _nearest(
    names: list[str],
    preds_sorted: list[list[int]],
    rank: list[int],
    hop: Mapping[tuple[int, int], str],
    start: int,
    limit: int,
) -> tuple[list[int], tuple[str, ...]]:
    """The ``limit`` nearest dependents of node ``start`` and their why-paths (as impact analysis writes them)."""
    if limit == 0:
        return [], ()
    why = {start: names[start]}
    frontier = [start]
    found: list[int] = []
    while frontier and len(found) < limit:
        nxt = []
        for u in frontier:
            for p in preds_sorted[u]:
                if p not in why:
                    why[p] = f"{names[p]} -{hop[p, u]}-> {why[u]}"
                    nxt.append(p)
        nxt.sort(key=rank.__getitem__)
        found.extend(nxt)
        frontier = nxt
    near = found[:limit]  # by distance, then name
    return near, tuple(why[i] for i in near)
