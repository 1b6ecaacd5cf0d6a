"""A hostile ``.meta254-cache/`` (issue 18, defects 1, 6 and 8): never a hang, a crash or a write outside.

- a named pipe as a cache file is never opened for a blocking read; a sparse 200 GB file is never read;
- links in or as the cache folder are never followed when the cache is set up;
- a file name that is not UTF-8 is a warning naming it (escaped), and the cache keys handle it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli import main
from meta254lib.workspace import cache as C
from meta254lib.workspace.cachefs import create_new, escaped_name, read_regular
from meta254lib.workspace.workspace import open_workspace

TABLES = ("services", "contracts", "dependencies", "teams", "advisories", "spec_versions", "warnings", "inputs")
BAD_NAME = b"advisories/x\xff.json"


class Hang(Exception):  # not an OSError (TimeoutError is one): no `except OSError` swallows it
    """Raised when a test runs past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (SIGALRM interrupts a blocking open of a named pipe)."""

    def on_alarm(signum, frame):
        signal.alarm(1)  # and again, should something swallow it
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def ws(make_ws, monkeypatch) -> Path:
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.setenv(C.ENV_MODE, "on")
    return make_ws(
        services=[svc("a", api_contracts=["g@1.0.0"]), svc("b", dependencies={"internal": ["a"], "external": []})],
        files={"config/specs-index.json": {"g": {"latest_version": "1.1.0"}}},
    )


def _tables(root: Path) -> dict[str, object]:
    w = open_workspace(root).load_all()
    return {t: getattr(w, t).to_json(orient="split", date_format="iso") for t in TABLES}


def _fill(root: Path) -> Path:
    """Open the workspace once so that the cache folder holds every unit file; the folder."""
    w = open_workspace(root).load_all()
    folder = Path(w.cache_stats["folder"])
    assert (folder / "catalog.m254").is_file() and (folder / "files.m254").is_file()
    return folder


# --- defect 6: pipes and huge files in the cache folder ------------------------------------------


def test_named_pipe_unit_file_is_a_miss_not_a_hang(ws) -> None:
    cold = _tables(ws)
    folder = _fill(ws)
    unit = folder / "catalog.m254"
    unit.unlink()
    os.mkfifo(unit)
    with time_limit(20):
        w = open_workspace(ws).load_all()
        assert w.cache_stats["units"]["catalog"].startswith("corrupt")
        assert _tables(ws) == cold


def test_named_pipe_files_index_and_input_are_not_opened(ws) -> None:
    folder = _fill(ws)
    (folder / "files.m254").unlink()
    os.mkfifo(folder / "files.m254")
    (ws / "advisories").mkdir()
    os.mkfifo(ws / "advisories" / "pipe.json")
    with time_limit(20):
        w = open_workspace(ws).load_all()
        warned = w.warnings[w.warnings["file"] == "advisories/pipe.json"]
        assert list(warned["message"]) == ["not a regular file (a named pipe); not read"]
        assert len(w.services) == 2


def test_sparse_huge_unit_file_is_not_read(ws) -> None:
    cold = _tables(ws)
    folder = _fill(ws)
    unit = folder / "tables.m254"
    with open(unit, "r+b") as f:
        f.truncate(200 * 1024**3)  # sparse: 200 GB that take no disk
    w = open_workspace(ws).load_all()
    assert w.cache_stats["units"]["tables"] == "corrupt: not a regular file of sane size"
    assert _tables(ws) == cold
    assert unit.stat().st_size < 1024**2  # rebuilt


def test_folder_as_unit_file_is_a_miss(ws) -> None:
    folder = _fill(ws)
    (folder / "teams.m254").unlink()
    (folder / "teams.m254").mkdir()
    w = open_workspace(ws).load_all()
    assert w.cache_stats["units"]["teams"].startswith("corrupt")
    assert len(w.teams) == 2


def test_linked_unit_file_is_not_followed_and_is_replaced(ws, tmp_path) -> None:
    folder = _fill(ws)
    outside = tmp_path / "outside.m254"
    (folder / "catalog.m254").rename(outside)
    os.symlink(outside, folder / "catalog.m254")
    w = open_workspace(ws).load_all()
    assert w.cache_stats["units"]["catalog"].startswith("corrupt")
    assert not os.path.islink(folder / "catalog.m254")  # rewritten in place of the link
    assert len(w.services) == 2


def test_read_regular_refuses_links_pipes_and_oversize(tmp_path) -> None:
    (tmp_path / "f").write_bytes(b"12345")
    os.symlink(tmp_path / "f", tmp_path / "link")
    os.mkfifo(tmp_path / "pipe")
    assert read_regular(tmp_path / "f", 5) == b"12345"
    assert read_regular(tmp_path / "f", 4) is None
    assert read_regular(tmp_path / "link", 100) is None
    with time_limit(5):
        assert read_regular(tmp_path / "pipe", 100) is None
    assert read_regular(tmp_path / "absent", 100) is None


# --- defect 8: set-up never follows links ----------------------------------------------------------


@pytest.mark.parametrize("name", [".gitignore", "CACHEDIR.TAG"])
def test_dangling_marker_link_is_not_followed(ws, tmp_path, name) -> None:
    outside = tmp_path / "outside" / f"written-{name}"
    outside.parent.mkdir()
    folder = ws / C.CACHE_DIRNAME
    folder.mkdir()
    os.symlink(outside, folder / name)
    w = open_workspace(ws).load_all()
    assert w.cache_stats["write"] > 0
    assert not outside.exists()
    assert os.path.islink(folder / name)


def test_cache_folder_that_is_a_link_out_is_not_used(ws, tmp_path) -> None:
    outside = tmp_path / "outside-cache"
    outside.mkdir()
    os.symlink(outside, ws / C.CACHE_DIRNAME)
    w = open_workspace(ws).load_all()
    assert w.cache_stats is None
    assert list(os.listdir(outside)) == []
    rows = w.warnings[w.warnings["file"] == C.CACHE_DIRNAME]
    assert list(rows["message"]) == ["the cache folder is a link; the cache is not used"]
    assert len(w.services) == 2


def test_dangling_cache_folder_link_writes_nothing(ws, tmp_path) -> None:
    target = tmp_path / "nowhere" / "cache"
    os.symlink(target, ws / C.CACHE_DIRNAME)
    w = open_workspace(ws).load_all()
    assert w.cache_stats is None
    assert not target.exists() and not target.parent.exists()


def test_create_new_never_follows(tmp_path) -> None:
    os.symlink(tmp_path / "target", tmp_path / "name")
    assert create_new(tmp_path / "name", b"x") is False
    assert not (tmp_path / "target").exists()


# --- defect 1: file names that are not UTF-8 --------------------------------------------------------


def test_escaped_name() -> None:
    assert escaped_name(os.fsdecode(BAD_NAME)) == "advisories/x\\xff.json"


def test_non_utf8_file_name_is_a_warning_and_cached_commands_work(ws) -> None:
    (ws / "advisories").mkdir()
    with open(os.fsencode(ws) + b"/" + BAD_NAME, "w") as f:
        f.write("{}")
    for _ in range(2):  # cold, then warm
        w = open_workspace(ws).load_all()
        rows = w.warnings[w.warnings["file"] == "advisories/x\\xff.json"]
        assert list(rows["message"]) == ["the file name is not valid UTF-8; not read"]
        assert len(w.services) == 2 and len(w.spec_versions) == 1
    assert w.cache_stats["hit"] > 0
    for command in ("validate", "drift"):
        result = CliRunner().invoke(main, [command, "--workspace", str(ws)])
        assert result.exit_code in (0, 1), result.output
        assert "internal error" not in result.output


def test_cache_keys_handle_non_utf8_names(tmp_path, monkeypatch) -> None:
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/w\xfe"))
    root.mkdir()
    store = C.WorkspaceCache(root, C.cache_folder(root))
    (root / "a.json").write_text("{}")
    rel = os.fsdecode(b"x\xff.json")
    (root / rel).write_text("{}")
    key = store._inputs_key(["a.json", rel])
    assert key["n"] == 2 and len(key["sha256"]) == 64
    assert len(store.mtimes(["a.json", rel])) == 64
    monkeypatch.setenv(C.ENV_DIR, str(tmp_path / "c"))
    assert len(C.cache_folder(root).name) == 16
    store.flush()
    assert C.WorkspaceCache(root, store.folder)._load_known().keys() == {"a.json", rel}


@pytest.mark.slow
def test_report_renders_with_a_non_utf8_advisory_name(ws, tmp_path) -> None:
    """The issue's check: the report renders, and its warnings name the file with the byte escaped."""
    (ws / "advisories").mkdir()
    with open(os.fsencode(ws) + b"/" + BAD_NAME, "w") as f:
        f.write("{}")
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", "--workspace", str(ws), "--out", str(out), "--as-of", "2025-10-10"])
    assert result.exit_code == 0, result.output
    warnings = (out / "latest" / "tables" / "workspace_overview" / "warnings.csv").read_text(encoding="utf-8")
    assert "advisories/x\\xff.json" in warnings


def test_workspace_folder_not_utf8_is_cached(make_ws, monkeypatch, tmp_path) -> None:
    """Only names inside the workspace are judged: a workspace under a non-UTF-8 folder loads and caches."""
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.setenv(C.ENV_MODE, "on")
    src = make_ws(services=[svc("a"), svc("b")])
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/w\xfe"))
    src.rename(root)
    for _ in range(2):
        w = open_workspace(root).load_all()
        assert w.warnings.empty and len(w.services) == 2
    assert w.cache_stats["hit"] > 0 and w.cache_stats["corrupt"] == 0
