"""Columns built on worker threads: results by name and in order, errors raised, one thread when asked."""

from __future__ import annotations

import threading

import pytest

from meta254lib.workspace.column_jobs import MAX_WORKERS, run_jobs, worker_count


def test_results_keep_the_order_of_the_jobs():
    jobs = {name: (lambda n=name: n * 2) for name in "dcba"}
    got = run_jobs(jobs, workers=3)
    assert list(got) == ["d", "c", "b", "a"] and got == {"d": "dd", "c": "cc", "b": "bb", "a": "aa"}


def test_jobs_run_side_by_side_on_several_workers():
    # two jobs that each wait for the other can only finish when they run at the same time
    both = threading.Barrier(2, timeout=10)
    got = run_jobs({"x": lambda: both.wait() >= 0, "y": lambda: both.wait() >= 0}, workers=2)
    assert got == {"x": True, "y": True}


def test_one_worker_runs_in_this_thread():
    me = threading.get_ident()
    assert run_jobs({"a": threading.get_ident, "b": threading.get_ident}, workers=1) == {"a": me, "b": me}


def test_the_first_failing_job_in_order_is_raised_after_all_ended():
    done = []

    def fail(msg: str) -> None:
        raise ValueError(msg)

    with pytest.raises(ValueError, match="first"):
        run_jobs({"a": lambda: fail("first"), "b": lambda: done.append(1), "c": lambda: fail("second")}, workers=2)
    assert done == [1]


def test_no_jobs():
    assert run_jobs({}) == {}


def test_worker_count_is_bounded(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert worker_count() == MAX_WORKERS
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert worker_count() == 1
