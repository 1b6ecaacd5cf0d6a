"""Tests for meta254lib.graph.structure: cycles, layering, forbidden patterns by meaning, externals, rankings."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

import meta254lib as m
from meta254lib.core.errors import InputError
from meta254lib.graph.rules import canonical_external, domain_layers
from meta254lib.graph.structure import domain_matrix, structure_checks

LAYERS = {"infrastructure": 1, "shared": 2, "access": 3, "data-processing": 5}


def _graph(nodes, edges):
    G = nx.DiGraph()
    for n, dom, ext in nodes:
        G.add_node(n, domain=dom, team=f"team-{n}", externals=ext)
    for u, v, rels in edges:
        G.add_edge(u, v, relations=rels, relation=rels[0])
    return G


def _rules(**extra):
    return {
        "dependency": {"domain_layers": LAYERS, "allowed_external": ["redis", "postgresql"]},
        "forbidden_reverse_edges": [
            {"pattern": "access -> data-processing", "severity": "error", "description": "no"},
            {"pattern": "shared -> domain-specific", "severity": "error"},
            {"pattern": "infrastructure -> application", "severity": "warning"},
        ],
        **extra,
    }


DEP = ("depends_on",)
EV = ("consumes_event",)


def test_cycles_have_full_paths_and_only_depends_on_counts():
    G = _graph(
        [("a", "access", ()), ("b", "access", ()), ("c", "access", ()), ("d", "access", ())],
        [("a", "b", DEP), ("b", "c", DEP), ("c", "a", DEP), ("c", "d", DEP), ("d", "c", EV)],
    )
    r = structure_checks(G, _rules())
    assert r.cycles["path"].tolist() == ["a -> b -> c -> a"]
    assert r.cycles.loc[0, "services"] == ("a", "b", "c")
    assert r.summary["cycles"] == 1 and r.summary["services_on_cycles"] == 3
    assert r.components["services"].tolist() == [("a", "b", "c")]
    # with events, c and d form one more strongly connected group
    assert r.relation_cycles["services"].tolist() == [("a", "b", "c", "d")]


def test_cycle_listing_is_capped():
    G = nx.complete_graph(5, create_using=nx.DiGraph)
    nx.set_node_attributes(G, "access", "domain")
    nx.set_edge_attributes(G, DEP, "relations")
    r = structure_checks(G, _rules(), max_cycles=10)
    assert len(r.cycles) == 10 and r.summary["cycles_truncated"] is True
    assert r.summary["services_on_cycles"] == 5


def test_layering_violations_and_unknown_domains_are_reported():
    G = _graph(
        [
            ("ui", "access", ()),
            ("etl", "data-processing", ()),
            ("lib", "shared", ()),
            ("x", "quantum", ()),
            ("y", None, ()),
        ],
        [("ui", "etl", DEP), ("etl", "lib", DEP), ("lib", "x", DEP), ("y", "lib", DEP), ("ui", "lib", EV)],
    )
    r = structure_checks(G, _rules())
    cols = ["kind", "source", "target", "source_layer", "target_layer"]
    rows = [[None if v is pd.NA else v for v in row] for row in r.layering[cols].astype(object).values.tolist()]
    assert rows == [
        ["unknown_domain", "lib", "x", 2, None],
        ["unknown_domain", "y", "lib", None, 2],
        ["violation", "ui", "etl", 3, 5],
    ]
    assert r.unknown_domains.values.tolist() == [["<missing>", ("y",)], ["quantum", ("x",)]]
    assert r.summary["layering_violations"] == 1 and r.summary["unknown_domain_edges"] == 2
    assert "no layer for x (quantum)" in r.layering.loc[0, "message"]


@pytest.mark.parametrize(
    ("src", "dst", "patterns"),
    [
        ("shared", "access", ["shared -> domain-specific"]),
        ("shared", "ml", ["shared -> domain-specific"]),
        ("shared", "infrastructure", []),
        ("shared", "shared", []),
        ("infrastructure", "access", ["infrastructure -> application"]),
        ("infrastructure", "shared", []),
        ("access", "data-processing", ["access -> data-processing"]),
        ("access", "ml", []),
    ],
)
def test_forbidden_patterns_by_meaning(src, dst, patterns):
    G = _graph([("a", src, ()), ("b", dst, ())], [("a", "b", DEP)])
    r = structure_checks(G, _rules())
    assert r.forbidden["pattern"].tolist() == patterns


def test_forbidden_patterns_ignore_event_edges_and_accept_wildcards():
    G = _graph([("a", "shared", ()), ("b", "access", ())], [("a", "b", EV)])
    assert structure_checks(G, _rules()).forbidden.empty
    G2 = _graph([("a", "ml", ()), ("b", "access", ())], [("a", "b", DEP)])
    r = structure_checks(G2, {"forbidden_reverse_edges": [{"pattern": "* -> access"}]})
    assert r.forbidden[["source", "target", "severity"]].values.tolist() == [["a", "b", "error"]]


def test_unauthorized_externals_after_aliases_and_misfiled():
    G = _graph(
        [("a", "access", ("postgres", "kafka", "b")), ("b", "access", ("redis",))],
        [],
    )
    r = structure_checks(G, _rules())
    assert r.unauthorized[["service", "external", "misfiled"]].values.tolist() == [
        ["a", "b", True],
        ["a", "kafka", False],
    ]
    # allowed entries are alias-resolved too
    r2 = structure_checks(G, {"dependency": {"allowed_external": ["postgres", "kafka", "redis", "b"]}})
    assert r2.unauthorized.empty
    # a workspace alias map replaces the default one
    r3 = structure_checks(G, _rules(), aliases={"kafka": "redis"})
    assert r3.unauthorized["external"].tolist() == ["b", "postgres"]
    assert "names a catalog service" in r.findings().query("subject == 'b'")["detail"].iloc[0]


def test_rankings_fan_in_fan_out_betweenness():
    G = _graph(
        [(n, "access", ()) for n in "abcd"],
        [("a", "b", DEP), ("b", "c", DEP), ("d", "c", DEP), ("d", "a", EV)],
    )
    r = structure_checks(G, _rules(), top=2)
    got = {k: r.rankings.query("metric == @k")[["service", "value"]].values.tolist() for k in r.rankings["metric"]}
    assert got == {
        "fan_in": [["c", 2.0], ["a", 1.0]],
        "fan_out": [["d", 2.0], ["a", 1.0]],
        "betweenness": [["a", round(1 / 6, 6)], ["b", round(1 / 6, 6)]],
    }
    only_dep = structure_checks(G, _rules(), relations="depends_on", top=3)
    assert only_dep.rankings.query("metric == 'betweenness'")["service"].tolist() == ["b"]
    assert only_dep.rankings.query("metric == 'fan_out'")["service"].tolist() == ["a", "b", "d"]


def test_missing_rules_are_notes_not_silence():
    G = _graph([("a", "access", ("x",))], [])
    r = structure_checks(G, {})
    assert r.summary["notes"] == [
        "layering not assessed: rules.yaml has no dependency.domain_layers",
        "forbidden patterns not assessed: rules.yaml has no forbidden_reverse_edges",
        "externals not assessed: rules.yaml has no dependency.allowed_external",
    ]
    assert r.findings().empty


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"dependency": {"domain_layers": ["a"]}}, "dependency.domain_layers"),
        ({"dependency": {"domain_layers": {"a": True}}}, "dependency.domain_layers.a"),
        ({"forbidden_reverse_edges": [{"pattern": "a => b"}]}, "forbidden_reverse_edges[0].pattern"),
        ({"forbidden_reverse_edges": ["a -> b"]}, "forbidden_reverse_edges[0].pattern"),
        ({"dependency": {"allowed_external": "redis"}}, "dependency.allowed_external"),
    ],
)
def test_bad_rules_raise_input_error(rules, field):
    G = _graph([("a", "access", ())], [])
    with pytest.raises(InputError) as err:
        structure_checks(G, rules)
    assert err.value.field == field and err.value.file == "config/rules.yaml"


def test_domain_matrix_and_helpers():
    G = _graph(
        [("a", "access", ()), ("b", "shared", ()), ("c", None, ())],
        [("a", "b", DEP), ("c", "b", EV), ("b", "a", ("shares_contract",))],
    )
    mat = domain_matrix(G)
    assert mat.loc["access", "shared"] == 1 and mat.loc["<missing>", "shared"] == 1
    assert int(mat.to_numpy().sum()) == 2
    assert int(domain_matrix(G, "shares_contract").loc["shared", "access"]) == 1
    assert canonical_external("postgres@15") == "postgresql"
    assert domain_layers({}) == {}


def test_to_dict_is_json_and_deterministic():
    G = _graph([("a", "access", ("x",)), ("b", "data-processing", ())], [("a", "b", DEP), ("b", "a", DEP)])
    one = json.dumps(structure_checks(G, _rules()).to_dict(), sort_keys=True, ensure_ascii=False)
    two = json.dumps(structure_checks(G, _rules()).to_dict(), sort_keys=True, ensure_ascii=False)
    assert one == two
    assert json.loads(one)["cycles"][0]["path"] == "a -> b -> a"


@pytest.mark.upstream
def test_upstream_structure_facts(upstream):
    ws = m.open_workspace(upstream)
    r = structure_checks(ws.graph, ws.rules, aliases=ws.aliases)
    assert r.summary["cycles"] == 0
    assert r.layering.query("kind == 'violation'")[["source", "target"]].values.tolist() == [
        ["data-quality", "enrichment-service"],
        ["data-quality", "normalization-service"],
        ["gateway", "projection"],
        ["projection", "aggregation-service"],
    ]
    assert r.summary["unknown_domain_edges"] == 0 and r.summary["forbidden_edges"] == 0
    # upstream §2.3: 18 raw warnings (postgres 9, embedding-service 2, minio 2, keycloak, fastapi, uvicorn,
    # mlflow, avro); resolving postgres -> postgresql leaves 9
    assert r.unauthorized[["external", "service"]].values.tolist() == [
        ["avro", "normalization"],
        ["embedding-service", "indexer-worker"],
        ["embedding-service", "search-service"],
        ["fastapi", "connector-registry"],
        ["keycloak", "auth"],
        ["minio", "mlflow-server"],
        ["minio", "model-serving"],
        ["mlflow", "model-serving"],
        ["uvicorn", "connector-registry"],
    ]
    assert r.unauthorized["misfiled"].sum() == 2
    deps = ws.dependencies
    raw = deps[(deps["kind"] == "external") & ~deps["name"].isin(ws.rules["dependency"]["allowed_external"])]
    assert len(raw) == 18 and (raw["name"] == "postgres").sum() == 9
    dep_only = structure_checks(ws.graph, ws.rules, relations="depends_on")
    assert dep_only.rankings.query("metric == 'fan_out'").iloc[0][["service", "value"]].tolist() == ["gateway", 4.0]
    assert set(dep_only.rankings.query("metric == 'fan_in' and value == 2")["service"]) == {
        "auth",
        "entitlements",
        "metrics",
    }
    # with events, gateway, metrics and streaming reach each other
    assert r.relation_cycles["services"].tolist() == [("gateway", "metrics", "streaming")]
