"""What a page showed, read from its executed notebook: its tables (exported as CSV and JSON) and headline."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..views.display import FULL_TABLE_LINK_CLASS, HEADLINE_MIMETYPE, TABLE_MIMETYPE
from ..views.escape import html_escape, table_slug

__all__ = [
    "CSV_DECIMALS",
    "VERSION_COLUMNS",
    "add_csv_links",
    "code_outputs",
    "csv_number",
    "csv_timestamp",
    "link_full_tables",
    "page_headline",
    "page_tables",
    "strip_table_data",
    "table_to_csv",
    "table_to_json",
]


def code_outputs(nb: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every output of the notebook's code cells, in order.

    Examples
    --------
    >>> list(code_outputs({"cells": [{"cell_type": "markdown"}, {"cell_type": "code", "outputs": [{"a": 1}]}]}))
    [{'a': 1}]
    """
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
    for out in code_outputs(nb):
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
    for out in code_outputs(nb):
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
    for out in code_outputs(nb):
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


_FULL_LINK = re.compile(rf'<a class="{FULL_TABLE_LINK_CLASS}" href="[^"]*">[^<]*</a>')


def link_full_tables(nb: Any, files: Mapping[int, str]) -> int:
    """Point the "full table" link of every truncated table at its exported file, in place.

    A table shown in part (:func:`meta254lib.views.display.truncation_note`) names ``<slug>.csv`` in
    the kernel; the page links the file the report wrote, relative to the page.

    Parameters
    ----------
    nb : NotebookNode or dict
        The executed notebook; the ``text/html`` of its table outputs is modified.
    files : mapping of int to str
        Position of the table (in :func:`page_tables` order) to the path of its full export, relative
        to the page (``tables/<page>/<slug>.parquet``).

    Returns
    -------
    int
        The number of links set.

    Examples
    --------
    >>> html = '<p>1 of 9 rows shown — full table: <a class="m254-full-table" href="t.csv">t.csv</a></p>'
    >>> out = {"output_type": "display_data", "data": {TABLE_MIMETYPE: {"data": []}, "text/html": html}}
    >>> link_full_tables({"cells": [{"cell_type": "code", "outputs": [out]}]}, {0: "tables/p/t.parquet"})
    1
    >>> out["data"]["text/html"].split(": ", 1)[1]
    '<a class="m254-full-table" href="tables/p/t.parquet">tables/p/t.parquet</a></p>'
    """
    n = 0
    i = 0
    for out in code_outputs(nb):
        data = out.get("data", {})
        payload = data.get(TABLE_MIMETYPE)
        if not isinstance(payload, Mapping) or "data" not in payload:
            continue
        html = data.get("text/html")
        if i in files and isinstance(html, str):
            href = html_escape(files[i])
            link = f'<a class="{FULL_TABLE_LINK_CLASS}" href="{href}">{href}</a>'
            new, k = _FULL_LINK.subn(lambda _m, link=link: link, html, count=1)
            if k:
                data["text/html"] = new
                n += 1
        i += 1
    return n


#: Column names whose text values are version strings: written exactly as recorded, never as numbers.
VERSION_COLUMNS = frozenset(
    {"version", "current", "target", "expected", "pinned", "latest", "registry_latest", "from_version", "to_version"}
)
#: Decimals kept in a CSV float.
CSV_DECIMALS = 4

_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def csv_number(v: float) -> str:
    """A float as CSV text: at most :data:`CSV_DECIMALS` decimals, whole numbers as integers, no ``-0``.

    Examples
    --------
    >>> [csv_number(x) for x in (-0.025000000000000355, 13.999999999999998, 97.0, -0.00001, 2.5, 1e-7)]
    ['-0.025', '14', '97', '0', '2.5', '0']
    """
    if math.isnan(v) or math.isinf(v):
        return "" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    r = round(v, CSV_DECIMALS)
    if r.is_integer():
        return str(int(r))
    return f"{r:.{CSV_DECIMALS}f}".rstrip("0").rstrip(".")


