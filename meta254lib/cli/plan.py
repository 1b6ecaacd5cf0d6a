"""``meta254 plan``: the drift remediation runbook, instantiated per service, ordered and scheduled.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: plan [OPTIONS]'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from ..core.errors import EXIT_OK, InputError
from ..core.schema import PLAN_ITEMS
from ..core.severity import SEVERITIES
from ..remediation.plan import plan_workspace
from ..remediation.progress import track_progress
from ..views.plan import plan_markdown
from .common import (
    as_of_option,
    debug_option,
    format_option,
    open_ws,
    render,
    run_command,
    to_json,
    workspace_option,
)

if TYPE_CHECKING:
    from ..remediation.result import RemediationPlan

#: The plan table's columns, most useful first (a narrow terminal leaves out the last ones).
PLAN_TABLE_COLUMNS = (
    "wave",
    "service",
    "severity",
    "action",
    "subject",
    "current",
    "target",
    "automation",
    "due",
    "team",
    "escalation",
    "priority",
    "scheduled",
    "batch",
    "id",
)

__all__ = ["command"]

#: Columns of the CSV output (every PLAN_ITEMS column; tuples joined with ``|``, dates as YYYY-MM-DD).
CSV_COLUMNS = PLAN_ITEMS.columns


def _title(plan: RemediationPlan) -> str:
    """The table output's heading: items, waves, automation, backlog, the priority formula and warnings."""
    s = plan.summary
    lines = [
        f"Remediation plan as of {plan.as_of.strftime('%Y-%m-%d')}: {s['items']} item(s) for {s['services']} "
        f"service(s) in {s['waves']} wave(s); automated {s['by_automation']['automated']}, approval "
        f"{s['by_automation']['approval']}, manual {s['by_automation']['manual']}; {s['security_items']} security "
        f"fix(es); backlog {s['backlog_start']} → {s['backlog_end']} by {s.get('backlog_end_date') or '-'}",
        f"Priority: {plan.policy.priority_formula()}",
    ]
    lines += [f"Warning: {w}" for w in plan.warnings]
    return "\n".join(lines)


def _csv_table(plan: RemediationPlan) -> pd.DataFrame:
    """The plan's items with every PLAN_ITEMS column, dates as YYYY-MM-DD."""
    t = plan.items.reindex(columns=list(CSV_COLUMNS)).copy()
    for c in ("due", "scheduled", "recheck"):
        t[c] = t[c].map(lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")).astype("str")
    return t


@click.command("plan")
@workspace_option
@as_of_option
@click.option("--service", "-s", "service", default=None, help="Only this service's items.")
@click.option("--team", "-t", "team", default=None, help="Only this team's items.")
@click.option(
    "--severity-floor",
    "severity_floor",
    type=click.Choice(list(reversed(SEVERITIES))),
    default=None,
    help="Leave out drift issues below this severity.",
)
@format_option(
    extra=("markdown",),
    help_text="Output format; markdown is one checklist per service, ready to paste into an issue.",
    table=False,
)
@click.option(
    "--progress",
    "progress",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="An earlier plan (its --format json output): report which items are done, overdue or came back.",
)
@debug_option
@run_command
def command(
    workspace: Path,
    as_of: str | None,
    service: str | None,
    team: str | None,
    severity_floor: str | None,
    fmt: str,
    progress: Path | None,
    debug: bool,
) -> int:
    """Write the remediation plan: one item per actionable drift issue or group, in waves.

    Each item carries its issue ids, severity, escalation level (L1/L2/L3) and contacts, owning team,
    due date, target version, automation class with its reason, risk, priority, wave, runbook steps
    (with the service-manifest.yaml diff and a proposed specs.lock.json) and commands. The whole fleet
    is planned; --service and --team only restrict what is shown. With --progress, compare an earlier
    plan with the drift at --as-of instead. The JSON output is deterministic for a given --as-of.
    """
    ws = open_ws(workspace)
    plan = plan_workspace(
        ws, as_of, team=team, service=service, severity_floor=severity_floor, workspace=str(workspace)
    )
    if progress is not None:
        try:
            earlier = json.loads(progress.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(str(progress), "", "a plan written by meta254 plan --format json", str(err)) from None
        from ..drift.engine import detect_drift

        later = detect_drift(ws, as_of=plan.as_of).issues
        result = track_progress(earlier, later, as_of=plan.as_of, history=ws.drift_history)
        if fmt == "json":
            click.echo(to_json(result.to_payload()))
        else:
            table = result.items.copy()
            for c in ("due", "scheduled"):
                table[c] = table[c].map(lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
            s = result.summary
            title = (
                f"Progress of the plan of {s['plan_as_of'][:10]} at {s['report_as_of'][:10]}: done {s['done']}, "
                f"partial {s['partial']}, open {s['open']}, overdue {s['overdue']}; came back: "
                f"{', '.join(s['came_back']) or 'none'}; {s['new_issues']} new issue(s) not in the plan"
            )
            text = render(table, {}, "csv" if fmt == "csv" else "table", title=title)
            click.echo(text, nl=not text.endswith("\n"))
        return EXIT_OK
    if fmt == "json":
        click.echo(plan.to_json(), nl=False)
    elif fmt == "markdown":
        click.echo(plan_markdown(plan), nl=False)
    elif fmt == "csv":
        click.echo(render(_csv_table(plan), {}, "csv"), nl=False)
    else:
        text = render(plan.table().reindex(columns=list(PLAN_TABLE_COLUMNS)), {}, "table", title=_title(plan))
        click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK
