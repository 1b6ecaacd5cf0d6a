"""The HTML of a report's ``index.html``: pages with status and headline, parameters, inputs, warnings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..views.escape import html_escape
from ..views.html_table import sortable_script, table_assets, table_html, without_table_assets
from ..views.weekly import fmt_number
from .assets import SITE_CSS
from .page_model import ASSETS_DIR

__all__ = ["render_index"]


def _index_pages_html(pages: Sequence[Mapping[str, Any]]) -> str:
    """The pages with their status and headline."""
    rows = []
    for p in pages:
        ok = p["status"] == "ok"
        status = f'<span class="m254-status m254-status-{"ok" if ok else "failed"}">{html_escape(p["status"])}</span>'
        headline = html_escape(p.get("headline") or "")
        if not ok and p.get("error"):
            headline = f'<span class="m254-error">{html_escape(p["error"])}</span>'
        rows.append(
            f'<tr data-page="{html_escape(p["name"])}" data-status="{html_escape(p["status"])}">'
            f'<td><a href="{html_escape(p["href"])}">{html_escape(p["title"])}</a></td><td>{status}</td>'
            f"<td>{headline}</td></tr>"
        )
    return (
        '<table class="m254-pages" id="m254-pages"><thead><tr><th scope="col">Page</th>'
        '<th scope="col">Status</th><th scope="col">Headline</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{sortable_script('m254-pages', assets=False)}"
    )


def _downloads_html(pages: Sequence[Mapping[str, Any]]) -> str:
    """Each page's tables (CSV, JSON), executed notebook and render time."""
    rows = []
    for p in pages:
        tables = ", ".join(
            f'{html_escape(t["name"])} (<a href="{html_escape(t["csv"])}">CSV</a>, '
            f'<a href="{html_escape(t["json"])}">JSON</a>, {int(t["rows"]):,} rows)'
            for t in p.get("tables", [])
        )
        notebook = f'<a href="{html_escape(p["ipynb"])}">.ipynb</a>' if p.get("ipynb") else "none"
        seconds = float(p["seconds"])
        rows.append(
            f'<tr data-downloads="{html_escape(p["name"])}"><td>{html_escape(p["title"])}</td>'
            f'<td class="num" data-v="{seconds!r}">{fmt_number(seconds)} s</td><td>{tables or "none"}</td>'
            f"<td>{notebook}</td></tr>"
        )
    return (
        '<table class="m254-downloads" id="m254-downloads"><thead><tr><th scope="col">Page</th>'
        '<th scope="col" data-type="num">Render time</th><th scope="col">Tables</th><th scope="col">Notebook</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{sortable_script('m254-downloads', assets=False)}"
    )


#: Styles of the first screen (tiles, severity badges, the fix-first table), kept with the index.
_FIRST_SCREEN_CSS = """<style>
.m254-weekly h2 { margin: 14px 0 6px; }
.m254-tiles { display: grid; grid-template-columns: 1.6fr 1fr 1fr 1fr 1fr; gap: 10px; margin: 6px 0 10px; }
.m254-tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; min-width: 0; }
.m254-tile-label { font-size: 13px; color: #57606a; }
.m254-tile-value { font-size: 26px; font-weight: 600; line-height: 1.2; }
.m254-tile-detail { font-size: 12px; color: #57606a; overflow-wrap: anywhere; }
.m254-sev { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px;
  font-weight: 600; }
.m254-fix-first { border-collapse: collapse; font-size: 13px; width: 100%; }
.m254-fix-first th, .m254-fix-first td { padding: 3px 8px; border-bottom: 1px solid #eaeef2; text-align: left; }
.m254-fix-first td.num { text-align: right; }
.m254-small { font-size: 12px; color: #57606a; margin: 4px 0; font-weight: normal; }
.m254-new-high { columns: 3; column-gap: 24px; font-size: 13px; margin: 4px 0; padding-left: 18px; }
.m254-new-high li { break-inside: avoid; }
details.m254-provenance > summary { font-size: 18px; font-weight: 600; cursor: pointer; margin: 18px 0 6px; }
</style>"""


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
    first_screen: str = "",
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
    first_screen : str
        HTML of the change against last week and the fix-first table
        (:func:`~meta254lib.views.weekly.weekly_html`), shown first; downloads, render times, parameters
        and inputs go into a collapsed "Downloads and provenance" section.

    Returns
    -------
    str
        The HTML document; every value is HTML-escaped.
    """
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
        _FIRST_SCREEN_CSS,
        table_assets(),  # once for the page: every table below only calls the sorter
        '</head><body class="m254-index"><main>',
        f'<nav class="m254-nav" aria-label="Report pages">{"".join(nav)}</nav>',
        f'<header class="m254-page-header"><h1 class="m254-title">{html_escape(title)}</h1>',
        f'<p class="m254-meta"><span>As of {html_escape(as_of)}</span></p></header>',
        without_table_assets(first_screen),
        _banner_html(pages),
        '<h2 id="pages">Pages</h2>',
        _index_pages_html(pages),
        *_teams_html(teams),
        '<details class="m254-provenance" id="downloads"><summary>Downloads and provenance</summary>',
        '<h2 id="tables">Tables and notebooks</h2>',
        _downloads_html(pages),
        *_params_inputs_warnings_html(params, inputs, warnings),
        "</details>",
    ]
    if footer:
        parts.append(f'<footer class="m254-footer">{html_escape(footer)}</footer>')
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _banner_html(pages: Sequence[Mapping[str, Any]]) -> str:
    """The banner under the title: every page rendered, or which pages failed."""
    failed = [p for p in pages if p["status"] != "ok"]
    if failed:
        return (
            f'<p class="m254-banner m254-banner-failed" role="alert">{len(failed)} of {len(pages)} '
            f"page{'s' if len(pages) != 1 else ''} failed: "
            f"{html_escape(', '.join(p['title'] for p in failed))}</p>"
        )
    return f'<p class="m254-banner m254-banner-ok">All {len(pages)} page{"s" if len(pages) != 1 else ""} rendered.</p>'


def _teams_html(teams: Sequence[Mapping[str, Any]]) -> list[str]:
    """The per-team reports section (none without teams)."""
    if not teams:
        return []
    items = "".join(
        f'<li><a href="{html_escape(t["href"])}">{html_escape(t["team"])}</a> '
        f'<span class="m254-status m254-status-{"ok" if t["status"] == "ok" else "failed"}">'
        f"{html_escape(t['status'])}</span></li>"
        for t in teams
    )
    return ['<h2 id="teams">Per-team reports</h2>', f"<ul>{items}</ul>"]


def _params_inputs_warnings_html(params: Sequence[tuple[str, str]], inputs: Any, warnings: Any) -> list[str]:
    """The run parameters, then the input files and the load warnings when given."""
    params_html = "".join(f"<dt>{html_escape(k)}</dt><dd>{html_escape(v)}</dd>" for k, v in params)
    parts = ['<h2 id="parameters">Run parameters</h2>', f'<dl class="m254-params">{params_html}</dl>']
    if inputs is not None:
        parts += [
            '<h2 id="inputs">Input files</h2>',
            table_html(
                inputs, "inputs", caption="Files read from the workspace, and optional inputs absent", assets=False
            ),
        ]
    if warnings is not None:
        parts.append(f'<h2 id="warnings">Load warnings ({len(warnings):,})</h2>')
        parts.append(table_html(warnings, "warnings", assets=False) if len(warnings) else "<p>None.</p>")
    return parts
