"""``meta254 validate``: manifests and catalog entries checked against the service-manifest JSON Schema.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: validate [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click

from ..remediation.trains_file import with_train_findings
from .common import debug_option, format_option, open_ws, render, run_command, workspace_option

__all__ = ["command"]


@click.command("validate")
@workspace_option
@click.option("--service", "service", default=None, help="Only findings about this service (a pre-deployment check).")
@format_option
@debug_option
@run_command
def command(workspace: Path, service: str | None, fmt: str, debug: bool) -> int:
    """Check manifests and catalog entries against the service-manifest JSON Schema, and the release-trains file.

    Exit code 0 means clean, 1 means findings, 2 means unusable input.
    """
    from ..workspace.validate import validate_workspace  # jsonschema: imported only for this command

    ws = open_ws(workspace)
    findings = validate_workspace(ws, service=service)
    if service is None:
        findings = with_train_findings(findings, ws)  # catalog/release-trains.yaml (issue 19)
    counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
    payload = {
        "workspace": str(workspace),
        "summary": {
            "findings": len(findings),
            "errors": int(counts.get("error", 0)),
            "warnings": int(counts.get("warning", 0)),
        },
        "findings": findings,
    }
    title = f"{len(findings)} finding(s): {counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s)"
    click.echo(render(findings, payload, fmt, title=title))
    return 1 if len(findings) else 0
