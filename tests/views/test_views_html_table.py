"""HTML tables: sortable whatever their size, severity by rank, wide tables fold, links safe, numbers formatted."""

from __future__ import annotations

import re

import pandas as pd

from meta254lib.views import html_table as ht
from meta254lib.views.weekly import fmt_number, fmt_time

XSS = "<script>alert(1)</script>"


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html)


def test_severity_cells_carry_their_rank():
    html = ht.table_html(pd.DataFrame({"severity": ["low", "high", "medium", "critical", ""]}), "s")
    assert '<th scope="col" data-type="rank">severity</th>' in html
    assert re.findall(r'<td data-v="(-?\d)">(\w+)</td>', html) == [
        ("2", "low"),
        ("0", "high"),
        ("1", "medium"),
        ("-1", "critical"),
    ]
    assert "<td></td>" in html  # empty: no key, sorts last


def test_one_row_table_sorts():
    html = ht.table_html(pd.DataFrame({"a": [1]}), "one")
    assert "window.m254Sort(table)" in html and 'class="m254-filter"' not in html


def test_columns_beyond_eight_fold_behind_a_toggle():
    df = pd.DataFrame({f"c{i}": [i] for i in range(12)})
    html = ht.table_html(df, "wide")
    assert html.count('<th scope="col" class="m254-x"') == 4
    assert html.count('class="m254-x num"') == 4
    assert 'type="checkbox" class="m254-more"' in html and "more columns (4)</label>" in html
    chosen = ht.table_html(df, "wide", visible=["c11", "c5"])
    assert chosen.count('class="m254-x"') == 9 and "more columns (9)" in chosen  # c0, the first, always shows
    narrow = ht.table_html(df.iloc[:, :8], "narrow", assets=False)
    assert "m254-more" not in narrow


def test_links_are_escaped_and_only_http():
    df = pd.DataFrame({"service": [XSS, "b", "c"], "advisory_ids": ["A,B", "", "C"]})
    links = {
        "service": ['https://h/o/r?a="1"&b=<x>', "javascript:alert(1)", None],
        "advisory_ids": [[("A", "https://a/x"), ("B", "data:x")], [], [(XSS, "https://c/")]],
    }
    html = ht.table_html(df, "l", links=links)
    cells = _cells(html)
    assert cells[0] == "&lt;script&gt;alert(1)&lt;/script&gt;"  # a URL with quotes or brackets never links
    assert "<script>alert" not in html
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert cells[1] == '<a href="https://a/x" target="_blank" rel="noopener noreferrer">A</a>, B'
    assert cells[2] == "b" and cells[4] == "c"
    assert (
        cells[5]
        == '<a href="https://c/" target="_blank" rel="noopener noreferrer">&lt;script&gt;alert(1)&lt;/script&gt;</a>'
    )


def test_in_page_anchor_links_stay_in_the_page():
    html = ht.table_html(pd.DataFrame({"id": ["P-1"]}), "p", links={"id": ["#plan-card-p-1"]})
    assert '<td><a href="#plan-card-p-1">P-1</a></td>' in html


def test_numbers_and_times_by_the_one_formatter():
    df = pd.DataFrame(
        {
            "score": [27.4337, -0.0000001],
            "r": [-0.004, 0.25],
            "n": [97.0, 3.0],
            "when": pd.to_datetime(["2025-10-06T05:21:55.603919Z", "2025-10-06T00:00:00Z"], utc=True, format="ISO8601"),
            "note": ["as of 2025-10-06T05:21:55.603919+00:00", "x"],
        }
    )
    cells = [re.sub("<[^>]+>", "", c) for c in _cells(ht.table_html(df, "f"))]
    assert cells == [
        "27.4",
        "-0.004",
        "97",
        "2025-10-06 05:21 UTC",
        "as of 2025-10-06 05:21 UTC",
        "0",
        "0.25",
        "3",
        "2025-10-06",
        "x",
    ]
    assert fmt_number(-0.0) == "0" and fmt_time(None) == ""
    text = ht.table_html(pd.DataFrame({"statement": ["r = -0.00 between a and b; -0.05"]}), "z")
    assert "r = 0.00 between a and b; -0.05" in text


def test_sortable_script_refuses_odd_ids():
    import pytest

    with pytest.raises(ValueError, match="element id"):
        ht.sortable_script('x"); alert(1); ("')


def _in_kernel(monkeypatch, shown=False):
    monkeypatch.setattr(ht, "_in_kernel", lambda: True)
    monkeypatch.setattr(ht._Kernel, "assets_shown", shown)


def test_in_a_kernel_only_the_first_table_carries_the_assets(monkeypatch):
    _in_kernel(monkeypatch)
    df = pd.DataFrame({"a": range(30)})
    first, second = ht.table_html(df, "one"), ht.table_html(df, "two")
    script = ht.sortable_script("fix-first")
    assert first.count(ht.SORT_JS) == 1 and first.count('<style id="m254-table-css">') == 1
    for later in (second, script):
        assert ht.SORT_JS not in later and "m254-table-css" not in later
        assert later.count("<script>") == 1 and "window.m254Sort" in later
    # the big part once, each later table a call of about 200 bytes
    assert len(second) - len(first) < -3000
    assert len(script) < 250


def test_outside_a_kernel_every_fragment_is_complete_unless_told(monkeypatch):
    monkeypatch.setattr(ht, "_in_kernel", lambda: False)
    df = pd.DataFrame({"a": [1]})
    assert all(ht.SORT_JS in ht.table_html(df, "t") for _ in range(2))
    assert ht.SORT_JS in ht.sortable_script("x")
    bare = ht.table_html(df, "t", assets=False)
    assert ht.SORT_JS not in bare and "<style" not in bare
    _in_kernel(monkeypatch, shown=True)
    assert ht.SORT_JS in ht.table_html(df, "t", assets=True)


def test_assets_come_out_of_a_fragment_and_go_in_once():
    page = ht.table_assets()
    assert page.count(ht.SORT_JS) == 1 and page.startswith('<style id="m254-table-css">')
    fragment = ht.sortable_script("fix-first", assets=True) + ht.table_html(pd.DataFrame({"a": [1]}), "t", assets=True)
    stripped = ht.without_table_assets(fragment)
    assert ht.SORT_JS not in stripped and "m254-table-css" not in stripped
    assert stripped.count("<script>") == 2 and 'getElementById("fix-first")' in stripped
    # the script defines the sorter only when the page has none yet
    assert ht.SORT_JS.startswith("if(!window.m254Sort){")
