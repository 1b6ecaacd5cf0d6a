"""Reading history files ahead in a thread: the same documents, records, digests and warnings as reading in turn."""

from __future__ import annotations

import hashlib
import threading
import time

from meta254lib.workspace.cache import WorkspaceCache
from meta254lib.workspace.files import WorkspaceFiles
from meta254lib.workspace.read_ahead import ReadAhead


def test_reads_in_order_at_most_depth_ahead(tmp_path):
    paths = [tmp_path / f"{k}.json" for k in range(5)]
    for k, p in enumerate(paths):
        p.write_text(str(k))
    started, gate = [], threading.Event()

    def read(p):
        started.append(p.name)
        gate.wait(5)
        return None, p.read_bytes(), None

    with ReadAhead(paths, read, depth=2) as ahead:
        gate.set()
        deadline = time.monotonic() + 10
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # time to run further ahead, which it must not
        assert started == ["0.json", "1.json"]
        assert ahead.take(paths[0])[1] == b"0"
        got = [ahead.take(p)[1] for p in paths[1:]]
    assert got == [b"1", b"2", b"3", b"4"] and started == [p.name for p in paths]
    assert ahead.take(paths[0]) is None  # given once


def _files(root, cache):
    store = WorkspaceCache(root, root / ".cache") if cache else None
    return WorkspaceFiles(root, store)


def test_load_ahead_matches_load_in_turn(tmp_path):
    root = tmp_path / "ws"
    (root / "h").mkdir(parents=True)
    (root / "h" / "a.json").write_bytes(b'{"a": 1}')
    (root / "h" / "b.json").write_bytes(b'{"a": ')  # broken JSON
    (root / "h" / "c.json").mkdir()  # a folder named like a file
    (root / "h" / "d.json").write_bytes(b"")  # empty: read as absent
    paths = sorted((root / "h").iterdir())
    for cache in (False, True):
        plain, ahead_io = _files(root, cache), _files(root, cache)
        docs = [plain.load(p, "quality_history") for p in paths]
        with ahead_io.read_ahead(paths) as ahead:
            docs_ahead = [ahead_io.load(p, "quality_history", ahead) for p in paths]
        assert docs == docs_ahead == [{"a": 1}, None, None, None]
        assert plain.warnings == ahead_io.warnings and len(plain.warnings) == 3
        assert plain.files == ahead_io.files
        if cache:
            digest = hashlib.sha256(b'{"a": 1}').hexdigest()
            assert plain.cache.digest("h/a.json") == ahead_io.cache.digest("h/a.json") == digest
