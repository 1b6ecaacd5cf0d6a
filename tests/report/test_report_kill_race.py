"""Kill-and-race (issue 18): SIGKILL a report run at several moments and race runs into one --out.

Whatever happens, ``latest`` opens a complete week (every notebook's page, every file run.json names),
and the next run leaves nothing behind: in ``--out`` only the week and ``latest``; in ``$TMPDIR``
(private to these runs) nothing at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from report_support import fixture_notebooks, tiny_ws

PAGES = ("alpha", "beta")
_CLI = [sys.executable, "-c", "from meta254lib.cli import main; main()"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    return {**os.environ, "TMPDIR": str(tmpdir)}


def _start(out: Path, env: dict[str, str], *extra: str) -> subprocess.Popen:
    args = ["report", "-w", str(tiny_ws()), "--notebooks", str(fixture_notebooks(*PAGES)), "--out", str(out), "-q"]
    return subprocess.Popen([*_CLI, *args, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    proc = _start(out, env, *extra)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _assert_complete(out: Path) -> int:
    """``latest`` opens a complete week; the inode of its run.json (one per run)."""
    week = out / "latest"
    with (week / "run.json").open(encoding="utf-8") as fh:
        inode = os.fstat(fh.fileno()).st_ino
        run = json.load(fh)
    assert sorted(p["page"] for p in run["pages"]) == sorted(PAGES)
    assert all(p["status"] == "ok" for p in run["pages"])
    for p in run["pages"]:
        for rel in (p["html"], p["ipynb"], *(t[k] for t in p["tables"] for k in ("csv", "json"))):
            assert (week / rel).is_file(), rel
    assert (week / "index.html").is_file()
    return inode


def _assert_clean(out: Path, env: dict[str, str]) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["2025-W41", "latest"]
    assert list(Path(env["TMPDIR"]).iterdir()) == []


def _wait_until(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 60) -> bool:
    """Poll until ``ready()``; False when the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("the moment to kill never came")


def _builds(out: Path, rel: str) -> bool:
    return any((p / rel).exists() for p in out.glob(".tmp-*"))


MOMENTS: dict[str, Callable[[Path], bool]] = {
    "lock taken": lambda out: (out / ".meta254-report.lock").exists(),
    "kernels running": lambda out: _builds(out, "notebooks"),
    "a page exported": lambda out: _builds(out, "alpha.html") or _builds(out, "beta.html"),
    "indexes written": lambda out: _builds(out, "run.json"),
}


@pytest.mark.slow
def test_sigkill_at_every_moment_leaves_a_complete_latest_and_the_next_run_cleans_up(tmp_path, env):
    out = tmp_path / "reports"
    first = _run(out, env)
    assert first.returncode == 0, first.stderr
    _assert_complete(out)
    _assert_clean(out, env)
    for moment, ready in MOMENTS.items():
        proc = _start(out, env)
        killed = _wait_until(proc, lambda ready=ready: ready(out))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode in (-signal.SIGKILL, 0), moment
        _assert_complete(out)  # a killed run never breaks the week
        if killed:
            assert os.readlink(out / "latest") == "2025-W41"
        nxt = _run(out, env)
        assert nxt.returncode == 0, (moment, nxt.stderr)
        _assert_complete(out)
        _assert_clean(out, env)  # the leftovers of the killed run are gone


@pytest.mark.slow
def test_racing_runs_one_at_a_time_and_a_reader_always_sees_a_complete_week(tmp_path, env):
    out = tmp_path / "reports"
    assert _run(out, env).returncode == 0
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(_assert_complete(out))
            except BaseException as err:
                errors.append(err)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=reader, daemon=True)
    watcher.start()
    a = _start(out, env)
    assert _wait_until(a, lambda: (out / ".meta254-report.lock").exists())
    busy = _run(out, env)  # no --wait: refused while a holds the folder
    queued = _start(out, env, "--wait")
    _, a_err = a.communicate(timeout=120)
    _, q_err = queued.communicate(timeout=120)
    stop.set()
    watcher.join(timeout=10)
    assert not errors, errors
    assert a.returncode == 0, a_err
    assert queued.returncode == 0, q_err
    assert busy.returncode == 2
    assert busy.stderr.startswith(f"meta254: error: {out}: another meta254 report run is writing into this folder")
    assert len(set(seen)) >= 2  # the reader saw the weeks of several runs, each complete
    _assert_complete(out)
    _assert_clean(out, env)
