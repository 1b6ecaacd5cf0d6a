"""The weekly report: run every report notebook with papermill and publish an offline HTML folder.

:func:`build_report` is the whole job behind ``meta254 report``:

1. discover the notebooks (``notebooks/*.ipynb`` of the repository, or another folder) and read the
   parameters each declares in its ``parameters`` cell; pass each only the run parameters it declares
   (``workspace``, ``as_of``, ``team``);
2. execute them with papermill, up to ``jobs`` at a time, each kernel on the ``ipc`` transport (no TCP
   port, no "running over TCP without encryption" warning) with its own log file; meanwhile, threads
   import nbconvert and open the workspace for the index, off the critical path;
3. for each executed notebook: export the tables it showed (CSV + JSON), render its HTML page
   (:mod:`meta254lib.report.htmlexport`), keep the executed ``.ipynb``;
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

import ast
import contextlib
import ctypes
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core.errors import InputError, ParameterError
from ..views.display import md_escape, table_slug

__all__ = [
    "RUN_PARAMETERS",
    "NotebookSpec",
    "PageResult",
    "ProgressEvent",
    "ReportResult",
    "bench_report",
    "build_report",
    "default_notebooks_dir",
    "discover_notebooks",
    "iso_week",
    "jupyter_environment",
    "notebook_parameters",
    "notebook_title",
]

#: The parameters a run can pass; each notebook gets those its parameters cell declares.
RUN_PARAMETERS = ("workspace", "as_of", "team")
#: Seconds one cell may run before the page fails.
CELL_TIMEOUT = 900
_JUPYTER_VARS = {
    "JUPYTER_CONFIG_DIR": "config",
    "JUPYTER_DATA_DIR": "data",
    "JUPYTER_RUNTIME_DIR": "runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "mpl",
}


# --- notebooks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook: where it is, its title and the parameters it declares.

    Parameters
    ----------
    name : str
        File stem; names the page (``<name>.html``) and its exports.
    path : Path
        The notebook file.
    title : str
        The first ``# heading`` of its first markdown cell, else the name in words.
    parameters : tuple of str
        Names assigned in its ``parameters`` cell, in order.
    order : int
        ``metadata.meta254.order`` when set (pages sort by order, then name), else 100.
    """

    name: str
    path: Path
    title: str
    parameters: tuple[str, ...]
    order: int = 100


