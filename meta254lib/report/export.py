"""One executed report notebook rendered as one offline HTML page (nbconvert's lab template, ours on top).

Code cells are hidden; markdown, tables and figures stay; stderr noise is dropped. No page references
a CDN: require.js, MathJax and mermaid are left out, and plotly.js and the stylesheet are the shared
files of ``assets/`` (:mod:`meta254lib.report.assets`). nbconvert is imported only inside functions
(it costs about 0.7 s); call :func:`warm_up` from a thread to pay that while kernels run.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from ..views.display import FIGURE_MIMETYPE, HEADLINE_MIMETYPE, TABLE_MIMETYPE
from ..views.escape import html_escape
from ..views.plotly_html import load_plotly
from .figures import convert_figures
from .page_html import TOC_PLACEHOLDER, footer_html, header_html, page_toc, strip_remote
from .page_model import PageContext
from .tables import code_outputs

__all__ = ["defer_figure_scripts", "export_page", "page_copy", "warm_up"]

TEMPLATE_FILE = "meta254_page.html.j2"
TEMPLATES = Path(__file__).resolve().parent / "templates"
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"

_exporter_lock = threading.RLock()
_exporter_instance: Any = None


def _exporter() -> Any:
    """The configured HTMLExporter, built once (callers hold ``_exporter_lock`` while using it)."""
    global _exporter_instance
    with _exporter_lock:
        if _exporter_instance is not None:
            return _exporter_instance
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        exporter = HTMLExporter(
            # pygments CSS is for code cells, which pages hide
            config=Config({"CSSHTMLHeaderPreprocessor": {"enabled": False}}),
            template_name="lab",
            template_file=TEMPLATE_FILE,
            extra_template_paths=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        _exporter_instance = exporter
        return exporter


def warm_up() -> None:
    """Import nbconvert and plotly.io, build the exporter and compile its template (about 1 s, once)."""
    load_plotly()
    with _exporter_lock:
        assert _exporter().template is not None  # compiles and caches the Jinja template


def _clean_for_html(nb: Any, title: str) -> None:
    """Drop what a reviewer should not see: papermill's error banner, stderr, empty code cells.

    The notebook's own top heading is dropped when it repeats the page title shown in the header.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown" or _PAPERMILL_ERROR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        lines = cell.source.splitlines()
        if lines and lines[0].startswith("# ") and lines[0][2:].strip() == title:
            cell.source = "\n".join(lines[1:]).lstrip("\n")
        break
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if _PAPERMILL_ERROR_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and HEADLINE_MIMETYPE not in o.get("data", {})  # the header shows the headline
            ]
            if not cell.outputs:
                continue
        elif cell.cell_type == "markdown" and not cell.source.strip():
            continue
        cells.append(cell)
    nb.cells = cells


#: An inline script's opening tag (no ``src``), as plotly.io writes it.
_SCRIPT_OPEN = re.compile(r"<script(?![^>]*\bsrc=)(\s[^>]*)?>")
_ON_READY = 'document.addEventListener("DOMContentLoaded",function(){'


def defer_figure_scripts(nb: Any) -> int:
    """Run every figure's inline script on ``DOMContentLoaded``, after the deferred plotly.js; return the count.

    Pages load plotly.js with ``defer`` so their text paints before the 4.9 MB bundle is parsed; a
    deferred script runs before ``DOMContentLoaded``, so figures drawn then find ``Plotly`` defined.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {FIGURE_MIMETYPE: {}, "text/html":
    ...        '<div id="f"></div><script>Plotly.newPlot("f",[])</script>'}}
    >>> defer_figure_scripts({"cells": [{"cell_type": "code", "outputs": [out]}]})
    1
    >>> out["data"]["text/html"].split("<script")[1]
    '>document.addEventListener("DOMContentLoaded",function(){Plotly.newPlot("f",[])});</script>'
    """
    n = 0
    for out in code_outputs(nb):
        data = out.get("data", {})
        html = data.get("text/html")
        found = _SCRIPT_OPEN.search(html) if FIGURE_MIMETYPE in data and isinstance(html, str) else None
        if found is None or _ON_READY in html:
            continue
        body, _, tail = html[found.end() :].partition("</script>")
        data["text/html"] = f"{html[: found.end()]}{_ON_READY}{body}}});</script>{tail}"
        n += 1
    return n


def page_copy(nb: Any) -> Any:
    """A copy of an executed notebook that :func:`export_page` may modify, without the table exports.

    Cells, outputs and their ``data`` dicts are new; the values inside ``data`` (a figure's spec, an
    HTML string) are shared, not copied, and the rows of a table (:data:`TABLE_MIMETYPE`, 507,000 rows
    at 10,000 services), which the page never shows, are left out.

    Examples
    --------
    >>> spec = {"data": [], "layout": {}}
    >>> out = {"output_type": "display_data", "metadata": {},
    ...        "data": {FIGURE_MIMETYPE: spec, TABLE_MIMETYPE: {"data": [[1]]}, "text/plain": "x"}}
    >>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
    ...       "cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": [out]}]}
    >>> c = page_copy(nb)
    >>> c.cells[0].outputs[0].data[FIGURE_MIMETYPE] is spec, sorted(c.cells[0].outputs[0].data)
    (True, ['application/vnd.plotly.v1+json', 'text/plain'])
    >>> c.cells[0].outputs is out, TABLE_MIMETYPE in out["data"]
    (False, True)
    """
    from nbformat import NotebookNode, from_dict

    def output(o: Any) -> Any:
        data = o.get("data")
        copied = from_dict({k: v for k, v in o.items() if k != "data"})
        if isinstance(data, dict):
            copied["data"] = NotebookNode({k: v for k, v in data.items() if k != TABLE_MIMETYPE})
        return copied

    def cell(c: Any) -> Any:
        copied = from_dict({k: v for k, v in c.items() if k != "outputs"})
        if "outputs" in c:
            copied["outputs"] = [output(o) for o in c["outputs"]]
        return copied

    top = from_dict({k: v for k, v in nb.items() if k != "cells"})
    top["cells"] = [cell(c) for c in nb.get("cells", [])]
    return top


def export_page(nb: Any, ctx: PageContext) -> str:
    """Render an executed notebook as one offline report page.

    The notebook is not modified (the page works on :func:`page_copy`). Figures are converted without
    inlining plotly.js: the page loads
    ``<assets_href>plotly.min.js`` with ``defer`` (written once per report by :func:`write_assets`), and
    each figure draws on ``DOMContentLoaded`` (:func:`defer_figure_scripts`).

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (read with nbformat).
    ctx : PageContext
        Title, as-of date, navigation and failure of the page.

    Returns
    -------
    str
        The HTML document.
    """
    nb = page_copy(nb)
    _clean_for_html(nb, ctx.title)
    n_figures = convert_figures(nb, inline_plotlyjs=False)
    defer_figure_scripts(nb)
    nb.metadata["title"] = ctx.title
    resources = {
        "meta254": {
            "assets": html_escape(ctx.assets_href),
            "plotly": n_figures > 0,
            "header": header_html(ctx),
            "footer": footer_html(ctx),
        }
    }
    with _exporter_lock:
        html, _ = _exporter().from_notebook_node(nb, resources=resources)
    html = html.replace(TOC_PLACEHOLDER, page_toc(html, ctx.title), 1)
    return strip_remote(html)
