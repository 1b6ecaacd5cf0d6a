"""Remediation plans end to end: upstream oracle, grouping, due dates, locks, Markdown, dependents, burn-down."""

from __future__ import annotations

import json
import re

import mistune
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import UPSTREAM
from remediation_cases import (
    AS_OF,
    _graph,
    _issue,
    _pin,
    _services,
    _spec,
)

import meta254lib as m
from meta254lib import cli
from meta254lib.core.errors import ParameterError, UnknownServiceError
from meta254lib.core.ids import drift_issue_id
from meta254lib.core.schema import (
    CONTRACTS,
    DRIFT_ISSUES,
    SPEC_VERSIONS,
)
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.remediation import (
    PlanInputs,
    PlanPolicy,
    build_plan,
)
from meta254lib.views.plan import plan_markdown

# --- the upstream oracle -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream_plan():
    if not (UPSTREAM / "catalog" / "service-index.yaml").is_file():
        pytest.skip(f"real upstream artifacts not found at {UPSTREAM}")
    return m.plan_workspace(m.open_workspace(UPSTREAM), AS_OF, workspace="../shared/upstream")


@pytest.mark.upstream
def test_upstream_gateway_core_item(upstream_plan):
    items = upstream_plan.items
    mine = items[(items["service"] == "gateway") & (items["subject"] == "gateway-core")]
    assert len(mine) == 1
    it = mine.iloc[0]
    assert (it["current"], it["target"], it["severity"], it["escalation"]) == ("1.0.0", "1.2.0", "medium", "L2")
    assert (it["escalation_name"], it["escalation_contact"]) == ("Platform Team", "platform-team@254carbon.com")
    assert it["due"] == pd.Timestamp("2025-11-09", tz="UTC")
    assert it["automation"] == "approval"
    reason = it["automation_reason"]
    assert "config/upgrade-policies.yaml auto_upgrade.minor.enabled: true" in reason
    assert '"Automatic minor version upgrades for new features and enhancements"' in reason
    assert "gateway's quality score 100 >= 80" in reason
    assert it["issue_ids"] == (drift_issue_id("gateway", "spec_minor_lag", "gateway-core"),)
    assert it["update_type"] == "minor" and it["team"] == "access"


@pytest.mark.upstream
def test_upstream_gateway_manifest_diff_changes_exactly_the_one_line(upstream_plan):
    it = upstream_plan.items.set_index("subject").loc["gateway-core"]
    diff = it["manifest_diff"].splitlines()
    assert diff[:2] == ["--- a/service_gateway/service-manifest.yaml", "+++ b/service_gateway/service-manifest.yaml"]
    removed = [line for line in diff[2:] if line.startswith("-")]
    added = [line for line in diff[2:] if line.startswith("+")]
    assert removed == ["-- gateway-core@1.0.0"] and added == ["+- gateway-core@1.2.0"]
    # applying the hunk to the real manifest changes that line and nothing else
    original = (UPSTREAM / "manifests" / "collected" / "gateway.yaml").read_text().splitlines()
    changed = [line.replace("gateway-core@1.0.0", "gateway-core@1.2.0") for line in original]
    assert sum(a != b for a, b in zip(original, changed, strict=True)) == 1
    assert original[original.index("api_contracts:") + 1] == "- gateway-core@1.0.0"
    assert json.loads(it["proposed_lock"])["dependencies"] == {
        "gateway-core": {"version": "1.2.0", "resolved_at": "2025-10-10T00:00:00Z"}
    }


