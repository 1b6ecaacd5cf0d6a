"""Tests for meta254lib.impact.analysis: change sets, why-paths, weights, severity, rollout, figure, oracles."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

import meta254lib as m
from meta254lib.core.errors import ParameterError, UnknownServiceError
from meta254lib.core.schema import CONTRACTS, DEPENDENCIES, EVENTS, SERVICES, TEAMS, frame_from_records
from meta254lib.graph.build import build_graph
from meta254lib.impact.analysis import analyse_impact
from meta254lib.impact.changes import Change, parse_change, parse_changes
from meta254lib.impact.from_workspace import widest_change
from meta254lib.impact.inputs import drift_counts, latest_quality
from meta254lib.impact.rollout import rollout_plan
from meta254lib.impact.weights import ImpactWeights, SeverityRule
from meta254lib.views.impact import impact_figure


def _catalog():
    """A small platform shaped like the upstream catalog (§1.1 of upstream-formats)."""
    services = [
        ("auth", "access", "access", "stable"),
        ("entitlements", "access", "access", "stable"),
        ("gateway", "access", "access", "stable"),
        ("metrics", "access", "access", "stable"),
        ("streaming", "access", "access", "stable"),
        ("projection", "ingestion", "ingestion", "beta"),
        ("aggregation-service", "data-processing", "dp", "beta"),
        ("enrichment-service", "data-processing", "dp", "experimental"),
        ("curve-service", "analytics", "analytics", "beta"),
        ("lonely", "access", "access", "beta"),
    ]
    svc = frame_from_records(
        SERVICES, [{"service": s, "domain": d, "team": t, "maturity": mt} for s, d, t, mt in services]
    )
    dep_rows = [
        ("gateway", "auth"),
        ("gateway", "entitlements"),
        ("gateway", "metrics"),
        ("gateway", "projection"),
        ("streaming", "auth"),
        ("streaming", "entitlements"),
        ("streaming", "metrics"),
        ("projection", "aggregation-service"),
    ]
    deps = [{"service": a, "target": b, "kind": "internal"} for a, b in dep_rows]
    deps += [
        {"service": "curve-service", "target": "postgresql", "kind": "external"},
        {"service": "entitlements", "target": "postgresql", "kind": "external"},
        {"service": "gateway", "target": "redis", "kind": "external"},
    ]
    ev = [
        ("curve-service", "pricing.curve.updates.v1", "out"),
        ("gateway", "pricing.curve.updates.v1", "in"),
        ("streaming", "pricing.curve.updates.v1", "in"),
        ("auth", "auth.token.validated.v1", "out"),
        ("entitlements", "auth.token.validated.v1", "in"),
        ("gateway", "metrics.request.count.v1", "out"),
        ("streaming", "metrics.connection.count.v1", "out"),
        ("metrics", "metrics.request.count.v1", "in"),
        ("metrics", "metrics.connection.count.v1", "in"),
        ("streaming", "market.data.updates.v1", "in"),
    ]
    events = frame_from_records(EVENTS, [{"service": s, "event": e, "direction": d} for s, e, d in ev])
    contracts = frame_from_records(
        CONTRACTS,
        [
            {"service": "gateway", "spec": "gateway-core", "version": "1.0.0"},
            {"service": "auth", "spec": "auth-core", "version": "1.0.0"},
        ],
    )
    return build_graph(svc, frame_from_records(DEPENDENCIES, deps), events, contracts)


@pytest.fixture(scope="module")
def G():
    return _catalog()


# --- change parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("service:auth", Change("service", "auth")),
        ("--service auth", Change("service", "auth")),
        ("--service=auth", Change("service", "auth")),
        ("spec:gateway-core@2.0.0", Change("spec", "gateway-core", "2.0.0")),
        ("--spec gateway-core@2.0.0", Change("spec", "gateway-core", "2.0.0")),
        ("event:pricing.curve.updates.v1", Change("event", "pricing.curve.updates.v1")),
        ("--external redis@8", Change("external", "redis", "8")),
        ("external:redis", Change("external", "redis")),
        ("  service: auth ", Change("service", "auth")),
    ],
)
def test_parse_change(text, expected):
    assert parse_change(text) == expected


@pytest.mark.parametrize("bad", ["auth", "team:x", "--service", "service:", "spec:@1.0.0", "-s auth"])
def test_parse_change_rejects(bad):
    with pytest.raises(ParameterError):
        parse_change(bad)


def test_parse_changes_dedupes_and_needs_one():
    assert [c.label for c in parse_changes(["service:a", "--service a", "spec:x@1"])] == ["service:a", "spec:x@1"]
    with pytest.raises(ParameterError, match="no change given"):
        parse_changes([])


# --- blast radius and why-paths -----------------------------------------------------------------


def test_service_change_default_relations(G):
    r = analyse_impact(G, "service:auth")
    got = r.impacted[["service", "distance", "why"]].values.tolist()
    assert got == [
        ["entitlements", 1, "entitlements -consumes_event-> auth"],
        ["gateway", 1, "gateway -depends_on-> auth"],
        ["streaming", 1, "streaming -depends_on-> auth"],
        ["metrics", 2, "metrics -consumes_event-> gateway -depends_on-> auth"],
    ]
    metrics = r.impacted.set_index("service").loc["metrics"]
    assert metrics["path"] == ("metrics", "gateway", "auth")
    assert metrics["relations"] == ("consumes_event", "depends_on")
    assert metrics["caused_by"] == ("service:auth",)
    assert r.summary["blast_radius"] == 4 and r.summary["max_depth"] == 2
    assert r.summary["by_distance"] == {"1": 3, "2": 1}
    assert r.summary["domains"] == ["access"] and r.summary["teams"] == ["access"]
    # lonely shares the domain but is not reachable: listed, never counted
    assert r.same_domain["service"].tolist() == ["lonely"]
    assert r.same_domain.loc[0, "same_domain_as"] == ("service:auth",)


def test_relations_choice(G):
    r = analyse_impact(G, "service:auth", relations="depends_on")
    assert r.impacted["service"].tolist() == ["gateway", "streaming"]
    assert r.same_domain["service"].tolist() == ["entitlements", "lonely", "metrics"]
    with pytest.raises(ParameterError):
        analyse_impact(G, "service:auth", relations="calls")


def test_unbounded_depth_and_max_depth(G):
    r = analyse_impact(G, "service:aggregation-service")
    assert r.impacted[["service", "distance"]].values.tolist() == [
        ["projection", 1],
        ["gateway", 2],
        ["metrics", 3],
        ["streaming", 4],
    ]
    assert r.impacted.iloc[-1]["why"] == (
        "streaming -depends_on-> metrics -consumes_event-> gateway -depends_on-> projection "
        "-depends_on-> aggregation-service"
    )
    capped = analyse_impact(G, "service:aggregation-service", max_depth=2)
    assert capped.impacted["service"].tolist() == ["projection", "gateway"]
    assert capped.summary["max_depth_limit"] == 2
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ParameterError):
            analyse_impact(G, "service:auth", max_depth=bad)


def test_cycles_terminate_and_changed_service_is_not_impacted():
    G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "c")])
    nx.set_edge_attributes(G, ("depends_on",), "relations")
    r = analyse_impact(G, "service:c")
    assert r.impacted[["service", "distance"]].values.tolist() == [["b", 1], ["d", 1], ["a", 2]]


def test_unknown_service(G):
    with pytest.raises(UnknownServiceError, match="nope"):
        analyse_impact(G, "service:nope")


def test_spec_change_hits_pinners_then_downstream(G):
    r = analyse_impact(G, "spec:gateway-core@2.0.0")
    assert r.impacted[["service", "distance", "why"]].values.tolist() == [
        ["gateway", 1, "gateway -pins_spec-> gateway-core@2.0.0"],
        ["metrics", 2, "metrics -consumes_event-> gateway -pins_spec-> gateway-core@2.0.0"],
        ["streaming", 3, "streaming -depends_on-> metrics -consumes_event-> gateway -pins_spec-> gateway-core@2.0.0"],
    ]
    ch = r.changes.iloc[0]
    assert ch["direct"] == ("gateway",) and ch["pinned"] == ("gateway@1.0.0",) and ch["note"] == ""
    assert r.impacted.iloc[0]["tests"] == ("unit", "integration", "contract")
    none = analyse_impact(G, "spec:unknown-api@1.0.0")
    assert none.impacted.empty and none.changes.loc[0, "note"] == "no catalog service pins spec unknown-api"
    assert none.summary["severity"] == "none"
    same = analyse_impact(G, "spec:gateway-core@1.0.0")
    assert same.changes.loc[0, "note"] == "every pinner already pins 1.0.0"


def test_event_change_reports_producer(G):
    r = analyse_impact(G, "event:pricing.curve.updates.v1")
    assert r.impacted[["service", "distance"]].values.tolist() == [["gateway", 1], ["streaming", 1], ["metrics", 2]]
    assert r.changes.loc[0, "producers"] == ("curve-service",) and r.changes.loc[0, "note"] == ""
    orphan = analyse_impact(G, "event:market.data.updates.v1")
    assert orphan.changes.loc[0, "producers"] == ()
    assert orphan.changes.loc[0, "note"] == "no producer in the catalog"
    assert orphan.impacted["service"].tolist() == ["streaming", "metrics", "gateway"]


def test_external_change_resolves_aliases(G):
    r = analyse_impact(G, "--external postgres@16")
    assert r.impacted[["service", "distance"]].values.tolist() == [
        ["curve-service", 1],
        ["entitlements", 1],
        ["gateway", 2],
        ["streaming", 2],
        ["metrics", 3],
    ]
    assert r.changes.loc[0, "note"] == "postgres resolves to postgresql"
    assert r.impacted.iloc[0]["why"] == "curve-service -uses_external-> postgres@16"
    unused = analyse_impact(G, "external:kafka@4")
    assert unused.changes.loc[0, "note"] == "no catalog service uses kafka"


def test_change_set_union_overlap_and_attribution(G):
    r = analyse_impact(G, ["service:auth", "service:aggregation-service", "event:market.data.updates.v1"])
    imp = r.impacted.set_index("service")
    assert imp.loc["gateway", "caused_by"] == (
        "service:auth",
        "service:aggregation-service",
        "event:market.data.updates.v1",
    )
    assert imp.loc["gateway", "distance_by_change"] == {
        "service:auth": 1,
        "service:aggregation-service": 2,
        "event:market.data.updates.v1": 3,
    }
    assert imp.loc["streaming", "caused_by"] == (
        "service:auth",
        "service:aggregation-service",
        "event:market.data.updates.v1",
    )
    assert imp.loc["streaming", "why"] == "streaming -depends_on-> auth"
    assert imp.loc["projection", "caused_by"] == ("service:aggregation-service",)
    assert r.summary["overlap"] == ["gateway", "metrics", "streaming"]
    ch = r.changes.set_index("change")
    assert ch.loc["service:auth", "hits"] == 4 and ch.loc["service:auth", "unique"] == 1
    assert ch.loc["service:aggregation-service", "hits"] == 4 and ch.loc["service:aggregation-service", "unique"] == 1
    assert ch.loc["event:market.data.updates.v1", "unique"] == 0
    assert r.summary["blast_radius"] == 5
    hits = r.hits
    assert hits.query("change == 'service:auth'")["service"].tolist() == [
        "entitlements",
        "gateway",
        "streaming",
        "metrics",
    ]
    # two changed services: neither is impacted by the other
    both = analyse_impact(G, ["service:auth", "service:entitlements"])
    assert "auth" not in set(both.impacted["service"]) and "entitlements" not in set(both.impacted["service"])
    assert both.summary["changed_services"] == ["auth", "entitlements"]


# --- weights and severity --------------------------------------------------------------------------


def test_weights_follow_the_formula(G):
    quality = pd.Series({"gateway": 80.0, "metrics": 90.0, "entitlements": 100.0})
    drift = pd.Series({"gateway": 7, "streaming": 2})
    r = analyse_impact(G, "service:auth", quality=quality, drift=drift)
    w = r.impacted.set_index("service")["weight"].to_dict()
    # stable M=1; 1 + 0.5·(1 − Q/100) + 0.5·min(D, 5)/5; × 0.5^(d − 1)
    assert w["gateway"] == pytest.approx(1 + 0.5 * 0.2 + 0.5 * 1.0)
    assert w["entitlements"] == pytest.approx(1.0)
    assert w["streaming"] == pytest.approx(1 + 0.5 * 0.5 + 0.5 * 0.4)  # no score: quality risk 0.5
    assert w["metrics"] == pytest.approx((1 + 0.5 * 0.1) * 0.5)
    assert r.summary["weighted_blast_radius"] == pytest.approx(1.6 + 1.0 + 1.45 + 0.525)
    assert r.impacted.set_index("service")["drift_issues"].to_dict() == {
        "entitlements": 0,
        "gateway": 7,
        "streaming": 2,
        "metrics": 0,
    }
    assert r.summary["severity"] == "high"
    assert r.summary["severity_reason"] == "high: weighted blast radius 4.575 ≥ 3 (critical needs ≥ 6)"
    assert "critical if W ≥ 6, high if W ≥ 3" in r.summary["severity_rule"]
    assert r.summary["formula"].startswith("weight = M[maturity] × (1 + 0.5·(1 − Q/100)")


def test_maturity_ranks_and_custom_weights(G):
    w = ImpactWeights()
    assert w.weight("stable", 100, 0, 1, drift_given=False) > w.weight("beta", 100, 0, 1, drift_given=False)
    assert w.weight("beta", 100, 0, 1, drift_given=False) > w.weight("experimental", 100, 0, 1, drift_given=False)
    custom = ImpactWeights(maturity={"stable": 2.0}, maturity_other=1.0, quality=0.0, decay=1.0)
    r = analyse_impact(G, "service:auth", weights=custom, severity=SeverityRule(critical=7, high=5, medium=1))
    assert r.impacted.set_index("service")["weight"].to_dict() == {
        "entitlements": 2.0,
        "gateway": 2.0,
        "streaming": 2.0,
        "metrics": 2.0,
    }
    assert r.summary["severity"] == "critical"
    assert r.to_dict()["parameters"]["weights"]["maturity"] == {"stable": 2.0}
    for bad in ({"decay": 1.5}, {"quality": -1}, {"drift_cap": 0}, {"maturity": {"beta": -1}}):
        with pytest.raises(ParameterError):
            ImpactWeights(**bad)
    with pytest.raises(ParameterError):
        SeverityRule(critical=1, high=2)


@pytest.mark.parametrize(
    ("weighted", "count", "level"),
    [
        (0.0, 0, "none"),
        (0.5, 1, "low"),
        (1.0, 1, "medium"),
        (2.99, 3, "medium"),
        (3.0, 3, "high"),
        (6.0, 9, "critical"),
    ],
)
def test_severity_thresholds(weighted, count, level):
    assert SeverityRule().classify(weighted, count)[0] == level


def test_json_is_deterministic_and_has_the_documented_keys(G):
    def dump():
        r = analyse_impact(G, ["service:auth", "spec:gateway-core@2.0.0"], quality=pd.Series({"gateway": 90.0}))
        return json.dumps(r.to_dict(), sort_keys=True, ensure_ascii=False)

    text = dump()
    assert text == dump()
    doc = json.loads(text)
    assert {"changes", "summary", "impacted"} <= set(doc)
    assert {"blast_radius", "weighted_blast_radius", "max_depth", "domains", "severity"} <= set(doc["summary"])
    first = doc["impacted"][0]
    assert {"service", "distance", "path", "relations", "caused_by", "weight"} <= set(first)
    metrics = next(i for i in doc["impacted"] if i["service"] == "metrics")
    assert metrics["path"] == ["metrics", "gateway", "auth"] and metrics["quality_score"] is None


def test_inputs_not_mutated(G):
    before = (sorted(G.edges(data=True), key=str), sorted(G.nodes(data=True), key=str))
    q = pd.Series({"gateway": 90.0})
    analyse_impact(G, "service:auth", quality=q)
    rollout_plan(G, analyse_impact(G, "service:auth"))
    assert (sorted(G.edges(data=True), key=str), sorted(G.nodes(data=True), key=str)) == before
    assert q.to_dict() == {"gateway": 90.0}


# --- quality and drift inputs ------------------------------------------------------------------------


def test_latest_quality_uses_the_newest_snapshot_up_to_as_of():
    h = pd.DataFrame(
        {
            "snapshot_time": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-01", None], utc=True),
            "service": ["a", "b", "a", "b"],
            "score": [70.0, 60.0, 95.0, 10.0],
        }
    )
    assert latest_quality(h).to_dict() == {"a": 95.0}
    assert latest_quality(h, as_of="2025-02-01").to_dict() == {"a": 70.0, "b": 60.0}
    assert latest_quality(h, as_of="2024-01-01").empty and latest_quality(None).empty


def test_drift_counts_newest_report_without_exempt():
    h = pd.DataFrame(
        {
            "report_time": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01", "2025-02-01"], utc=True),
            "service": ["a", "a", "b", "b"],
            "exempt": pd.array([pd.NA, pd.NA, True, False], dtype="boolean"),
        }
    )
    assert drift_counts(h).to_dict() == {"a": 1, "b": 1}
    assert drift_counts(h, as_of="2025-01-15").to_dict() == {"a": 1}
    assert drift_counts(h, as_of="2024-01-01") is None and drift_counts(None) is None


# --- rollout ---------------------------------------------------------------------------------------


def test_rollout_waves_tests_rollback_teams(G):
    r = analyse_impact(G, ["service:auth"])
    teams = frame_from_records(
        TEAMS, [{"team": "access", "service": "auth", "contact": "access@x", "slack": "#access", "source": "x"}]
    )
    plan = rollout_plan(G, r, teams=teams)
    # waves read depends_on only: the gateway ↔ metrics ↔ streaming cycle exists only through events
    assert plan.waves[["wave", "services", "cycle"]].values.tolist() == [
        [1, ("auth", "entitlements", "metrics"), False],
        [2, ("gateway", "streaming"), False],
    ]
    assert plan.warnings == []
    assert plan.rollback["services"].tolist() == [("gateway", "streaming"), ("auth", "entitlements", "metrics")]
    t = plan.tests.set_index("service")
    assert t.loc["auth", "role"] == "changed"
    assert t.loc["entitlements", ["integration", "contract"]].tolist() == [True, True]
    assert t.loc["gateway", ["integration", "contract"]].tolist() == [True, False]
    assert t.loc["metrics", ["integration", "contract"]].tolist() == [False, True]
    assert plan.teams[["team", "n_services", "owns_change", "contact", "slack"]].values.tolist() == [
        ["access", 5, True, "access@x", "#access"]
    ]
    json.dumps(plan.to_dict())


def test_rollout_providers_first_without_cycles(G):
    r = analyse_impact(G, "service:aggregation-service", relations="depends_on")
    plan = rollout_plan(G, r)
    assert plan.waves["services"].tolist() == [("aggregation-service",), ("projection",), ("gateway",)]
    assert not plan.warnings
    assert plan.teams["team"].tolist() == ["dp", "ingestion", "access"]


# --- figure ---------------------------------------------------------------------------------------


def test_figure_caps_nodes_and_says_so(G):
    r = analyse_impact(G, "--external postgres@16")
    fig = impact_figure(G, r, layers={"access": 3, "analytics": 6}, max_nodes=2)
    assert fig.layout.title.text == "Impact of external:postgres@16: 5 services impacted (showing the nearest 2)"
    nodes = fig.data[1]
    assert list(nodes.text) == ["postgres@16", "entitlements", "curve-service"]  # nearest, then heaviest
    assert list(nodes.marker.color) == [0, 1, 1]
    assert list(nodes.marker.symbol) == ["diamond", "circle", "circle"]
    assert "curve-service -uses_external-> postgres@16" in nodes.hovertext[2]
    full = impact_figure(G, r, max_nodes=60)
    assert "showing" not in full.layout.title.text and len(full.data[1].x) == 6
    # edges: 2 from the change node to its direct users + 8 service edges among the drawn nodes
    # (gateway and streaming -> entitlements, metrics, curve-service; metrics -> gateway, streaming)
    assert len(full.data[0].x) == 3 * 10


# --- upstream oracles -------------------------------------------------------------------------------


@pytest.mark.upstream
def test_upstream_auth_oracles(upstream):
    ws = m.open_workspace(upstream)
    r = analyse_impact(ws.graph, "service:auth", aliases=ws.aliases)
    assert sorted(r.impacted["service"]) == ["entitlements", "gateway", "metrics", "streaming"]
    metrics = r.impacted.set_index("service").loc["metrics"]
    assert metrics["distance"] == 2 and metrics["path"] == ("metrics", "gateway", "auth")
    dep = analyse_impact(ws.graph, "service:auth", relations="depends_on")
    assert sorted(dep.impacted["service"]) == ["gateway", "streaming"]


@pytest.mark.upstream
def test_upstream_aggregation_service_reaches_streaming_at_four(upstream):
    ws = m.open_workspace(upstream)
    r = analyse_impact(ws.graph, "service:aggregation-service")
    assert r.impacted.set_index("service").loc["streaming", "distance"] == 4
    assert r.summary["max_depth"] == 4


def test_tables_follow_the_schema(G):
    from meta254lib.core.schema import IMPACT_CHANGES, IMPACTED

    r = analyse_impact(G, ["service:auth", "spec:gateway-core@2.0.0"])
    assert tuple(r.impacted.columns) == IMPACTED.columns
    assert tuple(r.changes.columns) == IMPACT_CHANGES.columns
    for col, dtype in IMPACTED.dtypes.items():
        if dtype in ("int64", "float64", "Float64", "Int64"):
            assert str(r.impacted[col].dtype) == dtype, col


def test_no_change_analyses_the_widest_service():
    """The report passes no change set: the page must still work on any workspace (it used to
    default to a sample-only service and fail elsewhere)."""
    G = nx.DiGraph([("b", "a"), ("c", "a"), ("c", "b"), ("d", "c")])
    assert widest_change(G) == "service:a"
    assert widest_change(nx.DiGraph([("x", "y"), ("z", "w")])) == "service:w"  # tie: first name


def test_workspace_impact_without_changes(upstream):
    import meta254lib as m

    r = m.workspace_impact(m.open_workspace(upstream), [])
    assert r.changes["change"].tolist() == ["service:aggregation-service"]
    assert any(n.startswith("no change given: service:aggregation-service") for n in r.summary["notes"])
