"""The index's first screen on data/sample, in chromium at 1400 x 900: what changed, what first, who.

The numbers shown are the library's (:func:`~meta254lib.state.weekly.weekly_change` and the fix-first rows of
:func:`~meta254lib.state.fix_first.fix_first`, one per service), checked against the rendered page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from report_support import sample_report

import meta254lib as m
from meta254lib.remediation.plan import plan_workspace
from meta254lib.report.index import attention_counts
from meta254lib.state.fix_first import fix_first
from meta254lib.state.weekly import weekly_change

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def report():
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    return result


@pytest.fixture(scope="module")
def expected():
    ws = m.open_workspace(SAMPLE)
    state = m.analysis_state(ws)
    return weekly_change(state), fix_first(state, plan_workspace(ws, state.as_of).items, limit=10)


@pytest.fixture(scope="module")
def page(report):
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.skip("chromium not installed (apt-get install -y chromium); browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (python) not installed; pip install -e '.[dev]'")
    with sync_playwright() as pw:
        exe = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"], headless=True)
        context = browser.new_context(viewport=VIEWPORT)
        outside: list[str] = []

        def block(route):
            outside.append(route.request.url)
            route.abort()

        context.route("http://**/*", block)
        context.route("https://**/*", block)
        pg = context.new_page()
        pg.goto((report.folder / "index.html").as_uri(), wait_until="load")
        yield pg
        assert outside == []
        browser.close()


def _above_fold(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]


def test_first_screen_shows_the_change_against_last_week(page, expected):
    change, _ = expected
    assert (change.new, change.fixed, change.open_now, change.open_before) == (0, 5, 75, 102)
    assert (change.worsened, change.worsened_churn) == (0, 25)
    tile = page.locator('[data-tile="open"]')
    assert _above_fold(tile)
    assert f"▼ 27 vs {change.open_before} a week before" in tile.inner_text()
    assert tile.locator(".m254-tile-value").inner_text() == str(change.open_now)
    for name, value in (("new", change.new), ("fixed", change.fixed), ("worsened", change.worsened)):
        count = page.locator(f'[data-count="{name}"]')
        assert _above_fold(count) and count.inner_text() == str(value)
    flow = page.locator('[data-tile="flow"]').inner_text()
    assert "New / fixed / worsened" in flow and "this week, same detector" in flow
    churn = page.locator('[data-tile="churn"]')
    assert _above_fold(churn) and f"+{change.churn_in} / −{change.churn_out}" in churn.inner_text()
    assert f"{change.worsened_churn} rated more severe only by it" in churn.inner_text()
    quality = page.locator('[data-tile="quality"]').inner_text()
    assert "89.3" in quality and "▲ 0.3 vs 89.0 a week before" in quality


def test_first_screen_shows_a_fix_first_table_with_team_and_due(page, expected):
    _, rows = expected
    table = page.locator("table.m254-fix-first")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert headers == [
        "Service",
        "Top action",
        "Severity",
        "Team",
        "Open / overdue",
        "Quality (trend)",
        "Blast radius",
        "Due",
    ]
    body = table.locator("tbody tr")
    assert body.count() == 10
    visible = [i for i in range(body.count()) if _above_fold(body.nth(i))]
    assert len(visible) >= 5, visible
    for i in visible:
        cells = [c.strip() for c in body.nth(i).locator("td").all_inner_texts()]
        want = rows.iloc[i]
        assert cells[0] == want["service"] and cells[3] == want["team"]
        assert cells[4] == f"{want['open']} / {want['overdue']}"
        assert cells[7] == want["due"].strftime("%Y-%m-%d")
        assert cells[6] == str(want["blast_radius"])
    # one row per service, ranked by its top item: high > medium > low, then priority
    assert rows["service"].is_unique
    assert rows.iloc[0][["service", "top_action", "team", "open", "overdue", "blast_radius"]].tolist() == [
        "reference-data",
        "security fix redis 7.0 → 7.2",
        "shared-services",
        2,
        0,
        37,
    ]
    first = [c.strip() for c in body.nth(0).locator("td").all_inner_texts()]
    assert first[5] == "93 (stable)" and first[7] == "2025-10-13"
    ranks = {"high": 0, "medium": 1, "low": 2}
    sev = [ranks[s] for s in rows["severity"]]
    assert sev == sorted(sev)
    # sortable: by blast radius, then back to the ranking by severity (ascending)
    table.locator("thead th", has_text="Blast radius").click()
    radius = [int(t) for t in table.locator("tbody td:nth-child(7)").all_inner_texts()]
    assert radius == sorted(radius)
    table.locator("thead th", has_text="Severity").click()
    assert table.locator("tbody td:first-child").all_inner_texts() == rows["service"].tolist()


def test_downloads_are_collapsed_below_the_first_screen(page):
    details = page.locator("details#downloads")
    assert details.get_attribute("open") is None
    assert not page.locator("table.m254-downloads").is_visible()
    assert page.locator('a:text-is("CSV")').count() > 0  # still there, behind the toggle
    assert (
        page.locator("table.m254-pages").bounding_box()["y"] > page.locator("table.m254-fix-first").bounding_box()["y"]
    )


def test_summary_md_is_paste_ready(report, expected):
    change, _ = expected
    summary = (report.folder / "summary.md").read_text(encoding="utf-8")
    assert (
        "- **Open issues: 75** (▼ 27 vs 102 a week before): high 28 (▲ 17), medium 34 (▲ 33), low 13 (▼ 77)." in summary
    )
    assert "New this week: **0**; fixed this week: **5**" in summary
    assert "### Fix first (top 10)" in summary
    assert "worsened this week: **0**" in summary and "25 rated more severe only by it" in summary
    table = [line for line in summary.splitlines() if line.startswith("| ") and " | 2025-" in line]
    assert len(table) == 10
    assert table[0] == (
        "| 1 | reference-data | security fix redis 7.0 → 7.2 | high | shared-services "
        "(shared-services@254carbon.com) | 2 / 0 | 93 (stable) | 37 | 2025-10-13 | L3 Architecture Team |"
    )
    assert f"### High-severity issues first reported this week ({len(change.new_high)})" in summary
    assert "- alert-router (sre): vulnerable dependency redis (detector churn)" in summary
    assert "- [Remediation plan](remediation_plan.html)" in summary
    assert ".603919" not in summary and "T05:21" not in summary  # times to the minute


def test_first_screen_warns_of_stale_data_and_counts_what_needs_attention(page):
    # data/sample is from October 2025: every render after 2025-10-20 is more than 14 days later
    notice = page.locator(".m254-banner-stale")
    assert _above_fold(notice)
    assert re.fullmatch(
        r"Data as of 2025-10-06 — [\d,]+ days old at render \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", notice.inner_text()
    )
    ws = m.open_workspace(SAMPLE)
    counts = attention_counts(m.analysis_state(ws))
    assert counts == {"slo_overdue": 25, "expired_exemptions": 1, "quality_regressions": 0}
    for key, value in counts.items():
        shown = page.locator(f'strong[data-count="{key}"]')
        assert _above_fold(shown) and shown.inner_text() == str(value), key


def test_summary_md_has_the_notice_and_the_attention_counts(report):
    summary = (report.folder / "summary.md").read_text(encoding="utf-8")
    lines = summary.splitlines()
    assert re.fullmatch(r"\*\*Data as of 2025-10-06 — [\d,]+ days old at render \(.* UTC\)\.\*\*", lines[4])
    quality = lines.index("- Quality mean: **89.3** (▲ 0.3 vs 89.0 a week before).")
    assert (
        lines[quality + 1] == "- SLO overdue: **25**; Expired exemptions: **1**; Quality regressions this week: **0**."
    )


def test_pages_show_no_absolute_paths(report):
    for path in [*report.folder.glob("*.html"), report.folder / "summary.md"]:
        text = path.read_text(encoding="utf-8")
        assert str(SAMPLE) not in text and "/tmp/" not in text, path.name
    index = (report.folder / "index.html").read_text(encoding="utf-8")
    assert "<dt>workspace</dt><dd>data/sample</dd>" in index


def test_every_exported_table_links_to_its_file(report):
    for p in report.pages:
        html = (report.folder / p.html).read_text(encoding="utf-8")
        for t in p.tables:
            assert html.count(f'class="m254-csv" href="{t["csv"]}"') == 1, (p.name, t["name"])
            assert (report.folder / t["csv"]).is_file()