@pytest.mark.upstream
def test_upstream_plan_json_is_byte_identical_and_has_the_item_fields():
    if not UPSTREAM.is_dir():
        pytest.skip(f"real upstream artifacts not found at {UPSTREAM}")
    args = ["plan", "--workspace", str(UPSTREAM), "--as-of", AS_OF, "--format", "json"]
    first = CliRunner().invoke(cli.main, args)
    second = CliRunner().invoke(cli.main, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    payload = json.loads(first.output)
    need = {
        "id",
        "service",
        "issue_ids",
        "severity",
        "escalation",
        "team",
        "due",
        "automation",
        "current",
        "target",
        "wave",
        "steps",
        "commands",
    }
    assert all(need <= set(item) for item in payload["items"])
    gw = next(i for i in payload["items"] if i["subject"] == "gateway-core")
    assert (gw["due"], gw["escalation"], gw["wave"]) == ("2025-11-09", "L2", 2)
    assert [s["phase"] for s in gw["steps"]] == [
        "Assessment",
        "Planning",
        "Implementation",
        "Testing",
        "Deployment",
        "Monitoring",
    ]
    assert "python -m pytest tests/" in gw["commands"]
    assert gw["rollback"]["commands"][-1] == "kubectl set image deployment/gateway gateway=gateway:0.1.0"
    assert payload["summary"]["by_escalation"]["L2"]["items"] == 14  # 11 events, 2 missing services, 1 pin


def test_grouping_exemption_and_severity_floor():
    services = _services("a", "b")
    issues = rec(
        DRIFT_ISSUES,
        [
            _issue("a", "spec_minor_lag", "medium", "api", current="1.0.0", expected="1.2.0"),
            _issue("a", "lock_mismatch", "medium", "api", current="0.9.0", expected="1.0.0"),
            _issue("a", "unknown_event", "medium", "x.y.z.v1"),
            _issue("a", "unknown_event", "medium", "x.y.w.v1"),
            _issue("a", "dangling_dependency", "medium", "ghost"),
            _issue("b", "version_staleness", "low", exempt=True),
            _issue("b", "spec_patch_lag", "low", "api", current="1.0.0", expected="1.0.1"),
        ],
    )
    contracts = rec(CONTRACTS, [_pin("a", "api", "1.0.0"), _pin("b", "api", "1.0.0")])
    specs = rec(SPEC_VERSIONS, _spec("api", ("1.0.0", ""), ("1.0.1", "bugfix"), ("1.2.0", "feature")))
    inputs = PlanInputs(
        issues, services, contracts=contracts, spec_versions=specs, quality=pd.Series({"a": 90, "b": 90})
    )
    plan = build_plan(inputs, as_of=AS_OF)
    got = sorted((r.service, r.action, len(r.issue_ids)) for r in plan.items.itertuples())
    assert got == [
        ("a", "fix_dependency", 1),
        ("a", "register_events", 1),  # one item per unregistered event (its root cause), not per service
        ("a", "register_events", 1),
        ("a", "upgrade_spec", 2),
        ("b", "upgrade_spec", 1),
    ]
    assert plan.summary["issues_exempt"] == 1
    floor = build_plan(inputs, as_of=AS_OF, severity_floor="medium")
    assert set(floor.items["service"]) == {"a"} and floor.summary["issues_below_floor"] == 1
    with pytest.raises(ParameterError, match="severity_floor 'urgent'"):
        build_plan(inputs, as_of=AS_OF, severity_floor="urgent")
    with pytest.raises(UnknownServiceError):
        build_plan(inputs, as_of=AS_OF, service="nope")


def test_due_dates_follow_the_response_days_and_are_configurable():
    services = _services("a", "b", "c")
    issues = rec(
        DRIFT_ISSUES,
        [
            _issue("a", "missing_lock", "high"),
            _issue("b", "unknown_event", "medium", "e.f.g.v1"),
            _issue("c", "spec_patch_lag", "low", "api", current="1.0.0", expected="1.0.1"),
        ],
    )
    plan = build_plan(PlanInputs(issues, services), as_of=AS_OF)
    due = dict(zip(plan.items["service"], plan.items["due"].dt.strftime("%Y-%m-%d"), strict=True))
    assert due == {"a": "2025-10-17", "b": "2025-11-09", "c": "2025-10-24"}
    levels = dict(zip(plan.items["service"], plan.items["escalation"], strict=True))
    assert levels == {"a": "L3", "b": "L2", "c": "L1"}
    quick = PlanPolicy(response_days={"high": 1, "medium": 2, "low": 3})
    plan = build_plan(PlanInputs(issues, services), as_of=AS_OF, policy=quick)
    assert sorted(plan.items["due"].dt.day) == [11, 12, 13]


def test_missing_lock_is_manual_with_a_proposed_lock():
    services = _services("a")
    contracts = rec(CONTRACTS, [_pin("a", "api", "1.0.0"), _pin("a", "auth-spec", "3.0.0")])
    issues = rec(DRIFT_ISSUES, [_issue("a", "missing_lock", "high")])
    plan = build_plan(PlanInputs(issues, services, contracts=contracts), as_of=AS_OF)
    it = plan.items.iloc[0]
    assert it["automation"] == "manual" and "must be checked" in it["automation_reason"]
    lock = json.loads(it["proposed_lock"])
    assert lock == {
        "version": "1.0",
        "dependencies": {
            "api": {"version": "1.0.0", "resolved_at": "2025-10-10T00:00:00Z"},
            "auth-spec": {"version": "3.0.0", "resolved_at": "2025-10-10T00:00:00Z"},
        },
    }


# --- Markdown -------------------------------------------------------------------------------------------


def _walk(tokens):
    for t in tokens:
        yield t
        yield from _walk(t.get("children", []))


def test_markdown_checklists_render_as_valid_github_markdown_with_escaped_input():
    services = _services("pay_svc", "auth", pay_svc={"team": "t|<script>alert(1)</script>"})
    contracts = rec(CONTRACTS, [_pin("pay_svc", "api", "1.0.0")])
    specs = rec(SPEC_VERSIONS, _spec("api", ("1.0.0", ""), ("1.1.0", "feature")))
    issues = rec(
        DRIFT_ISSUES,
        [
            _issue(
                "pay_svc",
                "spec_minor_lag",
                "medium",
                "api",
                current="1.0.0",
                expected="1.1.0",
                reason="pins *api* [click](http://evil) `x`",
            ),
            _issue("pay_svc", "unknown_event", "medium", "a.b.c.v1", reason="# heading? <img src=x onerror=y>"),
            _issue("auth", "missing_lock", "high"),
        ],
    )
    manifest = "name: pay_svc\napi_contracts:\n- api@1.0.0\nnote: '```'\n"
    inputs = PlanInputs(
        issues,
        services,
        contracts=contracts,
        spec_versions=specs,
        quality=pd.Series({"pay_svc": 95, "auth": 95}),
        manifests={"pay_svc": ("manifests/collected/pay_svc.yaml", manifest)},
    )
    plan = build_plan(inputs, as_of=AS_OF)
    md = plan_markdown(plan)
    tokens = mistune.create_markdown(renderer="ast", plugins=["task_lists"])(md)
    headings = [
        (t["attrs"]["level"], "".join(c.get("raw", "") for c in t["children"]))
        for t in tokens
        if t["type"] == "heading"
    ]
    assert headings[0] == (1, "Remediation plan as of 2025-10-10")
    assert [h for h in headings if h[0] == 2] == [
        (2, "auth (team core)"),
        (2, "pay_svc (team t|&lt;script&gt;alert(1)&lt;/script&gt;)"),
    ]
    assert sum(1 for h in headings if h[0] == 3) == len(plan.items) == 3
    all_tokens = list(_walk(tokens))
    assert not [t for t in all_tokens if t["type"] in ("inline_html", "block_html", "link", "image", "codespan")]
    tasks = [t for t in all_tokens if t["type"] == "task_list_item"]
    assert len(tasks) == md.count("\n- [ ] ") and all(t["attrs"]["checked"] is False for t in tasks)
    code = [t for t in tokens if t["type"] == "block_code"]
    blocks = sum(len(p["blocks"]) for steps in plan.steps.values() for p in steps) + len(plan.rollback)
    assert len(code) == blocks
    diff = next(t for t in code if t["attrs"]["info"] == "diff")
    assert diff["raw"] == plan.items.set_index("subject").loc["api", "manifest_diff"]
    # every fence line closes: an even number of fence markers of each length
    fences = re.findall(r"^(`{3,})", md, flags=re.M)
    assert all(fences.count(f) % 2 == 0 for f in set(fences))
    assert "<script>" not in md and "<img" not in md
    assert "\\[click\\](http://evil)" in md and "&lt;img src=x onerror=y&gt;" in md


def test_item_names_its_nearest_dependents_and_counts_them_all():
    # a 30-service chain owned by three teams: s00 is depended on by all 29 others
    names = [f"s{i:02d}" for i in range(30)]
    services = _services(*names, **{n: {"team": "tx" if n == "s00" else f"t{i % 3}"} for i, n in enumerate(names)})
    G = _graph(services, [(names[i + 1], names[i]) for i in range(29)])
    issues = rec(DRIFT_ISSUES, [_issue("s00", "version_staleness", "medium")])
    plan = build_plan(PlanInputs(issues, services, graph=G), as_of=AS_OF, policy=PlanPolicy(dependents_listed=4))
    item = plan.items.iloc[0]
    assert int(item["blast_radius"]) == 29
    assert item["dependents"] == ("s01", "s02", "s03", "s04")
    assert item["weighted_blast_radius"] == m.analyse_impact(G, "service:s00").summary["weighted_blast_radius"]
    testing = next(p for p in plan.steps[item["id"]] if p["phase"] == "Planning")["lines"]
    unit = next(line for line in testing if line.startswith("Unit tests: "))
    assert unit.startswith("Unit tests: s00, s01, s02, s03, s04, and 25 more (every dependent: meta254 impact")
    assert "--change service:s00" in unit
    assert "Integration tests: s00, s01" in testing
    assert "Contract tests (direct dependents across an event or contract): none" in testing
    # the team of the direct dependent runs the integration and contract tests; teams further away do not
    comms = plan.communications[plan.communications["role"] == "dependent"]
    assert comms[["audience", "services"]].values.tolist() == [["t1", ("s01",)]]
    assert "depend directly on what changes (s01); run your integration" in comms.iloc[0]["message"]
    with pytest.raises(ParameterError, match="dependents_listed"):
        PlanPolicy(dependents_listed=-1)


def test_dependent_teams_are_those_of_all_direct_dependents_and_lists_are_capped():
    # hub has 12 direct dependents over two teams; a far dependent of one of them is not notified
    leaves = [f"d{i:02d}" for i in range(12)]
    teams = {d: {"team": "ta" if i % 2 else "tb"} for i, d in enumerate(leaves)}
    services = _services("hub", *leaves, "far", **teams, far={"team": "tc"})
    G = _graph(services, [(d, "hub") for d in leaves] + [("far", "d00")])
    issues = rec(DRIFT_ISSUES, [_issue("hub", "version_staleness", "medium")])
    plan = build_plan(PlanInputs(issues, services, graph=G), as_of=AS_OF, policy=PlanPolicy(dependents_listed=3))
    comms = plan.communications[plan.communications["role"] == "dependent"]
    assert comms["audience"].tolist() == ["ta", "tb"]
    assert comms.iloc[0]["services"] == ("d01", "d03", "d05", "d07", "d09", "d11")
    assert "(d01, d03, d05, and 3 more)" in comms.iloc[0]["message"]
    item = plan.items.iloc[0]
    assert int(item["blast_radius"]) == 13 and item["dependents"] == ("d00", "d01", "d02")
    planning = next(p for p in plan.steps[item["id"]] if p["phase"] == "Planning")["lines"]
    assert "Integration tests: hub, d00, d01, d02, and 9 more" in planning
    with pytest.raises(ParameterError, match="dependents_listed"):
        PlanPolicy(dependents_listed=-1)


def test_burndown_expected_quality_rescored_each_week_with_the_fixed_issues_removed():
    from meta254lib.quality.scores import score_history

    names = [f"s{i}" for i in range(8)]
    services = _services(*names)
    # s0 and s1 carry two issues each (two items: staleness and an unknown event), the rest one
    rows = [_issue(n, "version_staleness", "medium") for n in names]
    rows += [_issue(n, "unknown_event", "low", subject=f"ev.{n}") for n in ("s0", "s1")]
    issues = rec(DRIFT_ISSUES, rows)
    metrics = pd.DataFrame(
        {
            "service": names,
            "maturity": ["stable", "beta"] * 4,
            "coverage": [0.9, 0.5, 0.7, 0.8, 0.6, 0.95, 0.4, 0.85],
            "deployment_freshness_days": [3.0] * 8,
            "snapshot_time": pd.Timestamp("2025-10-06", tz="UTC"),
        }
    )
    policy = PlanPolicy(max_concurrent_prs=1)
    plan = build_plan(PlanInputs(issues, services, quality_metrics=metrics), as_of=AS_OF, policy=policy)
    bd = plan.burndown
    # the reference: for each week, every service rescored with the issues still open at its end
    fixed = {}
    for it in plan.items.to_dict("records"):
        for i in it["issue_ids"]:
            fixed[i] = it["scheduled"] + pd.Timedelta(days=1)
    assert len(set(fixed.values())) > 3  # the fixes are spread over several weeks
    for week in bd.itertuples(index=False):
        open_ = issues[[not (i in fixed and fixed[i] <= week.week_end) for i in issues["id"]]]
        counts = open_.groupby("service").size()
        frame = metrics.assign(drift_issues=metrics["service"].map(counts).fillna(0).astype("int64"))
        want = score_history(frame.drop(columns="snapshot_time"), missing_inputs=False)["score"].astype(int)
        assert week.services_scored == 8
        assert week.expected_quality == round(want.mean(), 2)
        assert week.expected_quality_min == want.min()
    assert bd["expected_quality"].iloc[-1] > bd["expected_quality"].iloc[0]
