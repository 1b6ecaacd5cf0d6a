"""``meta254 trains``: the release trains of ``catalog/release-trains.yaml`` checked against the workspace.

Output
    ``--format json``: ``workspace``, ``as_of``, ``sources``, ``summary`` (trains by verdict), ``trains``
    (one entry per train in file order: the summary fields, then ``participants``, ``requirements``,
    ``gates``, ``sequence``, ``items`` and ``rollback``) and ``findings`` (what is wrong with the file).
    ``--format csv``: one row per train (lists joined with ``|``). ``--format table``: the summary, and
    with ``--train`` every table of that train. ``--format markdown``: the report section.

Exit code 0, or 1 when a selected train is blocked.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: trains [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click

from ..remediation.trains import release_trains
from ..views.trains import train_gates_table, trains_headline, trains_markdown, trains_table
from .common import (
    as_of_option,
    debug_option,
    format_option,
    open_state,
    render,
    run_command,
    to_json,
    workspace_option,
)

__all__ = ["command"]


def _detail(result: object, train: str) -> str:
    """Every table of one train, as text."""
    parts = []
    for title, key, cols in (
        ("Participants", "participants", ["name", "service", "domain", "error"]),
        ("Spec requirements", "requirements", ["requirement", "status", "pinned_by", "blockers", "note"]),
        (
            "Release sequence (roll back in reverse)",
            "sequence",
            ["wave", "services", "start_minute", "minutes", "warning"],
        ),
        ("Plan items carried (L2 coordination)", "items", ["item", "service", "subject", "current", "target"]),
    ):
        df = getattr(result, key)
        rows = df.loc[df["train"] == train, cols].astype(object)
        parts.append(render(rows.where(rows.notna(), None), {}, "table", title=f"\n{title}"))
        if key == "requirements":
            gates = train_gates_table(result, train).drop(columns="train")  # type: ignore[arg-type]
            parts.append(render(gates, {}, "table", title="\nGates"))
    return "\n".join(parts)


@click.command("trains")
@workspace_option
@as_of_option
@click.option("--train", "train", default=None, help="Only this train (its name in release-trains.yaml).")
@format_option(extra=("markdown",), table=False)
@debug_option
@run_command
def command(workspace: Path, as_of: str | None, train: str | None, fmt: str, debug: bool) -> int:
    """Check release trains: participants, spec requirements, gates, release sequence and readiness."""
    state = open_state(workspace, as_of)
    result = release_trains(state, train=train)
    verdicts = result.trains["verdict"].value_counts().to_dict()
    if fmt == "markdown":
        click.echo(trains_markdown(result), nl=False)
    elif fmt == "json":
        payload = {
            "workspace": str(workspace),
            "as_of": state.as_of,
            "summary": {"trains": len(result.trains), "by_verdict": {k: int(v) for k, v in sorted(verdicts.items())}},
            **result.to_dict(),
        }
        click.echo(to_json(payload))
    else:
        table = trains_table(result) if fmt == "table" else result.trains
        text = render(table, {}, fmt, title=trains_headline(result))
        if fmt == "table" and train is not None:
            text += "\n" + _detail(result, train)
        click.echo(text, nl=fmt != "csv")
    return 1 if verdicts.get("blocked", 0) else 0
