"""``analyse_impact`` equals a straightforward reference on random graphs and change sets.

The reference walks ``relation_view(G, ...)`` with ``sorted(..., key=str)`` at every node, rebuilds
each why-path by following parents, and builds the frames from row dicts: the definition the
optimised function (one filtered walk, memoised paths, column-wise frames) must keep, row for row.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meta254lib.graph.build import parse_relations, relation_view
from meta254lib.impact.analysis import IMPACTED_COLUMNS as _IMPACTED_COLS
from meta254lib.impact.analysis import analyse_impact
from meta254lib.impact.changes import CONTRACT_HOPS as _CONTRACT_HOPS
from meta254lib.impact.changes import ORIGIN_HOP as _ORIGIN_HOP
from meta254lib.impact.changes import parse_changes
from meta254lib.impact.walk import resolve_change as _resolve
from meta254lib.impact.weights import ImpactWeights, SeverityRule

RELATIONS = ("depends_on", "consumes_event", "shares_contract")


def _ref_bfs(H, starts, start_dist, max_depth, chosen):
    dist = {s: start_dist for s in starts}
    parent = {s: None for s in starts}
    hop = {}
    frontier = sorted(starts, key=str)
    d = start_dist
    while frontier and (max_depth is None or d < max_depth):
        nxt = []
        for u in frontier:
            for p in sorted(H.predecessors(u), key=str):
                if p not in dist:
                    dist[p] = d + 1
                    parent[p] = u
                    rels = H.edges[p, u].get("relations", ())
                    hop[p] = next((r for r in chosen if r in rels), H.edges[p, u].get("relation", "depends_on"))
                    nxt.append(p)
        frontier = sorted(nxt, key=str)
        d += 1
    return dist, parent, hop


def _ref_why(path, hops):
    return " ".join([str(path[0])] + [f"-{rel}-> {node}" for node, rel in zip(path[1:], hops, strict=True)])


def reference(G, changes, relations=None, max_depth=None, quality=None, drift=None, weights=None):
    """Impacted rows, hits and summary the way the first version of ``analyse_impact`` computed them."""
    change_set = parse_changes(changes)
    chosen = parse_relations(relations)
    weights = weights or ImpactWeights()
    quality_map = dict(quality.items()) if quality is not None else {}
    drift_given = drift is not None
    drift_map = dict(drift.items()) if drift is not None else {}
    H = relation_view(G, chosen)
    changed = {c.name for c in change_set if c.kind == "service"}
    resolved = [_resolve(G, c, None) for c in change_set]
    walks = [
        _ref_bfs(H, list(info["direct"]), 0 if c.kind == "service" else 1, max_depth, chosen)
        for c, info in zip(change_set, resolved, strict=True)
    ]
    best, by_change = {}, {}
    for i, (c, (dist, _, _)) in enumerate(zip(change_set, walks, strict=True)):
        for n, d in dist.items():
            if n in changed:
                continue
            by_change.setdefault(n, {})[c.label] = d
            if n not in best or (d, i) < best[n]:
                best[n] = (d, i)
    rows = []
    for n, (d, i) in best.items():
        c = change_set[i]
        _, parent, hop = walks[i]
        path, hops, cur = [n], [], n
        while parent[cur] is not None:
            hops.append(hop[cur])
            cur = parent[cur]
            path.append(cur)
        if c.kind != "service":
            hops.append(_ORIGIN_HOP[c.kind])
            path.append(c.target)
        attrs = G.nodes[n]
        q = quality_map.get(n)
        q = None if q is None or pd.isna(q) else float(q)
        dr = int(drift_map.get(n, 0)) if drift_given else None
        tests = ["unit"] + (["integration"] if d == 1 else []) + (["contract"] if hops[0] in _CONTRACT_HOPS else [])
        rows.append(
            {
                "service": n,
                "distance": d,
                "path": tuple(path),
                "relations": tuple(hops),
                "why": _ref_why(path, hops),
                "caused_by": tuple(x.label for x in change_set if x.label in by_change[n]),
                "distance_by_change": dict(by_change[n]),
                "domain": attrs.get("domain"),
                "team": attrs.get("team"),
                "maturity": attrs.get("maturity"),
                "quality_score": q,
                "drift_issues": dr,
                "weight": weights.weight(attrs.get("maturity"), q, dr, d, drift_given=drift_given),
                "tests": tuple(tests),
            }
        )
    rows.sort(key=lambda r: (r["distance"], str(r["service"])))
    impacted = pd.DataFrame(rows, columns=_IMPACTED_COLS)
    for col, dtype in (("distance", "int64"), ("quality_score", "Float64"), ("drift_issues", "Int64")):
        impacted[col] = impacted[col].astype(dtype)
    impacted["weight"] = impacted["weight"].astype("float64")
    hit_rows = [
        {"change": c.label, "service": n, "distance": dist[n]}
        for c, (dist, _, _) in zip(change_set, walks, strict=True)
        for n in sorted((n for n in dist if n not in changed), key=lambda n, dist=dist: (dist[n], str(n)))
    ]
    hits = pd.DataFrame(hit_rows, columns=["change", "service", "distance"])
    hits["distance"] = hits["distance"].astype("int64")
    by_distance = {}
    for d in impacted["distance"]:
        by_distance[str(int(d))] = by_distance.get(str(int(d)), 0) + 1
    summary = {
        "blast_radius": len(impacted),
        "max_depth": int(impacted["distance"].max()) if len(impacted) else 0,
        "domains": sorted({d for d in impacted["domain"] if d is not None and not pd.isna(d)}),
        "teams": sorted({t for t in impacted["team"] if t is not None and not pd.isna(t)}),
        "by_distance": by_distance,
        "overlap": sorted(str(n) for n, per in by_change.items() if len(per) > 1),
        "quality_scores_known": int(impacted["quality_score"].notna().sum()) if len(impacted) else 0,
        "weighted_blast_radius": round(float(impacted["weight"].sum()), 4) if len(impacted) else 0.0,
    }
    return impacted, hits, summary


def _assert_matches(G, changes, **kw):
    got = analyse_impact(G, changes, severity=SeverityRule(), **kw)
    impacted, hits, summary = reference(G, changes, **kw)
    pd.testing.assert_frame_equal(got.impacted, impacted, check_exact=True)
    pd.testing.assert_frame_equal(got.hits, hits, check_exact=True)
    for key, value in summary.items():
        assert got.summary[key] == value, key
    assert list(got.summary["by_distance"]) == list(summary["by_distance"])
    return got


class Name(str):
    """A service name that is not exactly a ``str`` (as a pandas or numpy text scalar may be)."""


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 14))
    kind = draw(st.sampled_from(["str", "str subclass", "int"]))  # the last two take the key=str walk
    order = draw(st.permutations(range(n)))
    names = list(order) if kind == "int" else [(Name if kind != "str" else str)(f"s{i}") for i in order]
    specs, events, techs = ["api", "bus"], ["e1", "e2"], ["postgres", "kafka"]
    G = nx.DiGraph()
    for name in names:
        G.add_node(
            name,
            domain=draw(st.sampled_from(["access", "core", None])),
            team=draw(st.sampled_from(["a", "b", None])),
            maturity=draw(st.sampled_from(["stable", "beta", "experimental", None])),
            contracts=tuple(f"{s}@1.{draw(st.integers(0, 2))}.0" for s in draw(st.sets(st.sampled_from(specs)))),
            events_in=tuple(draw(st.sets(st.sampled_from(events)))),
            events_out=tuple(draw(st.sets(st.sampled_from(events)))),
            externals=tuple(draw(st.sets(st.sampled_from(techs)))),
        )
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=3 * n))
    for u, v in edges:
        if u == v:
            continue
        picked = draw(st.sets(st.sampled_from(RELATIONS), min_size=1))
        rels = tuple(r for r in RELATIONS if r in picked)
        G.add_edge(u, v, relation=rels[0], relations=rels)
    return G, names


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), drawn=graphs())
def test_random_graphs_match_the_reference(data, drawn):
    G, names = drawn
    others = st.sampled_from(["spec:api@2.0.0", "spec:bus", "event:e1", "event:e2", "external:postgresql@16"])
    if isinstance(names[0], str):
        kinds = st.one_of(st.sampled_from(names).map(lambda n: f"service:{n}"), others)
    else:
        kinds = others  # a service change names a text name
    changes = data.draw(st.lists(kinds, min_size=1, max_size=3, unique=True))
    relations = data.draw(st.sampled_from([None, "depends_on", ("consumes_event", "shares_contract"), RELATIONS]))
    max_depth = data.draw(st.sampled_from([None, 1, 2]))
    scores = data.draw(st.dictionaries(st.sampled_from(names), st.sampled_from([55.0, 80.0, 100.0, None])))
    quality = pd.Series(scores, dtype="Float64") if scores else None
    drift = data.draw(st.sampled_from([None, {n: i % 7 for i, n in enumerate(names)}]))
    weights = data.draw(st.sampled_from([ImpactWeights(), ImpactWeights(decay=1.0, drift_cap=2, quality=0.3)]))
    _assert_matches(G, changes, relations=relations, max_depth=max_depth, quality=quality, drift=drift, weights=weights)


def test_deep_chain_with_a_cycle_and_shortcuts():
    """A 300-hop chain closed into a cycle, with shortcuts: long why-paths built from shared prefixes."""
    G = nx.DiGraph()
    names = [f"n{i:03d}" for i in range(300)]
    for name in names:
        G.add_node(name, domain="core" if name < "n150" else "edge", team="t", maturity="stable")
    for a, b in zip(names[1:], names[:-1], strict=True):
        G.add_edge(a, b, relation="depends_on", relations=("depends_on",))
    G.add_edge(names[0], names[-1], relation="consumes_event", relations=("consumes_event",))
    for i in range(0, 280, 37):
        G.add_edge(names[i + 17], names[i], relation="consumes_event", relations=("depends_on", "consumes_event"))
    got = _assert_matches(G, ["service:n000", "service:n120"], drift={"n005": 3})
    assert got.summary["blast_radius"] == 298
    assert got.impacted["why"].iloc[0] == "n001 -depends_on-> n000"
    got = _assert_matches(G, "service:n000", relations="depends_on")
    lengths = nx.single_source_shortest_path_length(relation_view(G, "depends_on").reverse(copy=False), "n000")
    assert got.summary["max_depth"] == max(lengths.values()) == 299 - 8 * 16  # eight shortcuts save 16 hops each


def test_subclassed_weights_are_called_as_given():
    class Flat(ImpactWeights):
        def weight(self, maturity, quality, drift, distance, *, drift_given):
            return 1.0

    G = nx.DiGraph()
    G.add_edge("b", "a", relations=("depends_on",))
    G.add_edge("c", "b", relations=("depends_on",))
    r = analyse_impact(G, "service:a", weights=Flat())
    assert r.impacted["weight"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("changes", [["service:a"], ["spec:none@1.0.0"]])
def test_nothing_impacted_keeps_the_empty_frames(changes):
    G = nx.DiGraph()
    G.add_node("a", domain="core")
    G.add_node("b", domain="core")
    _assert_matches(G, changes)
    r = analyse_impact(G, changes)
    assert r.impacted.dtypes.astype(str).tolist()[:2] == ["object", "int64"]
    assert len(r.hits) == 0 and r.hits["distance"].dtype == "int64"
