"""The Parquet export of the drift and quality history round-trips through pyarrow.dataset (issue 16)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import svc

from meta254lib.core.errors import OutputError
from meta254lib.core.names import UnknownNameError
from meta254lib.report.asof import iso_week
from meta254lib.report.history_export import (
    META_FILE,
    NULL_PARTITION,
    _week_labels,
    export_history_parquet,
)
from meta254lib.workspace.workspace import open_workspace


def _issue(service: str, kind: str = "version_staleness", severity: str = "low") -> dict:
    return {"type": kind, "severity": severity, "service": service, "description": f"{service} is stale"}


def _snapshot(when: str, scores: dict[str, int]) -> dict:
    services = {
        name: {
            "score": score,
            "grade": "B",
            "status": "passing",
            "metrics": {"coverage": 0.5, "critical_vulns": 2, "high_vulns": 0, "lint_pass": True},
        }
        for name, score in scores.items()
    }
    return {"metadata": {"generated_at": when}, "services": services}


@pytest.fixture
def ws(make_ws):
    """Two teams; drift reports in 2020-W53 (dated 2021-01-03), 2025-W40 and 2025-W41; two snapshots."""
    drift = "analysis/reports/drift/{}_drift_report.json"
    quality = "analysis/historical/quality/quality_{}.json"
    root = make_ws(
        [svc("a", team="one", domain="core"), svc("b", team="two", domain="edge")],
        files={
            drift.format("20210103_000000"): {
                "metadata": {"generated_at": "2021-01-03T12:00:00Z"},
                "issues": [_issue("a")],
            },
            drift.format("20251002_000000"): {
                "metadata": {"generated_at": "2025-10-02T00:00:00Z"},
                "issues": [_issue("b", severity="high"), _issue("a"), _issue("b", "unknown_event", "medium")],
            },
            drift.format("20251009_000000"): {
                "metadata": {"generated_at": "2025-10-09T00:00:00Z"},
                "issues": [_issue("a", severity="high")],
            },
            quality.format("20251001_000000"): _snapshot("2025-10-01T00:00:00Z", {"a": 90, "b": 70}),
            quality.format("20251008_000000"): _snapshot("2025-10-08T00:00:00Z", {"a": 91}),
        },
    )
    return open_workspace(root, cache=False)


def _read(out, name: str) -> pa.Table:
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table()


def _weeks(times: pd.Series) -> dict[str, int]:
    return times.map(iso_week).value_counts().sort_index().to_dict()


def test_round_trip_counts_per_week_and_in_total(ws, tmp_path):
    out = tmp_path / "export"
    meta = export_history_parquet(ws, out)
    drift, quality = _read(out, "drift_issues"), _read(out, "quality_scores")
    assert drift.num_rows == len(ws.drift_history) == 5
    assert quality.num_rows == len(ws.quality_history) == 3
    expected = {"2020-W53": 1, "2025-W40": 3, "2025-W41": 1}
    assert _weeks(ws.drift_history["report_time"]) == expected  # 2021-01-03 is in ISO week 2020-W53
    assert meta["datasets"]["drift_issues"]["partitions"] == expected
    assert pd.Series(drift.column("week").to_pylist()).value_counts().sort_index().to_dict() == expected
    assert meta["datasets"]["quality_scores"]["partitions"] == {"2025-W40": 2, "2025-W41": 1}
    assert sorted(p.name for p in (out / "drift_issues").iterdir()) == [
        "week=2020-W53",
        "week=2025-W40",
        "week=2025-W41",
    ]
    assert json.loads((out / META_FILE).read_text()) == meta
    assert meta["workspace"] == str(ws.root) and meta["as_of"] == "2025-10-10T00:00:00+00:00"


def test_types_are_plain_arrow_without_pandas_index(ws, tmp_path):
    out = tmp_path / "export"
    export_history_parquet(ws, out)
    files = sorted((out / "quality_scores").glob("week=*/part-0.parquet"))
    schema = pq.read_schema(files[0])
    assert schema.metadata is None or b"pandas" not in schema.metadata
    assert "__index_level_0__" not in schema.names and "week" not in schema.names
    assert schema.field("snapshot_time").type == pa.timestamp("us", tz="UTC")
    assert schema.field("critical_vulns").type == pa.int64()
    assert schema.field("score").type == pa.float64()
    assert schema.field("lint_pass").type == pa.bool_()
    assert schema.field("service").type == pa.string()
    drift = pq.read_schema(next((out / "drift_issues").glob("week=*/part-0.parquet")))
    assert drift.field("report_time").type == pa.timestamp("us", tz="UTC")
    assert drift.field("exempt").type == pa.bool_()
    assert all(not pa.types.is_large_string(f.type) and f.type != pa.null() for f in drift)


def test_real_values_survive_and_rows_are_sorted(ws, tmp_path):
    out = tmp_path / "export"
    export_history_parquet(ws, out)
    week40 = pq.read_table(out / "drift_issues" / "week=2025-W40" / "part-0.parquet").to_pylist()
    assert [r["service"] for r in week40] == ["a", "b", "b"]  # by time, report, service, issue id
    assert sorted((r["severity"], r["type"]) for r in week40[1:]) == [
        ("high", "version_staleness"),
        ("medium", "unknown_event"),
    ]
    assert [r["issue_id"] for r in week40[1:]] == sorted(r["issue_id"] for r in week40[1:])
    assert week40[0]["report_time"] == pd.Timestamp("2025-10-02", tz="UTC").to_pydatetime()
    assert week40[0]["description"] == "a is stale" and week40[0]["exempt"] is None
    rows = _read(out, "quality_scores").to_pylist()
    a41 = next(r for r in rows if r["service"] == "a" and r["week"] == "2025-W41")
    assert (a41["score"], a41["coverage"], a41["critical_vulns"], a41["lint_pass"]) == (91.0, 0.5, 2, True)


def test_team_and_domain_scope_the_rows(ws, tmp_path):
    meta = export_history_parquet(ws, tmp_path / "one", team="ONE")
    assert meta["team"] == "ONE"
    assert set(_read(tmp_path / "one", "drift_issues").column("service").to_pylist()) == {"a"}
    assert meta["datasets"]["drift_issues"]["rows"] == 3
    meta = export_history_parquet(ws, tmp_path / "edge", domain="edge")
    assert set(_read(tmp_path / "edge", "quality_scores").column("service").to_pylist()) == {"b"}
    assert meta["datasets"]["quality_scores"]["partitions"] == {"2025-W40": 1}
    with pytest.raises(UnknownNameError, match="unknown team 'nobody'"):
        export_history_parquet(ws, tmp_path / "none", team="nobody")
    assert not (tmp_path / "none").exists()


def test_two_exports_are_byte_identical(ws, tmp_path):
    export_history_parquet(ws, tmp_path / "x")
    export_history_parquet(open_workspace(ws.root, cache=False), tmp_path / "y")
    files = sorted(p.relative_to(tmp_path / "x") for p in (tmp_path / "x").rglob("*") if p.is_file())
    assert len(files) == 6  # 3 drift and 2 quality partitions, and _meta.json
    for rel in files:
        assert (tmp_path / "x" / rel).read_bytes() == (tmp_path / "y" / rel).read_bytes(), rel


def test_refuses_to_overwrite_unless_forced(ws, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    export_history_parquet(ws, out)  # an empty folder is fine
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"cannot write .*export: folder is not empty \(pass --force"):
        export_history_parquet(ws, out)
    assert (out / "keep.txt").read_text() == "mine"
    export_history_parquet(ws, out, force=True)
    assert not (out / "keep.txt").exists() and (out / META_FILE).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["export", "ws"]  # no temporary folder left behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        export_history_parquet(ws, tmp_path / "file", force=True)
    with pytest.raises(OutputError, match="holds the workspace"):
        export_history_parquet(ws, tmp_path, force=True)


def test_rows_without_time_go_to_the_hive_null_partition():
    times = pd.Series(pd.to_datetime(["2025-10-10", None, "2025-10-10"], utc=True))
    assert _week_labels(times).tolist() == ["2025-W41", NULL_PARTITION, "2025-W41"]


def test_sample_round_trip(sample, tmp_path):
    ws = open_workspace(sample, cache=False)
    out = tmp_path / "export"
    meta = export_history_parquet(ws, out)
    for name, history, col in (
        ("drift_issues", ws.drift_history, "report_time"),
        ("quality_scores", ws.quality_history, "snapshot_time"),
    ):
        table = _read(out, name)
        assert table.num_rows == len(history) > 0
        assert meta["datasets"][name]["partitions"] == _weeks(history[col])
        counts = table.group_by("week").aggregate([("week", "count")]).to_pydict()
        assert dict(zip(counts["week"], counts["week_count"], strict=True)) == _weeks(history[col])
    severities = _read(out, "drift_issues").column("severity").to_pandas().value_counts().to_dict()
    assert severities == ws.drift_history["severity"].value_counts().to_dict()


def test_hostile_strings_round_trip(tmp_path):
    from corpus.hostile import HOSTILE_SERVICE, HOSTILE_TEAM, HOSTILE_TEXT, build_hostile_workspace

    ws = open_workspace(build_hostile_workspace(tmp_path / "ws"), cache=False)
    meta = export_history_parquet(ws, tmp_path / "out", team=HOSTILE_TEAM)
    owned = set(ws.services.loc[ws.services["team"] == HOSTILE_TEAM, "service"])
    assert HOSTILE_SERVICE in owned and "core-api" not in owned
    drift = _read(tmp_path / "out", "drift_issues").to_pylist()
    assert {r["service"] for r in drift} == owned & set(ws.drift_history["service"])
    assert HOSTILE_TEXT in {r["description"] for r in drift}
    quality = _read(tmp_path / "out", "quality_scores").to_pylist()
    assert [(r["service"], r["status"]) for r in quality] == [(HOSTILE_SERVICE, HOSTILE_TEXT)]
    assert json.loads((tmp_path / "out" / META_FILE).read_text())["team"] == HOSTILE_TEAM == meta["team"]
