"""What a page showed, read from its executed notebook: its tables (exported as CSV and JSON) and headline."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..views.display import HEADLINE_MIMETYPE, TABLE_MIMETYPE
from ..views.escape import html_escape, table_slug

__all__ = ["code_outputs", "page_headline", "page_tables", "strip_table_data", "table_to_csv", "table_to_json"]


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
