"""The one conversion of table rows and values into JSON-ready Python values."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["csv_text", "json_records", "json_value"]


def json_value(value: Any) -> Any:
    """A JSON-ready copy of one value.

    Tuples and lists become lists, mapping keys become text, timestamps become ISO text, every missing
    value (``None``, ``NaN``, ``pd.NA``, ``NaT``) becomes ``None`` and numpy scalars become Python ones.

    Examples
    --------
    >>> json_value((np.int64(1), float("nan"), pd.Timestamp("2025-10-10T00:00Z")))
    [1, None, '2025-10-10T00:00:00+00:00']
    >>> json_value({1: pd.NA, "b": np.bool_(True)})
    {'1': None, 'b': True}
    """
    if isinstance(value, (tuple, list)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    return value


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts (see :func:`json_value`).

    Examples
    --------
    >>> json_records(pd.DataFrame({"a": [1.0, float("nan")], "b": [("x",), None]}))
    [{'a': 1.0, 'b': ['x']}, {'a': None, 'b': None}]
    """
    cols = [str(c) for c in df.columns]
    return [{c: json_value(v) for c, v in zip(cols, row, strict=True)} for row in df.itertuples(index=False, name=None)]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "|".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def csv_text(df: pd.DataFrame) -> str:
    """A frame as CSV the way every meta254 output writes it: lists joined with ``|``, mappings as JSON.

    The CLI's ``--format csv`` and the library (``m.csv_text(result.impacted)``) write the same text;
    ``DataFrame.to_csv`` would write Python tuple syntax.

    Examples
    --------
    >>> print(csv_text(pd.DataFrame({"service": ["a"], "path": [("a", "b")]})), end="")
    service,path
    a,a|b
    """
    flat = df.copy()
    for col in flat.columns:
        if flat[col].dtype == object:
            flat[col] = flat[col].map(_csv_cell)
    return flat.to_csv(index=False, lineterminator="\n")
