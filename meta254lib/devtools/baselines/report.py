"""The weekly report's baseline: the papermill CLI and the nbconvert CLI per notebook, timed beside ``build_report``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...core.errors import ParameterError
from ...report.asof import as_of_param, parse_as_of
from ...report.environment import jupyter_environment
from ...report.notebooks import NotebookSpec, discover_notebooks
from ...report.run import build_report

__all__ = ["bench_report"]


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

    The report runs :func:`~meta254lib.report.run.build_report` into a temporary folder. The baseline runs, for each
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
        baseline_seconds = _baseline(workspace, specs, as_of_param(parse_as_of(as_of)), base_dir, os.environ)
    return {
        "notebooks": len(specs),
        "jobs": max(1, min(jobs or os.cpu_count() or 1, len(specs))),
        "report_seconds": round(report_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "speedup": round(baseline_seconds / report_seconds, 2) if report_seconds else None,
        "report_ok": result.ok,
        "report_bytes": size,
    }
