"""``meta254 diff A B``: what changed between two workspaces, or one workspace at two as-of dates."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.clock import ISO_8601
from ..core.errors import EXIT_OK
from ..state.diff import diff_states, diff_summary
from .common import debug_option, default_workspace, format_option, open_state, render, run_command

__all__ = ["command"]


def _markdown(diff, title: str) -> str:
    lines = [f"# {title}", ""]
    for kind, rows in diff.groupby("kind", sort=False):
        lines.append(f"## {kind}")
        for r in rows.itertuples(index=False):
            arrow = f"{r.before} → {r.after}" if r.change == "changed" else (r.after or r.before)
            lines.append(f"- {r.change} `{r.key}`: {arrow}")
        lines.append("")
    return "\n".join(lines) if len(diff) else f"# {title}\n\nNo differences.\n"


@click.command("diff")
@click.argument("before")
@click.argument("after")
@click.option(
    "--workspace",
    "-w",
    "workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With two dates: the workspace (default: $META254_WORKSPACE, else the current folder).",
)
@format_option(extra=("markdown",))
@debug_option
@run_command
def command(before: str, after: str, workspace: Path | None, fmt: str, debug: bool) -> int:
    """What changed from BEFORE to AFTER: services, edges, pins, exemptions, scores and open drift.

    BEFORE and AFTER are two workspace folders (each at its catalog's generated_at), or two ISO dates
    (the --workspace at each as-of).
    """
    if ISO_8601.fullmatch(before) and ISO_8601.fullmatch(after):
        workspace = default_workspace(workspace)
        a, b = open_state(workspace, before), open_state(workspace, after)
        title = f"Changes in {workspace} from {before} to {after}"
    else:
        a, b = open_state(Path(before)), open_state(Path(after))
        title = f"Changes from {before} to {after}"
    diff = diff_states(a, b)
    if fmt == "markdown":
        click.echo(_markdown(diff, title), nl=False)
        return EXIT_OK
    summary = diff_summary(diff)
    payload = {"before": before, "after": after, "summary": summary, "changes": diff}
    counts = "; ".join(f"{k}: " + ", ".join(f"{n} {c}" for c, n in v.items()) for k, v in summary.items())
    text = render(diff, payload, fmt, title=f"{title}: {counts or 'no differences'}")
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK
