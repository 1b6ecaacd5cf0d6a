"""The graph exports: GraphML that networkx reads back, DOT clustered by domain, Mermaid flowcharts."""

from __future__ import annotations

import io

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import SAMPLE

from meta254lib.cli import main
from meta254lib.graph.export import export_graph, plain_graph, select_services


def _graph() -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_node("gateway", domain="access", team="edge", externals=("redis",))
    G.add_node("auth", domain="access", team="identity", externals=())
    G.add_node("bus", domain="infra", team="edge", externals=())
    G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",), events=())
    G.add_edge("auth", "bus", relation="consumes_event", relations=("consumes_event",), events=("a.b.c.v1",))
    return G


def test_graphml_round_trips_with_lists_as_text():
    back = nx.read_graphml(io.StringIO(export_graph(_graph(), "graphml")))
    assert sorted(back.edges) == [("auth", "bus"), ("gateway", "auth")]
    assert back.nodes["gateway"]["externals"] == "redis"
    assert back.edges["auth", "bus"]["events"] == "a.b.c.v1"


def test_dot_clusters_by_domain_and_styles_by_relation():
    dot = export_graph(_graph(), "dot")
    assert 'subgraph cluster_0 { label="access";' in dot and 'label="infra"' in dot
    assert '"auth" -> "bus" [style=dashed, label="consumes_event"];' in dot


def test_mermaid_starts_with_a_flowchart_header():
    text = export_graph(_graph(), "mermaid")
    assert text.splitlines()[0] == "flowchart LR"
    assert "n_gateway -->|depends_on| n_auth" in text


def test_selection_by_team_domain_and_relations():
    G = _graph()
    assert sorted(select_services(G, team="EDGE").nodes) == ["bus", "gateway"]
    assert sorted(select_services(G, domain="access").edges) == [("gateway", "auth")]
    assert sorted(select_services(G, relations="depends_on").edges) == [("gateway", "auth")]
    assert plain_graph(G).nodes["gateway"]["externals"] == "redis"


@pytest.mark.parametrize("fmt", ["graphml", "dot", "mermaid"])
def test_cli_exports(fmt):
    result = CliRunner().invoke(main, ["graph", "-w", str(SAMPLE), "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "graphml":
        assert nx.read_graphml(io.StringIO(result.stdout)).number_of_nodes() == 60
    elif fmt == "mermaid":
        assert result.stdout.startswith("flowchart LR\n")
    else:
        assert result.stdout.startswith("digraph services {")
