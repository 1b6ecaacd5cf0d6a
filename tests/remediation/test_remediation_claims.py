"""Plan items whose claims hold: one item per root cause, one edit per manifest line, fitting steps and paths."""

from __future__ import annotations

import json

import pandas as pd
from remediation_cases import AS_OF, _adv, _plan_from, _services

import meta254lib as m
from meta254lib.core.schema import DEPENDENCIES, EVENTS
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.drift.engine import detect_drift
from meta254lib.drift.inputs import DriftInputs
from meta254lib.remediation import PlanInputs, build_plan
from meta254lib.remediation.classify import automation_class
from meta254lib.remediation.policy import PlanPolicy


def _ext(service: str, target: str, version: str = "") -> dict:
    raw = f"{target}@{version}" if version else target
    kind = "external" if version else "internal"
    return {
        "service": service,
        "target": target,
        "name": target,
        "kind": kind,
        "version": version or None,
        "raw": raw,
        "resolves": None if version else False,
    }


def _root_cause_plan(workspace: str = ".", *, verified: bool = True):
    """a and b consume x.v1 that c produces (unregistered), b also y.v1; a and b depend on the missing `gone`."""
    services = _services("a", "b", "c", a={"team": "red"}, b={"team": "blue"}, c={"team": "green"})
    events = rec(
        EVENTS,
        [
            {"service": s, "event": e, "direction": d}
            for s, e, d in (("a", "x.v1", "in"), ("b", "x.v1", "in"), ("c", "x.v1", "out"), ("b", "y.v1", "in"))
        ],
    )
    deps = rec(DEPENDENCIES, [_ext("a", "gone"), _ext("b", "gone")])
    drift = DriftInputs(services, dependencies=deps, events=events, events_registry=frozenset())
    issues = detect_drift(drift, as_of=AS_OF).issues
    inputs = PlanInputs(
        issues=issues, services=services, quality=pd.Series(dict.fromkeys("abc", 90)), workspace=workspace
    )
    if not verified:
        return build_plan(inputs, as_of=AS_OF), issues
    return build_plan(inputs, as_of=AS_OF, drift_inputs=drift), issues


def test_one_item_per_unregistered_event_and_per_missing_service_with_every_service_and_owner():
    plan, issues = _root_cause_plan()
    assert len(issues) == 6  # 4 unknown-event issues over 2 events, 2 dangling dependencies on 1 service
    rows = {r.subject: r for r in plan.items.itertuples()}
    assert sorted(rows) == ["gone", "x.v1", "y.v1"]
    assert (rows["x.v1"].action, rows["x.v1"].service, rows["x.v1"].services) == (
        "register_events",
        "c",
        ("a", "b", "c"),
    )
    assert rows["x.v1"].teams == ("blue", "green", "red") and len(rows["x.v1"].issue_ids) == 3
    assert (rows["gone"].action, rows["gone"].services, rows["gone"].teams) == (
        "fix_dependency",
        ("a", "b"),
        ("blue", "red"),
    )
    assert rows["y.v1"].services == ("b",)
    assert plan.summary["services"] == 3
    # a team sees the root-cause items of every service it owns
    red = build_plan(
        PlanInputs(issues=issues, services=plan_services(), quality=pd.Series(dict.fromkeys("abc", 90))),
        as_of=AS_OF,
        team="red",
    )
    assert sorted(red.items["subject"]) == ["gone", "x.v1"]


def plan_services():
    return _services("a", "b", "c", a={"team": "red"}, b={"team": "blue"}, c={"team": "green"})


def test_repository_changes_carry_pull_request_steps_not_deployments():
    plan, _ = _root_cause_plan(verified=False)
    for it in plan.items.itertuples():
        rollback = plan.rollback[it.id]
        text = json.dumps([plan.steps[it.id], rollback])
        assert "docker" not in text and "kubectl" not in text, it.action
        assert rollback["commands"] == ["git revert <merge-commit>"]
        deployment = next(p for p in plan.steps[it.id] if p["phase"] == "Deployment")
        assert deployment["lines"][0].startswith("Open a pull request to ")
        assert all(c.startswith("meta254 drift --workspace . --service ") for c in it.commands)
    registry = plan.items.set_index("subject").loc["x.v1", "id"]
    assert "specs repository's events registry" in plan.rollback[registry]["lines"][0]


def test_commands_never_embed_the_absolute_path_of_the_machine():
    plan, _ = _root_cause_plan("/home/someone/src/meta", verified=False)
    assert "/home/" not in json.dumps(plan.to_payload()["items"])
    rel, _ = _root_cause_plan("checkouts/meta", verified=False)
    assert all("--workspace checkouts/meta " in c for cmds in rel.items["commands"] for c in cmds)


