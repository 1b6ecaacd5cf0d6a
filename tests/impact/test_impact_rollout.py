"""Tests for meta254lib.impact.rollout: one deploy-order rule for rollout waves, plan waves and graph cycles."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import svc

import meta254lib as m
from meta254lib.cli import main
from meta254lib.impact.from_workspace import workspace_impact
from meta254lib.impact.rollout import DEPLOY_RELATIONS, rollout_plan, wave_rule
from meta254lib.remediation.schedule import assign_waves
from meta254lib.views.impact import impact_summary_table


@pytest.fixture
def ws_path(make_ws):
    """auth ← gateway, streaming (depends_on); gateway → metrics (depends_on); metrics consumes the events of
    gateway and streaming, and streaming depends on metrics: gateway ↔ metrics is a cycle only through an event."""
    services = [
        svc("auth"),
        svc("gateway", dependencies={"internal": ["auth", "metrics"], "external": []}, events_out=["gw.req.v1"]),
        svc("streaming", dependencies={"internal": ["auth", "metrics"], "external": []}, events_out=["st.conn.v1"]),
        svc("metrics", events_in=["gw.req.v1", "st.conn.v1"]),
    ]
    return make_ws(services=services)


def test_deploy_relations_are_depends_on_only():
    assert DEPLOY_RELATIONS == ("depends_on",)
    assert wave_rule().startswith("waves: depends_on edges only; consumes_event and shares_contract edges do not")


def test_event_only_cycle_is_no_deploy_cycle(ws_path):
    ws = m.open_workspace(ws_path)
    result = workspace_impact(ws, ["service:auth"])
    # the analysis still walks events: metrics is impacted through gateway
    assert sorted(result.impacted["service"]) == ["gateway", "metrics", "streaming"]
    plan = rollout_plan(ws.graph, result)
    assert plan.waves[["wave", "services", "cycle"]].values.tolist() == [
        [1, ("auth", "metrics"), False],
        [2, ("gateway", "streaming"), False],
    ]
    assert plan.warnings == []
    assert plan.to_dict()["wave_rule"] == wave_rule()


def test_rollout_waves_agree_in_order_with_the_plan_waves(ws_path):
    ws = m.open_workspace(ws_path)
    plan = rollout_plan(ws.graph, workspace_impact(ws, ["service:auth"]))
    rollout_wave = {s: int(w) for w, ss in zip(plan.waves["wave"], plan.waves["services"], strict=True) for s in ss}
    items, _, warnings = assign_waves([{"service": s} for s in ("gateway", "metrics", "streaming")], ws.graph)
    plan_wave = {it["service"]: it["wave"] for it in items}
    assert plan_wave == {"metrics": 1, "gateway": 2, "streaming": 2}
    assert warnings == []
    pairs = [(a, b) for a in plan_wave for b in plan_wave]
    assert all((plan_wave[a] < plan_wave[b]) == (rollout_wave[a] < rollout_wave[b]) for a, b in pairs)


def test_graph_cycles_read_the_same_relations(ws_path):
    ws = m.open_workspace(ws_path)
    report = m.structure_checks(ws.graph, ws.rules, aliases=ws.aliases)
    assert report.summary["cycles"] == 0 and report.summary["cycle_rule"] == wave_rule()
    assert report.relation_cycles["services"].tolist() == [("gateway", "metrics", "streaming")]


def test_cli_impact_states_waves_and_rule_without_a_cycle_warning(ws_path):
    res = CliRunner().invoke(main, ["impact", "-w", str(ws_path), "--service", "auth"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "Rollout waves 1: auth, metrics; 2: gateway, streaming — waves: depends_on edges only;" in res.output
    assert "deploy together" not in res.output
    doc = json.loads(
        CliRunner().invoke(main, ["impact", "-w", str(ws_path), "--service", "auth", "--format", "json"]).output
    )
    assert doc["rollout"]["wave_rule"] == wave_rule()
    assert [w["services"] for w in doc["rollout"]["waves"]] == [["auth", "metrics"], ["gateway", "streaming"]]


def test_cli_graph_names_the_event_only_component(ws_path):
    res = CliRunner().invoke(main, ["graph", "-w", str(ws_path)], catch_exceptions=False)
    assert "Cycles 0," in res.output
    assert f"Cycles and rollout {wave_rule()}" in res.output
    assert (
        "Not a deploy cycle: gateway ↔ metrics ↔ streaming are strongly connected under depends_on, consumes_event, "
        "not by depends_on edges alone"
    ) in res.output


def test_impact_summary_table_states_the_wave_rule(ws_path):
    table = impact_summary_table(workspace_impact(m.open_workspace(ws_path), ["service:auth"]))
    assert table.set_index("item").loc["rollout waves", "value"] == wave_rule()
