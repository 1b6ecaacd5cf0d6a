"""The opt-in bench stage "weekly report, 10,000 services" (meta254lib.devtools.bench_report), at tiny scale."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from meta254lib.devtools.bench_report import bench_fleet_report, measure_report, report_row

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_support import fixture_notebooks, tiny_ws


def test_row_fails_the_targets_it_misses():
    fleet = {"seconds": 90.0, "ok": True, "folder_mb": 31.0, "largest_page_mb": 2.5, "peak_rss_mb": 800.0}
    row = report_row(fleet, {"seconds": 10.0, "ok": True}, 10_000)
    assert row["stage"] == "weekly report, 10,000 services" and row["ratio_to_sample"] == 9.0
    assert [t["met"] for t in row["targets"]] == [False, False, False]
    assert row["peak_rss_mb"] == 800.0


def test_row_of_a_failed_report_says_why():
    row = report_row({"error": "report failed (exit 1): boom"}, {"seconds": 10.0, "ok": True}, 100)
    assert row["ratio_to_sample"] is None and row["ok"] is False and row["note"].endswith("boom")


@pytest.mark.slow
def test_measure_report_in_process(tmp_path):
    got = measure_report(tiny_ws(), tmp_path / "out", jobs=1, notebooks_dir=fixture_notebooks("alpha"))
    assert got["ok"] is True and got["pages"] == 1 and got["seconds"] > 0
    assert got["largest_page"] == "alpha.html" and 0 < got["largest_page_mb"] <= got["folder_mb"]
    assert got["peak_rss_mb"] > 0 and got["kernels_peak_rss_mb"] > 0  # the kernel is a waited-for child


@pytest.mark.slow
def test_fleet_report_stage_at_tiny_scale(tmp_path):
    row = bench_fleet_report(services=20, weeks=2, workdir=tmp_path, jobs=2, timeout=600)
    assert row["ok"] is True, row["note"]
    assert row["stage"] == "weekly report, 20 services"
    assert row["ours_s"] > 0 and row["baseline_s"] > 0 and row["ratio_to_sample"] is not None
    assert row["fleet"]["pages"] == row["sample"]["pages"] == 6
    assert row["peak_rss_mb"] >= row["fleet"]["peak_rss_mb"] > 0


def test_the_history_row_is_the_median_of_the_cold_runs():
    from meta254lib.devtools.bench_report import median_run

    runs = [
        {"ours_s": 8.4, "baseline_s": 2.0, "note": "slow"},
        {"ours_s": 5.0, "baseline_s": 2.0, "note": "fast"},
        {"ours_s": 6.6, "baseline_s": 2.2, "note": "middle"},
    ]
    got = median_run(runs)
    assert got["note"].startswith("middle; median of 3 runs (ratios to the floor 4.20, 2.50, 3.00)")
    assert (got["ours_s"], got["baseline_s"], got["ratios"]) == (6.6, 2.2, [4.2, 2.5, 3.0])
    broken = {"error": "stage history_cold failed (exit 1): boom"}
    assert median_run([runs[0], broken, runs[1]]) == broken and median_run([]) == {"error": "no run"}


def test_the_warm_row_is_the_median_of_the_warm_runs_by_time():
    from meta254lib.devtools.bench_report import median_run

    runs = [{"ours_s": 1.57, "note": "faulted"}, {"ours_s": 0.64, "note": "a"}, {"ours_s": 0.66, "note": "b"}]
    got = median_run(runs, against_floor=False)
    assert got["note"] == "b; median of 3 runs (1.57, 0.64, 0.66 s)"
    assert (got["ours_s"], got["ratios"]) == (0.66, [1.57, 0.64, 0.66])
    assert median_run([runs[0], {"ours_s": None}], against_floor=False) == {"ours_s": None}


def test_the_history_stages_say_how_long_the_kernel_took(tmp_path):
    from meta254lib.devtools.bench_stages import Clock

    with Clock() as c:
        (tmp_path / "x").write_bytes(b"\0" * 4_000_000)
        _ = bytearray(8_000_000)
    assert 0.0 <= c.sys <= c.cpu + 0.02 and c.wall > 0
