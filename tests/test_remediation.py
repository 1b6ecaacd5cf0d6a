"""Remediation plans: upstream oracle, grouping, targets, automation, waves, schedule, Markdown, CLI, progress."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import mistune
import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE, UPSTREAM, svc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import meta254lib as m
from meta254lib.cli import main as cli
from meta254lib.core.errors import InputError, ParameterError, UnknownServiceError
from meta254lib.core.ids import drift_issue_id
from meta254lib.core.schema import (
    ADVISORIES,
    CONTRACTS,
    DEPENDENCIES,
    DRIFT_HISTORY,
    DRIFT_ISSUES,
    PLAN_ITEMS,
    SERVICES,
    SPEC_VERSIONS,
)
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.core.versions import parse_version
from meta254lib.drift.engine import DriftInputs, detect_drift
from meta254lib.remediation.plan import (
    PlanInputs,
    PlanPolicy,
    build_plan,
    lowest_fixed_version,
    manifest_diff,
    plan_policy_from_config,
    policy_target,
    runtime_commands,
    track_progress,
)
from meta254lib.views.plan import plan_markdown

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "remediation_plan.ipynb"
AS_OF = "2025-10-10"  # a Friday


# --- tiny inline inputs ------------------------------------------------------------------------------


def _services(*names: str, **per: dict) -> pd.DataFrame:
    rows = []
    for n in names:
        row = {
            "service": n,
            "team": "core",
            "team_contact": "core@example.com",
            "version": "0.3.0",
            "maturity": "stable",
            "runtime": "python",
            "coverage": 0.85,
            "domain": "access",
            "last_update": "2025-10-01",
        }
        row.update(per.get(n, {}))
        rows.append(row)
    return rec(SERVICES, rows)


def _issue(service: str, type_: str, severity: str, subject: str = "", **kw) -> dict:
    return {
        "id": drift_issue_id(service, type_, subject),
        "service": service,
        "team": kw.pop("team", "core"),
        "type": type_,
        "severity": severity,
        "category": kw.pop("category", ""),
        "subject": subject,
        "current": kw.pop("current", ""),
        "expected": kw.pop("expected", ""),
        "reason": kw.pop("reason", f"{type_} on {service}"),
        "advisory_ids": kw.pop("advisory_ids", ""),
        "exempt": kw.pop("exempt", False),
        "as_of": AS_OF,
        **kw,
    }


def _graph(services: pd.DataFrame, edges=()) -> nx.DiGraph:
    G = nx.DiGraph()
    for r in services.to_dict("records"):
        G.add_node(r["service"], team=r["team"], maturity=r["maturity"], domain=r["domain"], contracts=(), externals=())
    for a, b in edges:
        G.add_edge(a, b, relation="depends_on", relations=("depends_on",))
    return G


def _spec(spec: str, *versions: tuple[str, str]) -> list[dict]:
    out = []
    for i, (v, tags) in enumerate(versions):
        p = parse_version(v)
        out.append(
            {
                "spec": spec,
                "version": v,
                "major": p.major,
                "minor": p.minor,
                "patch": p.patch,
                "changes": tags,
                "is_latest": i == len(versions) - 1,
            }
        )
    return out


def _pin(service: str, spec: str, version: str) -> dict:
    p = parse_version(version)
    return {
        "service": service,
        "spec": spec,
        "version": version,
        "major": p.major,
        "minor": p.minor,
        "patch": p.patch,
        "valid": True,
        "raw": f"{spec}@{version}",
    }


def _plan_from(services, contracts=(), specs=(), *, quality=None, deps=(), advisories=None, **kw):
    c = rec(CONTRACTS, list(contracts))
    sv = rec(SPEC_VERSIONS, list(specs)) if specs else None
    d = rec(DEPENDENCIES, list(deps))
    adv = rec(ADVISORIES, advisories) if advisories is not None else None
    issues = detect_drift(
        DriftInputs(services, contracts=c, dependencies=d, spec_versions=sv, advisories=adv), as_of=AS_OF
    ).issues
    inputs = PlanInputs(
        issues=issues,
        services=services,
        graph=kw.pop("graph", None),
        contracts=c,
        spec_versions=sv,
        advisories=adv,
        quality=pd.Series(quality if quality is not None else dict.fromkeys(services["service"], 90)),
        manifests=kw.pop("manifests", {}),
    )
    return build_plan(inputs, as_of=AS_OF, **kw)


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
    assert payload["summary"]["by_escalation"]["L2"]["items"] == 18


# --- security targets ---------------------------------------------------------------------------------


def _adv(aid: str, package: str, *intervals, versions=(), severity="high", epss=None, ecosystem="PyPI"):
    fixed = ",".join(f for _, f, _ in intervals if f)
    return {
        "advisory_id": aid,
        "package": package,
        "ecosystem": ecosystem,
        "severity": severity,
        "epss": epss,
        "intervals": tuple(intervals),
        "versions": tuple(versions),
        "fixed": fixed,
    }


OVERLAPPING = [
    _adv("A", "curves-api", ("2.0.0", "2.2.0", "")),
    _adv("B", "curves-api", ("2.1.5", "2.3.1", "")),
    _adv("C", "curves-api", ("0", "2.1.1", "")),
    _adv("D", "curves-api", ("3.0.0", "3.0.2", "")),
]


def test_lowest_fixed_version_across_overlapping_ranges():
    # 2.1.1 fixes C but is in A; 2.2.0 fixes A but is in B (which starts above the pin); 2.3.1 is clean
    assert lowest_fixed_version("2.1.0", OVERLAPPING)[0] == "2.3.1"
    assert lowest_fixed_version("2.1.0", OVERLAPPING, known_versions=["2.2.5", "2.3.1", "2.4.0"])[0] == "2.3.1"
    assert lowest_fixed_version("2.0.5", OVERLAPPING[:1] + OVERLAPPING[2:])[0] == "2.2.0"
    listed = [_adv("E", "x", versions=("1.0.0", "1.0.1")), _adv("F", "x", ("1.0.0", "1.0.2", ""))]
    assert lowest_fixed_version("1.0.0", listed, known_versions=["1.0.1", "1.0.2", "1.0.3"])[0] == "1.0.2"
    assert lowest_fixed_version("3.4", [_adv("K", "kafka", ("3.4.0", "", "3.4.1"))]) == (
        "",
        "no fixed version published for K (last affected 3.4.1)",
    )


def test_security_item_targets_the_lowest_fix_and_is_scheduled_at_as_of():
    services = _services("pricing")
    contracts = [_pin("pricing", "curves-api", "2.1.0")]
    specs = _spec("curves-api", ("2.1.0", ""), ("2.2.0", ""), ("2.3.1", "bugfix"), ("2.4.0", "feature"))
    plan = _plan_from(services, contracts, specs, advisories=OVERLAPPING)
    sec = plan.items[plan.items["security"]]
    assert len(sec) == 1
    it = sec.iloc[0]
    assert (it["action"], it["current"], it["target"], it["update_type"]) == ("security_fix", "2.1.0", "2.3.1", "minor")
    assert it["alternative"] == "2.4.0 (latest registry version; not needed for the fix)"
    assert it["scheduled"] == pd.Timestamp(AS_OF, tz="UTC") and it["batch"] == "SEC-1"
    assert it["escalation"] == "L3" and it["exposure"] == 0.75
    # the lag of the same pin is a separate item: security is never held back by grouping
    lag = plan.items[plan.items["action"] == "upgrade_spec"]
    assert len(lag) == 1 and lag.iloc[0]["target"] == "2.4.0"
    # PyPI advisory on a python service: the runtime commands
    assert it["commands"][:2] == ("pip install --upgrade curves-api==2.3.1", "pip freeze > requirements.txt")


def test_security_lag_and_advisory_on_one_pin_are_one_security_item():
    services = _services("pricing")
    specs = _spec("curves-api", ("2.1.0", ""), ("2.3.1", "security"), ("2.4.0", "feature"))
    plan = _plan_from(services, [_pin("pricing", "curves-api", "2.1.0")], specs, advisories=OVERLAPPING)
    assert len(plan.items) == 1
    it = plan.items.iloc[0]
    assert it["issue_types"] == ("security_lag", "vulnerable_dependency") and it["target"] == "2.3.1"
    # the lag to 2.4.0 stays open after the fix: the burn-down keeps it
    assert plan.burndown["backlog"].tolist()[:2] == [2, 1]


def test_external_security_fix_edits_the_external_line_and_uses_epss():
    services = _services("web", web={"runtime": "nodejs"})
    deps = [
        {
            "service": "web",
            "target": "lodash",
            "name": "lodash",
            "kind": "external",
            "version": "4.17.20",
            "resolves": None,
            "misfiled": False,
            "raw": "lodash@4.17.20",
        }
    ]
    advs = [
        _adv("G1", "lodash", ("0", "4.17.21", ""), ecosystem="npm", epss=0.2),
        _adv("G2", "lodash", ("4.17.0", "4.17.22", ""), ecosystem="npm", epss=0.5),
    ]
    text = "name: web\ndependencies:\n  internal: []\n  external:\n  - lodash@4.17.20\n  - redis\nversion: 0.3.0\n"
    plan = _plan_from(services, deps=deps, advisories=advs, manifests={"web": ("manifests/collected/web.yaml", text)})
    it = plan.items.iloc[0]
    assert (it["target"], it["automation"]) == ("4.17.22", "automated")
    assert it["exposure"] == 0.6  # 1 - (1 - 0.2)(1 - 0.5)
    assert it["commands"][:2] == ("npm install lodash@4.17.22", "npm audit fix")
    changed = [line for line in it["manifest_diff"].splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-  - lodash@4.17.20", "+  - lodash@4.17.22"]


@pytest.mark.parametrize(
    ("runtime", "eco", "expected"),
    [
        ("python", "PyPI", ("pip install --upgrade pkg==1.2.3", "pip freeze > requirements.txt")),
        ("nodejs", "npm", ("npm install pkg@1.2.3", "npm audit fix")),
        ("go", "Go", ("go get pkg@v1.2.3", "go mod tidy")),
        (
            "java",
            "Maven",
            (
                "mvn versions:use-dep-version -Dincludes=pkg -DdepVersion=1.2.3 -DforceVersion=true",
                "mvn dependency:tree -Dincludes=pkg",
            ),
        ),
        ("python", "Bitnami", ()),
        ("python", "", ()),
    ],
)
def test_runtime_commands(runtime, eco, expected):
    assert runtime_commands(runtime, eco, "pkg", "1.2.3")[0] == expected


# --- targets, grouping, automation ---------------------------------------------------------------------


def test_policy_target_takes_the_latest_automatic_version_and_shows_the_alternative():
    assert policy_target("1.0.0", ["1.0.1", "1.3.0", "2.0.0"]) == (
        "1.3.0",
        "2.0.0 (latest; major: auto_upgrade.major.enabled is false)",
        "latest version the upgrade policy upgrades automatically (minor)",
    )
    no_minor = PlanPolicy(auto_enabled={"patch": True, "minor": False, "major": False})
    assert policy_target("1.0.0", ["1.0.1", "1.3.0"], no_minor)[:2] == (
        "1.0.1",
        "1.3.0 (latest; minor: auto_upgrade.minor.enabled is false)",
    )
    # deprecated/removed and pre-release versions are never targets
    assert policy_target("1.0.0", [("1.1.0", (), True), "1.2.0-rc.1", "1.0.2"])[0] == "1.0.2"


@pytest.mark.parametrize(
    ("pinned", "versions", "quality", "automation", "update_type"),
    [
        ("1.0.0", [("1.0.0", ""), ("1.0.3", "bugfix")], 75, "automated", "patch"),
        ("1.0.0", [("1.0.0", ""), ("1.0.3", "bugfix")], 65, "manual", "patch"),
        ("1.0.0", [("1.0.0", ""), ("1.3.0", "feature")], 85, "approval", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.3.0", "feature")], 75, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.4.0", "feature")], 95, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.1.0", "breaking")], 95, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("2.0.0", "breaking")], 95, "manual", "major"),
    ],
)
def test_automation_classes(pinned, versions, quality, automation, update_type):
    services = _services("a")
    plan = _plan_from(services, [_pin("a", "api", pinned)], _spec("api", *versions), quality={"a": quality})
    it = plan.items.iloc[0]
    assert (it["automation"], it["update_type"]) == (automation, update_type)
    assert it["automation_reason"].startswith(automation + ":")


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
        ("a", "register_events", 2),
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


def test_manifest_diff_shapes():
    flow = "name: a\napi_contracts: [x@1.0.0, 'y@2.0.0']\n"
    assert manifest_diff(flow, "api_contracts", "y@2.0.0", "y@2.1.0").splitlines()[-2:] == [
        "-api_contracts: [x@1.0.0, 'y@2.0.0']",
        "+api_contracts: [x@1.0.0, 'y@2.1.0']",
    ]
    nested = "dependencies:\n  internal:\n  - redis@7.0\n  external:\n    - redis@7.0  # cache\nx: 1\n"
    lines = manifest_diff(nested, "dependencies.external", "redis@7.0", "redis@7.0.16").splitlines()
    assert [line for line in lines[2:] if line[:1] in "+-"] == [
        "-    - redis@7.0  # cache",
        "+    - redis@7.0.16  # cache",
    ]
    # an entry of another list is never edited
    assert (
        manifest_diff(
            "events_in:\n- gateway-core@1.0.0\napi_contracts: []\n", "api_contracts", "gateway-core@1.0.0", "x"
        )
        == ""
    )


# --- policy ---------------------------------------------------------------------------------------------


def test_policy_reads_enabled_of_the_auto_upgrade_mappings():
    doc = {
        "auto_upgrade": {"patch": {"enabled": False}, "minor": {"enabled": True, "max_services_per_pr": 2}},
        "scheduling": {
            "allowed_days": [1, 3],
            "max_concurrent_prs": 1,
            "business_hours": {"start": "08:00", "end": "12:00"},
        },
        "maintenance_windows": {
            "windows": [{"name": "Night", "cron": "0 9-11 * * 3", "blocked_operations": ["major_upgrades"]}]
        },
        "notifications": {"channels": {"auto_upgrades": "#up"}},
    }
    p = plan_policy_from_config(doc)
    assert (p.auto_enabled["patch"], p.auto_enabled["minor"], p.auto_enabled["major"]) == (False, True, False)
    assert (p.max_services_per_pr["minor"], p.allowed_days, p.max_concurrent_prs) == (2, (1, 3), 1)
    assert p.business_hours == (8, 12) and p.channels == {"auto_upgrades": "#up"}
    assert p.windows[0].blocks("major_upgrades", pd.Timestamp("2025-10-15 10:00"))
    with pytest.raises(InputError, match=r"auto_upgrade.minor.enabled: expected true or false"):
        plan_policy_from_config({"auto_upgrade": {"minor": {"enabled": "yes"}}})
    with pytest.raises(InputError, match=r"maintenance_windows.windows\[0\].cron"):
        plan_policy_from_config({"maintenance_windows": {"windows": [{"cron": "every day"}]}})


def test_schedule_respects_allowed_days_pr_limits_windows_and_batches():
    names = [f"s{i}" for i in range(7)]
    services = _services(*names)
    contracts = [_pin(n, "api", "1.0.0") for n in names] + [_pin("s6", "big", "1.0.0")]
    specs = _spec("api", ("1.0.0", ""), ("1.1.0", "feature")) + _spec("big", ("1.0.0", ""), ("2.0.0", "breaking"))
    policy = plan_policy_from_config(
        {
            "auto_upgrade": {"minor": {"enabled": True, "max_services_per_pr": 3}},
            "scheduling": {"allowed_days": [1, 2, 3, 4, 5], "max_concurrent_prs": 2},
            "maintenance_windows": {
                "windows": [
                    {"name": "Business Hours", "cron": "0 9-17 * * 1-5", "blocked_operations": ["major_upgrades"]}
                ]
            },
        }
    )
    plan = _plan_from(services, contracts, specs, policy=policy)
    items = plan.items
    minor = items[items["update_type"] == "minor"]
    sizes = sorted(minor.groupby("batch").size().tolist())
    assert sizes == [1, 3, 3]  # seven services, at most three per pull request
    per_day = items.groupby("scheduled")["batch"].nunique()
    assert per_day.max() <= 2
    assert all(d.weekday() < 5 for d in items["scheduled"])
    # 2025-10-10 is a Friday: two batches then, the third on Monday
    assert sorted(per_day.index.strftime("%Y-%m-%d")) == ["2025-10-10", "2025-10-13"]
    major = items[items["update_type"] == "major"].iloc[0]
    assert major["automation"] == "manual" and "outside business hours" in major["window"]
    assert major["window"].startswith("00:00–09:00, 18:00–24:00 UTC")


# --- waves ----------------------------------------------------------------------------------------------


def test_waves_put_providers_first_and_cycles_together():
    services = _services("auth", "gateway", "etl", "x", "y")
    G = _graph(services, [("gateway", "auth"), ("etl", "gateway"), ("x", "y"), ("y", "x"), ("x", "etl")])
    issues = rec(DRIFT_ISSUES, [_issue(s, "version_staleness", "medium") for s in ("auth", "etl", "x", "y")])
    plan = build_plan(PlanInputs(issues, services, graph=G), as_of=AS_OF)
    waves = dict(zip(plan.items["service"], plan.items["wave"], strict=True))
    assert waves == {"auth": 1, "etl": 2, "x": 3, "y": 3}  # gateway (not planned) still orders auth before etl
    assert plan.waves["cycle"].tolist() == [False, False, True]
    assert plan.warnings[0].startswith("wave 3: cycle x ↔ y")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=2, max_value=8),
    edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=14),
    planned=st.lists(st.integers(0, 7), min_size=1, max_size=8),
)
def test_property_provider_wave_before_consumer_unless_on_a_cycle(n, edges, planned):
    names = [f"s{i}" for i in range(n)]
    services = _services(*names)
    pairs = {(f"s{a}", f"s{b}") for a, b in edges if a < n and b < n and a != b}
    G = _graph(services, sorted(pairs))
    chosen = sorted({f"s{i}" for i in planned if i < n}) or ["s0"]
    issues = rec(DRIFT_ISSUES, [_issue(s, "version_staleness", "medium") for s in chosen])
    plan = build_plan(PlanInputs(issues, services, graph=G), as_of=AS_OF)
    wave = dict(zip(plan.items["service"], plan.items["wave"], strict=True))
    assert set(wave) == set(chosen)
    for a in chosen:
        for b in chosen:
            if a != b and nx.has_path(G, a, b):  # a depends on b, directly or through others
                if nx.has_path(G, b, a):
                    assert wave[a] == wave[b]
                else:
                    assert wave[b] < wave[a]


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


# --- progress -------------------------------------------------------------------------------------------


def test_progress_done_overdue_and_came_back():
    services = _services("a", "b", "c")
    first = [
        _issue("a", "version_staleness", "high"),
        _issue("b", "unknown_event", "medium", "e.f.g.v1"),
        _issue("c", "spec_patch_lag", "low", "api", current="1.0.0", expected="1.0.1"),
    ]
    plan = build_plan(PlanInputs(rec(DRIFT_ISSUES, first), services), as_of=AS_OF)
    ids = {r["service"]: r["id"] for r in first}
    later_time = "2025-10-25"
    # a is fixed; b is still open (due 2025-11-09); c (due 2025-10-24) was gone on the 15th and is back
    history = rec(
        DRIFT_HISTORY,
        [
            {"report": "r1", "report_time": "2025-10-15", "issue_id": ids["b"], "service": "b"},
            *[{"report": "r2", "report_time": later_time, "issue_id": ids[s], "service": s} for s in ("b", "c")],
            {
                "report": "r2",
                "report_time": later_time,
                "issue_id": "DRIFT-new",
                "service": "c",
                "type": "x",
                "severity": "low",
            },
        ],
    )
    result = track_progress(plan, history)
    status = dict(zip(result.items["service"], result.items["status"], strict=True))
    assert status == {"a": "done", "b": "open", "c": "overdue"}
    assert result.items.set_index("service").loc["c", "days_overdue"] == 1
    assert result.summary["came_back"] == [ids["c"]]
    assert result.new_issues["id"].tolist() == ["DRIFT-new"]
    # the JSON written by the CLI reads back the same
    payload = json.loads(plan.to_json())
    again = track_progress(payload, history)
    assert again.items["status"].tolist() == result.items["status"].tolist()


def test_progress_reports_overdue_days_from_a_drift_run():
    services = _services("a")
    issue = _issue("a", "missing_lock", "high")
    plan = build_plan(PlanInputs(rec(DRIFT_ISSUES, [issue]), services), as_of=AS_OF)
    later = rec(DRIFT_ISSUES, [{**issue, "as_of": "2025-10-21", "detected_at": "2025-10-01"}])
    result = track_progress(plan, later)
    assert result.items.loc[0, "status"] == "overdue" and result.items.loc[0, "days_overdue"] == 4
    assert result.summary["came_back"] == []


# --- workspace, CLI and notebook ------------------------------------------------------------------------


@pytest.fixture
def tiny_ws(make_ws):
    return make_ws(
        services=[
            svc("auth", team="access", api_contracts=["auth-spec@3.0.0"]),
            svc(
                "gateway",
                team="access",
                api_contracts=["auth-spec@3.0.0"],
                dependencies={"internal": ["auth"], "external": ["redis@7.0"]},
            ),
            svc("etl", team="data", dependencies={"internal": ["gateway"], "external": []}),
        ],
        files={
            "config/specs-index.json": {
                "auth-spec": {
                    "versions": [
                        {"version": "3.0.0", "release_date": "2025-01-01", "changes": ["feature"]},
                        {"version": "3.0.2", "release_date": "2025-06-01", "changes": ["bugfix"]},
                    ]
                }
            },
            "advisories/redis.json": {
                "id": "R-1",
                "affected": [
                    {
                        "package": {"name": "redis", "ecosystem": "Bitnami"},
                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "7.0.0"}, {"fixed": "7.0.16"}]}],
                    }
                ],
                "database_specific": {"severity": "HIGH"},
            },
            "manifests/collected/gateway.yaml": svc(
                "gateway",
                api_contracts=["auth-spec@3.0.0"],
                dependencies={"internal": ["auth"], "external": ["redis@7.0"]},
            ),
            "catalog/latest_quality_snapshot.json": {
                "metadata": {"generated_at": "2025-10-09T00:00:00+00:00"},
                "services": {
                    name: {
                        "score": score,
                        "maturity": "stable",
                        "metrics": {"coverage": cov, "critical_vulns": 0, "deployment_freshness_days": 2},
                    }
                    for name, score, cov in (("auth", 100, 0.9), ("gateway", 100, 0.8), ("etl", 70, 0.3))
                },
            },
            "config/teams.yaml": {
                "teams": {
                    "access": {"services": ["auth", "gateway"], "contact": "a@x.org"},
                    "data": {"services": ["etl"], "slack": "#data"},
                },
                "escalation": {"L1": {"name": "Owners", "contact": "owners@x.org"}},
            },
        },
    )


def test_cli_formats_and_filters(tiny_ws):
    run = CliRunner()
    table = run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--team", "access"])
    assert table.exit_code == 0, table.output
    assert table.output.startswith("Remediation plan as of 2025-10-10: 3 item(s) for 2 service(s)")
    payload = json.loads(run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--format", "json"]).output)
    by = {(i["service"], i["subject"]): i for i in payload["items"]}
    patch = by[("auth", "auth-spec")]
    assert (patch["target"], patch["automation"], patch["escalation_name"]) == ("3.0.2", "automated", "Owners")
    sec = by[("gateway", "redis")]
    assert (sec["target"], sec["security"], sec["due"]) == ("7.0.16", True, "2025-10-17")
    implementation = sec["steps"][2]["lines"]
    assert (
        implementation[-1]
        == "Ecosystem Bitnami is not a python package ecosystem: upgrade redis to 7.0.16 where it is deployed"
    )
    assert not any(c.startswith("pip install") for c in sec["commands"])  # Bitnami: no pip command
    assert [i["wave"] for i in payload["items"]] == sorted(i["wave"] for i in payload["items"])
    text = run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--format", "csv", "--service", "auth"]).output
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(PLAN_ITEMS.columns) and len(rows) == 2
    assert rows[1][rows[0].index("due")] == "2025-10-24" and rows[1][rows[0].index("issue_ids")].startswith("DRIFT-")
    md = run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--format", "markdown", "--service", "gateway"]).output
    assert md.count("\n## ") == 1 and "## gateway (team access)" in md
    bad = run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--team", "nobody"])
    assert bad.exit_code == 2 and "unknown team 'nobody'" in bad.output


def test_cli_progress_against_an_earlier_plan(tiny_ws, tmp_path):
    run = CliRunner()
    earlier = tmp_path / "plan.json"
    earlier.write_text(run.invoke(cli.main, ["plan", "-w", str(tiny_ws), "--format", "json"]).output)
    out = run.invoke(
        cli.main, ["plan", "-w", str(tiny_ws), "--as-of", "2025-11-20", "--progress", str(earlier), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)["summary"]
    assert (summary["items"], summary["overdue"], summary["done"]) == (3, 3, 0)


def test_notebook_is_committed_clean_with_literal_parameters():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    names = [line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line]
    assert names == ["workspace", "as_of", "team", "service", "severity_floor"]
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


@pytest.mark.slow
def test_notebook_runs_under_nbval_on_the_sample():
    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        pytest.skip("data/sample has not been generated")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q", str(NOTEBOOK)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"\d+ passed", proc.stdout)


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
