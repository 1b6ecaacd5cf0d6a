"""``meta254 report``: run every report notebook and publish the weekly HTML report folder.

Progress goes to stderr: a progress bar on a terminal, one plain line per page start and finish
otherwise (cron, CI). The last line on stdout is the absolute path of the report's ``index.html``. Exit code
0 when every page rendered, 1 when a page failed (the one-line summary names the first failure) or
when some workspace files could not be used (the pages render without them and say so), 2 for an
unusable catalog or options, an ``--out`` folder another run is writing into (without ``--wait``),
or an output the disk refuses (full, read-only; the message names the path).

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(command, ["--help"]).output.splitlines()[0]
'Usage: report [OPTIONS]'
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from ..core.errors import ReportError
from ..core.settings import DEFAULT_MANIFEST_URL, DEFAULT_STALE_AFTER_DAYS
from .common import as_of_option, debug_option, run_command, shown_path, workspace_option

if TYPE_CHECKING:
    from ..report.run_model import ProgressEvent

__all__ = ["ProgressPrinter", "command"]


class ProgressPrinter:
    """Show :class:`~meta254lib.report.run_model.ProgressEvent` objects: a bar on a TTY, plain lines otherwise.

    Parameters
    ----------
    stream : file
        Where to write (stderr).
    mode : {"bar", "lines", "quiet"}
        ``bar`` redraws one line; ``lines`` prints one line per page start and finish.
    verbose : bool
        Lines mode also prints each page's headline or error.

    Examples
    --------
    >>> import io
    >>> from meta254lib.report.run_model import ProgressEvent
    >>> buf = io.StringIO()
    >>> p = ProgressPrinter(buf, "lines")
    >>> p(ProgressEvent("started", "overview", 0, 2))
    >>> p(ProgressEvent("finished", "overview", 1, 2, 3.25, "ok", "61 services"))
    >>> print(buf.getvalue(), end="")
    [0/2] started  overview
    [1/2] finished overview in 3.2 s: ok
    """

    def __init__(self, stream: IO[str], mode: str, verbose: bool = False) -> None:
        self.stream = stream
        self.mode = mode
        self.verbose = verbose
        self.running: dict[str, float] = {}
        self.done = 0
        self.total = 0
        self.failed = 0
        self._width = 0

    def __call__(self, event: ProgressEvent) -> None:
        """Handle one event."""
        self.total = event.total
        if event.kind == "started":
            self.running[event.label] = time.monotonic()
        elif event.kind == "finished":
            self.running.pop(event.label, None)
            self.done = event.done
            self.failed += event.status != "ok"
        if self.mode == "lines" and event.kind != "tick":
            self._line(event)
        elif self.mode == "bar":
            if event.kind == "finished" and event.status != "ok":
                self._clear()
                self.stream.write(f"failed: {event.label} ({event.seconds:.1f} s): {event.message}\n")
            self._bar()

    def _line(self, event: ProgressEvent) -> None:
        if event.kind == "started":
            text = f"[{event.done}/{event.total}] started  {event.label}"
        else:
            text = f"[{event.done}/{event.total}] finished {event.label} in {event.seconds:.1f} s: {event.status}"
            if event.message and (self.verbose or event.status != "ok"):
                text += f" - {event.message}"
        self.stream.write(text + "\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0

    def _bar(self) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else 0
        now = time.monotonic()
        running = ", ".join(f"{label} {now - t0:.0f}s" for label, t0 in self.running.items())
        text = f"[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total}"
        if self.failed:
            text += f" ({self.failed} failed)"
        if running:
            text += f"  running: {running}"
        try:
            cols = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, AttributeError, ValueError):
            cols = 0
        if cols < 40:  # unknown (0) or absurdly narrow: do not cut the bar to nothing
            cols = 100
        text = text[: cols - 1]
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        """End the bar's line."""
        if self.mode == "bar" and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


