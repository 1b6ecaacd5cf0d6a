"""Release trains (issue 19): participants, spec requirements, every gate type, sequence, plan/train links."""

from __future__ import annotations

import pytest
from conftest import svc

import meta254lib as m
from meta254lib.remediation.trains import release_trains
from meta254lib.remediation.trains_file import parse_trains, train_findings

TRAINS = "catalog/release-trains.yaml"
SNAPSHOT = "catalog/latest_quality_snapshot.json"
ADVISORY = {
    "id": "OSV-2025-7",
    "summary": "gateway-core auth bypass",
    "affected": [{"package": {"name": "gateway-core"}, "versions": ["1.0.0"]}],
}


def _snapshot(scores: dict[str, int]) -> dict:
    return {
        "metadata": {"generated_at": "2025-10-09T00:00:00+00:00"},
        "services": {
            n: {"score": s, "maturity": "stable", "metrics": {"coverage": s / 100, "critical_vulns": 0}}
            for n, s in scores.items()
        },
    }


def _services() -> list[dict]:
    return [
        svc("auth", api_contracts=["auth-spec@3.0.0"]),
        svc("gateway", api_contracts=["gateway-core@1.0.0"], dependencies={"internal": ["auth"], "external": []}),
        svc("ledger", quality={"coverage": 0.8, "lint_pass": True, "open_critical_vulns": 2}),
        svc("cyc-a", dependencies={"internal": ["cyc-b"], "external": []}),
        svc("cyc-b", dependencies={"internal": ["cyc-a"], "external": []}),
    ]


REGISTRY = {"gateway-core": {"latest_version": "1.2.0"}, "auth-spec": {"latest_version": "3.0.0"}}


def _result(make_ws, trains: list[dict], files: dict | None = None, **kw):
    ws = m.open_workspace(
        make_ws(_services(), {TRAINS: {"trains": trains}, "config/specs-index.json": REGISTRY, **(files or {})})
    )
    return release_trains(ws, **kw)


def test_unknown_participant_is_an_error_row_with_suggestions(make_ws):
    r = _result(make_ws, [{"name": "t", "participants": ["gateway", "gatway", "zzz"]}])
    p = r.participants
    assert p[["name", "resolved"]].values.tolist() == [["gateway", True], ["gatway", False], ["zzz", False]]
    assert p["service"].isna().tolist() == [False, True, True]
    assert p["error"].tolist()[1:] == [
        "unknown service 'gatway' (did you mean gateway?)",
        "unknown service 'zzz' (known: auth, cyc-a, cyc-b, gateway, ledger)",
    ]
    assert r.trains["verdict"].tolist() == ["blocked"]
    assert r.trains["unresolved"].tolist() == [("gatway", "zzz")]


def test_requirements_against_pins_and_registry(make_ws):
    deps = [{"spec": s} for s in ("gateway-core >=1.2.0", "auth-spec >=3.0.0", "auth-spec >=3.1.0", "x-api >=1")]
    r = _result(make_ws, [{"name": "t", "participants": ["gateway", "auth"], "dependencies": deps}])
    q = r.requirements.astype(object)
    q = q.where(q.notna(), None)
    assert q[["spec", "status", "pinned_by", "blockers", "registry_meets"]].values.tolist() == [
        ["gateway-core", "blocked", ("gateway@1.0.0",), ("gateway",), "1.2.0"],
        ["auth-spec", "satisfied", ("auth@3.0.0",), (), "3.0.0"],
        ["auth-spec", "unsatisfiable", ("auth@3.0.0",), ("auth",), None],
        ["x-api", "not pinned", (), (), None],
    ]
    assert r.trains["blocked_by"].iloc[0][0] == "gateway-core >=1.2.0: gateway pins gateway-core 1.0.0 does not meet it"


def _quality_ws(make_ws, threshold: float):
    gate = {"name": "q", "type": "quality_score", "threshold": threshold}
    files = {
        TRAINS: {"trains": [{"name": "t", "participants": ["auth", "gateway"], "gates": [gate]}]},
        SNAPSHOT: _snapshot({"auth": 95, "gateway": 60}),
    }
    return m.open_workspace(make_ws(_services(), files))


