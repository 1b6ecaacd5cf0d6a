"""Offline HTML pages from executed report notebooks.

An executed notebook becomes one reviewer-grade page:

- code cells are hidden; markdown, tables and figures stay; stderr noise is dropped;
- plotly figures, which a kernel emits only as ``application/vnd.plotly.v1+json`` (nbconvert drops
  that mimetype), are converted to HTML by :class:`PlotlyOfflinePreprocessor`;
- no page references a CDN: require.js, MathJax and mermaid are left out, and plotly.js and the
  stylesheets are shared files in an ``assets/`` folder referenced by relative path (one copy of
  the 4.8 MB plotly.js per report folder, see :func:`write_assets`);
- each page has a header with navigation back to the index, its title, the as-of date, the
  headline and a table of contents built from its headings; a failed page shows the failing cell,
  the error and the inputs of the run at the top.

Every value this module puts into HTML is escaped with :func:`meta254lib.views.display.html_escape`.
nbconvert is imported only inside functions (it costs about 0.7 s); call :func:`warm_up` from a
thread to pay that while kernels run.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..views.display import (
    FIGURE_MIMETYPE,
    HEADLINE_MIMETYPE,
    TABLE_MIMETYPE,
    html_escape,
    table_slug,
)

__all__ = [
    "ASSETS_DIR",
    "FailureInfo",
    "PageContext",
    "PlotlyOfflinePreprocessor",  # noqa: F822 (built on first use by __getattr__)
    "clean_traceback",
    "convert_figures",
    "error_page",
    "export_page",
    "find_remote_references",
    "page_headline",
    "page_tables",
    "plotly_js",
    "render_index",
    "site_css",
    "strip_table_data",
    "table_to_csv",
    "table_to_json",
    "warm_up",
    "write_assets",
]

ASSETS_DIR = "assets"
PLOTLY_JS = "plotly.min.js"
SITE_CSS = "meta254.css"
TEMPLATE_FILE = "meta254_page.html.j2"
TEMPLATES = Path(__file__).resolve().parent / "templates"
TOC_PLACEHOLDER = "<!--m254:toc-->"
#: Height of a figure whose layout sets none.
FIGURE_HEIGHT = 460
#: Plotly config for every exported figure: no plotly logo link, resizes with the page.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


@dataclass(frozen=True)
class FailureInfo:
    """Why a page failed: the cell, the error and the inputs of the run.

    Parameters
    ----------
    message : str
        The error, as ``ExceptionName: message``.
    cell_index : int or None
        Index of the failing cell in the executed notebook, when known.
    cell_source : str
        The failing cell's source ("" when unknown).
    traceback : str
        The traceback, ANSI colours removed.
    inputs : tuple of (str, str)
        The run's parameters and any input file named by the error, as (label, value) pairs.
    """

    message: str
    cell_index: int | None = None
    cell_source: str = ""
    traceback: str = ""
    inputs: tuple[tuple[str, str], ...] = ()

    def one_line(self) -> str:
        """The message on one line, at most 200 characters.

        Examples
        --------
        >>> FailureInfo("KeyError: 'team'\\nmore").one_line()
        "KeyError: 'team' more"
        """
        text = " ".join(self.message.split())
        return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class PageContext:
    """What a page needs to know about the report around it.

    Parameters
    ----------
    title : str
        The page title.
    as_of : str
        The as-of date shown under the title.
    index_href : str
        Relative link to the report's index.
    assets_href : str
        Relative path of the shared assets folder, ending with ``/``.
    meta : tuple of (str, str)
        Extra (label, value) pairs shown under the title (workspace, team, version).
    nav : tuple of (str, str, bool)
        The report's pages as (label, href, is_current), for the navigation bar.
    failure : FailureInfo or None
        Set when the page failed.
    """

    title: str
    as_of: str
    index_href: str = "index.html"
    assets_href: str = f"{ASSETS_DIR}/"
    meta: tuple[tuple[str, str], ...] = ()
    nav: tuple[tuple[str, str, bool], ...] = ()
    failure: FailureInfo | None = None
    headline: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- reading what a page showed -----------------------------------------------------------------


def _outputs(nb: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            yield from cell.get("outputs", [])


def page_headline(nb: Mapping[str, Any]) -> str | None:
    """The headline a notebook recorded with ``show_headline`` (the last one), or None.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [
    ...     {"output_type": "display_data", "data": {HEADLINE_MIMETYPE: {"text": "3 drifted"}}}]}]}
    >>> page_headline(nb)
    '3 drifted'
    >>> page_headline({"cells": []}) is None
    True
    """
    found = None
    for out in _outputs(nb):
        payload = out.get("data", {}).get(HEADLINE_MIMETYPE)
        if isinstance(payload, Mapping) and payload.get("text") is not None:
            found = str(payload["text"])
    return found


def page_tables(nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tables a notebook showed with ``show_table``, in order, with unique ``slug`` values.

    A slug used twice gets ``-2``, ``-3``... appended.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {TABLE_MIMETYPE: {"name": "A b", "columns": ["x"],
    ...        "data": [[1]], "total_rows": 1}}}
    >>> [t["slug"] for t in page_tables({"cells": [{"cell_type": "code", "outputs": [out, out]}]})]
    ['a-b', 'a-b-2']
    """
    tables: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for out in _outputs(nb):
        payload = out.get("data", {}).get(TABLE_MIMETYPE)
        if not isinstance(payload, Mapping) or "data" not in payload:
            continue
        base = table_slug(payload.get("name", "table"))
        seen[base] = seen.get(base, 0) + 1
        slug = base if seen[base] == 1 else f"{base}-{seen[base]}"
        tables.append({**payload, "slug": slug})
    return tables


