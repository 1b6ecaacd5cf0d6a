"""``meta254 export``: exit codes, the printed absolute folder, and the refusal to overwrite (issue 16)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.dataset as ds
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli import main


def _ws(make_ws) -> Path:
    report = {
        "metadata": {"generated_at": "2025-10-02T00:00:00Z"},
        "issues": [
            {"type": "version_staleness", "severity": "high", "service": "a", "description": "old"},
            {"type": "version_staleness", "severity": "low", "service": "b", "description": "old"},
        ],
    }
    return make_ws(
        [svc("a", team="one"), svc("b", team="two")],
        files={"analysis/reports/drift/20251002_000000_drift_report.json": report},
    )


def test_export_prints_the_absolute_folder_and_exits_0(make_ws, tmp_path, monkeypatch):
    root = _ws(make_ws)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--format", "parquet", "--out", "hist"])
    assert result.exit_code == 0, result.output
    pattern = rf"wrote {re.escape(str(tmp_path / 'hist'))}: 2 drift issues rows in 1 week\(s\), "
    pattern += r"0 quality scores rows in 0 week\(s\) \(0\.0 MB\)"
    assert re.fullmatch(pattern, result.stdout.strip()), result.stdout
    table = ds.dataset(tmp_path / "hist" / "drift_issues", format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("severity").to_pylist()) == ["high", "low"]
    assert table.column("week").to_pylist() == ["2025-W40", "2025-W40"]
    meta = json.loads((tmp_path / "hist" / "_meta.json").read_text())
    assert meta["workspace"] == str(root.resolve()) and meta["datasets"]["drift_issues"]["rows"] == 2


def test_export_refuses_a_non_empty_folder_unless_forced(make_ws, tmp_path):
    root = _ws(make_ws)
    out = tmp_path / "hist"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--out", str(out)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"meta254: error: cannot write {out}: folder is not empty (pass --force to replace it)"
    )
    assert (out / "notes.txt").read_text() == "keep"
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--out", str(out), "--force", "--team", "one"])
    assert result.exit_code == 0, result.output
    assert not (out / "notes.txt").exists()
    assert json.loads((out / "_meta.json").read_text())["datasets"]["drift_issues"]["rows"] == 1


def test_export_bad_options_are_one_line_errors(make_ws, tmp_path):
    root = _ws(make_ws)
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--out", str(tmp_path / "x"), "--team", "nobody"])
    assert result.exit_code == 2
    assert result.stderr.startswith("meta254: error: unknown team 'nobody'") and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "x").exists()
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--out", str(tmp_path / "x"), "--format", "csv"])
    assert result.exit_code == 2 and "'--format': 'csv' is not 'parquet'" in result.stderr
    result = CliRunner().invoke(main, ["export", "-w", str(root)])
    assert result.exit_code == 2 and "Missing option '--out'" in result.stderr
