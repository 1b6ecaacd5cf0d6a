"""The remediation plan page: items grouped by team then service in ``<details>``, colours that mean severity,
and a page of at most 12 screens at 1400 px wide on data/sample (checked in real Chromium)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE

from meta254lib.core.schema import SERVICES
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.core.severity import severity_rank
from meta254lib.drift import DriftInputs, detect_drift
from meta254lib.remediation import PlanInputs, build_plan
from meta254lib.views.drift import SEVERITY_COLORS
from meta254lib.views.escape import table_slug
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


def test_a_fleet_size_plan_shows_each_teams_first_services_and_counts_the_rest(sample_plan, monkeypatch):
    """Above MAX_SERVICES services each team shows its first ones (and the kept, carded and urgent ones)."""
    from meta254lib.views import plan_owner

    monkeypatch.setattr(plan_owner, "MAX_SERVICES", 9)
    monkeypatch.setattr(plan_owner, "MIN_SERVICES_PER_TEAM", 1)
    monkeypatch.setattr(plan_owner, "URGENT_ITEMS", 1)
    items = sample_plan.items
    cards = sample_plan.card_services(limit=2)
    html = plan_by_owner_html(sample_plan, cards=cards, keep=["audit-trail"])
    shown = set(re.findall(r'<details class="m254-svc" id="plan-svc-([^"]+)"', html))
    urgent = plan_owner._urgent_services(items)
    firsts = {plan_owner._order(g, "service")[0] for _, g in items.groupby("team")}
    assert shown == {table_slug(s) for s in firsts | set(cards) | {"audit-trail"} | set(urgent)}
    assert len(shown) < items["service"].nunique()
    # every team still has its summary line with all its items; the rest is counted, not dropped
    assert len(_summaries(html, "m254-team")) == items["team"].nunique()
    more = re.findall(r"… and ([\d,]+) more services? with ([\d,]+) items?", html)
    assert sum(int(n) for n, _ in more) == items["service"].nunique() - len(shown)
    hidden_items = int((~items["service"].map(table_slug).isin(shown)).sum())
    assert sum(int(k) for _, k in more) == hidden_items
    # the services shown keep every item row and their step cards
    assert len(re.findall(r'<tr id="plan-item-', html)) == len(items) - hidden_items
    assert html.count('id="plan-card-') == int(items["service"].isin(cards).sum())


def test_the_sample_plan_is_not_cut(sample_plan):
    from meta254lib.views import plan_owner

    assert sample_plan.items["service"].nunique() <= plan_owner.MAX_SERVICES
    assert plan_owner.shown_services(sample_plan.items) is None
    assert 'more-services">' not in plan_by_owner_html(sample_plan)


def test_a_fleet_size_gantt_counts_items_per_week(sample_plan, monkeypatch):
    from meta254lib.views import plan as vp

    assert len(plan_gantt(sample_plan).data) <= 4  # the sample draws one bar per item (a trace per severity)
    monkeypatch.setattr(vp, "GANTT_MAX_ROWS", 5)
    fig = plan_gantt(sample_plan)
    items = sample_plan.items
    assert all(t.stackgroup == "items" for t in fig.data)
    assert sum(t.y[-1] for t in fig.data) == len(items)  # cumulative: the last week holds every item
    by_name = {t.name: t.y[-1] for t in fig.data}
    for sev in ("high", "medium", "low"):
        sel = items["severity"] == sev
        assert by_name.get(sev, 0) == int((sel & ~items["security"]).sum())
        assert by_name.get(f"{sev} (security)", 0) == int((sel & items["security"]).sum())
    assert all(t.line.color == SEVERITY_COLORS[t.name.split()[0]] for t in fig.data)
    assert all(list(t.y) == sorted(t.y) for t in fig.data)
    assert f"{len(items):,} items" in fig.layout.title.text
    weeks = [pd.Timestamp(x) for x in fig.data[0].x]
    assert all(w.day_of_week == 0 for w in weeks)  # one point per Monday
    first = fig.data[0]
    n0 = first.y[0]
    assert first.text[0].startswith(f"that week {n0} items on ")


def test_many_warnings_are_counted_and_tabled(sample_plan, monkeypatch, capsys):
    from meta254lib.views import plan as vp

    vp.show_plan_notes(sample_plan)
    listed = capsys.readouterr().out
    assert listed.count("\n- ") + listed.startswith("- ") == len(sample_plan.warnings) + len(sample_plan.notes)
    monkeypatch.setattr(vp, "NOTES_MAX_LINES", 2)
    vp.show_plan_notes(sample_plan)
    out = capsys.readouterr().out
    late = sum(" after its due date " in w for w in sample_plan.warnings)
    assert out.startswith(f"{len(sample_plan.warnings)} warnings: {late} items scheduled after their due date")
    assert f"warnings: {len(sample_plan.warnings) + len(sample_plan.notes)} rows x 2 columns" in out


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