def csv_timestamp(text: str) -> str:
    """An ISO timestamp as UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ`` (naive times are taken as UTC).

    Text that is not a whole ISO timestamp is returned unchanged.

    Examples
    --------
    >>> csv_timestamp("2025-10-06T08:55:55.603919+00:00"), csv_timestamp("2025-10-06T10:00:00+02:00")
    ('2025-10-06T08:55:55Z', '2025-10-06T08:00:00Z')
    >>> csv_timestamp("2025-10-06"), csv_timestamp("7.0")
    ('2025-10-06', '7.0')
    """
    if not _ISO_TIMESTAMP.fullmatch(text):
        return text
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rounded(v: Any) -> Any:
    """``v`` with every float inside rounded for CSV (lists and dicts kept as structures)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None if math.isnan(v) else v
        r = round(v, CSV_DECIMALS)
        return int(r) if r.is_integer() else r
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, str):
        return csv_timestamp(v)
    return v


def _csv_value(v: Any, verbatim: bool = False) -> str:
    """One CSV cell; ``verbatim`` (a version column) writes text and floats exactly as recorded."""
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(_rounded(v), ensure_ascii=False, sort_keys=True)
    if isinstance(v, bool):
        return "true" if v else "false"
    if verbatim:
        return str(v)
    if isinstance(v, float):
        return csv_number(v)
    if isinstance(v, str):
        return csv_timestamp(v)
    return str(v)


def _verbatim_columns(table: Mapping[str, Any]) -> list[bool]:
    """Whether each column is a version column holding text (its dtype is not numeric)."""
    dtypes = list(table.get("dtypes") or [])
    out = []
    for i, col in enumerate(table["columns"]):
        dtype = dtypes[i].lower() if i < len(dtypes) else "object"
        numeric = dtype.startswith(("int", "uint", "float")) or dtype in {"int64", "float64"}
        out.append(str(col).lower() in VERSION_COLUMNS and not numeric)
    return out


def table_to_csv(table: Mapping[str, Any]) -> str:
    """A recorded table as CSV text that spreadsheets read back as shown.

    The header row, then every row: floats rounded to :data:`CSV_DECIMALS` decimals (whole numbers as
    integers, never ``97.0`` or ``-0``), ISO timestamps in UTC to the second without microseconds, lists
    and dicts as JSON (their floats rounded too), and the text of version columns
    (:data:`VERSION_COLUMNS`) written exactly as recorded (``7.0`` stays ``7.0``). The JSON export keeps
    the exact values.

    Examples
    --------
    >>> print(table_to_csv({"columns": ["a", "b"], "data": [[1, None], ["x,y", ["p", "q"]]]}), end="")
    a,b
    1,
    "x,y","[""p"", ""q""]"
    >>> t = {"columns": ["n", "share", "at", "current"], "dtypes": ["float64", "float64", "str", "str"],
    ...      "data": [[97.0, -0.025000000000000355, "2025-10-06T08:55:55.603919+00:00", "7.0"]]}
    >>> print(table_to_csv(t), end="")
    n,share,at,current
    97,-0.025,2025-10-06T08:55:55Z,7.0
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table["columns"])
    verbatim = _verbatim_columns(table)
    for row in table["data"]:
        writer.writerow([_csv_value(v, keep) for v, keep in zip(row, verbatim, strict=False)])
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


#: The look of a table's file link: small, beside the (bold) caption.
_CSV_LINK_STYLE = "font-weight:normal;font-size:12px;margin-left:0.6em"
_TABLE_DIV = re.compile(
    r'<div class="m254-table"[^>]*?\bdata-name="([^"]*)"[^>]*>(<div class="m254-caption">.*?</div>)?', re.S
)


def add_csv_links(html: str, tables: Sequence[Mapping[str, str]]) -> str:
    """A page with a small link to each exported table's file (``tables/...``, relative) beside its caption.

    ``tables`` are the page's exports in the order shown (``name`` and ``href``); each is matched to
    the next table of that name in the page. A page already linked is returned as it is.

    Examples
    --------
    >>> page = '<div class="m254-table" data-name="a&lt;b" id="t1"><div class="m254-caption">Cap</div>x</div>'
    >>> add_csv_links(page, [{"name": "a<b", "href": "tables/p/a-b.csv"}])  # doctest: +ELLIPSIS
    '<div ...><div class="m254-caption">Cap <a class="m254-csv" href="tables/p/a-b.csv" ...>CSV</a></div>x</div>'
    """
    import html as _html

    if 'class="m254-csv"' in html:
        return html
    pending = list(tables)

    def link(m: re.Match[str]) -> str:
        if not pending or _html.unescape(m.group(1)) != pending[0]["name"]:
            return m.group(0)
        href = str(pending.pop(0)["href"])
        kind = "CSV" if href.endswith(".csv") else href.rsplit(".", 1)[-1].capitalize()
        a = (
            f'<a class="m254-csv" href="{html_escape(href)}" title="Download this table ({kind})" '
            f'style="{_CSV_LINK_STYLE}">{kind}</a>'
        )
        caption = m.group(2)
        if caption:
            return m.group(0)[: -len(caption)] + caption[: -len("</div>")] + f" {a}</div>"
        return m.group(0) + a

    return _TABLE_DIV.sub(link, html)
