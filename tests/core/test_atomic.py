"""meta254lib.core.atomic: environment failures (full disk, read-only) become OutputError naming the path (issue 18).

Tests run as root, where chmod does not block writes, so the failing system calls are simulated.
"""

from __future__ import annotations

import errno
import os
import types

import pytest
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli import main
from meta254lib.core import atomic
from meta254lib.core.errors import OutputError


def _read_only(*args, dir=None, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(dir or ".", ".x.tmp"))


def _full(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # a full disk names no file


def test_write_atomic_names_the_target_on_a_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "fsync", _full)
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path / 'a.json'}: No space left on device$") as err:
        atomic.write_atomic(tmp_path / "a.json", "{}")
    assert err.value.exit_code == 2 and err.value.path == str(tmp_path / "a.json")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_other_os_errors_are_not_translated(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic.write_atomic(tmp_path / "missing" / "a.json", "{}")
    assert atomic.write_new(tmp_path / "b", b"1") and not atomic.write_new(tmp_path / "b", b"2")


def _drift_write(make_ws):
    root = make_ws(services=[svc("a")])
    res = CliRunner().invoke(main, ["drift", "--workspace", str(root), "--write"])
    return root, res


def test_drift_write_on_a_read_only_workspace_exits_2_naming_the_path(make_ws, monkeypatch):
    monkeypatch.setattr(atomic, "tempfile", types.SimpleNamespace(mkstemp=_read_only))
    root, res = _drift_write(make_ws)
    assert res.exit_code == 2, res.output
    folder = root / "analysis" / "reports" / "drift"
    assert res.stderr.strip() == f"meta254: error: cannot write {folder}/.x.tmp: Read-only file system"


def test_drift_write_on_a_full_disk_exits_2_naming_the_file(make_ws, monkeypatch):
    monkeypatch.setattr(atomic.os, "fsync", _full)
    root, res = _drift_write(make_ws)
    assert res.exit_code == 2, res.output
    folder = root / "analysis" / "reports" / "drift"
    assert res.stderr.startswith(f"meta254: error: cannot write {folder}/2025")
    assert res.stderr.strip().endswith("_drift_report.json: No space left on device")


def test_ensure_folder_on_a_read_only_file_system(make_ws, monkeypatch):
    def mkdir(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    root = make_ws(services=[svc("a")])
    monkeypatch.setattr(atomic.Path, "mkdir", mkdir)
    with pytest.raises(OutputError, match="Read-only file system"):
        atomic.ensure_folder(root / "analysis")
