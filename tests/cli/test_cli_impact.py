"""Tests for ``meta254 impact`` and ``meta254 graph``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli import main


def _deps(internal=(), external=()):
    return {"internal": list(internal), "external": list(external)}


@pytest.fixture
def ws(make_ws):
    services = [
        svc("auth", team="access", events_out=["auth.token.validated.v1"], api_contracts=["auth-core@1.0.0"]),
        svc(
            "entitlements",
            team="access",
            events_in=["auth.token.validated.v1"],
            dependencies=_deps(external=["postgres"]),
        ),
        svc(
            "gateway", team="access", dependencies=_deps(["auth", "metrics"], ["redis"]), events_out=["m.req.count.v1"]
        ),
        svc("metrics", team="access", events_in=["m.req.count.v1"]),
        svc("etl", team="data", domain="data-processing", maturity="beta", dependencies=_deps(["lib"], ["avro"])),
        svc("lib", team="data", domain="shared", dependencies=_deps(["etl"])),
    ]
    rules = {
        "dependency": {
            "allowed_external": ["redis", "postgresql"],
            "domain_layers": {"shared": 2, "access": 3, "data-processing": 5},
        },
        "forbidden_reverse_edges": [{"pattern": "shared -> domain-specific", "severity": "error"}],
    }
    return make_ws(services=services, files={"config/rules.yaml": rules})


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_impact_json_shape_and_values(ws):
    res = _run(["impact", "--workspace", str(ws), "--service", "auth", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [c["change"] for c in doc["changes"]] == ["service:auth"]
    s = doc["summary"]
    assert (s["blast_radius"], s["max_depth"], s["domains"], s["severity"]) == (3, 2, ["access"], "high")
    assert s["weighted_blast_radius"] == pytest.approx(2.5 + 0.625)
    assert [(i["service"], i["distance"]) for i in doc["impacted"]] == [
        ("entitlements", 1),
        ("gateway", 1),
        ("metrics", 2),
    ]
    metrics = doc["impacted"][2]
    assert metrics["path"] == ["metrics", "gateway", "auth"]
    assert metrics["relations"] == ["consumes_event", "depends_on"]
    assert metrics["caused_by"] == ["service:auth"] and metrics["weight"] == pytest.approx(0.625)
    # waves read depends_on only (metrics -> gateway is an event edge): no deploy cycle
    assert [w["services"] for w in doc["rollout"]["waves"]] == [["auth", "entitlements", "metrics"], ["gateway"]]
    assert not any(w["cycle"] for w in doc["rollout"]["waves"])
    # deterministic: same inputs, same bytes
    again = _run(["impact", "--workspace", str(ws), "--service", "auth", "--format", "json"])
    assert again.output == res.output


def test_impact_mixed_changes_relations_and_depth(ws):
    res = _run(
        [
            "impact",
            "-w",
            str(ws),
            "--spec",
            "auth-core@2.0.0",
            "--external",
            "postgres@16",
            "--relations",
            "depends_on",
            "--max-depth",
            "1",
            "--format",
            "json",
            "--no-drift",
        ]
    )
    doc = json.loads(res.output)
    assert [c["change"] for c in doc["changes"]] == ["spec:auth-core@2.0.0", "external:postgres@16"]
    assert doc["changes"][1]["note"] == "postgres resolves to postgresql"
    assert [(i["service"], i["distance"], i["caused_by"]) for i in doc["impacted"]] == [
        ("auth", 1, ["spec:auth-core@2.0.0"]),
        ("entitlements", 1, ["external:postgres@16"]),
    ]
    assert doc["summary"]["max_depth_limit"] == 1 and doc["summary"]["relations"] == ["depends_on"]
    assert doc["summary"]["drift_source"] == "none"


def test_impact_table_and_csv(ws):
    table = _run(["impact", "-w", str(ws), "--service", "auth"])
    assert "Blast radius 3, weighted 3.125, max depth 2; severity high" in table.output
    assert "metrics -consumes_event-> gateway -depends_on-> auth" in table.output
    assert "Same domain, not reachable (not counted)" not in table.output
    csv = _run(["impact", "-w", str(ws), "--event", "auth.token.validated.v1", "--format", "csv"])
    lines = csv.output.splitlines()
    assert lines[0].startswith("service,distance,path,relations,why,caused_by")
    assert lines[1].startswith("entitlements,1,entitlements|auth.token.validated.v1,consumes_event,")
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "nope"], "unknown service 'nope'"),
        ([], "no change given"),
        (["--service", "auth", "--relations", "calls"], "unknown relation(s) 'calls'"),
        (["--service", "auth", "--max-depth", "0"], "max_depth must be an integer ≥ 1"),
    ],
)
def test_impact_errors_exit_2(ws, args, message):
    res = CliRunner().invoke(main, ["impact", "-w", str(ws), *args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_graph_json_structure_and_blast_radius(ws):
    res = _run(["graph", "-w", str(ws), "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.output)
    st = doc["structure"]
    assert st["cycles"][0]["path"] == "etl -> lib -> etl"
    assert [(r["source"], r["target"]) for r in st["layering"] if r["kind"] == "violation"] == [("lib", "etl")]
    assert [(r["source"], r["target"]) for r in st["forbidden"]] == [("lib", "etl")]
    assert [(r["service"], r["external"]) for r in st["unauthorized_externals"]] == [("etl", "avro")]
    radius = {r["service"]: r["blast_radius"] for r in doc["blast_radius"]}
    assert radius == {"auth": 3, "metrics": 1, "gateway": 1, "etl": 1, "lib": 1, "entitlements": 0}
    assert [r["service"] for r in doc["blast_radius"]][:2] == ["auth", "etl"]
    strict = CliRunner().invoke(main, ["graph", "-w", str(ws), "--fail-on-findings"])
    assert strict.exit_code == 1 and "[error] cycle: etl: etl -> lib -> etl" in strict.output


def test_graph_csv_is_the_blast_radius_table(ws):
    res = _run(["graph", "-w", str(ws), "--relations", "depends_on", "--format", "csv"])
    lines = res.output.splitlines()
    assert lines[0] == "service,domain,team,blast_radius,direct_dependents,dependencies"
    assert lines[1] == "auth,access,access,1,1,0"


@pytest.mark.upstream
def test_upstream_cli_oracles(upstream):
    res = _run(["impact", "-w", str(upstream), "--service", "auth", "--format", "json"])
    doc = json.loads(res.output)
    assert sorted(i["service"] for i in doc["impacted"]) == ["entitlements", "gateway", "metrics", "streaming"]
    g = json.loads(_run(["graph", "-w", str(upstream), "--format", "json"]).output)
    assert g["structure"]["summary"]["cycles"] == 0
    assert g["structure"]["summary"]["layering_violations"] == 4
    assert g["structure"]["summary"]["unauthorized_externals"] == 9
