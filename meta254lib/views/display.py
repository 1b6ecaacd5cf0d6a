"""Display helpers for report notebooks: headline, tables, figures, markdown, escaping.

Notebooks call these instead of ``display(df)`` or ``fig.show()`` so that every page of the weekly
report looks the same and the report builder can find what a page showed:

- :func:`show_headline` records the page's one-line headline (listed in the report index);
- :func:`show_table` renders an HTML table in which every string is HTML-escaped. Tables of more than
  :data:`INTERACTIVE_MIN_ROWS` rows get a filter box and sortable headers, driven by a small inline
  script of our own (no network, no library). Long tables are truncated with a count. The full
  table travels in an extra output of mimetype :data:`TABLE_MIMETYPE`, which the report exports as
  CSV and JSON;
- :func:`show_figure` emits a plotly figure under plotly's own mimetype (what the kernel renderer
  does by default); the report's HTML exporter turns it into an offline plot;
- :func:`show_markdown` displays Markdown; use :func:`md_escape` on any text that comes from inputs.

Outside an IPython kernel (a plain script, a doctest) each function prints a plain-text rendering
instead, so the same code runs anywhere.

Only the standard library is imported at module level; pandas, plotly and IPython are imported by
the functions that need them.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from typing import Any

__all__ = [
    "FIGURE_MIMETYPE",
    "HEADLINE_MIMETYPE",
    "INTERACTIVE_MIN_ROWS",
    "MAX_ROWS",
    "TABLE_MIMETYPE",
    "html_escape",
    "md_escape",
    "show_figure",
    "show_headline",
    "show_markdown",
    "show_table",
    "table_html",
    "table_slug",
]

HEADLINE_MIMETYPE = "application/vnd.meta254.headline+json"
TABLE_MIMETYPE = "application/vnd.meta254.table+json"
FIGURE_MIMETYPE = "application/vnd.plotly.v1+json"

#: Tables with more rows than this get the filter box and sortable headers.
INTERACTIVE_MIN_ROWS = 20
#: Default number of rows rendered in HTML; the export always holds every row.
MAX_ROWS = 200

_table_ids = itertools.count(1)

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^(\d*)((?<=\d)[.)](?=\s|$)|(?<!\d)[#+\-=!])")


def html_escape(s: Any) -> str:
    """Escape a value for HTML text or a quoted attribute.

    ``None`` and NaN become the empty string; anything else goes through ``str`` first.

    Examples
    --------
    >>> html_escape('<script>alert("x")</script> & co')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
    >>> html_escape(None), html_escape(float("nan")), html_escape(3)
    ('', '', '3')
    """
    if _is_missing(s):
        return ""
    return html.escape(str(s), quote=True)


def md_escape(s: Any) -> str:
    """Escape a value so it shows literally inside Markdown (and HTML rendered from it).

    ``&``, ``<`` and ``>`` become HTML entities, so a string from an input can never open a tag;
    inline markup characters (backslash, backtick, ``*``, ``_``, ``[``, ``]``, ``|``, ``~``) are
    backslash-escaped, so it can never start emphasis, code, a link or a table cell; a leading
    ``#``, ``+``, ``-``, ``=``, ``!`` or ``1.`` is escaped so it cannot start a heading or a list.
    Newlines become spaces, keeping a value inside its table cell or list item.

    Examples
    --------
    >>> md_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> print(md_escape("a_b*c [x](y) | z"))
    a\\_b\\*c \\[x\\](y) \\| z
    >>> print(md_escape("# not a heading"), md_escape("2025-10-06"), md_escape("1. first"), sep=" / ")
    \\# not a heading / 2025-10-06 / 1\\. first
    >>> md_escape(None)
    ''
    """
    if _is_missing(s):
        return ""
    text = " ".join(str(s).splitlines()).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LEADING.sub(r"\1\\\2", text, count=1)


def table_slug(name: str) -> str:
    """The file-name-safe form of a table name (``[a-z0-9_-]``, at most 60 characters).

    Examples
    --------
    >>> table_slug("Services per domain / team")
    'services-per-domain-team'
    >>> table_slug("<script>")
    'script'
    >>> table_slug("***")
    'table'
    """
    slug = re.sub(r"[^a-z0-9_]+", "-", str(name).lower()).strip("-_")[:60].strip("-_")
    return slug or "table"


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


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    try:
        import pandas as pd

        res = pd.isna(v)
    except (TypeError, ValueError):
        return False
    return res is True or (type(res).__name__ == "bool_" and bool(res))


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


# --- tables -------------------------------------------------------------------------------------


def _json_value(v: Any) -> Any:
    """A JSON-safe value: None for missing, ISO text for timestamps, lists for tuples."""
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v
        return [_json_value(x) for x in items]
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if _is_missing(v):
        return None
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return _json_value(v.item())
    return str(v)


def _cell_text(v: Any) -> str:
    """The text shown in an HTML cell (unescaped)."""
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v
        return ", ".join(_cell_text(x) for x in items)
    if _is_missing(v):
        return ""
    if hasattr(v, "item") and not hasattr(v, "isoformat"):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.3f}".rstrip("0").rstrip(".")
    if hasattr(v, "isoformat") and hasattr(v, "hour"):
        if (v.hour, v.minute, v.second, getattr(v, "microsecond", 0)) == (0, 0, 0, 0):
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _sort_key(v: Any) -> str | None:
    """A numeric sort key for a cell, or None when the value is not a number."""
    if isinstance(v, bool) or _is_missing(v):
        return None
    if hasattr(v, "item") and not hasattr(v, "isoformat"):
        v = v.item()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(float(v))
    return None


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_TABLE_CSS = (
    "div.m254-table{margin:0.5em 0 1.2em 0;max-width:100%;text-align:left}"
    "div.m254-table .m254-scroll{display:inline-block;overflow:auto;max-height:36em;max-width:100%;"
    "border:1px solid #d0d7de;vertical-align:top}"
    "div.m254-table .m254-caption{font-weight:600;margin:0.2em 0}"
    "div.m254-table .m254-scroll table{border-collapse:collapse;table-layout:auto;font-size:13px;margin:0}"
    "div.m254-table .m254-scroll th,div.m254-table .m254-scroll td{padding:3px 8px;text-align:left;"
    "border-bottom:1px solid #e5e7eb;vertical-align:top;white-space:nowrap}"
    "div.m254-table .m254-scroll td.wrap{white-space:normal;min-width:16em;max-width:40em;overflow-wrap:break-word}"
    "div.m254-table .m254-scroll td.num,div.m254-table .m254-scroll th[data-type=num]{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    "div.m254-table .m254-scroll thead th{position:sticky;top:0;background:#f6f8fa;white-space:nowrap}"
    "div.m254-table .m254-scroll th.m254-sortable{cursor:pointer;user-select:none}"
    'div.m254-table th[aria-sort="ascending"]::after{content:" \\25B2"}'
    'div.m254-table th[aria-sort="descending"]::after{content:" \\25BC"}'
    "div.m254-table .m254-controls{display:flex;gap:1em;align-items:center;margin:0.3em 0}"
    "div.m254-table input.m254-filter{padding:2px 6px;font-size:13px;width:18em}"
    "div.m254-table .m254-count,div.m254-table .m254-note{color:#57606a;font-size:12px;margin:0.3em 0}"
)

# The filter/sort behaviour. It only reads textContent and moves existing rows: it never builds
# HTML from cell text, so escaped input stays text.
_TABLE_JS = """(function(){
var root=document.getElementById("%s");
if(!root||root.getAttribute("data-ready")==="1"){return;}
root.setAttribute("data-ready","1");
var table=root.querySelector("table"),body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows),total=rows.length;
var input=root.querySelector("input.m254-filter"),count=root.querySelector(".m254-count");
function show(){var q=input.value.toLowerCase(),n=0;
rows.forEach(function(r){var ok=!q||r.textContent.toLowerCase().indexOf(q)>=0;
r.style.display=ok?"":"none";if(ok){n++;}});
count.textContent=n+" of "+total+" rows shown";}
input.addEventListener("input",show);
var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){
th.className+=" m254-sortable";th.setAttribute("title","Click to sort");
th.addEventListener("click",function(){
var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",dir>0?"ascending":"descending");
var num=th.getAttribute("data-type")==="num";
function key(r){var c=r.cells[i];if(!c){return null;}
if(num){var v=c.getAttribute("data-v");if(v===null){v=c.textContent;}return v===""?null:parseFloat(v);}
return c.textContent;}
rows.sort(function(a,b){var x=key(a),y=key(b);
if(x===y){return 0;}if(x===null||x===""){return 1;}if(y===null||y===""){return -1;}
if(num){return (x-y)*dir;}return x.localeCompare(y)*dir;});
rows.forEach(function(r){body.appendChild(r);});});});
})();"""


def _table_payload(df: Any, name: str, caption: str | None) -> dict[str, Any]:
    columns = [str(c) for c in df.columns]
    data = [[_json_value(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return {
        "name": str(name),
        "slug": table_slug(name),
        "caption": caption,
        "columns": columns,
        "dtypes": [str(t) for t in df.dtypes],
        "total_rows": len(df),
        "data": data,
    }


def _table_html(df: Any, name: str, caption: str | None, max_rows: int, table_id: str) -> str:
    import pandas as pd

    total = len(df)
    shown = df.iloc[:max_rows] if max_rows >= 0 else df
    interactive = total > INTERACTIVE_MIN_ROWS
    numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in df.dtypes]
    head = "".join(
        f'<th scope="col"{" data-type=" + chr(34) + "num" + chr(34) if num else ""}>{html_escape(c)}</th>'
        for c, num in zip(df.columns, numeric, strict=True)
    )
    body_rows = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for v, num in zip(row, numeric, strict=True):
            text = html_escape(_cell_text(v))
            key = _sort_key(v) if num else None
            if num:
                # the exact value, for sorting, only where the shown text is rounded
                attr = f' data-v="{key}"' if key is not None and _float_or_none(text) != float(key) else ""
                cells.append(f'<td class="num"{attr}>{text}</td>')
            elif len(text) > 40:
                cells.append(f'<td class="wrap">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f'<div class="m254-caption">{html_escape(caption)}</div>' if caption else ""
    parts = [f'<div class="m254-table" id="{table_id}" data-name="{html_escape(name)}">{cap}']
    if interactive:
        parts.append(
            '<div class="m254-controls"><input type="search" class="m254-filter" '
            f'placeholder="Filter rows" aria-label="Filter {html_escape(name)}">'
            f'<span class="m254-count">{len(shown)} of {len(shown)} rows shown</span></div>'
        )
    parts.append(
        f'<div class="m254-scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body_rows)}</tbody></table></div>"
    )
    slug = table_slug(name)
    if len(shown) < total:
        parts.append(
            f'<p class="m254-note">Showing the first {len(shown):,} of {total:,} rows; '
            f"the full table is exported as {html_escape(slug)}.csv and {html_escape(slug)}.json.</p>"
        )
    elif total == 0:
        parts.append('<p class="m254-note">No rows.</p>')
    parts.append(f"<style>{_TABLE_CSS}</style>")
    if interactive:
        parts.append(f"<script>{_TABLE_JS % table_id}</script>")
    parts.append("</div>")
    return "".join(parts)


def table_html(df: Any, name: str, caption: str | None = None, max_rows: int = MAX_ROWS) -> str:
    """The HTML that :func:`show_table` displays, as a string (for pages built outside a kernel).

    Every string (cells, column names, caption) is HTML-escaped. Element ids are unique within one
    Python process.

    Examples
    --------
    >>> import pandas as pd
    >>> html = table_html(pd.DataFrame({"service": ["<i>x</i>"]}), "demo")
    >>> "&lt;i&gt;x&lt;/i&gt;" in html, "<i>" in html
    (True, False)
    """
    return _table_html(df, name, caption, max_rows, _next_table_id(name))


def _next_table_id(name: str) -> str:
    return f"m254-t{next(_table_ids)}-{table_slug(name)}"


def _table_bundle(df: Any, name: str, caption: str | None = None, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    table_id = _next_table_id(name)
    total = len(df)
    what = f"{name}: {total} row{'s' if total != 1 else ''} x {len(df.columns)} columns"
    if caption:
        what += f" ({caption})"
    with_plain = df.head(10).to_string(index=False, max_colwidth=40) if total else "(no rows)"
    return {
        "text/plain": f"{what}\n{with_plain}",
        "text/html": _table_html(df, name, caption, max_rows, table_id),
        TABLE_MIMETYPE: _table_payload(df, name, caption),
    }


def show_table(df: Any, name: str, caption: str | None = None, max_rows: int = MAX_ROWS) -> None:
    """Show a DataFrame as an escaped HTML table and record it for CSV/JSON export.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its index is not shown (reset it first if it carries data).
    name : str
        A short, stable name. It names the exported files (``<slug>.csv``, ``<slug>.json``; see
        :func:`table_slug`), so keep it unique within a notebook.
    caption : str, optional
        Shown above the table.
    max_rows : int, default :data:`MAX_ROWS`
        Rows rendered in HTML; longer tables say how many rows were left out. The export always
        holds every row.

    Examples
    --------
    >>> import pandas as pd
    >>> show_table(pd.DataFrame({"service": ["<b>x</b>"], "n": [3]}), "demo")
    demo: 1 row x 2 columns
     service  n
    <b>x</b>  3
    """
    _publish(_table_bundle(df, name, caption, max_rows), {"meta254": {"table": str(name)}})


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
    >>> show_markdown("**3** services in " + md_escape("data_platform"))
    **3** services in data\\_platform
    """
    text = str(text)
    _publish({"text/plain": text, "text/markdown": text})
