"""The warm-load cache: hit on an unchanged workspace, miss after any input change, corrupt files ignored."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from meta254lib.core.errors import ParameterError
from meta254lib.core.schema import CONTRACTS, DEPENDENCIES, EVENTS, SERVICES, frame_from_records
from meta254lib.devtools.sample import generate_sample
from meta254lib.graph.attrs import omitted_relations
from meta254lib.graph.build import build_graph, relation_view
from meta254lib.workspace import cache as C
from meta254lib.workspace.codec import CacheCorrupt, decode_value, encode_value
from meta254lib.workspace.frame_codec import Blobs, decode_frame, encode_frame
from meta254lib.workspace.unitfile import MAGIC, pack_unit, unpack_unit
from meta254lib.workspace.workspace import open_workspace

TABLES = (
    "services",
    "contracts",
    "dependencies",
    "events",
    "teams",
    "manifests",
    "lockfiles",
    "spec_versions",
    "advisories",
    "drift_history",
    "quality_history",
    "exemptions",
    "warnings",
    "inputs",
)
CATALOG_UNITS = ("catalog", "teams_doc", "teams", "manifests", "lock_frame", "events_registry", "tables")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cache") / "ws"
    generate_sample(root, services=24, weeks=3)
    return root


@pytest.fixture
def ws_root(generated, tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.delenv(C.ENV_MODE, raising=False)
    root = tmp_path / "ws"
    shutil.copytree(generated, root)
    return root


def _open_all(root: Path, cache: bool):
    ws = open_workspace(root, cache=cache)
    got = {name: getattr(ws, name) for name in TABLES}
    got["entries"] = ws.catalog_entries
    got["meta"] = ws.catalog_meta
    got["registry"] = ws.events_registry
    got["graph_diff"] = ws.dependency_graph_diff
    got["edges"] = sorted(ws.graph.edges(data="relations"))
    return ws, got


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, b[key], check_exact=True, obj=key)
        else:
            assert value == b[key], key


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old == "<first service version>":  # the metadata block has a version too: edit the first service's
        start = text.index("services:")
        line_start = text.index("  version: ", start)
        line_end = text.index("\n", line_start)
        old = text[line_start:line_end]
        text = text[:line_start] + "  version: " + new + text[line_end:]
    else:
        assert old in text, (path, old)
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def test_warm_open_hits_every_unit_and_equals_a_cold_open(ws_root, monkeypatch):
    monkeypatch.setattr(C, "RACY_SECONDS", 0.0)  # the copied files are seconds old (see the racy test)
    _, cold = _open_all(ws_root, cache=False)
    first, got1 = _open_all(ws_root, cache=True)
    second, got2 = _open_all(ws_root, cache=True)
    assert set(first.cache_stats["units"].values()) == {"miss"}
    assert first.cache_stats["write"] == len(first.cache_stats["units"])
    assert set(second.cache_stats["units"].values()) == {"hit"}
    assert second.cache_stats["miss"] == 0 and second.cache_stats["corrupt"] == 0
    assert second.cache_stats["hashed"] == 0  # unchanged files keep their digests without being read
    _assert_same(cold, got1)
    _assert_same(cold, got2)
    folder = C.cache_folder(ws_root)
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    names = sorted(p.name for p in folder.glob("*.m254"))
    assert names[:3] == ["advisories.m254", "catalog.m254", "dependency_graph_diff.m254"]


@pytest.mark.parametrize(
    ("rel", "old", "new", "stale", "check"),
    [
        (
            "catalog/service-index.yaml",
            "<first service version>",
            "77.0.1",
            {"catalog", "teams", "manifests", "tables"},
            lambda ws: "77.0.1" in set(ws.services["version"]),
        ),
        ("config/teams.yaml", "teams:", "# edited\nteams:", {"teams_doc", "teams", "tables"}, None),
        ("config/rules.yaml", "dependency:", "# edited\ndependency:", {"tables", "drift_history", "advisories"}, None),
    ],
)
def test_an_edited_input_misses_exactly_its_units(ws_root, rel, old, new, stale, check):
    _open_all(ws_root, cache=True)
    _rewrite(ws_root / rel, old, new)
    ws, got = _open_all(ws_root, cache=True)
    units = ws.cache_stats["units"]
    assert {u for u, outcome in units.items() if outcome == "miss"} >= stale
    assert units["catalog"] == ("miss" if rel.startswith("catalog/") else "hit")
    _, cold = _open_all(ws_root, cache=False)
    _assert_same(cold, got)
    if check is not None:
        assert check(ws)


def test_a_manifest_edit_a_new_report_and_a_removed_lock_are_seen(ws_root):
    _open_all(ws_root, cache=True)
    manifest = sorted((ws_root / "manifests/collected").glob("*.yaml"))[0]
    _rewrite(manifest, "runtime:", "# edited\nruntime:")
    reports = sorted((ws_root / "analysis/reports/drift").glob("2*_drift_report.json"))
    shutil.copy(reports[-1], reports[-1].with_name("29990101_000000_drift_report.json"))
    lock = sorted((ws_root / "manifests/collected").glob("*.specs.lock.json"))[0]
    lock.unlink()
    ws, got = _open_all(ws_root, cache=True)
    units = ws.cache_stats["units"]
    assert units["manifests"] == units["lock_frame"] == units["drift_history"] == units["tables"] == "miss"
    assert units["catalog"] == units["teams_doc"] == "hit"
    _, cold = _open_all(ws_root, cache=False)
    _assert_same(cold, got)
    assert "29990101_000000_drift_report.json" in set(got["drift_history"]["report"])


def test_same_size_same_mtime_edit_is_still_seen(ws_root):
    """A change that keeps size and modification time is caught: the inode change time moves."""
    _open_all(ws_root, cache=True)
    path = ws_root / "catalog/service-index.yaml"
    st = path.stat()
    data = path.read_bytes()
    start = data.index(b"  version: ", data.index(b"services:")) + len(b"  version: ")
    path.write_bytes(data[:start] + b"9" + data[start + 1 :])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    ws = open_workspace(ws_root, cache=True)
    assert ws.cache_stats["units"]["catalog"] == "miss"
    assert ws.services["version"].iloc[0].startswith("9")


def test_files_changed_just_before_hashing_are_hashed_again(ws_root):
    """A file modified within RACY_SECONDS of being hashed may change again unseen: it is re-hashed."""
    _open_all(ws_root, cache=True)  # the copy is fresh, so every digest was taken "racily"
    ws = open_workspace(ws_root, cache=True)
    assert len(ws.quality_history) > 0
    assert ws.cache_stats["hashed"] > 0 and set(ws.cache_stats["units"].values()) == {"hit"}


def test_recorded_digests_are_not_trusted_when_the_stat_differs(ws_root, monkeypatch):
    monkeypatch.setattr(C, "RACY_SECONDS", 0.0)
    _open_all(ws_root, cache=True)
    store = C.WorkspaceCache(ws_root, C.cache_folder(ws_root))
    known = store._load_known()
    assert len(known["catalog/service-index.yaml"][4]) == 64
    known["catalog/service-index.yaml"][3] += 1  # another inode: the digest must be computed again
    store._dirty = True
    store.flush()
    ws = open_workspace(ws_root, cache=True)
    assert ws.cache_stats["units"]["catalog"] == "hit"
    assert ws.cache_stats["hashed"] == 1  # only that file was read again


@pytest.mark.parametrize(
    "damage",
    ["truncate", "flip-buffer-byte", "flip-header-byte", "garbage", "empty", "wrong-dtype"],
)
def test_a_corrupt_unit_is_ignored_and_rewritten(ws_root, damage):
    _, cold = _open_all(ws_root, cache=False)
    _open_all(ws_root, cache=True)
    unit = C.cache_folder(ws_root) / "tables.m254"
    data = bytearray(unit.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip-buffer-byte":
        data[-3] ^= 0xFF
    elif damage == "flip-header-byte":
        data[len(MAGIC) + 8 + 64 + 20] ^= 0x01
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "empty":
        data = bytearray()
    elif damage == "wrong-dtype":
        # a well-formed file whose header lies about a column: decoding must refuse it
        m = len(MAGIC)
        (length,) = np.frombuffer(bytes(data[m : m + 8]), dtype="<u8")
        header = json.loads(bytes(data[m + 72 : m + 72 + int(length)]))
        header["frames"][0]["columns"][0]["dtype"] = "Int64"
        blobs = unpack_unit(bytearray(data))[1]
        header.pop("blobs")
        data = bytearray(b"".join(pack_unit(header, [bytes(b) for b in blobs])))
    unit.write_bytes(bytes(data))
    ws, got = _open_all(ws_root, cache=True)
    assert ws.cache_stats["units"]["tables"].startswith("corrupt")
    _assert_same(cold, got)
    again = open_workspace(ws_root, cache=True)
    assert len(again.services) == len(cold["services"])
    assert again.cache_stats["units"]["tables"] == "hit"


def test_corrupt_digest_table_is_ignored(ws_root):
    _, cold = _open_all(ws_root, cache=False)
    _open_all(ws_root, cache=True)
    (C.cache_folder(ws_root) / "files.m254").write_bytes(b"\x00{not a table")
    ws, got = _open_all(ws_root, cache=True)
    assert set(ws.cache_stats["units"].values()) == {"hit"}
    assert ws.cache_stats["hashed"] > 0
    _assert_same(cold, got)


def test_cache_dir_variable_and_auto_mode(ws_root, tmp_path, monkeypatch):
    ws = open_workspace(ws_root)  # auto: a 24-service catalog is far below the threshold
    assert ws.cache_stats is None
    assert not (ws_root / ".meta254-cache").exists()
    monkeypatch.setenv(C.ENV_DIR, str(tmp_path / "elsewhere"))
    monkeypatch.setenv(C.ENV_MODE, "on")
    ws = open_workspace(ws_root)
    assert len(ws.services) == 24
    folder = Path(ws.cache_stats["folder"])
    assert folder.parent == tmp_path / "elsewhere" and (folder / "tables.m254").is_file()
    assert not (ws_root / ".meta254-cache").exists()  # the checkout stays clean
    assert open_workspace(ws_root, cache=False).cache_stats is None


def test_graph_leaves_out_a_contract_clique_above_the_limit():
    names = [f"s{i}" for i in range(6)]
    services = frame_from_records(SERVICES, [{"service": n} for n in names])
    contracts = frame_from_records(CONTRACTS, [{"service": n, "spec": "core"} for n in names])
    deps = frame_from_records(DEPENDENCIES, [{"service": "s1", "target": "s0", "kind": "internal"}])
    events = frame_from_records(EVENTS, [])
    full = build_graph(services, deps, events, contracts)
    assert full.number_of_edges() == 30 and "omitted_relations" not in full.graph
    G = build_graph(services, deps, events, contracts, max_contract_pairs=29)
    assert list(G.edges(data="relations")) == [("s1", "s0", "depends_on")]
    assert omitted_relations(G)["shares_contract"].startswith("30 ordered pairs")
    assert list(relation_view(G, "depends_on").edges) == [("s1", "s0")]
    with pytest.raises(ParameterError, match="'shares_contract' is not available"):
        relation_view(G, "depends_on,shares_contract")
    assert nx.is_isomorphic(build_graph(services, deps, events, contracts, max_contract_pairs=30), full)


def test_graph_round_trip_keeps_attributes_and_adjacency_order(generated):
    ws = open_workspace(generated, cache=False)
    G = ws.graph
    frames: list = []
    tagged = encode_value(G, frames)
    blobs = Blobs()
    specs = [encode_frame(df, blobs) for df in frames]
    back = decode_value(tagged, [decode_frame(s, [bytearray(b) for b in blobs.items]) for s in specs])
    assert back.graph == G.graph
    assert list(back.nodes(data=True)) == list(G.nodes(data=True))
    assert list(back.edges(data=True)) == list(G.edges(data=True))
    assert all(list(back.pred[n]) == list(G.pred[n]) and list(back.succ[n]) == list(G.succ[n]) for n in G)
    u, v = next(iter(back.edges))
    assert back.succ[u][v] is back.pred[v][u]  # one attribute dict per edge, as networkx keeps it
    assert G.number_of_edges() > 20 and any(len(G.pred[n]) > 1 for n in G)


def test_the_cache_defaults_to_the_user_cache_folder_and_leaves_the_checkout_clean(ws_root, tmp_path, monkeypatch):
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(C.ENV_MODE, "on")
    ws = open_workspace(ws_root)
    assert len(ws.services) == 24
    folder = Path(ws.cache_stats["folder"])
    assert folder.parent == tmp_path / "xdg" / "meta254" and (folder / "tables.m254").is_file()
    assert not (ws_root / ".meta254-cache").exists()


def test_big_buffers_digested_side_by_side_round_trip():
    # buffers past the threshold are digested on worker threads: each keeps its own digest and place
    big = [np.arange(n, dtype="<i8") for n in (700_000, 5, 400_000)]
    blobs = Blobs()
    spec = [blobs.add(a) for a in big] + [blobs.add(b"tail")]
    data = bytearray(b"".join(pack_unit({"format": 1}, blobs.items)))
    header, back = unpack_unit(data)
    assert [np.frombuffer(back[k], "<i8").tolist() for k in spec[:3]] == [a.tolist() for a in big]
    assert bytes(back[spec[3]]) == b"tail" and header["format"] == 1
    data[-1] ^= 1  # a flipped byte in the last buffer is still caught
    with pytest.raises(CacheCorrupt):
        unpack_unit(data)
