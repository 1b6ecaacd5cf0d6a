"""The weekly report: run every report notebook with papermill and publish an offline HTML folder.

This module is the recipe; each step lives in its own module of :mod:`meta254lib.report`.

:func:`build_report` is the whole job behind ``meta254 report``:

1. discover the notebooks (``notebooks/*.ipynb`` of the repository, or another folder) and read the
   parameters each declares in its ``parameters`` cell; pass each only the run parameters it declares
   (``workspace``, ``as_of``, ``team``, ``manifest_url``);
2. execute them with papermill, up to ``jobs`` at a time, each kernel on the ``ipc`` transport (no TCP
   port, no "running over TCP without encryption" warning) with its own log file; meanwhile, threads
   import nbconvert and open the workspace for the index, off the critical path;
3. for each executed notebook: export the tables it showed (CSV + JSON), render its HTML page
   (:mod:`meta254lib.report.export`), keep the executed ``.ipynb``;
4. write ``index.html``, ``summary.md`` and ``run.json``;
5. move the folder into place atomically, and point ``latest`` at it when every page succeeded.

Layout of one run (``<week>`` is the ISO week of the as-of date, e.g. ``2025-W41``)::

    reports/
      2025-W41/                 the run: index.html, summary.md, run.json, <page>.html,
        assets/                 plotly.min.js and meta254.css (shared by every page)
        notebooks/<page>.ipynb  executed notebooks, kept for audit
        tables/<page>/<table>.csv|.json
        teams/<team>/           per-team reports (--all-teams), same layout without assets/
      2025-W41-failed/          a run with a failed page (never replaces 2025-W41 or latest)
      2025-W41-partial/         an --only run still missing a page after merging the week's others
      2025-W41-team-<team>/     a --team run (<team>: :func:`~meta254lib.report.publish.team_folder`)
      latest -> 2025-W41        symlink, replaced atomically (latest-team-<team> for --team runs)

The run is built in a hidden temporary folder next to the target (``.tmp-...``) and renamed into
place; an interrupted run (Ctrl-C, SIGTERM) kills its kernels and removes that folder. One run at a
time holds ``--out`` (:mod:`meta254lib.report.locks`), and removes the leftovers of killed runs, judged
by their locks: build folders in ``--out`` and run folders (``$TMPDIR/m254-run-*``: kernel sockets,
connection files, the shared cache). Nothing is written to ``$HOME``: unset ``JUPYTER_*`` and
``IPYTHONDIR`` variables are pointed at the project's ``.jupyter`` folder (or a temp folder).
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..core.atomic import ensure_folder, output_error
from ..core.clock import to_utc
from ..core.errors import OutputError, ParameterError
from ..core.schema import TEAM
from ..core.settings import DEFAULT_MANIFEST_URL, DEFAULT_STALE_AFTER_DAYS
from ..workspace.workspace import Workspace, open_workspace
from .asof import iso_week, parse_as_of
from .context import resolve_context, warm
from .environment import jupyter_environment, run_share, shared_workspace_cache
from .execute import collect_pages, previous_seconds, sigterm_as_interrupt, start_workers
from .index import link_table_files, shown_workspace, unusable_inputs, write_indexes
from .kernels import kernel_manager_class, kill_kernels
from .locks import RUN_PREFIX, hold_out_lock, run_folder, sweep_out
from .merge import is_complete, merge_previous
from .notebooks import NotebookSpec, default_notebooks_dir, discover_notebooks, select_notebooks
from .publish import folder_name, publish_run, report_targets, team_folder
from .run_model import PageResult, ProgressEvent, ReportResult, RunState, job_list

__all__ = ["CELL_TIMEOUT", "build_report"]

#: Seconds one cell may run before the page fails.
CELL_TIMEOUT = 900


def build_report(
    workspace: Path | str,
    *,
    as_of: str | None = None,
    team: str | None = None,
    all_teams: bool = False,
    out: Path | str = "reports",
    only: Sequence[str] | None = None,
    jobs: int | None = None,
    notebooks_dir: Path | str | None = None,
    timeout: int = CELL_TIMEOUT,
    progress: Callable[[ProgressEvent], None] | None = None,
    wait: bool = False,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    manifest_url: str = DEFAULT_MANIFEST_URL,
    rendered: Any = None,
) -> ReportResult:
    """Run every report notebook on a workspace and publish the weekly report folder.

    Parameters
    ----------
    workspace : path
        The workspace folder.
    as_of : str, optional
        ISO date (or timestamp) of the report; default the catalog's ``generated_at``. Its ISO week
        names the folder.
    team : str, optional
        Filter every page to one team (``team`` parameter); the folder is ``<week>-team-<team>``.
    all_teams : bool
        Also render one report per team, under ``<week>/teams/<team>/``.
    out : path, default "reports"
        Where run folders and the ``latest`` link live.
    only : sequence of str, optional
        Notebook names (file stems) to run; default all. The week's other pages are kept from its
        earlier run (:mod:`meta254lib.report.merge`); a week still missing a page is installed as
        ``<week>-partial`` and never linked as ``latest``.
    jobs : int, optional
        Notebooks executed at the same time; default the number of CPUs.
    notebooks_dir : path, optional
        Folder of notebooks; default :func:`default_notebooks_dir`.
    timeout : int
        Seconds a single cell may run.
    progress : callable, optional
        Called with a :class:`ProgressEvent` when a page starts and finishes (from the calling thread).
    wait : bool
        When another run holds ``out``'s lock, wait for it instead of failing.
    stale_after_days : int
        The index and every page warn that the data is stale when the newest input is older than
        this many days at render time; 0 turns the notice off.
    manifest_url : str
        URL pattern of a service's manifest (``{repo}``, ``{path}``, ``{service}``), passed as the
        ``manifest_url`` parameter to the notebooks that declare it.
    rendered : timestamp, optional
        The render time the staleness is judged at; default now (tests pass a fixed time).

    Returns
    -------
    ReportResult
        Check ``.ok``; a run with failed pages is installed as ``<week>-failed`` and leaves
        ``latest`` alone.

    Raises
    ------
    ParameterError
        Unknown ``--only`` name or team, bad ``as_of``, no notebooks, workspace folder missing.
    InputError
        The workspace cannot be loaded.
    OutputBusyError
        Another run is writing into ``out`` and ``wait`` is False.
    OutputError
        The disk is full or the output folder is read-only (the message names the path).
    """
    started = time.perf_counter()
    ws_path = Path(workspace).expanduser().resolve()
    if not ws_path.is_dir():
        raise ParameterError(f"--workspace: folder not found: {workspace}")
    out_dir = Path(out).expanduser().resolve()
    cwd = os.getcwd()
    try:
        with run_folder() as run_dir, shared_workspace_cache(ws_path, run_dir), run_share(run_dir):
            opts = _Options(as_of, team, all_teams, only, jobs, notebooks_dir, timeout, progress, wait)
            opts = replace(opts, stale_after_days=stale_after_days, manifest_url=manifest_url, rendered=rendered)
            return _run_report(workspace, ws_path, out_dir, run_dir, started, opts)
    except OSError as err:
        translated = _output_error(err, out_dir)
        if translated is None:
            raise
        raise translated from err
    finally:
        # papermill changes the process's folder around each notebook; from several worker threads the
        # last one to restore can leave the folder of another's notebooks: give the caller back its own
        if os.getcwd() != cwd and os.path.isdir(cwd):
            os.chdir(cwd)


@dataclass(frozen=True)
class _Options:
    """The options of :func:`build_report` passed down the run."""

    as_of: str | None
    team: str | None
    all_teams: bool
    only: Sequence[str] | None
    jobs: int | None
    notebooks_dir: Path | str | None
    timeout: int
    progress: Callable[[ProgressEvent], None] | None
    wait: bool
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    manifest_url: str = DEFAULT_MANIFEST_URL
    rendered: Any = None


def _output_error(err: OSError, out_dir: Path) -> OutputError | None:
    """An :class:`OutputError` for a write the environment refused (full disk, read-only ``--out``).

    Errors that only a write can cause are always translated; permission and I/O errors only when
    the path they name is in the output folder or the run's temp folders.
    """
    write_only = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG}
    name = os.fsdecode(err.filename) if err.filename is not None else None
    ours = name is not None and (name.startswith(str(out_dir)) or f"/{RUN_PREFIX}" in name)
    if err.errno not in write_only and not ours:
        return None
    return output_error(err, out_dir)


def _run_report(
    workspace: Path | str, ws_path: Path, out_dir: Path, run_dir: Path, started: float, o: _Options
) -> ReportResult:
    """Check the options, take ``out``'s lock, plan the jobs, execute them, write the indexes, publish."""
    if o.team is not None and o.all_teams:
        raise ParameterError("--team and --all-teams are mutually exclusive")
    as_of_ts = parse_as_of(o.as_of)
    all_specs = discover_notebooks(o.notebooks_dir)
    specs = _chosen_notebooks(all_specs, o.only, o.notebooks_dir)
    jupyter_environment()
    ensure_folder(out_dir)
    with hold_out_lock(out_dir, wait=o.wait):
        sweep_out(out_dir)  # we hold the lock: every build folder left in out_dir is a killed run's
        ws, teams = _team_scope(ws_path, o.team, o.all_teams)
        targets = report_targets(o.team, teams)
        jobs = job_list(specs, targets, ws_path, as_of_ts, o.manifest_url)
        _import_execution_stack()
        shown = shown_workspace(workspace, ws_path)  # relative: pages show no absolute path
        shared = _new_run_state(out_dir, run_dir, specs, shown, o.team, o.timeout)
        n_workers = max(1, min(o.jobs or os.cpu_count() or 1, len(jobs)))
        workers: list[threading.Thread] = []
        with sigterm_as_interrupt():
            try:
                rendered = to_utc(o.rendered) if o.rendered is not None else pd.Timestamp.now(tz="UTC")
                state: dict[str, Any] = {
                    "rendered": rendered,
                    "stale_after": o.stale_after_days,
                    "ws_path": ws_path,
                    "cwd": Path.cwd(),  # before papermill changes the process's folder
                    "manifest_url": o.manifest_url if any("manifest_url" in s.parameters for s in specs) else None,
                }
                context = _start_background(ws_path, as_of_ts, ws, shared, state, targets)
                seconds = previous_seconds(out_dir, o.team)
                workers, results = start_workers(jobs, shared, n_workers, seconds)
                pages = collect_pages(results, jobs, shared, o.progress)
                context.join()
                if shared.error is not None:
                    raise shared.error
                return _publish(
                    out_dir, shared, state, pages, targets, specs, all_specs, o, n_workers, workspace, started
                )
            except BaseException:
                _abort(shared, workers)
                raise


