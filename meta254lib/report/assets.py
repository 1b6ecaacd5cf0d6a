"""The shared files of a report folder: plotly.js and the stylesheet, written once into ``assets/``."""

from __future__ import annotations

from pathlib import Path

from ..views.plotly_html import plotly_js
from .page_model import ASSETS_DIR

__all__ = ["PLOTLY_JS", "SITE_CSS", "site_css", "write_assets"]

#: File name of the plotly.js bundle in ``assets/``.
PLOTLY_JS = "plotly.min.js"
#: File name of the stylesheet in ``assets/``.
SITE_CSS = "meta254.css"

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
