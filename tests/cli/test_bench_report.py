"""meta254 bench --report: the main job (history load against its floor, the fleet's report against the sample's)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from meta254lib.cli import main
from meta254lib.devtools.bench_format import format_table, main_job_text


def _report_row(ratio: float) -> dict:
    return {
        "key": "fleet_report",
        "stage": "weekly report, 10,000 services",
        "ours_s": 14.0 * ratio,
        "baseline": "weekly report, data/sample (60 services)",
        "baseline_s": 14.0,
        "ratio_to_sample": ratio,
        "peak_rss_mb": 2000.0,
        "targets": [{"target": "<= 8 x sample report", "value": ratio, "met": ratio <= 8}],
        "note": "",
        "fleet": {"folder_mb": 21.5, "largest_page": "a.html", "largest_page_mb": 1.4, "peak_rss_mb": 2000.0},
        "sample": {"peak_rss_mb": 300.0, "kernels_peak_rss_mb": 250.0},
    }


def test_the_report_row_shows_its_ratio_to_the_sample_report():
    text = format_table([_report_row(9.5)])
    assert "9.50x sample" in text and "<= 8 x sample report: MISSED" in text


def test_main_job_text_lists_history_rows_then_the_report_with_its_sizes():
    history = [
        {"key": "history_cold", "stage": "history load, cold", "ours_s": 6.0, "baseline": "bare json.load",
         "baseline_s": 2.0, "peak_rss_mb": 900.0, "targets": [], "note": "1,060,000 drift-history rows"},
    ]  # fmt: skip
    job = {"services": 10_000, "workspace": "/w/fleet", "history": history, "fleet_report": _report_row(7.0)}
    lines = main_job_text(job, {"loadavg": [0.5, 0.4, 0.3], "loadavg_end": [2.0, 1.0, 0.5]}).splitlines()
    assert lines[0] == "main job, 10,000 services (/w/fleet)"
    assert lines[1] == "load average at start [0.5, 0.4, 0.3], at end [2.0, 1.0, 0.5]"
    assert any("3.00x floor" in ln for ln in lines) and any("7.00x sample" in ln for ln in lines)
    assert any("folder 21.5 MB, largest page a.html 1.4 MB" in ln for ln in lines)
    assert lines[-1] == "  history load, cold: 1,060,000 drift-history rows"


def test_report_only_needs_an_existing_fleet_workspace(tmp_path):
    result = CliRunner().invoke(main, ["bench", "--report-only", "--fleet-workspace", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.slow
def test_bench_report_only_at_tiny_scale(tmp_path):
    """``meta254 bench --report-only`` runs the history stages and both reports, and prints the rows."""
    out = tmp_path / "bench.json"
    args = ["bench", "--report-only", "--services", "20", "--weeks", "2", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--workdir", str(tmp_path / "work"), "--stage-timeout", "300"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["runs"] == [] and doc["report"] is None
    job = doc["main_job"]
    assert job["services"] == 20 and [r["key"] for r in job["history"]] == ["history_cold", "history_warm"]
    cold, warm = job["history"]
    assert cold["baseline_s"] > 0 and "floor" in cold["baseline"] and warm["baseline_s"] == cold["ours_s"]
    row = doc["fleet_report"]
    assert row is job["fleet_report"] or row == job["fleet_report"]
    assert row["ok"] is True, row["note"]
    assert row["ratio_to_sample"] == pytest.approx(row["ours_s"] / row["baseline_s"], abs=0.01)
    assert row["fleet"]["peak_rss_mb"] > 0 and row["sample"]["peak_rss_mb"] > 0
    assert "weekly report, 20 services" in result.output and "x sample" in result.output
    assert "x floor" in result.output and "load average at start" in result.output
