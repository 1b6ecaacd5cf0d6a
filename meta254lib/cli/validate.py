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
import pandas as pd

from ..remediation.trains_file import with_train_findings
from .common import debug_option, format_option, open_ws, render, run_command, workspace_option

__all__ = ["command", "fails"]


@click.command("validate")
@workspace_option
@click.option("--service", "service", default=None, help="Only findings about this service (a pre-deployment check).")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity (never: always 0 unless the input is unusable).",
)
@format_option
@debug_option
@run_command
def command(workspace: Path, service: str | None, fail_on: str, fmt: str, debug: bool) -> int:
    """Check manifests and catalog entries against the service-manifest JSON Schema, and the release-trains file.

    Exit code 0 means no finding at or above --fail-on (default: no error), 1 means there is one, 2 means
    unusable input. Findings are listed errors first, then by file and field in natural order.
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
    return 1 if fails(findings, fail_on) else 0


def fails(findings: pd.DataFrame, fail_on: str) -> bool:
    """Whether the findings reach the ``--fail-on`` level.

    Examples
    --------
    >>> f = pd.DataFrame({"severity": ["warning"]})
    >>> fails(f, "error"), fails(f, "warning"), fails(f, "never")
    (False, True, False)
    """
    levels = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}[fail_on]
    return bool(len(findings)) and bool(findings["severity"].isin(levels).any())