def _publish(
    out_dir: Path,
    shared: RunState,
    state: dict[str, Any],
    pages: Sequence[PageResult],
    targets: list[tuple[str | None, str]],
    specs: Sequence[NotebookSpec],
    all_specs: Sequence[NotebookSpec],
    o: _Options,
    n_workers: int,
    workspace: Path | str,
    started: float,
) -> ReportResult:
    """Merge an ``--only`` run with the week's earlier pages, write the indexes and install the folder."""
    week = iso_week(state["as_of_ts"])
    order = [s.name for s in all_specs]
    merged = list(pages)
    if len(specs) < len(all_specs):
        previous = out_dir / folder_name(week, o.team, True)
        merged, targets = merge_previous(shared.tmp, previous, pages, targets, order)
    complete = is_complete(merged, order)
    ok = all(p.status == "ok" for p in merged)
    link_table_files(shared.tmp, pages)
    write_indexes(shared.tmp, week, shared, state, merged, targets, o.team, specs, jobs=n_workers, ws_arg=workspace)
    name = folder_name(week, o.team, ok, partial=not complete)
    final, latest = publish_run(shared.tmp, out_dir, name, team=o.team, ok=ok and complete)
    return ReportResult(
        folder=final,
        index=final / "index.html",
        week=week,
        as_of=shared.as_of_text,
        pages=tuple(merged),
        seconds=time.perf_counter() - started,
        latest=latest,
        unusable_inputs=unusable_inputs(state.get("inputs")),
        partial=not complete,
    )


