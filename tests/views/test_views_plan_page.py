"""The remediation plan page: items grouped by team then service in ``<details>``, colours that mean severity,
and a page of at most 12 screens at 1400 px wide on data/sample (checked in real Chromium)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE

from meta254lib.core.schema import SERVICES
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.core.severity import severity_rank
from meta254lib.drift import DriftInputs, detect_drift
from meta254lib.remediation import PlanInputs, build_plan
from meta254lib.views.drift import SEVERITY_COLORS
from meta254lib.views.plan import burndown_figure, plan_gantt
from meta254lib.views.plan_owner import plan_by_owner_html, severity_badge

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_support import sample_report

CHROMIUM = Path("/usr/bin/chromium")
SCREEN = 900
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def sample_plan():
    import meta254lib as m

    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        pytest.skip("data/sample not present")
    return m.plan_workspace(m.open_workspace(SAMPLE), None, workspace=str(SAMPLE))


def _summaries(html: str, cls: str) -> list[str]:
    return re.findall(rf'<details class="{cls}"[^>]*><summary>(.*?)</summary>', html)


def test_items_are_grouped_by_team_then_service_most_severe_first(sample_plan):
    items = sample_plan.items
    html = plan_by_owner_html(sample_plan)
    teams = _summaries(html, "m254-team")
    services = _summaries(html, "m254-svc")
    assert len(teams) == items["team"].nunique() == 9
    assert len(services) == items["service"].nunique() == 35
    # every item once, in a row of its service
    assert sorted(re.findall(r'<tr id="plan-item-([^"]+)">', html)) == sorted(i.lower() for i in items["id"])
    # teams by worst severity (high before medium before low)
    worst = [re.search(r'data-severity="(\w+)"', t).group(1) for t in teams]
    assert worst == sorted(worst, key=severity_rank)
    # one summary line per service: its item count, worst severity and first due date
    first = items[items["service"] == "reference-data"]
    line = next(s for s in services if ">reference-data<" in s)
    assert f"{len(first)} item" in line and "first due " + first["due"].min().strftime("%Y-%m-%d") in line
    # every item links to its step card, and the card carries the anchor
    assert html.count('href="#plan-card-') == html.count('id="plan-card-') == len(items)


def test_cards_of_the_named_services_only_the_others_name_the_command(sample_plan):
    top = sample_plan.card_services(limit=3)
    html = plan_by_owner_html(sample_plan, cards=top)
    items = sample_plan.items
    assert html.count('id="plan-card-') == html.count('href="#plan-card-') == int(items["service"].isin(top).sum())
    others = items["service"].nunique() - len(top)
    assert html.count("<code>meta254 plan --service ") == others
    assert "<code>meta254 plan --service audit-trail --format markdown</code>" in html or "audit-trail" in top


def test_colours_mean_severity_only(sample_plan):
    html = plan_by_owner_html(sample_plan)
    colours = set(re.findall(r'style="background:(#[0-9a-f]{6})"', html))
    assert colours <= {SEVERITY_COLORS[s] for s in ("high", "medium", "low")}
    assert severity_badge("medium").count(SEVERITY_COLORS["medium"]) == 1
    gantt = plan_gantt(sample_plan)
    assert {t.name: t.marker.color for t in gantt.data} == {
        s: SEVERITY_COLORS[s] for s in ("high", "medium", "low") if (sample_plan.items["severity"] == s).any()
    }
    assert gantt.layout.legend.title.text == "severity"
    burn = burndown_figure(sample_plan)
    assert [t.marker.color for t in burn.data if t.type == "bar"] == [
        SEVERITY_COLORS[s] for s in ("high", "medium", "low")
    ]


def test_hostile_service_name_is_escaped_and_an_empty_plan_says_so():
    services = rec(
        SERVICES, [{"service": XSS, "team": XSS, "version": "1.0.0", "runtime": "python", "last_update": "2025-01-01"}]
    )
    issues = detect_drift(DriftInputs(services), as_of="2025-10-10").issues
    plan = build_plan(PlanInputs(issues, services))
    html = plan_by_owner_html(plan, open_services=True)
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<details class="m254-svc"' in html and " open>" in html
    empty = build_plan(PlanInputs(issues.iloc[:0], services), as_of="2025-10-10")
    assert "nothing to plan" in plan_by_owner_html(empty)


@pytest.mark.browser
@pytest.mark.slow
def test_plan_page_fits_in_12_screens_at_1400_px():
    if not CHROMIUM.is_file():
        pytest.skip("chromium not installed")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    result = sample_report()
    if result is None:
        pytest.skip("data/sample not present")
    page_path = result.folder / "remediation_plan.html"
    assert page_path.is_file()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": SCREEN})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: requests.append(r.url))
            page.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height <= 12 * SCREEN, f"plan page is {height} px tall"
            assert page.locator("details.m254-team").count() == 9
            services = page.locator("details.m254-svc")
            assert services.count() == 35
            with_cards = page.locator("details.m254-svc:has(h5[id^=plan-card-])")
            assert with_cards.count() == 10  # the ten most urgent services carry their step cards
            first = with_cards.first
            assert first.evaluate("d => d.open") is False
            first.locator("summary").click()
            assert first.evaluate("d => d.open") is True
            card = first.locator("h5[id^=plan-card-]").first
            assert card.is_visible()
            assert page.locator(".plotly-graph-div .main-svg").count() >= 2  # gantt and burn-down drawn
            assert errors == [] and all(u.startswith("file:") for u in requests)
        finally:
            browser.close()
