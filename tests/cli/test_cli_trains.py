"""``meta254 trains`` and the trains findings of ``meta254 validate`` (issue 19)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli.app import main

TRAINS = "catalog/release-trains.yaml"


def _ws(make_ws, trains: list[dict]):
    services = [
        svc("auth"),
        svc("gateway", api_contracts=["gateway-core@1.0.0"], dependencies={"internal": ["auth"], "external": []}),
    ]
    return make_ws(
        services, {TRAINS: {"trains": trains}, "config/specs-index.json": {"gateway-core": {"latest_version": "1.2.0"}}}
    )


READY = {"name": "ready", "participants": ["gateway", "auth"], "gates": [{"name": "v", "type": "vulnerabilities"}]}
BLOCKED = {"name": "blocked", "participants": ["gateway", "auht"], "dependencies": [{"spec": "gateway-core >=1.2.0"}]}


def _run(*args: str):
    return CliRunner().invoke(main, ["trains", *args])


def test_json_is_deterministic_and_complete(make_ws):
    root = str(_ws(make_ws, [READY, BLOCKED]))
    first, second = _run("-w", root, "--format", "json"), _run("-w", root, "--format", "json")
    assert first.exit_code == 1, first.output  # a blocked train
    assert first.output == second.output
    doc = json.loads(first.output)
    assert doc["summary"] == {"trains": 2, "by_verdict": {"blocked": 1, "ready": 1}}
    ready, blocked = doc["trains"]
    assert (ready["verdict"], ready["estimated_duration"]) == ("ready", "1 h 00 min")
    assert [w["services"] for w in ready["sequence"]] == [["auth"], ["gateway"]]
    assert [w["services"] for w in ready["rollback"]] == [["gateway"], ["auth"]]
    assert ready["gates"][0]["values"] == {"gateway": 0, "auth": 0}
    assert blocked["blocked_by"] == [
        "unresolved participant auht",
        "gateway-core >=1.2.0: gateway pins gateway-core 1.0.0 does not meet it",
    ]
    assert blocked["participants"][1]["error"] == "unknown service 'auht' (did you mean auth?)"
    assert [i["subject"] for i in blocked["items"]] == ["gateway-core"]
    assert set(doc["sources"]) == {"as_of", "drift", "quality", "waves"}


def test_train_option_table_csv_markdown(make_ws):
    root = str(_ws(make_ws, [READY, BLOCKED]))
    one = _run("-w", root, "--train", "ready")
    assert one.exit_code == 0, one.output
    assert one.output.startswith("1 release train(s): 1 ready, 0 blocked, 0 not assessed\n")
    assert "Release sequence (roll back in reverse)" in one.output
    csv = _run("-w", root, "--format", "csv")
    assert csv.output.splitlines()[0].startswith("train,status,verdict,blocked_by,")
    assert csv.output.splitlines()[2].startswith("blocked,planning,blocked,unresolved participant auht|gateway-core")
    md = _run("-w", root, "--format", "markdown", "--train", "blocked")
    assert md.output.startswith("# Release trains\n")
    assert "## blocked: blocked" in md.output
    assert "gateway-core &gt;=1.2.0" in md.output


def test_unknown_train_exits_2(make_ws):
    r = _run("-w", str(_ws(make_ws, [READY])), "--train", "nope")
    assert r.exit_code == 2
    assert "unknown train 'nope' (known: ready)" in r.output


def test_validate_lists_train_findings(make_ws):
    bad = {**READY, "status": "someday", "gates": [{"name": "x", "type": "vibes"}]}
    root = _ws(make_ws, [bad, {**READY}])
    r = CliRunner().invoke(main, ["validate", "-w", str(root), "--format", "json"])
    rows = [(f["field"], f["severity"], f["found"]) for f in json.loads(r.output)["findings"] if f["file"] == TRAINS]
    assert rows == [
        ("trains[1].name", "error", "ready again"),
        ("trains[0].gates[0].type", "warning", "vibes"),
        ("trains[0].status", "warning", "someday"),
    ]
    assert r.exit_code == 1


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_upstream(upstream, fmt):
    r = _run("-w", str(upstream), "--format", fmt)
    assert r.exit_code == 1  # three trains are blocked
    if fmt == "json":
        doc = json.loads(r.output)
        q1 = next(t for t in doc["trains"] if t["train"] == "Q1-security-patches")
        assert q1["blocked_by"] == ["gateway-core >=1.2.0: gateway pins gateway-core 1.0.0 does not meet it"]
        assert [g["status"] for t in doc["trains"] for g in t["gates"] if g["type"] in ("ci_status", "load_test")] == [
            "not assessed",
            "not assessed",
        ]
    else:
        assert "unknown service 'curve' (did you mean curve-service?)" in r.output
