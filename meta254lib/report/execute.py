"""Executing report notebooks with papermill: one job per page, worker threads, longest jobs first."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .kernels import kernel_manager_class
from .page_model import FailureInfo, clean_traceback
from .pages import publish_error_page, publish_page
from .publish import latest_link
from .run_model import Job, PageResult, ProgressEvent, RunState

__all__ = [
    "collect_pages",
    "execute_job",
    "failure_from_exception",
    "iopub_timeout",
    "longest_first",
    "previous_seconds",
    "sigterm_as_interrupt",
    "start_workers",
    "worker",
]

#: Seconds each report page took on a 10,000-service workspace (2 cores, 2026-12-05): the order in which pages
#: start when no earlier run says how long they take. Long pages first keeps both workers busy to the end
#: (page order left one worker idle for the last 50 s of a 10,000-service run).
TYPICAL_SECONDS: dict[str, float] = {
    "quality_trends": 52.3,
    "drift_overview": 49.3,
    "remediation_plan": 44.8,
    "impact_analysis": 36.9,
    "release_trains": 17.8,
    "workspace_overview": 6.0,
}


def failure_from_exception(err: BaseException, job: Job, log_path: Path | None) -> FailureInfo:
    """Why a page failed: the failing cell and traceback of a cell error, else the error and the kernel log.

    An error of ours that names an input file first (``<file>: <field>: expected ...``) adds that file
    to the inputs shown.
    """
    inputs = list(job.inputs())
    ename = getattr(err, "ename", None)
    evalue = getattr(err, "evalue", None)
    if ename is not None:
        message = f"{ename}: {evalue}"
        cell_source = getattr(err, "source", "") or ""
        exec_count = getattr(err, "exec_count", None)
        traceback = clean_traceback(getattr(err, "traceback", []) or [])
        # Our InputError names the offending file first: "<file>: <field>: expected ..."
        if ename in {"InputError", "SchemaError", "UnknownServiceError", "ParameterError"} and evalue:
            head = str(evalue).split(": ", 1)[0]
            if "/" in head or "." in head:
                inputs.append(("input file", head))
        return FailureInfo(
            message=message,
            cell_index=exec_count,
            cell_source=cell_source,
            traceback=traceback,
            inputs=tuple(inputs),
        )
    message = f"{type(err).__name__}: {err}".strip()
    tail = ""
    if log_path is not None and log_path.is_file():
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if lines:
            tail = "Kernel log (last lines):\n" + "\n".join(lines[-20:])
    return FailureInfo(message=message, traceback=clean_traceback(tail), inputs=tuple(inputs))


def execute_job(job: Job, shared: RunState) -> tuple[Any, FailureInfo | None]:
    """Run one notebook; return (executed notebook, failure or None)."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    out = shared.tmp / job.rel / "notebooks" / f"{job.spec.name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    ip = shared.ipc_dir / f"k{job.index}"
    # the connection file holds the kernel's signing key: it lives in the run folder, removed with it
    connection_file = shared.ipc_dir.parent / "runtime" / f"kernel-k{job.index}.json"
    config = Config(
        {
            "KernelManager": {"transport": "ipc", "ip": str(ip), "connection_file": str(connection_file)},
            # the outputs are in once the last cell ran: a graceful shutdown only costs 1-2 s per page
            "NotebookClient": {
                "kernel_manager_class": kernel_manager_class(),
                "shutdown_kernel": "immediate",
                "iopub_timeout": iopub_timeout(shared.timeout),
            },
        }
    )
    try:
        return _papermill(job, out, config, shared.timeout), None
    except PapermillExecutionError as err:
        nb = nbformat.read(str(out), as_version=4)
        return nb, failure_from_exception(err, job, None)
    except Exception as err:  # kernel died, timeout, bad notebook: the page fails, the run goes on
        if out.is_file():
            nb = nbformat.read(str(out), as_version=4)
        else:
            nb = nbformat.read(str(job.spec.path), as_version=4)
        return nb, failure_from_exception(err, job, Path(f"{ip}.log"))


def _papermill(job: Job, out: Path, config: Any, timeout: int) -> Any:
    """Execute the job's notebook as ``papermill.execute_notebook`` does, less its final save.

    papermill serialises the executed notebook to its output path when the run ends; the page writes
    its own compact copy there afterwards (:func:`~meta254lib.report.pages.publish_page`), so that save
    only cost time: at 10,000 services, a deep copy and an indented JSON dump of every page's outputs,
    about 20 s of this process (which also exports the pages and computes the index meanwhile). When a
    cell fails, papermill's own check still writes the notebook to ``out`` and raises.
    """
    from papermill.engines import papermill_engines
    from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook
    from papermill.utils import chdir

    source = str(job.spec.path)
    nb = load_notebook_node(source)
    if job.params:
        nb = parameterize_notebook(nb, job.params, False, kernel_name="python3")
    nb = remove_error_markers(prepare_notebook_metadata(nb, source, str(out), False))
    with chdir(str(job.spec.path.parent)):
        nb = papermill_engines.execute_notebook_with_engine(
            None,
            nb,
            input_path=source,
            output_path=None,  # no save per cell, no save at the end
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            start_timeout=60,
            stdout_file=None,
            stderr_file=None,
            execution_timeout=timeout,
            config=config,
        )
    raise_for_execution_errors(nb, str(out))  # writes ``out`` and raises PapermillExecutionError on a failed cell
    return nb


def iopub_timeout(cell_timeout: int) -> int:
    """Seconds to wait, once a cell has replied, for the rest of its output: as long as a cell may run.

    nbclient's default (4 s, raised as an error under papermill) failed a 10,000-service page: while the
    other worker thread exported a large page, this thread's client drained the cell's output later than
    4 s after the kernel replied. Output that is late is not lost output; only a cell timeout fails a page.

    Examples
    --------
    >>> iopub_timeout(900)
    900
    >>> iopub_timeout(5)
    60
    """
    return max(int(cell_timeout), 60)


def previous_seconds(out: Path, team: str | None) -> dict[str, float]:
    """Seconds each page took in the last good run (``latest/run.json``), keyed by page label."""
    try:
        run = json.loads((latest_link(out, team) / "run.json").read_text(encoding="utf-8"))
        return {str(p["page"]): float(p["seconds"]) for p in run.get("pages", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def longest_first(
    jobs: Sequence[Job], seconds: Mapping[str, float], typical: Mapping[str, float] = TYPICAL_SECONDS
) -> list[Job]:
    """Jobs ordered longest first by their last duration (unknown ones first, then page order).

    Starting the long notebooks first shortens the run when there are more notebooks than workers.
    When no job has a last duration (a first run into ``--out``), ``typical`` seconds by notebook name
    order them instead (:data:`TYPICAL_SECONDS`).

    Examples
    --------
    >>> from meta254lib.report.notebooks import NotebookSpec
    >>> jobs = [Job(i, NotebookSpec(n, Path(n), n, ()), None, "", {}) for i, n in enumerate("abc")]
    >>> [j.label for j in longest_first(jobs, {"a": 2.0, "b": 9.0})]
    ['c', 'b', 'a']
    >>> [j.label for j in longest_first(jobs, {}, {"a": 1.0, "c": 5.0})]
    ['b', 'c', 'a']
    """
    if not any(j.label in seconds for j in jobs):
        seconds = {j.label: float(typical[j.spec.name]) for j in jobs if j.spec.name in typical}
    return sorted(jobs, key=lambda j: (j.label in seconds, -seconds.get(j.label, 0.0), j.index))


def worker(jobs: queue.Queue[Job | None], results: queue.Queue[Any], shared: RunState) -> None:
    """Run jobs from ``jobs`` until it yields None or the run is cancelled; report to ``results``.

    Puts ``("started", job, None)``, then ``("finished", job, PageResult)`` (a failed notebook or
    export is a failed page) or ``("crashed", job, error)``.
    """
    while not shared.cancel.is_set():
        job = jobs.get()
        if job is None:
            return
        start = time.perf_counter()
        results.put(("started", job, None))
        try:
            nb, failure = execute_job(job, shared)
            if shared.cancel.is_set():
                return
            try:
                page = publish_page(job, nb, failure, time.perf_counter() - start, shared)
            except Exception as err:  # exporting this page failed: the page fails, the run goes on
                if shared.cancel.is_set() or shared.error is not None:
                    raise
                page = publish_error_page(job, nb, err, time.perf_counter() - start, shared)
            results.put(("finished", job, page))
        except BaseException as err:
            if shared.cancel.is_set():
                return
            results.put(("crashed", job, err))


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
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


def start_workers(
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


def collect_pages(
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
