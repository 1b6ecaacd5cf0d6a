"""The workspace graph carries only GraphML-writable attributes; lists are ``|``-joined text, read by attr_list."""

from __future__ import annotations

import io

import networkx as nx
import pandas as pd
import pytest
from conftest import SAMPLE

import meta254lib as m
from meta254lib.core.records import csv_text
from meta254lib.core.schema import CONTRACTS, DEPENDENCIES, EVENTS, SERVICES, frame_from_records
from meta254lib.graph.attrs import attr_list, encode_list, omitted_relations
from meta254lib.graph.build import build_graph, relation_view

_WRITABLE = (str, int, float, bool)


def _assert_round_trips(G: nx.DiGraph) -> None:
    buf = io.BytesIO()
    nx.write_graphml(G, buf)  # raises on a tuple, dict or None attribute
    back = nx.read_graphml(io.BytesIO(buf.getvalue()))
    assert sorted(back.nodes) == sorted(G.nodes)
    assert sorted(back.edges) == sorted(G.edges)
    for n, d in G.nodes(data=True):
        assert all(type(v) in _WRITABLE for v in d.values()), (n, d)
        assert back.nodes[n] == d
    for u, v, d in G.edges(data=True):
        assert back.edges[u, v] == d


def test_sample_workspace_graph_writes_graphml_and_reads_back():
    G = m.open_workspace(SAMPLE).graph
    assert G.number_of_nodes() == 60
    _assert_round_trips(G)


def test_upstream_workspace_graph_writes_graphml_and_reads_back(upstream):
    G = m.open_workspace(upstream).graph
    assert G.number_of_nodes() > 0 and G.number_of_edges() > 0
    _assert_round_trips(G)


def _frames(spec: str = "core"):
    services = frame_from_records(SERVICES, [{"service": "a", "domain": "d"}, {"service": "b"}, {"service": "c"}])
    deps = frame_from_records(DEPENDENCIES, [{"service": "a", "target": "b", "kind": "internal"}])
    contracts = frame_from_records(CONTRACTS, [{"service": s, "spec": spec, "version": "1.0.0"} for s in "abc"])
    return services, deps, frame_from_records(EVENTS, []), contracts


def test_missing_node_values_are_absent_not_none():
    G = build_graph(*_frames())
    assert G.nodes["a"]["domain"] == "d"
    assert "domain" not in G.nodes["b"] and G.nodes["b"].get("domain") is None
    _assert_round_trips(G)


def test_a_pipe_inside_a_name_survives_the_encoding():
    G = build_graph(*_frames("<b>core</b>|api"))
    assert attr_list(G.nodes["a"]["contracts"]) == ("<b>core</b>|api@1.0.0",)
    assert attr_list(G.edges["a", "b"]["specs"]) == ("<b>core</b>|api",)
    _assert_round_trips(G)
    # an impact analysis finds the pinners of the spec whose name holds the pipe
    result = m.analyse_impact(G, ["spec:<b>core</b>|api@2.0.0"])
    assert sorted(result.impacted["service"]) == ["a", "b", "c"]


def test_omitted_relation_is_text_and_read_by_the_helper():
    G = build_graph(*_frames(), max_contract_pairs=2)
    assert G.graph["omitted"] == "shares_contract"
    assert omitted_relations(G)["shares_contract"].startswith("6 ordered pairs")
    _assert_round_trips(G)
    with pytest.raises(m.ParameterError, match="shares_contract"):
        relation_view(G, "shares_contract")


def test_list_encoding_matches_the_csv_outputs():
    values = ("postgresql", "redis")
    cell = csv_text(pd.DataFrame({"x": [values]})).splitlines()[1]
    assert encode_list(values) == cell == "postgresql|redis"
    assert attr_list(cell) == values


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ()), (None, ()), ("a", ("a",)), ("a|b", ("a", "b")), (("x", "y"), ("x", "y")), (["x"], ("x",))],
)
def test_attr_list_reads_text_and_hand_built_tuples(value, expected):
    assert attr_list(value) == expected


@pytest.mark.parametrize("items", [(), ("a",), ("a|b", "c\\d", ""), ("|", "\\", "\\|")])
def test_encode_list_round_trips(items):
    assert attr_list(encode_list(items)) == items
