"""meta254lib.report.publish: atomic install of a run folder, the latest link, leftovers of killed runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from meta254lib.core.errors import ParameterError
from meta254lib.report import publish as pub


def test_install_replaces_an_existing_folder_and_leaves_nothing_behind(tmp_path):
    final = tmp_path / "2025-W41"
    final.mkdir()
    (final / "old.txt").write_text("old")
    tmp = tmp_path / ".tmp-platform-1-abcdef01"
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    pub.install(tmp, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-W41"]
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]


def test_install_into_a_new_name(tmp_path):
    tmp = tmp_path / ".tmp-x"
    tmp.mkdir()
    pub.install(tmp, tmp_path / "2025-W02")
    assert [p.name for p in tmp_path.iterdir()] == ["2025-W02"]


def test_latest_link_is_replaced_and_a_real_folder_is_refused(tmp_path):
    (tmp_path / "2025-W40").mkdir()
    (tmp_path / "2025-W41").mkdir()
    link = tmp_path / "latest"
    pub.point_link(link, "2025-W40")
    pub.point_link(link, "2025-W41")
    assert os.readlink(link) == "2025-W41"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-W40", "2025-W41", "latest"]
    real = tmp_path / "latest-team-x"
    real.mkdir()
    with pytest.raises(ParameterError, match="is not a symlink"):
        pub.point_link(real, "2025-W41")


def test_sweep_removes_only_folders_of_dead_runs(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".tmp-platform-{dead_pid}-0123abcd"
    live = tmp_path / f".tmp-platform-{os.getpid()}-0123abcd"
    other = tmp_path / "2025-W41"
    for p in (stale, live, other):
        p.mkdir()
    assert [p for p in pub.sweep_stale(tmp_path) if p.parent == tmp_path] == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
