# ruff: noqa: F401, F811 - the browser fixtures are imported by name and requested as arguments
"""The impact page's offline explorer in chromium, on the report built from data/sample, network blocked.

Picking a service, a spec, an event and an external changes the view, and the impacted services (names,
distances and why-paths, in order) equal ``meta254 impact --format json`` for that change. A page of
hostile names shows them as text and runs none of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from browser_fixtures import browser, report
from click.testing import CliRunner
from report_support import OfflinePage

from meta254lib.cli.app import main
from meta254lib.views.impact_explorer import explorer_html, explorer_payload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


class Explorer(OfflinePage):
    """The impact page (network blocked, errors and dialogs recorded), with the explorer's pick and rows."""

    def pick(self, label: str) -> list[tuple[str, int, str]]:
        """Search for ``label``, pick it, and return the rows shown: ``(service, distance, why)``."""
        box = self.page.locator(".m254-impx")
        box.locator("input[type=search]").fill(label)
        box.locator("select").select_option(label)
        self.page.wait_for_function(
            "l => document.querySelector('.m254-impx').getAttribute('data-change') === l", arg=label
        )
        return self.rows()

    def rows(self) -> list[tuple[str, int, str]]:
        cells = self.page.eval_on_selector_all(
            ".m254-impx tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
        )
        return [(c[0], int(c[1]), c[3]) for c in cells]


@pytest.fixture(scope="module")
def impact_page(browser, report):
    page = Explorer(browser, report.folder / "impact_analysis.html", wait_ms=0)
    yield page
    page.close()
    assert page.outside == []


def _cli(*args: str) -> list[tuple[str, int, str]]:
    run = CliRunner().invoke(main, ["impact", "-w", str(SAMPLE), *args, "--format", "json"])
    assert run.exit_code == 0, run.output
    return [(r["service"], r["distance"], r["why"]) for r in json.loads(run.stdout)["impacted"]]


def test_opens_on_the_pages_what_if(impact_page):
    page = impact_page.page
    assert page.locator(".m254-impx").get_attribute("data-change") == "service:config-service"
    assert impact_page.rows() == _cli("--service", "config-service")
    head = page.locator(".m254-impx-head").inner_text()
    assert head.startswith("What-if: if service:config-service changed, 58 services would be impacted")


@pytest.mark.parametrize(
    ("label", "args"),
    [
        ("service:auth-service", ("--service", "auth-service")),
        ("spec:gateway-core@2.0.0", ("--spec", "gateway-core@2.0.0")),
        ("event:auth.token.issued.v1", ("--event", "auth.token.issued.v1")),
        ("external:postgres", ("--external", "postgres")),
    ],
)
def test_a_pick_changes_the_view_and_equals_meta254_impact(impact_page, label, args):
    impact_page.pick("service:config-service")
    before = impact_page.rows()
    shown = impact_page.pick(label)
    expected = _cli(*args)
    assert expected and shown != before
    assert [(s, d) for s, d, _ in shown] == [(s, d) for s, d, _ in expected]
    assert shown == expected  # the why-paths break ties as the library does
    head = impact_page.page.locator(".m254-impx-head").inner_text()
    assert f"if {label} changed, {len(expected)} service" in head
    assert impact_page.errors == []


def test_page_says_it_is_a_what_if_and_hides_the_parameter_docs(impact_page):
    page = impact_page.page
    headline = page.locator("header .m254-headline").inner_text()
    assert headline.startswith("What-if on the widest service: if config-service changed, 58 services")
    assert not re.search(r"weighted \d+\.\d{2,}", headline)
    text = page.locator("body").inner_text()
    assert "None for no limit" not in text and "max_nodes" not in text
    sources = next(line for line in text.splitlines() if line.startswith("Sources:"))
    assert "2025-10-06 06:00 UTC" in sources
    assert not re.search(r"\d{2}:\d{2}:\d{2}|T\d{2}:|\+00:00", sources), sources


def test_search_filters_the_picker(impact_page):
    box = impact_page.page.locator(".m254-impx")
    box.locator("input[type=search]").fill("gateway-core@")
    options = box.locator("select option").all_inner_texts()
    assert options and all(o.startswith("spec:gateway-core@") for o in options)
    assert "spec:gateway-core@2.0.0" in options


def test_hostile_names_stay_text(browser, tmp_path):
    hostile = '<img src=x onerror="alert(1)">'
    G = nx.DiGraph()
    G.add_node("</script><script>alert(2)</script>", team=hostile)
    G.add_node("core")
    G.add_edge("</script><script>alert(2)</script>", "core", relations="depends_on")
    page_file = tmp_path / "explorer.html"
    body = explorer_html(explorer_payload(G, initial="service:core"))
    page_file.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>')
    page = Explorer(browser, page_file, wait_ms=0)
    try:
        assert page.rows() == [
            ("</script><script>alert(2)</script>", 1, "</script><script>alert(2)</script> -depends_on-> core")
        ]
        assert page.page.locator(".m254-impx tbody td").nth(2).inner_text() == hostile
        assert page.dialogs == [] and page.errors == [] and page.outside == []
    finally:
        page.close()


def test_result_table_sorts_and_keeps_the_order_across_picks(browser, report):
    """The one table sorter: numbers by value, and a new pick (rows rebuilt) keeps the chosen order."""
    page = Explorer(browser, report.folder / "impact_analysis.html", wait_ms=0)
    try:
        heads = page.page.locator(".m254-impx thead th")
        assert heads.nth(0).get_attribute("class").strip() == "m254-sortable"
        heads.nth(2).click()  # team
        assert heads.nth(2).get_attribute("aria-sort") == "ascending"
        teams = [t for _, _, t in _team_rows(page)]
        assert len(set(teams)) > 1 and _ascending(page, teams), teams
        expected = _cli("--service", "auth-service")
        page.pick("service:auth-service")
        shown = _team_rows(page)
        assert sorted(s for s, _, _ in shown) == sorted(s for s, _, _ in expected)
        assert _ascending(page, [t for _, _, t in shown])
        heads.nth(1).click()  # distance, descending after ascending: numbers by value
        heads.nth(1).click()
        distances = [d for _, d, _ in _team_rows(page)]
        assert distances == sorted(distances, reverse=True) and distances[0] > distances[-1]
        assert page.errors == [] and page.outside == []
    finally:
        page.close()


def _team_rows(page: Explorer) -> list[tuple[str, int, str]]:
    """The rows shown as ``(service, distance, team)``."""
    cells = page.page.eval_on_selector_all(
        ".m254-impx tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
    )
    return [(c[0], int(c[1]), c[2]) for c in cells]


def _ascending(page: Explorer, texts: list[str]) -> bool:
    """``texts`` in the browser's text order (the order the sorter uses), empty cells last."""
    return page.page.evaluate(
        "v => { const f = v.filter(x => x); return v.slice(f.length).every(x => !x)"
        " && f.every((x, i) => i === 0 || f[i - 1].localeCompare(x) <= 0); }",
        texts,
    )
