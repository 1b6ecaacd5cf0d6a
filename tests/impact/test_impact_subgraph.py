"""The impacted subgraph of an impact result, its exports (library and CLI), and its CSV (issue 17)."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import SAMPLE

import meta254lib as m
from meta254lib.cli import main
from meta254lib.core.errors import ParameterError
from meta254lib.graph.export import export_graph
from meta254lib.impact.subgraph import impact_subgraph


def _graph() -> nx.DiGraph:
    """a <- b <- c, a <- c, d pins api; e stands apart."""
    G = nx.DiGraph()
    for n in "abcde":
        G.add_node(n, domain="core" if n != "e" else "edge", team="t", contracts="api@1.0.0" if n == "d" else "")
    for u, v in [("b", "a"), ("c", "b"), ("c", "a"), ("b", "d")]:
        G.add_edge(u, v, relation="depends_on", relations="depends_on")
    return G


def test_service_change_gives_the_why_path_forest():
    G = _graph()
    H = m.analyse_impact(G, "service:a").subgraph(G)
    assert sorted(H.nodes) == ["a", "b", "c"]
    assert sorted(H.edges(data="relation")) == [("b", "a", "depends_on"), ("c", "a", "depends_on")]
    assert H.nodes["a"]["changed"] is True and H.nodes["a"]["distance"] == 0
    assert (H.nodes["c"]["distance"], H.nodes["c"]["why"], H.nodes["c"]["caused_by"]) == (
        1,
        "c -depends_on-> a",
        "service:a",
    )


def test_all_edges_adds_the_edges_among_the_kept_services():
    G = _graph()
    H = m.analyse_impact(G, "service:a").subgraph(G, edges="all")
    assert sorted(H.edges) == [("b", "a"), ("c", "a"), ("c", "b")]
    with pytest.raises(ParameterError, match="unknown edges 'some'"):
        impact_subgraph(m.analyse_impact(G, "service:a"), G, edges="some")


def test_spec_change_is_a_node_of_its_own():
    G = _graph()
    H = m.analyse_impact(G, "spec:api@2.0.0").subgraph(G)
    assert sorted(H.nodes) == ["b", "c", "d", "spec:api@2.0.0"]
    assert H.nodes["spec:api@2.0.0"] == {
        "kind": "spec",
        "name": "api",
        "version": "2.0.0",
        "changed": True,
        "distance": 0,
    }
    assert H.edges["d", "spec:api@2.0.0"]["relation"] == "pins_spec"
    assert sorted(H.edges) == [("b", "d"), ("c", "b"), ("d", "spec:api@2.0.0")]


def test_selected_services_keep_their_why_paths():
    G = _graph()
    H = m.analyse_impact(G, "spec:api@2.0.0").subgraph(G, services=["c"])
    assert sorted(H.nodes) == ["b", "c", "d", "spec:api@2.0.0"]
    assert sorted(m.analyse_impact(G, "service:a").subgraph(G, services=["b"]).nodes) == ["a", "b"]


@pytest.mark.parametrize(
    "change", ["service:auth-service", "spec:auth-core@3.0.0", "event:auth.token.issued.v1", "external:postgresql@17"]
)
def test_sample_subgraph_graphml_reads_back_with_the_impacted_set(change):
    ws = m.open_workspace(SAMPLE)
    result = m.analyse_impact(ws.graph, change)
    H = result.subgraph(ws.graph)
    back = nx.read_graphml(io.StringIO(export_graph(H, "graphml")))
    changed = set(result.summary["changed_services"]) or {change}
    assert set(back.nodes) == set(result.impacted["service"]) | changed
    assert back.number_of_edges() == len(result.impacted)
    assert all(nx.has_path(back, s, next(iter(changed))) for s in result.impacted["service"])
    assert export_graph(H, "mermaid").startswith("flowchart LR\n")


def _cli(*args: str):
    return CliRunner().invoke(main, ["impact", "-w", str(SAMPLE), *args])


def test_cli_impact_graphml_has_exactly_the_impacted_set_and_the_change():
    result = _cli("--service", "auth-service", "--format", "graphml")
    assert result.exit_code == 0, result.output
    back = nx.read_graphml(io.StringIO(result.stdout))
    table = _cli("--service", "auth-service", "--format", "json", "--no-drift")
    impacted = {r["service"] for r in json.loads(table.stdout)["impacted"]}
    assert set(back.nodes) == impacted | {"auth-service"}
    assert back.nodes["auth-service"]["changed"] is True


def test_cli_impact_mermaid_and_dot():
    mermaid = _cli("--spec", "auth-core@3.0.0", "--format", "mermaid")
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart LR\n")
    assert '["spec:auth-core@3.0.0"]' in mermaid.stdout and "==>|pins_spec|" in mermaid.stdout
    dot = _cli("--spec", "auth-core@3.0.0", "--format", "dot", "--team", "access-team")
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph services {")
    assert 'label="changes"' in dot.stdout


def test_cli_graph_formats_need_the_dependents_direction():
    result = _cli("--service", "auth-service", "--direction", "dependencies", "--format", "dot")
    assert result.exit_code == 2 and "--direction dependents" in result.stderr


def test_library_csv_equals_cli_csv():
    cli = _cli("--service", "auth-service", "--format", "csv")
    assert cli.exit_code == 0, cli.output
    state = m.analysis_state(m.open_workspace(SAMPLE))
    result = state.impact(["service:auth-service"])
    assert result.to_csv() == cli.stdout == m.csv_text(result.impacted)
    assert "api-gateway|auth-service" in cli.stdout  # the path list, joined with |
    assert "('api-gateway'" not in result.to_csv() and "('api-gateway'" in result.impacted.to_csv()
    with pytest.raises(ParameterError, match="unknown table"):
        result.to_csv("nope")