REDIS = "name: a\ndependencies:\n  internal: []\n  external:\n  - postgresql@15\n  - redis@7.0\n"


def test_two_edits_of_one_manifest_line_merge_into_one_item_whose_diff_applies():
    services = _services("a", "b")
    deps = [_ext("a", "redis", "7.0"), _ext("b", "redis", "7.2")]
    advisories = [_adv("BIT-redis-1", "redis", ("7.0.0", "7.0.16", ""), ecosystem="Bitnami")]
    plan = _plan_from(
        services, deps=deps, advisories=advisories, manifests={"a": ("manifests/collected/a.yaml", REDIS)}
    )
    items = plan.items[plan.items["service"] == "a"]
    assert len(items) == 1
    it = items.iloc[0]
    assert (it["action"], it["current"], it["target"], it["security"]) == ("security_fix", "7.0", "7.2", True)
    assert sorted(it["issue_types"]) == ["dependency_divergence", "vulnerable_dependency"]
    assert len(it["issue_ids"]) == 2
    assert it["manifest_diff"].count("\n-  - redis@7.0\n+  - redis@7.2\n") == 1


def test_a_merged_target_inside_an_advisory_range_is_not_taken():
    services = _services("a", "b")
    deps = [_ext("a", "redis", "7.0"), _ext("b", "redis", "7.2")]
    advisories = [_adv("BIT-redis-1", "redis", ("7.0.0", "7.0.16", ""), ("7.1.0", "7.2.5", ""), ecosystem="Bitnami")]
    plan = _plan_from(services, deps=deps, advisories=advisories)
    it = plan.items[plan.items["service"] == "a"].iloc[0]
    assert (it["action"], it["target"]) == ("security_fix", "7.0.16")


def test_quality_reasons_read_as_sentences():
    kw = {
        "action": "upgrade_spec",
        "service": "gateway",
        "current": "1.0.0",
        "target": "1.2.0",
        "update_type": "minor",
        "breaking": False,
        "policy": PlanPolicy(),
    }
    assert automation_class(quality=None, **kw)[1].endswith(
        "but gateway has no quality score; approval needs a score of 80 or more"
    )
    assert automation_class(quality=75, **kw)[1].endswith(
        "but gateway's quality score 75 is below the 80 approval needs"
    )
    patch = {**kw, "target": "1.0.1", "update_type": "patch"}
    assert automation_class(quality=60, **patch)[1].endswith(
        "but gateway's quality score 60 is below the 70 automation needs"
    )


def test_the_headline_date_is_where_the_burndown_reaches_the_final_backlog(sample):
    ws = m.open_workspace(sample)
    plan = m.plan_workspace(ws) if hasattr(m, "plan_workspace") else None
    assert plan is not None
    burn = plan.burndown
    end = plan.summary["backlog_end"]
    reached = burn.loc[burn["backlog"] == end, "week_end"].iloc[0].strftime("%Y-%m-%d")
    assert plan.summary["backlog_end_date"] == reached
    assert f"backlog {plan.summary['backlog_start']} → {end} by {reached};" in plan.headline()
    # the last item ships on plan_end and is deployed by the end of that day, so the backlog ends later
    assert reached > plan.summary["plan_end"]


def test_upstream_groups_unknown_events_and_dangling_dependencies_by_root_cause(upstream):
    ws = m.open_workspace(upstream)
    plan = m.plan_workspace(ws)
    events = plan.items[plan.items["action"] == "register_events"]
    dangling = plan.items[plan.items["action"] == "fix_dependency"]
    assert (len(events), sum(len(x) for x in events["issue_ids"])) == (11, 17)
    assert (len(dangling), sum(len(x) for x in dangling["issue_ids"])) == (2, 7)
    assert sorted(dangling["subject"]) == ["connectors", "vector-store-adapter"]
    gone = dangling.set_index("subject").loc["connectors"]
    assert gone["services"] == ("aggregation", "connector-registry", "enrichment", "normalization")
    assert gone["teams"] == ("ingestion",)


def test_sample_reference_data_edits_its_redis_line_once(sample):
    plan = m.plan_workspace(m.open_workspace(sample))
    redis = plan.items[(plan.items["service"] == "reference-data") & (plan.items["subject"] == "redis")]
    assert len(redis) == 1
    assert (redis.iloc[0]["current"], redis.iloc[0]["target"]) == ("7.0", "7.2")
    assert redis.iloc[0]["manifest_diff"].count("+  - redis@7.2") == 1
