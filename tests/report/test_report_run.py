"""meta254lib.report.run and ``meta254 report``: run parameters, a good run, a failing run, atomic
replacement, interruption, no writes to $HOME, every real notebook executing on data/sample, benchmark.

Most tests use the tiny fixture notebooks in tests/report/report_notebooks on a 26-service workspace; the
real notebooks run once per session (report_support.sample_report, shared with test_report_browser.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from report_support import FIXTURE_NOTEBOOKS, TINY_SERVICES, XSS, fixture_notebooks, sample_report, tiny_ws

from meta254lib.cli import main
from meta254lib.core.errors import ParameterError
from meta254lib.devtools.baselines.report import bench_report
from meta254lib.report import environment, export, locks
from meta254lib.report import publish as pub
from meta254lib.report import run as r
from meta254lib.report.asof import iso_week, parse_as_of
from meta254lib.report.notebooks import default_notebooks_dir
from meta254lib.report.page_html import find_remote_references

MB = 1024 * 1024
REAL_NOTEBOOKS = sorted(p.stem for p in default_notebooks_dir().glob("*.ipynb"))


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def test_unknown_only_name_fails_before_running_anything(tmp_path):
    with pytest.raises(ParameterError, match=r"unknown notebook\(s\) nope \(available: alpha, beta, broken, slow\)"):
        r.build_report(tiny_ws(), notebooks_dir=FIXTURE_NOTEBOOKS, only=["nope"], out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bad_as_of_and_unknown_team_are_parameter_errors(tmp_path):
    with pytest.raises(ParameterError, match="--as-of: expected an ISO date"):
        r.build_report(tiny_ws(), as_of="last week", notebooks_dir=FIXTURE_NOTEBOOKS, out=tmp_path)
    with pytest.raises(ParameterError, match="unknown team 'nobody'"):
        r.build_report(tiny_ws(), team="nobody", notebooks_dir=FIXTURE_NOTEBOOKS, out=tmp_path)


def test_cli_exit_code_2_for_missing_workspace(tmp_path):
    res = CliRunner().invoke(main, ["report", "--workspace", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "--workspace: folder not found" in res.stderr


@pytest.mark.parametrize(("as_of", "week"), [("2025-10-10", "2025-W41"), ("2025-12-29", "2026-W01")])
def test_iso_week(as_of, week):
    assert iso_week(parse_as_of(as_of)) == week


def test_jupyter_environment_only_fills_unset_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    monkeypatch.delenv("JUPYTER_DATA_DIR", raising=False)
    changed = environment.jupyter_environment(tmp_path / "base")
    assert changed == {
        "JUPYTER_DATA_DIR": str(tmp_path / "base" / "data"),
        "IPYTHONDIR": str(tmp_path / "base" / "ipython"),
    }
    assert os.environ["JUPYTER_CONFIG_DIR"] == str(tmp_path / "mine")
    assert (tmp_path / "base" / "ipython").is_dir() and (tmp_path / "mine").is_dir()


# --- a good run, then a failing run, on the same output folder -----------------------------------


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def ok_run(out_dir):
    events = []
    result = r.build_report(
        tiny_ws(), notebooks_dir=fixture_notebooks("alpha", "beta"), out=out_dir, jobs=2, progress=events.append
    )
    return result, events


def test_good_run_layout(ok_run, out_dir):
    result, _ = ok_run
    assert result.ok and result.week == "2025-W41" and result.as_of == "2025-10-10"
    assert result.folder == out_dir / "2025-W41"
    assert os.readlink(out_dir / "latest") == "2025-W41"
    assert sorted(p.name for p in out_dir.iterdir()) == ["2025-W41", "latest"]
    files = sorted(str(p.relative_to(result.folder)) for p in result.folder.rglob("*") if p.is_file())
    assert files == [
        "alpha.html",
        "assets/meta254.css",
        "assets/plotly.min.js",
        "beta.html",
        "index.html",
        "notebooks/alpha.ipynb",
        "notebooks/beta.ipynb",
        "run.json",
        "summary.md",
        "tables/alpha/services.csv",
        "tables/alpha/services.json",
        "tables/beta/small.csv",
        "tables/beta/small.json",
    ]
    assert _size(result.folder) <= 8 * MB


def test_good_run_progress_events(ok_run):
    _, events = ok_run
    seen = [(e.kind, e.label) for e in events if e.kind != "tick"]
    assert sorted(seen) == [("finished", "alpha"), ("finished", "beta"), ("started", "alpha"), ("started", "beta")]
    finished = [e for e in events if e.kind == "finished"]
    assert [e.done for e in finished] == [1, 2]
    assert all(e.status == "ok" and e.seconds > 0 and e.total == 2 for e in finished)


def test_each_notebook_gets_only_the_parameters_it_declares(ok_run):
    result, _ = ok_run
    alpha = nbformat.read(str(result.folder / "notebooks/alpha.ipynb"), as_version=4)
    beta = nbformat.read(str(result.folder / "notebooks/beta.ipynb"), as_version=4)
    ws = str(tiny_ws().resolve())
    assert alpha.metadata.papermill.parameters == {"workspace": ws, "as_of": None, "team": None}
    assert beta.metadata.papermill.parameters == {"workspace": ws}


def test_tables_exported_as_csv_and_json_and_stripped_from_the_kept_notebook(ok_run):
    result, _ = ok_run
    csv_lines = (result.folder / "tables/alpha/services.csv").read_text().splitlines()
    assert csv_lines[0] == "service,domain,team,runtime"
    assert len(csv_lines) == 1 + TINY_SERVICES
    assert csv_lines[-1] == f"{XSS},shared,core,python"
    doc = json.loads((result.folder / "tables/alpha/services.json").read_text())
    assert doc["row_count"] == TINY_SERVICES and doc["caption"] == "Every service"
    assert doc["columns"] == ["service", "domain", "team", "runtime"]
    assert doc["rows"][0] == ["svc-00", "access", "access", "python"]
    assert (result.folder / "tables/beta/small.csv").read_text() == "k,v\na,1\nb,2\n"
    nb = nbformat.read(str(result.folder / "notebooks/alpha.ipynb"), as_version=4)
    payloads = [
        o.data["application/vnd.meta254.table+json"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.meta254.table+json" in o.get("data", {})
    ]
    assert payloads and all("data" not in p for p in payloads)
    assert payloads[0]["exported"] == "tables/alpha/services.json"
    table_html = [
        o.data.get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o
    ]
    assert (
        '<p class="m254-exported">Table services: 26 rows, exported as tables/alpha/services.csv and .json</p>'
        in table_html
    )
    assert not any("<td>" in h for h in table_html)  # the rendered rows live in the page, not the notebook


def test_pages_are_offline_escaped_and_share_plotly(ok_run):
    result, _ = ok_run
    for name in ("alpha.html", "beta.html", "index.html"):
        html = (result.folder / name).read_text()
        assert find_remote_references(html) == [], name
        assert "cdnjs" not in html and "cdn.plot.ly" not in html and "mathjax" not in html.lower()
        assert "<script>alert(1)" not in html
    alpha = (result.folder / "alpha.html").read_text()
    assert alpha.count('<script charset="utf-8" defer="" src="assets/plotly.min.js"></script>') == 1
    assert alpha.count('class="plotly-graph-div"') == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in alpha
    assert '<a class="m254-home" href="index.html">' in alpha
    assert '<nav class="m254-toc" aria-label="Contents">' in alpha and 'href="#Services"' in alpha
    assert "As of 2025-10-10" in alpha
    # the notebook's code is hidden
    assert "open_workspace" not in alpha and "show_table" not in alpha
    beta = (result.folder / "beta.html").read_text()
    assert "plotly.min.js" not in beta  # no figure, no plotly.js


def test_index_and_summary(ok_run):
    result, _ = ok_run
    index = (result.folder / "index.html").read_text()
    assert "All 2 pages rendered." in index
    assert f"{TINY_SERVICES} services, as of 2025-10-10" in index
    assert '<a href="alpha.html">Alpha page</a>' in index
    assert '<a href="tables/alpha/services.csv">CSV</a>' in index
    assert "catalog/service-index.yaml" in index  # the inputs table
    assert "meta254 version" in index
    summary = (result.folder / "summary.md").read_text()
    assert "| Alpha page | ok | 26 services, as of 2025-10-10 |" in summary
    assert "| Beta page | ok | beta: ws |" in summary
    run = json.loads((result.folder / "run.json").read_text())
    assert [(p["page"], p["status"]) for p in run["pages"]] == [("alpha", "ok"), ("beta", "ok")]


@pytest.fixture(scope="module")
def failed_run(ok_run, out_dir):
    good_index = (out_dir / "latest" / "index.html").read_bytes()
    res = CliRunner().invoke(
        main,
        ["report", "--workspace", str(tiny_ws()), "--notebooks", str(fixture_notebooks("alpha", "broken")),
         "--out", str(out_dir), "--quiet"],
    )  # fmt: skip
    return res, good_index


def test_failing_notebook_exit_1_with_one_line_summary(failed_run, out_dir):
    res, _ = failed_run
    assert res.exit_code == 1
    assert res.stdout.strip() == str(out_dir / "2025-W41-failed" / "index.html")
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("meta254: error: report 2025-W41: 1 of 2 pages failed (broken: InputError: ")
    assert "latest report left unchanged" in lines[0]


def test_failure_leaves_latest_untouched(failed_run, out_dir):
    _, good_index = failed_run
    assert os.readlink(out_dir / "latest") == "2025-W41"
    assert (out_dir / "latest" / "index.html").read_bytes() == good_index
    assert sorted(p.name for p in out_dir.iterdir()) == ["2025-W41", "2025-W41-failed", "latest"]


def test_failed_page_shows_cell_message_and_input(failed_run, out_dir):
    folder = out_dir / "2025-W41-failed"
    page = (folder / "broken.html").read_text()
    assert "This page failed" in page
    assert "<code>InputError: " in page and "/manifests: expected a workspace folder, found no such folder" in page
    assert '<pre>ws = m.open_workspace(workspace + "/manifests")' in page  # the failing cell
    assert f"<dt>input file</dt><dd>{tiny_ws().resolve()}/manifests</dd>" in page
    assert f"<dt>workspace</dt><dd>{tiny_ws().resolve()}</dd>" in page
    index = (folder / "index.html").read_text()
    assert '<tr data-page="broken" data-status="failed">' in index
    assert '<tr data-page="alpha" data-status="ok">' in index
    assert "1 of 2 pages failed: Broken page" in index
    # the other page is intact
    alpha = (folder / "alpha.html").read_text()
    assert 'class="plotly-graph-div"' in alpha and "This page failed" not in alpha
    assert (folder / "tables/alpha/services.csv").is_file()


def test_rerun_replaces_the_week_atomically_and_clears_the_failed_folder(failed_run, out_dir):
    before = (out_dir / "2025-W41").stat().st_ino
    result = r.build_report(tiny_ws(), notebooks_dir=fixture_notebooks("alpha", "beta"), only=["beta"], out=out_dir)
    assert result.ok and not result.partial
    assert (out_dir / "2025-W41").stat().st_ino != before
    assert sorted(p.name for p in out_dir.iterdir()) == ["2025-W41", "latest"]
    # --only beta keeps the week's alpha page (issue 18): the week stays complete
    assert sorted(p.name for p in (out_dir / "latest").glob("*.html")) == ["alpha.html", "beta.html", "index.html"]


def test_a_page_whose_export_fails_is_a_failed_page(tmp_path, monkeypatch):
    def broken_export(nb, ctx):
        raise ValueError("cannot render <this>")

    monkeypatch.setattr(export, "export_page", broken_export)
    result = r.build_report(tiny_ws(), notebooks_dir=fixture_notebooks("beta"), out=tmp_path)
    assert not result.ok and result.folder.name == "2025-W41-failed" and result.latest is None
    assert result.pages[0].failure.message == "exporting the page failed: ValueError: cannot render <this>"
    page = (result.folder / "beta.html").read_text()
    assert "This page failed" in page and "ValueError: cannot render &lt;this&gt;" in page
    assert '<tr data-page="beta" data-status="failed">' in (result.folder / "index.html").read_text()
    assert (result.folder / "notebooks/beta.ipynb").is_file()  # still kept for audit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-W41-failed"]


# --- interruption and $HOME ---------------------------------------------------------------------

_CLI = [sys.executable, "-c", "from meta254lib.cli import main; main()"]


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*_CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_kernel(out: Path, proc: subprocess.Popen, timeout: float = 60) -> Path:
    """Wait until the run's temporary folder holds its first executing notebook."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        tmps = [p for p in out.glob(".tmp-*") if (p / "notebooks").is_dir()]
        if tmps:
            time.sleep(1.0)
            return tmps[0]
        time.sleep(0.2)
    raise AssertionError("the run never started a notebook")