def _chosen_notebooks(
    all_specs: Sequence[NotebookSpec], only: Sequence[str] | None, notebooks_dir: Path | str | None
) -> list[NotebookSpec]:
    """The notebooks to run (``--only``), in page order.

    Raises
    ------
    ParameterError
        An unknown ``--only`` name, or no notebook at all.
    """
    specs = select_notebooks(list(all_specs), only)
    if not specs:
        raise ParameterError(f"no notebooks to run in {notebooks_dir or default_notebooks_dir()}")
    return specs


def _team_scope(ws_path: Path, team: str | None, all_teams: bool) -> tuple[Workspace | None, list[str]]:
    """The workspace, opened now when a team is involved (to check ``--team``), and the teams of ``--all-teams``.

    Raises
    ------
    ParameterError
        ``team`` owns no catalog service (the message names the known teams).
    """
    if team is None and not all_teams:
        return None, []
    ws = open_workspace(ws_path)
    if team is not None:
        ws.team_scope(team)  # ParameterError naming the known teams when the team owns no service
    known_teams = sorted({str(t) for t in ws.services[TEAM].dropna().tolist() if str(t)})
    return ws, known_teams if all_teams else []


def _import_execution_stack() -> None:
    """Import papermill and nbclient once, here: importing them concurrently from several worker threads
    trips over jupyter_client's circular imports."""
    import nbclient  # noqa: F401
    import papermill
    import papermill.exceptions  # noqa: F401

    kernel_manager_class()


