"""The impact explorer's payload and HTML (meta254lib.views.impact_explorer).

The page's script is checked in a browser (tests/report/test_impact_explorer_browser.py); here a
Python mirror of that script's walk runs on the payload and must give ``analyse_impact``'s answer, so
the payload itself is known to hold everything the answer needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

import meta254lib as m
from meta254lib.graph.reach import random_dependency_graph
from meta254lib.impact.analysis import analyse_impact
from meta254lib.views.html_table import sortable_script, without_table_assets
from meta254lib.views.impact_explorer import (
    EXPLORER_FORMAT,
    explorer_html,
    explorer_payload,
    workspace_explorer_payload,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
ORIGIN = {"spec": "pins_spec", "event": "consumes_event", "external": "uses_external"}


def _graph() -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_node("auth", team="access", contracts="auth-core@1.0.0", events_out="auth.token.v1", externals="postgresql")
    G.add_node("gateway", team="access", contracts="auth-core@2.0.0|gateway-core@1.0.0", events_in="auth.token.v1")
    G.add_node("metrics", team="sre", events_in="auth.token.v1|orphan.v1")
    G.add_node("billing", externals="redis")
    G.add_edge("gateway", "auth", relations="depends_on|shares_contract")
    G.add_edge("auth", "gateway", relations="shares_contract")
    G.add_edge("metrics", "auth", relations="consumes_event")
    G.add_edge("billing", "gateway", relations="depends_on|consumes_event")
    return G


def test_payload_names_teams_and_reverse_edges_per_relation():
    p = explorer_payload(_graph())
    assert p["format"] == EXPLORER_FORMAT
    assert p["relations"] == ["depends_on", "consumes_event"]
    assert p["services"] == ["auth", "billing", "gateway", "metrics"]
    assert p["teams"] == ["access", "sre"]
    assert p["team"] == [0, -1, 0, 1]
    depends_on, consumes_event = p["dependents"]
    # auth <- gateway (depends_on), auth <- metrics (consumes_event), gateway <- billing (both)
    assert depends_on == [[2], [], [1], []]
    assert consumes_event == [[3], [], [1], []]
    # shares_contract is not a default relation: auth -> gateway is not in the payload
    assert explorer_payload(_graph(), relations="shares_contract")["dependents"] == [[[2], [], [0], []]]


def test_payload_seeds_of_specs_events_and_externals():
    p = explorer_payload(
        _graph(),
        spec_versions={"auth-core": ["3.0.0"], "unpinned-api": ["1.0.0"]},
        events=["registered.only.v1"],
        externals=["postgres", "Redis"],
    )
    assert p["specs"] == {
        "auth-core": {"versions": ["1.0.0", "2.0.0", "3.0.0"], "seeds": [0, 2]},
        "gateway-core": {"versions": ["1.0.0"], "seeds": [2]},
        "unpinned-api": {"versions": ["1.0.0"], "seeds": []},
    }
    assert p["events"] == {
        "ids": ["auth.token.v1", "orphan.v1", "registered.only.v1"],
        "seeds": [[2, 3], [3], []],
        "producers": [1, 0, 0],
    }
    assert p["externals"] == {
        "names": {"Redis": "redis", "postgres": "postgresql", "postgresql": "postgresql", "redis": "redis"},
        "users": {"postgresql": [0], "redis": [1]},
    }
    json.dumps(p, allow_nan=False)


def _mirror(p: dict, kind: str, seeds: list[int], target: str) -> list[tuple[str, int, str]]:
    """The page script's walk, in Python: ``(service, distance, why)`` nearest first, then by name."""
    names, rels = p["services"], p["relations"]
    d0 = 0 if kind == "service" else 1
    dist = dict.fromkeys(seeds, d0)
    parent: dict[int, int] = {}
    hop: dict[int, int] = {}
    frontier, order, d = sorted(seeds), sorted(seeds), d0
    while frontier and (p["max_depth"] is None or d < p["max_depth"]):
        nxt = []
        for u in frontier:
            for r in range(len(rels)):
                for q in p["dependents"][r][u]:
                    if q not in dist:
                        dist[q], parent[q], hop[q] = d + 1, u, r
                        nxt.append(q)
        frontier = sorted(nxt)
        order += frontier
        d += 1
    rows = []
    for n in order:
        if kind == "service" and n == seeds[0]:
            continue
        parts, cur = [names[n]], n
        while cur in parent:
            parts.append(f"-{rels[hop[cur]]}-> {names[parent[cur]]}")
            cur = parent[cur]
        if kind != "service":
            parts.append(f"-{ORIGIN[kind]}-> {target}")
        rows.append((names[n], dist[n], " ".join(parts)))
    return rows