def test_quality_gate_reads_the_bound_snapshot_per_participant(make_ws):
    ws = _quality_ws(make_ws, 0)
    scores = m.analysis_state(ws).quality.scores
    g = release_trains(ws).gates.iloc[0]
    assert g["values"] == {"auth": int(scores["auth"]), "gateway": int(scores["gateway"])}
    assert g["values"]["auth"] > g["values"]["gateway"]
    assert (g["status"], g["rule"]) == ("passed", "every participant's score >= 0")


def test_quality_gate_fails_the_participant_below_the_threshold(make_ws):
    values = release_trains(_quality_ws(make_ws, 0)).gates["values"].iloc[0]
    middle = (values["auth"] + values["gateway"]) / 2
    r = release_trains(_quality_ws(make_ws, middle))  # make_ws rewrites the same folder
    g = r.gates.iloc[0]
    assert (g["status"], g["failing"], g["values"]) == ("failed", ("gateway",), values)
    assert r.trains["blocked_by"].tolist() == [("gate q failed: gateway",)]


def test_quality_gate_without_snapshot_is_not_assessed(make_ws):
    r = _result(make_ws, [{"name": "t", "participants": ["auth"], "gates": [{"name": "q", "type": "quality_score"}]}])
    assert r.gates[["status", "values", "unknown"]].values.tolist() == [["not assessed", {"auth": None}, ("auth",)]]
    assert r.trains["verdict"].tolist() == ["not assessed"]


def test_vulnerabilities_gate_per_participant(make_ws):
    gates = [
        {"name": "v", "type": "vulnerabilities", "max_vulns": 0},
        {"name": "v1", "type": "vulnerabilities", "max_vulns": 2},
    ]
    r = _result(make_ws, [{"name": "t", "participants": ["auth", "ledger"], "gates": gates}])
    assert r.gates[["status", "values", "failing"]].values.tolist() == [
        ["failed", {"auth": 0, "ledger": 2}, ("ledger",)],
        ["passed", {"auth": 0, "ledger": 2}, ()],
    ]
    assert r.trains["blocked_by"].tolist() == [("gate v failed: ledger",)]


@pytest.mark.parametrize("kind", ["dependency_scan", "security_scan"])
def test_scan_gates_read_vulnerable_dependency_drift(make_ws, kind):
    train = {"name": "t", "participants": ["gateway", "auth"], "gates": [{"name": "s", "type": kind}]}
    without = _result(make_ws, [train]).gates.iloc[0]
    assert without["status"] == "not assessed" and "advisories" in without["decided_by"]
    ws = m.open_workspace(make_ws(_services(), {TRAINS: {"trains": [train]}, "advisories/OSV-2025-7.json": ADVISORY}))
    g = release_trains(ws).gates.iloc[0]
    assert (g["status"], g["values"], g["failing"]) == ("failed", {"gateway": 1, "auth": 0}, ("gateway",))


@pytest.mark.parametrize("kind", ["ci_status", "load_test", "performance_test", "integration_test", "vibes"])
def test_gates_without_data_are_never_passed(make_ws, kind):
    r = _result(make_ws, [{"name": "t", "participants": ["auth"], "gates": [{"name": "g", "type": kind}]}])
    g = r.gates.iloc[0]
    assert (g["status"], g["values"], g["failing"], g["unknown"]) == ("not assessed", {}, (), ("auth",))
    expected = "meta254 cannot evaluate gate type 'vibes'" if kind == "vibes" else "(not in the workspace)"
    assert expected in g["decided_by"]
    assert r.trains[["verdict", "not_assessed"]].values.tolist() == [["not assessed", ("gate g",)]]


def test_sequence_is_topological_and_puts_a_cycle_in_one_wave(make_ws):
    r = _result(make_ws, [{"name": "t", "participants": ["gateway", "cyc-a", "auth", "cyc-b"]}])
    assert r.sequence[["wave", "services", "cycle", "start_minute", "minutes"]].values.tolist() == [
        [1, ("auth", "cyc-a", "cyc-b"), True, 30, 45],
        [2, ("gateway",), False, 75, 15],
    ]
    assert "cycle cyc-a ↔ cyc-b" in r.sequence["warning"].iloc[0]
    row = r.trains.iloc[0]
    # a one-way dependency (gateway -> auth) is an order, never a conflict: nothing blocks this train
    assert (row["verdict"], row["blocked_by"], row["estimated_minutes"], row["estimated_duration"]) == (
        "ready",
        (),
        90,
        "1 h 30 min",
    )
    rollback = r.to_dict()["trains"][0]["rollback"]
    assert [w["services"] for w in rollback] == [["gateway"], ["auth", "cyc-a", "cyc-b"]]