def _new_run_state(
    out_dir: Path, run_dir: Path, specs: list[NotebookSpec], workspace: Path | str, team: str | None, timeout: int
) -> RunState:
    """The run's state, with its hidden build folder in ``out_dir`` and the kernels' sockets in ``run_dir/ipc``."""
    label = f"team-{team_folder(team)}" if team else "platform"
    tmp = out_dir / f".tmp-{label}-{os.getpid()}-{os.urandom(4).hex()}"
    tmp.mkdir()
    meta = (("workspace", str(workspace)), ("meta254", __version__))
    return RunState(tmp=tmp, ipc_dir=run_dir / "ipc", specs=specs, meta=meta, timeout=timeout)


def _start_background(
    ws_path: Path,
    as_of_ts: pd.Timestamp | None,
    ws: Workspace | None,
    shared: RunState,
    state: dict[str, Any],
    targets: Sequence[tuple[str | None, str]],
) -> threading.Thread:
    """Start the threads that warm the exporter and resolve the run's context (then the indexes' facts of
    ``targets``); return the context thread."""
    warm_thread = threading.Thread(target=warm, args=(shared.tmp, state), name="m254-warm", daemon=True)
    warm_thread.start()
    context = threading.Thread(
        target=resolve_context,
        args=(ws_path, as_of_ts, ws, shared, state, warm_thread, targets),
        name="m254-context",
        daemon=True,
    )
    context.start()
    return context


def _abort(shared: RunState, workers: Sequence[threading.Thread]) -> None:
    """Stop an interrupted or failed run: cancel, kill the kernels, let the workers end, drop the build folder."""
    shared.cancel.set()
    shared.ready.set()
    kill_kernels()
    deadline = time.monotonic() + 2.0
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
    shutil.rmtree(shared.tmp, ignore_errors=True)