def _expected(G: nx.DiGraph, change: str, ws: m.Workspace | None = None, **kw) -> list[tuple[str, int, str]]:
    r = analyse_impact(G, change, aliases=ws.aliases if ws else None, **kw)
    return [(s, int(d), w) for s, d, w in r.impacted[["service", "distance", "why"]].itertuples(index=False)]


@pytest.mark.skipif(not (SAMPLE / "catalog").is_dir(), reason="data/sample has not been generated")
def test_every_pick_on_the_sample_answers_like_analyse_impact():
    ws = m.open_workspace(SAMPLE)
    p = workspace_explorer_payload(ws)
    names = p["services"]
    checked = 0
    for i, name in enumerate(names):
        assert _mirror(p, "service", [i], name) == _expected(ws.graph, f"service:{name}", ws)
        checked += 1
    for spec, info in p["specs"].items():
        for version in info["versions"]:
            target = f"{spec}@{version}"
            assert _mirror(p, "spec", info["seeds"], target) == _expected(ws.graph, f"spec:{target}", ws)
            checked += 1
    for event, seeds in zip(p["events"]["ids"], p["events"]["seeds"], strict=True):
        assert _mirror(p, "event", seeds, event) == _expected(ws.graph, f"event:{event}", ws)
        checked += 1
    for name, canon in p["externals"]["names"].items():
        seeds = p["externals"]["users"][canon]
        assert _mirror(p, "external", seeds, name) == _expected(ws.graph, f"external:{name}", ws)
        checked += 1
    assert checked == 166  # 61 services, 52 spec versions, 42 events, 11 externals on the sample


def test_depth_limit_and_cycles_follow_the_library():
    G = random_dependency_graph(300, 900, seed=3)
    p = explorer_payload(G, relations="depends_on", max_depth=3)
    for name in ("svc-00000", "svc-00007", "svc-00150"):
        i = p["services"].index(name)
        assert _mirror(p, "service", [i], name) == _expected(G, f"service:{name}", relations="depends_on", max_depth=3)


def test_html_embeds_the_payload_so_that_no_name_ends_the_script():
    G = nx.DiGraph()
    hostile = "</script><script>alert(1)</script>"
    G.add_node(hostile, team="<b>t</b>&amp;", events_in="e</script>")
    G.add_node("a")
    G.add_edge(hostile, "a", relations="depends_on")
    p = explorer_payload(G, initial="service:a")
    html = explorer_html(p, "impx-test")
    # only our own three script elements close (payload, explorer, sorter); the payload holds no "<", ">" or "&"
    assert html.count("</script>") == 3
    data = html.split('<script type="application/json" id="impx-test-data">')[1].split("</script>")[0]
    assert "<" not in data and ">" not in data and "&" not in data
    assert json.loads(data) == p
    assert 'id="impx-test"' in html and "innerHTML" not in html


def test_payload_of_10000_services_fits_the_page_budget():
    """At fleet size (10,000 services, about 30,000 edges) the embedded JSON stays far below the 2 MB page."""
    G = random_dependency_graph(10_000, 30_000, seed=1)
    for i, n in enumerate(G.nodes):
        G.nodes[n]["team"] = f"team-{i % 12}"
    html = explorer_html(explorer_payload(G))
    assert len(html.encode()) < 1_000_000


def test_result_table_sorts_with_the_one_sorter_after_every_pick():
    html = explorer_html(explorer_payload(nx.DiGraph([("b", "a")])), "impx-sort")
    # the sorter is html_table's (its call on the explorer's element), not a copy of its own
    assert sortable_script("impx-sort", assets=False) in without_table_assets(html)
    assert '<th scope="col" data-type="num">distance</th>' in html
    # every pick rebuilds the rows, then re-applies the order the reader chose
    assert "window.m254Sort.again(body.parentNode)" in html
