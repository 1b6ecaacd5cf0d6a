"""Scheduling: allowed days, pull-request limits, maintenance windows, batches and waves."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from remediation_cases import (
    AS_OF,
    _graph,
    _issue,
    _pin,
    _plan_from,
    _services,
    _spec,
)

from meta254lib.core.schema import (
    DRIFT_ISSUES,
)
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.remediation import (
    PlanInputs,
    build_plan,
    plan_policy_from_config,
)


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
