"""Tests for meta254lib.graph.reach: the one-pass blast radius against networkx's ancestors."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from meta254lib.graph.reach import (
    ancestor_bitsets,
    ancestor_sets,
    blast_radius_all,
    decode_bits,
    random_dependency_graph,
)


@st.composite
def graphs_with_cycles(draw):
    n = draw(st.integers(min_value=0, max_value=40))
    G = nx.DiGraph()
    G.add_nodes_from(f"s{i}" for i in range(n))
    if n:
        pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
        for u, v in draw(st.lists(pairs, max_size=3 * n)):
            G.add_edge(f"s{u}", f"s{v}")  # self-loops and 2-cycles included on purpose
    return G


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(graphs_with_cycles())
def test_fast_path_equals_networkx_ancestors(G):
    radius = blast_radius_all(G)
    sets = ancestor_sets(G)
    assert list(radius.index) == list(G.nodes)
    for n in G.nodes:
        expected = nx.ancestors(G, n)
        assert sets[n] == expected
        assert radius[n] == len(expected)


def test_known_graph_with_cycle_and_self_loop():
    G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "b"), ("d", "d"), ("e", "a")])
    assert blast_radius_all(G).to_dict() == {"a": 1, "b": 3, "c": 3, "d": 0, "e": 0}
    nodes, bits = ancestor_bitsets(G)
    assert decode_bits(bits["c"], nodes) == {"a", "b", "e"}
    assert blast_radius_all(G).name == "blast_radius" and blast_radius_all(G).dtype == "int64"


def test_empty_graph():
    assert blast_radius_all(nx.DiGraph()).empty


def test_random_graph_is_deterministic_and_has_cycles():
    a = random_dependency_graph(500, 1500, seed=3, back_edges=20)
    b = random_dependency_graph(500, 1500, seed=3, back_edges=20)
    assert sorted(a.edges) == sorted(b.edges)
    assert a.number_of_nodes() == 500
    assert not nx.is_directed_acyclic_graph(a)
    assert sorted(random_dependency_graph(500, 1500, seed=4).edges) != sorted(a.edges)