def test_plan_items_ride_planning_trains(make_ws):
    deps = [{"spec": "gateway-core >=1.2.0"}]
    trains = [
        {"name": "plan", "participants": ["gateway"], "dependencies": deps, "status": "planning"},
        {"name": "done", "participants": ["gateway"], "dependencies": deps, "status": "completed"},
    ]
    r = _result(make_ws, trains)
    ws = m.open_workspace(make_ws())  # the same folder
    plan_item = m.plan_workspace(ws).items.query("subject == 'gateway-core'")
    assert len(plan_item) == 1
    assert r.items[["train", "item", "service", "target", "meets_requirement", "escalation"]].values.tolist() == [
        ["plan", plan_item["id"].iloc[0], "gateway", "1.2.0", True, "L2"]
    ]
    assert r.trains["items"].tolist() == [(plan_item["id"].iloc[0],), ()]
    assert "upgrade the pin" in r.requirements["note"].iloc[0]


def test_file_findings():
    doc = {
        "trains": [
            {
                "name": "a",
                "participants": ["x", "y", "z"],
                "status": "someday",
                "gates": [{"type": "vibes"}, "all >= 80"],
            },
            {"name": "a", "participants": ["x"], "dependencies": [{"spec": "?? nope"}]},
            "junk",
        ]
    }
    found = [(f["field"], f["severity"], f["found"]) for f in train_findings(doc, {"release": {"max_train_size": 2}})]
    assert found == [
        ("trains[0].status", "warning", "someday"),
        ("trains[0].gates[0].type", "warning", "vibes"),
        ("trains[0].gates[1]", "warning", "all >= 80"),
        ("trains[0].participants", "warning", "3 participants"),
        ("trains[1].dependencies[0]", "error", "?? nope"),
        ("trains[1].name", "error", "a again"),
        ("trains[2]", "error", "junk"),
    ]
    assert [t.name for t in parse_trains(doc)[0]] == ["a"]


def test_unknown_train_is_a_parameter_error(make_ws):
    with pytest.raises(m.ParameterError, match=r"unknown train 'nope' \(known: t\)"):
        _result(make_ws, [{"name": "t", "participants": ["auth"]}], train="nope")


def test_no_trains_file(make_ws):
    r = release_trains(m.open_workspace(make_ws(_services())))
    assert len(r.trains) == 0 and r.to_dict()["trains"] == []


def test_upstream_trains(upstream):
    r = release_trains(m.open_workspace(upstream))
    q4 = r.participants[r.participants["train"] == "Q4-curve-upgrade"]
    assert q4.loc[~q4["resolved"], ["name", "suggestions"]].values.tolist() == [
        ["curve", ("curve-service",)],
        ["backtesting", ("backtesting-service",)],
        ["scenario", ("scenario-service",)],
    ]
    q1 = r.trains.set_index("train").loc["Q1-security-patches"]
    assert q1["verdict"] == "blocked"
    assert q1["blocked_by"] == ("gateway-core >=1.2.0: gateway pins gateway-core 1.0.0 does not meet it",)
    carried = r.items[r.items["train"] == "Q1-security-patches"]
    assert carried[["service", "subject", "current", "target", "escalation"]].values.tolist() == [
        ["gateway", "gateway-core", "1.0.0", "1.2.0", "L2"]
    ]
    assert q1["items"] == tuple(carried["item"])
    no_data = r.gates[r.gates["type"].isin(["ci_status", "load_test", "performance_test", "integration_test"])]
    assert len(no_data) == 4 and set(no_data["status"]) == {"not assessed"}
    assert "passed" not in set(r.gates.loc[r.gates["unknown"].map(len) > 0, "status"])
    # the planner's bugs: Q1's one-way dependencies are an order (gateway after auth and metrics), no conflict
    seq = r.sequence[r.sequence["train"] == "Q1-security-patches"]
    assert seq["services"].tolist() == [("aggregation", "auth", "metrics", "projection"), ("gateway",)]
    assert len(r.findings) == 0


