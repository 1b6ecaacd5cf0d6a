"""Tables as escaped HTML (sortable headers, a filter box when long, extra columns behind a toggle) and as JSON.

Every string (cells, column names, caption, link targets) is HTML-escaped, and only ``http``/``https``
URLs or in-page anchors become links (:func:`~meta254lib.views.links.safe_href`). Every table sorts by
any column (numbers by value, severities by rank: high > medium > low); tables of more than
:data:`INTERACTIVE_MIN_ROWS` rows also get a filter box; columns beyond :data:`MAX_VISIBLE_COLUMNS`
sit behind a per-table "more columns" toggle (a checkbox and CSS, so it works without script). The
behaviour is a small inline script of our own (no network, no library), defined once per page
(:func:`table_assets`) and called by each table. Numbers and times are
formatted by :func:`~meta254lib.views.weekly.fmt_number` and :func:`~meta254lib.views.weekly.fmt_time`.
pandas is imported lazily.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .escape import html_escape, is_missing, table_slug
from .links import safe_href
from .table_json import table_payload

__all__ = [
    "INTERACTIVE_MIN_ROWS",
    "MAX_ROWS",
    "MAX_VISIBLE_COLUMNS",
    "SORT_JS",
    "TABLE_CSS",
    "Links",
    "next_table_id",
    "render_table",
    "sortable_script",
    "table_assets",
    "table_html",
    "table_payload",
    "without_table_assets",
]

#: Tables with more rows than this get the filter box (every table sorts).
INTERACTIVE_MIN_ROWS = 20
#: Default number of rows rendered in HTML; the export always holds every row.
MAX_ROWS = 200
#: Columns shown before the "more columns" toggle.
MAX_VISIBLE_COLUMNS = 8

_table_ids = itertools.count(1)

#: Severity words sorted by rank; ``critical`` (impact and advisory severities) ranks above ``high``.
_SEVERITY_COLUMNS = ("severity", "worst_severity", "impact_severity", "max_severity")


def _cell_text(v: Any) -> str:
    """The text shown in an HTML cell (unescaped): numbers by ``fmt_number``, times to the minute in UTC."""
    from .weekly import fmt_number, fmt_time, no_negative_zero, to_minute

    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v
        return ", ".join(_cell_text(x) for x in items)
    if is_missing(v):
        return ""
    if hasattr(v, "item") and not hasattr(v, "isoformat"):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_number(v)
    if hasattr(v, "isoformat") and hasattr(v, "hour"):
        return fmt_time(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return no_negative_zero(to_minute(str(v)))


def _sort_key(v: Any) -> str | None:
    """A numeric sort key for a cell, or None when the value is not a number."""
    if isinstance(v, bool) or is_missing(v):
        return None
    if hasattr(v, "item") and not hasattr(v, "isoformat"):
        v = v.item()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(float(v))
    return None


def _severity_key(v: Any) -> int | None:
    """The sort rank of a severity cell (critical -1, high 0, medium 1, low 2, other 3); None when empty."""
    from ..core.severity import severity_rank

    if is_missing(v) or str(v) == "":
        return None
    return -1 if str(v) == "critical" else severity_rank(v)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_SORT_CSS = (
    ".m254-sortable{cursor:pointer;user-select:none}"
    '.m254-sortable[aria-sort="ascending"]::after{content:" \\25B2"}'
    '.m254-sortable[aria-sort="descending"]::after{content:" \\25BC"}'
)

TABLE_CSS = _SORT_CSS + (
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
    "div.m254-table .m254-controls{display:flex;gap:1em;align-items:center;margin:0.3em 0}"
    "div.m254-table input.m254-filter{padding:2px 6px;font-size:13px;width:18em}"
    "div.m254-table .m254-count,div.m254-table .m254-note{color:#57606a;font-size:12px;margin:0.3em 0}"
    "div.m254-table .m254-x{display:none}"
    "div.m254-table input.m254-more:checked~.m254-scroll .m254-x{display:table-cell}"
    "div.m254-table label.m254-more{font-size:12px;color:#0969da;cursor:pointer;margin-left:0.3em}"
    "div.m254-table input.m254-more{margin:0.3em 0 0.3em 0;vertical-align:middle}"
)

# The sorter and the filter, defined once per page (window.m254Sort, window.m254Filter) and called by
# each table. Sorting reads textContent or data-v, takes the rows the body holds when a header is
# clicked (so a table whose rows a script rebuilds still sorts: m254Sort.again re-applies the current
# order) and moves rows; it never builds HTML from cell text, so escaped input stays text. The filter
# matches the text of the columns shown (hidden columns too once "more columns" is ticked). The
# stylesheet moves itself into <head>, so it outlives the notebook output cell that carried it.
SORT_JS = """if(!window.m254Sort){(function(){
var css=document.getElementById("m254-table-css");
if(css&&document.head&&css.parentNode!==document.head){document.head.appendChild(css);}
function each(list,f){Array.prototype.forEach.call(list,f);}
function order(table,i,dir){
var body=table.tBodies[0],t=table.tHead.rows[0].cells[i].getAttribute("data-type"),num=t==="num"||t==="rank";
function key(r){var c=r.cells[i];if(!c){return null;}
var v=c.getAttribute("data-v");if(num){if(v===null){v=c.textContent;}return v===""?null:parseFloat(v);}
return v===null?c.textContent:v;}
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a),y=key(b);
if(x===y){return 0;}if(x===null||x===""||x!==x){return 1;}if(y===null||y===""||y!==y){return -1;}
if(num){return (x-y)*dir;}return x.localeCompare(y)*dir;});
rows.forEach(function(r){body.appendChild(r);});}
window.m254Sort=function(table){
if(!table||table.getAttribute("data-sortable")==="1"||!table.tHead||!table.tBodies[0]){return;}
table.setAttribute("data-sortable","1");
var heads=table.tHead.rows[0].cells;
each(heads,function(th,i){
th.className+=" m254-sortable";th.setAttribute("title","Click to sort");th.setAttribute("tabindex","0");
function go(){var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
each(heads,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",dir>0?"ascending":"descending");order(table,i,dir);}
th.addEventListener("click",go);
th.addEventListener("keydown",function(e){if(e.key==="Enter"){go();}});});};
window.m254Sort.again=function(table){if(!table||!table.tHead){return;}
each(table.tHead.rows[0].cells,function(th,i){var s=th.getAttribute("aria-sort");
if(s){order(table,i,s==="ascending"?1:-1);}});};
window.m254Filter=function(root){
if(!root||root.getAttribute("data-ready")==="1"){return;}
root.setAttribute("data-ready","1");
var table=root.querySelector("table"),input=root.querySelector("input.m254-filter");if(!table||!input){return;}
var count=root.querySelector(".m254-count"),more=root.querySelector("input.m254-more");
function text(r){var all=!more||more.checked;return Array.prototype.filter.call(r.cells,function(c){
return all||c.className.indexOf("m254-x")<0;}).map(function(c){return c.textContent;}).join(" ").toLowerCase();}
function show(){var q=input.value.toLowerCase(),n=0,rows=table.tBodies[0].rows;
each(rows,function(r){var ok=!q||text(r).indexOf(q)>=0;r.style.display=ok?"":"none";if(ok){n++;}});
count.textContent=q?n+" of "+rows.length+" rows match":rows.length+" rows";}
input.addEventListener("input",show);if(more){more.addEventListener("change",show);}};
})();}"""

#: What each :func:`render_table` table runs: sort its table, and filter it when it has a filter box.
_TABLE_CALL = (
    '(function(root){var table=root&&root.querySelector("table");if(table&&window.m254Sort){'
    'window.m254Sort(table);window.m254Filter(root);}})(document.getElementById("%s"));'
)
#: What :func:`sortable_script` runs: sort the element if it is a table, else every table inside it.
_ELEMENT_CALL = (
    '(function(e){if(e&&window.m254Sort){(e.tagName==="TABLE"?[e]:Array.prototype.slice.call('
    'e.querySelectorAll("table"))).forEach(function(t){window.m254Sort(t);});}})(document.getElementById("%s"));'
)
_STYLE = f'<style id="m254-table-css">{TABLE_CSS}</style>'


class _Kernel:
    """Whether this IPython kernel (one per notebook, so one per report page) has shown the assets."""

    assets_shown = False


def _in_kernel() -> bool:
    """Running inside an IPython kernel (not a plain script, a doctest or terminal IPython)."""
    ipython = sys.modules.get("IPython")  # not imported: not in a kernel
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _assets(assets: bool | None) -> tuple[str, str]:
    """The stylesheet and the script to put in a table's HTML: both or neither (see :func:`table_assets`)."""
    if assets is None:
        if not _in_kernel():
            assets = True
        else:
            assets, _Kernel.assets_shown = not _Kernel.assets_shown, True
    return (_STYLE, SORT_JS) if assets else ("", "")


