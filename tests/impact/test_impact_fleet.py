"""Impact of every service at once: equal to one impact analysis per service, and shared passes."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meta254lib.core.errors import ParameterError, UnknownServiceError
from meta254lib.impact.analysis import analyse_impact
from meta254lib.impact.fleet import fleet_impact
from meta254lib.impact.weights import ImpactWeights

RELATIONS = ("depends_on", "consumes_event", "shares_contract")


def _graph(n: int, edges, maturities, teams) -> nx.DiGraph:
    G = nx.DiGraph()
    for i in range(n):
        G.add_node(f"s{i:02d}", maturity=maturities[i % len(maturities)], team=teams[i % len(teams)])
    for a, b, rels in edges:
        if a < n and b < n and a != b:
            G.add_edge(f"s{a:02d}", f"s{b:02d}", relation=rels[0], relations=rels)
    return G


def _expected(G, s, relations, quality, drift, weights, k):
    r = analyse_impact(G, f"service:{s}", relations=relations, quality=quality, drift=drift, weights=weights)
    imp = r.impacted
    d1 = imp[imp["distance"] == 1]
    return {
        "blast_radius": r.summary["blast_radius"],
        "weighted_blast_radius": r.summary["weighted_blast_radius"],
        "impact_severity": r.summary["severity"],
        "severity_reason": r.summary["severity_reason"],
        "nearest": tuple(imp["service"][:k]),
        "nearest_why": tuple(imp["why"][:k]),
        "direct_dependents": tuple(sorted(d1["service"])),
        "contract_dependents": tuple(sorted(d1[d1["tests"].map(lambda t: "contract" in t).astype(bool)]["service"])),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 14),
    edges=st.lists(
        st.tuples(
            st.integers(0, 13),
            st.integers(0, 13),
            st.sampled_from([("depends_on",), ("consumes_event",), ("depends_on", "consumes_event"), RELATIONS[2:]]),
        ),
        max_size=40,
    ),
    scores=st.lists(st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100)), min_size=14, max_size=14),
    drifts=st.one_of(st.none(), st.lists(st.integers(0, 9), min_size=14, max_size=14)),
    decay=st.sampled_from([0.5, 0.3, 0.9, 1.0]),
    relations=st.sampled_from([("depends_on",), ("depends_on", "consumes_event"), RELATIONS]),
    k=st.integers(0, 6),
)
def test_equals_one_impact_analysis_per_service(n, edges, scores, drifts, decay, relations, k):
    G = _graph(n, edges, ["stable", "beta", "experimental", "deprecated", None], ["a", "b", None])
    names = sorted(G.nodes)
    quality = pd.Series({s: v for s, v in zip(names, scores, strict=False) if v is not None}, dtype="Float64")
    drift = None if drifts is None else pd.Series(dict(zip(names, drifts, strict=False)), dtype="int64")
    weights = ImpactWeights(decay=decay)
    got = fleet_impact(G, relations=relations, quality=quality, drift=drift, weights=weights, nearest=k).table
    assert got["service"].tolist() == list(G.nodes)
    for row in got.to_dict("records"):
        want = _expected(G, row["service"], relations, quality, drift, weights, k)
        assert {c: row[c] for c in want} == want


def test_deep_chain_beyond_the_decay_horizon():
    # 40 services in a chain: weights beyond distance 16 round to 0, the radius still counts them all
    n = 40
    G = _graph(n, [(i + 1, i, ("depends_on",)) for i in range(n - 1)], ["stable"], ["t"])
    fi = fleet_impact(G, ["s00", "s20"], nearest=3)
    row = fi.table.set_index("service").loc["s00"]
    ref = analyse_impact(G, "service:s00")
    assert int(row["blast_radius"]) == 39
    assert float(row["weighted_blast_radius"]) == ref.summary["weighted_blast_radius"] == 2.4999
    assert row["nearest"] == ("s01", "s02", "s03")
    assert row["nearest_why"][2] == "s03 -depends_on-> s02 -depends_on-> s01 -depends_on-> s00"
    assert int(fi.table.set_index("service").loc["s20", "blast_radius"]) == 19


def test_cycle_members_reach_each_other_and_not_themselves():
    G = _graph(3, [(0, 1, ("depends_on",)), (1, 2, ("depends_on",)), (2, 0, ("depends_on",))], ["beta"], ["t"])
    t = fleet_impact(G).table.set_index("service")
    assert t["blast_radius"].tolist() == [2, 2, 2]
    assert t.loc["s00", "nearest"] == ("s02", "s01")  # s02 depends on s00 directly, s01 through s02
    assert float(t.loc["s00", "weighted_blast_radius"]) == 0.875 + 0.4375


def test_dependents_and_teams_cover_the_whole_radius_not_only_the_nearest():
    G = _graph(30, [(i + 1, i, ("depends_on",)) for i in range(29)], ["stable"], ["x", "y", "z"])
    fi = fleet_impact(G, ["s00"], nearest=2)
    assert fi.table.loc[0, "nearest"] == ("s01", "s02")
    assert len(fi.dependents(["s00"])) == 29
    assert fi.dependents(["s00", "s05"]) == {f"s{i:02d}" for i in range(1, 30)} - {"s05"}
    by_team = fi.dependents_by_team(["s00"], exclude=["x"])
    assert sorted(by_team) == ["y", "z"]
    assert by_team["y"] == tuple(f"s{i:02d}" for i in range(1, 30, 3))


def test_contract_dependents_are_direct_consumers_across_an_interface():
    edges = [(1, 0, ("consumes_event",)), (2, 0, ("depends_on",)), (3, 1, ("consumes_event",))]
    t = fleet_impact(_graph(4, edges, ["stable"], ["t"]), ["s00"]).table
    assert t.loc[0, "direct_dependents"] == ("s01", "s02")
    assert t.loc[0, "contract_dependents"] == ("s01",)


def test_bad_arguments():
    G = _graph(2, [(1, 0, ("depends_on",))], ["stable"], ["t"])
    with pytest.raises(UnknownServiceError):
        fleet_impact(G, ["nope"])
    with pytest.raises(ParameterError, match="nearest"):
        fleet_impact(G, nearest=-1)
    with pytest.raises(ParameterError):
        fleet_impact(G, relations=("no_such_relation",))
    assert len(fleet_impact(nx.DiGraph()).table) == 0
