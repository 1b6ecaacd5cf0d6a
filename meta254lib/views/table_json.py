"""A table as the JSON payload exported beside its page: every row, JSON-safe values, column by column.

The payload travels in the notebook output (``application/vnd.meta254.table+json``) and the weekly report
writes it as ``<slug>.json`` and ``<slug>.csv`` (:mod:`meta254lib.report.tables`). Values become JSON-safe
by :func:`json_value`: None for every missing value, ISO text for timestamps, lists for tuples and sets.
Columns of one type convert as a whole (numbers by ``tolist``, anything hashable through its distinct
values), so a table of half a million rows converts in about a second rather than half a minute.
pandas is imported lazily.
"""

from __future__ import annotations

from typing import Any

from .escape import is_missing, table_slug

__all__ = ["json_value", "table_payload"]


def json_value(v: Any) -> Any:
    """A JSON-safe value: None for missing, ISO text for timestamps, lists for tuples (sets sorted).

    Examples
    --------
    >>> import pandas as pd
    >>> [json_value(v) for v in (None, float("nan"), pd.NA, pd.NaT, 3, 2.5, "x", (1, 2), {"b", "a"})]
    [None, None, None, None, 3, 2.5, 'x', [1, 2], ['a', 'b']]
    >>> json_value(pd.Timestamp("2025-10-06", tz="UTC"))
    '2025-10-06T00:00:00+00:00'
    """
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v
        return [json_value(x) for x in items]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if is_missing(v):
        return None
    if isinstance(v, bool | int | str | float):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return json_value(v.item())
    return str(v)


def column_values(col: Any) -> list[Any]:
    """One column's values made JSON-safe, as :func:`json_value` makes each one.

    numpy integers and booleans convert by ``tolist``, numpy floats too (NaN becomes None, ``-0.0``
    stays). Other typed columns (strings, nullable numbers, timestamps, categories) convert each
    distinct value once. ``object`` columns, which may mix types (``1`` and ``True`` are equal keys) or
    hold lists, convert value by value.

    Examples
    --------
    >>> import pandas as pd
    >>> column_values(pd.Series([1.5, float("nan"), -0.0]))
    [1.5, None, -0.0]
    >>> column_values(pd.Series(["a", None, "a"], dtype="string"))
    ['a', None, 'a']
    >>> column_values(pd.Series([pd.Timestamp("2025-10-06", tz="UTC"), pd.NaT]))
    ['2025-10-06T00:00:00+00:00', None]
    >>> column_values(pd.Series([1, True, [2]], dtype=object))
    [1, True, [2]]
    """
    import numpy as np
    import pandas as pd

    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        return col.to_numpy().tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if x != x else x for x in col.to_numpy().tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return [json_value(v) for v in col]
    try:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    except TypeError:  # unhashable values in an extension column
        return [json_value(v) for v in col]
    distinct = [json_value(u) for u in uniques]
    return [distinct[c] if c >= 0 else None for c in codes.tolist()]


def table_payload(df: Any, name: str, caption: str | None) -> dict[str, Any]:
    """The table as the JSON payload exported beside the page (every row).

    Examples
    --------
    >>> import pandas as pd
    >>> p = table_payload(pd.DataFrame({"service": ["a", "b"], "open": [2, 0]}), "Open issues", None)
    >>> p["slug"], p["columns"], p["dtypes"], p["total_rows"], p["data"]
    ('open-issues', ['service', 'open'], ['str', 'int64'], 2, [['a', 2], ['b', 0]])
    """
    columns = [str(c) for c in df.columns]
    values = [column_values(df.iloc[:, k]) for k in range(len(columns))]
    return {
        "name": str(name),
        "slug": table_slug(name),
        "caption": caption,
        "columns": columns,
        "dtypes": [str(t) for t in df.dtypes],
        "total_rows": len(df),
        "data": [list(row) for row in zip(*values, strict=True)] if columns else [[] for _ in range(len(df))],
    }
