"""Display helpers for report notebooks: headline, tables, figures, markdown, escaping.

Notebooks call these instead of ``display(df)`` or ``fig.show()`` so that every page of the weekly
report looks the same and the report builder can find what a page showed:

- :func:`show_headline` records the page's one-line headline (listed in the report index);
- :func:`show_table` renders an HTML table in which every string is HTML-escaped. Every table sorts
  by any column (severity by rank); tables of more than :data:`INTERACTIVE_MIN_ROWS` rows also get a
  filter box; columns beyond the first eight sit behind a "more columns" toggle; cells can link to
  http(s) URLs (see :mod:`meta254lib.views.links`). The behaviour is a small inline script of our own
  (no network, no library). A table of at most :data:`FULL_TABLE_ROWS` rows is shown whole; a longer
  one (a fleet-size table) shows its first :data:`TOP_ROWS` rows in its own order and a line
  "N of M rows shown — full table: <file>", which the report points at the exported file. The full
  table travels in an extra output of mimetype :data:`TABLE_MIMETYPE`, which the report exports;
- :func:`show_figure` emits a plotly figure under plotly's own mimetype (what the kernel renderer
  does by default); the report's HTML exporter turns it into an offline plot;
- :func:`show_markdown` displays Markdown; use :func:`md_escape` on any text that comes from inputs.

Outside an IPython kernel (a plain script, a doctest) each function prints a plain-text rendering
instead, so the same code runs anywhere.

Only the standard library is imported at module level; pandas, plotly and IPython are imported by
the functions that need them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .escape import html_escape, table_slug
from .html_table import Links, next_table_id, render_table, table_payload

__all__ = [
    "FIGURE_MIMETYPE",
    "FULL_TABLE_LINK_CLASS",
    "FULL_TABLE_ROWS",
    "HEADLINE_MIMETYPE",
    "TABLE_MIMETYPE",
    "TOP_ROWS",
    "show_figure",
    "show_headline",
    "show_markdown",
    "show_table",
    "shown_rows",
    "truncation_note",
]

HEADLINE_MIMETYPE = "application/vnd.meta254.headline+json"
TABLE_MIMETYPE = "application/vnd.meta254.table+json"
FIGURE_MIMETYPE = "application/vnd.plotly.v1+json"

#: Tables of at most this many rows are shown whole. The 60-service sample's largest table
#: (``what_if_changes``) has 1,123 rows, so every sample table is shown in full; at 10,000 services
#: tables of 1,600 to 507,000 rows show their top rows.
FULL_TABLE_ROWS = 1500
#: Rows a longer table shows, in the table's own order (its most important first).
TOP_ROWS = 200
#: Class of the "full table" link of a truncated table; the report points its ``href`` at the export.
FULL_TABLE_LINK_CLASS = "m254-full-table"


# --- publishing ---------------------------------------------------------------------------------


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return False
    return get_ipython() is not None


def _publish(bundle: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
    if not _in_kernel():
        print(bundle["text/plain"])
        return
    from IPython.display import publish_display_data

    publish_display_data(data=bundle, metadata=metadata or {})


# --- headline -----------------------------------------------------------------------------------


def _headline_bundle(text: str) -> dict[str, Any]:
    text = " ".join(str(text).split())
    return {
        "text/plain": text,
        "text/html": f'<p class="m254-headline">{html_escape(text)}</p>',
        HEADLINE_MIMETYPE: {"text": text},
    }


def show_headline(text: str) -> None:
    """Show the page's one-line headline and record it for the report index.

    Call it once per notebook with a computed sentence ("12 services drifted, 3 critical"). The text
    is plain text: it is HTML-escaped, and whitespace (newlines included) collapses to single spaces.
    If a page calls it more than once, the index uses the last call.

    Parameters
    ----------
    text : str
        The headline.

    Examples
    --------
    >>> show_headline("61 services in 7 domains")
    61 services in 7 domains
    """
    _publish(_headline_bundle(text))


def shown_rows(total: int, max_rows: int | None = None) -> int:
    """How many rows of a table of ``total`` rows a page shows.

    ``max_rows=None`` (the default of :func:`show_table`) shows a table of at most
    :data:`FULL_TABLE_ROWS` rows whole and the first :data:`TOP_ROWS` rows of a longer one; a number
    caps the rows shown (negative: every row).

    Examples
    --------
    >>> shown_rows(1123), shown_rows(507_157), shown_rows(50, max_rows=10), shown_rows(50, max_rows=-1)
    (1123, 200, 10, 50)
    """
    if max_rows is None:
        return total if total <= FULL_TABLE_ROWS else TOP_ROWS
    return total if max_rows < 0 else min(total, max_rows)


def truncation_note(shown: int, total: int, name: str) -> str:
    """The line under a truncated table: "N of M rows shown — full table: <link>" (HTML, escaped).

    The link names ``<slug>.csv``; the weekly report replaces it by the table's exported file
    (:func:`meta254lib.report.tables.link_full_tables`).

    Examples
    --------
    >>> truncation_note(200, 507157, "What if")  # doctest: +NORMALIZE_WHITESPACE
    '<p class="m254-note m254-truncated">200 of 507,157 rows shown — full table:
     <a class="m254-full-table" href="what-if.csv">what-if.csv</a></p>'
    """
    file = html_escape(f"{table_slug(name)}.csv")
    return (
        f'<p class="m254-note m254-truncated">{shown:,} of {total:,} rows shown — full table: '
        f'<a class="{FULL_TABLE_LINK_CLASS}" href="{file}">{file}</a></p>'
    )


def _table_bundle(
    df: Any,
    name: str,
    caption: str | None = None,
    max_rows: int | None = None,
    links: Links | None = None,
    visible: Sequence[str] | None = None,
) -> dict[str, Any]:
    table_id = next_table_id(name)
    total = len(df)
    what = f"{name}: {total} row{'s' if total != 1 else ''} x {len(df.columns)} columns"
    if caption:
        what += f" ({caption})"
    with_plain = df.head(10).to_string(index=False, max_colwidth=40) if total else "(no rows)"
    shown = shown_rows(total, max_rows)
    head = df if shown == total else df.iloc[:shown]
    html = render_table(head, name, caption, -1, table_id, links=links, visible=visible)
    if shown < total:
        what += f"; {shown} shown"
        html = html[: -len("</div>")] + truncation_note(shown, total, name) + "</div>"
    return {
        "text/plain": f"{what}\n{with_plain}",
        "text/html": html,
        TABLE_MIMETYPE: table_payload(df, name, caption),
    }


def show_table(
    df: Any,
    name: str,
    caption: str | None = None,
    max_rows: int | None = None,
    *,
    links: Links | None = None,
    visible: Sequence[str] | None = None,
) -> None:
    """Show a DataFrame as an escaped HTML table and record it for CSV/JSON export.

    A table of at most :data:`FULL_TABLE_ROWS` rows is shown whole. A longer one shows its first
    :data:`TOP_ROWS` rows, in its own order (sort it most important first), and a line
    "N of M rows shown — full table: <file>" that the weekly report links to the exported file; the
    export always holds every row. Compute captions and headlines from the full table.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its index is not shown (reset it first if it carries data).
    name : str
        A short, stable name. It names the exported files (``<slug>.csv``, ``<slug>.json``; see
        :func:`table_slug`), so keep it unique within a notebook.
    caption : str, optional
        Shown above the table.
    max_rows : int, optional
        Rows rendered in HTML (negative: every row). Default: see above (:func:`shown_rows`).
    links : mapping, optional
        ``{column: targets}``, one target per row: None, a URL for the whole cell, or ``[(label, url)]``
        for a cell of several links (:func:`~meta254lib.views.links.manifest_url`,
        :func:`~meta254lib.views.links.advisory_links`). Only http(s) URLs and ``#anchors`` link.
    visible : sequence of str, optional
        Columns shown before the "more columns" toggle (default: the first eight).

    Examples
    --------
    >>> import pandas as pd
    >>> show_table(pd.DataFrame({"service": ["<b>x</b>"], "n": [3]}), "demo")
    demo: 1 row x 2 columns
     service  n
    <b>x</b>  3
    """
    _publish(_table_bundle(df, name, caption, max_rows, links, visible), {"meta254": {"table": str(name)}})


# --- figures and markdown -----------------------------------------------------------------------


def _figure_bundle(fig: Any, name: str | None = None) -> dict[str, Any]:
    import plotly.io as pio

    spec = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    title = ""
    layout_title = spec.get("layout", {}).get("title")
    if isinstance(layout_title, dict):
        title = str(layout_title.get("text") or "")
    elif isinstance(layout_title, str):
        title = layout_title
    label = name or title or "figure"
    return {"text/plain": f"<figure {label}: {len(spec.get('data', []))} trace(s)>", FIGURE_MIMETYPE: spec}


def show_figure(fig: Any, name: str | None = None) -> None:
    """Show a plotly figure under plotly's mimetype (the kernel default).

    The report exporter converts the figure to an offline, interactive plot that uses one shared
    copy of plotly.js. Unlike ``fig.show()``, this never opens a browser outside a kernel.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure.
    name : str, optional
        A short name, recorded in the output metadata (defaults to the figure title).

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> show_figure(go.Figure(go.Bar(x=["a"], y=[1])), "bars")
    <figure bars: 1 trace(s)>
    """
    bundle = _figure_bundle(fig, name)
    _publish(bundle, {"meta254": {"figure": name or ""}})


def show_markdown(text: str) -> None:
    """Display Markdown.

    Escape every value that comes from an input with :func:`md_escape` before putting it in the
    text; the text itself is trusted.

    Examples
    --------
    >>> from meta254lib.views.escape import md_escape
    >>> show_markdown("**3** services in " + md_escape("data_platform"))
    **3** services in data\\_platform
    """
    text = str(text)
    _publish({"text/plain": text, "text/markdown": text})
