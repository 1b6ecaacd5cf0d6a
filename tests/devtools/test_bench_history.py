"""The bench's cold history stage and its history parse floor, on a tiny generated workspace."""

from __future__ import annotations

import json

import pytest

from meta254lib.devtools import bench
from meta254lib.devtools.bench_format import format_table
from meta254lib.devtools.bench_history import HISTORY_FLOOR, history_files, load_parser, run_history_stage
from meta254lib.devtools.sample import generate_sample


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws") / "ws"
    generate_sample(root, services=20, weeks=3)
    return root


def test_floor_reads_the_files_the_load_parses(tiny):
    names = [p.name for p in history_files(tiny)]
    drift = [n for n in names if n.endswith("_drift_report.json")]
    quality = [n for n in names if n.startswith("quality_")]
    assert len(drift) == 3 and len(quality) == 3 and "latest_drift_report.json" not in names
    assert drift == sorted(drift) and quality == sorted(quality)


def test_history_stage_times_the_floor_and_the_cold_load(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("META254_CACHE_DIR", str(tmp_path / "cache"))
    got = run_history_stage("history_cold", tiny)
    assert got["ours_s"] > 0 and got["baseline_s"] > 0 and got["baseline_label"] == HISTORY_FLOOR
    assert got["files"] == len(history_files(tiny)) and got["rows"]["drift_history"] > 0
    assert "miss" in got["note"] and got["peak_rss_mb"] >= got["floor_peak_rss_mb"] > 0
    # the load's parser is named; the floor stays json.load whatever it is
    assert got["parser"] == load_parser() and f"parsed with {load_parser()}" in got["note"]
    assert "the floor parses the same files with json.load" in got["note"]
    json.dumps(got)  # what the child prints


def test_stage_row_shows_the_ratio_to_the_floor():
    got = {"ours_s": 6.0, "baseline_s": 2.0, "baseline_label": HISTORY_FLOOR, "floor_peak_rss_mb": 150.0}
    row = bench._row("history_cold", got, 900.0, bench.TARGET_SERVICES)
    assert row["baseline"] == HISTORY_FLOOR and row["floor_peak_rss_mb"] == 150.0
    assert {"target": "<= 3 x baseline", "value": 3.0, "met": True} in row["targets"]
    assert "3.00x floor" in format_table([row])
    slow = bench._row("history_cold", {**got, "ours_s": 7.0}, 900.0, bench.TARGET_SERVICES)
    assert not slow["targets"][0]["met"]


def test_the_load_parses_with_orjson_a_dependency():
    assert load_parser() == "orjson"  # pyproject.toml lists orjson; json remains the fallback and the floor


def test_peak_is_never_under_the_floor_reading(tiny, tmp_path, monkeypatch):
    # VmHWM comes from per-CPU RSS estimates: a later reading can be a little under an earlier one (CI saw
    # 412.5 after 412.7); the stage's peak is the larger of the two
    from meta254lib.devtools import bench_history

    readings = iter([412.7, 412.5])
    monkeypatch.setattr(bench_history, "_peak_mb", lambda: next(readings))
    monkeypatch.setenv("META254_CACHE_DIR", str(tmp_path / "cache"))
    got = run_history_stage("history_cold", tiny)
    assert got["floor_peak_rss_mb"] == 412.7 and got["peak_rss_mb"] == 412.7
