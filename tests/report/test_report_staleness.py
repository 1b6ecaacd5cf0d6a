"""The staleness notice: when the newest input is older than ``stale_after_days`` at render time, the index,
every page and ``summary.md`` say so (meta254lib.report.context, index, page_html).

The runs use the tiny 26-service workspace (catalog generated 2025-10-10) and a fixed render time.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from report_support import fixture_notebooks, tiny_ws

from meta254lib.cli import main
from meta254lib.core.settings import DEFAULT_STALE_AFTER_DAYS
from meta254lib.report import run as r
from meta254lib.report.context import data_as_of, stale_notice
from meta254lib.report.page_html import header_html
from meta254lib.report.page_model import STALE_LABEL, PageContext

RENDERED = "2026-12-05T05:40:31Z"
#: 2025-10-10 to 2026-12-05 05:40: 365 + 21 (October) + 30 (November) + 4 full days of December.
NOTICE = "Data as of 2025-10-10 — 421 days old at render (2026-12-05 05:40 UTC)"


def test_notice_text_and_threshold():
    data = pd.Timestamp("2025-10-06T05:21:55Z")
    assert stale_notice(data, pd.Timestamp(RENDERED), 14) == (
        "Data as of 2025-10-06 — 425 days old at render (2026-12-05 05:40 UTC)"
    )
    # exactly 14 days old is not stale; a minute more is
    assert stale_notice(data, data + pd.Timedelta(days=14), 14) is None
    later = data + pd.Timedelta(days=14, minutes=1)
    assert stale_notice(data, later, 14) == "Data as of 2025-10-06 — 14 days old at render (2025-10-20 05:22 UTC)"
    assert stale_notice(data, data + pd.Timedelta(days=1, hours=1), 0) is None  # 0 turns it off
    assert stale_notice(data, data + pd.Timedelta(days=1, hours=1), -3) is None
    assert stale_notice(data, "2025-10-07T06:00+02:00", 0) is None
    assert stale_notice("2025-10-06", "2025-10-08T02:00+02:00", 1) == (
        "Data as of 2025-10-06 — 2 days old at render (2025-10-08 00:00 UTC)"  # times in UTC (core.clock)
    )


def test_data_time_is_the_newest_input_up_to_the_as_of():
    inputs = pd.DataFrame(
        {"timestamp": pd.to_datetime(["2025-10-01T00:00Z", "2025-10-06T05:21Z", "2025-11-01T00:00Z", None])}
    )
    as_of = pd.Timestamp("2025-10-06T06:00Z")
    assert data_as_of(as_of, inputs) == pd.Timestamp("2025-10-06T05:21Z")
    assert data_as_of(as_of, inputs.iloc[3:]) == as_of  # no input timestamp: the as-of
    assert data_as_of(as_of, pd.DataFrame({"file": ["a"]})) == as_of


def test_page_header_shows_the_notice_as_a_banner_not_a_meta_pair():
    html = header_html(PageContext(title="T", as_of="2025-10-10", meta=(("workspace", "ws"), (STALE_LABEL, "<old>"))))
    assert 'class="m254-banner m254-banner-stale" role="note"' in html
    assert ">&lt;old&gt;</p>" in html and "stale data:" not in html
    assert "<span>workspace: ws</span>" in html


@pytest.fixture(scope="module")
def stale_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("stale")
    return r.build_report(tiny_ws(), notebooks_dir=fixture_notebooks("beta"), out=out, jobs=1, rendered=RENDERED)


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh")
    return r.build_report(
        tiny_ws(), notebooks_dir=fixture_notebooks("beta"), out=out, jobs=1, rendered=RENDERED, stale_after_days=1000
    )


def test_stale_run_says_so_on_the_index_every_page_and_the_summary(stale_run):
    assert stale_run.ok
    index = (stale_run.folder / "index.html").read_text(encoding="utf-8")
    page = (stale_run.folder / "beta.html").read_text(encoding="utf-8")
    summary = (stale_run.folder / "summary.md").read_text(encoding="utf-8")
    banner = f'role="note" style="background:#fff8c5;color:#7d4e00;border:1px solid #d4a72c">{NOTICE}</p>'
    assert index.count(banner) == 1 and page.count(banner) == 1
    assert index.index(banner) < index.index('<h2 id="pages">')  # on the first screen, before the page list
    assert summary.splitlines()[:5] == ["## Weekly report 2025-W41", "", "As of **2025-10-10**.", "", f"**{NOTICE}.**"]
    assert json.loads((stale_run.folder / "run.json").read_text())["stale_notice"] == NOTICE


def test_a_large_stale_after_shows_no_notice(fresh_run):
    assert fresh_run.ok
    for name in ("index.html", "beta.html", "summary.md"):
        text = (fresh_run.folder / name).read_text(encoding="utf-8")
        assert "days old at render" not in text and "m254-banner-stale" not in text, name
    assert json.loads((fresh_run.folder / "run.json").read_text())["stale_notice"] is None


def test_cli_stale_after_reaches_build_report(monkeypatch, tmp_path):
    seen: dict[str, object] = {}

    def fake_build_report(workspace, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(r, "build_report", fake_build_report)
    args = ["report", "--workspace", str(tiny_ws()), "--out", str(tmp_path)]
    CliRunner().invoke(main, [*args, "--stale-after", "0"])
    assert seen["stale_after_days"] == 0
    CliRunner().invoke(main, args)
    assert seen["stale_after_days"] == DEFAULT_STALE_AFTER_DAYS == 14
    res = CliRunner().invoke(main, [*args, "--stale-after", "-1"])
    assert res.exit_code == 2 and "--stale-after" in res.output + res.stderr