def _fake_good_week(out: Path) -> bytes:
    (out / "2025-W41").mkdir(parents=True)
    (out / "2025-W41" / "index.html").write_text("the last good report")
    pub.point_link(out / "latest", "2025-W41")
    return b"the last good report"


@pytest.mark.slow
def test_interrupted_run_leaves_latest_intact_and_no_partial_folder(tmp_path):
    out = tmp_path / "reports"
    good_index = _fake_good_week(out)
    proc = _start(
        ["report", "-w", str(tiny_ws()), "--notebooks", str(FIXTURE_NOTEBOOKS), "--only", "beta,slow",
         "--out", str(out)]
    )  # fmt: skip
    _wait_for_kernel(out, proc)
    proc.send_signal(signal.SIGTERM)  # what `kill` and cron's timeout send
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "meta254: interrupted" in err
    assert sorted(p.name for p in out.iterdir()) == ["2025-W41", "latest"]
    assert (out / "latest" / "index.html").read_bytes() == good_index


@pytest.mark.slow
def test_killed_run_leftover_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "reports"
    good_index = _fake_good_week(out)
    tmpdir = tmp_path / "tmp"  # the run's own $TMPDIR: other runs on this machine do not show up in it
    tmpdir.mkdir()
    args = ["report", "-w", str(tiny_ws()), "--notebooks", str(FIXTURE_NOTEBOOKS), "--only", "slow", "--out", str(out)]
    proc = _start(args, {**os.environ, "TMPDIR": str(tmpdir)})
    leftover = _wait_for_kernel(out, proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert leftover.is_dir()  # SIGKILL cannot be cleaned up after; the hidden folder is not a report
    assert (out / "latest" / "index.html").read_bytes() == good_index
    run_dirs = list(tmpdir.iterdir())
    assert [p.name[:9] for p in run_dirs] == ["m254-run-"]  # everything outside --out is in one run folder
    run_dir = run_dirs[0]
    assert list((run_dir / "runtime").glob("kernel-*.json"))  # the kernel's key is in there, not in $TMPDIR
    with locks.hold_out_lock(out):  # what the next run does first: the lock is free, so the leftovers are stale
        assert locks.sweep_out(out) == [leftover]
    assert locks.sweep_run_folders(tmpdir) == [run_dir]
    assert list(tmpdir.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["2025-W41", "latest"]


@pytest.mark.slow
def test_cli_writes_nothing_to_home_and_prints_the_index_path(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "IPYTHON", "MPLCONFIG"))}
    env["HOME"] = str(home)
    proc = _start(["report", "-w", str(tiny_ws()), "--notebooks", str(fixture_notebooks("beta")),
                   "--out", str(tmp_path / "out")], env)  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == str(tmp_path / "out" / "2025-W41" / "index.html")
    assert "[1/1] finished beta in " in err  # plain progress lines when stderr is not a terminal
    assert list(home.iterdir()) == []


