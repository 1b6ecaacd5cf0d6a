"""The weekly report: run every report notebook with papermill and publish an offline HTML folder.

This module is the recipe; each step lives in its own module of :mod:`meta254lib.report`.

:func:`build_report` is the whole job behind ``meta254 report``:

1. discover the notebooks (``notebooks/*.ipynb`` of the repository, or another folder) and read the
   parameters each declares in its ``parameters`` cell; pass each only the run parameters it declares
   (``workspace``, ``as_of``, ``team``);
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
      2025-W41-team-<team>/     a --team run
      latest -> 2025-W41        symlink, replaced atomically (latest-team-<team> for --team runs)

The run is built in a hidden temporary folder next to the target (``.tmp-...``) and renamed into
place; an interrupted run (Ctrl-C, SIGTERM) kills its kernels and removes that folder, and a later
run removes leftovers of a killed one. Nothing is written to ``$HOME``: unset ``JUPYTER_*`` and
``IPYTHONDIR`` variables are pointed at the project's ``.jupyter`` folder (or a temp folder).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..core.errors import ParameterError
from ..core.schema import TEAM
from ..views.escape import table_slug
from ..workspace.workspace import Workspace, open_workspace
from .asof import as_of_param, iso_week, parse_as_of
from .context import resolve_context, warm
from .environment import jupyter_environment, shared_workspace_cache
from .execute import longest_first, previous_seconds, worker
from .index import unusable_inputs, write_indexes
from .kernels import kernel_manager_class, kill_kernels
from .notebooks import NotebookSpec, default_notebooks_dir, discover_notebooks, select_notebooks
from .publish import publish_run, sweep_stale
from .run_model import Job, PageResult, ProgressEvent, ReportResult, RunState

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
        Notebook names (file stems) to run; default all.
    jobs : int, optional
        Notebooks executed at the same time; default the number of CPUs.
    notebooks_dir : path, optional
        Folder of notebooks; default :func:`default_notebooks_dir`.
    timeout : int
        Seconds a single cell may run.
    progress : callable, optional
        Called with a :class:`ProgressEvent` when a page starts and finishes (from the calling thread).

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
    """
    started = time.perf_counter()
    ws_path = Path(workspace).expanduser().resolve()
    if not ws_path.is_dir():
        raise ParameterError(f"--workspace: folder not found: {workspace}")
    with shared_workspace_cache(ws_path):
        return _run_report(
            workspace,
            ws_path,
            started,
            as_of=as_of,
            team=team,
            all_teams=all_teams,
            out=out,
            only=only,
            jobs=jobs,
            notebooks_dir=notebooks_dir,
            timeout=timeout,
            progress=progress,
        )


def _run_report(
    workspace: Path | str,
    ws_path: Path,
    started: float,
    *,
    as_of: str | None,
    team: str | None,
    all_teams: bool,
    out: Path | str,
    only: Sequence[str] | None,
    jobs: int | None,
    notebooks_dir: Path | str | None,
    timeout: int,
    progress: Callable[[ProgressEvent], None] | None,
) -> ReportResult:
    """The run, step by step: check the options, plan the jobs, execute them, write the indexes, publish."""
    if team is not None and all_teams:
        raise ParameterError("--team and --all-teams are mutually exclusive")
    as_of_ts = parse_as_of(as_of)
    specs = _chosen_notebooks(only, notebooks_dir)
    jupyter_environment()
    out_dir = _prepare_out_dir(out)
    ws, teams = _team_scope(ws_path, team, all_teams)
    targets = _targets(team, teams)
    job_list = _job_list(specs, targets, ws_path, as_of_ts)
    _import_execution_stack()
    shared = _new_run_state(out_dir, specs, workspace, team, timeout)
    n_workers = max(1, min(jobs or os.cpu_count() or 1, len(job_list)))
    workers: list[threading.Thread] = []
    with _sigterm_as_interrupt():
        try:
            state: dict[str, Any] = {}
            context = _start_background(ws_path, as_of_ts, ws, shared, state)
            workers, results = _start_workers(job_list, shared, n_workers, previous_seconds(out_dir, team))
            pages = _collect_pages(results, job_list, shared, progress)
            context.join()
            if shared.error is not None:
                raise shared.error
            week = iso_week(state["as_of_ts"])
            ok = all(p.status == "ok" for p in pages)
            write_indexes(
                shared.tmp, week, shared, state, pages, targets, team, specs, jobs=n_workers, ws_arg=workspace
            )
            final, latest = publish_run(shared.tmp, out_dir, _folder_name(week, team, ok), team=team, ok=ok)
            return ReportResult(
                folder=final,
                index=final / "index.html",
                week=week,
                as_of=shared.as_of_text,
                pages=pages,
                seconds=time.perf_counter() - started,
                latest=latest,
                unusable_inputs=unusable_inputs(state.get("inputs")),
            )
        except BaseException:
            _abort(shared, workers)
            raise
        finally:
            shutil.rmtree(shared.ipc_dir, ignore_errors=True)


def _chosen_notebooks(only: Sequence[str] | None, notebooks_dir: Path | str | None) -> list[NotebookSpec]:
    """The notebooks to run (``--only``), in page order.

    Raises
    ------
    ParameterError
        An unknown ``--only`` name, or no notebook at all.
    """
    specs = select_notebooks(discover_notebooks(notebooks_dir), only)
    if not specs:
        raise ParameterError(f"no notebooks to run in {notebooks_dir or default_notebooks_dir()}")
    return specs


def _prepare_out_dir(out: Path | str) -> Path:
    """The output folder, created, without the leftovers of killed runs."""
    out_dir = Path(out).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_dir)
    return out_dir


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