def strip_table_data(nb: Any, exported: Mapping[int, str]) -> int:
    """Replace the rows (and the HTML rendering) of every table output by the path of its export.

    The executed notebook kept for audit then stays small: the rows live in the CSV/JSON files,
    the rendered table in the page; the output keeps its plain-text preview (first rows).

    Parameters
    ----------
    nb : NotebookNode or dict
        The executed notebook; modified in place.
    exported : mapping of int to str
        Position of the table (in :func:`page_tables` order) to the relative path of its JSON export.

    Returns
    -------
    int
        The number of tables stripped.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {TABLE_MIMETYPE: {"name": "a", "data": [[1]]}}}
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [out]}]}
    >>> strip_table_data(nb, {0: "tables/p/a.json"}), out["data"][TABLE_MIMETYPE]
    (1, {'name': 'a', 'exported': 'tables/p/a.json'})
    >>> out["data"]["text/html"]
    '<p class="m254-exported">Table a: 1 rows, exported as tables/p/a.csv and .json</p>'

    """
    n = 0
    for out in _outputs(nb):
        payload = out.get("data", {}).get(TABLE_MIMETYPE)
        if not isinstance(payload, dict) or "data" not in payload:
            continue
        if n in exported:
            rows = len(payload["data"])
            del payload["data"]
            payload["exported"] = exported[n]
            base = exported[n].rsplit(".", 1)[0]
            out["data"]["text/html"] = (
                f'<p class="m254-exported">Table {html_escape(payload.get("name", ""))}: {rows:,} rows, '
                f"exported as {html_escape(base)}.csv and .json</p>"
            )
        n += 1
    return n


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def table_to_csv(table: Mapping[str, Any]) -> str:
    """A recorded table as CSV text (header row, then every row; lists as JSON).

    Examples
    --------
    >>> print(table_to_csv({"columns": ["a", "b"], "data": [[1, None], ["x,y", ["p", "q"]]]}), end="")
    a,b
    1,
    "x,y","[""p"", ""q""]"
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["data"]:
        writer.writerow([_csv_value(v) for v in row])
    return buf.getvalue()


def table_to_json(table: Mapping[str, Any]) -> str:
    """A recorded table as JSON: name, caption, columns, dtypes, row count and the rows as arrays.

    Each row is an array in column order (half the size of one object per row). Rows keep their
    shown order, so the same table gives the same bytes.

    Examples
    --------
    >>> print(table_to_json({"name": "t", "columns": ["a", "b"], "dtypes": ["int64", "str"],
    ...                      "data": [[1, "x"], [2, None]]}))
    {"caption": null, "columns": ["a", "b"], "dtypes": ["int64", "str"], "name": "t", "row_count": 2,
     "rows": [
      [1, "x"],
      [2, null]
     ]}
    """
    head = {
        "caption": table.get("caption"),
        "columns": list(table["columns"]),
        "dtypes": list(table.get("dtypes", [])),
        "name": table.get("name"),
        "row_count": len(table["data"]),
    }
    body = json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1]
    rows = ",\n  ".join(json.dumps(row, ensure_ascii=False) for row in table["data"])
    return f'{body},\n "rows": [\n  {rows}\n ]}}' if rows else f'{body},\n "rows": []}}'


# --- plotly -------------------------------------------------------------------------------------


def _figure_html(spec: Mapping[str, Any], div_id: str, include_plotlyjs: bool) -> str:
    import plotly.io as pio

    return pio.to_html(
        dict(spec),
        config={**FIGURE_CONFIG, **(spec.get("config") or {})},
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        default_width="100%",
        default_height=FIGURE_HEIGHT,
        validate=False,
    )


def convert_figures(nb: Any, *, inline_plotlyjs: bool = False, id_prefix: str = "m254-fig") -> int:
    """Give every plotly output a ``text/html`` rendering, in place; return the number of figures.

    Parameters
    ----------
    nb : NotebookNode or dict
        The notebook; outputs with the plotly mimetype and no ``text/html`` get one.
    inline_plotlyjs : bool, default False
        Inline plotly.js before the first figure (a standalone file of about 4.9 MB). When False the
        page must load plotly.js itself (the report's pages load the shared ``assets/plotly.min.js``).
    id_prefix : str
        Prefix of the figure ``div`` ids, which are numbered so the output is deterministic.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {FIGURE_MIMETYPE: {"data": [{"type": "bar",
    ...        "y": [1]}], "layout": {}}}}
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [out]}]}
    >>> convert_figures(nb), 'id="m254-fig-1"' in out["data"]["text/html"]
    (1, True)
    """
    n = 0
    for out in _outputs(nb):
        data = out.get("data", {})
        spec = data.get(FIGURE_MIMETYPE)
        if spec is None or "text/html" in data:
            continue
        n += 1
        data["text/html"] = _figure_html(spec, f"{id_prefix}-{n}", inline_plotlyjs and n == 1)
    return n


def _preprocessor_class() -> type:
    from nbconvert.preprocessors import Preprocessor
    from traitlets import Bool

    class _PlotlyOfflinePreprocessor(Preprocessor):
        """nbconvert preprocessor: plotly mimetype outputs → offline HTML (plotly.js inlined once).

        Use from the command line with
        ``--Exporter.preprocessors=meta254lib.report.htmlexport.PlotlyOfflinePreprocessor``.
        """

        inline_plotlyjs = Bool(True, help="Inline plotly.js before the first figure.").tag(config=True)

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            resources["meta254_figures"] = convert_figures(nb, inline_plotlyjs=self.inline_plotlyjs)
            return nb, resources

    _PlotlyOfflinePreprocessor.__name__ = "PlotlyOfflinePreprocessor"
    _PlotlyOfflinePreprocessor.__qualname__ = "PlotlyOfflinePreprocessor"
    return _PlotlyOfflinePreprocessor


def __getattr__(name: str) -> Any:
    # PlotlyOfflinePreprocessor subclasses an nbconvert class; build it on first use so that
    # importing this module does not import nbconvert.
    if name == "PlotlyOfflinePreprocessor":
        cls = _preprocessor_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- assets -------------------------------------------------------------------------------------

_SITE_CSS = """
body.jp-Notebook, body.m254-index { background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 0 24px 48px 24px; box-sizing: border-box; }
body.m254-index { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif;
  font-size: 14px; line-height: 1.5; color: #1f2328; margin: 0; }
.m254-nav { position: sticky; top: 0; z-index: 10; background: #24292f; color: #fff; margin: 0 -24px 0 -24px;
  padding: 6px 24px; font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
.m254-nav a { color: #d0d7de; text-decoration: none; }
.m254-nav a:hover { color: #fff; text-decoration: underline; }
.m254-nav .m254-current { color: #fff; font-weight: 600; }
.m254-nav .m254-home { color: #fff; font-weight: 600; margin-right: 8px; }
.m254-page-header { border-bottom: 1px solid #d0d7de; padding: 14px 0 10px 0; margin-bottom: 10px; }
.m254-page-header .m254-title { font-size: 26px; font-weight: 600; margin: 0 0 4px 0; line-height: 1.25; }
.m254-meta { color: #57606a; font-size: 13px; margin: 2px 0; }
.m254-meta span + span::before { content: " · "; }
p.m254-headline { font-size: 17px; font-weight: 600; color: #0b4f8a; margin: 8px 0; }
.m254-toc { font-size: 13px; margin: 8px 0 0 0; }
.m254-toc ol { margin: 4px 0 0 0; padding-left: 22px; }
.m254-toc ol.m254-toc-long { columns: 2; column-gap: 32px; }
.m254-toc ul { margin: 0; padding-left: 18px; list-style-type: circle; }
.m254-toc li { break-inside: avoid; }
.m254-toc li.m254-toc-lead { list-style: none; }
.m254-failure { border: 2px solid #cf222e; background: #fff5f5; border-radius: 6px; padding: 10px 16px;
  margin: 12px 0; }
.m254-failure h2 { color: #cf222e; margin: 0 0 6px 0; font-size: 18px; }
.m254-failure pre { background: #fff; border: 1px solid #e5c7c7; padding: 8px; overflow: auto;
  max-height: 24em; font-size: 12px; white-space: pre-wrap; }
.m254-failure dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
.m254-failure dt { font-weight: 600; }
.m254-failure dd { margin: 0; font-family: monospace; overflow-wrap: anywhere; }
.m254-status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.m254-status-ok { background: #dafbe1; color: #116329; }
.m254-status-failed { background: #ffebe9; color: #a40e26; }
.m254-banner { padding: 8px 14px; border-radius: 6px; margin: 10px 0; font-weight: 600; }
.m254-banner-ok { background: #dafbe1; color: #116329; }
.m254-banner-failed { background: #ffebe9; color: #a40e26; }
table.m254-pages { border-collapse: collapse; width: 100%; font-size: 14px; }
table.m254-pages th, table.m254-pages td { border-bottom: 1px solid #e5e7eb; padding: 6px 8px; text-align: left;
  vertical-align: top; }
table.m254-pages th { background: #f6f8fa; }
table.m254-pages td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.m254-params { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.m254-params dt { font-weight: 600; }
dl.m254-params dd { margin: 0; overflow-wrap: anywhere; }
.m254-footer { color: #57606a; font-size: 12px; border-top: 1px solid #d0d7de; margin-top: 24px; padding-top: 8px; }
.m254-nav, .m254-page-header, .m254-footer, .m254-failure { font-family: -apple-system, BlinkMacSystemFont,
  "Segoe UI", Helvetica, Arial, sans-serif; }
a.anchor-link { visibility: hidden; text-decoration: none; margin-left: 6px; font-size: 0.8em; }
h1:hover > a.anchor-link, h2:hover > a.anchor-link, h3:hover > a.anchor-link { visibility: visible; }
.jp-Notebook .plotly-graph-div { max-width: 100%; }
.jp-OutputArea-output { overflow-x: auto; }
"""


def site_css() -> str:
    """The report's stylesheet: notebook content (nbconvert's lab markup), header, navigation, index.

    Examples
    --------
    >>> ".m254-failure" in site_css()
    True
    """
    return _PAGE_CSS.lstrip() + _SITE_CSS


def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly (about 4.8 MB, no network needed).

    Examples
    --------
    >>> len(plotly_js()) > 1_000_000
    True
    """
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


_PAGE_CSS = """
/* The notebook part of a page: nbconvert's lab markup, styled without JupyterLab's 250 KB theme. */
html { -webkit-text-size-adjust: 100%; }
body.jp-Notebook { margin: 0; color: #1f2328; background: #fff;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif;
  font-size: 15px; line-height: 1.55; }
.jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt { display: none; }
.jp-Cell { margin: 0; padding: 2px 0; }
.jp-OutputArea-child { margin: 6px 0; }
.jp-RenderedHTMLCommon { overflow-wrap: break-word; }
.jp-RenderedHTMLCommon h1, .jp-RenderedHTMLCommon h2, .jp-RenderedHTMLCommon h3,
.jp-RenderedHTMLCommon h4 { line-height: 1.25; font-weight: 600; margin: 1.2em 0 0.5em 0; }
.jp-RenderedHTMLCommon h1 { font-size: 26px; }
.jp-RenderedHTMLCommon h2 { font-size: 21px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px;
  margin-top: 1.6em; }
.jp-RenderedHTMLCommon h3 { font-size: 17px; }
.jp-RenderedHTMLCommon h4 { font-size: 15px; }
.jp-RenderedHTMLCommon p { margin: 0.5em 0; }
.jp-RenderedHTMLCommon ul, .jp-RenderedHTMLCommon ol { margin: 0.4em 0; padding-left: 1.8em; }
.jp-RenderedHTMLCommon li { margin: 0.15em 0; }
.jp-RenderedHTMLCommon a { color: #0969da; }
.jp-RenderedHTMLCommon code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.88em; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; }
.jp-RenderedHTMLCommon pre code { background: none; padding: 0; }
.jp-RenderedHTMLCommon blockquote { margin: 0.6em 0; padding: 0 1em; color: #57606a;
  border-left: 4px solid #d0d7de; }
.jp-RenderedHTMLCommon hr { border: 0; border-top: 1px solid #d0d7de; margin: 1.2em 0; }
.jp-RenderedHTMLCommon img { max-width: 100%; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; font-size: 13px; margin: 0.6em 0; }
.jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td { border-bottom: 1px solid #e5e7eb; padding: 3px 8px;
  text-align: left; vertical-align: top; }
.jp-RenderedHTMLCommon thead th { background: #f6f8fa; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #fafbfc; }
.jp-RenderedHTMLCommon tbody tr:hover { background: #eef4fb; }
.jp-RenderedText pre, .jp-RenderedHTMLCommon pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  monospace; font-size: 12.5px; line-height: 1.45; margin: 0.4em 0; padding: 8px 10px; background: #f6f8fa;
  border-radius: 6px; overflow: auto; white-space: pre-wrap; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre { background: #fff5f5; }
.ansi-black-fg { color: #3e424d; } .ansi-red-fg { color: #cf222e; } .ansi-green-fg { color: #116329; }
.ansi-yellow-fg { color: #9a6700; } .ansi-blue-fg { color: #0550ae; } .ansi-magenta-fg { color: #8250df; }
.ansi-cyan-fg { color: #1b7c83; } .ansi-white-fg { color: #6e7781; }
.ansi-black-bg { background: #3e424d; } .ansi-red-bg { background: #ffebe9; }
.ansi-green-bg { background: #dafbe1; } .ansi-yellow-bg { background: #fff8c5; }
.ansi-blue-bg { background: #ddf4ff; } .ansi-magenta-bg { background: #fbefff; }
.ansi-cyan-bg { background: #dff7f8; } .ansi-white-bg { background: #f6f8fa; }
.ansi-bold { font-weight: 700; } .ansi-underline { text-decoration: underline; }
"""


def write_assets(folder: Path) -> dict[str, int]:
    """Write the shared assets (plotly.js and our stylesheet) into ``folder/assets``.

    Returns
    -------
    dict
        File name to size in bytes.
    """
    target = Path(folder) / ASSETS_DIR
    target.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, text in ((PLOTLY_JS, plotly_js()), (SITE_CSS, site_css())):
        path = target / name
        path.write_text(text, encoding="utf-8")
        sizes[name] = path.stat().st_size
    return sizes


# --- the exporter -------------------------------------------------------------------------------

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
    import plotly.io  # noqa: F401

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


_HEADING = re.compile(r'<h([1-3])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _toc(html: str, title: str) -> str:
    """Contents from the page's h1-h3 headings: h1/h2 numbered, h3 nested under the h2 before them."""
    import html as _html

    entries: list[tuple[str, str]] = []  # (level, <a> element)
    for level, anchor, inner in _HEADING.findall(html):
        inner = re.sub(r'<a class="anchor-link".*?</a>', "", inner, flags=re.S)
        text = " ".join(_html.unescape(_TAG.sub("", inner)).split())
        if not text or (level == "1" and text == title and not entries):
            continue
        link = f'<a href="#{html_escape(_html.unescape(anchor))}">{html_escape(text)}</a>'
        entries.append((level, link))
    if not entries:
        return ""
    items: list[str] = []
    subs: list[str] = []

    def close() -> None:
        if subs:
            sub = f"<ul>{''.join(subs)}</ul>"
            if items:
                items[-1] = items[-1].removesuffix("</li>") + sub + "</li>"
            else:
                items.append(f'<li class="m254-toc-lead">{sub}</li>')
            subs.clear()

    for level, link in entries:
        if level == "3":
            subs.append(f'<li class="m254-toc-3">{link}</li>')
        else:
            close()
            items.append(f'<li class="m254-toc-{level}">{link}</li>')
    close()
    cls = ' class="m254-toc-long"' if len(entries) > 8 else ""
    return f'<nav class="m254-toc" aria-label="Contents"><strong>Contents</strong><ol{cls}>{"".join(items)}</ol></nav>'


def _failure_html(failure: FailureInfo) -> str:
    rows = "".join(f"<dt>{html_escape(k)}</dt><dd>{html_escape(v)}</dd>" for k, v in failure.inputs)
    cell = ""
    if failure.cell_source:
        where = f"cell (In [{failure.cell_index}])" if failure.cell_index is not None else "cell"
        cell = f"<p><strong>Failing {html_escape(where)}:</strong></p><pre>{html_escape(failure.cell_source)}</pre>"
    tb = ""
    if failure.traceback:
        tb = f"<details><summary>Traceback</summary><pre>{html_escape(failure.traceback)}</pre></details>"
    return (
        '<section class="m254-failure" role="alert"><h2>This page failed</h2>'
        f'<p class="m254-error"><strong>Error:</strong> <code>{html_escape(failure.message)}</code></p>'
        f"{cell}<p><strong>Inputs of this run:</strong></p><dl>{rows}</dl>{tb}"
        "<p>The outputs below stop where the error happened.</p></section>"
    )


def _nav_html(ctx: PageContext) -> str:
    links = [f'<a class="m254-home" href="{html_escape(ctx.index_href)}">&#8592; Report index</a>']
    for label, href, current in ctx.nav:
        if current:
            links.append(f'<span class="m254-current" aria-current="page">{html_escape(label)}</span>')
        else:
            links.append(f'<a href="{html_escape(href)}">{html_escape(label)}</a>')
    return f'<nav class="m254-nav" aria-label="Report pages">{"".join(links)}</nav>'


def _header_html(ctx: PageContext) -> str:
    meta = [f"<span>As of {html_escape(ctx.as_of)}</span>"]
    meta += [f"<span>{html_escape(k)}: {html_escape(v)}</span>" for k, v in ctx.meta]
    headline = f'<p class="m254-headline">{html_escape(ctx.headline)}</p>' if ctx.headline else ""
    failure = _failure_html(ctx.failure) if ctx.failure else ""
    return (
        f'{_nav_html(ctx)}<header class="m254-page-header">'
        f'<div class="m254-title">{html_escape(ctx.title)}</div>'
        f'<p class="m254-meta">{"".join(meta)}</p>{headline}{TOC_PLACEHOLDER}</header>{failure}'
    )


def _footer_html(ctx: PageContext) -> str:
    return (
        f'<footer class="m254-footer"><a href="{html_escape(ctx.index_href)}">Back to the report index</a>'
        f" · {html_escape(ctx.title)} · as of {html_escape(ctx.as_of)}</footer>"
    )


_REMOTE = re.compile(
    r"<(script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>",
    re.I,
)


def find_remote_references(html: str) -> list[str]:
    """Tags that would make a browser fetch from the network (script/link/img/iframe with http(s)://).

    Links a reader clicks (``<a href>``) are not fetches and are not reported.

    Examples
    --------
    >>> find_remote_references('<script src="https://cdn.example/x.js"></script><a href="https://x">x</a>')
    ['<script src="https://cdn.example/x.js">']
    >>> find_remote_references('<script src="assets/plotly.min.js"></script>')
    []
    """
    return [m.group(0) for m in _REMOTE.finditer(html)]


def _strip_remote(html: str) -> str:
    def drop(m: re.Match[str]) -> str:
        return "" if m.group(1).lower() != "script" else "<script>"

    # A remote <script src=...></script> becomes an empty inline <script></script>.
    return _REMOTE.sub(drop, html)


def error_page(ctx: PageContext) -> str:
    """A page for a notebook whose HTML export itself failed: header, failure panel, no notebook content.

    Built without nbconvert, so it works whatever went wrong there.

    Examples
    --------
    >>> html = error_page(PageContext(title="T", as_of="2025-10-10", failure=FailureInfo("ValueError: <x>")))
    >>> "This page failed" in html, "ValueError: &lt;x&gt;" in html
    (True, True)
    """
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{html_escape(ctx.title)}</title>"
        f'<link rel="stylesheet" href="{html_escape(ctx.assets_href)}{SITE_CSS}">'
        '</head><body class="jp-Notebook"><main>'
    )
    return f"{head}{_header_html(ctx).replace(TOC_PLACEHOLDER, '')}{_footer_html(ctx)}</main></body></html>\n"


def export_page(nb: Any, ctx: PageContext) -> str:
    """Render an executed notebook as one offline report page.

    The notebook is not modified. Figures are converted without inlining plotly.js: the page loads
    ``<assets_href>plotly.min.js``, written once per report by :func:`write_assets`.

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
    import nbformat

    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    _clean_for_html(nb, ctx.title)
    n_figures = convert_figures(nb, inline_plotlyjs=False)
    nb.metadata["title"] = ctx.title
    resources = {
        "meta254": {
            "assets": html_escape(ctx.assets_href),
            "plotly": n_figures > 0,
            "header": _header_html(ctx),
            "footer": _footer_html(ctx),
        }
    }
    with _exporter_lock:
        html, _ = _exporter().from_notebook_node(nb, resources=resources)
    html = html.replace(TOC_PLACEHOLDER, _toc(html, ctx.title), 1)
    return _strip_remote(html)


# --- the index page -----------------------------------------------------------------------------


def _index_pages_html(pages: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for p in pages:
        ok = p["status"] == "ok"
        status = f'<span class="m254-status m254-status-{"ok" if ok else "failed"}">{html_escape(p["status"])}</span>'
        headline = html_escape(p.get("headline") or "")
        if not ok and p.get("error"):
            headline = f'<span class="m254-error">{html_escape(p["error"])}</span>'
        tables = ", ".join(
            f'{html_escape(t["name"])} (<a href="{html_escape(t["csv"])}">CSV</a>, '
            f'<a href="{html_escape(t["json"])}">JSON</a>, {int(t["rows"]):,} rows)'
            for t in p.get("tables", [])
        )
        notebook = f'<a href="{html_escape(p["ipynb"])}">.ipynb</a>' if p.get("ipynb") else "none"
        rows.append(
            f'<tr data-page="{html_escape(p["name"])}" data-status="{html_escape(p["status"])}">'
            f'<td><a href="{html_escape(p["href"])}">{html_escape(p["title"])}</a></td><td>{status}</td>'
            f'<td>{headline}</td><td class="num">{float(p["seconds"]):.1f} s</td>'
            f"<td>{tables or 'none'}</td><td>{notebook}</td></tr>"
        )
    return (
        '<table class="m254-pages"><thead><tr><th>Page</th><th>Status</th><th>Headline</th><th>Time</th>'
        f"<th>Tables</th><th>Notebook</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_index(
    *,
    title: str,
    as_of: str,
    params: Sequence[tuple[str, str]],
    pages: Sequence[Mapping[str, Any]],
    inputs: Any = None,
    warnings: Any = None,
    teams: Sequence[Mapping[str, Any]] = (),
    assets_href: str = f"{ASSETS_DIR}/",
    parent_href: str | None = None,
    footer: str = "",
) -> str:
    """The report's ``index.html``: pages with status and headline, parameters, inputs, warnings.

    Parameters
    ----------
    title : str
        Page title ("Weekly report 2025-W41").
    as_of : str
        The as-of date of the run.
    params : sequence of (str, str)
        The run parameters, shown as a list.
    pages : sequence of mappings
        One per page: ``name``, ``title``, ``href``, ``status`` ("ok" or "failed"), ``headline``,
        ``error``, ``seconds``, ``ipynb`` and ``tables`` (mappings with ``name``, ``csv``, ``json``,
        ``rows``).
    inputs, warnings : pandas.DataFrame, optional
        ``ws.inputs`` and ``ws.warnings``.
    teams : sequence of mappings
        Per-team reports (``team``, ``href``, ``status``, ``failed``), for ``--all-teams``.
    assets_href : str
        Relative path of the assets folder.
    parent_href : str, optional
        Link to the platform-wide index (team indexes).
    footer : str
        Plain text for the footer.

    Returns
    -------
    str
        The HTML document; every value is HTML-escaped.
    """
    from ..views.display import table_html

    failed = [p for p in pages if p["status"] != "ok"]
    if failed:
        banner = (
            f'<p class="m254-banner m254-banner-failed" role="alert">{len(failed)} of {len(pages)} '
            f"page{'s' if len(pages) != 1 else ''} failed: "
            f"{html_escape(', '.join(p['title'] for p in failed))}</p>"
        )
    else:
        banner = (
            f'<p class="m254-banner m254-banner-ok">All {len(pages)} page{"s" if len(pages) != 1 else ""} rendered.</p>'
        )
    nav = ['<span class="m254-home">meta254 weekly report</span>']
    if parent_href:
        nav.append(f'<a href="{html_escape(parent_href)}">&#8592; Platform-wide index</a>')
    nav += [f'<a href="{html_escape(p["href"])}">{html_escape(p["title"])}</a>' for p in pages]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f"<title>{html_escape(title)}</title>",
        f'<link rel="stylesheet" href="{html_escape(assets_href)}{SITE_CSS}">',
        '</head><body class="m254-index"><main>',
        f'<nav class="m254-nav" aria-label="Report pages">{"".join(nav)}</nav>',
        f'<header class="m254-page-header"><h1 class="m254-title">{html_escape(title)}</h1>',
        f'<p class="m254-meta"><span>As of {html_escape(as_of)}</span></p></header>',
        banner,
        '<h2 id="pages">Pages</h2>',
        _index_pages_html(pages),
    ]
    if teams:
        items = "".join(
            f'<li><a href="{html_escape(t["href"])}">{html_escape(t["team"])}</a> '
            f'<span class="m254-status m254-status-{"ok" if t["status"] == "ok" else "failed"}">'
            f"{html_escape(t['status'])}</span></li>"
            for t in teams
        )
        parts += ['<h2 id="teams">Per-team reports</h2>', f"<ul>{items}</ul>"]
    params_html = "".join(f"<dt>{html_escape(k)}</dt><dd>{html_escape(v)}</dd>" for k, v in params)
    parts += ['<h2 id="parameters">Run parameters</h2>', f'<dl class="m254-params">{params_html}</dl>']
    if inputs is not None:
        parts += [
            '<h2 id="inputs">Input files</h2>',
            table_html(inputs, "inputs", caption="Files read from the workspace, and optional inputs absent"),
        ]
    if warnings is not None:
        parts.append(f'<h2 id="warnings">Load warnings ({len(warnings):,})</h2>')
        if len(warnings):
            parts.append(table_html(warnings, "warnings"))
        else:
            parts.append("<p>None.</p>")
    if footer:
        parts.append(f'<footer class="m254-footer">{html_escape(footer)}</footer>')
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


# --- small helpers shared with the report builder -----------------------------------------------


def clean_traceback(lines: Sequence[str] | str) -> str:
    """A traceback without ANSI colour codes.

    Examples
    --------
    >>> clean_traceback(["\\x1b[0;31mKeyError\\x1b[0m: 'x'"])
    "KeyError: 'x'"
    """
    text = lines if isinstance(lines, str) else "\n".join(lines)
    return _ANSI.sub("", text)
