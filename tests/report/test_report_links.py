"""Links of the report layer: tables to their exported file, the manifest URL pattern passed to the
notebooks that declare it, and workspace paths shown relative (meta254lib.report.tables, index, run).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from report_support import FIXTURE_NOTEBOOKS, tiny_ws

from meta254lib.cli import main
from meta254lib.core.settings import DEFAULT_MANIFEST_URL
from meta254lib.report import run as r
from meta254lib.report.index import shown_workspace
from meta254lib.report.tables import add_csv_links

PATTERN = "https://git.example/{repo}/-/blob/HEAD/{path}/service-manifest.yaml"


def _div(name: str, caption: str | None = "Cap") -> str:
    cap = f'<div class="m254-caption">{caption}</div>' if caption is not None else ""
    return f'<div class="m254-table" data-name="{name}" id="t-{name}">{cap}<table></table></div>'


def test_each_exported_table_gets_its_link_in_order():
    page = _div("a") + _div("not-exported") + _div("a", None) + _div("big")
    tables = [
        {"name": "a", "href": "tables/p/a.csv"},
        {"name": "a", "href": "tables/p/a-2.csv"},
        {"name": "big", "href": "tables/p/big.parquet"},
    ]
    linked = add_csv_links(page, tables)
    hrefs = [part.split('"', 1)[0] for part in linked.split('class="m254-csv" href="')[1:]]
    assert hrefs == ["tables/p/a.csv", "tables/p/a-2.csv", "tables/p/big.parquet"]
    assert '<div class="m254-caption">Cap <a class="m254-csv" href="tables/p/a.csv"' in linked
    assert _div("not-exported") in linked  # a table that was not exported keeps no link
    assert 'id="t-a"><a class="m254-csv" href="tables/p/a-2.csv"' in linked  # no caption: first in the block
    assert ">Parquet</a>" in linked and linked.count(">CSV</a>") == 2
    assert add_csv_links(linked, tables) == linked  # linking twice changes nothing


def test_link_text_is_escaped_and_names_match_unescaped():
    page = _div("x&lt;y&gt;")
    linked = add_csv_links(page, [{"name": "x<y>", "href": 'tables/p/"x.csv'}])
    assert 'href="tables/p/&quot;x.csv"' in linked
    assert add_csv_links(page, [{"name": "other", "href": "tables/p/o.csv"}]) == page


def test_workspace_is_shown_relative_to_the_folder_the_run_started_in():
    assert shown_workspace("data/sample", Path("/w/main/data/sample"), "/w/main") == "data/sample"
    assert shown_workspace("/tmp/m254/ws", Path("/tmp/m254/ws"), "/w/main") == "ws"
    assert shown_workspace(".", Path("/w/main"), Path("/w/main")) == "."


@pytest.fixture(scope="module")
def team_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbs")
    shutil.copy(FIXTURE_NOTEBOOKS / "beta.ipynb", folder / "beta.ipynb")
    gamma = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Gamma page"),
            nbformat.v4.new_code_cell(
                'workspace = ""\nmanifest_url: str | None = None', metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("import meta254lib as m\nm.show_headline(f'gamma: {manifest_url}')"),
        ],
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    )
    nbformat.write(gamma, str(folder / "gamma.ipynb"))
    out = tmp_path_factory.mktemp("links")
    cwd = os.getcwd()
    result = r.build_report(tiny_ws(), notebooks_dir=folder, out=out, jobs=2, all_teams=True, manifest_url=PATTERN)
    # papermill changes folders from two worker threads at once; the run gives the caller its own back
    # (before the fix, the process was left in the notebooks' folder and later runs showed wrong paths)
    assert os.getcwd() == cwd
    return result


def test_tables_link_to_their_csv_on_every_page_of_every_team(team_run):
    assert team_run.ok
    pages = [p for p in team_run.pages if p.name == "beta"]
    assert sorted(p.html for p in pages) == [
        "beta.html",
        "teams/access/beta.html",
        "teams/core/beta.html",
        "teams/data/beta.html",
    ]
    for p in pages:
        html = (team_run.folder / p.html).read_text(encoding="utf-8")
        assert html.count('class="m254-csv" href="tables/beta/small.csv"') == 1, p.html
        page_dir = (team_run.folder / p.html).parent
        assert (page_dir / "tables/beta/small.csv").read_text() == "k,v\na,1\nb,2\n"  # the relative link works


def test_manifest_url_goes_only_to_notebooks_that_declare_it(team_run):
    gamma = nbformat.read(str(team_run.folder / "notebooks/gamma.ipynb"), as_version=4)
    beta = nbformat.read(str(team_run.folder / "notebooks/beta.ipynb"), as_version=4)
    assert gamma.metadata.papermill.parameters["manifest_url"] == PATTERN
    assert "manifest_url" not in beta.metadata.papermill.parameters
    headline = next(p.headline for p in team_run.pages if p.name == "gamma" and p.team is None)
    assert headline == f"gamma: {PATTERN}"
    index = (team_run.folder / "index.html").read_text(encoding="utf-8")
    assert f"<dt>manifest URL pattern</dt><dd>{PATTERN}</dd>" in index


def test_index_shows_no_absolute_workspace_path(team_run):
    ws = str(tiny_ws().resolve())
    for name in ("index.html", "summary.md", "teams/core/index.html"):
        text = (team_run.folder / name).read_text(encoding="utf-8")
        assert ws not in text and "workspace (resolved)" not in text, name
    assert "<dt>workspace</dt><dd>ws</dd>" in (team_run.folder / "index.html").read_text(encoding="utf-8")
    assert json.loads((team_run.folder / "run.json").read_text())["workspace"] == ws  # kept for audit


def test_cli_manifest_url_reaches_build_report(monkeypatch, tmp_path):
    seen: dict[str, object] = {}

    def fake_build_report(workspace, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(r, "build_report", fake_build_report)
    args = ["report", "--workspace", str(tiny_ws()), "--out", str(tmp_path)]
    CliRunner().invoke(main, [*args, "--manifest-url", PATTERN])
    assert seen["manifest_url"] == PATTERN
    CliRunner().invoke(main, args)
    assert seen["manifest_url"] == DEFAULT_MANIFEST_URL