def _targets(team: str | None, teams: Sequence[str]) -> list[tuple[str | None, str]]:
    """(team, folder) of every report of the run: the run's own, then ``teams/<slug>/`` per team.

    Examples
    --------
    >>> _targets(None, ["Core"])
    [(None, ''), ('Core', 'teams/core/')]
    """
    return [(team, ""), *((t, f"teams/{table_slug(t)}/") for t in teams)]


def _job_list(
    specs: Sequence[NotebookSpec],
    targets: Sequence[tuple[str | None, str]],
    ws_path: Path,
    as_of_ts: pd.Timestamp | None,
) -> list[Job]:
    """One job per notebook and target; each notebook gets the run parameters it declares."""
    job_list: list[Job] = []
    for t, rel in targets:
        for spec in specs:
            values = {"workspace": str(ws_path), "as_of": as_of_param(as_of_ts), "team": t}
            params = {k: values[k] for k in spec.parameters if k in values}
            job_list.append(Job(len(job_list), spec, t, rel, params))
    return job_list


def _import_execution_stack() -> None:
    """Import papermill and nbclient once, here: importing them concurrently from several worker threads
    trips over jupyter_client's circular imports."""
    import nbclient  # noqa: F401
    import papermill
    import papermill.exceptions  # noqa: F401

    kernel_manager_class()


def _new_run_state(
    out_dir: Path, specs: list[NotebookSpec], workspace: Path | str, team: str | None, timeout: int
) -> RunState:
    """The run's state, with its hidden build folder in ``out_dir`` and a folder for the kernels' sockets."""
    label = f"team-{table_slug(team)}" if team else "platform"
    tmp = out_dir / f".tmp-{label}-{os.getpid()}-{os.urandom(4).hex()}"
    tmp.mkdir()
    ipc_dir = Path(tempfile.mkdtemp(prefix=f"m254-ipc-{os.getpid()}-"))
    meta = (("workspace", str(workspace)), ("meta254", __version__))
    return RunState(tmp=tmp, ipc_dir=ipc_dir, specs=specs, meta=meta, timeout=timeout)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while the run lasts (main thread only), so it cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old_handler = signal.signal(signal.SIGTERM, _on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old_handler)


def _start_background(
    ws_path: Path, as_of_ts: pd.Timestamp | None, ws: Workspace | None, shared: RunState, state: dict[str, Any]
) -> threading.Thread:
    """Start the threads that warm the exporter and resolve the run's context; return the context thread."""
    warm_thread = threading.Thread(target=warm, args=(shared.tmp, state), name="m254-warm", daemon=True)
    warm_thread.start()
    context = threading.Thread(
        target=resolve_context,
        args=(ws_path, as_of_ts, ws, shared, state, warm_thread),
        name="m254-context",
        daemon=True,
    )
    context.start()
    return context


def _start_workers(
    job_list: Sequence[Job], shared: RunState, n_workers: int, seconds: Mapping[str, float]
) -> tuple[list[threading.Thread], queue.Queue[Any]]:
    """Queue the jobs longest first and start ``n_workers`` worker threads; return them and their results queue."""
    job_q: queue.Queue[Job | None] = queue.Queue()
    res_q: queue.Queue[Any] = queue.Queue()
    for job in longest_first(job_list, seconds):
        job_q.put(job)
    for _ in range(n_workers):
        job_q.put(None)
    workers = [
        threading.Thread(target=worker, args=(job_q, res_q, shared), name=f"m254-job{i}", daemon=True)
        for i in range(n_workers)
    ]
    for w in workers:
        w.start()
    return workers, res_q


def _collect_pages(
    results: queue.Queue[Any],
    job_list: Sequence[Job],
    shared: RunState,
    progress: Callable[[ProgressEvent], None] | None,
) -> tuple[PageResult, ...]:
    """Wait for every page, reporting progress; the pages in job order.

    Raises the error of a background thread or a crashed worker.
    """
    total = len(job_list)
    pages: dict[int, PageResult] = {}
    while len(pages) < total:
        try:
            kind, job, payload = results.get(timeout=0.25)
        except queue.Empty:
            if shared.error is not None:
                raise shared.error from None
            if progress:
                progress(ProgressEvent("tick", "", len(pages), total))
            continue
        if kind == "started":
            if progress:
                progress(ProgressEvent("started", job.label, len(pages), total))
            continue
        if kind == "crashed":
            if shared.error is not None:
                raise shared.error from None
            raise payload
        pages[job.index] = payload
        if progress:
            msg = payload.failure.one_line() if payload.failure is not None else payload.headline
            progress(ProgressEvent("finished", job.label, len(pages), total, payload.seconds, payload.status, msg))
    return tuple(pages[i] for i in range(total))


def _folder_name(week: str, team: str | None, ok: bool) -> str:
    """The run folder's name: ``<week>[-team-<team>][-failed]``.

    Examples
    --------
    >>> _folder_name("2025-W41", None, True), _folder_name("2025-W41", "Core", False)
    ('2025-W41', '2025-W41-team-core-failed')
    """
    return week + (f"-team-{table_slug(team)}" if team else "") + ("" if ok else "-failed")


def _abort(shared: RunState, workers: Sequence[threading.Thread]) -> None:
    """Stop an interrupted or failed run: cancel, kill the kernels, let the workers end, drop the build folder."""
    shared.cancel.set()
    shared.ready.set()
    kill_kernels()
    deadline = time.monotonic() + 2.0
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
    shutil.rmtree(shared.tmp, ignore_errors=True)
