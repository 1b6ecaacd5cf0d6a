"""Betweenness: exact on small graphs, a seeded estimate on fleets, and the pages say which."""

from __future__ import annotations

import networkx as nx

from meta254lib.graph import structure as st


def test_small_graphs_are_exact_and_large_ones_estimated_the_same_way_every_run(monkeypatch):
    G = nx.gnm_random_graph(300, 900, seed=3, directed=True)
    assert st._betweenness(G) == nx.betweenness_centrality(G, normalized=True)
    monkeypatch.setattr(st, "EXACT_BETWEENNESS_MAX", 100)
    first, second = st._betweenness(G), st._betweenness(G)
    assert first == second
    assert first != nx.betweenness_centrality(G, normalized=True)
    report = st.structure_checks(nx.DiGraph([("a", "b")]), {})
    assert report.summary["betweenness"] == "exact (Brandes)"
    assert st.betweenness_method(101).startswith("estimated from 64 sampled pivots")
