"""validate gates CI: --fail-on chooses the severity that fails, and findings are in natural order."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE, svc

from meta254lib.cli import main


@pytest.mark.parametrize(("fail_on", "code"), [(None, 0), ("error", 0), ("warning", 1), ("never", 0)])
def test_warnings_alone_pass_unless_asked(fail_on, code):
    args = ["validate", "-w", str(SAMPLE), "--format", "json"]
    result = CliRunner().invoke(main, args + (["--fail-on", fail_on] if fail_on else []))
    summary = json.loads(result.stdout)["summary"]
    assert summary["errors"] == 0 and summary["warnings"] == 2
    assert result.exit_code == code


def test_findings_sort_in_natural_order(make_ws):
    services = [{**svc(f"s{i}"), "name": f"S_{i}!"} for i in range(13)]  # names the schema rejects
    root = make_ws(services=services)
    result = CliRunner().invoke(main, ["validate", "-w", str(root), "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    fields = [f["field"] for f in json.loads(result.stdout)["findings"] if f["field"].startswith("services[")]
    indexes = [int(f.split("[")[1].split("]")[0]) for f in fields]
    assert indexes == sorted(indexes) and 12 in indexes and 2 in indexes
