"""The plan command, its progress mode and the remediation notebook."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import SAMPLE, svc
from remediation_cases import (
    NOTEBOOK,
    REPO,
)

from meta254lib import cli
from meta254lib.core.schema import (
    PLAN_ITEMS,
)

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
    assignments = [line for line in code[0].source.splitlines() if "=" in line and not line.startswith("#")]
    names = [line.split("=")[0].strip() for line in assignments]
    assert names == ["workspace", "as_of", "team", "service", "severity_floor", "manifest_url"]
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
