# ruff: noqa: F401, F811 - the browser fixtures are imported by name and requested as arguments
"""Every page of the sample report in chromium, network blocked: numbers without spurious precision,
every table sortable, severity sorted by rank, links safe, extra columns behind a toggle.

The report is the session's (:func:`report_support.sample_report`: the real notebooks on data/sample).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_fixtures import browser, open_page, report

from meta254lib.report.notebooks import default_notebooks_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ["index", *sorted(p.stem for p in default_notebooks_dir().glob("*.ipynb"))]
#: A number with more than four decimals (not part of a longer token such as a version or an id).
LONG_DECIMALS = re.compile(r"(?<![\w.\-])-?\d+\.\d{5,}(?![\w.])")
#: A negative zero as shown: -0, -0.0, -0.00 ...
NEGATIVE_ZERO = re.compile(r"(?<![\w.\-])-0(?:\.0+)?(?![\w.])")


#: Tables built outside render_table, also checked apart: the index's (meta254lib/report/index_html.py)
#: and the impact explorer's result table (meta254lib/views/impact_explorer.py, built in the browser).
OTHER_TABLES = {"index": ("m254-pages", "m254-downloads"), "impact_analysis": ("m254-impx-1",)}


def _unsortable(page) -> list[str]:
    """Tables with a header and rows whose headers do not sort: their class, else the nearest id."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('table')).filter(t => t.tHead && t.tHead.rows.length"
        " && t.tBodies.length && t.tBodies[0].rows.length"
        " && !t.tHead.rows[0].cells[0].classList.contains('m254-sortable'))"
        ".map(t => t.className || (t.closest('[id]') || {id: '?'}).id)"
    )


def _open(open_page, path: Path):
    """The page at 1400 x 900 with every collapsed section and hidden column opened, and its visit."""
    visit = open_page(path, wait_ms=200)
    # everything a reviewer can open: collapsed sections and hidden columns
    visit.page.evaluate(
        "document.querySelectorAll('details').forEach(d => { d.open = true; });"
        "document.querySelectorAll('input.m254-more').forEach(c => { c.checked = true; });"
    )
    return visit.page, visit


@pytest.mark.parametrize("name", PAGES)
def test_numbers_tables_and_links(report, open_page, name):
    path = report.folder / f"{name}.html"
    assert path.is_file(), f"{name}.html missing"
    page, visit = _open(open_page, path)
    text = page.locator("body").inner_text()
    assert LONG_DECIMALS.findall(text) == [], f"{name}: numbers with more than 4 decimals"
    assert NEGATIVE_ZERO.findall(text) == [], f"{name}: negative zero shown"
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", text), f"{name}: a timestamp with fractions of a second"
    # every table with a header row sorts (plotly's own tables are SVG, not <table>)
    unsortable = [t for t in _unsortable(page) if t not in OTHER_TABLES.get(name, ())]
    assert unsortable == [], f"{name}: tables without sortable headers: {unsortable}"
    # every link is in-page, relative, mailto or http(s): never javascript: or data:
    hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript):", h, re.I)]
    # the table sorter and stylesheet are on the page once (the first table of the page's kernel carries them)
    html = path.read_text(encoding="utf-8")
    assert html.count("window.m254Sort=function") == 1 and html.count('id="m254-table-css"') == 1
    assert visit.errors == [], visit.errors


def test_severity_sorts_by_rank_and_wide_tables_fold(report, open_page):
    page, visit = _open(open_page, report.folder / "drift_overview.html")
    table = page.locator('div.m254-table[data-name="drift_issues"]')
    # the issue table has more than eight columns: the rest sit behind the toggle, closed by default
    page.evaluate("document.querySelectorAll('input.m254-more').forEach(c => { c.checked = false; })")
    visible = table.locator("thead th:visible").count()
    assert visible <= 8 < table.locator("thead th").count()
    header = table.locator("thead th", has_text=re.compile(r"^severity$"))
    header.click()
    col = page.evaluate(
        "t => { const ths = Array.from(t.querySelectorAll('thead th'));"
        " const i = ths.findIndex(h => h.textContent.trim().startsWith('severity'));"
        " return Array.from(t.querySelectorAll('tbody tr')).map(r => r.cells[i].textContent.trim()); }",
        table.element_handle(),
    )
    rank = {"high": 0, "medium": 1, "low": 2}
    assert [rank[s] for s in col] == sorted(rank[s] for s in col)
    assert col[0] == "high" and col[-1] == "low"
    # services link to their manifest, advisory ids to the advisory
    links = page.evaluate(
        "t => Array.from(t.querySelectorAll('tbody a')).map(a => a.getAttribute('href'))", table.element_handle()
    )
    assert any(h.endswith("/service-manifest.yaml") and h.startswith("https://") for h in links)
    assert any("advisories" in h or "osv.dev" in h for h in links)
    assert visit.errors == []


def test_plan_items_link_to_their_step_cards(report, open_page):
    page, visit = _open(open_page, report.folder / "remediation_plan.html")
    anchors = page.evaluate(
        "Array.from(document.querySelectorAll('div.m254-table[data-name=plan] tbody a[href^=\"#plan-\"]'))"
        ".map(a => a.getAttribute('href'))"
    )
    assert anchors, "the plan table links no item"
    missing = page.evaluate("hs => hs.filter(h => !document.getElementById(h.slice(1)))", anchors)
    assert missing == [], missing
    assert visit.errors == []


@pytest.mark.parametrize("name", sorted(OTHER_TABLES))
def test_tables_built_elsewhere_sort(report, open_page, name):
    page, _ = _open(open_page, report.folder / f"{name}.html")
    assert _unsortable(page) == []


def test_index_tables_sort_render_times_by_value(report, open_page):
    page, visit = _open(open_page, report.folder / "index.html")
    table = page.locator("table.m254-downloads")
    header = table.locator("thead th", has_text="Render time")
    header.click()
    header.click()  # descending: the slowest page first
    assert header.get_attribute("aria-sort") == "descending"
    seconds = [float(t.removesuffix(" s")) for t in table.locator("tbody td.num").all_inner_texts()]
    assert len(seconds) > 1 and seconds == sorted(seconds, reverse=True)
    pages = page.locator("table.m254-pages")
    pages.locator("thead th").first.click()
    titles = pages.locator("tbody td:first-child").all_inner_texts()
    assert page.evaluate("v => v.every((x, i) => i === 0 || v[i - 1].localeCompare(x) <= 0)", titles)
    # the sorter and its stylesheet are on the page once, whatever the number of tables
    html = (report.folder / "index.html").read_text()
    assert html.count("window.m254Sort=function") == 1 and html.count('id="m254-table-css"') == 1
    assert visit.errors == []
