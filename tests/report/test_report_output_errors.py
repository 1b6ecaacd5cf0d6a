"""``meta254 report`` on a full disk or a read-only --out: exit 2 naming the path, not an internal error (issue 18)."""

from __future__ import annotations

import errno
import os

from click.testing import CliRunner
from report_support import fixture_notebooks, tiny_ws

from meta254lib.cli import main
from meta254lib.report import run as r


def _invoke(out):
    return CliRunner().invoke(
        main, ["report", "-w", str(tiny_ws()), "--notebooks", str(fixture_notebooks("beta")), "--out", str(out), "-q"]
    )


def test_full_disk_while_writing_the_index_exits_2_naming_the_output_folder(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # a write() error names no file

    monkeypatch.setattr(r, "write_indexes", full)
    res = _invoke(tmp_path / "reports")
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"meta254: error: cannot write {tmp_path / 'reports'}: No space left on device"
    assert list((tmp_path / "reports").iterdir()) == []  # no build folder, no lock file left


def test_read_only_out_exits_2_naming_the_path(tmp_path, monkeypatch):
    out = tmp_path / "reports"

    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):  # what mkdir says for --out on a read-only file system
        if os.fspath(path) == str(out):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    res = _invoke(out)
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"meta254: error: cannot write {out}: Read-only file system"
