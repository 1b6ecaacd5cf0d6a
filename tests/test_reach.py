"""Tests for meta254lib.graph.reach: the one-pass blast radius against networkx's ancestors."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meta254lib.graph.reach import (
    ancestor_bitsets,
    ancestor_sets,
    bench_blast_radius,
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


def test_bench_reports_agreement_and_timings():
    r = bench_blast_radius(400, 1200, seed=5, sample=50)
    assert r["agree"] is True
    assert r["reference_full"] is False
    assert r["reference_sample"] == 50
    assert r["n_services"] == 400
    assert r["reference_extrapolated_s"] == pytest.approx(r["reference_sampled_s"] * 400 / 50, rel=0.01, abs=0.002)
    full = bench_blast_radius(200, 600, seed=5, sample=1000)
    assert full["reference_full"] is True and full["reference_sample"] == 200 and full["agree"] is True


@pytest.mark.slow
def test_bench_10k_services_prints_fast_and_reference_times(capsys):
    r = bench_blast_radius(10_000, 30_000, seed=0, sample=200)
    with capsys.disabled():
        print(
            f"\nblast radius, 10,000 services / {r['n_edges']} edges: fast path {r['fast_s']:.3f} s; "
            f"nx.ancestors on {r['reference_sample']} sampled nodes {r['reference_sampled_s']:.2f} s "
            f"-> {r['reference_extrapolated_s']:.1f} s extrapolated to all nodes"
        )
    assert r["agree"] is True
    assert r["fast_s"] < 5.0
    assert r["reference_extrapolated_s"] > r["fast_s"]
