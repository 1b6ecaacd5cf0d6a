"""Plans verified by simulation: every "closes" claim holds once the plan's edits are applied."""

from __future__ import annotations

import pandas as pd
import pytest
from remediation_cases import AS_OF, _pin, _services, _spec

import meta254lib as m
from meta254lib.core.schema import CONTRACTS, DEPENDENCIES, EVENTS, SPEC_VERSIONS
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.drift.engine import detect_drift
from meta254lib.drift.inputs import DriftInputs
from meta254lib.remediation import PlanInputs, build_plan
from meta254lib.remediation.verify import apply_plan, verify_plan


def _drift_inputs() -> DriftInputs:
    """One service whose pin skips a security release and a major: core@1.0.0, 1.0.1 security, 2.0.0 latest."""
    services = _services("a")
    specs = _spec("core", ("1.0.0", ""), ("1.0.1", "security"), ("2.0.0", "breaking"))
    return DriftInputs(
        services, contracts=rec(CONTRACTS, [_pin("a", "core", "1.0.0")]), spec_versions=rec(SPEC_VERSIONS, specs)
    )


def _plan(drift: DriftInputs, *, verified: bool = True):
    issues = detect_drift(drift, as_of=AS_OF).issues
    inputs = PlanInputs(
        issues=issues,
        services=drift.services,
        contracts=drift.contracts,
        spec_versions=drift.spec_versions,
        quality=pd.Series({"a": 90}),
    )
    return build_plan(inputs, as_of=AS_OF, drift_inputs=drift if verified else None)


def test_a_security_fix_that_leaves_a_major_lag_hands_the_lag_to_a_follow_up():
    drift = _drift_inputs()
    lag = detect_drift(drift, as_of=AS_OF).issues
    assert lag["type"].tolist() == ["security_lag"]
    unverified = _plan(drift, verified=False)
    claims = verify_plan(unverified, drift, as_of=AS_OF)
    # without simulation the security fix (1.0.0 -> 1.0.1) claims the id the major lag keeps
    assert claims["closed"].tolist() == [False] and claims["still_open"].tolist() == ["spec_major_lag"]

    plan = _plan(drift)
    items = plan.items.set_index("action")
    fix, follow = items.loc["security_fix"], items.loc["upgrade_spec"]
    assert (fix["current"], fix["target"], fix["issue_ids"]) == ("1.0.0", "1.0.1", ())
    assert fix["leaves_open"] == tuple(lag["id"]) and fix["follow_up"] == follow["id"]
    assert (follow["current"], follow["target"], follow["issue_ids"]) == ("1.0.1", "2.0.0", tuple(lag["id"]))
    assert "follow-up of " + fix["id"] in follow["target_reason"]
    checked = verify_plan(plan, drift, as_of=AS_OF)
    assert checked["closed"].all() and len(checked) == 1


def test_apply_plan_edits_a_copy_only():
    drift = DriftInputs(
        _services("a"),
        dependencies=rec(
            DEPENDENCIES, [{"service": "a", "target": "gone", "name": "gone", "kind": "internal", "raw": "gone"}]
        ),
        events=rec(EVENTS, [{"service": "a", "event": "x.v1", "direction": "out"}]),
        events_registry=frozenset(),
    )
    items = [
        {"service": "a", "services": ("a",), "action": "fix_dependency", "subject": "gone"},
        {"service": "a", "action": "register_events", "subject": "x.v1"},
    ]
    after = apply_plan(items, drift, AS_OF)
    assert len(after.dependencies) == 0 and after.events_registry == frozenset({"x.v1"})
    assert len(drift.dependencies) == 1 and drift.events_registry == frozenset()
    assert detect_drift(after, as_of=AS_OF).issues.empty


@pytest.mark.parametrize("where", ["sample", "upstream"])
def test_no_false_closes_claim_on_the_whole_plan(where, request):
    root = request.getfixturevalue(where)
    ws = m.open_workspace(root)
    drift = DriftInputs.from_workspace(ws)
    plan = build_plan(PlanInputs.from_workspace(ws), as_of=ws.resolve_as_of(None), drift_inputs=drift)
    claims = verify_plan(plan, drift)
    false = claims[claims["simulated"] & ~claims["closed"]]
    assert false.empty, false.to_string()
    assert claims["simulated"].all()
    assert len(claims) == plan.summary["issues_planned"] > 0
    # two edits of one manifest line are one item: every removed line is removed by one diff only
    removed = [
        (it.service, line)
        for it in plan.items.itertuples()
        for line in it.manifest_diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert len(removed) == len(set(removed))


def test_the_markdown_checklist_states_what_an_item_leaves_open():
    from meta254lib.views.plan import plan_markdown

    plan = _plan(_drift_inputs())
    fix = plan.items.set_index("action").loc["security_fix"]
    text = plan_markdown(plan)
    assert f"Leaves {fix['leaves_open'][0]} open (follow-up {fix['follow_up']}). " in text
    deploy = next(p for p in plan.steps[fix["id"]] if p["phase"] == "Deployment")["lines"][0]
    assert deploy.endswith(
        f"lists the same issue ids; {fix['leaves_open'][0]} stays open (closed by {fix['follow_up']})"
    )
