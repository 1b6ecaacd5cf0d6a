"""meta254lib.report.locks: one run at a time per --out, stale build and run folders judged by the lock (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from report_support import fixture_notebooks, tiny_ws

from meta254lib.cli import main
from meta254lib.core.errors import OutputBusyError
from meta254lib.report import locks
from meta254lib.report import run as r

_HOLD = """
import sys, time
from pathlib import Path
from meta254lib.report.locks import hold_out_lock
with hold_out_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(out: Path, seconds: float) -> subprocess.Popen:
    """Another process (standing in for a run in another container) holding ``out``'s lock."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(out), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_exits_2_naming_the_folder_and_the_holder_and_spares_the_live_build(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    # a live run's build folder; its PID means nothing here (another PID namespace)
    live = out / ".tmp-platform-999999-0123abcd"
    (live / "notebooks").mkdir(parents=True)
    holder = _holder(out, 30)
    try:
        res = CliRunner().invoke(
            main, ["report", "-w", str(tiny_ws()), "--notebooks", str(fixture_notebooks("beta")), "--out", str(out)]
        )
        assert res.exit_code == 2, res.output
        line = res.stderr.strip()
        assert line.startswith(f"meta254: error: {out}: another meta254 report run is writing into this folder")
        assert f"(pid {holder.pid} on host " in line and "--wait" in line
        assert len(res.stderr.strip().splitlines()) == 1
        assert live.is_dir()  # not judged stale by its PID
        assert sorted(p.name for p in out.iterdir()) == [".meta254-report.lock", live.name]
    finally:
        holder.kill()
        holder.wait()


def test_wait_queues_behind_the_running_one(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    holder = _holder(out, 1.5)
    start = time.monotonic()
    result = r.build_report(tiny_ws(), notebooks_dir=fixture_notebooks("beta"), out=out, wait=True)
    assert holder.wait(timeout=30) == 0
    assert result.ok and time.monotonic() - start >= 1.0
    assert sorted(p.name for p in out.iterdir()) == ["2025-W41", "latest"]  # the lock file goes with the run


def test_lock_is_released_and_its_file_removed(tmp_path):
    with locks.hold_out_lock(tmp_path) as lock:
        assert lock.read_text().startswith(f"pid {os.getpid()} on host ")
        try:
            with locks.hold_out_lock(tmp_path):
                raise AssertionError("a second holder got the lock")
        except OutputBusyError as err:
            assert str(err).startswith(f"{tmp_path}: another meta254 report run")
    assert list(tmp_path.iterdir()) == []
    with locks.hold_out_lock(tmp_path):
        pass


def test_sweep_out_removes_build_folders_and_link_temps_whatever_their_pid(tmp_path):
    keep = [tmp_path / "2025-W41", tmp_path / ".tmp-notes"]
    for p in keep:
        p.mkdir()
    os.symlink("2025-W41", tmp_path / "latest")
    stale = [
        tmp_path / f".tmp-platform-{os.getpid()}-0123abcd",  # even our own PID: the lock holder built none yet
        tmp_path / ".tmp-team-x-1-0123abcd-old",
        tmp_path / ".latest.tmp-4242",
        tmp_path / ".latest-team-x.tmp-7",
    ]
    stale[0].mkdir()
    stale[1].mkdir()
    os.symlink("2025-W41", stale[2])
    os.symlink("2025-W41", stale[3])
    assert locks.sweep_out(tmp_path) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-notes", "2025-W41", "latest"]


def test_run_folders_are_removed_by_lock_and_age(tmp_path, monkeypatch):
    dead = tmp_path / "m254-run-dead"
    dead.mkdir()
    (dead / "run.lock").write_text("")
    (dead / "kernel-k0.json").write_text("{}")
    young = tmp_path / "m254-run-young"  # being created: no lock file yet
    young.mkdir()
    old = tmp_path / "m254-run-old"
    old.mkdir()
    legacy = tmp_path / "m254-report-cache-abc"
    legacy.mkdir()
    for p in (old, legacy):
        os.utime(p, (time.time() - 2 * locks.UNLOCKED_GRACE,) * 2)
    monkeypatch.delenv("JUPYTER_RUNTIME_DIR", raising=False)
    with locks.run_folder(tmp_path) as live:
        assert os.environ["JUPYTER_RUNTIME_DIR"] == str(live / "runtime")
        assert sorted(p.name for p in live.iterdir()) == ["ipc", "run.lock", "runtime"]
        assert not (tmp_path / dead.name).exists() and not old.exists() and not legacy.exists()
        assert young.is_dir()
        assert locks.sweep_run_folders(tmp_path) == []  # the live one is locked
    assert not live.exists() and "JUPYTER_RUNTIME_DIR" not in os.environ
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m254-run-young"]