def table_assets() -> str:
    """The page-wide part of every table: the stylesheet and the sorter/filter script (about 4.2 KB).

    Tables and :func:`sortable_script` only *call* it. Where it goes is their ``assets`` argument:
    ``None`` (the default) puts it in the first table an IPython kernel shows (one kernel runs one
    notebook, so once per page) and in every table built outside a kernel; a page builder that puts
    :func:`table_assets` in the page itself passes ``assets=False``. Defined twice, it runs once.

    Examples
    --------
    >>> page = table_assets()
    >>> page.count("<style"), page.count("<script>"), "window.m254Sort=function" in page
    (1, 1, True)
    """
    return f"{_STYLE}<script>{SORT_JS}</script>"


def without_table_assets(html: str) -> str:
    """``html`` with the stylesheet and script of :func:`table_assets` taken out (the calls stay).

    For a fragment built outside a kernel and placed in a page that already has the assets.

    Examples
    --------
    >>> without_table_assets(sortable_script("x", assets=True)) == sortable_script("x", assets=False)
    True
    """
    return html.replace(_STYLE, "").replace(SORT_JS, "")


def sortable_script(element_id: str, *, assets: bool | None = None) -> str:
    """A ``<script>`` making the table with id ``element_id`` (or every table inside it) sortable.

    For tables built outside :func:`render_table` (the fix-first table, the plan's item tables, the
    index's tables, the impact explorer's). The id must be made of letters, digits, ``-`` and ``_``.
    ``assets`` decides whether the stylesheet and the sorter come with it (:func:`table_assets`).

    Examples
    --------
    >>> 'getElementById("fix-first")' in sortable_script("fix-first", assets=False)
    True
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", element_id):
        raise ValueError(f"sortable_script: element id {element_id!r} must be letters, digits, - and _")
    style, js = _assets(assets)
    return f"{style}<script>{js}{_ELEMENT_CALL % element_id}</script>"


Links = Mapping[str, Sequence[Any]]


def _link_html(text: str, target: Any) -> str:
    """Escaped cell content: ``text`` as one link, or ``[(label, url)]`` as several; unsafe URLs stay text."""
    if isinstance(target, (list, tuple)):
        parts = []
        for label, url in target:
            href = safe_href(url)
            lab = html_escape(label)
            parts.append(_anchor(lab, href) if href else lab)
        return ", ".join(parts) if parts else html_escape(text)
    href = safe_href(target)
    return _anchor(html_escape(text), href) if href and text else html_escape(text)


def _anchor(label: str, href: str) -> str:
    """An ``<a>`` around already escaped ``label``; outside links open in a new tab without referrer."""
    if href.startswith("#"):
        return f'<a href="{html_escape(href)}">{label}</a>'
    return f'<a href="{html_escape(href)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def _column_kinds(df: Any) -> list[str]:
    """``num``, ``rank`` (severity words) or ``text`` per column."""
    import pandas as pd

    kinds = []
    for c, t in zip(df.columns, df.dtypes, strict=True):
        if pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t):
            kinds.append("num")
        elif str(c) in _SEVERITY_COLUMNS:
            kinds.append("rank")
        else:
            kinds.append("text")
    return kinds


def _hidden_columns(columns: Sequence[Any], visible: Sequence[str] | None) -> list[bool]:
    """Which columns sit behind the toggle: all but the first and ``visible`` (default: all after the eighth)."""
    names = [str(c) for c in columns]
    if visible is None:
        return [i >= MAX_VISIBLE_COLUMNS for i in range(len(names))]
    keep = {str(v) for v in visible}
    return [i > 0 and n not in keep for i, n in enumerate(names)]  # the first column always shows


def _cell_html(v: Any, kind: str, hidden: bool, target: Any) -> str:
    raw = _cell_text(v)
    text = _link_html(raw, target) if target is not None else html_escape(raw)
    cls = ["m254-x"] if hidden else []
    attr = ""
    if kind == "num":
        cls.append("num")
        key = _sort_key(v)
        # the exact value, for sorting, only where the shown text is rounded
        attr = f' data-v="{key}"' if key is not None and _float_or_none(raw) != float(key) else ""
    elif kind == "rank":
        key = _severity_key(v)
        attr = f' data-v="{key}"' if key is not None else ""
    elif len(raw) > 40:
        cls.append("wrap")
    cls_attr = f' class="{" ".join(cls)}"' if cls else ""
    return f"<td{cls_attr}{attr}>{text}</td>"


def render_table(
    df: Any,
    name: str,
    caption: str | None,
    max_rows: int,
    table_id: str,
    *,
    links: Links | None = None,
    visible: Sequence[str] | None = None,
    assets: bool | None = None,
) -> str:
    """The escaped HTML of a table: sortable, filterable beyond :data:`INTERACTIVE_MIN_ROWS` rows.

    Parameters
    ----------
    df : pandas.DataFrame
    name, caption, max_rows, table_id
        As for :func:`table_html`; ``table_id`` is the element id (:func:`next_table_id`).
    links : mapping, optional
        ``{column: targets}`` with one target per row of ``df`` (in order): None, a URL for the whole
        cell, or a list of ``(label, url)`` pairs (a cell of several links). Only http(s) URLs and
        ``#anchors`` become links.
    visible : sequence of str, optional
        The columns shown before the "more columns" toggle (default: the first
        :data:`MAX_VISIBLE_COLUMNS`).
    assets : bool, optional
        Whether the stylesheet and the sorter come with the table (:func:`table_assets`; default:
        with the first table of a kernel, and with every table outside one).
    """
    total = len(df)
    shown = df.iloc[:max_rows] if max_rows >= 0 else df
    interactive = total > INTERACTIVE_MIN_ROWS
    kinds = _column_kinds(df)
    hidden = _hidden_columns(df.columns, visible)
    head = "".join(
        f'<th scope="col"{" class=" + chr(34) + "m254-x" + chr(34) if hid else ""}'
        f"{' data-type=' + chr(34) + kind + chr(34) if kind != 'text' else ''}>{html_escape(c)}</th>"
        for c, kind, hid in zip(df.columns, kinds, hidden, strict=True)
    )
    targets = [list(links.get(str(c), ()))[: len(shown)] if links else [] for c in df.columns]
    body_rows = []
    for r, row in enumerate(shown.itertuples(index=False, name=None)):
        cells = [
            _cell_html(v, kind, hid, tgt[r] if r < len(tgt) else None)
            for v, kind, hid, tgt in zip(row, kinds, hidden, targets, strict=True)
        ]
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f'<div class="m254-caption">{html_escape(caption)}</div>' if caption else ""
    style, js = _assets(assets)
    parts = [f'<div class="m254-table" id="{table_id}" data-name="{html_escape(name)}">{style}{cap}']
    if interactive:
        parts.append(
            '<div class="m254-controls"><input type="search" class="m254-filter" '
            f'placeholder="Filter rows" aria-label="Filter {html_escape(name)}">'
            f'<span class="m254-count">{len(shown):,} rows</span></div>'
        )
    n_hidden = sum(hidden)
    if n_hidden:
        names = ", ".join(str(c) for c, h in zip(df.columns, hidden, strict=True) if h)
        parts.append(
            f'<input type="checkbox" class="m254-more" id="{table_id}-more">'
            f'<label class="m254-more" for="{table_id}-more" title="{html_escape(names)}">'
            f"more columns ({n_hidden})</label><div></div>"  # a block: the table starts on its own line
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
    parts.append(f"<script>{js}{_TABLE_CALL % table_id}</script></div>")
    return "".join(parts)


def table_html(
    df: Any,
    name: str,
    caption: str | None = None,
    max_rows: int = MAX_ROWS,
    *,
    links: Links | None = None,
    visible: Sequence[str] | None = None,
    assets: bool | None = None,
) -> str:
    """The HTML that :func:`show_table` displays, as a string (for pages built outside a kernel).

    Every string (cells, column names, caption) is HTML-escaped. Element ids are unique within one
    Python process. ``assets`` as for :func:`render_table`.

    Examples
    --------
    >>> import pandas as pd
    >>> html = table_html(pd.DataFrame({"service": ["<i>x</i>"]}), "demo")
    >>> "&lt;i&gt;x&lt;/i&gt;" in html, "<i>" in html
    (True, False)
    """
    return render_table(df, name, caption, max_rows, next_table_id(name), links=links, visible=visible, assets=assets)


def next_table_id(name: str) -> str:
    """A process-unique element id for a table."""
    return f"m254-t{next(_table_ids)}-{table_slug(name)}"
