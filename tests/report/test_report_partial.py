"""meta254lib.report.merge and ``report --only``: a partial run never replaces a complete week (issue 18)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from conftest import SAMPLE
from report_support import fixture_notebooks, sample_report, tiny_ws

from meta254lib.cli import main
from meta254lib.report import run as r
from meta254lib.report.merge import is_complete, merge_previous
from meta254lib.report.notebooks import default_notebooks_dir
from meta254lib.report.run_model import PageResult


def _html(folder):
    return sorted(p.name for p in folder.glob("*.html"))


def test_only_keeps_the_other_pages_of_the_week_and_records_their_run(tmp_path):
    out = tmp_path / "reports"
    nbs = fixture_notebooks("alpha", "beta")
    full = r.build_report(tiny_ws(), notebooks_dir=nbs, out=out)
    first = json.loads((full.folder / "run.json").read_text())
    alpha_before = (full.folder / "alpha.html").read_bytes()
    stamp = "2025-10-06 06:00 UTC"  # the earlier run, recognisably stamped
    first = {**first, "generated": stamp, "pages": [{**p, "run": stamp} for p in first["pages"]]}
    (full.folder / "run.json").write_text(json.dumps(first), encoding="utf-8")
    res = CliRunner().invoke(main, ["report", "-w", str(tiny_ws()), "--notebooks", str(nbs), "--only", "beta",
                                    "--out", str(out), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert os.readlink(out / "latest") == "2025-W41"
    assert _html(out / "latest") == ["alpha.html", "beta.html", "index.html"]
    assert (out / "latest" / "alpha.html").read_bytes() == alpha_before  # kept unchanged
    assert sorted(p.name for p in (out / "latest" / "tables").iterdir()) == ["alpha", "beta"]
    assert (out / "latest" / "notebooks" / "alpha.ipynb").is_file()
    run = json.loads((out / "latest" / "run.json").read_text())
    runs = {p["page"]: p["run"] for p in run["pages"]}
    assert [p["page"] for p in run["pages"]] == ["alpha", "beta"]
    assert runs["alpha"] == "2025-10-06 06:00 UTC" and runs["beta"] == run["generated"]
    index = (out / "latest" / "index.html").read_text()
    assert "pages kept from earlier runs (--only)" in index and "alpha (run of 2025-10-06 06:00 UTC)" in index
    assert '<tr data-page="alpha" data-status="ok">' in index
    assert (
        "pages kept from earlier runs (--only) = alpha (run of 2025-10-06 06:00 UTC)"
        in (out / "latest" / "summary.md").read_text()
    )
    assert sorted(p.name for p in out.iterdir()) == ["2025-W41", "latest"]


def test_a_partial_week_goes_to_a_partial_folder_that_latest_never_points_to(tmp_path):
    out = tmp_path / "reports"
    (out / "2025-W40").mkdir(parents=True)
    os.symlink("2025-W40", out / "latest")
    result = r.build_report(tiny_ws(), notebooks_dir=fixture_notebooks("alpha", "beta"), only=["beta"], out=out)
    assert result.ok and result.partial and result.latest is None
    assert result.folder == out / "2025-W41-partial"
    assert "partial: installed as 2025-W41-partial, latest left unchanged" in result.summary_line()
    assert os.readlink(out / "latest") == "2025-W40"
    assert _html(result.folder) == ["beta.html", "index.html"]
    assert sorted(p.name for p in out.iterdir()) == ["2025-W40", "2025-W41-partial", "latest"]


@pytest.mark.slow
def test_only_workspace_overview_after_a_full_sample_run_keeps_the_complete_week(tmp_path):
    full = sample_report()
    if full is None:
        pytest.skip("data/sample has not been generated")
    out = tmp_path / "reports"
    shutil.copytree(full.folder.parent, out, symlinks=True)
    pages = _html(out / "latest")
    n = len(list(default_notebooks_dir().glob("*.ipynb")))
    assert len(pages) == n + 1 >= 6  # every page and the index
    week = out / "latest" / "run.json"
    first = json.loads(week.read_text())
    week.write_text(json.dumps({**first, "pages": [{**p, "run": "the full run"} for p in first["pages"]]}))
    args = ["report", "-w", str(SAMPLE), "--only", "workspace_overview", "--out", str(out), "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert _html(out / "latest") == pages
    run = json.loads((out / "latest" / "run.json").read_text())
    assert len(run["pages"]) == n
    assert [p["page"] for p in run["pages"] if p["run"] != "the full run"] == ["workspace_overview"]


def _fake_week(folder, pages):
    entries = []
    for html, team in pages:
        (folder / html).parent.mkdir(parents=True, exist_ok=True)
        (folder / html).write_text(html)
        entries.append({"page": html, "html": html, "ipynb": "", "tables": [], "status": "ok", "team": team})
    (folder / "run.json").write_text(json.dumps({"generated": "G0", "team": None, "pages": entries}))


def test_merge_keeps_team_pages_and_refuses_paths_out_of_the_folder(tmp_path):
    previous, tmp = tmp_path / "2025-W41", tmp_path / ".tmp-new"
    tmp.mkdir()
    _fake_week(previous, [("a.html", None), ("b.html", None), ("teams/core/a.html", "core"),
                          ("teams/old-core/b.html", "Core"), ("../escape.html", None)])  # fmt: skip
    (tmp_path / "escape.html").write_text("outside")
    now = [
        PageResult("b", "B", None, "ok", 1.0, html="b.html"),
        PageResult("b", "B", "Core", "ok", 1.0, html="teams/core-70ea1983/b.html"),
    ]
    targets = [(None, ""), ("Core", "teams/core-70ea1983/")]
    pages, all_targets = merge_previous(tmp, previous, now, targets, ["a", "b"])
    assert [(p.html, p.kept_from) for p in pages] == [
        ("a.html", "G0"),
        ("b.html", ""),
        ("teams/core-70ea1983/b.html", ""),
        ("teams/core/a.html", "G0"),
    ]  # Core's page from its old folder is dropped: this run renders Core in its own folder
    assert all_targets == [*targets, ("core", "teams/core/")]
    assert (tmp / "teams/core/a.html").read_text() == "teams/core/a.html"
    assert not (tmp / "teams" / "old-core").exists()
    assert (tmp_path / "escape.html").read_text() == "outside" and len(pages) == 4  # ../escape.html not kept
    assert is_complete(pages, ["a", "b"]) and not is_complete(pages, ["a", "b", "c"])
