"""Tests for a misfiled internal dependency (an external naming a catalog service) in an impact analysis."""

from __future__ import annotations

import json

import networkx as nx
from click.testing import CliRunner
from conftest import svc

import meta254lib as m
from meta254lib.cli import main
from meta254lib.impact.from_workspace import workspace_impact
from meta254lib.impact.walk import misfiled_dependents, misfiled_notes

NOTE = (
    "indexer and search list emb among their externals; a misfiled internal dependency is not a depends_on "
    "edge, so they are not counted here (move emb to their dependencies.internal to count them)"
)


def _ws(make_ws):
    return make_ws(
        services=[
            svc("emb", domain="ml"),
            svc("indexer", domain="ml", dependencies={"internal": [], "external": ["emb", "redis"]}),
            svc("search", domain="ml", dependencies={"internal": [], "external": ["emb@1.2.0"]}),
            svc("ui", dependencies={"internal": ["search"], "external": []}),
        ]
    )


def test_misfiled_dependents_skip_reached_services():
    G = nx.DiGraph()
    G.add_node("emb", externals=())
    G.add_node("a", externals=("emb",))
    G.add_node("b", externals=("emb", "redis"))
    assert misfiled_dependents(G, ["emb"]) == {"emb": ("a", "b")}
    assert misfiled_dependents(G, ["emb", "a"]) == {"emb": ("b",)}
    assert misfiled_dependents(G, ["a"]) == {}
    assert misfiled_notes({"emb": ("a",)}) == [
        "a lists emb among its externals; a misfiled internal dependency is not a depends_on edge, so it is "
        "not counted here (move emb to its dependencies.internal to count it)"
    ]


def test_workspace_impact_lists_the_misfiled_dependents(make_ws):
    ws = m.open_workspace(_ws(make_ws))
    r = workspace_impact(ws, ["service:emb"])
    assert r.summary["blast_radius"] == 0
    assert r.summary["misfiled_dependents"] == {"emb": ["indexer", "search"]}
    assert NOTE in r.summary["notes"]
    # a reached service is not listed again: search is impacted when ui's dependency changes
    r2 = workspace_impact(ws, ["service:search"])
    assert r2.summary["misfiled_dependents"] == {}


def test_cli_impact_says_who_is_left_out(make_ws):
    path = _ws(make_ws)
    res = CliRunner().invoke(main, ["impact", "-w", str(path), "--service", "emb"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"Note: {NOTE}" in res.output
    doc = json.loads(
        CliRunner().invoke(main, ["impact", "-w", str(path), "--service", "emb", "--format", "json"]).output
    )
    assert doc["summary"]["misfiled_dependents"] == {"emb": ["indexer", "search"]}