@click.command("report")
@workspace_option
@as_of_option
@click.option("--team", default=None, help="Filter every page to one team's services and dependents.")
@click.option("--all-teams", is_flag=True, help="Also render one report per team, under <week>/teams/<team>/.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding the weekly folders and the `latest` link.",
)
@click.option(
    "--only",
    default=None,
    help="Comma-separated notebook names to run (default: all); the week's other pages are kept from its last run.",
)
@click.option("--wait", is_flag=True, help="If another run is writing into --out, wait for it instead of exiting 2.")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Notebooks run at once [default: CPU count]."
)
@click.option(
    "--notebooks",
    "notebooks_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of report notebooks [default: the repository's notebooks/].",
)
@click.option("--timeout", type=click.IntRange(min=1), default=900, show_default=True, help="Seconds one cell may run.")
@click.option(
    "--stale-after",
    "stale_after",
    type=click.IntRange(min=0),
    default=DEFAULT_STALE_AFTER_DAYS,
    show_default=True,
    metavar="DAYS",
    help="Warn on the index and every page when the newest input is older than DAYS at render time (0: never).",
)
@click.option(
    "--manifest-url",
    default=DEFAULT_MANIFEST_URL,
    show_default=True,
    metavar="PATTERN",
    help="Link to a service's manifest ({repo}, {path}, {service}); passed to notebooks declaring manifest_url.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the index path (and the failure summary).")
@click.option("--verbose", "-v", is_flag=True, help="One line per page start/finish, with headlines.")
@debug_option
@run_command
def command(
    workspace: Path,
    as_of: str | None,
    team: str | None,
    all_teams: bool,
    out: Path,
    only: str | None,
    wait: bool,
    jobs: int | None,
    notebooks_dir: Path | None,
    timeout: int,
    stale_after: int,
    manifest_url: str,
    quiet: bool,
    verbose: bool,
    debug: bool,
) -> int:
    """Run every report notebook with papermill and publish reports/<ISO week>/ (offline HTML).

    Writes index.html, one page per notebook, the executed notebooks, CSV/JSON of every table and
    summary.md, then points reports/latest at the run. A run with a failed page is kept as
    <week>-failed and leaves latest untouched (exit code 1). An --only run keeps the week's other
    pages; a week still missing a page is kept as <week>-partial and leaves latest untouched. One run
    at a time writes into --out (exit 2 when busy, or --wait). A run on a workspace with unusable files
    is published, names them in summary.md and the index, and exits 1.
    """
    from ..report.run import build_report

    if quiet:
        mode = "quiet"
    elif verbose or not sys.stderr.isatty():
        mode = "lines"
    else:
        mode = "bar"
    printer = ProgressPrinter(sys.stderr, mode, verbose=verbose)
    try:
        result = build_report(
            workspace,
            as_of=as_of,
            team=team,
            all_teams=all_teams,
            out=out,
            only=only.split(",") if only else None,
            jobs=jobs,
            notebooks_dir=notebooks_dir,
            timeout=timeout,
            progress=printer if mode != "quiet" else None,
            wait=wait,
            stale_after_days=stale_after,
            manifest_url=manifest_url,
        )
    finally:
        printer.close()
    index = shown_path(result.index)
    if not result.ok:
        click.echo(index)
        raise ReportError(f"{result.summary_line()}; failed report: {index}")
    if result.unusable_inputs:  # rendered and published, but it could not judge everything: exit 1
        click.echo(index)
        files = result.unusable_inputs
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        raise ReportError(
            f"{result.summary_line()}, but {len(files)} input file(s) could not be used and what they hold "
            f"was not judged: {shown} (see {index})"
        )
    if not quiet:
        click.echo(result.summary_line(), err=True)
        if verbose and result.latest is not None:
            click.echo(f"{shown_path(result.latest)} -> {result.folder.name}", err=True)
    click.echo(index)
    return 0
