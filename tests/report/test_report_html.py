"""meta254lib.report export, page_html, figures, tables, assets: offline pages from executed notebooks
(no kernel needed: outputs are inline)."""

from __future__ import annotations

import nbformat
import pandas as pd
import plotly.graph_objects as go
import pytest

from meta254lib.report import assets, export, figures, page_html
from meta254lib.report.page_model import FailureInfo, PageContext
from meta254lib.report.tables import page_headline, page_tables, strip_table_data, table_to_csv
from meta254lib.views import display as d

XSS = "<script>alert(1)</script>"


def _executed_notebook() -> nbformat.NotebookNode:
    """What a kernel leaves behind: a headline, a table, a figure, markdown, stderr noise."""
    nb = nbformat.v4.new_notebook()
    table = d._table_bundle(pd.DataFrame({"service": [XSS, "b"], "n": [1, 2]}), "Services", "cap")
    figure = d._figure_bundle(go.Figure(go.Bar(x=[XSS, "b"], y=[1, 2])), "bars")
    code = nbformat.v4.new_code_cell("hidden_code_marker = 1")
    code.outputs = [
        nbformat.v4.new_output("display_data", data=d._headline_bundle(f"2 services incl. {XSS}")),
        nbformat.v4.new_output("display_data", data=table),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: noise\n"),
        nbformat.v4.new_output("display_data", data=figure),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# The title\n\nIntro."),
        nbformat.v4.new_markdown_cell("## First section\n\ntext\n\n### Sub <b>part</b>"),
        code,
        nbformat.v4.new_code_cell("no_output = 2"),
    ]
    return nb


@pytest.fixture(scope="module")
def page() -> str:
    ctx = PageContext(
        title="The title",
        as_of="2025-10-10",
        meta=(("workspace", XSS),),
        nav=(("The title", "p.html", True), (XSS, "q.html", False)),
        headline=page_headline(_executed_notebook()),
    )
    return export.export_page(_executed_notebook(), ctx)


def test_page_has_no_network_references(page):
    assert page_html.find_remote_references(page) == []
    for needle in ("cdnjs", "require.js", "require.min.js", "mathjax", "cdn.plot.ly", "unpkg", "jsdelivr"):
        assert needle not in page.lower()


def test_page_loads_the_shared_plotly_and_draws_the_figure(page):
    assert page.count('<script charset="utf-8" defer="" src="assets/plotly.min.js"></script>') == 1
    assert '<link href="assets/meta254.css" rel="stylesheet"/>' in page
    assert 'id="m254-fig-1"' in page and "Plotly.newPlot" in page
    assert '"displaylogo": false' in page


def test_page_hides_code_stderr_and_repeated_title(page):
    assert "hidden_code_marker" not in page and "no_output" not in page
    assert "FutureWarning" not in page
    assert page.count("The title") == 4  # <title>, header, nav (current page), footer; not the notebook's H1
    assert 'id="The-title"' not in page


def test_page_header_toc_and_escaping(page):
    assert '<div class="m254-title">The title</div>' in page
    assert "<span>As of 2025-10-10</span>" in page
    assert '<p class="m254-headline">2 services incl. &lt;script&gt;alert(1)&lt;/script&gt;</p>' in page
    assert (
        '<ol><li class="m254-toc-2"><a href="#First-section">First section</a>'
        '<ul><li class="m254-toc-3"><a href="#Sub-part">Sub part</a></li></ul></li></ol>'
    ) in page
    assert "<script>alert(1)" not in page
    # escaped in the nav, the meta line and the table; inside the figure JSON as \u003c
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert "\\u003cscript\\u003ealert(1)" in page


def test_failure_panel():
    failure = FailureInfo(
        message=f"KeyError: {XSS}",
        cell_index=4,
        cell_source="x = ws.services['nope']",
        traceback="\x1b[31mKeyError\x1b[0m",
        inputs=(("workspace", "/w"), ("as_of", "None")),
    )
    html = export.export_page(_executed_notebook(), PageContext(title="T", as_of="2025-10-10", failure=failure))
    assert '<section class="m254-failure" role="alert"><h2>This page failed</h2>' in html
    assert "<code>KeyError: &lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    assert "<strong>Failing cell (In [4]):</strong>" in html
    assert "<pre>x = ws.services['nope']</pre>" in html
    assert "<dt>workspace</dt><dd>/w</dd><dt>as_of</dt><dd>None</dd>" in html
    assert failure.one_line() == f"KeyError: {XSS}"


def test_remote_references_are_stripped():
    html = '<head><script src="https://cdn.example/x.js"></script><link href="//fonts.example/a.css"></head>'
    assert len(page_html.find_remote_references(html)) == 2
    assert page_html.find_remote_references(page_html.strip_remote(html)) == []


def test_preprocessor_for_nbconvert_inlines_plotly_once():
    from nbconvert import HTMLExporter

    nb = _executed_notebook()
    nb.cells[2].outputs.append(nbformat.v4.new_output("display_data", data=d._figure_bundle(go.Figure(), "f2")))
    exporter = HTMLExporter(template_name="lab", preprocessors=[figures.PlotlyOfflinePreprocessor])
    html, resources = exporter.from_notebook_node(nb)
    assert resources["meta254_figures"] == 2
    assert html.count("plotly.js v") == 1  # the inlined bundle's banner, once
    assert 'id="m254-fig-2"' in html


def test_table_exports_round_trip():
    nb = _executed_notebook()
    tables = page_tables(nb)
    assert [t["slug"] for t in tables] == ["services"]
    assert table_to_csv(tables[0]) == f"service,n\n{XSS},1\nb,2\n"
    assert strip_table_data(nb, {0: "tables/p/services.json"}) == 1
    assert page_tables(nb) == []


def test_site_css_and_plotly_js_are_offline():
    assert "http" not in assets.site_css()
    assert "url(" not in assets.site_css()


def test_export_leaves_the_notebook_as_it_was_and_never_copies_table_rows():
    """export_page works on page_copy: new cells and outputs, shared values, no table rows."""
    import copy

    nb = _executed_notebook()
    before = copy.deepcopy(nb)
    html = export.export_page(nb, PageContext(title="The title", as_of="2025-10-10"))
    assert nb == before  # the figure spec is shared with the copy and left as it was
    assert 'id="m254-fig-1"' in html and "m254-table" in html
    light = export.page_copy(nb)
    table_out, figure_out = nb.cells[2].outputs[1], nb.cells[2].outputs[3]
    assert d.TABLE_MIMETYPE in table_out.data and d.TABLE_MIMETYPE not in light.cells[2].outputs[1].data
    assert light.cells[2].outputs[3].data[d.FIGURE_MIMETYPE] is figure_out.data[d.FIGURE_MIMETYPE]
    assert light.cells[2].outputs is not nb.cells[2].outputs and light.metadata is not nb.metadata
