"""meta254lib.report.publish: atomic install of a run folder, the latest link, leftovers of killed runs."""

from __future__ import annotations

import os
from pathlib import Path

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


def test_team_folders_are_unique_and_stable():
    # issue 18: "../x" and "X" both became teams/x/, "Data Platform" and "data-platform" one folder
    names = ["../x", "X", "x", "Data Platform", "data-platform", "data platform", "a" * 61, "a" * 62]
    folders = [pub.team_folder(n) for n in names]
    assert len(set(folders)) == len(names)
    assert folders[2] == "x" and folders[4] == "data-platform"  # a name that is its own slug keeps it
    assert folders[0].startswith("x-") and folders[1].startswith("x-")
    assert [pub.team_folder(n) for n in names] == folders  # stable
    assert pub.latest_link(Path("r"), "X") != pub.latest_link(Path("r"), "../x")
