"""meta254 diff: two workspaces, or one workspace at two as-of dates."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import SAMPLE, svc, write_workspace

from meta254lib.cli import main


def _ws(root, services):
    return write_workspace(
        root,
        {"catalog/service-index.yaml": {"metadata": {"generated_at": "2025-10-10T00:00:00Z"}, "services": services}},
    )


def test_two_workspaces(tmp_path):
    a = _ws(tmp_path / "a", [svc("auth", api_contracts=["auth-core@1.0.0"]), svc("old")])
    b = _ws(tmp_path / "b", [svc("auth", api_contracts=["auth-core@1.1.0"]), svc("new")])
    result = CliRunner().invoke(main, ["diff", str(a), str(b), "--format", "json"])
    assert result.exit_code == 0, result.output
    changes = {
        (c["kind"], c["key"], c["change"]): (c["before"], c["after"]) for c in json.loads(result.stdout)["changes"]
    }
    assert changes[("pin", "auth auth-core", "changed")] == ("1.0.0", "1.1.0")
    assert ("service", "new", "added") in changes and ("service", "old", "removed") in changes
    md = CliRunner().invoke(main, ["diff", str(a), str(b), "--format", "markdown"]).stdout
    assert md.startswith("# Changes from ") and "- changed `auth auth-core`: 1.0.0 → 1.1.0" in md


def test_one_workspace_at_two_dates():
    result = CliRunner().invoke(main, ["diff", "2025-09-01", "2025-10-06", "-w", str(SAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert set(summary) <= {"score", "drift"} and summary["score"]["changed"] > 0
