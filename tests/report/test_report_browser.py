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
from report_support import XSS, sample_report, xss_report

from meta254lib.report.notebooks import default_notebooks_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # belt and braces: even if a page tried, no name would resolve (the test also records every request)
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
REAL_PAGES = ["index", *sorted(p.stem for p in default_notebooks_dir().glob("*.ipynb"))]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.skip("chromium not installed (apt-get install -y chromium); browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (python) not installed; pip install -e '.[dev]'")
    with sync_playwright() as pw:
        exe = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
        b = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """One page load with everything the checks need recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.goto(path.as_uri(), wait_until="load")
        # plotly draws after load; give it the time it needs (it is local, so this is quick)
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


def _check_page(browser, path: Path) -> Visit:
    visit = Visit(browser, path)
    try:
        assert visit.console_errors == [], visit.console_errors
        assert visit.page_errors == [], visit.page_errors
        outside = [u for u in visit.requests if not u.startswith("file://")]
        assert outside == [], outside
        assert visit.dialogs == []
        figures = visit.page.locator("div.plotly-graph-div")
        for i in range(figures.count()):
            assert figures.nth(i).locator(".main-svg").count() >= 1, f"figure {i} not drawn on {path.name}"
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{path.name} scrolls sideways at 1280 px ({width} px)"
    except BaseException:
        visit.close()
        raise
    return visit


def _column_texts(table) -> list[str]:
    return [t.strip() for t in table.locator("tbody tr td:first-child").all_inner_texts()]


def _check_interactive_table(visit: Visit) -> bool:
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
    assert table.locator(".m254-count").inner_text() == f"{shown} of {total} rows shown"
    box.fill("no row contains this text 0xdeadbeef")
    assert table.locator("tbody tr:visible").count() == 0
    assert table.locator(".m254-count").inner_text() == f"0 of {total} rows shown"
    box.fill("")
    assert table.locator("tbody tr:visible").count() == total
    return True


@pytest.mark.parametrize("name", REAL_PAGES)
def test_sample_report_page_in_chromium(browser, name):
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    path = result.folder / f"{name}.html"
    assert path.is_file(), f"{name}.html missing (failed pages: {[p.name for p in result.failed]})"
    visit = _check_page(browser, path)
    try:
        if name != "index":
            page_result = next(p for p in result.pages if p.name == name)
            assert page_result.status == "ok", page_result.failure.message
            assert visit.page.locator("a.m254-home").get_attribute("href") == "index.html"
            # figures in the notebook = figures drawn on the page
            nb_figures = (result.folder / page_result.ipynb).read_text().count('"application/vnd.plotly.v1+json"')
            assert visit.page.locator("div.plotly-graph-div .main-svg").count() >= nb_figures
        if name == "index":  # the inputs table is in the collapsed "Downloads and provenance" section
            visit.page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        interactive = _check_interactive_table(visit)
        if name == "index":
            assert interactive, "the index's input-files table should sort and filter"
    finally:
        visit.close()


def test_page_opens_on_its_own_from_the_folder(browser, tmp_path):
    """A page copied with the assets folder, without the rest of the report, still draws its figures."""
    result = xss_report()
    page = next(p for p in result.pages if p.name == "alpha")
    shutil.copytree(result.folder / "assets", tmp_path / "assets")
    shutil.copy(result.folder / page.html, tmp_path / "alpha.html")
    visit = _check_page(browser, tmp_path / "alpha.html")
    try:
        assert visit.page.locator(".main-svg").count() >= 1
    finally:
        visit.close()


@pytest.mark.parametrize("name", ["index", "alpha", "workspace_overview"])
def test_hostile_service_name_shows_as_text_and_never_runs(browser, name):
    result = xss_report()
    path = result.folder / f"{name}.html"
    if not path.is_file() and name == "workspace_overview":
        pytest.skip("notebooks/workspace_overview.ipynb not present")
    assert result.ok, [p.failure.message for p in result.failed]
    visit = _check_page(browser, path)
    try:
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
    finally:
        visit.close()
