"""``meta254 export``: the drift and quality history as a Parquet dataset partitioned by ISO week.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: export [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import EXIT_OK
from .common import debug_option, open_ws, run_command, scope_options, shown_path, workspace_option

__all__ = ["command"]

#: The export formats (one today).
FORMATS = ("parquet",)


def _summary(meta: dict) -> str:
    parts = []
    for name, d in meta["datasets"].items():
        parts.append(f"{d['rows']:,} {name.replace('_', ' ')} rows in {len(d['partitions'])} week(s)")
    size = sum(d["bytes"] for d in meta["datasets"].values())
    return f"{', '.join(parts)} ({size / 1e6:.1f} MB)"


@click.command("export")
@workspace_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="parquet",
    show_default=True,
    help="Output format: Parquet files, hive-partitioned by week.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write (absent or empty; any folder with --force).",
)
@scope_options
@click.option("--force", is_flag=True, help="Replace --out when it is not empty.")
@debug_option
@run_command
def command(
    workspace: Path, fmt: str, out: Path, team: str | None, domain: str | None, force: bool, debug: bool
) -> int:
    """Export the drift and quality history for DuckDB, Spark or Trino.

    Writes OUT/drift_issues/week=YYYY-Www/part-0.parquet (every issue of every drift report) and
    OUT/quality_scores/week=YYYY-Www/part-0.parquet (every service of every quality snapshot), by the
    ISO week of the report or snapshot time, and OUT/_meta.json (workspace, as-of, row counts).
    The folder is built aside and renamed into place. Exit code 0; 2 for unusable input or an --out
    that is a file, not empty (without --force) or not writable.
    """
    from ..report.history_export import export_history_parquet  # pyarrow.parquet: only when exporting

    meta = export_history_parquet(open_ws(workspace), out, team=team, domain=domain, force=force)
    click.echo(f"wrote {shown_path(out)}: {_summary(meta)}")
    return EXIT_OK
