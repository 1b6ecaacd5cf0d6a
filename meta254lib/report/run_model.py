"""The records a report run passes around: jobs, the run's shared state, progress events, page and run results."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.settings import DEFAULT_MANIFEST_URL
from .asof import as_of_param
from .notebooks import NotebookSpec
from .page_model import FailureInfo

__all__ = ["Job", "PageResult", "ProgressEvent", "ReportResult", "RunState", "job_list"]


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
    failure: FailureInfo | None = None
    html: str = ""
    ipynb: str = ""
    tables: list[dict[str, Any]] = field(default_factory=list)
    kept_from: str = ""  # "" when rendered by this run; else the "generated" stamp of the run it is kept from

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
class Job:
    """One notebook to run for one target (platform-wide or a team); ``rel`` is its folder in the run."""

    index: int
    spec: NotebookSpec
    team: str | None
    rel: str  # "" or "teams/<slug>/"
    params: dict[str, Any]

    @property
    def label(self) -> str:
        """``team/name`` for team pages, else ``name``."""
        return f"{self.team}/{self.spec.name}" if self.team else self.spec.name

    def inputs(self) -> tuple[tuple[str, str], ...]:
        """The notebook and the run's parameters, as (label, value) pairs for a failure panel.

        Examples
        --------
        >>> Job(0, NotebookSpec("a", Path("nb/a.ipynb"), "A", ()), None, "", {"as_of": None}).inputs()
        (('notebook', 'notebooks/a.ipynb'), ('as_of', 'None'))
        """
        pairs = [("notebook", f"notebooks/{self.spec.path.name}")]
        pairs += [(k, "None" if v is None else str(v)) for k, v in self.params.items()]
        return tuple(pairs)


@dataclass
class RunState:
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


@dataclass(frozen=True)
class ReportResult:
    """The outcome of :func:`~meta254lib.report.run.build_report`.

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
    partial : bool
        An ``--only`` run that, even with the pages kept from the week's earlier run, lacks some
        notebook: installed as ``<week>-partial`` and never linked as ``latest``.
    """

    folder: Path
    index: Path
    week: str
    as_of: str
    pages: tuple[PageResult, ...]
    seconds: float
    latest: Path | None
    unusable_inputs: tuple[str, ...] = ()
    partial: bool = False

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
            tail = f" (partial: installed as {self.folder.name}, latest left unchanged)" if self.partial else ""
            return f"report {self.week}: {n} page{'s' if n != 1 else ''} ok in {self.seconds:.1f} s{tail}"
        first = self.failed[0]
        msg = first.failure.one_line() if first.failure is not None else "failed"
        return (
            f"report {self.week}: {len(self.failed)} of {n} pages failed ({first.label}: {msg}); "
            "latest report left unchanged"
        )


def job_list(
    specs: Sequence[NotebookSpec],
    targets: Sequence[tuple[str | None, str]],
    ws_path: Path,
    as_of_ts: pd.Timestamp | None,
    manifest_url: str = DEFAULT_MANIFEST_URL,
) -> list[Job]:
    """One job per notebook and target; each notebook gets the run parameters it declares.

    Examples
    --------
    >>> spec = NotebookSpec("a", Path("a.ipynb"), "A", ("workspace", "manifest_url"))
    >>> [j.params for j in job_list([spec], [(None, "")], Path("/ws"), None, "{repo}/{path}")]
    [{'workspace': '/ws', 'manifest_url': '{repo}/{path}'}]
    >>> job_list([NotebookSpec("b", Path("b.ipynb"), "B", ("team",))], [(None, "")], Path("/ws"), None)[0].params
    {'team': None}
    """
    job_list: list[Job] = []
    for t, rel in targets:
        for spec in specs:
            values = {
                "workspace": str(ws_path),
                "as_of": as_of_param(as_of_ts),
                "team": t,
                "manifest_url": manifest_url,
            }
            params = {k: values[k] for k in spec.parameters if k in values}
            job_list.append(Job(len(job_list), spec, t, rel, params))
    return job_list
