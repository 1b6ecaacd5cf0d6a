"""The impact page's views: the what-if headline, number and time formats, and the network figure's labels
and per-hop colours (meta254lib.views.impact)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import networkx as nx
import pytest

import meta254lib as m
from meta254lib.impact.analysis import analyse_impact
from meta254lib.views.impact import (
    HOP_COLORS,
    _Frame,
    _overlaps,
    impact_figure,
    impact_headline,
    impact_sources_markdown,
    impact_summary_table,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _chain() -> nx.DiGraph:
    G = nx.DiGraph([("b", "a"), ("c", "b"), ("d", "c")])
    for n in G:
        G.nodes[n].update(domain="core", team="t", maturity="stable")
    nx.set_edge_attributes(G, "depends_on", "relations")
    return G


def test_headline_says_what_if_on_the_widest_service():
    r = analyse_impact(_chain(), "service:a")
    assert impact_headline(r, widest=True) == (
        "What-if on the widest service: if a changed, 3 services would be impacted (weighted 2.2) in 1 domain, "
        "up to 3 hops away: severity medium."
    )
    given = impact_headline(r, team="t")
    assert given.startswith("service:a impacts 3 services (weighted 2.2)") and "What-if" not in given
    assert given.endswith("Team t: 3 impacted services.")


def test_weighted_radius_is_shown_with_one_or_two_decimals():
    r = analyse_impact(_chain(), "service:a")
    assert r.summary["weighted_blast_radius"] == 2.1875  # 1.25 + 0.625 + 0.3125 (no quality score: risk 0.5)
    rows = dict(impact_summary_table(r).values.tolist())
    assert rows["weighted blast radius"] == "2.2"
    assert rows["severity produced by"] == "medium: weighted blast radius 2.19 ≥ 1 (high needs ≥ 3)"
    for text in (impact_headline(r), *rows.values()):
        assert not re.search(r"\d\.\d{3,}", text), text
    assert not re.search(r"\d\.\d{2,}", impact_headline(r))


@pytest.mark.skipif(not (SAMPLE / "catalog").is_dir(), reason="data/sample has not been generated")
def test_sources_line_has_times_to_the_minute_in_utc():
    state = m.analysis_state(m.open_workspace(SAMPLE))
    text = impact_sources_markdown(state, waves="waves: w")
    assert "2025-10-06 06:00 UTC" in text and "2025-10-06 05:21 UTC" in text
    assert not re.search(r"\d{2}:\d{2}:\d{2}|T\d{2}:|\+00:00", text), text
    assert text.endswith("waves: w.")


def test_figure_has_one_colour_per_whole_hop_and_a_legend():
    fig = impact_figure(_chain(), analyse_impact(_chain(), "service:a"))
    nodes = fig.data[1]
    assert list(nodes.marker.color) == [0, 1, 2, 3]
    assert nodes.marker.showscale is False
    # a stepped scale: each whole hop maps to one colour
    steps = [tuple(s) for s in nodes.marker.colorscale]
    assert [c for _, c in steps] == [c for c in HOP_COLORS[:4] for _ in range(2)]
    assert (nodes.marker.cmin, nodes.marker.cmax) == (-0.5, 3.5)
    legend = fig.data[2:]
    assert [t.name for t in legend] == ["change", "1 hop", "2 hops", "3 hops"]
    assert [t.marker.color for t in legend] == list(HOP_COLORS[:4])
    assert fig.layout.showlegend is True and not fig.data[0].showlegend and not nodes.showlegend


@pytest.mark.skipif(not (SAMPLE / "catalog").is_dir(), reason="data/sample has not been generated")
def test_figure_labels_never_overlap_and_the_change_is_always_labelled():
    ws = m.open_workspace(SAMPLE)
    r = m.analysis_state(ws).impact([])
    fig = impact_figure(ws.graph, r, layers=ws.domain_layers, max_nodes=60)
    nodes = fig.data[1]
    labelled = [(x, y, t, p) for x, y, t, p in zip(nodes.x, nodes.y, nodes.text, nodes.textposition, strict=True) if t]
    assert labelled[0][2] == "config-service"  # the change comes first and is labelled
    assert 10 <= len(labelled) <= 26  # the change and at most 25 services; the rest are on hover
    assert all(h for h in nodes.hovertext)
    frame = _Frame(list(fig.layout.xaxis.range), list(fig.layout.yaxis.range), fig.layout.height)
    boxes = [frame.box(x, y, t, p) for x, y, t, p in labelled]
    assert not any(_overlaps(a, b) for a, b in itertools.combinations(boxes, 2))
    markers = [frame.marker(x, y) for x, y in zip(nodes.x, nodes.y, strict=True)]
    for (x, y, _, _), box in zip(labelled, boxes, strict=True):
        own = frame.marker(x, y)
        assert not any(_overlaps(box, mk) for mk in markers if mk != own)