def notebook_parameters(nb: Mapping[str, Any]) -> tuple[str, ...]:
    """Names assigned in the notebook's cell tagged ``parameters`` (empty when there is none).

    Examples
    --------
    >>> cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]},
    ...         "source": "workspace = '../data/sample'\\nas_of: str | None = None  # ISO date\\nteam = None"}
    >>> notebook_parameters({"cells": [cell]})
    ('workspace', 'as_of', 'team')
    >>> notebook_parameters({"cells": []})
    ()
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            raise ParameterError(f"the parameters cell does not parse: {err.msg} (line {err.lineno})") from err
        names: list[str] = []
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for t in targets:
                if isinstance(t, ast.Name) and t.id not in names:
                    names.append(t.id)
        return tuple(names)
    return ()


def notebook_title(nb: Mapping[str, Any], name: str) -> str:
    """The first ``# heading`` of the first markdown cell, else ``name`` in words.

    Examples
    --------
    >>> notebook_title({"cells": [{"cell_type": "markdown", "source": "# Drift overview\\ntext"}]}, "x")
    'Drift overview'
    >>> notebook_title({"cells": []}, "quality_trends")
    'Quality trends'
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = source.lstrip().splitlines()[0] if source.strip() else ""
        if first.startswith("# "):
            return first[2:].strip()
        break
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def default_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder (the package is installed editable from the repo).

    Examples
    --------
    >>> default_notebooks_dir().name
    'notebooks'
    """
    return Path(__file__).resolve().parents[2] / "notebooks"


def discover_notebooks(folder: Path | str | None = None) -> list[NotebookSpec]:
    """Every report notebook in ``folder``, in page order.

    Files starting with ``_`` or ``.`` and Jupyter checkpoints are skipped.

    Raises
    ------
    ParameterError
        The folder does not exist.
    """
    folder = Path(folder) if folder is not None else default_notebooks_dir()
    if not folder.is_dir():
        raise ParameterError(f"notebooks folder not found: {folder}")
    specs = []
    for path in sorted(folder.glob("*.ipynb")):
        if path.name.startswith(("_", ".")) or path.stem.endswith("-checkpoint"):
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise InputError(str(path), "", "a notebook (nbformat 4 JSON)", type(err).__name__) from err
        order = nb.get("metadata", {}).get("meta254", {}).get("order", 100)
        specs.append(
            NotebookSpec(
                name=path.stem,
                path=path.resolve(),
                title=notebook_title(nb, path.stem),
                parameters=notebook_parameters(nb),
                order=int(order) if isinstance(order, int) else 100,
            )
        )
    return sorted(specs, key=lambda s: (s.order, s.name))


# --- environment --------------------------------------------------------------------------------


def jupyter_environment(base: Path | None = None) -> dict[str, str]:
    """Point unset ``JUPYTER_*``, ``IPYTHONDIR`` and ``MPLCONFIGDIR`` away from ``$HOME``.

    Variables already set are kept. The default base is the repository's ``.jupyter`` folder when
    the package runs from a checkout, else a per-user folder in the temp directory. The folders are
    created, and ``os.environ`` is updated (kernels inherit it).

    Returns
    -------
    dict
        The variables that were set.
    """
    if base is None:
        repo = Path(__file__).resolve().parents[2]
        if (repo / "pyproject.toml").is_file() and os.access(repo, os.W_OK):
            base = repo / ".jupyter"
        else:
            base = Path(tempfile.gettempdir()) / f"meta254-jupyter-{os.getuid() if hasattr(os, 'getuid') else 0}"
    changed = {}
    for var, sub in _JUPYTER_VARS.items():
        if not os.environ.get(var):
            changed[var] = str(base / sub)
    for value in (*changed.values(), *(os.environ[v] for v in _JUPYTER_VARS if v in os.environ)):
        Path(value).mkdir(parents=True, exist_ok=True)
    os.environ.update(changed)
    # debugpy warns on every kernel start that frozen modules may break breakpoints; not our concern.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return changed


def iso_week(as_of: Any) -> str:
    """The ISO week label of a date: ``2025-W41``.

    Examples
    --------
    >>> import pandas as pd
    >>> iso_week(pd.Timestamp("2025-10-10", tz="UTC")), iso_week(pd.Timestamp("2021-01-03"))
    ('2025-W41', '2020-W53')
    """
    year, week, _ = as_of.isocalendar()
    return f"{year}-W{week:02d}"


def _parse_as_of(value: str | None) -> Any:
    if value is None or value == "":
        return None
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(f"--as-of: expected an ISO date such as 2025-10-10, found {value!r}") from err
    if ts is pd.NaT:
        raise ParameterError(f"--as-of: expected an ISO date such as 2025-10-10, found {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _as_of_param(ts: Any) -> str | None:
    if ts is None:
        return None
    if (ts.hour, ts.minute, ts.second, ts.microsecond) == (0, 0, 0, 0):
        return ts.date().isoformat()
    return ts.isoformat()


def _as_of_text(ts: Any) -> str:
    if (ts.hour, ts.minute, ts.second) == (0, 0, 0):
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M UTC")


# --- kernels ------------------------------------------------------------------------------------

_live_kernels: weakref.WeakSet[Any] = weakref.WeakSet()
_km_class: type | None = None
_km_lock = threading.Lock()


def _kernel_manager_class() -> type:
    """An AsyncKernelManager that logs the kernel's own stdout/stderr to ``<ip>.log``.

    Its instances are tracked so an interrupted run can kill its kernels.
    """
    global _km_class
    with _km_lock:
        if _km_class is None:
            from jupyter_client import AsyncKernelManager

            class ReportKernelManager(AsyncKernelManager):  # type: ignore[misc, valid-type]
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **kwargs)
                    _live_kernels.add(self)

                async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                    with open(f"{self.ip}.log", "ab") as log:
                        kw["stdout"] = log
                        kw["stderr"] = log
                        await super()._async_launch_kernel(kernel_cmd, **kw)

            _km_class = ReportKernelManager
        return _km_class


def _kill_kernels() -> None:
    for km in list(_live_kernels):
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()


# --- one page -----------------------------------------------------------------------------------


@dataclass
class PageResult:
    """What happened to one page.

    ``status`` is ``"ok"`` or ``"failed"``; ``failure`` says why. Paths are relative to the run folder.
    """

    name: str
    title: str
    team: str | None
    status: str
    seconds: float
    headline: str | None = None
    failure: Any = None  # htmlexport.FailureInfo
    html: str = ""
    ipynb: str = ""
    tables: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``team/name`` for team pages, else ``name``."""
        return f"{self.team}/{self.name}" if self.team else self.name


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report: ``kind`` is ``"started"``, ``"finished"`` or ``"tick"`` (a few times a second).

    ``done`` and ``total`` count pages; ``seconds`` and ``status`` are set when finished.
    """

    kind: str
    label: str
    done: int
    total: int
    seconds: float | None = None
    status: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class _Job:
    index: int
    spec: NotebookSpec
    team: str | None
    rel: str  # "" or "teams/<slug>/"
    params: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.team}/{self.spec.name}" if self.team else self.spec.name


@dataclass
class _Shared:
    """State shared by the worker threads and the main thread."""

    tmp: Path
    ipc_dir: Path
    specs: list[NotebookSpec]
    meta: tuple[tuple[str, str], ...]
    timeout: int
    cancel: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)  # as_of known, exporter warm
    as_of_text: str = ""
    error: BaseException | None = None


def _failure_from_exception(
    err: BaseException, job: _Job, nb: Any, log_path: Path | None
) -> Any:  # -> htmlexport.FailureInfo
    from .htmlexport import FailureInfo, clean_traceback

    inputs = [("notebook", f"notebooks/{job.spec.path.name}")]
    inputs += [(k, "None" if v is None else str(v)) for k, v in job.params.items()]
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


def _execute(job: _Job, shared: _Shared) -> tuple[Any, Any]:
    """Run one notebook; return (executed notebook, failure or None)."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    out = shared.tmp / job.rel / "notebooks" / f"{job.spec.name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    ip = shared.ipc_dir / f"k{job.index}"
    config = Config(
        {
            "KernelManager": {"transport": "ipc", "ip": str(ip)},
            # the outputs are in once the last cell ran: a graceful shutdown only costs 1-2 s per page
            "NotebookClient": {"kernel_manager_class": _kernel_manager_class(), "shutdown_kernel": "immediate"},
        }
    )
    try:
        nb = pm.execute_notebook(
            str(job.spec.path),
            str(out),
            parameters=job.params,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            cwd=str(job.spec.path.parent),
            execution_timeout=shared.timeout,
            config=config,
        )
        return nb, None
    except PapermillExecutionError as err:
        nb = nbformat.read(str(out), as_version=4)
        return nb, _failure_from_exception(err, job, nb, None)
    except Exception as err:  # kernel died, timeout, bad notebook: the page fails, the run goes on
        if out.is_file():
            nb = nbformat.read(str(out), as_version=4)
        else:
            nb = nbformat.read(str(job.spec.path), as_version=4)
        return nb, _failure_from_exception(err, job, nb, Path(f"{ip}.log"))


def _page_nav(job: _Job, specs: Sequence[NotebookSpec]) -> tuple[tuple[str, str, bool], ...]:
    return tuple((s.title, f"{s.name}.html", s.name == job.spec.name) for s in specs)


def _publish_page(job: _Job, nb: Any, failure: Any, seconds: float, shared: _Shared) -> PageResult:

    from . import htmlexport as hx

    base = shared.tmp / job.rel
    tables = []
    exported = {}
    for i, table in enumerate(hx.page_tables(nb)):
        folder = base / "tables" / job.spec.name
        folder.mkdir(parents=True, exist_ok=True)
        csv_rel = f"tables/{job.spec.name}/{table['slug']}.csv"
        json_rel = f"tables/{job.spec.name}/{table['slug']}.json"
        (base / csv_rel).write_text(hx.table_to_csv(table), encoding="utf-8")
        (base / json_rel).write_text(hx.table_to_json(table), encoding="utf-8")
        exported[i] = json_rel
        tables.append({"name": table["name"], "csv": csv_rel, "json": json_rel, "rows": len(table["data"])})
    headline = hx.page_headline(nb)
    shared.ready.wait()
    if shared.error is not None or shared.cancel.is_set():
        raise RuntimeError("run cancelled")
    meta = shared.meta + ((("team", job.team),) if job.team else ())
    ctx = hx.PageContext(
        title=job.spec.title,
        as_of=shared.as_of_text,
        index_href="index.html",
        assets_href="../../assets/" if job.rel else "assets/",
        meta=meta,
        nav=_page_nav(job, shared.specs),
        failure=failure,
        headline=headline,
    )
    html = hx.export_page(nb, ctx)
    html_rel = f"{job.spec.name}.html"
    (base / html_rel).write_text(html, encoding="utf-8")
    hx.strip_table_data(nb, exported)
    ipynb_rel = f"notebooks/{job.spec.name}.ipynb"
    (base / ipynb_rel).parent.mkdir(parents=True, exist_ok=True)
    _write_compact(nb, base / ipynb_rel)
    return PageResult(
        name=job.spec.name,
        title=job.spec.title,
        team=job.team,
        status="failed" if failure is not None else "ok",
        seconds=seconds,
        headline=headline,
        failure=failure,
        html=job.rel + html_rel,
        ipynb=job.rel + ipynb_rel,
        tables=[{**t, "csv": job.rel + t["csv"], "json": job.rel + t["json"]} for t in tables],
    )


def _previous_seconds(out: Path, team: str | None) -> dict[str, float]:
    """Seconds each page took in the last good run (``latest/run.json``), keyed by page label."""
    link = out / ("latest" + (f"-team-{table_slug(team)}" if team else ""))
    try:
        run = json.loads((link / "run.json").read_text(encoding="utf-8"))
        return {str(p["page"]): float(p["seconds"]) for p in run.get("pages", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _longest_first(jobs: Sequence[_Job], seconds: Mapping[str, float]) -> list[_Job]:
    """Jobs ordered longest first by their last duration (unknown ones first, then page order).

    Starting the long notebooks first shortens the run when there are more notebooks than workers.

    Examples
    --------
    >>> jobs = [_Job(i, NotebookSpec(n, Path(n), n, ()), None, "", {}) for i, n in enumerate("abc")]
    >>> [j.label for j in _longest_first(jobs, {"a": 2.0, "b": 9.0})]
    ['c', 'b', 'a']
    """
    return sorted(jobs, key=lambda j: (j.label in seconds, -seconds.get(j.label, 0.0), j.index))


def _publish_error_page(job: _Job, nb: Any, err: Exception, seconds: float, shared: _Shared) -> PageResult:
    """The page of a notebook whose outputs could not be exported: the error, the inputs, no content."""
    from . import htmlexport as hx

    inputs = [("notebook", f"notebooks/{job.spec.path.name}")]
    inputs += [(k, "None" if v is None else str(v)) for k, v in job.params.items()]
    failure = hx.FailureInfo(message=f"exporting the page failed: {type(err).__name__}: {err}", inputs=tuple(inputs))
    ctx = hx.PageContext(
        title=job.spec.title,
        as_of=shared.as_of_text,
        assets_href="../../assets/" if job.rel else "assets/",
        meta=shared.meta,
        nav=_page_nav(job, shared.specs),
        failure=failure,
    )
    html_rel = f"{job.spec.name}.html"
    (shared.tmp / job.rel).mkdir(parents=True, exist_ok=True)
    (shared.tmp / job.rel / html_rel).write_text(hx.error_page(ctx), encoding="utf-8")
    ipynb = f"notebooks/{job.spec.name}.ipynb"
    (shared.tmp / job.rel / "notebooks").mkdir(parents=True, exist_ok=True)
    _write_compact(nb, shared.tmp / job.rel / ipynb)
    return PageResult(
        name=job.spec.name,
        title=job.spec.title,
        team=job.team,
        status="failed",
        seconds=seconds,
        failure=failure,
        html=job.rel + html_rel,
        ipynb=job.rel + ipynb,
    )


def _write_compact(nb: Any, path: Path) -> None:
    """Write a notebook as compact JSON: a valid .ipynb, about 40% smaller than nbformat's indented form
    (plotly figures would otherwise put every number on its own line)."""
    from nbformat.v4.rwbase import strip_transient

    text = json.dumps(strip_transient(nb), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def _worker(jobs: queue.Queue[_Job | None], results: queue.Queue[Any], shared: _Shared) -> None:
    while not shared.cancel.is_set():
        job = jobs.get()
        if job is None:
            return
        start = time.perf_counter()
        results.put(("started", job, None))
        try:
            nb, failure = _execute(job, shared)
            if shared.cancel.is_set():
                return
            try:
                page = _publish_page(job, nb, failure, time.perf_counter() - start, shared)
            except Exception as err:  # exporting this page failed: the page fails, the run goes on
                if shared.cancel.is_set() or shared.error is not None:
                    raise
                page = _publish_error_page(job, nb, err, time.perf_counter() - start, shared)
            results.put(("finished", job, page))
        except BaseException as err:
            if shared.cancel.is_set():
                return
            results.put(("crashed", job, err))


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportResult:
    """The outcome of :func:`build_report`.

    Attributes
    ----------
    folder : Path
        The installed run folder.
    index : Path
        Its ``index.html``.
    week : str
        ISO week label of the as-of date.
    as_of : str
        The as-of date used.
    pages : tuple of PageResult
        Every page, platform-wide first.
    seconds : float
        Wall time of the run.
    latest : Path or None
        The ``latest`` link that now points at the folder (None when the run failed).
    unusable_inputs : tuple of str
        Workspace files that were present but could not be used (unreadable, not YAML/JSON, ...):
        the pages rendered without them, say so, and the command exits 1.
    """

    folder: Path
    index: Path
    week: str
    as_of: str
    pages: tuple[PageResult, ...]
    seconds: float
    latest: Path | None
    unusable_inputs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every page rendered."""
        return all(p.status == "ok" for p in self.pages)

    @property
    def failed(self) -> tuple[PageResult, ...]:
        """The failed pages."""
        return tuple(p for p in self.pages if p.status != "ok")

    def summary_line(self) -> str:
        """One line for logs and the CLI."""
        n = len(self.pages)
        if self.ok:
            return f"report {self.week}: {n} page{'s' if n != 1 else ''} ok in {self.seconds:.1f} s"
        first = self.failed[0]
        msg = first.failure.one_line() if first.failure is not None else "failed"
        return (
            f"report {self.week}: {len(self.failed)} of {n} pages failed ({first.label}: {msg}); "
            "latest report left unchanged"
        )


_TMP_RE = re.compile(r"^\.tmp-.+-(\d+)-[0-9a-f]{8}$")
_IPC_RE = re.compile(r"^m254-ipc-(\d+)-")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale(out: Path) -> list[Path]:
    """Remove temporary folders left by killed runs (their process is gone).

    That is ``<out>/.tmp-*`` build folders and the kernels' socket folders ``$TMPDIR/m254-ipc-*``.
    """
    removed = []
    places = ((out, _TMP_RE), (Path(tempfile.gettempdir()), _IPC_RE))
    for folder, pattern in places:
        for child in sorted(folder.iterdir()) if folder.is_dir() else ():
            m = pattern.match(child.name)
            if m and child.is_dir() and not child.is_symlink() and not _pid_alive(int(m.group(1))):
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _install(tmp: Path, final: Path) -> None:
    """Move the built folder ``tmp`` to ``final``, replacing an existing one atomically."""
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise ParameterError(f"{final} exists and is not a report folder")
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):  # tmp now holds the previous run
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = tmp.with_name(tmp.name + "-old")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _point_link(link: Path, target_name: str) -> None:
    """Make ``link`` a relative symlink to ``target_name`` (a sibling), replaced atomically."""
    if link.exists() and not link.is_symlink():
        raise ParameterError(f"{link} exists and is not a symlink; remove it to let the report manage it")
    tmp_link = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(target_name, tmp_link)
    os.replace(tmp_link, link)


def _resolve_context(
    ws_path: Path, as_of_ts: Any, ws: Any, shared: _Shared, state: dict[str, Any], warm: threading.Thread
) -> None:
    """Background: open the workspace, resolve as_of, read ws.inputs/warnings, wait for nbconvert."""
    try:
        if ws is None:
            from ..workspace.workspace import open_workspace

            ws = open_workspace(ws_path)
        ts = ws.resolve_as_of(as_of_ts)
        state["as_of_ts"] = ts
        state["as_of_defaulted"] = as_of_ts is None
        shared.as_of_text = _as_of_text(ts)
        state["inputs"] = ws.inputs
        state["warnings"] = ws.warnings
        ws.graph  # noqa: B018 - stored in the warm-load cache the pages read, when there is one
        ws.history_heads()
        warm.join()
        if state.get("warm_error") is not None:
            raise state["warm_error"]
    except BaseException as err:
        shared.error = err
    finally:
        shared.ready.set()


def _warm(tmp: Path, state: dict[str, Any]) -> None:
    try:
        from . import htmlexport as hx

        hx.warm_up()
        state["asset_sizes"] = hx.write_assets(tmp)
    except BaseException as err:
        state["warm_error"] = err


def _inputs_for_index(df: Any) -> Any:
    if df is None:
        return None
    cols = [c for c in ("input", "file", "present", "modified", "timestamp", "rows", "warnings", "note") if c in df]
    return df[cols] if cols else df


def _unusable_inputs(inputs: Any) -> tuple[str, ...]:
    """Files of ``ws.inputs`` that were present but unusable (their note says so), sorted."""
    if inputs is None or not len(inputs) or "note" not in inputs or "file" not in inputs:
        return ()
    notes = inputs["note"].fillna("").astype(str)
    return tuple(sorted(inputs.loc[notes.str.startswith("unusable"), "file"].astype(str)))


def _summary_md(
    title: str, as_of: str, params: Sequence[tuple[str, str]], pages: Sequence[PageResult], inputs: Any
) -> str:
    lines = [f"## {md_escape(title)}", "", f"As of **{md_escape(as_of)}**.", ""]
    failed = [p for p in pages if p.status != "ok"]
    if failed:
        lines += [f"**{len(failed)} of {len(pages)} pages failed.**", ""]
    else:
        lines += [f"All {len(pages)} pages rendered.", ""]
    lines += ["| Page | Status | Headline |", "|---|---|---|"]
    for p in pages:
        text = p.headline or ""
        if p.failure is not None:
            text = p.failure.one_line()
        lines.append(f"| {md_escape(p.title)} | {p.status} | {md_escape(text)} |")
    lines.append("")
    lines.append("Run parameters: " + "; ".join(f"{md_escape(k)} = {md_escape(v)}" for k, v in params) + ".")
    if inputs is not None and len(inputs) and "present" in inputs:
        present = inputs[inputs["present"].astype(bool)]
        absent = inputs[~inputs["present"].astype(bool)]
        lines.append("")
        lines.append(
            f"Inputs: {len(present)} files read"
            + (f", {len(absent)} optional inputs absent" if len(absent) else "")
            + "."
        )
        if len(absent) and "input" in absent:
            lines.append("Absent: " + ", ".join(md_escape(v) for v in absent["input"].tolist()) + ".")
    unusable = _unusable_inputs(inputs)
    if unusable:
        lines.append("")
        lines.append(
            f"**{len(unusable)} input file{'s' if len(unusable) != 1 else ''} could not be used**, so what "
            "they hold was not judged (the index lists why): " + ", ".join(md_escape(f) for f in unusable) + "."
        )
    return "\n".join(lines) + "\n"


def _page_dicts(pages: Iterable[PageResult], rel: str) -> list[dict[str, Any]]:
    out = []
    for p in pages:
        out.append(
            {
                "name": p.name,
                "title": p.title,
                "href": p.html[len(rel) :],
                "status": p.status,
                "headline": p.headline,
                "error": p.failure.one_line() if p.failure is not None else None,
                "seconds": p.seconds,
                "ipynb": p.ipynb[len(rel) :],
                "tables": [{**t, "csv": t["csv"][len(rel) :], "json": t["json"][len(rel) :]} for t in p.tables],
            }
        )
    return out


@contextlib.contextmanager
def _shared_workspace_cache(ws_path: Path) -> Iterator[None]:
    """Let the report's kernels share one warm-load cache of the workspace.

    Every page opens the workspace and parses every input again. A workspace large enough for the
    warm-load cache (:mod:`meta254lib.workspace.cache`, auto mode) already shares its cache with the kernels.
    For a smaller one, while the report runs, ``META254_CACHE=on`` and ``META254_CACHE_DIR`` point at
    a folder of this run (removed afterwards): the kernels inherit them, the report's own load of the
    workspace fills the cache and the pages read it. ``META254_CACHE=off`` is respected.
    """
    from ..workspace import cache as C
    from ..workspace.workspace import cache_wanted

    if C.resolve_mode(None) == "off" or not ws_path.is_dir() or cache_wanted(ws_path):
        yield
        return
    folder = tempfile.mkdtemp(prefix="m254-report-cache-")
    saved = {k: os.environ.get(k) for k in (C.ENV_MODE, C.ENV_DIR)}
    os.environ[C.ENV_MODE] = "on"
    os.environ[C.ENV_DIR] = folder
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(folder, ignore_errors=True)


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
    with _shared_workspace_cache(ws_path):
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
    if team is not None and all_teams:
        raise ParameterError("--team and --all-teams are mutually exclusive")
    as_of_ts = _parse_as_of(as_of)
    specs = discover_notebooks(notebooks_dir)
    if only:
        wanted = [n.strip().removesuffix(".ipynb") for n in only if n.strip()]
        known = {s.name for s in specs}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise ParameterError(
                f"--only: unknown notebook(s) {', '.join(unknown)} (available: {', '.join(sorted(known)) or 'none'})"
            )
        specs = [s for s in specs if s.name in wanted]
    if not specs:
        raise ParameterError(f"no notebooks to run in {notebooks_dir or default_notebooks_dir()}")
    jupyter_environment()
    out_dir = Path(out).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    _sweep_stale(out_dir)

    ws = None
    teams: list[str] = []
    if team is not None or all_teams:
        from ..workspace.workspace import open_workspace

        ws = open_workspace(ws_path)
        if team is not None:
            ws.team_scope(team)  # ParameterError naming the known teams when the team owns no service
        known_teams = sorted({str(t) for t in ws.services["team"].dropna().tolist() if str(t)})
        teams = known_teams if all_teams else []

    targets: list[tuple[str | None, str]] = [(team, "")]
    targets += [(t, f"teams/{table_slug(t)}/") for t in teams]
    job_list = []
    for t, rel in targets:
        for spec in specs:
            values = {"workspace": str(ws_path), "as_of": _as_of_param(as_of_ts), "team": t}
            params = {k: values[k] for k in spec.parameters if k in values}
            job_list.append(_Job(len(job_list), spec, t, rel, params))

    # Import the execution stack once, here: importing it concurrently from several worker threads
    # trips over jupyter_client's circular imports.
    import nbclient  # noqa: F401
    import papermill
    import papermill.exceptions  # noqa: F401

    _kernel_manager_class()

    label = f"team-{table_slug(team)}" if team else "platform"
    tmp = out_dir / f".tmp-{label}-{os.getpid()}-{os.urandom(4).hex()}"
    tmp.mkdir()
    ipc_dir = Path(tempfile.mkdtemp(prefix=f"m254-ipc-{os.getpid()}-"))
    meta = (("workspace", str(workspace)), ("meta254", __version__))
    shared = _Shared(tmp=tmp, ipc_dir=ipc_dir, specs=specs, meta=meta, timeout=timeout)
    state: dict[str, Any] = {}
    n_workers = max(1, min(jobs or os.cpu_count() or 1, len(job_list)))

    old_handler = None
    if threading.current_thread() is threading.main_thread():

        def _on_term(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        old_handler = signal.signal(signal.SIGTERM, _on_term)
    workers: list[threading.Thread] = []
    try:
        warm = threading.Thread(target=_warm, args=(tmp, state), name="m254-warm", daemon=True)
        warm.start()
        ctx_thread = threading.Thread(
            target=_resolve_context,
            args=(ws_path, as_of_ts, ws, shared, state, warm),
            name="m254-context",
            daemon=True,
        )
        ctx_thread.start()
        job_q: queue.Queue[_Job | None] = queue.Queue()
        res_q: queue.Queue[Any] = queue.Queue()
        for job in _longest_first(job_list, _previous_seconds(out_dir, team)):
            job_q.put(job)
        for _ in range(n_workers):
            job_q.put(None)
        workers = [
            threading.Thread(target=_worker, args=(job_q, res_q, shared), name=f"m254-job{i}", daemon=True)
            for i in range(n_workers)
        ]
        for w in workers:
            w.start()
        pages: dict[int, PageResult] = {}
        done = 0
        while done < len(job_list):
            try:
                kind, job, payload = res_q.get(timeout=0.25)
            except queue.Empty:
                if shared.error is not None:
                    raise shared.error from None
                if progress:
                    progress(ProgressEvent("tick", "", done, len(job_list)))
                continue
            if kind == "started":
                if progress:
                    progress(ProgressEvent("started", job.label, done, len(job_list)))
                continue
            if kind == "crashed":
                if shared.error is not None:
                    raise shared.error from None
                raise payload
            pages[job.index] = payload
            done += 1
            if progress:
                msg = payload.failure.one_line() if payload.failure is not None else payload.headline
                progress(
                    ProgressEvent("finished", job.label, done, len(job_list), payload.seconds, payload.status, msg)
                )
        ctx_thread.join()
        if shared.error is not None:
            raise shared.error
        result_pages = tuple(pages[i] for i in range(len(job_list)))
        as_of_ts_final = state["as_of_ts"]
        week = iso_week(as_of_ts_final)
        ok = all(p.status == "ok" for p in result_pages)
        folder_name = week + (f"-team-{table_slug(team)}" if team else "") + ("" if ok else "-failed")
        _write_indexes(tmp, week, shared, state, result_pages, targets, team, specs, jobs=n_workers, ws_arg=workspace)
        final = out_dir / folder_name
        _install(tmp, final)
        latest = None
        if ok:
            link = out_dir / ("latest" + (f"-team-{table_slug(team)}" if team else ""))
            _point_link(link, folder_name)
            latest = link
            stale_failed = out_dir / f"{folder_name}-failed"
            if stale_failed.is_dir() and not stale_failed.is_symlink():
                shutil.rmtree(stale_failed, ignore_errors=True)
        return ReportResult(
            folder=final,
            index=final / "index.html",
            week=week,
            as_of=shared.as_of_text,
            pages=result_pages,
            seconds=time.perf_counter() - started,
            latest=latest,
            unusable_inputs=_unusable_inputs(state.get("inputs")),
        )
    except BaseException:
        shared.cancel.set()
        shared.ready.set()
        _kill_kernels()
        deadline = time.monotonic() + 2.0
        for w in workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGTERM, old_handler)
        shutil.rmtree(ipc_dir, ignore_errors=True)


def _write_indexes(
    tmp: Path,
    week: str,
    shared: _Shared,
    state: Mapping[str, Any],
    pages: Sequence[PageResult],
    targets: Sequence[tuple[str | None, str]],
    team: str | None,
    specs: Sequence[NotebookSpec],
    *,
    jobs: int,
    ws_arg: Path | str,
) -> None:
    from . import htmlexport as hx

    as_of_text = shared.as_of_text + (" (catalog generated_at)" if state.get("as_of_defaulted") else "")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    inputs = _inputs_for_index(state.get("inputs"))
    warnings = state.get("warnings")
    base_params = [
        ("workspace", str(ws_arg)),
        ("workspace (resolved)", str(Path(ws_arg).resolve())),
        ("as of", as_of_text),
        ("ISO week", week),
        ("notebooks", ", ".join(s.name for s in specs)),
        ("jobs", str(jobs)),
        ("meta254 version", __version__),
        ("python", platform.python_version()),
        ("generated", generated),
    ]
    team_entries = []
    for t, rel in targets[1:]:
        tpages = [p for p in pages if p.team == t and p.html.startswith(rel)]
        failed = sum(p.status != "ok" for p in tpages)
        team_entries.append(
            {"team": t, "href": f"{rel}index.html", "status": "ok" if not failed else "failed", "failed": failed}
        )
    for t, rel in targets:
        tpages = [p for p in pages if p.html.startswith(rel) and (rel or not p.html.startswith("teams/"))]
        params = [*base_params[:3], ("team", t or "all teams"), *base_params[3:]]
        title = f"Weekly report {week}" + (f" — team {t}" if t else "")
        html = hx.render_index(
            title=title,
            as_of=shared.as_of_text,
            params=params,
            pages=_page_dicts(tpages, rel),
            inputs=inputs,
            warnings=warnings,
            teams=team_entries if not rel else (),
            assets_href="../../assets/" if rel else "assets/",
            parent_href="../../index.html" if rel else None,
            footer=f"meta254 {__version__} · generated {generated}",
        )
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        (tmp / rel / "index.html").write_text(html, encoding="utf-8")
        (tmp / rel / "summary.md").write_text(
            _summary_md(title, shared.as_of_text, params, tpages, inputs), encoding="utf-8"
        )
    run = {
        "week": week,
        "as_of": shared.as_of_text,
        "team": team,
        "meta254": __version__,
        "generated": generated,
        "pages": [
            {
                "page": p.label,
                "status": p.status,
                "seconds": round(p.seconds, 3),
                "headline": p.headline,
                "error": p.failure.one_line() if p.failure is not None else None,
                "html": p.html,
                "ipynb": p.ipynb,
                "tables": p.tables,
            }
            for p in pages
        ],
        "assets": state.get("asset_sizes", {}),
    }
    (tmp / "run.json").write_text(
        json.dumps(run, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


# --- benchmark ----------------------------------------------------------------------------------


def _baseline(
    workspace: Path, specs: Sequence[NotebookSpec], as_of: str | None, folder: Path, env: Mapping[str, str]
) -> float:
    """Sequential papermill CLI + nbconvert CLI per notebook (the naive way), in seconds."""
    bindir = Path(sys.executable).parent
    papermill = str(bindir / "papermill")
    jupyter = str(bindir / "jupyter")
    start = time.perf_counter()
    for spec in specs:
        out = folder / f"{spec.name}.ipynb"
        cmd = [papermill, str(spec.path), str(out), "--cwd", str(spec.path.parent), "--no-progress-bar"]
        values = {"workspace": str(workspace), "as_of": as_of, "team": None}
        for k in spec.parameters:
            if k in values and values[k] is not None:
                cmd += ["-p", k, str(values[k])]
        subprocess.run(cmd, check=True, env=dict(env), capture_output=True)
        subprocess.run(
            [jupyter, "nbconvert", "--to", "html", "--no-input", str(out), "--output-dir", str(folder)],
            check=True,
            env=dict(env),
            capture_output=True,
        )
    return time.perf_counter() - start


def bench_report(
    workspace: Path | str,
    *,
    as_of: str | None = None,
    jobs: int | None = None,
    notebooks_dir: Path | str | None = None,
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Wall time of the full weekly report beside the naive baseline, measured in one invocation.

    The report runs :func:`build_report` into a temporary folder. The baseline runs, for each
    notebook in turn, the ``papermill`` CLI and then ``jupyter nbconvert --to html --no-input``
    (subprocesses, no shell), as a team would without this tool. Both use the same notebooks,
    parameters and Jupyter environment.

    Returns
    -------
    dict
        ``report_seconds``, ``baseline_seconds``, ``speedup`` (baseline / report), ``notebooks``,
        ``jobs``, ``report_ok`` and ``report_bytes`` (size of the report folder).
    """
    specs = discover_notebooks(notebooks_dir)
    if only:
        specs = [s for s in specs if s.name in set(only)]
    if not specs:
        raise ParameterError("no notebooks to benchmark")
    workspace = Path(workspace).resolve()  # before any run changes the working directory
    jupyter_environment()
    with tempfile.TemporaryDirectory(prefix="m254-bench-") as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        result = build_report(
            workspace,
            as_of=as_of,
            out=tmp_path / "reports",
            jobs=jobs,
            notebooks_dir=notebooks_dir,
            only=[s.name for s in specs],
        )
        report_seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in result.folder.rglob("*") if f.is_file())
        base_dir = tmp_path / "baseline"
        base_dir.mkdir()
        baseline_seconds = _baseline(workspace, specs, _as_of_param(_parse_as_of(as_of)), base_dir, os.environ)
    return {
        "notebooks": len(specs),
        "jobs": max(1, min(jobs or os.cpu_count() or 1, len(specs))),
        "report_seconds": round(report_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "speedup": round(baseline_seconds / report_seconds, 2) if report_seconds else None,
        "report_ok": result.ok,
        "report_bytes": size,
    }
