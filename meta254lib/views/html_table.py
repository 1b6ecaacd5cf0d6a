"""Tables as escaped HTML (with a filter box and sortable headers when long) and as JSON payloads for export.

Every string (cells, column names, caption) is HTML-escaped; the interactive behaviour is a small inline
script of our own (no network, no library). pandas is imported lazily.
"""

from __future__ import annotations

import itertools
from typing import Any

from .escape import html_escape, is_missing, table_slug

__all__ = ["INTERACTIVE_MIN_ROWS", "MAX_ROWS", "next_table_id", "render_table", "table_html", "table_payload"]

#: Tables with more rows than this get the filter box and sortable headers.
INTERACTIVE_MIN_ROWS = 20
#: Default number of rows rendered in HTML; the export always holds every row.
MAX_ROWS = 200

_table_ids = itertools.count(1)


def _json_value(v: Any) -> Any:
    """A JSON-safe value: None for missing, ISO text for timestamps, lists for tuples."""
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v
        return [_json_value(x) for x in items]
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if is_missing(v):
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
    if is_missing(v):
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
    if isinstance(v, bool) or is_missing(v):
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


def table_payload(df: Any, name: str, caption: str | None) -> dict[str, Any]:
    """The table as the JSON payload exported beside the page (every row)."""
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


def render_table(df: Any, name: str, caption: str | None, max_rows: int, table_id: str) -> str:
    """The escaped HTML of a table (interactive beyond :data:`INTERACTIVE_MIN_ROWS` rows)."""
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
    return render_table(df, name, caption, max_rows, next_table_id(name))


def next_table_id(name: str) -> str:
    """A process-unique element id for a table."""
    return f"m254-t{next(_table_ids)}-{table_slug(name)}"
