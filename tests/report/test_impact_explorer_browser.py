"""The impact page's offline explorer in chromium, on the report built from data/sample, network blocked.

Picking a service, a spec, an event and an external changes the view, and the impacted services (names,
distances and why-paths, in order) equal ``meta254 impact --format json`` for that change. A page of
hostile names shows them as text and runs none of them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from report_support import sample_report

from meta254lib.cli.app import main
from meta254lib.views.impact_explorer import explorer_html, explorer_payload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
VIEWPORT = {"width": 1400, "height": 900}


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
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"], headless=True)
        yield b
        b.close()


class Offline:
    """A page whose requests other than file:// are aborted and recorded, with its errors and dialogs."""

    def __init__(self, browser, path: Path) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

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

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def impact_page(browser):
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    page = Offline(browser, result.folder / "impact_analysis.html")
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
    page = Offline(browser, page_file)
    try:
        assert page.rows() == [
            ("</script><script>alert(2)</script>", 1, "</script><script>alert(2)</script> -depends_on-> core")
        ]
        assert page.page.locator(".m254-impx tbody td").nth(2).inner_text() == hostile
        assert page.dialogs == [] and page.errors == [] and page.outside == []
    finally:
        page.close()
