"""The history tables read from the warm-load cache equal the cold load's, values and dtypes (issue 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from meta254lib.workspace import cache as C
from meta254lib.workspace import history as H
from meta254lib.workspace.frame_codec import Blobs, encode_frame
from meta254lib.workspace.workspace import open_workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
HISTORIES = ("drift_history", "quality_history")


@pytest.fixture
def sample(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(C.ENV_MODE, raising=False)
    monkeypatch.setenv(C.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.setattr(C, "RACY_SECONDS", 0.0)  # the copied files are seconds old
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    return root


def test_cold_cached_and_warm_history_frames_are_identical(sample):
    plain = open_workspace(sample, cache=False)
    cold = open_workspace(sample, cache=True)
    got_cold = {name: getattr(cold, name) for name in HISTORIES}
    warm = open_workspace(sample, cache=True)
    got_warm = {name: getattr(warm, name) for name in HISTORIES}
    assert [cold.cache_stats["units"][n] for n in HISTORIES] == ["miss", "miss"]
    assert [warm.cache_stats["units"][n] for n in HISTORIES] == ["hit", "hit"]
    for name in HISTORIES:
        expected = getattr(plain, name)
        assert len(expected) > 0
        for got in (got_cold[name], got_warm[name]):
            assert got.dtypes.astype(str).tolist() == expected.dtypes.astype(str).tolist(), name
            assert [str(t.storage) for t in got.dtypes if isinstance(t, pd.StringDtype)] == [
                str(t.storage) for t in expected.dtypes if isinstance(t, pd.StringDtype)
            ]
            pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
    assert plain.warnings.equals(warm.warnings)


def test_history_text_columns_are_stored_as_arrow_buffers_with_narrow_codes(sample):
    df = open_workspace(sample, cache=False).drift_history
    spec = encode_frame(df, Blobs())
    by_name = {c["name"]: c for c in spec["columns"]}
    assert by_name["service"]["enc"] == "arrowtext"
    assert by_name["severity"]["cdtype"] == "|i1"  # four severities (and missing) fit one byte
    assert all(c["cdtype"] in ("|i1", "<i2", "<i4") for c in spec["columns"] if c["enc"] == "arrowtext")


def test_quality_text_columns_are_single_arrow_chunks(sample):
    df = open_workspace(sample, cache=False).quality_history
    for col in ("snapshot", "service", "grade"):
        arrow = pa.chunked_array(pa.array(df[col].array))
        assert arrow.num_chunks == 1 and arrow.type == pa.large_string(), col


def test_clean_snapshots_converted_unchecked_equal_the_checked_conversion(sample, monkeypatch):
    # a snapshot with an odd value is read row by row (checked); the others go straight to Arrow
    qdir = sample / "analysis" / "historical" / "quality"
    first = sorted(qdir.glob("*.json"))[0]
    doc = json.loads(first.read_text(encoding="utf-8"))
    services = doc["services"]
    name = next(iter(services))
    body = services[name] if isinstance(services, dict) else services[0]
    body["score"] = "80"  # text: warned and converted by the row-by-row reading
    first.write_text(json.dumps(doc), encoding="utf-8")
    fast = open_workspace(sample, cache=False).quality_history
    column = H._column
    monkeypatch.setattr(H, "_column", lambda values, dtype, clean: column(values, dtype, False))
    slow = open_workspace(sample, cache=False).quality_history
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.dtypes.astype(str).tolist() == slow.dtypes.astype(str).tolist()
