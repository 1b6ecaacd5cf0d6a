"""Executing one page's notebook (meta254lib.report.execute)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nbformat.v4 as v4
import pytest

from meta254lib.report.execute import TYPICAL_SECONDS, execute_job, iopub_timeout, longest_first
from meta254lib.report.notebooks import NotebookSpec
from meta254lib.report.run_model import Job, RunState

#: Longer than nbclient's default IOPub wait (4 s), which papermill raises as a CellTimeoutError.
LATE_OUTPUT_SECONDS = 5.0


def test_iopub_wait_is_as_long_as_a_cell_may_run():
    assert iopub_timeout(900) == 900
    assert iopub_timeout(1) == 60


def _jobs(*names: str) -> list[Job]:
    return [Job(i, NotebookSpec(n, Path(f"{n}.ipynb"), n, ()), None, "", {}) for i, n in enumerate(names)]


def test_a_first_run_starts_the_typically_long_pages_first():
    """At 10,000 services page order left one worker idle for the last 50 s: the longest page ran last."""
    jobs = _jobs("workspace_overview", "drift_overview", "impact_analysis", "quality_trends", "custom_page")
    order = [j.label for j in longest_first(jobs, {})]
    assert order == ["custom_page", "quality_trends", "drift_overview", "impact_analysis", "workspace_overview"]
    assert TYPICAL_SECONDS["quality_trends"] > TYPICAL_SECONDS["workspace_overview"]


def test_last_run_durations_win_over_typical_ones():
    jobs = _jobs("quality_trends", "workspace_overview")
    order = [j.label for j in longest_first(jobs, {"quality_trends": 1.0, "workspace_overview": 3.0})]
    assert order == ["workspace_overview", "quality_trends"]


def _one_cell_job(tmp_path: Path, source: str) -> tuple[Job, RunState]:
    nb_path = tmp_path / "late.ipynb"
    nb = v4.new_notebook(cells=[v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb_path.write_text(v4.writes(nb), encoding="utf-8")
    (tmp_path / "run" / "ipc").mkdir(parents=True)
    (tmp_path / "run" / "runtime").mkdir()
    shared = RunState(tmp=tmp_path / "tmp", ipc_dir=tmp_path / "run" / "ipc", specs=[], meta=(), timeout=120)
    return Job(0, NotebookSpec("late", nb_path, "Late", ()), None, "", {}), shared


@pytest.mark.slow
def test_output_drained_after_the_reply_does_not_fail_the_page(tmp_path, monkeypatch):
    """The 10,000-service quality page failed with "Timeout waiting for IOPub output" after 4 s.

    The kernel had replied; this process read the cell's output later (its other worker thread was busy).
    Reproduced by delaying the client's reading of the output past nbclient's 4 s default.
    """
    from nbclient.client import NotebookClient

    original = NotebookClient._async_poll_output_msg

    async def late_reader(self, *args, **kwargs):
        await asyncio.sleep(LATE_OUTPUT_SECONDS)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(NotebookClient, "_async_poll_output_msg", late_reader)
    job, shared = _one_cell_job(tmp_path, "print('still here')")
    nb, failure = execute_job(job, shared)
    assert failure is None, failure.message
    assert nb.cells[0].outputs[0]["text"] == "still here\n"