# --- the real notebooks on data/sample ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", REAL_NOTEBOOKS)
def test_notebook_executes_on_the_sample(name):
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    page = next(p for p in result.pages if p.name == name)
    assert page.status == "ok", page.failure.message + "\n" + page.failure.traceback
    assert page.headline, f"{name} shows no headline (call m.show_headline)"
    assert (result.folder / page.html).is_file()


@pytest.mark.slow
def test_sample_report_fits_in_8_mb():
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    assert _size(result.folder) <= 8 * MB


@pytest.mark.slow
def test_bench_report_times_both_ways():
    bench = bench_report(tiny_ws(), notebooks_dir=FIXTURE_NOTEBOOKS, only=["beta"])
    assert bench["notebooks"] == 1 and bench["report_ok"] is True
    assert bench["report_seconds"] > 0 and bench["baseline_seconds"] > 0
    # the speedup comes from the unrounded times; each reported time is rounded to 0.01 s
    b, t = bench["baseline_seconds"], bench["report_seconds"]
    slack = (b / t) * (0.005 / t + 0.005 / b) + 0.005
    assert abs(bench["speedup"] - b / t) <= slack


def test_pages_share_one_warm_cache_of_a_small_workspace(tmp_path, monkeypatch):
    import shutil

    import nbformat.v4 as v4

    from meta254lib.workspace import cache as C

    monkeypatch.delenv(C.ENV_MODE, raising=False)
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    ws = tmp_path / "ws"
    shutil.copytree(tiny_ws(), ws)
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# Cache page"),
        v4.new_code_cell('workspace = ""', metadata={"tags": ["parameters"]}),
        v4.new_code_cell(
            "import json, os, pathlib\nimport meta254lib as m\nw = m.open_workspace(workspace)\nw.services\n"
            'stats = {"stats": w.cache_stats, "dir": os.environ.get("META254_CACHE_DIR")}\n'
            'pathlib.Path(workspace, "stats.json").write_text(json.dumps(stats))'
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "cache_page.ipynb")
    res = r.build_report(ws, out=tmp_path / "reports", notebooks_dir=nbdir)
    assert res.ok
    got = json.loads((ws / "stats.json").read_text())
    # the tiny workspace is below the auto threshold: the run lent its kernels a cache of its own,
    # filled by the report's own load, and removed it afterwards
    assert Path(got["dir"]).name.startswith("m254-report-cache-")
    assert got["stats"]["units"]["catalog"] == "hit"
    assert not Path(got["dir"]).exists()
    assert C.ENV_MODE not in os.environ and C.ENV_DIR not in os.environ
    assert not (ws / C.CACHE_DIRNAME).exists()


