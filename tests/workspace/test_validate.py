"""meta254 validate: schema findings with file and field path, exit codes 0/1/2."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import svc

from meta254lib import open_workspace
from meta254lib.cli import main
from meta254lib.workspace.validate import validate_workspace


def test_clean_workspace_exit_0(make_ws):
    root = make_ws([svc("auth"), svc("gateway", dependencies={"internal": ["auth"], "external": ["redis"]})])
    result = CliRunner().invoke(main, ["validate", "--workspace", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 finding(s)")


def test_schema_findings_name_file_and_field(make_ws):
    root = make_ws(
        [svc("auth"), svc("Bad_Name", maturity="legendary", api_contracts=["g@1.2"])],
        files={
            "manifests/collected/auth.yaml": "name: auth\nrepo: https://github.com/254carbon/254carbon-core\n"
            "domain: access\nversion: 1.10\nmaturity: stable\ndependencies: {internal: []}\nstatus: active\n"
        },
    )
    findings = validate_workspace(open_workspace(root))
    got = {(f, fld): exp for f, fld, rule, sev, exp, found in findings.itertuples(index=False) if rule == "schema"}
    assert got[("catalog/service-index.yaml", "services[1].name")] == "text matching ^[a-z][a-z0-9-]*[a-z0-9]$"
    assert (
        got[("catalog/service-index.yaml", "services[1].maturity")] == "one of experimental, beta, stable, deprecated"
    )
    assert got[("catalog/service-index.yaml", "services[1].api_contracts[0]")].startswith("text matching")
    assert got[("manifests/collected/auth.yaml", "version")] == "a string"
    assert got[("manifests/collected/auth.yaml", "dependencies.external")] == "required field 'external'"
    assert got[("manifests/collected/auth.yaml", "status")].startswith("only the fields")
    schema_rows = findings[findings.rule == "schema"].set_index(["file", "field"])
    assert schema_rows.loc[("manifests/collected/auth.yaml", "version"), "found"] == "unquoted number 1.10"


def test_exit_codes(make_ws, tmp_path):
    root = make_ws([svc("alpha", maturity="legendary")])
    runner = CliRunner()
    assert runner.invoke(main, ["validate", "-w", str(root)]).exit_code == 1
    missing = runner.invoke(main, ["validate", "-w", str(tmp_path / "empty")])
    assert missing.exit_code == 2
    assert "Traceback" not in missing.output


def test_json_output(make_ws):
    root = make_ws([svc("alpha", maturity="legendary")])
    result = CliRunner().invoke(main, ["validate", "-w", str(root), "--format", "json"])
    assert '"errors": 1,' in result.output and '"field": "services[0].maturity"' in result.output


def test_upstream_has_no_schema_errors(upstream):
    findings = validate_workspace(open_workspace(upstream))
    assert (findings.severity == "error").sum() == 0
    # 24 catalog services, 7 collected manifests: 17 services without a manifest
    assert (findings.expected == "a collected manifest for this service").sum() == 17
    assert (findings.file == "catalog/dependency-graph.yaml").sum() == 1


def test_service_filter(make_ws):
    root = make_ws([svc("alpha", maturity="legendary"), svc("bravo", runtime="cobol")])
    runner = CliRunner()
    only = runner.invoke(main, ["validate", "-w", str(root), "--service", "bravo", "--format", "json"])
    assert only.exit_code == 1
    assert '"services[1].runtime"' in only.output and "services[0]" not in only.output
    unknown = runner.invoke(main, ["validate", "-w", str(root), "--service", "zulu"])
    assert unknown.exit_code == 2 and "unknown service 'zulu'" in unknown.output
