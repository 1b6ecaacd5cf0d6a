"""Version targets: lowest security fix over overlapping ranges, security items, the policy target."""

from __future__ import annotations

import pandas as pd
from remediation_cases import (
    AS_OF,
    OVERLAPPING,
    _adv,
    _pin,
    _plan_from,
    _services,
    _spec,
)

from meta254lib.remediation import (
    PlanPolicy,
    lowest_fixed_version,
    policy_target,
)


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
    # the lowest fix is 2.3.1, but the lag of the same pin needs 2.4.0 (no advisory affects it): the two
    # edits of one manifest line are one item, with the higher target and both issues
    assert (it["action"], it["current"], it["target"], it["update_type"]) == ("security_fix", "2.1.0", "2.4.0", "minor")
    assert it["target_reason"].startswith("the highest of: lowest version outside the ranges of A, B, C, D")
    assert it["scheduled"] == pd.Timestamp(AS_OF, tz="UTC") and it["batch"] == "SEC-1"
    assert it["escalation"] == "L3" and it["exposure"] == 0.75
    assert len(it["issue_ids"]) == 2 and len(plan.items) == 1
    # PyPI advisory on a python service: the runtime commands
    assert it["commands"][:2] == ("pip install --upgrade curves-api==2.4.0", "pip freeze > requirements.txt")


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
