"""Cached units: a unit another process is computing is waited for and read, not computed again."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from meta254lib.devtools.sample import generate_sample
from meta254lib.workspace import cache as C
from meta254lib.workspace.cached_units import unit_lock
from meta254lib.workspace.workspace import open_workspace

pytest.importorskip("fcntl")


@pytest.fixture
def ws_root(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.setenv(C.ENV_MODE, "on")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "ws"
    generate_sample(root, services=16, weeks=2)
    return root


def test_unit_lock_is_free_then_waits_for_another_process(tmp_path) -> None:
    with unit_lock(tmp_path, "teams") as waited:
        assert waited is False
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(0.6)",
            str(tmp_path / ".lock-teams"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with unit_lock(tmp_path, "teams") as waited:
            took = time.monotonic() - start
        assert waited is True
        assert 0.2 < took < 5.0  # until the holder ended, not the 600 s limit
    finally:
        holder.wait(timeout=10)


def test_unit_lock_gives_up_after_its_wait(tmp_path) -> None:
    with unit_lock(tmp_path, "graph"):
        start = time.monotonic()
        with unit_lock(tmp_path, "graph", wait_s=0.2) as waited:
            assert waited is True
        assert time.monotonic() - start < 2.0


def test_a_linked_lock_file_is_not_followed(tmp_path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / ".lock-teams").symlink_to(target)
    with unit_lock(tmp_path, "teams") as waited:
        assert waited is False
    assert not target.exists()


def test_a_unit_stored_while_waiting_is_read_not_computed(ws_root) -> None:
    first = open_workspace(ws_root).load_all()
    folder = C.cache_folder(ws_root)
    unit_file = next(folder.glob("teams.*"))
    saved = unit_file.read_bytes()
    unit_file.unlink()

    def other_process() -> None:  # holds the lock, then stores the unit as a process computing it would
        with unit_lock(folder, "teams"):
            ready.set()
            time.sleep(0.4)
            unit_file.write_bytes(saved)

    ready = threading.Event()
    t = threading.Thread(target=other_process)
    t.start()
    ready.wait(5)
    w = open_workspace(ws_root)
    teams = w.teams
    t.join()
    assert w.cache_stats["units"]["teams"] == "hit"
    assert list(teams.columns) == list(first.teams.columns) and len(teams) == len(first.teams) > 0
