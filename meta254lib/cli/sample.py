"""``meta254 sample``: write the deterministic sample platform workspace.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: sample [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click

from ..devtools.sample import DEFAULTS, MIN_SERVICES, generate_sample
from .common import debug_option, run_command, shown_path

__all__ = ["command"]


@click.command("sample")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write (empty, absent, or an earlier generated sample, which is replaced).",
)
@click.option(
    "--services",
    default=DEFAULTS["services"],
    show_default=True,
    type=int,
    help=f"Services in the catalog (at least {MIN_SERVICES}; beyond 60, generated fleet services).",
)
@click.option("--weeks", default=DEFAULTS["weeks"], show_default=True, type=int, help="Weekly reports and snapshots.")
@click.option("--seed", default=DEFAULTS["seed"], show_default=True, type=int, help="Random seed.")
@click.option("--end", default=DEFAULTS["end"], show_default=True, help="Date of the newest week (YYYY-MM-DD).")
@click.option(
    "--internal-edges",
    "internal_edges",
    default=None,
    type=int,
    help="Total internal dependency entries (fleet sizes only); default about 3 per fleet service.",
)
@debug_option
@run_command
def command(out: Path, services: int, weeks: int, seed: int, end: str, internal_edges: int | None, debug: bool) -> int:
    """Write a sample platform workspace: same arguments, byte-identical files."""
    s = generate_sample(out, services=services, weeks=weeks, seed=seed, end=end, internal_edges=internal_edges)
    click.echo(
        f"wrote {shown_path(out)}: {s['services']} services, {s['edges']} internal edges, {s['specs']} specs, "
        f"{s['advisories']} advisories, {s['weeks']} weeks of drift reports and quality snapshots "
        f"({s['files']} files, {s['bytes'] / 1e6:.1f} MB, seed {s['seed']})"
    )
    return 0