def test_sample_trains_cover_each_case(sample):
    """data/sample: a train ready to go, one blocked by lagging pins, one with an unknown participant, one
    whose load test is not assessed."""
    r = release_trains(m.open_workspace(sample, cache=False))
    t = r.trains.set_index("train")
    assert t["verdict"].to_dict() == {
        "Q4-gateway-core-2": "blocked",
        "Q4-curves-3": "blocked",
        "Q4-platform-hardening": "ready",
        "Q1-scheduler-throughput": "not assessed",
    }
    assert t.loc["Q4-gateway-core-2", "blocked_by"] == (
        "gateway-core >=2.0.0: api-gateway pins gateway-core 1.3.0, market-data-api pins gateway-core 1.2.1, "
        "streaming-gateway pins gateway-core 1.3.0, usage-metering pins gateway-core 1.3.0 do not meet it",
    )
    # streaming-gateway's lag is exempt, so the plan has no item for it: the train carries three
    carried = r.items[r.items["train"] == "Q4-gateway-core-2"]
    assert carried["service"].tolist() == ["api-gateway", "market-data-api", "usage-metering"]
    assert set(carried["target"]) == {"2.0.0"} and set(carried["escalation"]) == {"L2"}
    assert t.loc["Q4-curves-3", "unresolved"] == ("curve-publisher",)
    assert t.loc["Q1-scheduler-throughput", "not_assessed"] == ("gate load_test",)
    hardening = r.gates[r.gates["train"] == "Q4-platform-hardening"]
    assert hardening[["gate", "status"]].values.tolist() == [
        ["quality_floor", "passed"],
        ["no_critical_vulns", "passed"],
        ["dependency_check", "passed"],
    ]


def test_reading_the_trains_keeps_the_inputs_table(make_ws):
    root = make_ws(_services(), {TRAINS: {"trains": [{"name": "t", "participants": ["auth"]}]}})
    fresh = m.open_workspace(root).inputs.set_index("file").loc[TRAINS, "rows"]
    ws = m.open_workspace(root)
    release_trains(ws)
    assert ws.inputs.set_index("file").loc[TRAINS, "rows"] == fresh == 1


HOSTILE = [
    ("just text", [("trains", "str")]),
    ([1], [("trains[0]", "1")]),
    ({"trains": {"a": 1}}, [("trains", "dict")]),
    (
        {"trains": [{"name": 7, "participants": "auth", "gates": "x", "dependencies": {"spec": "a >=1"}}]},
        [("trains[0].participants", "auth"), ("trains[0].dependencies", "a dict"), ("trains[0].gates", "a str")],
    ),
    (
        {
            "trains": [
                {
                    "name": "t",
                    "participants": [None, {"a": 1}, "auth"],
                    "gates": [
                        {"type": "quality_score", "threshold": "high"},
                        {"type": "vulnerabilities", "max_vulns": []},
                    ],
                    "dependencies": [None, {"spec": "a ~=1.0"}],
                }
            ]
        },
        [
            ("trains[0].participants[0]", ""),
            ("trains[0].participants[1]", "{'a': 1}"),
            ("trains[0].dependencies[0]", ""),
            ("trains[0].gates[0].threshold", "high"),
            ("trains[0].gates[1].max_vulns", "[]"),
        ],
    ),
]


@pytest.mark.parametrize(("doc", "expected"), HOSTILE)
def test_unusable_parts_of_the_file_are_findings_not_crashes(make_ws, doc, expected):
    r = release_trains(m.open_workspace(make_ws(_services(), {TRAINS: doc})))
    assert [(f["field"], f["found"]) for f in r.to_dict()["findings"]] == expected
    assert set(r.trains["verdict"]) <= {"blocked", "not assessed"}  # never "ready" on a broken train


def test_a_train_without_participants_is_blocked(make_ws):
    r = _result(make_ws, [{"name": "t", "participants": []}])
    assert r.trains[["verdict", "blocked_by"]].values.tolist() == [["blocked", ("no participants",)]]


def test_plans_ride_trains_on_upstream(upstream):
    """The gateway-core upgrade rides Q1-security-patches: marked, batched with the train, escalated to L2."""
    import meta254lib as m

    plan = m.plan_workspace(m.open_workspace(upstream))
    item = plan.items[plan.items["subject"] == "gateway-core"].iloc[0]
    assert (item["train"], item["batch"], item["escalation"]) == (
        "Q1-security-patches",
        "TRAIN:Q1-security-patches",
        "L2",
    )
    others = plan.items[plan.items["subject"] != "gateway-core"]
    assert others["train"].isna().all() or (others["train"].fillna("") == "").all()
