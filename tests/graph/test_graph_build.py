"""Tests for meta254lib.graph.build: node/edge construction and relation views."""

from __future__ import annotations

import networkx as nx
import pytest

from meta254lib.core.errors import ParameterError, SchemaError
from meta254lib.core.schema import CONTRACTS, DEPENDENCIES, EVENTS, SERVICES, frame_from_records
from meta254lib.graph.attrs import attr_list
from meta254lib.graph.build import DEFAULT_RELATIONS, RELATIONS, build_graph, parse_relations, relation_view


def _frames():
    services = frame_from_records(
        SERVICES,
        [
            {
                "service": "auth",
                "domain": "access",
                "team": "access",
                "maturity": "stable",
                "runtime": "python",
            },
            {"service": "gateway", "domain": "access", "team": "access", "maturity": "beta", "runtime": "go"},
            {"service": "metrics", "domain": "observability", "team": "obs", "maturity": "beta"},
            {"service": "search", "domain": "ml", "team": "ml", "maturity": "experimental"},
        ],
    )
    deps = frame_from_records(
        DEPENDENCIES,
        [
            {"service": "gateway", "target": "auth", "kind": "internal"},
            {"service": "gateway", "target": "metrics", "kind": "internal"},
            {"service": "gateway", "target": "connectors", "kind": "internal"},  # dangling
            {"service": "gateway", "target": "redis", "kind": "external"},
            {"service": "gateway", "target": "redis", "kind": "external"},  # duplicate
            {"service": "gateway", "target": "postgresql", "kind": "external"},
            {"service": "search", "target": "search", "kind": "internal"},  # self-dependency
            {"service": "ghost", "target": "auth", "kind": "internal"},  # not a catalog service
        ],
    )
    events = frame_from_records(
        EVENTS,
        [
            {"service": "gateway", "event": "metrics.request.count.v1", "direction": "out"},
            {"service": "metrics", "event": "metrics.request.count.v1", "direction": "in"},
            {"service": "auth", "event": "auth.x.y.v1", "direction": "out"},
            {"service": "gateway", "event": "auth.x.y.v1", "direction": "in"},
            {"service": "search", "event": "search.index.updated.v1", "direction": "out"},
            {"service": "search", "event": "search.index.updated.v1", "direction": "in"},  # self-loop
            {"service": "metrics", "event": "nobody.produces.this.v1", "direction": "in"},
        ],
    )
    contracts = frame_from_records(
        CONTRACTS,
        [
            {"service": "auth", "spec": "auth-core", "version": "1.0.0"},
            {"service": "gateway", "spec": "auth-core", "version": "2.0.0"},
            {"service": "search", "spec": "search-api", "version": "1.0.0"},
        ],
    )
    return services, deps, events, contracts


def test_nodes_are_services_with_attributes():
    G = build_graph(*_frames())
    assert list(G.nodes) == ["auth", "gateway", "metrics", "search"]
    gw = G.nodes["gateway"]
    assert gw["domain"] == "access"
    assert gw["team"] == "access"
    assert gw["maturity"] == "beta"
    assert gw["runtime"] == "go"
    assert gw["externals"] == "postgresql|redis"
    assert attr_list(gw["externals"]) == ("postgresql", "redis")
    assert gw["dangling"] == "connectors"
    assert gw["self_dependency"] is False
    assert "runtime" not in G.nodes["metrics"] and G.nodes["metrics"].get("runtime") is None
    assert G.nodes["search"]["self_dependency"] is True
    assert gw["contracts"] == "auth-core@2.0.0"
    assert gw["events_in"] == "auth.x.y.v1"
    assert gw["events_out"] == "metrics.request.count.v1"
    assert attr_list(G.nodes["metrics"]["events_in"]) == ("metrics.request.count.v1", "nobody.produces.this.v1")
    assert G.nodes["metrics"]["contracts"] == "" and attr_list(G.nodes["metrics"]["contracts"]) == ()
    assert "connectors" not in G and "redis" not in G and "ghost" not in G


def test_edges_merge_relations_with_primary():
    G = build_graph(*_frames())
    assert sorted(G.edges) == [
        ("auth", "gateway"),
        ("gateway", "auth"),
        ("gateway", "metrics"),
        ("metrics", "gateway"),
    ]
    e = G.edges["gateway", "auth"]
    assert e["relations"] == "consumes_event|depends_on|shares_contract"
    assert attr_list(e["relations"]) == ("consumes_event", "depends_on", "shares_contract")
    assert e["relation"] == "depends_on"
    assert e["events"] == "auth.x.y.v1"
    assert e["specs"] == "auth-core"
    back = G.edges["auth", "gateway"]
    assert back["relations"] == "shares_contract"
    assert back["relation"] == "shares_contract"
    assert back["events"] == ""
    m = G.edges["metrics", "gateway"]
    assert m["relation"] == "consumes_event"
    assert m["events"] == "metrics.request.count.v1"
    assert G.edges["gateway", "metrics"]["relations"] == "depends_on"
    assert nx.number_of_selfloops(G) == 0


def test_empty_tables_give_isolated_nodes():
    services, *_ = _frames()
    empty = [frame_from_records(t, []) for t in (DEPENDENCIES, EVENTS, CONTRACTS)]
    G = build_graph(services, *empty)
    assert G.number_of_nodes() == 4 and G.number_of_edges() == 0
    assert G.nodes["auth"]["externals"] == "" and G.nodes["auth"]["dangling"] == ""


def test_missing_column_raises_schema_error():
    services, deps, events, contracts = _frames()
    with pytest.raises(SchemaError, match="kind"):
        build_graph(services, deps.drop(columns=["kind"]), events, contracts)


def test_inputs_not_mutated():
    frames = _frames()
    before = [f.copy() for f in frames]
    build_graph(*frames)
    for a, b in zip(frames, before, strict=True):
        assert a.equals(b)


def test_relation_view_keeps_nodes_and_filters_edges():
    G = build_graph(*_frames())
    dep = relation_view(G, ["depends_on"])
    assert sorted(dep.edges) == [("gateway", "auth"), ("gateway", "metrics")]
    assert sorted(dep.nodes) == ["auth", "gateway", "metrics", "search"]
    default = relation_view(G)
    assert sorted(default.edges) == [("gateway", "auth"), ("gateway", "metrics"), ("metrics", "gateway")]
    contract = relation_view(G, "shares_contract")
    assert sorted(contract.edges) == [("auth", "gateway"), ("gateway", "auth")]
    # the view reflects attributes of the underlying graph
    assert dep.edges["gateway", "auth"]["relation"] == "depends_on"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, DEFAULT_RELATIONS),
        ("shares_contract,depends_on", ("depends_on", "shares_contract")),
        (["consumes_event", "consumes_event"], ("consumes_event",)),
        (list(RELATIONS), RELATIONS),
    ],
)
def test_parse_relations(given, expected):
    assert parse_relations(given) == expected


@pytest.mark.parametrize("bad", [["depends"], "", [], "depends_on,calls"])
def test_relation_view_rejects_bad_names(bad):
    G = build_graph(*_frames())
    with pytest.raises(ParameterError):
        relation_view(G, bad)
