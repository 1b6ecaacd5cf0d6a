# ruff: noqa: F401, F811 - the browser fixtures are imported by name and requested as arguments
"""Every page of a generated report, opened in headless Debian chromium driven by Playwright.

Checks, per page: no console errors, no request leaves file://, every plotly figure is drawn (its
``.main-svg`` exists), interactive tables sort and filter, and a service named
``<script>alert(1)</script>`` shows as text and never runs (no dialog opens).

The real notebooks run once on data/sample (shared with test_report_run.py); the hostile fixture
workspace runs workspace_overview and a fixture page. Without chromium or Playwright these tests
skip with the reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_fixtures import browser, open_page, report
from report_support import XSS, OfflinePage, xss_report

from meta254lib.report.notebooks import default_notebooks_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REAL_PAGES = ["index", *sorted(p.stem for p in default_notebooks_dir().glob("*.ipynb"))]
WIDTH = 1280


def _check_page(open_page, path: Path) -> OfflinePage:
    """Open ``path`` (closed after the test) and check it: no error, offline, no dialog, figures drawn."""
    visit = open_page(path, viewport={"width": WIDTH, "height": 900})
    assert visit.console_errors == [], visit.console_errors
    assert visit.page_errors == [], visit.page_errors
    assert visit.outside == [], visit.outside
    assert visit.dialogs == []
    figures = visit.page.locator("div.plotly-graph-div")
    for i in range(figures.count()):
        assert figures.nth(i).locator(".main-svg").count() >= 1, f"figure {i} not drawn on {path.name}"
    width = visit.page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{path.name} scrolls sideways at {WIDTH} px ({width} px)"
    return visit


def _column_texts(table) -> list[str]:
    return [t.strip() for t in table.locator("tbody tr td:first-child").all_inner_texts()]


def _check_interactive_table(visit: OfflinePage) -> bool:
    """Sort and filter the first interactive table, if any; return whether there was one."""
    page = visit.page
    tables = page.locator("div.m254-table:has(input.m254-filter)")
    if tables.count() == 0:
        return False
    table = tables.first
    total = table.locator("tbody tr").count()
    assert total > 20
    header = table.locator("thead th").first
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = _column_texts(table)
    assert page.evaluate(
        "v => v.every((x, i) => i === 0 || x === '' || (v[i - 1] !== '' && v[i - 1].localeCompare(x) <= 0))",
        ascending,
    ), ascending
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = _column_texts(table)
    assert [x for x in descending if x] == [x for x in reversed(ascending) if x]
    # filter: a value of the first column keeps only rows containing it; nonsense hides every row
    needle = next(x for x in descending if x)
    box = table.locator("input.m254-filter")
    box.fill(needle)
    visible = table.locator("tbody tr:visible")
    shown = visible.count()
    assert shown >= 1
    assert all(needle.lower() in t.lower() for t in visible.all_inner_texts())
    assert table.locator(".m254-count").inner_text() == f"{shown} of {total} rows match"
    box.fill("no row contains this text 0xdeadbeef")
    assert table.locator("tbody tr:visible").count() == 0
    assert table.locator(".m254-count").inner_text() == f"0 of {total} rows match"
    box.fill("")
    assert table.locator("tbody tr:visible").count() == total
    assert table.locator(".m254-count").inner_text() == f"{total:,} rows"
    return True


@pytest.mark.parametrize("name", REAL_PAGES)
def test_sample_report_page_in_chromium(report, open_page, name):
    path = report.folder / f"{name}.html"
    assert path.is_file(), f"{name}.html missing (failed pages: {[p.name for p in report.failed]})"
    visit = _check_page(open_page, path)
    if name != "index":
        page_result = next(p for p in report.pages if p.name == name)
        assert page_result.status == "ok", page_result.failure.message
        assert visit.page.locator("a.m254-home").get_attribute("href") == "index.html"
        # figures in the notebook = figures drawn on the page
        nb_figures = (report.folder / page_result.ipynb).read_text().count('"application/vnd.plotly.v1+json"')
        assert visit.page.locator("div.plotly-graph-div .main-svg").count() >= nb_figures
    if name == "index":  # the inputs table is in the collapsed "Downloads and provenance" section
        visit.page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    interactive = _check_interactive_table(visit)
    if name == "index":
        assert interactive, "the index's input-files table should sort and filter"


def test_page_opens_on_its_own_from_the_folder(open_page, tmp_path):
    """A page copied with the assets folder, without the rest of the report, still draws its figures."""
    result = xss_report()
    page = next(p for p in result.pages if p.name == "alpha")
    shutil.copytree(result.folder / "assets", tmp_path / "assets")
    shutil.copy(result.folder / page.html, tmp_path / "alpha.html")
    visit = _check_page(open_page, tmp_path / "alpha.html")
    assert visit.page.locator(".main-svg").count() >= 1


@pytest.mark.parametrize("name", ["index", "alpha", "workspace_overview"])
def test_hostile_service_name_shows_as_text_and_never_runs(open_page, name):
    result = xss_report()
    path = result.folder / f"{name}.html"
    if not path.is_file() and name == "workspace_overview":
        pytest.skip("notebooks/workspace_overview.ipynb not present")
    assert result.ok, [p.failure.message for p in result.failed]
    visit = _check_page(open_page, path)
    assert visit.dialogs == []
    body = visit.page.locator("body").inner_text()
    if name != "index":
        assert XSS in body, "the service name is not shown as text"
        cell = visit.page.locator("td", has_text=XSS)
        assert cell.count() >= 1
        assert cell.first.locator("script").count() == 0
    injected = visit.page.evaluate(
        "Array.from(document.scripts).filter(s => s.textContent.includes('alert(1)')).length"
    )
    assert injected == 0
    if name == "alpha":
        assert _check_interactive_table(visit)


def test_later_tables_keep_working_when_the_output_with_the_assets_is_gone(open_page, tmp_path, monkeypatch):
    """As in JupyterLab, where each output cell comes and goes on its own: the first table of a kernel
    carries the sorter and the stylesheet; the stylesheet moves to <head>, so removing (or re-running)
    that output leaves the later tables sorted, filtered and folded."""
    import pandas as pd

    from meta254lib.views import html_table as ht

    monkeypatch.setattr(ht, "_in_kernel", lambda: True)
    monkeypatch.setattr(ht._Kernel, "assets_shown", False)
    wide = pd.DataFrame({f"c{i}": [3, 1, 2] for i in range(10)})
    first = ht.table_html(wide, "first")
    later = ht.table_html(pd.DataFrame({"n": range(30, 0, -1), **{f"x{i}": range(30) for i in range(9)}}), "later")
    assert ht.SORT_JS in first and ht.SORT_JS not in later
    page_file = tmp_path / "cells.html"
    page_file.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="out1">{first}</div>'
        f'<div id="out2">{later}</div></body></html>',
        encoding="utf-8",
    )
    visit = open_page(page_file, wait_ms=0)
    page = visit.page
    assert page.evaluate("document.head.querySelector('#m254-table-css') !== null")
    page.evaluate("document.getElementById('out1').remove()")
    table = page.locator('div.m254-table[data-name="later"]')
    assert table.locator("thead th:visible").count() == 8  # the toggle's CSS still folds the extra columns
    header = table.locator("thead th").first
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert table.locator("tbody td:first-child").all_inner_texts()[:3] == ["1", "2", "3"]
    table.locator("input.m254-filter").fill("30")
    assert table.locator(".m254-count").inner_text() == "1 of 30 rows match"
    assert visit.errors == [] and visit.outside == []
