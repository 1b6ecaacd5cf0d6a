"""Paths the CLI prints for what it wrote are absolute, even for a relative ``--out`` (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, SAMPLE

from meta254lib.cli import main
from meta254lib.cli.common import shown_path

ALPHA = REPO / "tests" / "report" / "report_notebooks" / "alpha.ipynb"


def test_shown_path_is_absolute_and_keeps_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "latest").symlink_to("real")
    assert shown_path("latest/x.html") == str(tmp_path / "latest" / "x.html")
    assert shown_path(tmp_path / "a" / ".." / "b") == str(tmp_path / "b")


def test_report_with_a_relative_out_prints_an_absolute_index(tmp_path, monkeypatch):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    shutil.copy(ALPHA, notebooks / ALPHA.name)
    monkeypatch.chdir(tmp_path)
    args = ["report", "-w", str(SAMPLE), "--notebooks", "nbs", "--out", "out", "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    printed = Path(result.stdout.strip().splitlines()[-1])
    assert printed.is_absolute() and printed.is_file() and printed.name == "index.html"
    assert printed.is_relative_to(tmp_path / "out")


def test_sample_with_a_relative_out_prints_an_absolute_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["sample", "--out", "ws", "--services", "16", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    printed = Path(result.stdout.split(":", 1)[0].removeprefix("wrote "))
    assert printed == tmp_path / "ws" and printed.is_absolute()
    assert (printed / "catalog" / "service-index.yaml").is_file()


def test_drift_write_names_both_files_absolutely(tmp_path, monkeypatch):
    shutil.copytree(SAMPLE, tmp_path / "ws", symlinks=True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["drift", "-w", "ws", "--as-of", "2030-01-01", "--write", "--format", "json"])
    assert result.exit_code == 0, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("wrote ")
    written = [Path(p) for p in line.removeprefix("wrote ").split(" and ")]
    assert len(written) == 2
    for path in written:
        assert path.is_absolute() and path.is_file(), path
    assert written[1].name == "latest_drift_report.json"


@pytest.mark.parametrize("fmt", ["graphml", "dot", "mermaid"])
def test_graph_exports_write_to_stdout_only(tmp_path, monkeypatch, fmt):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["graph", "-w", str(SAMPLE), "--format", fmt])
    assert result.exit_code == 0
    assert list(tmp_path.iterdir()) == []  # nothing written, so no path to print