def test_report_cache_respects_off_and_an_existing_cache(tmp_path, monkeypatch):
    from meta254lib.workspace import cache as C

    monkeypatch.setenv(C.ENV_MODE, "off")
    with environment.shared_workspace_cache(tiny_ws()):
        assert os.environ[C.ENV_MODE] == "off" and C.ENV_DIR not in os.environ
    monkeypatch.setenv(C.ENV_MODE, "on")  # the workspace caches on its own: its cache is already shared
    with environment.shared_workspace_cache(tiny_ws()):
        assert os.environ[C.ENV_MODE] == "on" and C.ENV_DIR not in os.environ
    monkeypatch.delenv(C.ENV_MODE)
    monkeypatch.setenv(C.ENV_DIR, str(tmp_path / "mine"))
    with environment.shared_workspace_cache(tiny_ws()):
        assert os.environ[C.ENV_MODE] == "on" and os.environ[C.ENV_DIR] != str(tmp_path / "mine")
    assert os.environ[C.ENV_DIR] == str(tmp_path / "mine") and C.ENV_MODE not in os.environ


def test_the_context_thread_goes_on_to_the_index_facts_once_pages_may_render(tmp_path, monkeypatch):
    """The index's facts took the last 63 s of a 10,000-service run, after every page: now they overlap the pages."""
    from meta254lib.report import context
    from meta254lib.report.run_model import RunState

    seen: dict = {}
    shared = RunState(tmp=tmp_path, ipc_dir=tmp_path / "ipc", specs=[], meta=(), timeout=60)

    def record(ws_path, state, targets):
        seen.update(ready=shared.ready.is_set(), targets=list(targets), as_of=state["as_of_ts"])

    monkeypatch.setattr(context, "prepare_indexes", record)
    warm = threading.Thread(target=lambda: None)
    warm.start()
    context.resolve_context(tiny_ws(), None, None, shared, {}, warm, [(None, ""), ("core", "teams/core/")])
    assert shared.error is None
    assert seen["ready"] is True and seen["targets"] == [(None, ""), ("core", "teams/core/")]
    assert seen["as_of"] is not None


