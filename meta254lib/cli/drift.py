"""``meta254 drift``: the runbook's drift issues for a workspace, optionally written as a report.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: drift [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from ..core.errors import EXIT_FINDINGS, EXIT_OK
from ..core.schema import DRIFT_ISSUES, SEVERITY
from ..core.severity import SEVERITIES, SEVERITY_RANK, severity_rank
from ..drift.reportfile import drift_report_json, write_drift_report
from .common import (
    as_of_option,
    debug_option,
    format_option,
    open_state,
    render,
    run_command,
    scope_options,
    scoped_services,
    shown_path,
    workspace_option,
)

__all__ = ["command"]

#: Columns of the table output (the CSV output has every DRIFT_ISSUES column).
#: The table's columns, most useful first (a narrow terminal elides and then leaves out the last ones).
TABLE_COLUMNS = ("severity", "service", "subject", "current", "expected", "reason", "type", "exempt", "category", "id")


def _table_title(summary: dict, as_of: pd.Timestamp) -> str:
    sev = summary["by_severity"]
    lines = [
        f"Drift as of {as_of.isoformat()}: {summary['total_issues']} issue(s) counted "
        f"(high {sev['high']}, medium {sev['medium']}, low {sev['low']}), {summary['exempt']} exempt; "
        f"{summary['services_with_drift']} of {summary['services']} service(s) with drift"
    ]
    for e in summary["expired_exemptions"]:
        lines.append(f"Expired exemption: {e['service']} {e['subject'] or '(all)'} (expired {e['expires'][:10]})")
    for na in summary["not_assessed"]:
        lines.append(f"Not assessed: {na['check']}: {na['reason']}")
    return "\n".join(lines)


@click.command("drift")
@workspace_option
@as_of_option
@click.option("--service", "-s", "service", default=None, help="Only this service's issues.")
@scope_options
@format_option
@click.option(
    "--write",
    is_flag=True,
    help="Write analysis/reports/drift/<as_of>_drift_report.json and update latest_drift_report.json.",
)
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(list(SEVERITIES)),
    default=None,
    help="Exit 1 when a counted issue is at or above this severity.",
)
@debug_option
@run_command
def command(
    workspace: Path,
    as_of: str | None,
    service: str | None,
    team: str | None,
    domain: str | None,
    fmt: str,
    write: bool,
    fail_on: str | None,
    debug: bool,
) -> int:
    """Detect drift the way the drift remediation runbook classifies it.

    Every issue has a severity (high, medium, low), the runbook category, the subject, the current and
    expected values, a one-line reason and a stable id. The JSON output has the shape of the report
    that --write stores; --write always stores the whole workspace, whatever --service says.
    Exit code 0, or 1 with --fail-on when a counted issue reaches that severity; 2 for unusable input.
    """
    state = open_state(workspace, as_of)
    ws, result = state.ws, state.drift
    written = write_drift_report(ws.root, result) if write else None
    if service:
        result = result.for_service(service)
    scope = scoped_services(ws, team, domain)
    if scope is not None:
        result = result.for_services(scope)
    if fmt == "json":
        click.echo(drift_report_json(result), nl=False)
    else:
        table = result.issues if fmt == "csv" else result.issues.reindex(columns=list(TABLE_COLUMNS))
        if fmt == "csv":
            table = table.reindex(columns=list(DRIFT_ISSUES.columns))
        text = render(table, {}, fmt, title=_table_title(result.summary(), result.as_of))
        click.echo(text, nl=not text.endswith("\n"))
    if written is not None:
        latest = written.with_name("latest_drift_report.json")
        click.echo(f"wrote {shown_path(written)} and {shown_path(latest)}", err=True)
    if fail_on:
        if result.counted[SEVERITY].map(severity_rank).le(SEVERITY_RANK[fail_on]).any():
            return EXIT_FINDINGS
    return EXIT_OK
