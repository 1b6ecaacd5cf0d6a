"""``meta254 bench``: time every stage at fleet scale beside naive baselines (see :mod:`meta254lib.devtools.bench`).

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: bench [OPTIONS]'
>>> parse_sizes("1000, 3000,10000")
(1000, 3000, 10000)
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core.errors import EXIT_OK, ParameterError
from .common import debug_option, run_command, shown_path

__all__ = ["command", "parse_sizes"]


def parse_sizes(text: str) -> tuple[int, ...]:
    """Service counts from ``"1000,3000"``; each at least the sample generator's minimum.

    Examples
    --------
    >>> parse_sizes("10")
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: --sizes: each size must be an integer >= 16, found '10'
    """
    from ..devtools.sample import MIN_SERVICES

    out = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        if not part.isdigit() or int(part) < MIN_SERVICES:
            raise ParameterError(f"--sizes: each size must be an integer >= {MIN_SERVICES}, found {part!r}")
        out.append(int(part))
    if not out:
        raise ParameterError("--sizes: give at least one size, e.g. 1000,3000,10000")
    return tuple(out)


@click.command("bench")
@click.option("--sizes", default=None, metavar="N[,N...]", help="Service counts to run (default: --services).")
@click.option("--services", default=10_000, show_default=True, type=int, help="Service count when --sizes is absent.")
@click.option("--weeks", default=52, show_default=True, type=int, help="Weekly drift reports and quality snapshots.")
@click.option(
    "--edges-per-service",
    default=3,
    show_default=True,
    type=int,
    help="Internal dependency entries per service (3 gives 30,000 edges for 10,000 services).",
)
@click.option("--sample", default=200, show_default=True, type=int, help="Services the nx.ancestors baseline runs on.")
@click.option(
    "--out",
    "out",
    default="bench-results/bench.json",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the JSON results.",
)
@click.option("--skip-report", is_flag=True, help="Skip the weekly-report stage (it runs notebooks: minutes).")
@click.option(
    "--report",
    "fleet_report",
    is_flag=True,
    help="Also time the main job at the largest size: the history load against its parse floor, and the weekly "
    "report beside the data/sample report (cold caches, same run, peak RSS). Minutes.",
)
@click.option(
    "--report-only",
    is_flag=True,
    help="Only the main job of --report: no per-size stages and no sample-report baseline.",
)
@click.option(
    "--fleet-workspace",
    default=None,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The workspace --report times (default: one generated with the largest size and --weeks).",
)
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Generate the workspaces here instead of a temporary folder (they are deleted after each size).",
)
@click.option("--seed", default=254, show_default=True, type=int, help="Seed of the sample generator.")
@click.option(
    "--stage-timeout",
    default=900,
    show_default=True,
    type=int,
    help="Seconds after which a stage is stopped and reported as not finished.",
)
@debug_option
@run_command
def command(
    sizes: str | None,
    services: int,
    weeks: int,
    edges_per_service: int,
    sample: int,
    out: Path,
    skip_report: bool,
    fleet_report: bool,
    report_only: bool,
    fleet_workspace: Path | None,
    workdir: Path | None,
    seed: int,
    stage_timeout: int,
    debug: bool,
) -> int:
    """Generate synthetic workspaces and time each stage against its baseline.

    Prints one table per size (stage, our time, baseline time, ratio, peak RSS, targets met) and,
    with several sizes, how each stage grows; with --report, the main job (history load against its
    parse floor, and the fleet's weekly report against the sample's); writes everything to --out as JSON.
    """
    from ..devtools.bench import run_bench
    from ..devtools.bench_format import format_scaling, format_table, main_job_text

    chosen = parse_sizes(sizes) if sizes else parse_sizes(str(services))
    if not 1 <= weeks <= 520:
        raise ParameterError(f"--weeks must be in 1..520, found {weeks}")
    if edges_per_service < 0 or sample < 1:
        raise ParameterError("--edges-per-service must be >= 0 and --sample >= 1")

    def progress(msg: str) -> None:
        click.echo(msg, err=True)

    result = run_bench(
        chosen,
        weeks=weeks,
        edges_per_service=edges_per_service,
        seed=seed,
        sample=sample,
        skip_report=skip_report,
        workdir=workdir,
        progress=progress,
        timeout=float(stage_timeout),
        fleet_report=fleet_report,
        fleet_workspace=fleet_workspace,
        report_only=report_only,
    )
    m = result["machine"]
    click.echo(
        f"machine: nproc={m['nproc']}, {m['cpu_model']}, {m['mem_total_mb']} MB RAM, load average at start "
        f"{m['loadavg']}, Python {m['python']}, pandas {m['versions']['pandas']}, numpy {m['versions']['numpy']}, "
        f"networkx {m['versions']['networkx']}"
    )
    click.echo("times: wall-clock seconds; ratio: baseline / ours (cold load: ours / parse floor); "
               "peak RSS: VmHWM of the process that ran the stage, loading included")  # fmt: skip
    for run in result["runs"]:
        click.echo("")
        click.echo(
            f"{run['services']:,} services, {run['edges']:,} internal edges, {run['weeks']} weekly reports and "
            f"snapshots ({run['files']:,} files, {run['workspace_bytes'] / 1e6:.0f} MB; generated in "
            f"{run['generate_s']:.0f} s)"
        )
        click.echo(format_table(run["stages"]))
        for row in run["stages"]:
            if row.get("note"):
                click.echo(f"  {row['stage']}: {row['note']}")
    if result["report"] is not None:
        click.echo("")
        click.echo(format_table([result["report"]]))
        click.echo(f"  {result['report']['stage']}: {result['report']['note']}")
    if result.get("main_job") is not None:
        click.echo("")
        click.echo(main_job_text(result["main_job"], m))
    if len(result["runs"]) > 1:
        click.echo("")
        click.echo(format_scaling(result["scaling"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"\nwritten: {shown_path(out)}")
    return EXIT_OK