def test_prepared_index_facts_are_the_ones_the_index_computes():
    from meta254lib.remediation.plan import plan_workspace
    from meta254lib.report.context import prepare_indexes
    from meta254lib.report.index_first import weekly_facts
    from meta254lib.state.analysis import analysis_state
    from meta254lib.workspace.workspace import open_workspace

    ws = open_workspace(tiny_ws())
    state = {"workspace": ws, "as_of_ts": ws.resolve_as_of(None)}
    prepare_indexes(tiny_ws(), state, [(None, "")])
    change, items, st = state["weekly_facts"]
    assert st is analysis_state(ws, state["as_of_ts"])
    again, items_again, _ = weekly_facts(tiny_ws(), {"as_of_ts": state["as_of_ts"]})  # a fresh open of the workspace
    assert change.to_dict() == again.to_dict()
    assert items.equals(items_again) and items.equals(plan_workspace(ws, st.as_of).items)


def test_index_facts_that_cannot_be_computed_are_left_to_the_index():
    from meta254lib.report.context import prepare_indexes

    state: dict = {"workspace": None, "as_of_ts": None}
    prepare_indexes(Path("/nonexistent/workspace"), state, [(None, "")])
    assert isinstance(state["weekly_facts"], str)  # the index shows why, as without the early run
