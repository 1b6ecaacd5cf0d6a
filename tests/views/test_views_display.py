"""meta254lib.views.display: escaping, table/figure/headline bundles, plain-text fallback outside a kernel."""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

import meta254lib as m
from meta254lib.views import display as d
from meta254lib.views import escape as esc
from meta254lib.views import html_table as ht

XSS = "<script>alert(1)</script>"


def test_public_api_is_exported():
    exported = [(d, "show_headline"), (d, "show_table"), (d, "show_figure"), (d, "show_markdown")]
    exported += [(esc, "md_escape"), (esc, "html_escape")]
    for mod, name in exported:
        assert getattr(m, name) is getattr(mod, name)
        assert name in m.__all__


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (XSS, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a \"quoted\" & 'single'", "a &quot;quoted&quot; &amp; &#x27;single&#x27;"),
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
        (12, "12"),
    ],
)
def test_html_escape(value, expected):
    assert esc.html_escape(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (XSS, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
        ("**bold** _it_ `code` a|b ~x~", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` a\\|b \\~x\\~"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("3. third", "3\\. third"),
        ("2025-10-06", "2025-10-06"),
        ("v1.2.3", "v1.2.3"),
        ("line one\nline two", "line one line two"),
        ("a & b", "a &amp; b"),
        (None, ""),
    ],
)
def test_md_escape(value, expected):
    assert esc.md_escape(value) == expected


def test_md_escape_renders_as_the_literal_text():
    """Through nbconvert's own Markdown renderer, an escaped hostile string is text, not markup."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    hostile = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **b** # h"
    html = markdown2html_mistune(esc.md_escape(hostile))
    assert "<img" not in html and "<a " not in html and "<strong>" not in html
    text = re.sub(r"<[^>]+>", "", html).strip()
    assert text.replace("&lt;", "<").replace("&gt;", ">") == hostile


def test_table_slug():
    assert esc.table_slug("Drift issues (open) / by team") == "drift-issues-open-by-team"
    assert esc.table_slug(XSS) == "script-alert-1-script"
    assert esc.table_slug("") == "table"


def _bundle(df, name="t", caption=None, max_rows=ht.MAX_ROWS):
    """A table bundle; ``max_rows=None`` is show_table's default (whole up to FULL_TABLE_ROWS)."""
    return d._table_bundle(df, name, caption, max_rows)


def test_table_escapes_every_string():
    df = pd.DataFrame({XSS: [XSS, "ok"], "n": [1, 2]})
    html = _bundle(df, name=XSS, caption=XSS)["text/html"]
    assert "<script>alert" not in html
    # cell, column name, caption, data-name and aria-label: all escaped
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert 'data-name="&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_every_table_sorts_and_only_large_tables_filter():
    small = _bundle(pd.DataFrame({"a": range(ht.INTERACTIVE_MIN_ROWS)}))["text/html"]
    large = _bundle(pd.DataFrame({"a": range(ht.INTERACTIVE_MIN_ROWS + 1)}))["text/html"]
    assert small.count("<script>") == 1 and "window.m254Sort(table)" in small
    assert 'class="m254-filter"' not in small
    assert large.count("<script>") == 1
    assert 'class="m254-filter"' in large
    assert f'<span class="m254-count">{ht.INTERACTIVE_MIN_ROWS + 1} rows</span>' in large


def test_large_table_is_truncated_with_a_count_but_exported_whole():
    df = pd.DataFrame({"service": [f"s{i}" for i in range(1234)], "score": [i / 3 for i in range(1234)]})
    bundle = _bundle(df, name="Scores", max_rows=100)
    html = bundle["text/html"]
    assert html.count("<tr>") == 101  # header + 100 rows
    assert "100 of 1,234 rows shown — full table: " in html
    assert '<a class="m254-full-table" href="scores.csv">scores.csv</a>' in html
    assert html.endswith("</p></div>")  # the note sits inside the table's block
    payload = bundle[d.TABLE_MIMETYPE]
    assert payload["total_rows"] == 1234
    assert len(payload["data"]) == 1234
    assert payload["data"][3] == ["s3", 1.0]
    assert payload["columns"] == ["service", "score"]
    assert payload["dtypes"] == ["str", "float64"]


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({"rank": range(n, 0, -1), "service": [f"svc-{i:06}" for i in range(n)]})


def test_sample_size_tables_show_every_row():
    """The sample's largest table (1,123 rows) and anything up to FULL_TABLE_ROWS is shown whole."""
    assert d.FULL_TABLE_ROWS >= 1123
    for n in (1123, d.FULL_TABLE_ROWS):
        html = _bundle(_rows(n), max_rows=None)["text/html"]
        assert html.count("<tr>") == n + 1
        assert "m254-truncated" not in html and "rows shown — full table" not in html


def test_fleet_size_tables_show_their_top_rows_and_link_the_full_table():
    n = d.FULL_TABLE_ROWS + 1
    bundle = _bundle(_rows(n), name="Fleet <x>", caption="cap", max_rows=None)
    html = bundle["text/html"]
    assert html.count("<tr>") == d.TOP_ROWS + 1
    # the top rows in the table's own order, not re-sorted
    cells = re.findall(r"<td[^>]*>(svc-\d+)</td>", html)
    assert cells == [f"svc-{i:06}" for i in range(d.TOP_ROWS)]
    assert f"{d.TOP_ROWS} of {n:,} rows shown — full table: " in html
    assert 'href="fleet-x.csv"' in html and "<x>" not in html
    # counts come from the full table: the plain text and the export hold every row
    assert bundle["text/plain"].startswith(f"Fleet <x>: {n} rows x 2 columns (cap); {d.TOP_ROWS} shown")
    assert len(bundle[d.TABLE_MIMETYPE]["data"]) == bundle[d.TABLE_MIMETYPE]["total_rows"] == n


def test_links_of_a_truncated_table_follow_its_rows():
    n = d.FULL_TABLE_ROWS + 5
    links = {"service": [f"https://x.test/{i}" for i in range(n)]}
    html = d._table_bundle(_rows(n), "t", None, None, links)["text/html"]
    assert html.count('href="https://x.test/') == d.TOP_ROWS
    assert 'href="https://x.test/0"' in html and f'href="https://x.test/{d.TOP_ROWS}"' not in html


@pytest.mark.parametrize(
    ("total", "max_rows", "shown"), [(0, None, 0), (1500, None, 1500), (1501, None, 200), (10, 3, 3), (10, -1, 10)]
)
def test_shown_rows(total, max_rows, shown):
    assert d.shown_rows(total, max_rows) == shown


def test_table_values_formatting_and_sort_keys():
    df = pd.DataFrame(
        {
            "when": pd.to_datetime(["2025-10-06T00:00:00Z", "2025-10-06T06:30:00Z"], utc=True),
            "x": [1.23456, float("nan")],
            "k": pd.array([3, None], dtype="Int64"),
            "ok": [True, False],
            "deps": [("a", "b"), ()],
        }
    )
    bundle = _bundle(df)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", bundle["text/html"])
    assert cells == ["2025-10-06", "1.2", "3", "true", "a, b", "2025-10-06 06:30 UTC", "", "", "false", ""]
    assert 'data-v="1.23456"' in bundle["text/html"]
    assert bundle[d.TABLE_MIMETYPE]["data"] == [
        ["2025-10-06T00:00:00+00:00", 1.23456, 3, True, ["a", "b"]],
        ["2025-10-06T06:30:00+00:00", None, None, False, []],
    ]
    json.dumps(bundle[d.TABLE_MIMETYPE])  # JSON-safe


def test_table_ids_are_unique():
    a = ht.table_html(pd.DataFrame({"a": [1]}), "same")
    b = ht.table_html(pd.DataFrame({"a": [1]}), "same")
    ida = re.search(r'id="([^"]+)"', a).group(1)
    idb = re.search(r'id="([^"]+)"', b).group(1)
    assert ida != idb and ida.endswith("-same")


def test_headline_bundle_collapses_whitespace_and_escapes():
    b = d._headline_bundle(f"3 drifted\n  {XSS}")
    assert b[d.HEADLINE_MIMETYPE] == {"text": f"3 drifted {XSS}"}
    assert b["text/html"] == '<p class="m254-headline">3 drifted &lt;script&gt;alert(1)&lt;/script&gt;</p>'


def test_figure_bundle_uses_plotly_mimetype_without_html():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"title": {"text": "T"}})
    b = d._figure_bundle(fig)
    assert set(b) == {"text/plain", d.FIGURE_MIMETYPE}
    assert b["text/plain"] == "<figure T: 1 trace(s)>"
    assert b[d.FIGURE_MIMETYPE]["data"][0]["y"] == [1, 2]
    assert b[d.FIGURE_MIMETYPE]["data"][0]["type"] == "bar"


def test_show_functions_print_plain_text_outside_a_kernel(capsys):
    d.show_headline("h")
    d.show_markdown("**m**")
    d.show_table(pd.DataFrame({"a": [1, 2]}), "t", caption="c")
    d.show_figure(go.Figure(), "f")
    assert capsys.readouterr().out.splitlines() == [
        "h",
        "**m**",
        "t: 2 rows x 1 columns (c)",
        " a",
        " 1",
        " 2",
        "<figure f: 0 trace(s)>",
    ]


def test_import_meta254lib_does_not_import_heavy_display_deps():
    import subprocess
    import sys

    code = "import sys, meta254lib; print(sorted(m for m in ('plotly', 'nbconvert', 'papermill') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
